import { parseDuration, type RetryPolicyDef } from './definition.js';

export interface RetryPlan {
  /** Retries after the first attempt. */
  count: number;
  /** Delay before retry number `n` (1-based), in milliseconds. */
  delay(n: number): number;
}

/**
 * Logic Apps' "Default" policy when an action has none: exponential, up to 4 retries, intervals
 * scaling by 7.5 seconds and capped between 5 and 45 seconds (learn.microsoft.com, "Handle
 * errors and exceptions in Azure Logic Apps", Retry policies).
 */
export const DEFAULT_POLICY: Required<RetryPolicyDef> = {
  type: 'exponential',
  count: 4,
  interval: 'PT7.5S',
  minimumInterval: 'PT5S',
  maximumInterval: 'PT45S',
};

/** Problems of a retryPolicy object, as messages; empty when it is valid. */
export function retryPolicyProblems(policy: unknown): string[] {
  if (typeof policy !== 'object' || policy === null || Array.isArray(policy)) return ['must be an object with a type of "none", "fixed" or "exponential"'];
  const p = policy as RetryPolicyDef;
  const type = typeof p.type === 'string' ? p.type.toLowerCase() : undefined;
  if (type !== 'none' && type !== 'fixed' && type !== 'exponential') return [`type must be "none", "fixed" or "exponential", not ${JSON.stringify(p.type)}`];
  if (type === 'none') return [];
  const problems: string[] = [];
  if (p.count !== undefined && (!Number.isInteger(p.count) || p.count < 1 || p.count > 90)) problems.push('count must be a whole number from 1 to 90');
  if (type === 'fixed' && p.interval === undefined) problems.push('a fixed policy needs an interval (ISO 8601, e.g. "PT20S")');
  for (const field of ['interval', 'minimumInterval', 'maximumInterval'] as const) {
    if (p[field] !== undefined && parseDuration(p[field]) === undefined) problems.push(`${field} must be an ISO 8601 duration such as "PT10S", not ${JSON.stringify(p[field])}`);
  }
  return problems;
}

/** Turns an action's retryPolicy (already validated) into delays; `random` is injectable for tests. */
export function retryPlan(policy: RetryPolicyDef | undefined, random: () => number = Math.random): RetryPlan {
  const p = policy ?? DEFAULT_POLICY;
  const type = (p.type ?? 'exponential').toLowerCase();
  if (type === 'none') return { count: 0, delay: () => 0 };
  const count = p.count ?? 4;
  const interval = parseDuration(p.interval) ?? (type === 'fixed' ? 20_000 : 7_500);
  if (type === 'fixed') return { count, delay: () => interval };
  const min = parseDuration(p.minimumInterval) ?? 5_000;
  const max = parseDuration(p.maximumInterval) ?? (policy ? 86_400_000 : 45_000);
  return {
    count,
    // The n-th retry waits a random time between interval·2^(n-2) and interval·2^(n-1), within [min, max].
    delay(n: number): number {
      const high = Math.min(interval * 2 ** (n - 1), max);
      const low = n === 1 ? Math.min(min, high) : Math.min(interval * 2 ** (n - 2), max);
      return Math.max(min, Math.round(low + (high - low) * random()));
    },
  };
}
