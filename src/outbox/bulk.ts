import { sql } from 'kysely';
import { completionShapes } from './delivery.js';
import type { Completion } from './repository.js';
import type { MessageRow, OutboxDb } from './tables.js';

/** Integer columns of `messages` a completion may set; every other one it sets is text. */
const INTEGER_COLUMNS = new Set<keyof MessageRow>(['attempts', 'next_attempt_at', 'lease_until', 'updated_at', 'sent_at', 'expires_at']);

/**
 * PostgreSQL: many completions as one UPDATE per shape instead of one per message. Every
 * statement is a round trip to the server and a plan there; at hundreds of messages a second
 * those dominated a worker's database time. Kysely has no bulk UPDATE, hence the SQL here:
 * the values travel as one array per column and `unnest` zips them into rows.
 * (SQLite's writer thread runs one prepared statement per message: sqlite-batches.ts.)
 */
export async function completeInBulk(tx: OutboxDb, items: Completion[]): Promise<void> {
  for (const { columns, holderOnly, items: group } of completionShapes(items)) {
    const arrays = [
      sql`${group.map((c) => c.id)}::text[]`,
      sql`${group.map((c) => c.owner)}::text[]`,
      ...columns.map((col) => sql`${group.map((c) => c.update[col] ?? null)}::${sql.raw(INTEGER_COLUMNS.has(col) ? 'bigint' : 'text')}[]`),
    ];
    const names = sql.join([sql.ref('id'), sql.ref('owner'), ...columns.map((col) => sql.ref(col))]);
    const holder = holderOnly ? sql`and m.lease_owner = v.owner` : sql``;
    await sql`
      update messages as m set ${sql.join(columns.map((col) => sql`${sql.ref(col)} = v.${sql.ref(col)}`))}
      from unnest(${sql.join(arrays)}) as v(${names})
      where m.id = v.id ${holder}`.execute(tx);
  }
  const rated = items.filter((c) => c.rateId);
  if (rated.length > 0) {
    await sql`
      update outbox_sends as s set until = v.until
      from unnest(${rated.map((c) => c.rateId)}::text[], ${rated.map((c) => c.attempt.finished_at)}::bigint[]) as v(id, until)
      where s.id = v.id`.execute(tx);
  }
}
