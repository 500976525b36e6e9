import fs from 'node:fs';
import { CliError } from './client.js';
import { readPassword } from './password.js';

/** `smtpflow connections add --type salesforce|postgres`: the flags of trigger-source connections. */
export interface SourceFlags {
  type?: 'smtp' | 'salesforce' | 'postgres';
  loginUrl?: string;
  instanceUrl?: string;
  apiVersion?: string;
  grant?: 'client-credentials' | 'jwt-bearer' | 'refresh-token' | 'password';
  clientId?: string;
  username?: string;
  privateKey?: string;
  audience?: string;
  schema?: string;
  ssl?: 'disable' | 'require' | 'verify-full';
  ca?: string;
  passwordStdin?: boolean;
}

/** Where each secret comes from: `--password-stdin` (the grant's main secret) or an environment variable, never a flag. */
export const SOURCE_SECRET_HELP = `
Secrets are never flags (flags land in shell history and in ps output):
  salesforce  --password-stdin reads the grant's secret: the client secret (client-credentials),
              the refresh token (refresh-token) or the user's password (password); or set
              SMTPFLOW_SALESFORCE_CLIENT_SECRET, SMTPFLOW_SALESFORCE_REFRESH_TOKEN,
              SMTPFLOW_SALESFORCE_PASSWORD, SMTPFLOW_SALESFORCE_SECURITY_TOKEN
  postgres    --password-stdin reads the connection string; or set SMTPFLOW_POSTGRES_URL`;

const GRANTS = { 'client-credentials': 'clientCredentials', 'jwt-bearer': 'jwtBearer', 'refresh-token': 'refreshToken', password: 'password' } as const;

const env = (name: string): string | undefined => process.env[name] || undefined;

function readFile(path: string, flag: string): string {
  try {
    return fs.readFileSync(path, 'utf8');
  } catch (err) {
    throw new CliError(`cannot read ${flag} ${path}: ${(err as Error).message}`);
  }
}

function required<T>(value: T | undefined, what: string): T {
  if (value === undefined || value === '') throw new CliError(`${what} is required for this connection.`);
  return value;
}

/** The POST /connections body of a salesforce or postgres connection. */
export async function sourceConnectionBody(name: string, flags: SourceFlags): Promise<Record<string, unknown>> {
  const piped = flags.passwordStdin ? await readPassword(flags.type === 'postgres' ? 'Connection string: ' : 'Salesforce secret: ') : undefined;
  if (flags.type === 'postgres') {
    const body: Record<string, unknown> = { name, type: 'postgres', connectionString: required(piped ?? env('SMTPFLOW_POSTGRES_URL'), 'The connection string (--password-stdin or SMTPFLOW_POSTGRES_URL)') };
    if (flags.schema !== undefined) body.schema = flags.schema;
    if (flags.ssl !== undefined) body.ssl = flags.ssl;
    if (flags.ca !== undefined) body.ca = readFile(flags.ca, '--ca');
    return body;
  }
  const grant = GRANTS[flags.grant ?? 'client-credentials'];
  const clientId = required(flags.clientId, '--client-id');
  let auth: Record<string, unknown>;
  switch (grant) {
    case 'clientCredentials':
      auth = { clientId, clientSecret: required(piped ?? env('SMTPFLOW_SALESFORCE_CLIENT_SECRET'), 'The client secret (--password-stdin or SMTPFLOW_SALESFORCE_CLIENT_SECRET)') };
      break;
    case 'jwtBearer':
      auth = { clientId, username: required(flags.username, '--username'), privateKey: readFile(required(flags.privateKey, '--private-key'), '--private-key') };
      if (flags.audience !== undefined) auth.audience = flags.audience;
      break;
    case 'refreshToken': {
      auth = { clientId, refreshToken: required(piped ?? env('SMTPFLOW_SALESFORCE_REFRESH_TOKEN'), 'The refresh token (--password-stdin or SMTPFLOW_SALESFORCE_REFRESH_TOKEN)') };
      const secret = env('SMTPFLOW_SALESFORCE_CLIENT_SECRET');
      if (secret) auth.clientSecret = secret;
      break;
    }
    case 'password': {
      auth = {
        clientId,
        clientSecret: required(env('SMTPFLOW_SALESFORCE_CLIENT_SECRET'), 'SMTPFLOW_SALESFORCE_CLIENT_SECRET'),
        username: required(flags.username, '--username'),
        password: required(piped ?? env('SMTPFLOW_SALESFORCE_PASSWORD'), "The user's password (--password-stdin or SMTPFLOW_SALESFORCE_PASSWORD)"),
      };
      const token = env('SMTPFLOW_SALESFORCE_SECURITY_TOKEN');
      if (token) auth.securityToken = token;
      break;
    }
  }
  const body: Record<string, unknown> = { name, type: 'salesforce', loginUrl: flags.loginUrl ?? 'https://login.salesforce.com', auth: { type: grant, ...auth } };
  if (flags.instanceUrl !== undefined) body.instanceUrl = flags.instanceUrl;
  if (flags.apiVersion !== undefined) body.apiVersion = flags.apiVersion;
  return body;
}
