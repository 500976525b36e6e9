import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { Logger } from '../log.js';
import type { Store } from '../store/db.js';
import type { AttemptResult } from './delivery.js';
import type { Completion } from './repository.js';
import { outboxDb, type MessageRow } from './tables.js';

const WAITING = ['queued', 'retrying', 'sending'] as const;

interface WaitingRow {
  connection: string;
  status: string;
  n: number;
  oldest: number;
}

/**
 * The outbox's log lines and metrics. Every line about a message carries `reqId` (the id of the
 * HTTP request that accepted it, as in Fastify's own request lines, or the workflow action's
 * key), `msgId` (GET /api/v1/messages/{msgId}) and `messageId` (its Message-ID header), so one
 * grep follows a message from the API to the SMTP server's reply.
 */
export class OutboxTelemetry {
  private readonly counted?: {
    messages: Counter<'connection' | 'status'>;
    duration: Histogram<'connection' | 'outcome'>;
    retries: Counter<'connection'>;
  };
  /** The depth gauge's query, taken by the age gauge collected right after it: one query per scrape. */
  private pending?: Promise<WaitingRow[]>;

  constructor(
    private readonly log: Logger,
    private readonly store: Store,
    registry?: Registry,
  ) {
    if (!registry) return;
    const registers = [registry];
    this.counted = {
      messages: new Counter({
        name: 'smtpflow_messages_total',
        help: 'Messages that reached a status in this process: queued (accepted for later), sent, retrying (after a transient failure), failed',
        labelNames: ['connection', 'status'],
        registers,
      }),
      duration: new Histogram({
        name: 'smtpflow_send_duration_seconds',
        help: 'Duration of one SMTP delivery attempt, by outcome (sent, transient, permanent)',
        labelNames: ['connection', 'outcome'],
        buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300],
        registers,
      }),
      retries: new Counter({
        name: 'smtpflow_retries_total',
        help: 'Delivery attempts that failed transiently and were scheduled to be retried',
        labelNames: ['connection'],
        registers,
      }),
    };
    // Read from the database at scrape time: the queue is shared by every process, counters are not.
    const query = (): Promise<WaitingRow[]> => (this.pending = this.waiting());
    const take = (): Promise<WaitingRow[]> => {
      const rows = this.pending ?? this.waiting();
      this.pending = undefined;
      return rows;
    };
    new Gauge({
      name: 'smtpflow_queue_depth',
      help: 'Messages not yet delivered, by connection and status (queued, retrying, sending), across every process',
      labelNames: ['connection', 'status'],
      registers,
      async collect() {
        const rows = await query();
        this.reset();
        for (const r of rows) this.set({ connection: r.connection, status: r.status }, r.n);
      },
    });
    new Gauge({
      name: 'smtpflow_queue_oldest_age_seconds',
      help: 'Age of the oldest message not yet delivered (queued, retrying or sending), by connection',
      labelNames: ['connection'],
      registers,
      async collect() {
        const rows = await take();
        const oldest = new Map<string, number>();
        for (const r of rows) oldest.set(r.connection, Math.min(oldest.get(r.connection) ?? Infinity, r.oldest));
        this.reset();
        const now = Date.now();
        for (const [connection, at] of oldest) this.set({ connection }, Math.max(0, (now - at) / 1000));
      },
    });
  }

  /** The message is stored (committed); synchronous ones are counted once they have an outcome. */
  accepted(row: MessageRow): void {
    if (row.mode === 'async') this.counted?.messages.inc({ connection: row.connection, status: 'queued' });
    this.log.info({ reqId: row.request_id ?? undefined, msgId: row.id, messageId: row.message_id, connection: row.connection, mode: row.mode, runId: row.run_id ?? undefined }, 'message accepted');
  }

  /** One delivery attempt and the state it left the message in, once recorded. */
  attempted(row: MessageRow, result: AttemptResult, completion: Completion): void {
    const status = completion.update.status ?? 'sending';
    const seconds = (result.finishedAt - result.startedAt) / 1000;
    if (this.counted) {
      this.counted.messages.inc({ connection: row.connection, status });
      this.counted.duration.observe({ connection: row.connection, outcome: result.outcome }, seconds);
      if (status === 'retrying') this.counted.retries.inc({ connection: row.connection });
    }
    const line = {
      reqId: row.request_id ?? undefined,
      msgId: row.id,
      messageId: row.message_id,
      connection: row.connection,
      runId: row.run_id ?? undefined,
      attempt: completion.attempt.attempt,
      outcome: result.outcome,
      status,
      durationMs: result.finishedAt - result.startedAt,
      smtp: result.smtp,
      error: result.error ? { code: result.error.code, message: result.error.message } : undefined,
      nextAttemptAt: status === 'retrying' ? completion.update.next_attempt_at : undefined,
    };
    if (status === 'failed') this.log.warn(line, `delivery failed: ${result.error?.code ?? 'unknown error'}`);
    else this.log.info(line, status === 'sent' ? 'delivered' : 'delivery deferred; will retry');
  }

  private waiting(): Promise<WaitingRow[]> {
    return outboxDb(this.store)
      .selectFrom('messages')
      .select((eb) => ['connection', 'status', eb.fn.countAll<number>().as('n'), eb.fn.min<number>('created_at').as('oldest')])
      .where('status', 'in', WAITING)
      .groupBy(['connection', 'status'])
      .execute()
      .then((found) => found.map((r) => ({ connection: r.connection, status: r.status, n: Number(r.n), oldest: Number(r.oldest) })));
  }
}
