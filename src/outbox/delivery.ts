import type { ConnectionRepository } from '../connections/repository.js';
import type { SmtpConnection } from '../connections/schema.js';
import { prepareEmail, type SendEmailInput, type SendEmailPath } from '../email/index.js';
import { AppError, type SmtpReply } from '../errors.js';
import { classifySmtpFailure, parseEnhancedCode, SmtpSendError, timeouts, type RecipientRejection, type TransportRegistry } from '../smtp/index.js';
import type { Completion } from './repository.js';
import { backoffMs, type OutboxOptions } from './options.js';
import type { MessageRow } from './tables.js';
import type { SendMailOptions } from 'nodemailer/lib/mailer';

export interface AttemptResult {
  outcome: 'sent' | 'transient' | 'permanent';
  startedAt: number;
  finishedAt: number;
  accepted: string[];
  rejected: RecipientRejection[];
  smtp?: SmtpReply;
  /** Set when the attempt failed: what a synchronous caller is answered. */
  error?: AppError;
}

/**
 * Connection settings for sends, read at most once a second per connection: a worker resolves
 * the connection for every attempt, and opening the sealed password each time would dominate.
 * A change in this process invalidates at once; one in another process is seen within the TTL.
 */
export class ConnectionCache {
  private readonly cache = new Map<string, { conn: SmtpConnection; at: number }>();

  constructor(
    private readonly connections: ConnectionRepository,
    private readonly ttlMs = 1_000,
  ) {
    connections.on('changed', (name: string) => this.cache.delete(name));
  }

  async get(name: string): Promise<SmtpConnection> {
    const hit = this.cache.get(name);
    if (hit && Date.now() - hit.at < this.ttlMs) return hit.conn;
    const conn = await this.connections.resolveSmtp(name);
    this.cache.set(name, { conn, at: Date.now() });
    return conn;
  }

  /** The last settings read, however old: for the worker's hot loop, which refreshes them on every claim. */
  peek(name: string): SmtpConnection | undefined {
    return this.cache.get(name)?.conn;
  }

  invalidate(name: string): void {
    this.cache.delete(name);
  }
}

export function lifetimeMs(conn: Pick<SmtpConnection, 'lifetimeSeconds'> | undefined, options: OutboxOptions): number {
  return (conn?.lifetimeSeconds ?? options.defaultLifetimeSeconds) * 1000;
}

function replyOf(response: string | undefined): SmtpReply | undefined {
  if (!response) return undefined;
  const code = /^(\d{3})/.exec(response)?.[1];
  const reply: SmtpReply = { response };
  if (code) reply.code = Number(code);
  const enhanced = parseEnhancedCode(response);
  if (enhanced) reply.enhancedCode = enhanced;
  return reply;
}

/**
 * nodemailer's timeouts bound the connection setup and each silence, but a server that trickles
 * its replies a byte at a time is never silent and would hold the attempt (and a session slot)
 * for ever. So every attempt also has a deadline: the setup, two silences (the reply after DATA
 * may take a while), and the upload at a slow but honest 16 KB/s. Past it the attempt is aborted
 * (nodemailer closes just that session) and counts as a transient failure.
 */
export function attemptDeadlineMs(conn: SmtpConnection, messageBytes: number): number {
  const { connectionTimeout, socketTimeout } = timeouts(conn);
  return connectionTimeout + 2 * socketTimeout + Math.ceil(messageBytes / 16);
}

/** One SMTP transaction for a stored message: the same Message-ID and Date on every attempt. */
export async function attemptDelivery(row: MessageRow, conn: SmtpConnection, transports: TransportRegistry): Promise<AttemptResult> {
  const startedAt = Date.now();
  try {
    const prepared = prepareEmail(JSON.parse(row.request) as SendEmailInput, {
      path: (row.path ?? undefined) as SendEmailPath | undefined,
      defaultFrom: conn.defaultFrom,
      messageId: row.message_id,
      date: new Date(row.date),
    });
    // `signal` is honoured by nodemailer's pool (it closes the session) but missing from @types/nodemailer.
    const mail = { ...prepared.mail, signal: AbortSignal.timeout(attemptDeadlineMs(conn, row.request.length)) } as SendMailOptions;
    const sent = await transports.sendMail(conn, mail, prepared.envelope);
    return {
      outcome: 'sent',
      startedAt,
      finishedAt: Date.now(),
      accepted: sent.accepted,
      rejected: sent.rejectedErrors.length > 0 ? sent.rejectedErrors : sent.rejected.map((recipient) => ({ recipient })),
      smtp: replyOf(sent.response),
    };
  } catch (err) {
    return failureOf(err, startedAt);
  }
}

