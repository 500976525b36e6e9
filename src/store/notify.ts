import { sql, type Kysely } from 'kysely';
import pg from 'pg';

/** Channels smtpflow processes wake each other on (payloads are short names or ids). */
export const CHANNELS = {
  /** Payload: a connection name whose queue gained due messages. */
  outbox: 'smtpflow_outbox',
  /** Payload: a run id waiting for a process to execute it. */
  runs: 'smtpflow_runs',
  /** Payload: a run id that recorded its Response or ended. */
  runEvents: 'smtpflow_run_events',
} as const;

export type Channel = (typeof CHANNELS)[keyof typeof CHANNELS];
type Handler = (payload: string) => void;

/**
 * Wake-ups between processes that share the database. On PostgreSQL they are LISTEN/NOTIFY: a
 * notification sent inside a transaction is delivered when it commits, to every listening
 * process. SQLite has no such thing: there `send` and `on` do nothing, and processes sharing a
 * file find each other's work by polling, as they always did. Either way a wake-up is a hint,
 * never the only way work is found (a listener that reconnects may have missed some).
 */
export interface Notifications {
  readonly live: boolean;
  /** Subscribes to a channel; answers the unsubscribe function. */
  on(channel: Channel, handler: Handler): Promise<() => void>;
  /** Queues a notification on `db`: sent when its transaction commits (at once outside one). */
  send(db: Kysely<any>, channel: Channel, payload: string): Promise<void>;
  close(): Promise<void>;
}

export const noNotifications: Notifications = {
  live: false,
  on: async () => () => undefined,
  send: async () => undefined,
  close: async () => undefined,
};

/**
 * LISTEN needs a session of its own (a pooled connection is handed to other queries between
 * statements), so the listener is one dedicated client, opened on the first subscription and
 * reopened with backoff when the server drops it.
 */
export class PostgresNotifications implements Notifications {
  readonly live = true;
  private readonly handlers = new Map<string, Set<Handler>>();
  private client?: pg.Client;
  /** Channels LISTENed on the current client. */
  private listening = new Set<string>();
  private connecting?: Promise<void>;
  private retryTimer?: NodeJS.Timeout;
  private retryMs = 100;
  private closed = false;

  constructor(
    private readonly url: string,
    private readonly onError: (err: unknown) => void = () => undefined,
  ) {}

  async on(channel: Channel, handler: Handler): Promise<() => void> {
    let set = this.handlers.get(channel);
    if (!set) this.handlers.set(channel, (set = new Set()));
    set.add(handler);
    await this.connect();
    await this.listen(channel);
    return () => void this.handlers.get(channel)?.delete(handler);
  }

  async send(db: Kysely<any>, channel: Channel, payload: string): Promise<void> {
    await sql`select pg_notify(${channel}, ${payload})`.execute(db);
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.retryTimer);
    await this.connecting?.catch(() => undefined);
    const client = this.client;
    this.client = undefined;
    await client?.end().catch(() => undefined);
  }

  private connect(): Promise<void> {
    if (this.client) return Promise.resolve();
    this.connecting ??= this.open().finally(() => (this.connecting = undefined));
    return this.connecting;
  }

  private async open(): Promise<void> {
    if (this.closed) return;
    // Keepalive: an idle LISTEN connection that a firewall silently dropped would otherwise never notice.
    const client = new pg.Client({ connectionString: this.url, keepAlive: true });
    client.on('notification', (n) => {
      for (const handler of this.handlers.get(n.channel) ?? []) handler(n.payload ?? '');
    });
    client.on('error', (err) => {
      this.onError(err);
      this.reopen(client);
    });
    client.on('end', () => this.reopen(client));
    try {
      await client.connect();
      this.client = client;
      this.listening = new Set();
      this.retryMs = 100;
      for (const channel of this.handlers.keys()) await this.listen(channel);
    } catch (err) {
      this.onError(err);
      await client.end().catch(() => undefined);
      this.reopen(client);
    }
  }

  private async listen(channel: string): Promise<void> {
    const client = this.client;
    if (!client || this.listening.has(channel)) return;
    this.listening.add(channel);
    // Channel names are our own constants, never input (LISTEN takes no bind parameters).
    await client.query(`LISTEN ${channel}`).catch((err: unknown) => this.onError(err));
  }

  private reopen(client: pg.Client): void {
    if (this.client === client) this.client = undefined;
    if (this.closed || this.client || this.retryTimer) return;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      void this.connect();
    }, this.retryMs);
    this.retryTimer.unref();
    this.retryMs = Math.min(5_000, this.retryMs * 2);
  }
}
