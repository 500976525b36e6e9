import type { ConnectionRepository } from '../connections/repository.js';
import type { SmtpConnection } from '../connections/schema.js';
import { checkEmail, newMessageId, type EmailLimits, type SendEmailInput, type SendEmailPath } from '../email/index.js';
import { AppError } from '../errors.js';
import type { Logger } from '../log.js';
import type { Registry } from 'prom-client';
import { TransportRegistry } from '../smtp/index.js';
import type { Store } from '../store/db.js';
import { newId } from '../ids.js';
import { Batcher } from './batcher.js';
import { IdempotencyStore } from './idempotency.js';
import { attemptDelivery, completionFor, ConnectionCache, lifetimeMs } from './delivery.js';
import { rateRoom, reserveRate, SlotPool } from './flow.js';
import type { IdempotencyKeysTable } from '../store/schema.js';
import { resolveOutboxOptions, type OutboxOptions } from './options.js';
import { MessageRepository, type Completion, type Insertion } from './repository.js';
import type { MessageDetail, MessageList, MessageListQuery, MessageView, SendEmailAccepted, SendEmailResult } from './schema.js';
import { CHANNELS } from '../store/notify.js';
import { outboxDb, type MessageRow } from './tables.js';
import { acceptFailure } from './store-errors.js';
import { OutboxTelemetry } from './telemetry.js';
import { skipLocked, writeTx } from './tx.js';
import { Worker } from './worker.js';

export interface OutboxDeps {
  store: Store;
  connections: ConnectionRepository;
  log: Logger;
  options?: Partial<OutboxOptions>;
  /** Shared with other rooms (the connection test) when given; the outbox owns it otherwise. */
  transports?: TransportRegistry;
  /** Where the outbox registers its metrics (the app's /metrics); none in a bare worker process. */
  registry?: Registry;
  /** Checked on accept only (see PrepareOptions.limits). */
  limits?: EmailLimits;
}

export interface AcceptOptions {
  path?: SendEmailPath;
  /** 'api' | 'cli' | 'workflow' */
  source?: string;
  requestId?: string;
  runId?: string;
  /** Stored with the message in the same transaction (asynchronous accepts). */
  idempotency?: (accepted: SendEmailAccepted) => IdempotencyKeysTable;
}

/**
 * The durable outbox: accepts messages (group-committed), sends synchronously on request,
 * and runs the delivery worker when started with one.
 */
export class Outbox {
  readonly owner = newId('wrk');
  readonly options: OutboxOptions;
  readonly repo: MessageRepository;
  readonly transports: TransportRegistry;
  readonly idempotency: IdempotencyStore;
  private readonly cache: ConnectionCache;
  private readonly slots: SlotPool;
  private readonly accepts: Batcher<Insertion>;
  private readonly completions: Batcher<Completion>;
  private readonly ownsTransports: boolean;
  private worker?: Worker;
  /** The LISTEN subscription that wakes the worker when another process accepts messages. */
  private listening?: Promise<() => void>;
  private heartbeatTimer?: NodeJS.Timeout;
  private readonly syncInFlight = new Set<Promise<unknown>>();
  private readonly telemetry: OutboxTelemetry;

  constructor(private readonly deps: OutboxDeps) {
    this.options = resolveOutboxOptions(deps.options);
    this.repo = new MessageRepository(deps.store);
    this.telemetry = new OutboxTelemetry(deps.log, deps.store, deps.registry);
    this.idempotency = new IdempotencyStore(deps.store);
    this.ownsTransports = !deps.transports;
    this.transports = deps.transports ?? new TransportRegistry({ tokens: deps.connections.tokens });
    this.cache = new ConnectionCache(deps.connections);
    deps.connections.on('changed', (name: string) => this.transports.invalidate(name));
    this.slots = new SlotPool(deps.store, this.owner, this.options);
    this.accepts = new Batcher((items) => this.repo.insertMany(items).then(() => items.map(() => undefined)));
    this.completions = new Batcher((items) => this.repo.completeMany(items).then(() => items.map(() => undefined)), 500, this.options.completionLingerMs);
  }

