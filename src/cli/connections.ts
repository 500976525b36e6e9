import fs from 'node:fs';
import { Option, type Command } from 'commander';
import { action, ApiClient, CliError, clientOptions, enc, EXIT_CODES_HELP, oneLineUsageErrors, out, printJson, type ClientFlags } from './client.js';
import { brief, fields, table, when } from './format.js';
import { readPassword } from './password.js';
import { SOURCE_SECRET_HELP, sourceConnectionBody, type SourceFlags } from './source-connections.js';

type View = Record<string, unknown> & { name: string; type: string; secretsSet: string[]; createdAt: string; updatedAt: string };

interface AddFlags extends ClientFlags, SourceFlags {
  host?: string;
  port?: string;
  security: 'starttls' | 'tls' | 'none';
  username?: string;
  passwordStdin?: boolean;
  defaultFrom?: string;
  rejectUnauthorized?: boolean;
  ca?: string;
  maxConnections?: string;
  rateLimit?: string;
  json?: boolean;
}

interface TestReport {
  ok: boolean;
  steps: Array<{ step: string; ok: boolean; detail: string; durationMs: number }>;
  problem?: { code: string; message: string; fix: string };
}

const DEFAULT_PORT = { tls: 465, starttls: 587, none: 25 } as const;

const STEP_LABELS: Record<string, string> = {
  dns: 'DNS',
  tcp: 'TCP connect',
  banner: 'greeting',
  ehlo: 'EHLO',
  starttls: 'STARTTLS',
  certificate: 'certificate',
  'auth-mechanisms': 'AUTH methods',
  auth: 'AUTH',
  'mail-from': 'MAIL FROM',
};

function wholeNumber(value: string, flag: string): number {
  if (!/^\d+$/.test(value)) throw new CliError(`${flag} must be a whole number, got '${value}'.`);
  return Number(value);
}

/** `10/1` or `100/60s`: at most N messages in any window of SECONDS seconds. */
export function parseRateLimit(value: string): { messages: number; perSeconds: number } {
  const m = /^\s*(\d+)\s*\/\s*(\d+(?:\.\d+)?)\s*s?\s*$/.exec(value);
  if (!m || Number(m[1]) < 1 || Number(m[2]) <= 0) {
    throw new CliError(`--rate-limit takes MESSAGES/SECONDS, e.g. 10/1 (ten per second) or 100/60; got '${value}'.`);
  }
  return { messages: Number(m[1]), perSeconds: Number(m[2]) };
}

async function connectionBody(name: string, flags: AddFlags): Promise<Record<string, unknown>> {
  if (flags.type === 'salesforce' || flags.type === 'postgres') return sourceConnectionBody(name, flags);
  if (flags.host === undefined) throw new CliError('--host is required for an SMTP connection (or give --type salesforce or --type postgres).');
  const body: Record<string, unknown> = {
    name,
    host: flags.host,
    port: flags.port === undefined ? DEFAULT_PORT[flags.security] : wholeNumber(flags.port, '--port'),
    security: flags.security,
  };
  if (flags.username !== undefined) body.username = flags.username;
  const password = flags.passwordStdin ? await readPassword() : process.env.SMTPFLOW_SMTP_PASSWORD || undefined;
  if (password !== undefined) body.password = password;
  else if (flags.username !== undefined) process.stderr.write('smtpflow: note: --username without a password (give one with --password-stdin or SMTPFLOW_SMTP_PASSWORD).\n');
  if (flags.defaultFrom !== undefined) body.defaultFrom = flags.defaultFrom;
  if (flags.rejectUnauthorized !== undefined) body.rejectUnauthorized = flags.rejectUnauthorized;
  if (flags.ca !== undefined) {
    try {
      body.ca = fs.readFileSync(flags.ca, 'utf8');
    } catch (err) {
      throw new CliError(`cannot read --ca ${flags.ca}: ${(err as Error).message}`);
    }
  }
  if (flags.maxConnections !== undefined) body.maxConnections = wholeNumber(flags.maxConnections, '--max-connections');
  if (flags.rateLimit !== undefined) body.rateLimit = parseRateLimit(flags.rateLimit);
  return body;
}

const server = (c: Record<string, unknown>): string => (c.host ? `${String(c.host)}${c.port ? `:${String(c.port)}` : ''}` : c.loginUrl ? String(c.loginUrl) : '-');

