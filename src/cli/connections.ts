import fs from 'node:fs';
import { Option, type Command } from 'commander';
import { action, ApiClient, CliError, clientOptions, enc, EXIT_CODES_HELP, oneLineUsageErrors, out, printJson, type ClientFlags } from './client.js';
import { brief, fields, table, when } from './format.js';
import { readPassword } from './password.js';
import { SOURCE_SECRET_HELP, sourceConnectionBody, type SourceFlags } from './source-connections.js';
import { wholeNumber } from './flags.js';

type View = Record<string, unknown> & { name: string; type: string; secretsSet: string[]; createdAt: string; updatedAt: string };

interface AddFlags extends ClientFlags, SourceFlags {
  host?: string;
  port?: string;
  security?: 'starttls' | 'tls' | 'none';
  username?: string;
  passwordStdin?: boolean;
  auth?: 'password' | 'oauth2';
  provider?: 'microsoft' | 'google';
  tenantId?: string;
  tokenUrl?: string;
  scope?: string;
  dkimDomain?: string;
  dkimSelector?: string;
  dkimKey?: string;
  envelopeFrom?: string;
  clientName?: string;
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
  'oauth2-token': 'OAuth2 token',
  auth: 'AUTH',
  'mail-from': 'MAIL FROM',
};

/** `10/1` or `100/60s`: at most N messages in any window of SECONDS seconds. */
export function parseRateLimit(value: string): { messages: number; perSeconds: number } {
  const m = /^\s*(\d+)\s*\/\s*(\d+(?:\.\d+)?)\s*s?\s*$/.exec(value);
  if (!m || Number(m[1]) < 1 || Number(m[2]) <= 0) {
    throw new CliError(`--rate-limit takes MESSAGES/SECONDS, e.g. 10/1 (ten per second) or 100/60; got '${value}'.`);
  }
  return { messages: Number(m[1]), perSeconds: Number(m[2]) };
}

const readFile = (file: string, flag: string): string => {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch (err) {
    throw new CliError(`cannot read ${flag} ${file}: ${(err as Error).message}`);
  }
};

/**
 * `auth` of `--auth oauth2`: --username is the mailbox; --password-stdin reads the grant's secret
 * (the client secret, or the refresh token), the environment may give the other.
 */
async function oauth2Auth(flags: AddFlags): Promise<Record<string, unknown>> {
  const grant = flags.grant ?? (flags.provider === 'google' ? 'refresh-token' : 'client-credentials');
  if (grant !== 'client-credentials' && grant !== 'refresh-token') throw new CliError('--auth oauth2 takes --grant client-credentials or refresh-token.');
  if (!flags.username || !flags.clientId) throw new CliError('--auth oauth2 needs --username (the mailbox to sign in as) and --client-id.');
  const piped = flags.passwordStdin ? await readPassword(grant === 'refresh-token' ? 'Refresh token: ' : 'Client secret: ') : undefined;
  const clientSecret = (grant === 'client-credentials' ? piped : undefined) ?? (process.env.SMTPFLOW_OAUTH2_CLIENT_SECRET || undefined);
  const refreshToken = (grant === 'refresh-token' ? piped : undefined) ?? (process.env.SMTPFLOW_OAUTH2_REFRESH_TOKEN || undefined);
  if (grant === 'refresh-token' && !refreshToken) throw new CliError('--grant refresh-token needs the refresh token: --password-stdin or SMTPFLOW_OAUTH2_REFRESH_TOKEN.');
  const auth: Record<string, unknown> = { type: 'oauth2', user: flags.username, clientId: flags.clientId };
  for (const key of ['provider', 'tenantId', 'tokenUrl', 'scope'] as const) if (flags[key] !== undefined) auth[key] = flags[key];
  if (clientSecret !== undefined) auth.clientSecret = clientSecret;
  if (refreshToken !== undefined) auth.refreshToken = refreshToken;
  return auth;
}

