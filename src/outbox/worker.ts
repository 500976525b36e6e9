import type { SmtpConnection } from '../connections/schema.js';
import type { Logger } from '../log.js';
import type { TransportRegistry } from '../smtp/index.js';
import type { Store } from '../store/db.js';
import type { Batcher } from './batcher.js';
import { attemptDelivery, completionFor, failureOf, type ConnectionCache } from './delivery.js';
import { rateRoom, reserveRate, type SlotPool } from './flow.js';
import type { OutboxOptions } from './options.js';
import type { Completion } from './repository.js';
import type { OutboxTelemetry } from './telemetry.js';
import { outboxDb, type MessageRow, type OutboxDb } from './tables.js';
import { skipLocked, writeTx } from './tx.js';

export interface WorkerDeps {
  store: Store;
  owner: string;
  cache: ConnectionCache;
  transports: TransportRegistry;
  slots: SlotPool;
  completions: Batcher<Completion>;
  options: OutboxOptions;
  log: Logger;
  telemetry: OutboxTelemetry;
}

interface Lane {
  name: string;
  queue: MessageRow[];
  claiming: boolean;
  /** More may be due than the last claim took. */
  more: boolean;
  /** Told of new messages while a claim ran: that claim may have missed them, so claim again. */
  poked: boolean;
  /** The rate limit left no room: wake-ups before this time would only find it full again. */
  fullUntil: number;
  timer?: NodeJS.Timeout;
  timerAt: number;
}

const DUE = ['queued', 'retrying'] as const;

/**
 * Claims due messages per connection with a lease, sends them within the connection's slots and
 * rate, and records each attempt through the group-committed completions. Lanes are independent,
 * so a connection whose server hangs only holds its own slots.
 */
export class Worker {
  private readonly lanes = new Map<string, Lane>();
  private readonly inFlight = new Set<Promise<void>>();
  private readonly claims = new Set<Promise<void>>();
  private readonly db: OutboxDb;
  private pollTimer?: NodeJS.Timeout;
  private polls = 0;
  private stopping = false;
  private lastPollAt = Date.now();

  constructor(private readonly deps: WorkerDeps) {
    this.db = outboxDb(deps.store);
  }

  start(): void {
    this.deps.slots.onCapacity = (name) => {
      const lane = this.lanes.get(name);
      if (lane) this.pump(lane);
    };
    const tick = (): void => {
      this.pollTimer = setTimeout(() => void this.poll().finally(() => !this.stopping && tick()), this.deps.options.pollMs);
    };
    void this.poll().finally(() => !this.stopping && tick());
  }

  /** Started, not stopping, and the poll loop finished a round lately (a hung database query stops it). */
  alive(): boolean {
    return !this.stopping && Date.now() - this.lastPollAt < Math.max(30_000, 10 * this.deps.options.pollMs);
  }

  /**
   * New messages for this connection were committed (in this process, or in another one that
   * sent a NOTIFY): claim them now, not at the next poll.
   */
  notify(connection: string): void {
    if (this.stopping) return;
    const lane = this.lane(connection);
    if (Date.now() < lane.fullUntil) return;
    if (lane.claiming) lane.poked = true;
    else void this.fill(lane);
  }

  /** Stops claiming, lets SMTP transactions in flight finish, and hands back what was claimed but not started. */
  async stop(): Promise<void> {
    this.stopping = true;
    clearTimeout(this.pollTimer);
    for (const lane of this.lanes.values()) clearTimeout(lane.timer);
    // A claim still running would otherwise lease messages after this point and leave them
    // `sending` until the lease runs out; wait for it, then hand back what it took.
    while (this.inFlight.size > 0 || this.claims.size > 0) await Promise.allSettled([...this.inFlight, ...this.claims]);
    const unstarted = [...this.lanes.values()].flatMap((l) => l.queue.splice(0));
    if (unstarted.length > 0) await this.giveBack(unstarted);
  }

  private lane(name: string): Lane {
    let lane = this.lanes.get(name);
    if (!lane) {
      lane = { name, queue: [], claiming: false, more: false, poked: false, fullUntil: 0, timerAt: Number.POSITIVE_INFINITY };
      this.lanes.set(name, lane);
    }
    return lane;
  }

  private async poll(): Promise<void> {
    try {
      await this.reapExpiredLeases();
      const found = this.polls++ % 10 === 0 ? await this.connectionsWithWork() : await this.configuredConnectionsWithWork();
      for (const name of new Set([...found, ...this.lanes.keys()])) void this.fill(this.lane(name));
      const busy = [...this.lanes.values()].filter((l) => l.queue.length > 0 || this.deps.slots.inUse(l.name) > 0).map((l) => l.name);
      await this.deps.slots.rebalance(busy);
    } catch (err) {
      this.deps.log.warn({ err }, 'outbox poll failed; retrying at the next poll');
    } finally {
      this.lastPollAt = Date.now();
    }
  }

