import type { Kysely } from 'kysely';
import type { Store } from '../store/db.js';

/** Row type of migration 004 (kept here, in the room that owns the table, as the outbox does). */
export interface OAuthTokensTable {
  key: string;
  sealed: string | null;
  renew_at: number;
  expires_at: number;
  version: number;
  lock_owner: string | null;
  lock_until: number | null;
  updated_at: number;
}

export interface OAuthDatabase {
  oauth_tokens: OAuthTokensTable;
}

/** The store seen with the oauth room's own table (src/store/schema.ts belongs to the store room). */
export const oauthDb = (store: Store): Kysely<OAuthDatabase> => store.db as unknown as Kysely<OAuthDatabase>;
