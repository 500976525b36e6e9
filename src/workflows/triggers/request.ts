import crypto from 'node:crypto';
import type { Store } from '../../store/db.js';

const SETTING = 'workflows.callback_key';

/** The path a signature covers: the invoke URL without its query, names percent-encoded. */
export const invokePath = (workflow: string, trigger: string): string =>
  `/api/v1/workflows/${encodeURIComponent(workflow)}/triggers/${encodeURIComponent(trigger)}/invoke`;

/**
 * Signs Request-trigger callback URLs with HMAC-SHA256 over the path. The key lives in the
 * settings table so that every process sharing the database accepts the same URLs; rotating it
 * invalidates every URL handed out before.
 */
export class CallbackSigner {
  private key?: Buffer;

  constructor(private readonly store: Store) {}

  async sign(workflow: string, trigger: string): Promise<string> {
    return hmac(await this.current(), invokePath(workflow, trigger));
  }

  /** Constant-time comparison of HMACs: the time taken says nothing about how much of `sig` was right. */
  async verify(workflow: string, trigger: string, sig: unknown): Promise<boolean> {
    if (typeof sig !== 'string' || sig.length === 0 || sig.length > 200) return false;
    const key = await this.current(true);
    const expected = crypto.createHash('sha256').update(hmac(key, invokePath(workflow, trigger))).digest();
    const given = crypto.createHash('sha256').update(sig).digest();
    return crypto.timingSafeEqual(expected, given);
  }

  async rotate(): Promise<void> {
    const value = crypto.randomBytes(32).toString('base64url');
    await this.store.db
      .insertInto('settings')
      .values({ name: SETTING, value })
      .onConflict((oc) => oc.column('name').doUpdateSet({ value }))
      .execute();
    this.key = Buffer.from(value, 'base64url');
  }

  /** `fresh` re-reads the key, so a rotation in another process takes effect here too. */
  private async current(fresh = false): Promise<Buffer> {
    if (this.key && !fresh) return this.key;
    const row = await this.store.db.selectFrom('settings').select('value').where('name', '=', SETTING).executeTakeFirst();
    if (row) this.key = Buffer.from(row.value, 'base64url');
    else {
      const value = crypto.randomBytes(32).toString('base64url');
      // Two processes starting together: the first insert wins and both use its key.
      await this.store.db.insertInto('settings').values({ name: SETTING, value }).onConflict((oc) => oc.column('name').doNothing()).execute();
      const stored = await this.store.db.selectFrom('settings').select('value').where('name', '=', SETTING).executeTakeFirstOrThrow();
      this.key = Buffer.from(stored.value, 'base64url');
    }
    return this.key;
  }
}

const hmac = (key: Buffer, path: string): string => crypto.createHmac('sha256', key).update(path).digest('base64url');

const DROP_HEADERS = /^(authorization|cookie|proxy-authorization|x-api-key)$/i;

/** What `triggerOutputs()` holds for a Request trigger (headers without credentials). */
export function requestOutputs(headers: Record<string, unknown>, body: unknown, queries: Record<string, unknown>): Record<string, unknown> {
  const kept: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) if (!DROP_HEADERS.test(name) && value !== undefined) kept[name] = Array.isArray(value) ? value.join(', ') : String(value);
  const { sig: _sig, ...rest } = queries;
  return { headers: kept, body: body ?? null, ...(Object.keys(rest).length ? { queries: rest } : {}) };
}
