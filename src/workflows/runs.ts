import type { Kysely, Transaction } from 'kysely';
import type { Store } from '../store/db.js';
import { CHANNELS } from '../store/notify.js';
import { newId } from '../ids.js';
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
  /** The process that will execute it right away; null: the first worker to claim it (an API-only process). */
  owner: string | null;
  leaseMs: number;
}

type Db = Kysely<WorkflowDatabase> | Transaction<WorkflowDatabase>;

/** Runs and the results of their actions; rows are written as the engine goes, so a run can resume. */
export class RunRepository {
  private readonly db: Kysely<WorkflowDatabase>;
  /** Told of every run this process finishes (the app counts them for /metrics). */
  onFinished: (status: RunStatus) => void = () => undefined;
  constructor(private readonly store: Store) {
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
        // Unowned, it is as good as orphaned: due for a worker's claim at once.
        lease_until: run.owner === null ? 0 : now + run.leaseMs,
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
    // The caller of a Request trigger may wait in another process (an API-only one).
    await this.store.notifications.send(this.db, CHANNELS.runEvents, runId);
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
    await this.store.notifications.send(this.db, CHANNELS.runEvents, runId);
  }

  /**
   * In an API-only process, waits for a run a worker executes to record its Response: answers
   * it, or undefined when the run ended without one (or `signal` aborted), or 'timeout'. Woken
   * by NOTIFY on PostgreSQL; the run is read again every `pollMs` in any case (SQLite has no NOTIFY).
   */
  async awaitResponse(runId: string, timeoutMs: number, signal: AbortSignal, pollMs = this.store.notifications.live ? 1_000 : 100): Promise<unknown> {
    const deadline = Date.now() + timeoutMs;
    let woken = false;
    let wake = (): void => void (woken = true);
    const unsubscribe = await this.store.notifications.on(CHANNELS.runEvents, (id) => id === runId && wake());
    const onAbort = (): void => wake();
    signal.addEventListener('abort', onAbort, { once: true });
    try {
      for (;;) {
        woken = false;
        const run = await this.get(runId);
        if (run?.response) return JSON.parse(run.response) as unknown;
        if (!run || run.status !== 'Running' || signal.aborted) return undefined;
        const left = deadline - Date.now();
        if (left <= 0) return 'timeout';
        if (woken) continue;
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, Math.min(pollMs, left));
          wake = () => {
            clearTimeout(timer);
            resolve();
          };
        });
        wake = () => void (woken = true);
      }
    } finally {
      unsubscribe();
      signal.removeEventListener('abort', onAbort);
    }
  }

  /** Tells workers that an unowned run waits for one of them. */
  async announce(runId: string): Promise<void> {
    await this.store.notifications.send(this.db, CHANNELS.runs, runId);
  }

  /**
   * Takes over up to `limit` runs that no live process holds (unowned, or their lease ran out)
   * and answers their ids. One statement: on PostgreSQL the candidates are locked with
   * SKIP LOCKED, so workers claiming at once take different runs instead of queueing on the
   * same rows; the outer condition is checked again on the locked row. SQLite has one writer.
   */
  async claimOrphans(owner: string, leaseMs: number, limit: number): Promise<string[]> {
    const now = Date.now();
    let candidates = this.db.selectFrom('workflow_runs').select('id').where('status', '=', 'Running').where('lease_until', '<', now).orderBy('id').limit(limit);
    if (this.store.dialect === 'postgres') candidates = candidates.forUpdate().skipLocked();
    const rows = await this.db
      .updateTable('workflow_runs')
      .set({ lease_owner: owner, lease_until: now + leaseMs })
      .where('id', 'in', candidates)
      .where('status', '=', 'Running')
      .where('lease_until', '<', now)
      .returning('id')
      .execute();
    return rows.map((r) => r.id);
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
