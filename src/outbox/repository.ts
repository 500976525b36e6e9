import { AppError } from '../errors.js';
import type { Store } from '../store/db.js';
import { CHANNELS } from '../store/notify.js';
import { completeInBulk } from './bulk.js';
import { upsertKey } from './idempotency.js';
import { acceptStatements, completionStatements } from './sqlite-batches.js';
import type { IdempotencyKeysTable, MessageAttemptsTable } from '../store/schema.js';
import type { AttemptView, MessageDetail, MessageList, MessageListQuery, MessageView } from './schema.js';
import { outboxDb, type MessageRow, type OutboxDb } from './tables.js';
import { writeTx } from './tx.js';

/** What one delivery attempt changes, committed together with other attempts (group commit). */
export interface Completion {
  id: string;
  /** The worker that held the lease; a failure is only recorded while it still does. */
  owner: string;
  attempt: MessageAttemptsTable;
  update: Partial<MessageRow>;
  /** The rate-window row of this attempt, closed at the finish time. */
  rateId?: string;
}

/** A message to insert, and the idempotent answer to keep with it in the same transaction. */
export interface Insertion {
  row: MessageRow;
  idempotency?: IdempotencyKeysTable;
}

const FINAL = new Set(['sent', 'failed', 'cancelled']);
const iso = (ms: number | null | undefined): string | undefined => (ms === null || ms === undefined ? undefined : new Date(ms).toISOString());
const json = <T>(text: string | null, fallback: T): T => {
  if (!text) return fallback;
  try {
    return JSON.parse(text) as T;
  } catch {
    return fallback;
  }
};
const notFound = (id: string): AppError =>
  new AppError(404, 'NotFound', `No message with id '${id}'. List messages with GET /api/v1/messages.`);

export class MessageRepository {
  private readonly db: OutboxDb;

  constructor(private readonly store: Store) {
    this.db = outboxDb(store);
  }

  /** Many accepted messages in one transaction: one fsync on SQLite however many requests wait on it. */
  async insertMany(items: Insertion[]): Promise<void> {
    // SQLite: committed on the writer thread, beside the event loop.
    if (this.store.writer) return this.store.writer.transaction(acceptStatements(this.db, items));
    await writeTx(this.store, async (tx) => {
      // 26 columns: chunks keep a statement under the bound-parameter limit.
      for (let i = 0; i < items.length; i += 200) {
        await tx.insertInto('messages').values(items.slice(i, i + 200).map((x) => x.row)).execute();
      }
      for (const { idempotency } of items) if (idempotency) await upsertKey(tx.insertInto('idempotency_keys').values(idempotency)).execute();
      // Sent on commit: idle workers in other processes claim the new messages at once.
      const queued = new Set(items.filter((x) => x.row.status === 'queued').map((x) => x.row.connection));
      for (const connection of queued) await this.store.notifications.send(tx, CHANNELS.outbox, connection);
    });
  }

  async completeMany(items: Completion[]): Promise<void> {
    if (this.store.writer) return this.store.writer.transaction(completionStatements(this.db, items));
    await writeTx(this.store, async (tx) => {
      await completeInBulk(tx, items);
      for (let i = 0; i < items.length; i += 400) {
        await tx
          .insertInto('message_attempts')
          .values(items.slice(i, i + 400).map((c) => c.attempt))
          .onConflict((oc) => oc.columns(['message_id', 'attempt']).doNothing())
          .execute();
      }
    });
  }

  async row(id: string): Promise<MessageRow> {
    const row = await this.db.selectFrom('messages').selectAll().where('id', '=', id).executeTakeFirst();
    if (!row) throw notFound(id);
    return row;
  }

  async get(id: string): Promise<MessageDetail> {
    const row = await this.row(id);
    const attempts = await this.db.selectFrom('message_attempts').selectAll().where('message_id', '=', id).orderBy('attempt').execute();
    return { ...toView(row), attempts: attempts.map(attemptView) };
  }

  /** Newest first; ids are time-ordered, so the cursor is the last id of the page. */
  async list(query: MessageListQuery): Promise<MessageList> {
    const limit = query.limit ?? 50;
    let q = this.db.selectFrom('messages').select(VIEW_COLUMNS).orderBy('id', 'desc').limit(limit + 1);
    if (query.status) q = q.where('status', '=', query.status as MessageRow['status']);
    if (query.connection) q = q.where('connection', '=', query.connection);
    if (query.cursor) q = q.where('id', '<', query.cursor);
    const rows = await q.execute();
    const page = rows.slice(0, limit).map((r) => toView(r as MessageRow));
    return rows.length > limit ? { items: page, nextCursor: page[page.length - 1].id } : { items: page };
  }

