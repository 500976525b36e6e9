import type { Kysely } from 'kysely';
import type { StoredConnection } from '../../connections/repository.js';
import type { Logger } from '../../log.js';
import { actionConnection, type ActionDef, type TriggerDef, type WorkflowDefinition, type WorkflowParameters } from '../definition.js';
import type { TriggerState } from '../repository.js';
import type { RunRepository } from '../runs.js';
import { parseJson, type WorkflowDatabase, type WorkflowTriggersTable } from '../tables.js';
import { connectorPoll } from './connector.js';
import { connectorTriggerFor, triggerKind } from './index.js';
import type { AddressGuard } from './address-guard.js';
import { pollItems } from './http-poll.js';
import { nextOccurrence } from './recurrence.js';

export interface SchedulerDeps {
  db: Kysely<WorkflowDatabase>;
  runs: RunRepository;
  log: Logger;
  owner: string;
  leaseMs: number;
  /** A run was recorded and leased to this process: execute it. */
  started(runId: string): void;
  /** A connection with its secrets, for connector triggers (Salesforce, SQL). */
  resolveConnection(name: string): Promise<StoredConnection>;
  tickMs?: number;
  /** On PostgreSQL a firing locks its trigger row with SKIP LOCKED: processes never queue on one another. */
  dialect?: 'sqlite' | 'postgres';
  /** Where HttpPoll triggers may connect (SSRF guard). */
  guard: AddressGuard;
}

/**
 * Fires Recurrence, HttpPoll and connector (ApiConnection) triggers when their persisted due time comes. Claiming a firing
 * is a compare-and-set of `next_due_at` in the same transaction that records the run, so each
 * occurrence fires once across restarts and across processes sharing the database. Occurrences
 * missed while no process ran are fired once, then the schedule continues from now.
 */
export class TriggerScheduler {
  private timer?: NodeJS.Timeout;
  private ticking?: Promise<void>;
  private stopped = false;
  private readonly polls = new Set<Promise<void>>();
  /** Triggers (workflow, trigger) with a poll under way in this process. */
  private readonly polling = new Set<string>();

  constructor(private readonly deps: SchedulerDeps) {}

  start(): void {
    this.stopped = false;
    this.arm(0);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.ticking;
    await Promise.allSettled([...this.polls]);
  }

