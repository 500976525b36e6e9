import { Migrator, type Kysely, type Migration, type MigrationProvider } from 'kysely';
import * as initial from './migrations/001_initial.js';
import * as outbox from './migrations/002_outbox.js';
import * as workflows from './migrations/003_workflows.js';
import * as oauthTokens from './migrations/004_oauth_tokens.js';
import * as scale from './migrations/005_scale.js';

export interface MigrationContext {
  dialect: 'sqlite' | 'postgres';
  /** `blob` on SQLite, `bytea` on PostgreSQL */
  blobType: 'blob' | 'bytea';
}

type MigrationModule = { up(db: Kysely<any>, ctx: MigrationContext): Promise<void> };

/** Every migration, in order. A new one is appended here (file names keep the order visible). */
const MIGRATIONS: Record<string, MigrationModule> = {
  '001_initial': initial,
  '002_outbox': outbox,
  '003_workflows': workflows,
  '004_oauth_tokens': oauthTokens,
  '005_scale': scale,
};

class StaticProvider implements MigrationProvider {
  constructor(private readonly ctx: MigrationContext) {}
  async getMigrations(): Promise<Record<string, Migration>> {
    const out: Record<string, Migration> = {};
    for (const [name, mod] of Object.entries(MIGRATIONS)) {
      out[name] = { up: (db) => mod.up(db, this.ctx) };
    }
    return out;
  }
}

export async function migrateToLatest(db: Kysely<any>, dialect: 'sqlite' | 'postgres'): Promise<string[]> {
  const migrator = new Migrator({
    db,
    provider: new StaticProvider({ dialect, blobType: dialect === 'postgres' ? 'bytea' : 'blob' }),
    // Features land on main in parallel, each with its own numbered migration: a database that
    // ran 001 and 003 must still take 002 when it arrives, rather than refuse to start.
    allowUnorderedMigrations: true,
  });
  const { error, results } = await migrator.migrateToLatest();
  if (error) throw error;
  return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
}
