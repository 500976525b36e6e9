import type { Kysely } from 'kysely';
import type { MigrationContext } from '../migrate.js';

/** Many processes on one database (SPEC §6 "At scale"). */
export async function up(db: Kysely<any>, _ctx: MigrationContext): Promise<void> {
  // Which processes are delivering through a connection right now, each renewing its row while it does:
  // a process holding more of the connection's session slots than its share gives the extra back.
  await db.schema
    .createTable('outbox_slot_demand')
    .addColumn('connection', 'text', (c) => c.notNull())
    .addColumn('owner', 'text', (c) => c.notNull())
    .addColumn('until', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('outbox_slot_demand_pk', ['connection', 'owner'])
    .execute();
}
