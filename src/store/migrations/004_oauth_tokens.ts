import type { Kysely } from 'kysely';
import type { MigrationContext } from '../migrate.js';

/**
 * OAuth2 access tokens of SMTP connections (XOAUTH2), shared by every process on the database so
 * that a token is fetched once per expiry, not once per worker. Row types: src/oauth/tables.ts.
 */
export async function up(db: Kysely<any>, _ctx: MigrationContext): Promise<void> {
  await db.schema
    .createTable('oauth_tokens')
    // the connection's name
    .addColumn('key', 'text', (c) => c.primaryKey())
    // SecretBox-sealed JSON: access token, refresh token (rotated ones too), last failure
    .addColumn('sealed', 'text')
    // when a caller fetches a new token instead of using this one (before it expires)
    .addColumn('renew_at', 'bigint', (c) => c.notNull().defaultTo(0))
    .addColumn('expires_at', 'bigint', (c) => c.notNull().defaultTo(0))
    // bumped by every refresh (or recorded failure): a refresh lock is taken only on the version read
    .addColumn('version', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('lock_owner', 'text')
    .addColumn('lock_until', 'bigint')
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .execute();
}
