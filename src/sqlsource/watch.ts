/**
 * Watching one table for new rows: the PostgreSQL side of "SQL – When an item is created".
 * The caller (the workflow trigger) keeps a WatchState between polls and stores each next
 * state in the same transaction as the runs of the rows that led to it, so a poll that stops
 * halfway resumes where its last stored page ended.
 */
import crypto from 'node:crypto';
import { SqlSourceError, withClient, type PgConnection } from './client.js';
import { captureProblem, consumed, ensureCapture, registerConsumer, releaseCapture } from './capture.js';
import { currentSnapshot, readWindow, type LogPosition } from './new-rows.js';
import { requireWatchableTable, type TableInfo, type TableRef } from './tables.js';

export interface WatchTarget {
  /** Another database on the connection's server (the trigger path's `{database}`); default: the connection's. */
  database?: string;
  table: TableRef;
}

/** JSON-safe: it is kept in the trigger's memory. */
export interface WatchState {
  /** Names this watcher in `smtpflow.consumers` (which holds back pruning of the log). */
  consumer: string;
  /** Snapshot of the last completed window: rows it sees are done. */
  since: string;
  /** A window being read, and the last position stored. */
  until?: string;
  after?: LogPosition;
}

/** Why the table cannot be watched (missing, no primary key, capture not permitted, bad column); undefined when it can. */
export async function watchProblem(conn: PgConnection, where: WatchTarget, columns: string[] = []): Promise<SqlSourceError | undefined> {
  try {
    return await withClient(
      conn,
      async (client) => {
        const table = await requireWatchableTable(client, where.table, conn.schema ?? 'public');
        const unknown = columns.filter((c) => !table.columns.includes(c));
        if (unknown.length > 0) {
          return new SqlSourceError({ code: 'UnknownColumn', message: `Table '${table.table}' has no column ${unknown.map((c) => `'${c}'`).join(', ')}.`, fix: `Use its columns: ${table.columns.join(', ')}.` });
        }
        const problem = await captureProblem(client, table);
        return problem ? new SqlSourceError(problem) : undefined;
      },
      where.database,
    );
  } catch (err) {
    if (err instanceof SqlSourceError) return err;
    throw err;
  }
}

/**
 * The first poll: installs the capture if needed and remembers the snapshot taken after it, so
 * that rows present (or committed) by then never count as new.
 */
export async function startWatch(conn: PgConnection, where: WatchTarget, label: string): Promise<WatchState> {
  return withClient(
    conn,
    async (client) => {
      const table = await requireWatchableTable(client, where.table, conn.schema ?? 'public');
      const consumer = `${label}/${crypto.randomBytes(6).toString('hex')}`;
      // Registered before the starting snapshot is taken: from then on no other poll prunes what this one will read.
      await registerConsumer(client, consumer, table);
      return { consumer, since: await currentSnapshot(client) };
    },
    where.database,
  );
}

export interface WatchPoll {
  pageSize: number;
  /**
   * Stores `next` with one run per row, atomically; false when the stored state is no longer
   * `from` (another process polled meanwhile, or the trigger changed): the poll then stops.
   */
  deliver(rows: Array<Record<string, unknown>>, from: WatchState, next: WatchState): Promise<boolean>;
  /** The capture trigger was missing and has been put back: rows inserted meanwhile were not logged. */
  reinstalled(): void;
}

/** Reads the window from `state.since` to now (or finishes the window in progress), page by page. */
export async function pollWatch(conn: PgConnection, where: WatchTarget, state: WatchState, poll: WatchPoll): Promise<void> {
  await withClient(
    conn,
    async (client) => {
      const table: TableInfo = await requireWatchableTable(client, where.table, conn.schema ?? 'public');
      if (await ensureCapture(client, table)) poll.reinstalled();
      let from = state;
      const until = state.until ?? (await currentSnapshot(client));
      for (;;) {
        const page = await readWindow(client, table, from.since, until, from.after, poll.pageSize);
        const done = page.length < poll.pageSize;
        if (page.length === 0 && from.until === undefined) break; // nothing new: the stored state stays as it is
        const next: WatchState = done ? { consumer: from.consumer, since: until } : { ...from, until, after: page[page.length - 1].position };
        // A row deleted before this poll has nothing left to report; its log entry is passed over.
        const rows = page.flatMap((entry) => (entry.row ? [entry.row] : []));
        if (!(await poll.deliver(rows, from, next))) return;
        from = next;
        if (done) break;
      }
      await consumed(client, from.consumer, table, from.since);
    },
    where.database,
  );
}

/**
 * The watcher is gone for good (its workflow was deleted): see releaseCapture. Answers whether
 * the table's insert trigger was dropped; a table that no longer exists has nothing to release.
 */
export async function stopWatch(conn: PgConnection, where: WatchTarget, consumer: string): Promise<boolean> {
  return withClient(
    conn,
    async (client) => {
      let table: TableInfo;
      try {
        table = await requireWatchableTable(client, where.table, conn.schema ?? 'public');
      } catch (err) {
        if (err instanceof SqlSourceError && err.problem.code === 'TableNotFound') return false;
        throw err;
      }
      return releaseCapture(client, consumer, table);
    },
    where.database,
  );
}
