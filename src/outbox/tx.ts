import { sql, type SelectQueryBuilder } from 'kysely';
import type { Store } from '../store/db.js';
import { outboxDb, type OutboxDb } from './tables.js';

/**
 * A write transaction. On SQLite every transaction begins IMMEDIATE and takes its turn with the
 * writer thread (see store/sqlite-dialect.ts), so that reading then writing is safe beside other
 * connections and processes.
 */
export function writeTx<T>(store: Store, fn: (db: OutboxDb) => Promise<T>): Promise<T> {
  return outboxDb(store).transaction().execute(fn);
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