async function connectionBody(name: string, flags: AddFlags): Promise<Record<string, unknown>> {
  if (flags.type === 'salesforce' || flags.type === 'postgres') return sourceConnectionBody(name, flags);
  const oauth2 = flags.auth === 'oauth2';
  // --provider fills in host, port and security on the server; without it they are needed here
  const preset = oauth2 && flags.provider !== undefined && flags.host === undefined;
  if (flags.host === undefined && !preset) throw new CliError('--host is required for an SMTP connection (or --auth oauth2 --provider microsoft|google, or --type salesforce|postgres).');
  const security = flags.security ?? (preset ? undefined : 'starttls');
  const body: Record<string, unknown> = { name };
  if (flags.host !== undefined) body.host = flags.host;
  if (flags.port !== undefined) body.port = wholeNumber(flags.port, '--port');
  else if (security !== undefined && !preset) body.port = DEFAULT_PORT[security];
  if (security !== undefined) body.security = security;
  if (oauth2) {
    body.auth = await oauth2Auth(flags);
  } else {
    if (flags.username !== undefined) body.username = flags.username;
    const password = flags.passwordStdin ? await readPassword() : process.env.SMTPFLOW_SMTP_PASSWORD || undefined;
    if (password !== undefined) body.password = password;
    else if (flags.username !== undefined) process.stderr.write('smtpflow: note: --username without a password (give one with --password-stdin or SMTPFLOW_SMTP_PASSWORD).\n');
  }
  if (flags.dkimDomain !== undefined || flags.dkimSelector !== undefined || flags.dkimKey !== undefined) {
    if (!flags.dkimDomain || !flags.dkimSelector || !flags.dkimKey) {
      throw new CliError('DKIM needs --dkim-domain, --dkim-selector and --dkim-key together; or add the connection, then run: smtpflow connections dkim-keygen NAME.');
    }
    body.dkim = { domainName: flags.dkimDomain, keySelector: flags.dkimSelector, privateKey: readFile(flags.dkimKey, '--dkim-key') };
  }
  if (flags.envelopeFrom !== undefined) body.envelopeFrom = flags.envelopeFrom;
  if (flags.clientName !== undefined) body.clientName = flags.clientName;
  if (flags.defaultFrom !== undefined) body.defaultFrom = flags.defaultFrom;
  if (flags.rejectUnauthorized !== undefined) body.rejectUnauthorized = flags.rejectUnauthorized;
  if (flags.ca !== undefined) body.ca = readFile(flags.ca, '--ca');
  if (flags.maxConnections !== undefined) body.maxConnections = wholeNumber(flags.maxConnections, '--max-connections');
  if (flags.rateLimit !== undefined) body.rateLimit = parseRateLimit(flags.rateLimit);
  return body;
}

const server = (c: Record<string, unknown>): string => (c.host ? `${String(c.host)}${c.port ? `:${String(c.port)}` : ''}` : c.loginUrl ? String(c.loginUrl) : '-');

