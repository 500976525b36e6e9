import crypto from 'node:crypto';
import type { InsertQueryBuilder, InsertResult } from 'kysely';
import { AppError } from '../errors.js';
import type { Store } from '../store/db.js';
import type { IdempotencyKeysTable } from '../store/schema.js';
import { outboxDb, type OutboxDatabase } from './tables.js';
import { writeTx } from './tx.js';

export const IDEMPOTENCY_TTL_MS = 24 * 3600 * 1000;
/** Status of a row whose request is still running. */
const IN_PROGRESS = 0;

export interface StoredAnswer {
  status: number;
  body: unknown;
  headers: Record<string, string>;
}

/** JSON with sorted keys: the same body written in another key order is the same request. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

export const requestHash = (parts: unknown): string => crypto.createHash('sha256').update(canonicalJson(parts)).digest('hex');

/** Stores an asynchronous accept's answer; a key older than 24 h (not looked up any more) is replaced. */
export const upsertKey = <Q extends InsertQueryBuilder<OutboxDatabase, 'idempotency_keys', InsertResult>>(q: Q): Q =>
  q.onConflict((oc) =>
    oc.columns(['api_key_id', 'key']).doUpdateSet((eb) => ({
      status: eb.ref('excluded.status'),
      body: eb.ref('excluded.body'),
      headers: eb.ref('excluded.headers'),
      request_hash: eb.ref('excluded.request_hash'),
    })),
  ) as Q;

/**
 * Idempotency-Key: keys are per API key, kept 24 h. The same key and body answer the first
 * answer again; another body is 409. An asynchronous accept stores its answer in the same
 * transaction as the message (see MessageRepository.insertMany); a synchronous send holds an
 * in-progress row while it runs.
 */
export class IdempotencyStore {
  /** Keys being handled in this process (see `hold`): a concurrent duplicate is refused without a database round-trip. */
  private readonly busy = new Set<string>();

  constructor(private readonly store: Store) {}

  /** The stored answer for this key, or undefined when the request should run; throws 409 on a reuse with another body. */
  async lookup(apiKeyId: string, key: string, hash: string): Promise<StoredAnswer | undefined> {
    const row = await outboxDb(this.store).selectFrom('idempotency_keys').selectAll().where('api_key_id', '=', apiKeyId).where('key', '=', key).executeTakeFirst();
    if (!row || row.created_at < Date.now() - IDEMPOTENCY_TTL_MS) return undefined;
    return answerOf(row, key, hash);
  }

  /** Marks the key as running in this process until `release`; false if it already is. */
  hold(apiKeyId: string, key: string): boolean {
    const id = `${apiKeyId}\0${key}`;
    if (this.busy.has(id)) return false;
    this.busy.add(id);
    return true;
  }

  release(apiKeyId: string, key: string): void {
    this.busy.delete(`${apiKeyId}\0${key}`);
  }

  /** Claims the key in the database for a synchronous send; an existing live row is answered instead. */
  async begin(apiKeyId: string, key: string, hash: string): Promise<StoredAnswer | undefined> {
    const now = Date.now();
    return writeTx(this.store, async (tx) => {
      const row = await tx.selectFrom('idempotency_keys').selectAll().where('api_key_id', '=', apiKeyId).where('key', '=', key).executeTakeFirst();
      if (row && row.created_at >= now - IDEMPOTENCY_TTL_MS) return answerOf(row, key, hash);
      if (row) await tx.deleteFrom('idempotency_keys').where('api_key_id', '=', apiKeyId).where('key', '=', key).execute();
      await tx.insertInto('idempotency_keys').values({ api_key_id: apiKeyId, key, request_hash: hash, status: IN_PROGRESS, body: '', headers: '{}', created_at: now }).execute();
      return undefined;
    });
  }

  async complete(apiKeyId: string, key: string, answer: StoredAnswer): Promise<void> {
    await writeTx(this.store, (tx) =>
      tx.updateTable('idempotency_keys').set({ status: answer.status, body: JSON.stringify(answer.body), headers: JSON.stringify(answer.headers) }).where('api_key_id', '=', apiKeyId).where('key', '=', key).execute(),
    );
  }

  /** Forgets a key whose request did nothing (our own fault, shutdown, rate limit): a retry runs again. */
  async abandon(apiKeyId: string, key: string): Promise<void> {
    await writeTx(this.store, (tx) => tx.deleteFrom('idempotency_keys').where('api_key_id', '=', apiKeyId).where('key', '=', key).where('status', '=', IN_PROGRESS).execute());
  }

  static row(apiKeyId: string, key: string, hash: string, answer: StoredAnswer): IdempotencyKeysTable {
    return { api_key_id: apiKeyId, key, request_hash: hash, status: answer.status, body: JSON.stringify(answer.body), headers: JSON.stringify(answer.headers), created_at: Date.now() };
  }
}

function answerOf(row: IdempotencyKeysTable, key: string, hash: string): StoredAnswer {
  if (row.request_hash !== hash) {
    throw new AppError(409, 'IdempotencyKeyReused', `The Idempotency-Key '${key}' was already used with a different request in the last 24 hours. Use a new key for a new email.`);
  }
  if (row.status === IN_PROGRESS) throw inProgress(key);
  return { status: row.status, body: JSON.parse(row.body) as unknown, headers: JSON.parse(row.headers) as Record<string, string> };
}

const inProgress = (key: string): AppError =>
  new AppError(409, 'IdempotencyKeyInProgress', `A request with the Idempotency-Key '${key}' is still being processed; retry in a moment to get its answer.`, {
    headers: { 'retry-after': '1' },
  });
