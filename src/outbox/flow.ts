import type { SmtpConnection } from '../connections/schema.js';
import type { Store } from '../store/db.js';
import type { OutboxOptions } from './options.js';
import { outboxDb, type OutboxDb } from './tables.js';
import { lockKey, writeTx } from './tx.js';

export const DEFAULT_MAX_CONNECTIONS = 5;
/** How soon a process that found every slot of a connection held by others asks again. */
const GROW_RETRY_MS = 250;

/** How many slots a lane may hold and use now. */
const allowed = (lane: Lane): number => Math.min(lane.max, lane.share);

interface Lane {
  held: number[];
  inUse: number;
  max: number;
  /** This process's share of `max` while other processes deliver through the connection too. */
  share: number;
  growing?: Promise<void>;
  /** Asking the database for slots found none: not again before this time (other processes hold them all). */
  growAfter: number;
  /** Set when the lane went idle: gives its slots back once idle long enough, for other processes. */
  idleTimer?: NodeJS.Timeout;
  lastUsed: number;
  waiters: Array<(granted: boolean) => void>;
}

/**
 * Per-connection session slots, leased in the database (`outbox_slots`) so that maxConnections
 * holds across every process: a process may run one SMTP transaction per slot it holds. Slots
 * are taken on demand, renewed by the heartbeat, and given back when idle so others can use them.
 */
export class SlotPool {
  private readonly lanes = new Map<string, Lane>();
  /** Called when a lane gained capacity (more slots, or one released). */
  onCapacity: (connection: string) => void = () => undefined;

  constructor(
    private readonly store: Store,
    private readonly owner: string,
    private readonly options: OutboxOptions,
  ) {}

  /**
   * Takes a permit if this process holds a free slot; otherwise asks the database for more and
   * answers false. Workers yield to waiting synchronous sends (a caller is waiting on those).
   */
  tryAcquire(conn: SmtpConnection, yieldToWaiters = true): boolean {
    const lane = this.lane(conn);
    if (yieldToWaiters && lane.waiters.length > 0) return false;
    if (lane.inUse < Math.min(lane.held.length, allowed(lane))) {
      lane.inUse += 1;
      lane.lastUsed = Date.now();
      return true;
    }
    if (lane.held.length < allowed(lane)) this.grow(conn.name, lane);
    return false;
  }

  /** Waits for a permit (synchronous sends); re-asks the database while other processes hold every slot. */
  async acquire(conn: SmtpConnection): Promise<void> {
    for (;;) {
      if (this.tryAcquire(conn, false)) return;
      const lane = this.lane(conn);
      // A released permit is handed straight to a waiter, so a busy worker cannot starve it.
      const granted = await new Promise<boolean>((resolve) => {
        const timer = setTimeout(() => done(false), 250);
        const done = (ok: boolean): void => {
          clearTimeout(timer);
          const i = lane.waiters.indexOf(done);
          if (i >= 0) lane.waiters.splice(i, 1);
          resolve(ok);
        };
        lane.waiters.push(done);
      });
      if (granted) return;
    }
  }

  release(name: string): void {
    const lane = this.lanes.get(name);
    if (!lane) return;
    lane.lastUsed = Date.now();
    const waiter = lane.waiters[0];
    if (waiter && lane.inUse <= Math.min(lane.held.length, allowed(lane))) return waiter(true);
    lane.inUse = Math.max(0, lane.inUse - 1);
    if (lane.inUse === 0) {
      // Not left to the heartbeat (a third of the lease): another process may be waiting for these.
      clearTimeout(lane.idleTimer);
      lane.idleTimer = setTimeout(() => void this.giveBack(outboxDb(this.store)).catch(() => undefined), this.options.slotIdleMs + 50).unref();
    }
    this.onCapacity(name);
  }

  inUse(name: string): number {
    return this.lanes.get(name)?.inUse ?? 0;
  }

  /** The part of a connection's sessions this process holds, counting at least one: 1/maxConnections to 1. */
  part(name: string): number {
    const lane = this.lanes.get(name);
    return lane ? Math.max(1, lane.held.length) / lane.max : 1;
  }

