import type { Kysely } from 'kysely';
import type { MigrationContext } from '../migrate.js';

/** Workflows (Logic Apps definitions), their triggers' persisted state, and run history. */
export async function up(db: Kysely<any>, _ctx: MigrationContext): Promise<void> {
  await db.schema
    .createTable('workflows')
    .addColumn('name', 'text', (c) => c.primaryKey())
    .addColumn('definition', 'text', (c) => c.notNull())
    .addColumn('parameters', 'text', (c) => c.notNull())
    .addColumn('state', 'text', (c) => c.notNull())
    .addColumn('version', 'integer', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .execute();

  // One row per (workflow, trigger): when it is next due (Recurrence, HttpPoll) and what it remembers.
  await db.schema
    .createTable('workflow_triggers')
    .addColumn('workflow', 'text', (c) => c.notNull())
    .addColumn('trigger', 'text', (c) => c.notNull())
    .addColumn('type', 'text', (c) => c.notNull())
    .addColumn('config_hash', 'text', (c) => c.notNull())
    .addColumn('next_due_at', 'bigint')
    .addColumn('state', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('workflow_triggers_pk', ['workflow', 'trigger'])
    .execute();
  await db.schema.createIndex('workflow_triggers_due').on('workflow_triggers').column('next_due_at').execute();

  // Ids an HttpPoll trigger has seen: a primary key makes "fire once per item" hold across processes.
  await db.schema
    .createTable('workflow_trigger_seen')
    .addColumn('workflow', 'text', (c) => c.notNull())
    .addColumn('trigger', 'text', (c) => c.notNull())
    .addColumn('item_id', 'text', (c) => c.notNull())
    .addColumn('seen_at', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('workflow_trigger_seen_pk', ['workflow', 'trigger', 'item_id'])
    .execute();

  await db.schema
    .createTable('workflow_runs')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('workflow', 'text', (c) => c.notNull())
    .addColumn('trigger', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    // The definition and parameters as they were when the run started: a resumed run finishes as it began.
    .addColumn('definition', 'text', (c) => c.notNull())
    .addColumn('parameters', 'text', (c) => c.notNull())
    .addColumn('trigger_outputs', 'text', (c) => c.notNull())
    .addColumn('response', 'text')
    .addColumn('error', 'text')
    .addColumn('resubmitted_from', 'text')
    .addColumn('lease_owner', 'text')
    .addColumn('lease_until', 'bigint', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('ended_at', 'bigint')
    .execute();
  await db.schema.createIndex('workflow_runs_workflow').on('workflow_runs').columns(['workflow', 'id']).execute();
  await db.schema.createIndex('workflow_runs_active').on('workflow_runs').columns(['status', 'lease_until']).execute();

  await db.schema
    .createTable('workflow_run_actions')
    .addColumn('run_id', 'text', (c) => c.notNull())
    .addColumn('name', 'text', (c) => c.notNull())
    // Iteration indexes of enclosing Foreach loops, e.g. "2" or "2.0"; '' outside loops.
    .addColumn('repetition', 'text', (c) => c.notNull())
    .addColumn('type', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('inputs', 'text')
    .addColumn('outputs', 'text')
    .addColumn('body', 'text')
    .addColumn('error', 'text')
    // What a resumed action needs to pick up where it was (e.g. the outbox message it enqueued).
    .addColumn('tracking', 'text')
    .addColumn('attempts', 'integer', (c) => c.notNull())
    .addColumn('started_at', 'bigint', (c) => c.notNull())
    .addColumn('ended_at', 'bigint')
    .addPrimaryKeyConstraint('workflow_run_actions_pk', ['run_id', 'name', 'repetition'])
    .execute();
}