/** Known fields first, in the order a reader checks them; anything else the server adds after. */
const SHOW_ORDER = ['name', 'type', 'host', 'port', 'security', 'username', 'defaultFrom', 'rejectUnauthorized', 'ca', 'maxConnections', 'rateLimit'];
const HIDDEN = new Set(['secretsSet', 'createdAt', 'updatedAt', 'version']);

function describe(view: View): string {
  const keys = [...SHOW_ORDER.filter((k) => k in view), ...Object.keys(view).filter((k) => !SHOW_ORDER.includes(k) && !HIDDEN.has(k))];
  const entries: Array<[string, string]> = keys.map((k) => {
    const v = view[k];
    if (k === 'rateLimit' && v && typeof v === 'object') {
      const r = v as { messages: number; perSeconds: number };
      return [k, `${r.messages} message(s) per ${r.perSeconds} s`];
    }
    return [k, brief(v)];
  });
  entries.push(['secrets set', view.secretsSet.length ? view.secretsSet.join(', ') : 'none'], ['created', when(view.createdAt)], ['updated', when(view.updatedAt)]);
  return fields(entries);
}

/** One line per step, ✓ or ✗, then what went wrong and the setting to change. */
export function testReport(name: string, report: TestReport): string {
  const w = Math.max(0, ...report.steps.map((s) => (STEP_LABELS[s.step] ?? s.step).length));
  const lines = report.steps.map((s) => `${s.ok ? '✓' : '✗'} ${(STEP_LABELS[s.step] ?? s.step).padEnd(w)}  ${s.detail} (${Math.round(s.durationMs)} ms)`);
  if (report.problem) lines.push('', `Problem (${report.problem.code}): ${report.problem.message}`, `Fix: ${report.problem.fix}`);
  else if (report.ok) lines.push('', `connection ${name} works`);
  return lines.join('\n');
}

