/**
 * Access tokens per connection, shared by every process on the database (issue 10 part 1).
 *
 * A token is kept in memory and, sealed, in `oauth_tokens`. It is renewed a little before it
 * expires, or at once when the SMTP server rejects it. Whoever renews first takes a lock on the
 * row *at the version it read*; everyone else waits for the version to move and takes the new
 * token. So however many workers need a token at the moment one expires, the endpoint is asked
 * once — which also keeps rotated refresh tokens intact: the one that was spent is never sent
 * again, its successor is stored (sealed) in its place.
 */
import { createHash, randomUUID } from 'node:crypto';
import type { SecretBox } from '../secrets/secret-box.js';
import type { Store } from '../store/db.js';
import { oauthDb, type OAuthTokensTable } from './tables.js';
import { OAuthTokenError, requestToken, type TokenFailure, type TokenRequest } from './token-client.js';

export interface AccessToken {
  value: string;
  /** After this time a caller renews rather than use it. */
  renewAt: number;
  expiresAt: number;
}

export interface OAuthTokensOptions {
  /** How long a refresh may hold the row; a crashed holder's lock lapses after it. Default 30 s. */
  lockMs?: number;
  /** How often a waiting caller looks at the row. Default 25 ms. */
  pollMs?: number;
  /** Token request timeout. Default 10 s. */
  requestTimeoutMs?: number;
}

/** What the sealed column holds. `basis` ties it to the settings it was obtained with. */
interface Sealed {
  basis: string;
  accessToken?: string;
  refreshToken?: string;
  /** The last refresh failed: callers get this error, without asking again, until `until`. */
  failure?: TokenFailure & { until: number };
}

/** How long a failed refresh is answered from the record rather than asked again (an outbox full of messages must not hammer the endpoint). */
const FAILURE_MEMORY_MS = { permanent: 30_000, transient: 2_000 };

/** Renew this long before expiry: a tenth of the lifetime, at most five minutes. */
const renewMargin = (lifetimeMs: number): number => Math.min(300_000, lifetimeMs / 10);

export class OAuthTokens {
  private readonly owner = randomUUID();
  private readonly memory = new Map<string, AccessToken & { basis: string }>();
  /** One database round per key (and rejected token) at a time in this process. */
  private readonly pending = new Map<string, Promise<AccessToken>>();
  private readonly lockMs: number;
  private readonly pollMs: number;
  private readonly requestTimeoutMs: number;

  constructor(
    private readonly store: Store,
    private readonly box: SecretBox,
    options: OAuthTokensOptions = {},
  ) {
    this.lockMs = options.lockMs ?? 30_000;
    this.pollMs = options.pollMs ?? 25;
    this.requestTimeoutMs = options.requestTimeoutMs ?? 10_000;
  }

  /**
   * A usable access token for `key` (a connection name). `rejected`: the token the server just
   * refused; the answer is then another one (renewed, unless someone else already did).
   * Throws `OAuthTokenError` when the endpoint refuses or cannot be reached.
   */
  async get(key: string, request: TokenRequest, rejected?: string): Promise<AccessToken> {
    const basis = basisOf(request);
    const mem = this.memory.get(key);
    if (mem && mem.basis === basis && mem.value !== rejected && Date.now() < mem.renewAt) return mem;
    const id = `${key}\n${rejected ?? ''}`;
    let run = this.pending.get(id);
    if (!run) {
      run = this.load(key, request, basis, rejected).finally(() => this.pending.delete(id));
      this.pending.set(id, run);
    }
    return run;
  }

  /** Drops the stored token of a removed connection. */
  async forget(key: string): Promise<void> {
    this.memory.delete(key);
    await oauthDb(this.store).deleteFrom('oauth_tokens').where('key', '=', key).execute();
  }

