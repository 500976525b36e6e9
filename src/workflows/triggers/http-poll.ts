import http from 'node:http';
import https from 'node:https';
import type { Kysely } from 'kysely';
import type { Logger } from '../../log.js';
import { isObject, type TriggerDef } from '../definition.js';
import type { TriggerState } from '../repository.js';
import type { RunRepository } from '../runs.js';
import type { AddressGuard } from './address-guard.js';
import { parseJson, type WorkflowDatabase } from '../tables.js';

export interface PollDeps {
  db: Kysely<WorkflowDatabase>;
  runs: RunRepository;
  log: Logger;
  owner: string;
  leaseMs: number;
  started(runId: string): void;
  workflow: string;
  trigger: string;
  def: TriggerDef;
  configHash: string;
  guard: AddressGuard;
}

const POLL_TIMEOUT_MS = 30_000;
const MAX_RESPONSE_BYTES = 20 * 1024 * 1024;

const getPath = (value: unknown, path: string | undefined): unknown => {
  if (!path) return value;
  let current = value;
  for (const part of path.replace(/^\$\.?/, '').split('.').filter(Boolean)) {
    if (Array.isArray(current) && /^\d+$/.test(part)) current = current[Number(part)];
    else if (isObject(current)) current = current[part];
    else return undefined;
  }
  return current;
};

/** Numbers compare as numbers; date-like strings as instants; anything else as text. */
function compareMarks(a: unknown, b: unknown): number {
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  const [da, db] = [Date.parse(String(a)), Date.parse(String(b))];
  if (typeof a === 'string' && typeof b === 'string' && !Number.isNaN(da) && !Number.isNaN(db) && /\d{4}-\d{2}-\d{2}/.test(a + b)) return da - db;
  return String(a) < String(b) ? -1 : String(a) > String(b) ? 1 : 0;
}

/**
 * "When an item is created": one poll of the endpoint. Each new item is recorded as seen (or
 * moves the watermark) in the same transaction that records its run, so an item fires exactly
 * one run even when the process stops halfway through a batch. The first poll only learns
 * what exists, unless `fireOnExisting` says otherwise.
 */
export async function pollItems(deps: PollDeps): Promise<void> {
  const inputs = deps.def.inputs ?? {};
  const method = String(inputs.method ?? 'GET').toUpperCase();
  const headers: Record<string, string> = { accept: 'application/json', ...(inputs.headers ?? {}) };
  let body: string | undefined;
  if (method !== 'GET' && inputs.body !== undefined) {
    body = typeof inputs.body === 'string' ? inputs.body : JSON.stringify(inputs.body);
    headers['content-type'] ??= 'application/json';
  }
  const items = getPath(await requestJson(String(inputs.uri), { method, headers, body }, deps.guard), inputs.itemsPath);
  if (!Array.isArray(items)) throw new Error(`the response has no array at '${inputs.itemsPath ?? '(the top level)'}'`);

  const row = await deps.db.selectFrom('workflow_triggers').select(['state']).where('workflow', '=', deps.workflow).where('trigger', '=', deps.trigger).executeTakeFirst();
  if (!row) return;
  const state = parseJson<TriggerState>(row.state) ?? {};
  const fireExisting = inputs.fireOnExisting === true;
  if (typeof inputs.idField === 'string') await byId(deps, items, inputs.idField, !state.primed && !fireExisting);
  else await byWatermark(deps, items, inputs.watermarkField, state, !state.primed && !fireExisting);
  if (!state.primed) await updateState(deps, (s) => ({ ...s, primed: true }));
}

/**
 * node:http rather than fetch: fetch takes no DNS lookup, and the guard must judge the address the
 * socket connects to. Redirects are not followed (one could point past the guard): a 3xx fails the
 * poll like any other answer that is not 2xx.
 */
function requestJson(uri: string, init: { method: string; headers: Record<string, string>; body?: string }, guard: AddressGuard): Promise<unknown> {
  const url = new URL(uri);
  guard.checkHost(url.hostname);
  const shown = `${init.method} ${url.origin}${url.pathname}`; // the query may hold a token
  const client = url.protocol === 'https:' ? https : http;
  return new Promise((resolve, reject) => {
    const request = client.request(url, { method: init.method, headers: init.headers, lookup: guard.lookup, signal: AbortSignal.timeout(POLL_TIMEOUT_MS) }, (response) => {
      const chunks: Buffer[] = [];
      let size = 0;
      response.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > MAX_RESPONSE_BYTES) request.destroy(new Error(`${shown} answered more than ${MAX_RESPONSE_BYTES} bytes`));
        else chunks.push(chunk);
      });
      response.on('error', reject);
      response.on('end', () => {
        const status = response.statusCode ?? 0;
        if (status < 200 || status >= 300) return reject(new Error(`${shown} answered ${status}`));
        try {
          resolve(JSON.parse(Buffer.concat(chunks).toString('utf8')));
        } catch {
          reject(new Error(`${shown} answered something that is not JSON`));
        }
      });
    });
    request.on('error', reject);
    request.end(init.body);
  });
}

