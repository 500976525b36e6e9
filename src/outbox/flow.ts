import type { SmtpConnection } from '../connections/schema.js';
import type { Store } from '../store/db.js';
import type { OutboxOptions } from './options.js';
import type { OutboxDb } from './tables.js';
import { lockKey, writeTx } from './tx.js';

export const DEFAULT_MAX_CONNECTIONS = 5;

interface Lane {
  held: number[];
  inUse: number;
  max: number;
  growing?: Promise<void>;
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
    if (lane.inUse < Math.min(lane.held.length, lane.max)) {
      lane.inUse += 1;
      lane.lastUsed = Date.now();
      return true;
    }
    if (lane.held.length < lane.max) this.grow(conn.name, lane);
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
    if (waiter && lane.inUse <= Math.min(lane.held.length, lane.max)) return waiter(true);
    lane.inUse = Math.max(0, lane.inUse - 1);
    this.onCapacity(name);
  }

  inUse(name: string): number {
    return this.lanes.get(name)?.inUse ?? 0;
  }

  /** Renews held slots and gives back the idle ones; called by the outbox heartbeat. */
  async heartbeat(db: OutboxDb): Promise<void> {
    const now = Date.now();
    await db.updateTable('outbox_slots').set({ lease_until: now + this.options.leaseMs }).where('owner', '=', this.owner).execute();
    for (const [name, lane] of this.lanes) {
      const idle = lane.inUse === 0 && now - lane.lastUsed > this.options.slotIdleMs;
      const extra = idle ? lane.held.length : Math.max(0, Math.min(lane.held.length - lane.max, lane.held.length - lane.inUse));
      if (extra === 0 || lane.growing) continue;
      const dropped = lane.held.splice(lane.held.length - extra, extra);
      await db.updateTable('outbox_slots').set({ owner: null, lease_until: 0 }).where('connection', '=', name).where('slot', 'in', dropped).where('owner', '=', this.owner).execute();
    }
  }

  /** Gives every slot back (shutdown). */
  async releaseAll(db: OutboxDb): Promise<void> {
    await db.updateTable('outbox_slots').set({ owner: null, lease_until: 0 }).where('owner', '=', this.owner).execute();
    for (const lane of this.lanes.values()) lane.held = [];
  }

  private lane(conn: SmtpConnection): Lane {
    let lane = this.lanes.get(conn.name);
    if (!lane) {
      lane = { held: [], inUse: 0, max: conn.maxConnections ?? DEFAULT_MAX_CONNECTIONS, lastUsed: Date.now(), waiters: [] };
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
    if (lane.growing) return;
    lane.growing = (async () => {
      try {
        const got = await writeTx(this.store, (tx) => this.claimSlots(tx, name, lane.max, new Set(lane.held)));
        lane.held.push(...got);
      } catch {
        /* the database is busy: the next tryAcquire asks again */
      } finally {
        lane.growing = undefined;
      }
      if (lane.inUse < lane.held.length) this.wake(name, lane);
    })();
  }

  private async claimSlots(tx: OutboxDb, name: string, max: number, mine: Set<number>): Promise<number[]> {
    await lockKey(this.store, tx, `outbox_slots:${name}`);
    const now = Date.now();
    const lease = now + this.options.leaseMs;
    const rows = await tx.selectFrom('outbox_slots').select(['slot', 'owner', 'lease_until']).where('connection', '=', name).execute();
    const known = new Set(rows.map((r) => r.slot));
    const got: number[] = [];
    const missing = [];
    for (let slot = 0; slot < max; slot++) if (!known.has(slot)) missing.push({ connection: name, slot, owner: this.owner, lease_until: lease });
    if (missing.length > 0) {
      await tx.insertInto('outbox_slots').values(missing).execute();
      got.push(...missing.map((m) => m.slot));
    }
    for (const r of rows) {
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
