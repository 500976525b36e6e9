#!/usr/bin/env node
import { Command, CommanderError } from 'commander';
import { registerConnections } from './connections.js';
import { registerKeys } from './keys.js';
import { registerMigrate } from './migrate.js';
import { registerSecrets } from './secrets.js';
import { registerSend } from './send.js';
import { registerServe } from './serve.js';
import { registerWorker } from './worker.js';
import { registerWorkflows } from './workflows.js';

const program = new Command()
  .name('smtpflow')
  .description('Self-hosted SMTP connector and workflow runner')
  .version('0.1.0')
  .showHelpAfterError('(add --help for usage)');

registerServe(program);
registerWorker(program);
registerMigrate(program);
registerSend(program);
registerConnections(program);
registerKeys(program);
registerWorkflows(program);
registerSecrets(program);

program.exitOverride();
try {
  await program.parseAsync(process.argv);
} catch (err) {
  if (err instanceof CommanderError) process.exit(err.exitCode);
  process.stderr.write(`smtpflow: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
}
