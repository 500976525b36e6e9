import crypto from 'node:crypto';
import type { Kysely, Transaction } from 'kysely';
import { AppError, notFound } from '../errors.js';
import type { Store } from '../store/db.js';
import type { TriggerDef, WorkflowDefinition, WorkflowParameters } from './definition.js';
import { isScheduled, triggerKind } from './triggers/index.js';
import { nextOccurrence } from './triggers/recurrence.js';
import { parseJson, wfdb, type WorkflowDatabase, type WorkflowsTable } from './tables.js';
import type { WorkflowInput } from './validate.js';

export interface WorkflowRecord {
  name: string;
  definition: WorkflowDefinition;
  parameters: WorkflowParameters;
  state: 'Enabled' | 'Disabled';
  version: number;
  createdAt: number;
  updatedAt: number;
}

export interface TriggerState {
  /** Stands in for a missing startTime: when the trigger was first enabled. */
  anchor?: number;
  /** HttpPoll: the first poll has happened (items present then are not new). */
  primed?: boolean;
  watermark?: string | number;
  /** Connector triggers: where the last poll stopped (e.g. Salesforce's last CreatedDate and Id). */
  cursor?: Record<string, string | number | null>;
  /** Connector triggers: polls failed in a row because the source asked to slow down (backoff). */
  throttled?: number;
}

const HINT = 'List them with GET /api/v1/workflows.';
type Db = Kysely<WorkflowDatabase> | Transaction<WorkflowDatabase>;

const hashOf = (trigger: TriggerDef): string => crypto.createHash('sha256').update(JSON.stringify(trigger)).digest('hex').slice(0, 32);

/** Workflow definitions, and the rows that let their triggers fire on time in any process. */
export class WorkflowRepository {
  readonly db: Kysely<WorkflowDatabase>;
  constructor(store: Store) {
    this.db = wfdb(store);
  }

  async get(name: string): Promise<WorkflowRecord | undefined> {
    const row = await this.db.selectFrom('workflows').selectAll().where('name', '=', name).executeTakeFirst();
    return row ? toRecord(row) : undefined;
  }

  async require(name: string): Promise<WorkflowRecord> {
    const found = await this.get(name);
    if (!found) throw notFound('workflow', name, HINT);
    return found;
  }

  async list(): Promise<WorkflowRecord[]> {
    const rows = await this.db.selectFrom('workflows').selectAll().orderBy('name').execute();
    return rows.map(toRecord);
  }

  /** Creates (mode 'create': 409 when it exists) or creates-or-replaces; answers whether it was created. */
  async save(input: WorkflowInput, mode: 'create' | 'upsert'): Promise<{ record: WorkflowRecord; created: boolean }> {
    const created = await this.db.transaction().execute(async (trx) => {
      const now = Date.now();
      const existing = await trx.selectFrom('workflows').select(['version']).where('name', '=', input.name).executeTakeFirst();
      if (existing && mode === 'create') {
        throw new AppError(409, 'WorkflowExists', `A workflow named '${input.name}' already exists. Replace it with PUT /api/v1/workflows/${input.name}, or pick another name.`, { field: 'name' });
      }
      const values = { definition: JSON.stringify(input.definition), parameters: JSON.stringify(input.parameters), state: input.state, updated_at: now };
      if (existing) await trx.updateTable('workflows').set({ ...values, version: existing.version + 1 }).where('name', '=', input.name).execute();
      else await trx.insertInto('workflows').values({ name: input.name, ...values, version: 1, created_at: now }).execute();
      await syncTriggers(trx, input.name, input.definition, input.state, now);
      return !existing;
    });
    return { record: await this.require(input.name), created };
  }

