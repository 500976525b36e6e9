import type { Kysely } from 'kysely';
import type { MigrationContext } from '../migrate.js';

/**
 * The outbox's flow control lives in the database so that it holds across every process that
 * shares it: session slots (maxConnections) and the sliding-window log of sends (rateLimit).
 */
export async function up(db: Kysely<any>, _ctx: MigrationContext): Promise<void> {
  await db.schema.alterTable('messages').addColumn('path', 'text').execute();
  await db.schema.alterTable('messages').addColumn('mode', 'text', (c) => c.notNull().defaultTo('async')).execute();
  // Kept apart from `request` so that listing does not parse bodies with attachments.
  await db.schema.alterTable('messages').addColumn('subject', 'text', (c) => c.notNull().defaultTo('')).execute();
  // A worker claims one connection's due messages at a time; listing filters by status with an id cursor.
  await db.schema.createIndex('messages_claim').on('messages').columns(['connection', 'status', 'next_attempt_at']).execute();
  await db.schema.createIndex('messages_status_id').on('messages').columns(['status', 'id']).execute();
  await db.schema.createIndex('messages_lease').on('messages').columns(['lease_owner']).execute();

  // One row per (connection, slot < maxConnections): whoever holds the lease may run one SMTP session.
  await db.schema
    .createTable('outbox_slots')
    .addColumn('connection', 'text', (c) => c.notNull())
    .addColumn('slot', 'integer', (c) => c.notNull())
    .addColumn('owner', 'text')
    .addColumn('lease_until', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('outbox_slots_pk', ['connection', 'slot'])
    .execute();

  // One row per attempt of a rate-limited connection: `until` is the lease end while in flight, the finish time after.
  await db.schema
    .createTable('outbox_sends')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('connection', 'text', (c) => c.notNull())
    .addColumn('until', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('outbox_sends_window').on('outbox_sends').columns(['connection', 'until']).execute();
}
