/**
 * Connecting to a watched PostgreSQL database, and saying in plain words why it failed.
 * A client is opened per poll or test and closed after it: polls are seconds apart, and a
 * pool per connection would outlive connection changes and app restarts for little gain.
 */
import pg from 'pg';
import type { PostgresConnection } from '../connections/postgres.js';

export type PgConnection = Omit<PostgresConnection, 'name' | 'type'> & { name: string };

export interface Problem {
  code: string;
  message: string;
  fix: string;
}

/** A failure with its problem attached; its message is already scrubbed of secrets. */
export class SqlSourceError extends Error {
  constructor(readonly problem: Problem) {
    super(`${problem.message} ${problem.fix}`);
    this.name = 'SqlSourceError';
  }
}

const CONNECT_TIMEOUT_MS = 10_000;
const STATEMENT_TIMEOUT_MS = 60_000;

/** The connection string as a URL; a SqlSourceError (that does not quote it: it holds the password) when it is not one. */
function parseUrl(conn: PgConnection): URL {
  try {
    return new URL(conn.connectionString);
  } catch {
    throw new SqlSourceError({
      code: 'InvalidConnectionString',
      message: `The connectionString of '${conn.name}' is not a valid postgres:// URL.`,
      fix: `Set it again with PATCH /api/v1/connections/${conn.name}, percent-encoding special characters of the password (@ is %40, / is %2F).`,
    });
  }
}

