import type { Command } from 'commander';
import { portNumber } from './flags.js';
import { loadConfig, type ConfigOverrides, type LogLevel } from '../config.js';

interface ServeFlags {
  port?: string;
  host?: string;
  dataDir?: string;
  databaseUrl?: string;
  devSmtpPort?: string;
  logLevel?: string;
  worker?: boolean;
}

export function serveOverrides(flags: ServeFlags): ConfigOverrides {
  const o: ConfigOverrides = {};
  if (flags.port !== undefined) o.port = portNumber(flags.port, '--port');
  if (flags.host !== undefined) o.host = flags.host;
  if (flags.dataDir !== undefined) o.dataDir = flags.dataDir;
  if (flags.databaseUrl !== undefined) o.databaseUrl = flags.databaseUrl;
  if (flags.devSmtpPort !== undefined) o.devSmtpPort = portNumber(flags.devSmtpPort, '--dev-smtp-port');
  if (flags.logLevel !== undefined) o.logLevel = flags.logLevel as LogLevel;
  if (flags.worker === false) o.worker = false;
  return o;
}

export function registerServe(program: Command): void {
  program
    .command('serve')
    .description('run the API, the designer, delivery and workflow execution (unless --no-worker) and (by default) the development SMTP server')
    .option('--port <port>', 'HTTP port (SMTPFLOW_PORT, default 8080)')
    .option('--host <host>', 'HTTP address to listen on (SMTPFLOW_HOST, default 127.0.0.1)')
    .option('--data-dir <dir>', 'where SQLite data and the secret key live (SMTPFLOW_DATA_DIR, default ./data)')
    .option('--database-url <url>', 'postgres://… to keep all state in PostgreSQL (SMTPFLOW_DATABASE_URL)')
    .option('--dev-smtp-port <port>', 'development SMTP server port, 0 turns it off (SMTPFLOW_DEV_SMTP_PORT, default 2525)')
    .option('--log-level <level>', 'fatal, error, warn, info, debug, trace or silent (SMTPFLOW_LOG_LEVEL)')
    .option('--no-worker', 'serve the API only (SMTPFLOW_WORKER=false); leave delivery, workflow runs and triggers to `smtpflow worker` processes')
    .action(async (flags: ServeFlags) => {
      // Loaded here, not at the top: every other command (send, keys, …) would pay seconds to load the server.
      const { createApp } = await import('../app.js');
      const app = await createApp(loadConfig(serveOverrides(flags)));
      let stopping = false;
      const stop = (signal: string): void => {
        if (stopping) return;
        stopping = true;
        app.log.info({ signal }, 'shutting down: finishing in-flight work');
        app.stop().then(
          () => process.exit(0),
          (err: unknown) => {
            app.log.error({ err }, 'shutdown failed');
            process.exit(1);
          },
        );
      };
      process.on('SIGTERM', () => stop('SIGTERM'));
      process.on('SIGINT', () => stop('SIGINT'));
      // Listening (and saying so) only once a SIGTERM stops cleanly: until the handlers above exist,
      // the signal would kill the process outright.
      const url = await app.listen();
      printBanner(url, app.generatedAdminKey, app.devSmtpPort, Boolean(app.config.adminKey));
    });
}

/** Printed to the terminal, not the log: the generated key must never reach a log file. */
function printBanner(url: string, generatedKey: string | undefined, devSmtpPort: number | undefined, keyFromEnv: boolean): void {
  const lines = ['', `smtpflow is running at ${url}`];
  if (generatedKey) {
    lines.push(
      `  Admin API key (shown this once, keep it): ${generatedKey}`,
      `  Open the designer, logged in:            ${url}/#key=${generatedKey}`,
    );
  } else {
    lines.push(`  Designer: ${url}  (log in with ${keyFromEnv ? 'the key in SMTPFLOW_ADMIN_KEY' : 'the admin key printed on first start'})`);
  }
  if (devSmtpPort !== undefined) {
    lines.push(`  Development SMTP server: 127.0.0.1:${devSmtpPort} (connection "dev-inbox"; caught mail at ${url}/api/v1/inbox)`);
  }
  lines.push('');
  process.stderr.write(lines.join('\n') + '\n');
}
