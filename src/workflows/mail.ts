import type { Store } from '../store/db.js';
import type { SmtpReply } from '../errors.js';
import type { SendEmailPathName } from './definition.js';

export interface EmailRequest {
  connection: string;
  path: SendEmailPathName;
  /** The Send Email fields, expressions already evaluated. */
  email: Record<string, unknown>;
  runId: string;
  /** Unique per run, action, repetition and attempt: a resumed action finds what it enqueued. */
  requestId: string;
}

export interface FinalState {
  status: 'sent' | 'failed' | 'cancelled';
  id: string;
  messageId: string;
  accepted: string[];
  rejected: string[];
  response?: string;
  error?: { code: string; message: string; smtp?: SmtpReply };
}

/** The outbox as the engine sees it: durable enqueue, and the final outcome of a message. */
export interface WorkflowMailer {
  enqueue(request: EmailRequest): Promise<{ id: string }>;
  /** The message an earlier (interrupted) attempt enqueued, if it got that far. */
  findEnqueued(runId: string, requestId: string): Promise<string | undefined>;
  waitForFinal(id: string, signal: AbortSignal): Promise<FinalState>;
}

/** The outbox's own enqueue function (wired in src/app.ts); it may throw an AppError (400 on a bad email). */
export type EnqueueFn = (request: EmailRequest) => Promise<{ id: string }>;

const FINAL = new Set(['sent', 'failed', 'cancelled']);
const parse = <T>(text: string | null): T | undefined => {
  if (!text) return undefined;
  try {
    return JSON.parse(text) as T;
  } catch {
    return undefined;
  }
};

/**
 * Learns outcomes by reading the outbox's `messages` table, which works whichever process
 * delivers the message; one batched query per tick serves every waiting action.
 */
export class OutboxMailer implements WorkflowMailer {
  private readonly waiting = new Map<string, Array<(state: FinalState) => void>>();
  private timer?: NodeJS.Timeout;
  private polling = false;

  constructor(
    private readonly store: Store,
    private readonly enqueueFn: EnqueueFn,
    private readonly intervalMs = 150,
  ) {}

  enqueue(request: EmailRequest): Promise<{ id: string }> {
    return this.enqueueFn(request);
  }

  async findEnqueued(runId: string, requestId: string): Promise<string | undefined> {
    const row = await this.store.db.selectFrom('messages').select('id').where('run_id', '=', runId).where('request_id', '=', requestId).executeTakeFirst();
    return row?.id;
  }

  waitForFinal(id: string, signal: AbortSignal): Promise<FinalState> {
    return new Promise<FinalState>((resolve, reject) => {
      if (signal.aborted) return reject(signal.reason);
      const done = (state: FinalState): void => {
        signal.removeEventListener('abort', onAbort);
        resolve(state);
      };
      const onAbort = (): void => {
        const list = this.waiting.get(id)?.filter((f) => f !== done) ?? [];
        if (list.length) this.waiting.set(id, list);
        else this.waiting.delete(id);
        reject(signal.reason);
      };
      signal.addEventListener('abort', onAbort, { once: true });
      this.waiting.set(id, [...(this.waiting.get(id) ?? []), done]);
      this.schedule();
    });
  }

  stop(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  private schedule(): void {
    if (this.timer || this.polling) return;
    this.timer = setTimeout(() => void this.poll(), this.intervalMs);
    this.timer.unref();
  }

  private async poll(): Promise<void> {
    this.timer = undefined;
    this.polling = true;
    try {
      const ids = [...this.waiting.keys()];
      for (let i = 0; i < ids.length; i += 500) {
        const rows = await this.store.db
          .selectFrom('messages')
          .select(['id', 'status', 'message_id', 'accepted', 'rejected', 'response', 'last_error'])
          .where('id', 'in', ids.slice(i, i + 500))
          .execute();
        for (const row of rows) {
          if (!FINAL.has(row.status)) continue;
          const state: FinalState = {
            status: row.status as FinalState['status'],
            id: row.id,
            messageId: row.message_id,
            accepted: parse<string[]>(row.accepted) ?? [],
            rejected: parse<string[]>(row.rejected) ?? [],
            response: row.response ?? undefined,
            error: parse<FinalState['error']>(row.last_error),
          };
          const waiters = this.waiting.get(row.id) ?? [];
          this.waiting.delete(row.id);
          for (const resolve of waiters) resolve(state);
        }
      }
    } catch {
      /* the database is briefly unavailable: the next tick tries again */
    } finally {
      this.polling = false;
      if (this.waiting.size > 0) this.schedule();
    }
  }
}