  /** Renews held slots and gives back the idle ones; called by the outbox heartbeat. */
  async heartbeat(db: OutboxDb): Promise<void> {
    await db.updateTable('outbox_slots').set({ lease_until: Date.now() + this.options.leaseMs }).where('owner', '=', this.owner).execute();
    await this.giveBack(db);
  }

  /**
   * Shares each connection's slots among the processes delivering through it: this process says
   * which connections it has work for, and gives back what it holds beyond its share (once those
   * slots are idle), so another worker's messages do not wait for this one to run dry. Called
   * by the worker's poll, with the connections it has messages for.
   */
  async rebalance(busy: string[]): Promise<void> {
    // On SQLite a write is a blocking fsync, or a blocking wait while another process writes: not
    // worth paying every poll for the rare setup of several processes on one file.
    if (this.store.dialect !== 'postgres') return;
    const now = Date.now();
    const db = outboxDb(this.store);
    // A row outlives a few polls: a busy worker that misses one does not lose its share.
    const until = now + 3 * this.options.pollMs;
    if (busy.length > 0) {
      // Rows of processes that died are cleared by the living (a clean stop deletes its own).
      await db.deleteFrom('outbox_slot_demand').where('until', '<', now - 60_000).execute();
      await db
        .insertInto('outbox_slot_demand')
        .values(busy.map((connection) => ({ connection, owner: this.owner, until })))
        .onConflict((oc) => oc.columns(['connection', 'owner']).doUpdateSet({ until }))
        .execute();
    }
    const names = [...this.lanes.keys()];
    if (names.length === 0) return;
    const rows = await db
      .selectFrom('outbox_slot_demand')
      .select((eb) => ['connection', eb.fn.countAll<number>().as('n')])
      .where('connection', 'in', names)
      .where('owner', '!=', this.owner)
      .where('until', '>', now)
      .groupBy('connection')
      .execute();
    const others = new Map(rows.map((r) => [r.connection, Number(r.n)]));
    for (const [name, lane] of this.lanes) lane.share = Math.ceil(lane.max / (1 + (others.get(name) ?? 0)));
    await this.giveBack(db);
  }

  /** Gives back held slots beyond what the lane is allowed (once idle), and all of an idle lane's. */
  private async giveBack(db: OutboxDb): Promise<void> {
    const now = Date.now();
    for (const [name, lane] of this.lanes) {
      const idle = lane.inUse === 0 && now - lane.lastUsed >= this.options.slotIdleMs;
      const extra = idle ? lane.held.length : Math.max(0, Math.min(lane.held.length - allowed(lane), lane.held.length - lane.inUse));
      if (extra === 0 || lane.growing) continue;
      const dropped = lane.held.splice(lane.held.length - extra, extra);
      await db.updateTable('outbox_slots').set({ owner: null, lease_until: 0 }).where('connection', '=', name).where('slot', 'in', dropped).where('owner', '=', this.owner).execute();
    }
  }

  /** Gives every slot back (shutdown). */
  async releaseAll(db: OutboxDb): Promise<void> {
    await db.updateTable('outbox_slots').set({ owner: null, lease_until: 0 }).where('owner', '=', this.owner).execute();
    await db.deleteFrom('outbox_slot_demand').where('owner', '=', this.owner).execute();
    for (const lane of this.lanes.values()) {
      clearTimeout(lane.idleTimer);
      lane.held = [];
    }
  }

  private lane(conn: SmtpConnection): Lane {
    let lane = this.lanes.get(conn.name);
    if (!lane) {
      lane = { held: [], inUse: 0, max: conn.maxConnections ?? DEFAULT_MAX_CONNECTIONS, share: Number.POSITIVE_INFINITY, growAfter: 0, lastUsed: Date.now(), waiters: [] };
      this.lanes.set(conn.name, lane);
    }
    lane.max = conn.maxConnections ?? DEFAULT_MAX_CONNECTIONS;
    return lane;
  }

  private wake(name: string, lane: Lane): void {
    lane.waiters[0]?.(false);
    this.onCapacity(name);
  }