  /** Back to the queue now, with a fresh lifetime: for a failed, cancelled or still-retrying message. */
  async retry(id: string, lifetimeMs: number): Promise<MessageView> {
    const row = await this.row(id);
    if (!['failed', 'cancelled', 'retrying'].includes(row.status)) {
      throw new AppError(409, 'MessageNotRetryable', `Message '${id}' is ${row.status}; only a failed, cancelled or retrying message can be retried.`);
    }
    const now = Date.now();
    const result = await writeTx(this.store, async (tx) => {
      const updated = await tx
        .updateTable('messages')
        .set({ status: row.attempts > 0 ? 'retrying' : 'queued', next_attempt_at: now, expires_at: now + lifetimeMs, lease_owner: null, lease_until: null, updated_at: now })
        .where('id', '=', id)
        .where('status', '=', row.status)
        .executeTakeFirst();
      await this.store.notifications.send(tx, CHANNELS.outbox, row.connection);
      return updated;
    });
    if (Number(result.numUpdatedRows) !== 1) return this.retry(id, lifetimeMs);
    return toView(await this.row(id));
  }

  /** Only a message that is waiting can be cancelled: one in an SMTP transaction may already be delivered. */
  async cancel(id: string): Promise<MessageView> {
    const now = Date.now();
    const result = await writeTx(this.store, (tx) =>
      tx
        .updateTable('messages')
        .set({ status: 'cancelled', lease_owner: null, lease_until: null, updated_at: now })
        .where('id', '=', id)
        .where('status', 'in', ['queued', 'retrying'])
        .executeTakeFirst(),
    );
    const row = await this.row(id);
    if (Number(result.numUpdatedRows) !== 1) {
      const why = row.status === 'sending' ? 'it is being sent right now' : `it is already ${row.status}`;
      throw new AppError(409, 'MessageNotCancellable', `Message '${id}' cannot be cancelled: ${why}. Only queued or retrying messages can be cancelled.`);
    }
    return toView(row);
  }
}

const VIEW_COLUMNS = [
  'id', 'connection', 'status', 'message_id', 'source', 'mode', 'date', 'envelope_from', 'recipients', 'subject', 'attempts',
  'next_attempt_at', 'expires_at', 'accepted', 'rejected', 'response', 'last_error', 'run_id', 'created_at', 'updated_at', 'sent_at',
] as const;

export function toView(row: MessageRow): MessageView {
  const view: MessageView = {
    id: row.id,
    connection: row.connection,
    status: row.status,
    messageId: row.message_id,
    source: row.source,
    mode: row.mode === 'sync' ? 'sync' : 'async',
    from: row.envelope_from,
    recipients: json<string[]>(row.recipients, []),
    subject: row.subject ?? '',
    attemptCount: row.attempts,
    accepted: json<string[]>(row.accepted, []),
    rejected: json<string[]>(row.rejected, []),
    createdAt: iso(row.created_at)!,
    updatedAt: iso(row.updated_at)!,
    date: iso(row.date)!,
    expiresAt: iso(row.expires_at)!,
  };
  if (row.response) view.response = row.response;
  const error = json<MessageView['error'] | undefined>(row.last_error, undefined);
  if (error) view.error = error;
  if (!FINAL.has(row.status)) view.nextAttemptAt = iso(row.next_attempt_at);
  if (row.sent_at) view.sentAt = iso(row.sent_at);
  if (row.run_id) view.runId = row.run_id;
  return view;
}

function attemptView(row: MessageAttemptsTable): AttemptView {
  const view: AttemptView = {
    attempt: row.attempt,
    startedAt: iso(row.started_at)!,
    finishedAt: iso(row.finished_at)!,
    outcome: row.outcome as AttemptView['outcome'],
    accepted: json<string[]>(row.accepted, []),
    rejected: json<AttemptView['rejected']>(row.rejected, []),
  };
  if (row.smtp_code !== null || row.response !== null) {
    view.smtp = {};
    if (row.smtp_code !== null) view.smtp.code = row.smtp_code;
    if (row.enhanced_code !== null) view.smtp.enhancedCode = row.enhanced_code;
    if (row.response !== null) view.smtp.response = row.response;
  }
  if (row.error_code) view.error = { code: row.error_code, message: row.error_message ?? '' };
  return view;
}