  /** Starts the lease heartbeat and, with `worker`, delivery in this process. */
  start(options: { worker: boolean }): void {
    const beat = (): void => {
      this.heartbeatTimer = setTimeout(() => void this.heartbeat().finally(beat), Math.max(50, this.options.leaseMs / 3));
      this.heartbeatTimer.unref();
    };
    beat();
    if (options.worker) {
      this.worker = new Worker({ store: this.deps.store, owner: this.owner, cache: this.cache, transports: this.transports, slots: this.slots, completions: this.completions, options: this.options, log: this.deps.log, telemetry: this.telemetry });
      this.worker.start();
      this.listening = this.deps.store.notifications.on(CHANNELS.outbox, (connection) => this.worker?.notify(connection));
    }
  }

  /** For /readyz: whether this process's delivery worker is started and its poll loop still turns. */
  workerAlive(): boolean {
    return this.worker?.alive() ?? false;
  }

  /** Graceful stop: no new claims, SMTP transactions in flight finish, leases and slots are given back. */
  async stop(): Promise<void> {
    (await this.listening)?.();
    await this.worker?.stop();
    while (this.syncInFlight.size > 0) await Promise.allSettled([...this.syncInFlight]);
    clearTimeout(this.heartbeatTimer);
    await this.accepts.drain();
    await this.completions.drain();
    await this.slots.releaseAll(outboxDb(this.deps.store)).catch(() => undefined);
    if (this.ownsTransports) await this.transports.closeAll();
  }

  /** Asynchronous Send Email: answers once the message is committed (fsync'd) with others of its batch. */
  async enqueue(connection: string, input: SendEmailInput, options: AcceptOptions = {}): Promise<SendEmailAccepted> {
    const conn = await this.cache.get(connection);
    const row = this.build(conn, input, 'async', options);
    const accepted: SendEmailAccepted = { id: row.id, status: 'queued', messageId: row.message_id };
    await this.accepts.push({ row, idempotency: options.idempotency?.(accepted) }).catch((err: unknown) => {
      throw acceptFailure(err);
    });
    this.telemetry.accepted(row);
    this.worker?.notify(connection);
    return accepted;
  }

  /** For workflow actions (src/workflows/mail.ts EnqueueFn). */
  async enqueueForWorkflow(request: { connection: string; path: SendEmailPath; email: Record<string, unknown>; runId: string; requestId: string }): Promise<{ id: string }> {
    return this.enqueue(request.connection, request.email as SendEmailInput, { path: request.path, source: 'workflow', runId: request.runId, requestId: request.requestId });
  }

  /**
   * Synchronous Send Email: the message is recorded, sent now within the connection's slots and
   * rate, and its outcome recorded before answering. A failure is final (the caller was told).
   */
  async send(connection: string, input: SendEmailInput, options: AcceptOptions = {}): Promise<SendEmailResult> {
    const run = this.sendNow(connection, input, options);
    this.syncInFlight.add(run);
    try {
      return await run;
    } finally {
      this.syncInFlight.delete(run);
    }
  }

  private async sendNow(connection: string, input: SendEmailInput, options: AcceptOptions): Promise<SendEmailResult> {
    const conn = await this.cache.get(connection);
    const row = this.build(conn, input, 'sync', options);
    await this.slots.acquire(conn);
    let result;
    const rateId = conn.rateLimit ? `${row.id}#1` : undefined;
    try {
      // Both write to the database before anything is sent: a refusal there answers 503/507, not 500.
      if (conn.rateLimit) {
        await this.reserveOne(conn, rateId!, row.lease_until!).catch((err: unknown) => {
          throw acceptFailure(err);
        });
      }
      await this.accepts.push({ row }).catch((err: unknown) => {
        throw acceptFailure(err);
      });
      this.telemetry.accepted(row);
      result = await attemptDelivery(row, conn, this.transports);
    } finally {
      this.slots.release(connection);
    }
    const completion = completionFor(row, result, { owner: this.owner, attempt: 1, sync: true, options: this.options, rateId });
    await this.completions.push(completion);
    this.telemetry.attempted(row, result, completion);
    if (result.outcome === 'sent') {
      return { id: row.id, messageId: row.message_id, accepted: result.accepted, rejected: result.rejected.map((r) => r.recipient), response: result.smtp?.response ?? '' };
    }
    const err = result.error ?? new AppError(502, 'SmtpUnavailable', 'The send failed.');
    const where = `/api/v1/messages/${row.id}`;
    throw new AppError(err.status, err.code, `${err.message} (recorded as message ${row.id}: GET ${where})`, {
      field: err.field,
      smtp: err.smtp,
      headers: { ...err.headers, location: where },
    });
  }

