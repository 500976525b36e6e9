import fs from 'node:fs';
import type { Command } from 'commander';
import { loadConfig, type ConfigOverrides, type LogLevel } from '../config.js';
import { ConnectionRepository } from '../connections/repository.js';
import { createLogger } from '../log.js';
import { Outbox, outboxOptionsFromEnv } from '../outbox/index.js';
import { loadOrCreateKey, SecretBox } from '../secrets/secret-box.js';
import { openStore } from '../store/db.js';

interface WorkerFlags {
  dataDir?: string;
  databaseUrl?: string;
  logLevel?: string;
}

/**
 * `smtpflow worker`: delivery only, over the same database as the servers. Slots, rate windows
 * and leases live in the database, so any number of these share the connections' limits.
 */
export function registerWorker(program: Command): void {
  program
    .command('worker')
    .description('deliver queued messages (no API); run as many as you like against one database')
    .option('--data-dir <dir>', 'where SQLite data and the secret key live (SMTPFLOW_DATA_DIR, default ./data)')
    .option('--database-url <url>', 'postgres://… or sqlite:<file> shared with the servers (SMTPFLOW_DATABASE_URL)')
    .option('--log-level <level>', 'fatal, error, warn, info, debug, trace or silent (SMTPFLOW_LOG_LEVEL)')
    .action(async (flags: WorkerFlags) => {
      const overrides: ConfigOverrides = {};
      if (flags.dataDir !== undefined) overrides.dataDir = flags.dataDir;
      if (flags.databaseUrl !== undefined) overrides.databaseUrl = flags.databaseUrl;
      if (flags.logLevel !== undefined) overrides.logLevel = flags.logLevel as LogLevel;
      const config = loadConfig(overrides);
      fs.mkdirSync(config.dataDir, { recursive: true });
      const log = createLogger(config.logLevel);
      const store = await openStore(config.databaseUrl);
      const connections = new ConnectionRepository(store, new SecretBox(loadOrCreateKey(config.secretKey, config.dataDir)));
      const outbox = new Outbox({ store, connections, log: log.child({ component: 'outbox' }), options: outboxOptionsFromEnv() });
      outbox.start({ worker: true });
      log.info({ owner: outbox.owner }, 'worker started');
      let stopping = false;
      const stop = (signal: string): void => {
        if (stopping) return;
        stopping = true;
        log.info({ signal }, 'worker stopping: finishing in-flight SMTP transactions');
        outbox
          .stop()
          .then(() => store.close())
          .then(
            () => process.exit(0),
            (err: unknown) => {
              log.error({ err }, 'worker shutdown failed');
              process.exit(1);
            },
          );
      };
      process.on('SIGTERM', () => stop('SIGTERM'));
      process.on('SIGINT', () => stop('SIGINT'));
    });
}