  /** A worker that died leaves its messages leased: once the lease has passed they are due again. */
  private async reapExpiredLeases(): Promise<void> {
    const now = Date.now();
    await writeTx(this.deps.store, async (tx) => {
      for (const [status, attempted] of [['queued', false], ['retrying', true]] as const) {
        // Workers reap at once: each takes the rows no other is taking.
        const expired = skipLocked(this.deps.store, tx.selectFrom('messages').select('id').where('status', '=', 'sending').where('lease_until', '<', now).where('attempts', attempted ? '>' : '=', 0));
        await tx
          .updateTable('messages')
          .set({ status, lease_owner: null, lease_until: null, next_attempt_at: now, updated_at: now })
          .where('id', 'in', expired)
          .where('status', '=', 'sending')
          .where('lease_until', '<', now)
          .execute();
      }
    });
  }

  /**
   * Every poll, so that a connection this process has not delivered through yet is found within a
   * poll even when nobody tells it (a worker process on SQLite has no NOTIFY): one index probe per
   * configured connection, however long the queue.
   */
  private async configuredConnectionsWithWork(): Promise<string[]> {
    const rows = await this.db
      .selectFrom('connections')
      .select('name')
      .where(({ exists, selectFrom }) => exists(selectFrom('messages').select('id').whereRef('messages.connection', '=', 'connections.name').where('messages.status', 'in', DUE)))
      .execute();
    return rows.map((r) => r.name);
  }

  /** Every tenth poll: also messages whose connection was deleted (a scan of the due messages), to fail them. */
  private async connectionsWithWork(): Promise<string[]> {
    const rows = await this.db.selectFrom('messages').select('connection').distinct().where('status', 'in', DUE).execute();
    return rows.map((r) => r.connection);
  }

  private fill(lane: Lane): Promise<void> {
    const claim = this.claimInto(lane);
    this.claims.add(claim);
    void claim.finally(() => this.claims.delete(claim));
    return claim;
  }

  private async claimInto(lane: Lane): Promise<void> {
    if (this.stopping || lane.claiming) return;
    if (lane.queue.length > this.prefetch(lane) / 2) return this.pump(lane);
    lane.claiming = true;
    lane.poked = false;
    try {
      let conn: SmtpConnection | undefined;
      let missing: unknown;
      try {
        conn = await this.deps.cache.get(lane.name);
      } catch (err) {
        missing = err;
      }
      const rows = await this.claim(lane, conn);
      if (conn) {
        lane.queue.push(...rows);
        this.pump(lane);
      } else {
        // The connection is gone: nothing will ever send these; fail them with the reason.
        for (const row of rows) this.track(this.finish(row, failureOf(missing, Date.now()), undefined).then(() => undefined));
      }
    } catch (err) {
      this.deps.log.warn({ err, connection: lane.name }, 'outbox claim failed; retrying at the next poll');
    } finally {
      lane.claiming = false;
    }
    if ((lane.more || lane.poked) && lane.queue.length <= this.prefetch(lane) / 2) void this.fill(lane);
  }

  private async claim(lane: Lane, conn: SmtpConnection | undefined): Promise<MessageRow[]> {
    const want = this.prefetch(lane) - lane.queue.length;
    if (want <= 0) return [];
    const { store, owner, options } = this.deps;
    const result = await writeTx(store, async (tx) => {
      const now = Date.now();
      const leaseUntil = now + options.leaseMs;
      const { room, retryAt } = conn ? await rateRoom(store, tx, conn, now) : { room: want, retryAt: undefined };
      const limit = Math.min(want, room);
      // Until room opens (or the next poll), other processes' wake-ups would only find the window full.
      lane.fullUntil = limit <= 0 ? Math.min(retryAt ?? 0, now + options.pollMs) : 0;
      if (limit <= 0) return { rows: [] as MessageRow[], wakeAt: retryAt, full: false };
      const pick = skipLocked(store, tx.selectFrom('messages').select('id').where('connection', '=', lane.name).where('status', 'in', DUE).where('next_attempt_at', '<=', now).orderBy('next_attempt_at').limit(limit));
      const ids = (await pick.execute()).map((r) => r.id);
      let rows: MessageRow[] = [];
      if (ids.length > 0) {
        rows = await tx.updateTable('messages').set({ status: 'sending', lease_owner: owner, lease_until: leaseUntil, updated_at: now }).where('id', 'in', ids).where('status', 'in', DUE).returningAll().execute();
        if (conn) await reserveRate(tx, conn, rows.map((r) => rateId(r)), leaseUntil);
      }
      let wakeAt = room < want && ids.length === limit ? retryAt : undefined;
      if (ids.length < limit) {
        const next = await tx.selectFrom('messages').select((eb) => eb.fn.min<number>('next_attempt_at').as('at')).where('connection', '=', lane.name).where('status', 'in', DUE).executeTakeFirst();
        if (next?.at !== null && next?.at !== undefined) wakeAt = Number(next.at);
      }
      return { rows, wakeAt, full: ids.length === want };
    });
    lane.more = result.full;
    if (result.wakeAt !== undefined) this.wakeAt(lane, result.wakeAt);
    return result.rows;
  }

