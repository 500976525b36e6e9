import type { Command } from 'commander';
import { loadConfig, type ConfigOverrides } from '../config.js';

interface MigrateFlags {
  dataDir?: string;
  databaseUrl?: string;
}

/**
 * `smtpflow migrate`: brings the schema up to date and exits. Every process also migrates on
 * start (concurrent starts are safe: Kysely's migrator takes a lock), so this is for deploys
 * that want the schema changed before any new process runs.
 */
export function registerMigrate(program: Command): void {
  program
    .command('migrate')
    .description('apply pending database migrations (SQLite or PostgreSQL) and exit')
    .option('--data-dir <dir>', 'where SQLite data lives (SMTPFLOW_DATA_DIR, default ./data)')
    .option('--database-url <url>', 'postgres://… or sqlite:<file> (SMTPFLOW_DATABASE_URL)')
    .action(async (flags: MigrateFlags) => {
      const overrides: ConfigOverrides = {};
      if (flags.dataDir !== undefined) overrides.dataDir = flags.dataDir;
      if (flags.databaseUrl !== undefined) overrides.databaseUrl = flags.databaseUrl;
      const config = loadConfig(overrides);
      // Loaded here, not at the top: every other command would pay for the database drivers.
      const { describeDatabase, openStore } = await import('../store/db.js');
      const { migrateToLatest } = await import('../store/migrate.js');
      const store = await openStore(config.databaseUrl, { migrate: false, poolSize: 1 });
      try {
        const applied = await migrateToLatest(store.db, store.dialect);
        const where = describeDatabase(config.databaseUrl);
        process.stdout.write(applied.length === 0 ? `${where}: the schema is up to date.\n` : `${where}: applied ${applied.join(', ')}.\n`);
      } finally {
        await store.close();
      }
    });
}