  async setState(name: string, state: 'Enabled' | 'Disabled'): Promise<WorkflowRecord> {
    await this.db.transaction().execute(async (trx) => {
      const row = await trx.selectFrom('workflows').selectAll().where('name', '=', name).executeTakeFirst();
      if (!row) throw notFound('workflow', name, HINT);
      const now = Date.now();
      await trx.updateTable('workflows').set({ state, updated_at: now }).where('name', '=', name).execute();
      await syncTriggers(trx, name, JSON.parse(row.definition) as WorkflowDefinition, state, now);
    });
    return this.require(name);
  }

  /** Deletes the workflow and all it left; answers what it was and its triggers' last memory (for releasing what they held at their source). */
  async remove(name: string, deleteRuns: (db: Db) => Promise<void>): Promise<{ workflow: WorkflowRecord; triggers: Map<string, TriggerState> }> {
    return this.db.transaction().execute(async (trx) => {
      const row = await trx.selectFrom('workflows').selectAll().where('name', '=', name).executeTakeFirst();
      const result = await trx.deleteFrom('workflows').where('name', '=', name).executeTakeFirst();
      if (!row || Number(result.numDeletedRows) !== 1) throw notFound('workflow', name, HINT);
      const triggers = await trx.selectFrom('workflow_triggers').select(['trigger', 'state']).where('workflow', '=', name).execute();
      await trx.deleteFrom('workflow_triggers').where('workflow', '=', name).execute();
      await trx.deleteFrom('workflow_trigger_seen').where('workflow', '=', name).execute();
      await deleteRuns(trx);
      return { workflow: toRecord(row), triggers: new Map(triggers.map((t) => [t.trigger, parseJson<TriggerState>(t.state) ?? {}])) };
    });
  }
}

/**
 * Keeps one row per trigger in step with the definition: a trigger whose definition changed
 * starts over (new schedule, nothing seen); an unchanged one keeps its schedule and memory.
 */
async function syncTriggers(trx: Db, workflow: string, definition: WorkflowDefinition, state: 'Enabled' | 'Disabled', now: number): Promise<void> {
  const rows = await trx.selectFrom('workflow_triggers').selectAll().where('workflow', '=', workflow).execute();
  const triggers = definition.triggers ?? {};
  for (const row of rows) {
    if (!(row.trigger in triggers)) {
      await trx.deleteFrom('workflow_triggers').where('workflow', '=', workflow).where('trigger', '=', row.trigger).execute();
      await trx.deleteFrom('workflow_trigger_seen').where('workflow', '=', workflow).where('trigger', '=', row.trigger).execute();
    }
  }
  for (const [name, trigger] of Object.entries(triggers)) {
    const hash = hashOf(trigger);
    const row = rows.find((r) => r.trigger === name);
    const same = row !== undefined && row.config_hash === hash;
    const memory: TriggerState = same ? (parseJson<TriggerState>(row.state) ?? {}) : {};
    const kind = triggerKind(trigger);
    let nextDue: number | null = null;
    if (state === 'Enabled' && isScheduled(kind) && trigger.recurrence) {
      memory.anchor ??= now;
      // An unchanged, already scheduled trigger keeps its due time: saving must not double a firing.
      nextDue = same && row.next_due_at !== null ? row.next_due_at : (nextOccurrence(trigger.recurrence, memory.anchor, now - 1) ?? null);
    }
    const values = { type: String(trigger.type), config_hash: hash, next_due_at: nextDue, state: JSON.stringify(memory), updated_at: now };
    if (row) {
      await trx.updateTable('workflow_triggers').set(values).where('workflow', '=', workflow).where('trigger', '=', name).execute();
      if (!same) await trx.deleteFrom('workflow_trigger_seen').where('workflow', '=', workflow).where('trigger', '=', name).execute();
    } else {
      await trx.insertInto('workflow_triggers').values({ workflow, trigger: name, ...values }).execute();
    }
  }
}

function toRecord(row: WorkflowsTable): WorkflowRecord {
  return {
    name: row.name,
    definition: JSON.parse(row.definition) as WorkflowDefinition,
    parameters: JSON.parse(row.parameters) as WorkflowParameters,
    state: row.state,
    version: row.version,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}