/** Where the connection points (never its password), for messages. */
export function target(conn: PgConnection, database?: string): { host: string; port: string; user: string; database: string } {
  const url = URL.canParse(conn.connectionString) ? new URL(conn.connectionString) : new URL('postgres://unknown');
  return {
    host: url.hostname || 'localhost',
    port: url.port || '5432',
    user: decodeURIComponent(url.username) || '(default user)',
    database: database ?? (decodeURIComponent(url.pathname.replace(/^\//, '')) || '(default database)'),
  };
}

/** The secrets that must never appear in a message: the password in its raw and decoded forms, the whole string. */
function secretsOf(conn: PgConnection): string[] {
  const out = [conn.connectionString];
  if (!URL.canParse(conn.connectionString)) return out;
  const url = new URL(conn.connectionString);
  if (url.password) out.push(url.password, decodeURIComponent(url.password));
  const fromQuery = url.searchParams.get('password');
  if (fromQuery) out.push(fromQuery);
  return out.filter((s) => s.length >= 3);
}

export function scrub(conn: PgConnection, text: string): string {
  let out = text;
  for (const secret of secretsOf(conn)) out = out.split(secret).join('***');
  return out;
}

function clientConfig(conn: PgConnection, database?: string): pg.ClientConfig {
  const url = parseUrl(conn);
  // The trigger path may name another database on the same server (Logic Apps' `{server},{database}`).
  if (database) url.pathname = `/${encodeURIComponent(database)}`;
  // An explicit `ssl` setting wins over the string's sslmode: pg would let the parsed string override it.
  if (conn.ssl) url.searchParams.delete('sslmode');
  const ssl = conn.ssl === 'require' ? { rejectUnauthorized: false } : conn.ssl === 'verify-full' ? { rejectUnauthorized: true, ...(conn.ca ? { ca: conn.ca } : {}) } : conn.ssl === 'disable' ? false : undefined;
  return {
    connectionString: url.toString(),
    ...(ssl !== undefined ? { ssl } : {}),
    connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
    statement_timeout: STATEMENT_TIMEOUT_MS,
    application_name: 'smtpflow',
  };
}

/** An open client; on failure, a SqlSourceError that names the cause and the fix. */
export async function connect(conn: PgConnection, database?: string): Promise<pg.Client> {
  const client = new pg.Client(clientConfig(conn, database));
  // A server that goes away between queries emits 'error' on the client; the pending query fails anyway.
  client.on('error', () => undefined);
  try {
    await client.connect();
    return client;
  } catch (err) {
    await client.end().catch(() => undefined);
    throw new SqlSourceError(describeError(conn, err, database));
  }
}

/** Runs `work` with a client that is closed afterwards, whatever happens. */
export async function withClient<T>(conn: PgConnection, work: (client: pg.Client) => Promise<T>, database?: string): Promise<T> {
  const client = await connect(conn, database);
  try {
    return await work(client);
  } catch (err) {
    if (err instanceof SqlSourceError) throw err;
    throw new SqlSourceError(describeError(conn, err, database));
  } finally {
    await client.end().catch(() => undefined);
  }
}

const PATCH = (conn: PgConnection): string => `PATCH /api/v1/connections/${conn.name}`;

/** The cause of a PostgreSQL or network failure, and what to change; never a secret. */
export function describeError(conn: PgConnection, err: unknown, database?: string): Problem {
  const e = err as { code?: string; message?: string };
  const t = target(conn, database);
  const where = `${t.host}:${t.port}`;
  const raw = scrub(conn, String(e?.message ?? err));
  switch (e?.code) {
    case 'ECONNREFUSED':
      return { code: 'ConnectionRefused', message: `Nothing accepts connections at ${where} (connection refused).`, fix: `Check the host and port in the connectionString (${PATCH(conn)}), that PostgreSQL runs there, and that its listen_addresses includes this interface.` };
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return { code: 'HostNotFound', message: `The host name '${t.host}' does not resolve.`, fix: `Fix the host in the connectionString (${PATCH(conn)}).` };
    case 'ETIMEDOUT':
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return { code: 'ConnectTimeout', message: `No answer from ${where} (${e.code}).`, fix: 'Check the host and port, and that no firewall drops connections from this machine to PostgreSQL.' };
    case '28P01':
      return { code: 'AuthenticationFailed', message: `PostgreSQL at ${where} refused the password of user '${t.user}'.`, fix: `Set the right user and password in the connectionString with ${PATCH(conn)} (the password is write-only and never shown).` };
    case '28000':
      return { code: 'ConnectionNotAllowed', message: `PostgreSQL at ${where} does not allow user '${t.user}' to connect to database '${t.database}' from this machine: ${raw}.`, fix: 'Add a pg_hba.conf entry for this user, database and client address (then reload PostgreSQL), or use a user that is allowed.' };
    case '3D000':
      return { code: 'DatabaseNotFound', message: `PostgreSQL at ${where} has no database named '${t.database}'.`, fix: `Create it (CREATE DATABASE), or fix the database name in the connectionString (${PATCH(conn)}) or in the trigger's path.` };
    case '42501':
      return { code: 'PermissionDenied', message: `User '${t.user}' lacks a privilege: ${raw}.`, fix: 'Grant it to that user (GRANT …), or connect as a user that has it.' };
    case '55P03':
      return { code: 'TableBusy', message: `A long transaction holds the table, so smtpflow could not install its insert trigger without making the application's inserts wait.`, fix: 'Nothing to do: smtpflow tries again at the next poll (end long transactions on the table if it keeps happening).' };
    case '57P03':
      return { code: 'ServerStarting', message: `PostgreSQL at ${where} is starting up or shutting down.`, fix: 'Try again in a moment.' };
    default:
      if (/does not support SSL/i.test(raw)) {
        return { code: 'TlsNotSupported', message: `PostgreSQL at ${where} does not accept encrypted connections.`, fix: 'Enable ssl on the server, or set ssl: "disable" on the connection if clear text is acceptable on this network.' };
      }
      if (/certificate|self[- ]signed|altnames/i.test(raw)) {
        return { code: 'CertificateNotTrusted', message: `The certificate of ${where} is not accepted: ${raw}.`, fix: 'Add the CA that signed it as `ca` (PEM), fix the host name to match the certificate, or set ssl: "require" to encrypt without verification.' };
      }
      if (/timeout/i.test(raw)) {
        return { code: 'ConnectTimeout', message: `No answer from ${where} within ${CONNECT_TIMEOUT_MS / 1000} s.`, fix: 'Check the host and port, and that no firewall drops connections from this machine to PostgreSQL.' };
      }
      return { code: 'QueryFailed', message: `PostgreSQL at ${where} answered: ${raw}${e?.code ? ` (SQLSTATE ${e.code})` : ''}.`, fix: 'See the PostgreSQL documentation for this error; the connection settings may need changing.' };
  }
}
