/**
 * PostgreSQL as a trigger source: connection test, the tables a trigger can watch, and the
 * watch itself (change capture read between snapshots). See capture.ts for why it works so.
 */
import type { StoredConnection } from '../connections/repository.js';
import { withClient, type PgConnection } from './client.js';
import { listTables } from './tables.js';

export { scrub, SqlSourceError, target, type PgConnection, type Problem } from './client.js';
export { testPostgres, type SqlTestReport } from './connection-test.js';
export { parseTableName, type TableRef } from './tables.js';
export { pollWatch, startWatch, stopWatch, watchProblem, type WatchPoll, type WatchState, type WatchTarget } from './watch.js';

export const asPgConnection = (conn: StoredConnection): PgConnection => ({ ...(conn.settings as Omit<PgConnection, 'name'>), name: conn.name });

/** `GET /connections/{name}/objects`: the tables of the connection's schema; those without a primary key say so. */
export async function listPostgresTables(conn: PgConnection): Promise<Array<{ name: string; label: string }>> {
  const tables = await withClient(conn, (client) => listTables(client, conn.schema ?? 'public'));
  return tables.map((t) => ({ name: t.name, label: t.hasPrimaryKey ? t.name : `${t.name} (no primary key: cannot be watched)` }));
}
