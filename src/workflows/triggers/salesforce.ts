/**
 * Salesforce "When a record is created" / "When a record is modified", in the form Logic Apps
 * exports: `ApiConnection`, `get` `/datasets/default/tables/@{encodeURIComponent(encodeURIComponent('Lead'))}/onnewitems`
 * (or `/onupdateditems`), queries `$filter` (OData), `$select`, `$orderby`, and
 * `splitOn: "@triggerBody()?['value']"` for one run per record.
 *
 * Each poll asks SOQL for the records after a (timestamp, Id) cursor, ordered by both: records
 * that share a CreatedDate second are told apart by Id, so none is skipped or repeated, and
 * `nextRecordsUrl` pages continue the same ordered result. The cursor moves in the same
 * transaction that records a record's run (ctx.commit), so a restart or a second process resumes
 * exactly after the last record that fired. The first poll only learns where "now" is: records
 * that existed before the workflow was enabled never fire.
 */
import { salesforceSession, type SalesforceSession } from '../../salesforce/client.js';
import { describeObject } from '../../salesforce/connector.js';
import { salesforceProblem } from '../../salesforce/errors.js';
import { FilterError, odataFilterToSoql } from '../../salesforce/odata-filter.js';
import { isSoqlName, soqlDateTime, soqlString } from '../../salesforce/soql.js';
import { isObject, type TriggerDef } from '../definition.js';
import type { ConnectorPoll, ConnectorTrigger } from './connector.js';
import { decodeTwice, evaluateTriggerInput } from './connector-path.js';

const PATH = /^\/datasets\/default\/tables\/(.+)\/(onnewitems|onupdateditems)\/?$/i;
const SPLIT_ON = /^@\{?\s*triggerBody\(\)\??\[\s*'value'\s*\]\s*\}?$/;
const QUERY_KEYS = ['$filter', '$select', '$orderby'];
const MAX_BACKOFF_MS = 3_600_000;
const DESCRIBE_TTL_MS = 10 * 60_000;

interface Spec {
  object: string;
  /** CreatedDate for onnewitems, LastModifiedDate for onupdateditems. */
  stamp: 'CreatedDate' | 'LastModifiedDate';
  where?: string;
  select?: string[];
  split: boolean;
}

interface Cursor {
  stamp: string | null;
  id: string | null;
}

interface QueryPage {
  done: boolean;
  nextRecordsUrl?: string;
  records: Array<Record<string, unknown>>;
}

export const salesforceTrigger: ConnectorTrigger = {
  connectionType: 'salesforce',
  matches: (path) => PATH.test(path.trim()),
  problems,
  poll,
};

function problems(trigger: TriggerDef): Array<{ field: string; message: string }> {
  const out: Array<{ field: string; message: string }> = [];
  const inputs = trigger.inputs;
  if (inputs.method !== undefined && String(inputs.method).toLowerCase() !== 'get') out.push({ field: 'inputs.method', message: 'must be "get": the trigger reads records' });
  if (inputs.queries !== undefined && !isObject(inputs.queries)) out.push({ field: 'inputs.queries', message: 'must be an object of $filter, $select and $orderby' });
  for (const key of Object.keys(isObject(inputs.queries) ? inputs.queries : {})) {
    if (!QUERY_KEYS.includes(key)) out.push({ field: `inputs.queries.${key}`, message: `is not a query of this trigger; use ${QUERY_KEYS.join(', ')}` });
  }
  if (trigger.splitOn !== undefined && !(typeof trigger.splitOn === 'string' && SPLIT_ON.test(trigger.splitOn.trim()))) {
    out.push({ field: 'splitOn', message: `must be "@triggerBody()?['value']" (one run per record), or absent (one run per poll with every new record in 'value')` });
  }
  // Inputs built from parameters() are checked when the trigger polls (their values come with the workflow's parameters).
  if (/parameters\s*\(/i.test(JSON.stringify([inputs.path, inputs.queries]))) return out;
  try {
    resolve(trigger);
  } catch (err) {
    if (err instanceof SpecError) out.push({ field: err.field, message: err.message });
    else throw err;
  }
  return out;
}

class SpecError extends Error {
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(message);
  }
}

function evaluated(value: unknown, field: string, parameter?: (name: string) => unknown): unknown {
  try {
    return evaluateTriggerInput(value, parameter);
  } catch (err) {
    throw new SpecError(field, err instanceof Error ? err.message : String(err));
  }
}