async function byId(deps: PollDeps, items: unknown[], idField: string, learnOnly: boolean): Promise<void> {
  for (const item of items) {
    const raw = getPath(item, idField);
    if (raw === undefined || raw === null || raw === '') {
      deps.log.warn({ workflow: deps.workflow, trigger: deps.trigger, idField }, 'HttpPoll item has no id; skipped');
      continue;
    }
    const id = String(raw);
    const runId = await deps.db.transaction().execute(async (trx) => {
      const inserted = await trx
        .insertInto('workflow_trigger_seen')
        .values({ workflow: deps.workflow, trigger: deps.trigger, item_id: id, seen_at: Date.now() })
        .onConflict((oc) => oc.doNothing())
        .executeTakeFirst();
      if (Number(inserted.numInsertedOrUpdatedRows ?? 0) !== 1 || learnOnly) return undefined;
      return createRun(deps, trx as unknown as Kysely<WorkflowDatabase>, item);
    });
    if (runId) deps.started(runId);
  }
}

async function byWatermark(deps: PollDeps, items: unknown[], field: string, state: TriggerState, learnOnly: boolean): Promise<void> {
  const marked = items.map((item) => ({ item, mark: getPath(item, field) })).filter((x) => x.mark !== undefined && x.mark !== null);
  marked.sort((a, b) => compareMarks(a.mark, b.mark));
  if (learnOnly) {
    const top = marked[marked.length - 1]?.mark as string | number | undefined;
    if (top !== undefined && (state.watermark === undefined || compareMarks(top, state.watermark) > 0)) await updateState(deps, (s) => ({ ...s, watermark: top }));
    return;
  }
  for (const { item, mark } of marked) {
    const runId = await deps.db.transaction().execute(async (trx) => {
      const current = await trx.selectFrom('workflow_triggers').select(['state', 'config_hash']).where('workflow', '=', deps.workflow).where('trigger', '=', deps.trigger).executeTakeFirst();
      if (!current || current.config_hash !== deps.configHash) return undefined;
      const s = parseJson<TriggerState>(current.state) ?? {};
      if (s.watermark !== undefined && compareMarks(mark, s.watermark) <= 0) return undefined;
      const moved = await trx
        .updateTable('workflow_triggers')
        .set({ state: JSON.stringify({ ...s, watermark: mark as string | number }) })
        .where('workflow', '=', deps.workflow)
        .where('trigger', '=', deps.trigger)
        .where('state', '=', current.state)
        .executeTakeFirst();
      if (Number(moved.numUpdatedRows) !== 1) return undefined;
      return createRun(deps, trx as unknown as Kysely<WorkflowDatabase>, item);
    });
    if (runId) deps.started(runId);
  }
}

/** Records the run of one fired item, inside the transaction that marks the item fired. */
export async function createRun(deps: PollDeps, trx: Kysely<WorkflowDatabase>, item: unknown): Promise<string | undefined> {
  const wf = await trx.selectFrom('workflows').select(['definition', 'parameters', 'state']).where('name', '=', deps.workflow).executeTakeFirst();
  if (!wf || wf.state !== 'Enabled') return undefined;
  return deps.runs.create(
    {
      workflow: deps.workflow,
      trigger: deps.trigger,
      definition: JSON.parse(wf.definition),
      parameters: JSON.parse(wf.parameters),
      triggerOutputs: { headers: {}, body: item },
      owner: deps.owner,
      leaseMs: deps.leaseMs,
    },
    trx,
  );
}

async function updateState(deps: PollDeps, change: (s: TriggerState) => TriggerState): Promise<void> {
  await deps.db.transaction().execute(async (trx) => {
    const current = await trx.selectFrom('workflow_triggers').select(['state', 'config_hash']).where('workflow', '=', deps.workflow).where('trigger', '=', deps.trigger).executeTakeFirst();
    if (!current || current.config_hash !== deps.configHash) return;
    await trx
      .updateTable('workflow_triggers')
      .set({ state: JSON.stringify(change(parseJson<TriggerState>(current.state) ?? {})) })
      .where('workflow', '=', deps.workflow)
      .where('trigger', '=', deps.trigger)
      .execute();
  });
}

