/**
 * Reading the capture log (capture.ts) between two snapshots. A window is (since, until]: the
 * entries whose transaction `until` sees and `since` did not. Every committed entry is visible
 * in all snapshots taken after its commit and in none before, so consecutive windows
 * (s0, s1], (s1, s2], … hold each entry exactly once — also when transactions commit in
 * another order than they took their ids, and however long one stays open: until it commits,
 * no window has it; the first window whose `until` sees it does.
 */
import type pg from 'pg';
import { escapeIdentifier } from 'pg';
import { CAPTURE_SCHEMA } from './capture.js';
import type { TableInfo } from './tables.js';

/** `pg_current_snapshot()` as text ("xmin:xmax:xip,…"): what a trigger remembers between polls. */
export async function currentSnapshot(client: pg.Client): Promise<string> {
  return (await client.query<{ s: string }>('SELECT pg_current_snapshot()::text AS s')).rows[0].s;
}

/** Position inside a window, in (xid, seq) order: a poll interrupted after a page resumes after it. */
export interface LogPosition {
  xid: string;
  seq: string;
}

export interface NewRow {
  position: LogPosition;
  /** The row as it is now (to_jsonb: column names as keys); null when it was deleted since. */
  row: Record<string, unknown> | null;
}

/** One page of the window, after `after`, in (xid, seq) order, joined to the table by primary key. */
export async function readWindow(client: pg.Client, table: TableInfo, since: string, until: string, after: LogPosition | undefined, limit: number): Promise<NewRow[]> {
  const rowType = `${escapeIdentifier(table.schema)}.${escapeIdentifier(table.table)}`;
  // jsonb_populate_record turns the logged key back into the columns' own types, so the join
  // compares like with like and uses the table's primary key index.
  const keyMatch = table.primaryKey.map((c) => `t.${escapeIdentifier(c)} = k.${escapeIdentifier(c)}`).join(' AND ');
  const { rows } = await client.query<{ xid: string; seq: string; row: Record<string, unknown> | null }>(
    `SELECT l.xid::text AS xid, l.seq::text AS seq, to_jsonb(t) AS row
       FROM ${CAPTURE_SCHEMA}.new_rows l
       LEFT JOIN LATERAL (
         SELECT t.* FROM ${rowType} t, jsonb_populate_record(NULL::${rowType}, l.pk) k WHERE ${keyMatch}
       ) t ON true
      WHERE l.rel = $1
        AND l.xid >= pg_snapshot_xmin($2::pg_snapshot) AND l.xid < pg_snapshot_xmax($3::pg_snapshot)
        AND NOT pg_visible_in_snapshot(l.xid, $2::pg_snapshot)
        AND pg_visible_in_snapshot(l.xid, $3::pg_snapshot)
        AND (l.xid, l.seq) > ($4::xid8, $5::bigint)
      ORDER BY l.xid, l.seq
      LIMIT $6`,
    [table.oid, since, until, after?.xid ?? '0', after?.seq ?? '0', limit],
  );
  return rows.map((r) => ({ position: { xid: r.xid, seq: r.seq }, row: r.row }));
}
