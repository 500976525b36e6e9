import type { Compilable } from 'kysely';
import type { WriteStatement } from '../store/sqlite-writer.js';
import { completionShapes } from './delivery.js';
import { upsertKey } from './idempotency.js';
import type { Completion, Insertion } from './repository.js';
import type { OutboxDb } from './tables.js';

/**
 * The outbox's group-committed writes as statements for the SQLite writer thread: each one
 * compiled by Kysely once per batch, from its first item, and run with every item's parameters.
 * (PostgreSQL has its own bulk forms in bulk.ts; there every statement is a round trip.)
 */
function batchOf<T>(items: T[], compile: (item: T) => Compilable, parameters: (item: T) => unknown[]): WriteStatement {
  const compiled = compile(items[0]).compile();
  const rows = items.map(parameters);
  // The parameters are laid out by hand in Kysely's order; the first item proves the layout.
  if (compiled.parameters.length !== rows[0].length || compiled.parameters.some((p, i) => p !== rows[0][i])) {
    throw new Error(`parameters laid out unlike Kysely's for: ${compiled.sql}`);
  }
  return { sql: compiled.sql, rows };
}

/** Kysely lists an inserted row's columns in its keys' order, which rows built alike share. */
const insertParameters = (row: object): unknown[] => Object.values(row);

export function acceptStatements(db: OutboxDb, items: Insertion[]): WriteStatement[] {
  const statements = [batchOf(items, (x) => db.insertInto('messages').values(x.row), (x) => insertParameters(x.row))];
  const keys = items.flatMap((x) => (x.idempotency ? [x.idempotency] : []));
  if (keys.length > 0) statements.push(batchOf(keys, (key) => upsertKey(db.insertInto('idempotency_keys').values(key)), insertParameters));
  return statements;
}

export function completionStatements(db: OutboxDb, items: Completion[]): WriteStatement[] {
  const statements = completionShapes(items).map(({ columns, holderOnly, items: group }) =>
    batchOf(
      group,
      (c) => {
        const q = db.updateTable('messages').set(Object.fromEntries(columns.map((k) => [k, c.update[k]]))).where('id', '=', c.id);
        return holderOnly ? q.where('lease_owner', '=', c.owner) : q;
      },
      (c) => [...columns.map((k) => c.update[k]), c.id, ...(holderOnly ? [c.owner] : [])],
    ),
  );
  const rated = items.filter((c) => c.rateId);
  if (rated.length > 0) {
    statements.push(batchOf(rated, (c) => db.updateTable('outbox_sends').set({ until: c.attempt.finished_at }).where('id', '=', c.rateId!), (c) => [c.attempt.finished_at, c.rateId]));
  }
  statements.push(
    batchOf(
      items,
      (c) => db.insertInto('message_attempts').values(c.attempt).onConflict((oc) => oc.columns(['message_id', 'attempt']).doNothing()),
      (c) => insertParameters(c.attempt),
    ),
  );
  return statements;
}