  private arm(delay: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.ticking = this.tick().finally(() => {
        this.ticking = undefined;
        this.arm(this.deps.tickMs ?? 200);
      });
    }, delay);
    this.timer.unref();
  }

  private async tick(): Promise<void> {
    try {
      const now = Date.now();
      const due = await this.deps.db
        .selectFrom('workflow_triggers')
        .innerJoin('workflows', 'workflows.name', 'workflow_triggers.workflow')
        .selectAll('workflow_triggers')
        .select(['workflows.definition as definition', 'workflows.parameters as parameters'])
        .where('workflow_triggers.next_due_at', '<=', now)
        .where('workflows.state', '=', 'Enabled')
        .orderBy('workflow_triggers.next_due_at')
        .limit(50)
        .execute();
      for (const row of due) {
        if (this.stopped) return;
        const trigger = (JSON.parse(row.definition) as WorkflowDefinition).triggers?.[row.trigger];
        if (!trigger?.recurrence) continue;
        const kind = triggerKind(trigger);
        if (kind === 'Recurrence') await this.fireRecurrence(row, trigger, now);
        else if (kind === 'HttpPoll' || kind === 'ApiConnection') await this.startPoll(row, trigger, now);
      }
    } catch (err) {
      this.deps.log.warn({ err }, 'workflow trigger scheduler tick failed; retrying');
    }
  }

  /** Moves the due time on; false when another process (or an earlier tick) already did. */
  private async advance(db: Kysely<WorkflowDatabase>, row: WorkflowTriggersTable, trigger: TriggerDef, now: number): Promise<number | null | false> {
    const state = parseJson<TriggerState>(row.state) ?? {};
    const next = nextOccurrence(trigger.recurrence!, state.anchor ?? now, Math.max(now, row.next_due_at ?? now)) ?? null;
    let update = db
      .updateTable('workflow_triggers')
      .set({ next_due_at: next, updated_at: now })
      .where('workflow', '=', row.workflow)
      .where('trigger', '=', row.trigger)
      .where('config_hash', '=', row.config_hash)
      .where('next_due_at', '=', row.next_due_at);
    if (this.deps.dialect === 'postgres') {
      // The process firing it right now holds the row: skip it rather than wait to find it advanced.
      const free = db.selectFrom('workflow_triggers').select('trigger').where('workflow', '=', row.workflow).where('trigger', '=', row.trigger).forUpdate().skipLocked();
      update = update.where('trigger', 'in', free);
    }
    const result = await update.executeTakeFirst();
    return Number(result.numUpdatedRows) === 1 ? next : false;
  }

  private async fireRecurrence(row: WorkflowTriggersTable & { definition: string }, trigger: TriggerDef, now: number): Promise<void> {
    const runId = await this.deps.db.transaction().execute(async (trx) => {
      if ((await this.advance(trx as unknown as Kysely<WorkflowDatabase>, row, trigger, now)) === false) return undefined;
      const wf = await trx.selectFrom('workflows').select(['definition', 'parameters']).where('name', '=', row.workflow).executeTakeFirst();
      if (!wf) return undefined;
      const scheduled = new Date(row.next_due_at ?? now).toISOString();
      return this.deps.runs.create(
        {
          workflow: row.workflow,
          trigger: row.trigger,
          definition: JSON.parse(wf.definition),
          parameters: JSON.parse(wf.parameters),
          triggerOutputs: { headers: {}, body: { scheduledTime: scheduled, startTime: new Date(now).toISOString() } },
          owner: this.deps.owner,
          leaseMs: this.deps.leaseMs,
        },
        trx,
      );
    });
    if (!runId) return;
    // Which process fired which occurrence: what to look for when a firing seems missing or doubled.
    this.deps.log.info({ workflow: row.workflow, trigger: row.trigger, run: runId, scheduledTime: new Date(row.next_due_at ?? now).toISOString() }, 'trigger fired');
    this.deps.started(runId);
  }

  /** Polls run beside the tick (an endpoint may be slow); the due time is claimed first, so a poll happens once. */
  private async startPoll(row: WorkflowTriggersTable & { definition: string; parameters: string }, trigger: TriggerDef, now: number): Promise<void> {
    if ((await this.advance(this.deps.db, row, trigger, now)) === false) return;
    // A poll still under way (a large batch) reads everything up to its start: another one at the same time would only redo its work.
    const key = JSON.stringify([row.workflow, row.trigger]);
    if (this.polling.has(key)) return;
    this.polling.add(key);
    const deps = { ...this.deps, workflow: row.workflow, trigger: row.trigger, def: trigger, configHash: row.config_hash };
    const poll = (triggerKind(trigger) === 'HttpPoll' ? pollItems(deps) : this.pollConnector(deps, row))
      .catch((err: unknown) => this.deps.log.warn({ err, workflow: row.workflow, trigger: row.trigger }, `${trigger.type} trigger failed; it polls again at its next interval`))
      .finally(() => {
        this.polls.delete(poll);
        this.polling.delete(key);
      });
    this.polls.add(poll);
  }

  private async pollConnector(deps: Parameters<typeof pollItems>[0], row: WorkflowTriggersTable & { parameters: string }): Promise<void> {
    const parameters = JSON.parse(row.parameters) as WorkflowParameters;
    const ref = actionConnection(deps.def as ActionDef, parameters);
    if (!ref.name) throw new Error(`the trigger names no connection it can use: ${ref.problem ?? `'${ref.expression}' is only known at run time`}`);
    const connection = await this.deps.resolveConnection(ref.name);
    const state = parseJson<TriggerState>(row.state) ?? {};
    await connectorTriggerFor(deps.def)!.poll(connectorPoll({ ...deps, parameters, connection, state }));
  }
}