/** A failure before or during the transaction, as an attempt result (never throws). */
export function failureOf(err: unknown, startedAt: number): AttemptResult {
  const finishedAt = Date.now();
  if (err instanceof SmtpSendError) {
    const f = err.failure;
    return { outcome: f.kind, startedAt, finishedAt, accepted: [], rejected: f.recipients ?? [], smtp: f.smtp, error: err };
  }
  if (err instanceof AppError) {
    // Our own verdicts (unknown connection, invalid stored input) do not change on a retry.
    const outcome = err.status >= 500 ? 'transient' : 'permanent';
    return { outcome, startedAt, finishedAt, accepted: [], rejected: [], error: err };
  }
  const f = classifySmtpFailure(err);
  return { outcome: f.kind, startedAt, finishedAt, accepted: [], rejected: f.recipients ?? [], smtp: f.smtp, error: new SmtpSendError(f) };
}

export interface CompletionContext {
  owner: string;
  attempt: number;
  /** A synchronous caller was answered with this attempt's outcome: no retry behind its back. */
  sync: boolean;
  options: OutboxOptions;
  rateId?: string;
}

/** Completions that change the same columns, under the same condition: one UPDATE statement's worth. */
export interface CompletionShape {
  /** Sorted. */
  columns: Array<keyof MessageRow>;
  /** A failure is recorded only while its worker still holds the lease; a success whoever holds it now (the mail went out). */
  holderOnly: boolean;
  items: Completion[];
}

export function completionShapes(items: Completion[]): CompletionShape[] {
  const shapes = new Map<string, CompletionShape>();
  for (const c of items) {
    const columns = (Object.keys(c.update) as Array<keyof MessageRow>).filter((k) => c.update[k] !== undefined).sort();
    const holderOnly = c.update.status !== 'sent';
    const key = `${holderOnly}:${columns.join(',')}`;
    const shape = shapes.get(key);
    if (shape) shape.items.push(c);
    else shapes.set(key, { columns, holderOnly, items: [c] });
  }
  return [...shapes.values()];
}

/** The message's next state after an attempt: sent, retrying (with backoff) or failed. */
export function completionFor(row: MessageRow, result: AttemptResult, ctx: CompletionContext): Completion {
  const { finishedAt } = result;
  const errorJson = (e: AppError | undefined, message = e?.message): string | null =>
    e ? JSON.stringify({ code: e.code, message, ...(e.smtp ? { smtp: e.smtp } : {}) }) : null;
  const rejectedAddresses = JSON.stringify(result.rejected.map((r) => r.recipient));
  const base: Partial<MessageRow> = {
    attempts: ctx.attempt,
    lease_owner: null,
    lease_until: null,
    updated_at: finishedAt,
    response: result.smtp?.response ?? result.error?.message ?? null,
  };
  let update: Partial<MessageRow>;
  if (result.outcome === 'sent') {
    update = { ...base, status: 'sent', accepted: JSON.stringify(result.accepted), rejected: rejectedAddresses, last_error: null, sent_at: finishedAt };
  } else if (result.outcome === 'permanent' || ctx.sync) {
    update = { ...base, status: 'failed', accepted: '[]', rejected: rejectedAddresses, last_error: errorJson(result.error) };
  } else {
    const next = finishedAt + backoffMs(ctx.attempt, ctx.options);
    if (next > row.expires_at) {
      const lifetime = Math.round((row.expires_at - row.created_at) / 1000);
      const message = `Gave up after ${ctx.attempt} attempt(s): the message's lifetime of ${lifetime} s has passed (connection setting lifetimeSeconds). Last error: ${result.error?.message ?? 'unknown'}`;
      update = { ...base, status: 'failed', last_error: errorJson(result.error, message) };
    } else {
      update = { ...base, status: 'retrying', next_attempt_at: next, last_error: errorJson(result.error) };
    }
  }
  return {
    id: row.id,
    owner: ctx.owner,
    rateId: ctx.rateId,
    update,
    attempt: {
      message_id: row.id,
      attempt: ctx.attempt,
      started_at: result.startedAt,
      finished_at: finishedAt,
      outcome: result.outcome,
      smtp_code: result.smtp?.code ?? null,
      enhanced_code: result.smtp?.enhancedCode ?? null,
      response: result.smtp?.response ?? null,
      accepted: JSON.stringify(result.accepted),
      rejected: JSON.stringify(result.rejected),
      error_code: result.error?.code ?? null,
      error_message: result.error?.message ?? null,
    },
  };
}
