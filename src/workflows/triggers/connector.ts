import type { Kysely } from 'kysely';
import type { StoredConnection } from '../../connections/repository.js';
import type { Logger } from '../../log.js';
import type { TriggerDef, WorkflowParameters } from '../definition.js';
import type { TriggerState } from '../repository.js';
import { parseJson, type WorkflowDatabase } from '../tables.js';
import { createRun, type PollDeps } from './http-poll.js';

/**
 * A polling trigger of a connector, in Logic Apps' `ApiConnection` trigger form: Salesforce's
 * "When a record is created", SQL's "When an item is created". Each one registers in
 * CONNECTOR_TRIGGERS (triggers/index.ts); the scheduler polls it at its `recurrence`, on the
 * connection its `inputs.host.connection.name` names through `$connections`.
 */
export interface ConnectorTrigger {
  /** The type the trigger's connection must have ('salesforce', 'postgres'). */
  connectionType: string;
  /** Whether an ApiConnection trigger's `inputs.path` is one of this connector's operations. */
  matches(path: string): boolean;
  /** Problems of the trigger's inputs, each with its field relative to the trigger ('inputs.queries.$filter'). */
  problems(trigger: TriggerDef): Array<{ field: string; message: string }>;
  /** Optional check against the source when the workflow is saved (e.g. that a table has a primary key); same shape as `problems`. */
  check?(trigger: TriggerDef, ctx: { connection: StoredConnection; parameters: WorkflowParameters }): Promise<Array<{ field: string; message: string }>>;
  /** One poll: find what is new since `ctx.state`, and commit each new item with its run. */
  poll(ctx: ConnectorPoll): Promise<void>;
  /**
   * The workflow was deleted: give back what the trigger holds at the source (the SQL trigger's
   * insert capture). Answers what was done, for the log; best effort, the deletion stands anyway.
   */
  release?(trigger: TriggerDef, ctx: { connection: StoredConnection; parameters: WorkflowParameters; state: TriggerState }): Promise<string | undefined>;
}

/** What a poll sees and may do. */
export interface ConnectorPoll {
  workflow: string;
  trigger: string;
  def: TriggerDef;
  /** The workflow's parameters, for `@parameters(…)` in the trigger's inputs. */
  parameters: WorkflowParameters;
  connection: StoredConnection;
  log: Logger;
  /** The trigger's memory when the poll started. */
  state: TriggerState;
  /**
   * One transaction: `change` gets the memory as stored now and answers the next one (undefined:
   * leave it); the next memory is stored and one run is recorded per body. False when the
   * memory was changed meanwhile (another process, or the trigger was redefined): the caller
   * must not count those items as fired. This is what makes each item fire exactly once.
   */
  commit(change: (current: TriggerState) => TriggerState | undefined, bodies: unknown[]): Promise<boolean>;
  /** Polls no sooner than `ms` from now (the source asked to slow down). */
  postpone(ms: number): Promise<void>;
}

export interface ConnectorPollDeps extends PollDeps {
  parameters: WorkflowParameters;
  connection: StoredConnection;
  state: TriggerState;
}

export function connectorPoll(deps: ConnectorPollDeps): ConnectorPoll {
  const where = { workflow: deps.workflow, trigger: deps.trigger };
  return {
    workflow: deps.workflow,
    trigger: deps.trigger,
    def: deps.def,
    parameters: deps.parameters,
    connection: deps.connection,
    log: deps.log,
    state: deps.state,
    async commit(change, bodies) {
      const runIds = await deps.db.transaction().execute(async (trx) => {
        const current = await trx.selectFrom('workflow_triggers').select(['state', 'config_hash']).where('workflow', '=', where.workflow).where('trigger', '=', where.trigger).executeTakeFirst();
        if (!current || current.config_hash !== deps.configHash) return undefined;
        const next = change(parseJson<TriggerState>(current.state) ?? {});
        if (next === undefined) return undefined;
        const moved = await trx
          .updateTable('workflow_triggers')
          .set({ state: JSON.stringify(next) })
          .where('workflow', '=', where.workflow)
          .where('trigger', '=', where.trigger)
          .where('state', '=', current.state)
          .executeTakeFirst();
        if (Number(moved.numUpdatedRows) !== 1) return undefined;
        const ids: string[] = [];
        for (const body of bodies) {
          const id = await createRun(deps, trx as unknown as Kysely<WorkflowDatabase>, body);
          if (id) ids.push(id);
        }
        return ids;
      });
      for (const id of runIds ?? []) deps.started(id);
      return runIds !== undefined;
    },
    async postpone(ms) {
      const due = Date.now() + ms;
      await deps.db
        .updateTable('workflow_triggers')
        .set({ next_due_at: due })
        .where('workflow', '=', where.workflow)
        .where('trigger', '=', where.trigger)
        .where('config_hash', '=', deps.configHash)
        .where('next_due_at', '<', due)
        .execute();
    },
  };
}
