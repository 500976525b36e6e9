import { Option, type Command } from 'commander';
import { action, ApiClient, clientOptions, collect, enc, EXIT_CODES_HELP, oneLineUsageErrors, out, printJson, type ClientFlags } from './client.js';
import { table, when } from './format.js';

interface KeyView {
  id: string;
  name: string;
  scope: 'admin' | 'send' | 'read';
  connections?: string[];
  createdAt: string;
  lastUsedAt?: string;
}

const SCOPES_HELP = `
Scopes: admin (everything), send (send through any connection, or only through the
--connection ones), read (look, never change: history, messages, connections).`;

export function registerKeys(program: Command): void {
  const keys = oneLineUsageErrors(program.command('keys'))
    .description('API keys: create (the key is shown once), list, revoke')
    .addHelpText('after', `${SCOPES_HELP}\n${EXIT_CODES_HELP}`);

  clientOptions(keys.command('create'))
    .description('create an API key and print it, this once')
    .requiredOption('--name <name>', 'what the key is for, e.g. "billing service"')
    .addOption(new Option('--scope <scope>', 'what the key may do').choices(['admin', 'send', 'read']).makeOptionMandatory())
    .option('--connection <name>', 'for a send key: a connection it may use (repeat for more; none means all)', collect)
    .option('--json', 'print the answer as JSON (it holds the key)')
    .addHelpText(
      'after',
      `${SCOPES_HELP}

Examples:
  $ smtpflow keys create --name ci --scope send --connection office
  $ smtpflow keys create --name dashboard --scope read
  $ export SMTPFLOW_KEY=$(smtpflow keys create --name ci --scope send --json | jq -r .key)
${EXIT_CODES_HELP}`,
    )
    .action(
      action(async (flags: ClientFlags & { name: string; scope: string; connection?: string[]; json?: boolean }) => {
        const body: Record<string, unknown> = { name: flags.name, scope: flags.scope };
        if (flags.connection?.length) body.connections = flags.connection;
        const { body: created } = await new ApiClient(flags).request<KeyView & { key: string }>('POST', '/keys', body);
        if (flags.json) return printJson(created);
        const limits = created.connections?.length ? `, only through ${created.connections.join(', ')}` : '';
        out(`Created API key ${created.id} "${created.name}" (scope ${created.scope}${limits}).`);
        out('Copy it now: it is stored hashed and cannot be shown again.');
        out();
        out(`  ${created.key}`);
        out();
        out('Use it with: export SMTPFLOW_KEY=<the key>   (or the header Authorization: Bearer <the key>)');
      }),
    );

  clientOptions(keys.command('list'))
    .alias('ls')
    .description('list API keys (never their secrets)')
    .option('--json', 'print JSON')
    .addHelpText('after', `\nExample:\n  $ smtpflow keys list\n${EXIT_CODES_HELP}`)
    .action(
      action(async (flags: ClientFlags & { json?: boolean }) => {
        const { body: list } = await new ApiClient(flags).request<KeyView[]>('GET', '/keys');
        if (flags.json) return printJson(list);
        if (list.length === 0) return out('no API keys');
        const rows = list.map((k) => [k.id, k.name, k.scope, k.connections?.join(', ') || (k.scope === 'send' ? '(all)' : '-'), when(k.createdAt), when(k.lastUsedAt)]);
        out(table(['ID', 'NAME', 'SCOPE', 'CONNECTIONS', 'CREATED', 'LAST USED'], rows));
      }),
    );

  clientOptions(keys.command('rm'))
    .alias('revoke')
    .argument('<id>', 'the key id, as `keys list` shows it (key_…)')
    .description('revoke an API key; requests with it fail at once')
    .addHelpText('after', `\nExample:\n  $ smtpflow keys rm key_01hx…\n${EXIT_CODES_HELP}`)
    .action(
      action(async (id: string, flags: ClientFlags) => {
        await new ApiClient(flags).request('DELETE', `/keys/${enc(id)}`);
        out(`revoked API key ${id}`);
      }),
    );
}