/** What the trigger asks for; `parameter` is absent at save time (inputs built with parameters() are checked at the first poll). */
function resolve(trigger: TriggerDef, parameter?: (name: string) => unknown): Spec {
  const inputs = trigger.inputs;
  const path = String(evaluated(String(inputs.path).trim(), 'inputs.path', parameter));
  const m = PATH.exec(path);
  if (!m) throw new SpecError('inputs.path', `'${path}' is not /datasets/default/tables/{object}/onnewitems or …/onupdateditems`);
  const object = decodeTwice(m[1]);
  if (!isSoqlName(object) || object.includes('.')) throw new SpecError('inputs.path', `'${object}' is not a Salesforce object name (e.g. Lead, Account or Invoice__c)`);
  const queries = isObject(inputs.queries) ? inputs.queries : {};
  const spec: Spec = { object, stamp: m[2].toLowerCase() === 'onnewitems' ? 'CreatedDate' : 'LastModifiedDate', split: trigger.splitOn !== undefined };
  const filter = evaluated(queries.$filter ?? '', 'inputs.queries.$filter', parameter);
  if (typeof filter !== 'string') throw new SpecError('inputs.queries.$filter', 'must be an OData filter such as "LeadSource eq \'Web\'"');
  if (filter.trim() !== '') {
    try {
      spec.where = odataFilterToSoql(filter);
    } catch (err) {
      if (err instanceof FilterError) throw new SpecError('inputs.queries.$filter', err.message);
      throw err;
    }
  }
  const select = evaluated(queries.$select ?? '', 'inputs.queries.$select', parameter);
  if (typeof select !== 'string') throw new SpecError('inputs.queries.$select', 'must be field names separated by commas, e.g. "FirstName,LastName,Email"');
  if (select.trim() !== '') {
    spec.select = select.split(',').map((f) => f.trim().replace(/\//g, '.'));
    const bad = spec.select.find((f) => !isSoqlName(f));
    if (bad !== undefined) throw new SpecError('inputs.queries.$select', `'${bad}' is not a field name; give names separated by commas, e.g. "FirstName,LastName,Email"`);
  }
  const orderby = evaluated(queries.$orderby ?? '', 'inputs.queries.$orderby', parameter);
  if (typeof orderby !== 'string' || !/^\s*(?:[A-Za-z][\w/]*(?:\s+(?:asc|desc))?\s*(?:,\s*|$))*$/i.test(orderby)) {
    throw new SpecError('inputs.queries.$orderby', 'must be field names, each optionally followed by asc or desc, separated by commas');
  }
  // $orderby is accepted for compatibility, but records always fire in the order they happened:
  // the cursor that guarantees "each record once" needs that order.
  return spec;
}

async function poll(ctx: ConnectorPoll): Promise<void> {
  let spec: Spec;
  try {
    spec = resolve(ctx.def, (name) => ctx.parameters[name]?.value);
  } catch (err) {
    throw err instanceof SpecError ? new Error(`${err.field}: ${err.message}`) : err;
  }
  const session = await salesforceSession(ctx.connection);
  try {
    const cursor = ctx.state.cursor as Cursor | undefined;
    if (!cursor) await learnWhereNowIs(ctx, session, spec);
    else await fireNewRecords(ctx, session, spec, cursor);
    if (ctx.state.throttled) await ctx.commit((s) => (s.throttled ? { ...s, throttled: undefined } : undefined), []);
  } catch (err) {
    const problem = salesforceProblem(err);
    if (problem.kind !== 'throttled') throw new Error(`${problem.code}: ${problem.message}. ${problem.fix}`);
    const times = (ctx.state.throttled ?? 0) + 1;
    const delay = Math.min(recurrenceMs(ctx.def) * 2 ** times, MAX_BACKOFF_MS);
    await ctx.commit((s) => ({ ...s, throttled: times }), []);
    await ctx.postpone(delay);
    ctx.log.warn({ workflow: ctx.workflow, trigger: ctx.trigger, code: problem.code, retryInMs: delay }, `Salesforce asked to slow down (${problem.message}); polling again in ${Math.round(delay / 1000)} s`);
  }
}

/** First poll: the newest record's (timestamp, Id) becomes the cursor, so only later records fire. */
async function learnWhereNowIs(ctx: ConnectorPoll, session: SalesforceSession, spec: Spec): Promise<void> {
  const soql = `SELECT Id, ${spec.stamp} FROM ${spec.object} ORDER BY ${spec.stamp} DESC, Id DESC LIMIT 1`;
  const page = await session.get<QueryPage>(queryUrl(soql));
  const newest = page.records[0];
  const cursor: Cursor = newest ? { stamp: String(newest[spec.stamp]), id: String(newest.Id) } : { stamp: null, id: null };
  await ctx.commit((s) => (s.cursor ? undefined : { ...s, cursor: { ...cursor }, primed: true }), []);
}

async function fireNewRecords(ctx: ConnectorPoll, session: SalesforceSession, spec: Spec, start: Cursor): Promise<void> {
  const fields = await selectedFields(session, spec);
  const conditions = [after(spec.stamp, start), spec.where].filter(Boolean);
  const soql = `SELECT ${fields.join(', ')} FROM ${spec.object}${conditions.length ? ` WHERE ${conditions.join(' AND ')}` : ''} ORDER BY ${spec.stamp} ASC, Id ASC`;
  let cursor = start;
  let page = await session.get<QueryPage>(queryUrl(soql));
  for (;;) {
    const records = page.records;
    // One commit per record (splitOn) or per page; each moves the cursor only from where this poll left it.
    const groups = spec.split ? records.map((r) => [r]) : records.length ? [records] : [];
    for (const group of groups) {
      const last = group[group.length - 1];
      const next: Cursor = { stamp: String(last[spec.stamp]), id: String(last.Id) };
      const bodies = spec.split ? [output(last, spec)] : [{ value: group.map((r) => output(r, spec)) }];
      const from = cursor;
      const moved = await ctx.commit((s) => (sameCursor(s.cursor as Cursor | undefined, from) ? { ...s, cursor: { ...next }, throttled: undefined } : undefined), bodies);
      // Someone else (another process, a redefinition) moved the cursor: its poll carries on from there.
      if (!moved) return;
      cursor = next;
    }
    if (page.done || !page.nextRecordsUrl) return;
    page = await session.get<QueryPage>(page.nextRecordsUrl);
  }
}

/** SOQL for "after the cursor" in (timestamp, Id) order; nothing when no record existed at the first poll. */
function after(stamp: string, cursor: Cursor): string | undefined {
  if (cursor.stamp === null || cursor.id === null) return undefined;
  const t = soqlDateTime(cursor.stamp);
  return `(${stamp} > ${t} OR (${stamp} = ${t} AND Id > ${soqlString(cursor.id)}))`;
}

const sameCursor = (a: Cursor | undefined, b: Cursor): boolean => a !== undefined && a.stamp === b.stamp && a.id === b.id;

const queryUrl = (soql: string): string => `/query?q=${encodeURIComponent(soql)}`;

/** The record as the run sees it (`triggerBody()`): its fields, without Salesforce's `attributes`, limited to `$select`. */
function output(record: Record<string, unknown>, spec: Spec): Record<string, unknown> {
  const { attributes: _attributes, ...fields } = record;
  if (!spec.select) return fields;
  const wanted = new Set(spec.select.map((f) => f.split('.')[0].toLowerCase()));
  return Object.fromEntries(Object.entries(fields).filter(([k]) => wanted.has(k.toLowerCase())));
}

/** `$select` plus what the cursor needs, or every field of the object (SOQL has no `SELECT *`). */
async function selectedFields(session: SalesforceSession, spec: Spec): Promise<string[]> {
  const fields = spec.select ?? (await allFields(session, spec.object));
  const lower = new Set(fields.map((f) => f.toLowerCase()));
  return [...fields, ...['Id', spec.stamp].filter((f) => !lower.has(f.toLowerCase()))];
}

/** Field lists per session (a changed connection is a new session) and object, for a while: fields change rarely. */
const describeCache = new WeakMap<SalesforceSession, Map<string, { at: number; fields: string[] }>>();

async function allFields(session: SalesforceSession, object: string): Promise<string[]> {
  const objects = describeCache.get(session) ?? new Map<string, { at: number; fields: string[] }>();
  describeCache.set(session, objects);
  const cached = objects.get(object);
  if (cached && Date.now() - cached.at < DESCRIBE_TTL_MS) return cached.fields;
  const fields = (await describeObject(session, object)).fields.map((f) => f.name);
  objects.set(object, { at: Date.now(), fields });
  return fields;
}

const UNIT_MS: Record<string, number> = { second: 1000, minute: 60_000, hour: 3_600_000, day: 86_400_000, week: 604_800_000, month: 2_592_000_000 };

function recurrenceMs(def: TriggerDef): number {
  const r = def.recurrence;
  return (UNIT_MS[String(r?.frequency).toLowerCase()] ?? 60_000) * Math.max(1, Number(r?.interval) || 1);
}