export function registerConnections(program: Command): void {
  const connections = oneLineUsageErrors(program.command('connections'))
    .description('connections (SMTP servers, and Salesforce or PostgreSQL trigger sources): add, list, show, test, rm')
    .addHelpText('after', EXIT_CODES_HELP);

  clientOptions(connections.command('add'))
    .argument('<name>', 'letters, digits, ".", "_" and "-"; how send commands and workflows refer to it')
    .description('add a connection: an SMTP server (the password is read from stdin or SMTPFLOW_SMTP_PASSWORD, never from a flag), or with --type a Salesforce org or PostgreSQL database that triggers watch')
    .addOption(new Option('--type <type>', 'smtp, or a trigger source: salesforce, postgres').choices(['smtp', 'salesforce', 'postgres']).default('smtp'))
    .option('--host <host>', 'SMTP server host name (required for smtp)')
    .option('--port <port>', 'SMTP port (default 465 for tls, 587 for starttls, 25 for none)')
    .addOption(new Option('--security <mode>', 'tls: implicit TLS; starttls: STARTTLS required, never clear text; none').choices(['starttls', 'tls', 'none']).default('starttls'))
    .option('--username <user>', 'SMTP AUTH user name (salesforce: the user of the jwt-bearer or password grant)')
    .option('--password-stdin', 'read the SMTP password from stdin (prompted without echo on a terminal); for salesforce and postgres the secret below')
    .option('--default-from <address>', 'sender used when a message has no From, e.g. "Robot <robot@example.com>"')
    .option('--reject-unauthorized', 'verify the server certificate (the default)')
    .option('--no-reject-unauthorized', 'accept any server certificate (testing only)')
    .option('--ca <file>', 'PEM file of extra CA certificates to trust')
    .option('--max-connections <n>', 'pooled SMTP connections to keep open')
    .option('--rate-limit <n/seconds>', 'at most N messages in any SECONDS window, e.g. 10/1 or 100/60')
    .option('--login-url <url>', 'salesforce: https://login.salesforce.com (default), https://test.salesforce.com or your My Domain URL')
    .option('--instance-url <url>', "salesforce: the org's API host, when it differs from the one the token answer names")
    .option('--api-version <version>', 'salesforce: REST API version, e.g. 62.0')
    .addOption(new Option('--grant <grant>', 'salesforce: the OAuth 2.0 flow').choices(['client-credentials', 'jwt-bearer', 'refresh-token', 'password']).default(undefined, 'client-credentials'))
    .option('--client-id <id>', "OAuth client id (salesforce: the Connected App's consumer key)")
    .option('--private-key <file>', 'salesforce jwt-bearer: PEM private key whose certificate the Connected App holds')
    .option('--audience <url>', 'salesforce jwt-bearer: the JWT aud (default: the login URL)')
    .option('--schema <schema>', 'postgres: schema of unqualified table names (default public)')
    .addOption(new Option('--ssl <mode>', 'postgres: TLS to the database').choices(['disable', 'require', 'verify-full']))
    .option('--json', 'print the created connection as JSON')
    .addHelpText(
      'after',
      `
Examples:
  $ printf %s "$SMTP_PASSWORD" | smtpflow connections add office --host smtp.office365.com \\
      --username robot@example.com --password-stdin --default-from "Robot <robot@example.com>"
  $ smtpflow connections add gmail --host smtp.gmail.com --security tls --username me@gmail.com --password-stdin
  $ smtpflow connections add relay --host 10.0.0.5 --port 25 --security none --rate-limit 100/60
  $ printf %s "$SF_CONSUMER_SECRET" | smtpflow connections add crm --type salesforce \\
      --login-url https://example.my.salesforce.com --client-id 3MVG9… --password-stdin
  $ smtpflow connections add crm-jwt --type salesforce --grant jwt-bearer --client-id 3MVG9… \\
      --username integration@example.com --private-key ./server.key
  $ printf %s "$DATABASE_URL" | smtpflow connections add orders-db --type postgres --password-stdin
${SOURCE_SECRET_HELP}
${EXIT_CODES_HELP}`,
    )
    .action(
      action(async (name: string, flags: AddFlags) => {
        const client = new ApiClient(flags);
        const { body: created } = await client.request<View>('POST', '/connections', await connectionBody(name, flags));
        if (flags.json) return printJson(created);
        out(`added connection ${created.name} (${[created.type === 'postgres' ? '' : server(created), String(created.security ?? created.type)].filter(Boolean).join(', ')})`);
        out(`check it with: smtpflow connections test ${created.name}`);
      }),
    );

  clientOptions(connections.command('list'))
    .alias('ls')
    .description('list connections')
    .option('--json', 'print JSON')
    .addHelpText('after', `\nExamples:\n  $ smtpflow connections list\n  $ smtpflow connections list --json\n${EXIT_CODES_HELP}`)
    .action(
      action(async (flags: ClientFlags & { json?: boolean }) => {
        const { body: list } = await new ApiClient(flags).request<View[]>('GET', '/connections');
        if (flags.json) return printJson(list);
        if (list.length === 0) return out('no connections; add one with: smtpflow connections add NAME --host HOST');
        const rows = list.map((c) => [c.name, c.type, server(c), brief(c.security), brief(c.username), brief(c.defaultFrom)]);
        out(table(['NAME', 'TYPE', 'SERVER', 'SECURITY', 'USERNAME', 'DEFAULT FROM'], rows));
      }),
    );

  clientOptions(connections.command('show'))
    .argument('<name>')
    .description('show one connection (secrets are never shown, only whether they are set)')
    .option('--json', 'print JSON')
    .addHelpText('after', `\nExample:\n  $ smtpflow connections show office\n${EXIT_CODES_HELP}`)
    .action(
      action(async (name: string, flags: ClientFlags & { json?: boolean }) => {
        const { body: view } = await new ApiClient(flags).request<View>('GET', `/connections/${enc(name)}`);
        if (flags.json) return printJson(view);
        out(describe(view));
      }),
    );

  clientOptions(connections.command('test'))
    .argument('<name>')
    .description('connect, EHLO, STARTTLS/TLS and AUTH against the server; print each step and how to fix what failed')
    .option('--json', 'print the report as JSON')
    .addHelpText('after', `\nExample:\n  $ smtpflow connections test office\n\nExits 1 when a step fails.\n${EXIT_CODES_HELP}`)
    .action(
      action(async (name: string, flags: ClientFlags & { json?: boolean }) => {
        const { body: report } = await new ApiClient(flags).request<TestReport>('POST', `/connections/${enc(name)}/test`, {});
        if (flags.json) printJson(report);
        else out(testReport(name, report));
        if (!report.ok) process.exitCode = 1;
      }),
    );

  clientOptions(connections.command('rm'))
    .alias('remove')
    .argument('<name>')
    .description('remove a connection')
    .addHelpText('after', `\nExample:\n  $ smtpflow connections rm office\n${EXIT_CODES_HELP}`)
    .action(
      action(async (name: string, flags: ClientFlags) => {
        await new ApiClient(flags).request('DELETE', `/connections/${enc(name)}`);
        out(`removed connection ${name}`);
      }),
    );
}