  private async reserveOne(conn: SmtpConnection, id: string, until: number): Promise<void> {
    const retryAt = await writeTx(this.deps.store, async (tx) => {
      const { room, retryAt } = await rateRoom(this.deps.store, tx, conn, Date.now());
      if (room < 1) return retryAt ?? Date.now() + 1000;
      await reserveRate(tx, conn, [id], until);
      return undefined;
    });
    if (retryAt === undefined) return;
    const seconds = Math.max(1, Math.ceil((retryAt - Date.now()) / 1000));
    throw new AppError(429, 'RateLimited', `Connection '${conn.name}' allows ${conn.rateLimit!.messages} message(s) per ${conn.rateLimit!.perSeconds} s and that is used up; retry in ${seconds} s, or send with "Prefer: respond-async" to have the outbox pace it.`, {
      headers: { 'retry-after': String(seconds) },
    });
  }

  get(id: string): Promise<MessageDetail> {
    return this.repo.get(id);
  }

  list(query: MessageListQuery): Promise<MessageList> {
    return this.repo.list(query);
  }

  async retry(id: string): Promise<MessageView> {
    const row = await this.repo.row(id);
    const conn = await this.cache.get(row.connection).catch(() => undefined);
    const view = await this.repo.retry(id, lifetimeMs(conn, this.options));
    this.worker?.notify(row.connection);
    return view;
  }

  cancel(id: string): Promise<MessageView> {
    return this.repo.cancel(id);
  }

  /** The connection a message goes through (for the API's per-connection key check). */
  async connectionOf(id: string): Promise<string> {
    return (await this.repo.row(id)).connection;
  }

  /** Validates the input now (400 with `field`) and fixes Message-ID and Date for every later attempt. */
  private build(conn: SmtpConnection, input: SendEmailInput, mode: 'sync' | 'async', options: AcceptOptions): MessageRow {
    const now = Date.now();
    const probe = checkEmail(input, { path: options.path, defaultFrom: conn.defaultFrom, limits: this.deps.limits });
    const domain = probe.envelope.from.split('@').pop() || 'smtpflow.invalid';
    const sync = mode === 'sync';
    return {
      id: newId('msg'),
      connection: conn.name,
      status: sync ? 'sending' : 'queued',
      message_id: newMessageId(domain),
      source: options.source ?? 'api',
      request: JSON.stringify(input),
      date: now,
      envelope_from: probe.envelope.from,
      recipients: JSON.stringify(probe.envelope.to),
      attempts: 0,
      next_attempt_at: now,
      // A synchronous message is this process's while it sends; if the process dies, the lease returns it to the queue.
      lease_owner: sync ? this.owner : null,
      lease_until: sync ? now + this.options.leaseMs : null,
      expires_at: now + lifetimeMs(conn, this.options),
      accepted: null,
      rejected: null,
      response: null,
      last_error: null,
      request_id: options.requestId ?? null,
      run_id: options.runId ?? null,
      created_at: now,
      updated_at: now,
      sent_at: null,
      path: options.path ?? null,
      mode,
      subject: probe.summary.subject,
    };
  }

  private async heartbeat(): Promise<void> {
    try {
      const until = Date.now() + this.options.leaseMs;
      await writeTx(this.deps.store, async (tx) => {
        // Rows a completion is recording right now are skipped: they are being released anyway.
        const mine = skipLocked(this.deps.store, tx.selectFrom('messages').select('id').where('lease_owner', '=', this.owner).where('status', '=', 'sending'));
        await tx.updateTable('messages').set({ lease_until: until }).where('id', 'in', mine).execute();
        await this.slots.heartbeat(tx);
      });
    } catch (err) {
      this.deps.log.warn({ err }, 'outbox heartbeat failed; leases are renewed at the next one');
    }
  }
}
