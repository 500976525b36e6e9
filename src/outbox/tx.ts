import { sql, type SelectQueryBuilder } from 'kysely';
import type { Store } from '../store/db.js';
import { outboxDb, type OutboxDb } from './tables.js';

/**
 * A write transaction that is safe across processes. On SQLite it is BEGIN IMMEDIATE: a deferred
 * transaction that reads and then writes fails with SQLITE_BUSY_SNAPSHOT when another process
 * committed in between, and the busy timeout does not cover that case. It takes its turn with
 * the writer thread's transactions (SqliteWriter.exclusive) instead of colliding with them.
 */
export async function writeTx<T>(store: Store, fn: (db: OutboxDb) => Promise<T>): Promise<T> {
  const db = outboxDb(store);
  if (!store.writer) return db.transaction().execute(fn);
  return store.writer.exclusive(() => db.connection().execute(async (conn) => {
    await sql`begin immediate`.execute(conn);
    try {
      const result = await fn(conn);
      await sql`commit`.execute(conn);
      return result;
    } catch (err) {
      await sql`rollback`.execute(conn).catch(() => undefined);
      throw err;
    }
  }));
}

/**
 * On PostgreSQL, leaves out rows another transaction holds (FOR UPDATE SKIP LOCKED) instead of
 * waiting on them: for updates of many rows that can run beside others touching the same rows
 * in another order (a lease renewal beside a batch of completions), which would otherwise
 * deadlock. SQLite has one writer at a time.
 */
export function skipLocked<DB, TB extends keyof DB, O>(store: Store, query: SelectQueryBuilder<DB, TB, O>): SelectQueryBuilder<DB, TB, O> {
  return store.dialect === 'postgres' ? query.forUpdate().skipLocked() : query;
}

/**
 * Serialises writers of one key inside a write transaction. SQLite's BEGIN IMMEDIATE already
 * serialises every writer; PostgreSQL needs an advisory lock held until commit.
 */
export async function lockKey(store: Store, tx: OutboxDb, key: string): Promise<void> {
  if (store.dialect === 'postgres') await sql`select pg_advisory_xact_lock(hashtext(${key}))`.execute(tx);
}
