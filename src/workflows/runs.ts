import type { Kysely, Transaction } from 'kysely';
import type { Store } from '../store/db.js';
import { newId } from '../store/ids.js';
import { parseJson, wfdb, type ActionStatus, type RunStatus, type WorkflowDatabase, type WorkflowRunActionsTable, type WorkflowRunsTable } from './tables.js';

export interface ActionRecord {
  name: string;
  repetition: string;
  type: string;
  status: ActionStatus;
  inputs?: unknown;
  outputs?: unknown;
  body?: unknown;
  error?: RunError;
  tracking?: Record<string, unknown>;
  attempts: number;
  startedAt: number;
  endedAt?: number;
}

export interface RunError {
  code: string;
  message: string;
  action?: string;
  smtp?: { code?: number; enhancedCode?: string; response?: string };
}

export interface NewRun {
  workflow: string;
  trigger: string;
  definition: unknown;
  parameters: unknown;
  triggerOutputs: unknown;
  resubmittedFrom?: string;
  /** The process that will execute it right away. */
  owner: string;
  leaseMs: number;
}

type Db = Kysely<WorkflowDatabase> | Transaction<WorkflowDatabase>;

/** Runs and the results of their actions; rows are written as the engine goes, so a run can resume. */
export class RunRepository {
  private readonly db: Kysely<WorkflowDatabase>;
  /** Told of every run this process finishes (the app counts them for /metrics). */
  onFinished: (status: RunStatus) => void = () => undefined;
  constructor(store: Store) {
    this.db = wfdb(store);
  }

  /** Inserts a run (inside the caller's transaction when one is given, so firing and recording are one step). */
  async create(run: NewRun, db: Db = this.db): Promise<string> {
    const id = newId('run');
    const now = Date.now();
    await db
      .insertInto('workflow_runs')
      .values({
        id,
        workflow: run.workflow,
        trigger: run.trigger,
        status: 'Running',
        definition: JSON.stringify(run.definition),
        parameters: JSON.stringify(run.parameters),
        trigger_outputs: JSON.stringify(run.triggerOutputs ?? {}),
        response: null,
        error: null,
        resubmitted_from: run.resubmittedFrom ?? null,
        lease_owner: run.owner,
        lease_until: now + run.leaseMs,
        created_at: now,
        ended_at: null,
      })
      .execute();
    return id;
  }

  async get(id: string): Promise<WorkflowRunsTable | undefined> {
    return this.db.selectFrom('workflow_runs').selectAll().where('id', '=', id).executeTakeFirst();
  }

  async list(workflow: string, options: { limit: number; before?: string; status?: string }): Promise<WorkflowRunsTable[]> {
    let q = this.db.selectFrom('workflow_runs').selectAll().where('workflow', '=', workflow);
    if (options.before) q = q.where('id', '<', options.before);
    if (options.status) q = q.where('status', '=', options.status as RunStatus);
    return q.orderBy('id', 'desc').limit(options.limit).execute();
  }

  async actions(runId: string): Promise<ActionRecord[]> {
    const rows = await this.db.selectFrom('workflow_run_actions').selectAll().where('run_id', '=', runId).orderBy('started_at').execute();
    return rows.map(toRecord);
  }

  async saveAction(runId: string, record: ActionRecord): Promise<void> {
    const row: WorkflowRunActionsTable = {
      run_id: runId,
      name: record.name,
      repetition: record.repetition,
      type: record.type,
      status: record.status,
      inputs: record.inputs === undefined ? null : JSON.stringify(record.inputs),
      outputs: record.outputs === undefined ? null : JSON.stringify(record.outputs),
      body: record.body === undefined ? null : JSON.stringify(record.body),
      error: record.error === undefined ? null : JSON.stringify(record.error),
      tracking: record.tracking === undefined ? null : JSON.stringify(record.tracking),
      attempts: record.attempts,
      started_at: record.startedAt,
      ended_at: record.endedAt ?? null,
    };
    const { run_id: _r, name: _n, repetition: _p, ...changes } = row;
    await this.db
      .insertInto('workflow_run_actions')
      .values(row)
      .onConflict((oc) => oc.columns(['run_id', 'name', 'repetition']).doUpdateSet(changes))
      .execute();
  }

  async setResponse(runId: string, response: unknown): Promise<void> {
    await this.db.updateTable('workflow_runs').set({ response: JSON.stringify(response) }).where('id', '=', runId).execute();
  }

  async finish(runId: string, owner: string, status: RunStatus, error: RunError | undefined): Promise<void> {
    const result = await this.db
      .updateTable('workflow_runs')
      .set({ status, error: error ? JSON.stringify(error) : null, ended_at: Date.now(), lease_owner: null, lease_until: 0 })
      .where('id', '=', runId)
      .where('lease_owner', '=', owner)
      .executeTakeFirst();
    // Only the holder's finish counts: another process that took the run over finishes it again.
    if (Number(result.numUpdatedRows) === 1) this.onFinished(status);
  }

  /** Runs left Running by a process that stopped or died (its lease ran out). */
  async orphans(now: number, limit: number): Promise<Array<{ id: string; lease_until: number }>> {
    return this.db.selectFrom('workflow_runs').select(['id', 'lease_until']).where('status', '=', 'Running').where('lease_until', '<', now).orderBy('id').limit(limit).execute();
  }

  /** Takes over an orphaned run; false when another process was quicker. */
  async claim(id: string, previousLeaseUntil: number, owner: string, leaseMs: number): Promise<boolean> {
    const result = await this.db
      .updateTable('workflow_runs')
      .set({ lease_owner: owner, lease_until: Date.now() + leaseMs })
      .where('id', '=', id)
      .where('status', '=', 'Running')
      .where('lease_until', '=', previousLeaseUntil)
      .executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  }

  async renew(ids: string[], owner: string, leaseMs: number): Promise<void> {
    if (ids.length === 0) return;
    await this.db.updateTable('workflow_runs').set({ lease_until: Date.now() + leaseMs }).where('id', 'in', ids).where('lease_owner', '=', owner).execute();
  }

  /** On a clean stop: whatever this process still runs may be resumed at once by the next one. */
  async release(ids: string[], owner: string): Promise<void> {
    if (ids.length === 0) return;
    await this.db.updateTable('workflow_runs').set({ lease_owner: null, lease_until: 0 }).where('id', 'in', ids).where('lease_owner', '=', owner).where('status', '=', 'Running').execute();
  }

  async deleteForWorkflow(workflow: string, db: Db = this.db): Promise<void> {
    const ids = db.selectFrom('workflow_runs').select('id').where('workflow', '=', workflow);
    await db.deleteFrom('workflow_run_actions').where('run_id', 'in', ids).execute();
    await db.deleteFrom('workflow_runs').where('workflow', '=', workflow).execute();
  }
}

function toRecord(row: WorkflowRunActionsTable): ActionRecord {
  return {
    name: row.name,
    repetition: row.repetition,
    type: row.type,
    status: row.status,
    inputs: parseJson(row.inputs),
    outputs: parseJson(row.outputs),
    body: parseJson(row.body),
    error: parseJson<RunError>(row.error),
    tracking: parseJson<Record<string, unknown>>(row.tracking),
    attempts: row.attempts,
    startedAt: row.started_at,
    endedAt: row.ended_at ?? undefined,
  };
}
