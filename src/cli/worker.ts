import type { Command } from 'commander';
import { portNumber } from './flags.js';
import { loadConfig, type ConfigOverrides, type LogLevel } from '../config.js';

interface WorkerFlags {
  dataDir?: string;
  databaseUrl?: string;
  logLevel?: string;
  metricsPort?: string;
  host?: string;
}

/**
 * `smtpflow worker`: delivery, workflow runs and trigger firing, no API, over the same database
 * as the servers. Slots, rate windows, leases and trigger due times live in the database, so any
 * number of these share the connections' limits and fire each occurrence once.
 */
export function registerWorker(program: Command): void {
  program
    .command('worker')
    .description('deliver queued messages, execute workflow runs and fire triggers (no API); run as many as you like against one database')
    .option('--data-dir <dir>', 'where SQLite data and the secret key live (SMTPFLOW_DATA_DIR, default ./data)')
    .option('--database-url <url>', 'postgres://… or sqlite:<file> shared with the servers (SMTPFLOW_DATABASE_URL)')
    .option('--log-level <level>', 'fatal, error, warn, info, debug, trace or silent (SMTPFLOW_LOG_LEVEL)')
    .option('--metrics-port <port>', 'serve /healthz, /readyz and /metrics on this port, 0 for any free one (SMTPFLOW_METRICS_PORT; off when unset)')
    .option('--host <host>', 'address of that port (SMTPFLOW_HOST, default 127.0.0.1)')
    .action(async (flags: WorkerFlags) => {
      const overrides: ConfigOverrides = {};
      if (flags.dataDir !== undefined) overrides.dataDir = flags.dataDir;
      if (flags.databaseUrl !== undefined) overrides.databaseUrl = flags.databaseUrl;
      if (flags.logLevel !== undefined) overrides.logLevel = flags.logLevel as LogLevel;
      if (flags.metricsPort !== undefined) overrides.metricsPort = portNumber(flags.metricsPort, '--metrics-port');
      if (flags.host !== undefined) overrides.host = flags.host;
      // Loaded here, not at the top: every other command would pay for loading the services.
      const { createWorker } = await import('../app.js');
      const worker = await createWorker(loadConfig(overrides));
      let stopping = false;
      const stop = (signal: string): void => {
        if (stopping) return;
        stopping = true;
        worker.log.info({ signal }, 'worker stopping: finishing in-flight SMTP transactions');
        worker.stop().then(
          () => process.exit(0),
          (err: unknown) => {
            worker.log.error({ err }, 'worker shutdown failed');
            process.exit(1);
          },
        );
      };
      process.on('SIGTERM', () => stop('SIGTERM'));
      process.on('SIGINT', () => stop('SIGINT'));
      // Only now say so: whoever waits for this line may stop us at once, and until the handlers
      // above exist a SIGTERM kills the process without a clean stop.
      worker.log.info({ owner: worker.outbox.owner, probes: worker.probeUrl }, 'worker started');
      // Printed to the terminal like serve's banner: the id that this worker's leases carry in the database.
      const probes = worker.probeUrl ? `; ${worker.probeUrl}/metrics, /healthz, /readyz` : '';
      process.stderr.write(`smtpflow worker ${worker.outbox.owner} started (pid ${process.pid})${probes}\n`);
    });
}