  /**
   * Messages to claim ahead for a connection: `prefetch` split by this process's part of the
   * connection's sessions, so that a worker other workers leave few sessions to does not sit
   * on messages they could send.
   */
  private prefetch(lane: Lane): number {
    return Math.ceil(this.deps.options.prefetch * this.deps.slots.part(lane.name));
  }

  private wakeAt(lane: Lane, at: number): void {
    if (this.stopping || at >= lane.timerAt) return;
    clearTimeout(lane.timer);
    lane.timerAt = at;
    lane.timer = setTimeout(() => {
      lane.timerAt = Number.POSITIVE_INFINITY;
      void this.fill(lane);
    }, Math.max(0, at - Date.now()));
    lane.timer.unref();
  }

  private pump(lane: Lane): void {
    if (this.stopping) return;
    while (lane.queue.length > 0) {
      const conn = this.deps.cache.peek(lane.name);
      if (!conn || !this.deps.slots.tryAcquire(conn)) break;
      const row = lane.queue.shift()!;
      this.track(this.send(lane, conn, row));
    }
    if (lane.queue.length <= this.prefetch(lane) / 2 && lane.more) void this.fill(lane);
  }

  private track(p: Promise<void>): void {
    this.inFlight.add(p);
    void p.finally(() => this.inFlight.delete(p));
  }

  private async send(lane: Lane, conn: SmtpConnection, row: MessageRow): Promise<void> {
    let result;
    try {
      result = await attemptDelivery(row, conn, this.deps.transports);
    } finally {
      this.deps.slots.release(lane.name);
    }
    const completion = await this.finish(row, result, conn);
    if (completion?.update.status === 'retrying' && completion.update.next_attempt_at) this.wakeAt(lane, completion.update.next_attempt_at);
  }

  private async finish(row: MessageRow, result: Awaited<ReturnType<typeof attemptDelivery>>, conn: SmtpConnection | undefined): Promise<Completion | undefined> {
    const completion = completionFor(row, result, {
      owner: this.deps.owner,
      attempt: row.attempts + 1,
      sync: false,
      options: this.deps.options,
      rateId: conn?.rateLimit ? rateId(row) : undefined,
    });
    // A record that fails to commit (database busy or down) is tried again: the message stays leased to
    // this worker meanwhile, and if the process dies the lease returns it to the queue (a resend, never a loss).
    for (let attempt = 0; ; attempt++) {
      try {
        // Not urgent: nobody waits on a background attempt's record, so it shares a commit with others.
        await this.deps.completions.push(completion, false);
        this.deps.telemetry.attempted(row, result, completion);
        return completion;
      } catch (err) {
        this.deps.log.error({ err, id: row.id }, 'recording a delivery attempt failed; trying again');
        if (attempt >= 20) return undefined;
        await new Promise((resolve) => setTimeout(resolve, Math.min(5_000, 100 * 2 ** attempt)));
      }
    }
  }

  private async giveBack(rows: MessageRow[]): Promise<void> {
    const now = Date.now();
    await writeTx(this.deps.store, async (tx) => {
      for (const attempted of [false, true]) {
        const ids = rows.filter((r) => r.attempts > 0 === attempted).map((r) => r.id);
        for (let i = 0; i < ids.length; i += 500) {
          await tx
            .updateTable('messages')
            .set({ status: attempted ? 'retrying' : 'queued', lease_owner: null, lease_until: null, updated_at: now })
            .where('id', 'in', ids.slice(i, i + 500))
            .where('lease_owner', '=', this.deps.owner)
            .execute();
        }
      }
      const rateIds = rows.map(rateId);
      for (let i = 0; i < rateIds.length; i += 500) await tx.deleteFrom('outbox_sends').where('id', 'in', rateIds.slice(i, i + 500)).execute();
    });
  }
}

const rateId = (row: MessageRow): string => `${row.id}#${row.attempts + 1}`;
