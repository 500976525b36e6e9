/** Tunables of the outbox; the defaults suit production, tests shorten the times. */
export interface OutboxOptions {
  /** How long a claimed message (or a session slot) stays with a worker without a renewal. */
  leaseMs: number;
  /** How often a worker looks for due messages it was not told about (other processes, expired leases). */
  pollMs: number;
  /** First retry delay; doubled per attempt, with jitter. */
  backoffBaseMs: number;
  backoffMaxMs: number;
  /** Transient failures are retried until this long after acceptance, unless the connection sets lifetimeSeconds. */
  defaultLifetimeSeconds: number;
  /** Messages claimed ahead per connection; bounds what a crashed worker leaves to its lease. */
  prefetch: number;
  /** Idle session slots are given back after this long so other processes may use the connection. */
  slotIdleMs: number;
  /** How long a worker's attempt records wait to share one commit (fsync); a crash in that window means a resend. */
  completionLingerMs: number;
}

export const DEFAULT_OUTBOX_OPTIONS: OutboxOptions = {
  leaseMs: 30_000,
  pollMs: 1_000,
  backoffBaseMs: 30_000,
  backoffMaxMs: 3_600_000,
  defaultLifetimeSeconds: 86_400,
  prefetch: 200,
  slotIdleMs: 2_000,
  completionLingerMs: 20,
};

const ENV: Record<keyof OutboxOptions, string> = {
  leaseMs: 'SMTPFLOW_OUTBOX_LEASE_MS',
  pollMs: 'SMTPFLOW_OUTBOX_POLL_MS',
  backoffBaseMs: 'SMTPFLOW_OUTBOX_BACKOFF_MS',
  backoffMaxMs: 'SMTPFLOW_OUTBOX_BACKOFF_MAX_MS',
  defaultLifetimeSeconds: 'SMTPFLOW_OUTBOX_LIFETIME_SECONDS',
  prefetch: 'SMTPFLOW_OUTBOX_PREFETCH',
  slotIdleMs: 'SMTPFLOW_OUTBOX_SLOT_IDLE_MS',
  completionLingerMs: 'SMTPFLOW_OUTBOX_COMPLETION_LINGER_MS',
};

/** SMTPFLOW_OUTBOX_* variables (src/config.ts is the config room's; these are the outbox's own). */
export function outboxOptionsFromEnv(env: NodeJS.ProcessEnv = process.env): Partial<OutboxOptions> {
  const out: Partial<OutboxOptions> = {};
  for (const [key, name] of Object.entries(ENV) as Array<[keyof OutboxOptions, string]>) {
    const raw = env[name];
    if (raw === undefined || raw === '') continue;
    const n = Number(raw);
    if (!Number.isFinite(n) || n < 0) throw new Error(`${name} must be a non-negative number, got '${raw}'.`);
    out[key] = n;
  }
  return out;
}

export function resolveOutboxOptions(...parts: Array<Partial<OutboxOptions> | undefined>): OutboxOptions {
  return Object.assign({}, DEFAULT_OUTBOX_OPTIONS, ...parts.filter(Boolean)) as OutboxOptions;
}

/** Exponential backoff with full jitter over the upper half: never a thundering herd, never near zero. */
export function backoffMs(attempt: number, o: Pick<OutboxOptions, 'backoffBaseMs' | 'backoffMaxMs'>): number {
  const ceiling = Math.min(o.backoffMaxMs, o.backoffBaseMs * 2 ** Math.max(0, attempt - 1));
  return Math.round(ceiling / 2 + Math.random() * (ceiling / 2));
}