  private grow(name: string, lane: Lane): void {
    if (lane.growing || Date.now() < lane.growAfter) return;
    lane.growing = (async () => {
      try {
        const got = await writeTx(this.store, (tx) => this.claimSlots(tx, name, lane.max, new Set(lane.held), allowed(lane) - lane.held.length));
        lane.held.push(...got);
        // Every finished send would ask again otherwise: a process short of slots would query the database
        // hundreds of times a second. Instead it asks again after a pause, by itself (waking the lane's sender).
        lane.growAfter = 0;
        if (got.length === 0) {
          const pause = Math.min(this.options.pollMs, GROW_RETRY_MS);
          lane.growAfter = Date.now() + pause;
          setTimeout(() => {
            lane.growAfter = 0;
            this.wake(name, lane);
          }, pause).unref();
        }
      } catch {
        /* the database is busy: the next tryAcquire asks again */
      } finally {
        lane.growing = undefined;
      }
      if (lane.inUse < lane.held.length) this.wake(name, lane);
    })();
  }

  private async claimSlots(tx: OutboxDb, name: string, max: number, mine: Set<number>, want: number): Promise<number[]> {
    await lockKey(this.store, tx, `outbox_slots:${name}`);
    const now = Date.now();
    const lease = now + this.options.leaseMs;
    const rows = await tx.selectFrom('outbox_slots').select(['slot', 'owner', 'lease_until']).where('connection', '=', name).execute();
    const known = new Set(rows.map((r) => r.slot));
    const got: number[] = [];
    const missing = [];
    for (let slot = 0; slot < max && missing.length < want; slot++) if (!known.has(slot)) missing.push({ connection: name, slot, owner: this.owner, lease_until: lease });
    if (missing.length > 0) {
      await tx.insertInto('outbox_slots').values(missing).execute();
      got.push(...missing.map((m) => m.slot));
    }
    for (const r of rows) {
      if (got.length >= want) break;
      if (r.slot >= max || mine.has(r.slot)) continue;
      if (r.owner !== null && r.owner !== this.owner && r.lease_until >= now) continue;
      const res = await tx
        .updateTable('outbox_slots')
        .set({ owner: this.owner, lease_until: lease })
        .where('connection', '=', name)
        .where('slot', '=', r.slot)
        .executeTakeFirst();
      if (Number(res.numUpdatedRows) === 1) got.push(r.slot);
    }
    return got;
  }
}

/**
 * Sliding-window rate limit shared by every process (`outbox_sends`). Each attempt reserves a
 * row whose `until` is its lease end while in flight and its finish time once done; a window
 * counts rows with `until` inside it. Since a send happens between reservation and finish, no
 * window of `perSeconds` can hold more than `messages` sends, however late a send starts.
 */
export async function rateRoom(store: Store, tx: OutboxDb, conn: SmtpConnection, now: number): Promise<{ room: number; retryAt?: number }> {
  const limit = conn.rateLimit;
  if (!limit) return { room: Number.POSITIVE_INFINITY };
  await lockKey(store, tx, `outbox_sends:${conn.name}`);
  const windowMs = limit.perSeconds * 1000;
  await tx.deleteFrom('outbox_sends').where('connection', '=', conn.name).where('until', '<=', now - windowMs).execute();
  const row = await tx
    .selectFrom('outbox_sends')
    .select((eb) => [eb.fn.countAll<number>().as('n'), eb.fn.min<number>('until').as('first')])
    .where('connection', '=', conn.name)
    .executeTakeFirstOrThrow();
  const room = Math.max(0, limit.messages - Number(row.n));
  return room > 0 ? { room } : { room, retryAt: Number(row.first) + windowMs + 1 };
}

export async function reserveRate(tx: OutboxDb, conn: SmtpConnection, ids: string[], until: number): Promise<void> {
  if (!conn.rateLimit || ids.length === 0) return;
  // An id is message#attempt: a message whose worker died is claimed again for the same attempt,
  // and its old reservation may still be in the window; it becomes the new one.
  await tx
    .insertInto('outbox_sends')
    .values(ids.map((id) => ({ id, connection: conn.name, until })))
    .onConflict((oc) => oc.column('id').doUpdateSet({ until }))
    .execute();
}