/** Known fields first, in the order a reader checks them; anything else the server adds after. */
const SHOW_ORDER = ['name', 'type', 'host', 'port', 'security', 'username', 'auth', 'defaultFrom', 'envelopeFrom', 'clientName', 'dkim', 'rejectUnauthorized', 'ca', 'maxConnections', 'rateLimit'];
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
    .description('connections (SMTP servers, and Salesforce or PostgreSQL trigger sources): add, list, show, test, dkim-keygen, rm')
    .addHelpText('after', EXIT_CODES_HELP);

  clientOptions(connections.command('add'))
    .argument('<name>', 'letters, digits, ".", "_" and "-"; how send commands and workflows refer to it')
    .description('add a connection: an SMTP server (the password is read from stdin or SMTPFLOW_SMTP_PASSWORD, never from a flag), or with --type a Salesforce org or PostgreSQL database that triggers watch')
    .addOption(new Option('--type <type>', 'smtp, or a trigger source: salesforce, postgres').choices(['smtp', 'salesforce', 'postgres']).default('smtp'))
    .option('--host <host>', 'SMTP server host name (required for smtp, unless --provider gives it)')
    .option('--port <port>', 'SMTP port (default 465 for tls, 587 for starttls, 25 for none)')
    .addOption(new Option('--security <mode>', 'tls: implicit TLS; starttls (the default): STARTTLS required, never clear text; none').choices(['starttls', 'tls', 'none']))
    .addOption(new Option('--auth <type>', 'smtp: sign in with a password (the default) or OAuth2 (XOAUTH2: --username is the mailbox, with --client-id and --grant)').choices(['password', 'oauth2']))
    .addOption(new Option('--provider <provider>', 'smtp OAuth2: fills in the server, token URL and scope').choices(['microsoft', 'google']))
    .option('--tenant-id <tenant>', 'smtp OAuth2 with microsoft: the tenant (directory) ID or domain')
    .option('--token-url <url>', 'smtp OAuth2: the token endpoint, for a provider not listed')
    .option('--scope <scope>', 'smtp OAuth2: the scope, when not the provider\'s default')
    .option('--dkim-domain <domain>', 'smtp DKIM: the signing domain (d=)')
    .option('--dkim-selector <selector>', 'smtp DKIM: the selector (s=)')
    .option('--dkim-key <file>', 'smtp DKIM: PEM file of the RSA private key (or make one later: smtpflow connections dkim-keygen NAME)')
    .option('--envelope-from <address>', 'smtp: the MAIL FROM address (where bounces go) when it differs from From')
    .option('--client-name <name>', 'smtp: the EHLO name (default: this machine\'s fully qualified name)')
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
  $ printf %s "$CLIENT_SECRET" | smtpflow connections add m365 --auth oauth2 --provider microsoft \\
      --tenant-id contoso.onmicrosoft.com --client-id 00000000-… --username robot@contoso.com --password-stdin
  $ printf %s "$REFRESH_TOKEN" | SMTPFLOW_OAUTH2_CLIENT_SECRET=… smtpflow connections add gmail-oauth \\
      --auth oauth2 --provider google --client-id 1234-….apps.googleusercontent.com --username me@gmail.com --password-stdin
  $ printf %s "$SF_CONSUMER_SECRET" | smtpflow connections add crm --type salesforce \\
      --login-url https://example.my.salesforce.com --client-id 3MVG9… --password-stdin
  $ smtpflow connections add crm-jwt --type salesforce --grant jwt-bearer --client-id 3MVG9… \\
      --username integration@example.com --private-key ./server.key
  $ printf %s "$DATABASE_URL" | smtpflow connections add orders-db --type postgres --password-stdin
${SOURCE_SECRET_HELP}
  smtp oauth2 --password-stdin reads the grant's secret: the client secret (client-credentials)
              or the refresh token (refresh-token); or set SMTPFLOW_OAUTH2_CLIENT_SECRET,
              SMTPFLOW_OAUTH2_REFRESH_TOKEN
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

  clientOptions(connections.command('dkim-keygen'))
    .argument('<name>')
    .description('create a 2048-bit DKIM key for an SMTP connection (it signs every message from now on) and print the DNS TXT record to publish')
    .option('--domain <domain>', 'the signing domain (default: the domain of the connection\'s defaultFrom)')
    .option('--selector <selector>', 'the selector (default: smtpflow-<date>-<time>, a new DNS name for every key)')
    .option('--json', 'print the API answer as JSON')
    .addHelpText('after', `\nExample:\n  $ smtpflow connections dkim-keygen office --domain example.com\n${EXIT_CODES_HELP}`)
    .action(
      action(async (name: string, flags: ClientFlags & { domain?: string; selector?: string; json?: boolean }) => {
        const body: Record<string, string> = {};
        if (flags.domain !== undefined) body.domainName = flags.domain;
        if (flags.selector !== undefined) body.keySelector = flags.selector;
        const { body: record } = await new ApiClient(flags).request<Record<string, string>>('POST', `/connections/${enc(name)}/dkim/keygen`, body);
        if (flags.json) return printJson(record);
        out(`created a 2048-bit DKIM key for ${name} (d=${record.domainName}, s=${record.keySelector}); it signs every message from now on.`);
        out('Publish this TXT record (receivers check the signatures against it):');
        out(fields([['name', record.name], ['value', record.value], ['zone file', record.zoneFileLine]]));
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