  private async load(key: string, request: TokenRequest, basis: string, rejected: string | undefined): Promise<AccessToken> {
    const db = oauthDb(this.store);
    const deadline = Date.now() + this.lockMs + this.requestTimeoutMs;
    for (;;) {
      const row = await db.selectFrom('oauth_tokens').selectAll().where('key', '=', key).executeTakeFirst();
      if (!row) {
        await db
          .insertInto('oauth_tokens')
          .values({ key, sealed: null, renew_at: 0, expires_at: 0, version: 0, lock_owner: null, lock_until: null, updated_at: Date.now() })
          .onConflict((oc) => oc.column('key').doNothing())
          .execute();
        continue;
      }
      const opened = row.sealed ? this.box.openJson<Sealed>(row.sealed) : undefined;
      const state = opened?.basis === basis ? opened : undefined;
      const now = Date.now();
      if (state?.accessToken && state.accessToken !== rejected && now < row.renew_at) {
        return this.remember(key, basis, state.accessToken, row);
      }
      if (state?.failure && now < state.failure.until) throw new OAuthTokenError(state.failure);

      const locked = await db
        .updateTable('oauth_tokens')
        .set({ lock_owner: this.owner, lock_until: now + this.lockMs })
        .where('key', '=', key)
        .where('version', '=', row.version)
        .where((eb) => eb.or([eb('lock_until', 'is', null), eb('lock_until', '<', now)]))
        .executeTakeFirst();
      if (Number(locked.numUpdatedRows) === 1) return this.refresh(key, request, basis, state, row.version);

      // Someone else is renewing: wait until the row moves on (or their lock lapses), then read it again.
      for (;;) {
        if (Date.now() > deadline) {
          throw new OAuthTokenError({
            status: 502, code: 'OAuthTokenUnavailable', diagnosis: 'OAuthTokenUnavailable', transient: true,
            what: `Another process has been renewing the access token of '${key}' for too long.`,
            fix: 'Nothing to change: sends are retried. If it persists, check that the token endpoint answers.',
          });
        }
        await new Promise((resolve) => setTimeout(resolve, this.pollMs));
        const seen = await db.selectFrom('oauth_tokens').select(['version', 'lock_until']).where('key', '=', key).executeTakeFirst();
        if (!seen || seen.version !== row.version || (seen.lock_until ?? 0) < Date.now()) break;
      }
    }
  }

  private async refresh(key: string, request: TokenRequest, basis: string, state: Sealed | undefined, version: number): Promise<AccessToken> {
    const db = oauthDb(this.store);
    // A rotated refresh token replaces the configured one for as long as the settings are unchanged.
    const refreshToken = request.refreshToken === undefined ? undefined : (state?.refreshToken ?? request.refreshToken);
    const sentAt = Date.now();
    let next: Sealed;
    let times: Pick<OAuthTokensTable, 'renew_at' | 'expires_at'> | undefined;
    let failure: OAuthTokenError | undefined;
    try {
      const issued = await requestToken({ ...request, refreshToken }, { timeoutMs: this.requestTimeoutMs });
      next = { basis, accessToken: issued.accessToken, refreshToken: issued.refreshToken ?? refreshToken };
      const expiresAt = sentAt + issued.lifetimeMs;
      times = { expires_at: expiresAt, renew_at: expiresAt - renewMargin(issued.lifetimeMs) };
    } catch (err) {
      if (!(err instanceof OAuthTokenError)) {
        await db.updateTable('oauth_tokens').set({ lock_owner: null, lock_until: null }).where('key', '=', key).where('lock_owner', '=', this.owner).execute();
        throw err;
      }
      failure = err;
      const until = Date.now() + (err.failure.transient ? FAILURE_MEMORY_MS.transient : FAILURE_MEMORY_MS.permanent);
      next = { ...(state ?? { basis }), failure: { ...err.failure, until } };
    }
    await db
      .updateTable('oauth_tokens')
      .set({ sealed: this.box.sealJson(next), ...(times ?? {}), version: version + 1, lock_owner: null, lock_until: null, updated_at: Date.now() })
      .where('key', '=', key)
      .where('lock_owner', '=', this.owner)
      .execute();
    if (failure) throw failure;
    return this.remember(key, basis, next.accessToken!, times!);
  }

  private remember(key: string, basis: string, value: string, times: Pick<OAuthTokensTable, 'renew_at' | 'expires_at'>): AccessToken {
    const token = { value, renewAt: times.renew_at, expiresAt: times.expires_at };
    this.memory.set(key, { ...token, basis });
    return token;
  }
}

/** A fingerprint of everything a token depends on; kept inside the sealed column, never in clear. */
function basisOf(request: TokenRequest): string {
  return createHash('sha256')
    .update(JSON.stringify([request.tokenUrl, request.clientId, request.clientSecret ?? null, request.scope ?? null, request.refreshToken ?? null]))
    .digest('base64url');
}
