import crypto from 'node:crypto';
import type { Connection, OAuth2, TokenResponse } from 'jsforce';
import type { StoredConnection } from '../connections/repository.js';
import type { SalesforceConnectionInput } from '../connections/salesforce.js';

export const DEFAULT_API_VERSION = '62.0';
const REQUEST_TIMEOUT_MS = 30_000;

type Settings = Omit<SalesforceConnectionInput, 'name' | 'type'>;

/**
 * A logged-in Salesforce org: jsforce's Connection with an access token from the connection's
 * OAuth grant. jsforce calls `refreshFn` when an answer says the session is gone (401
 * INVALID_SESSION_ID) and repeats the request, so an expired token costs one more round trip
 * and no failure. The grant is run again for every flow (a refresh token is just one of them).
 */
export class SalesforceSession {
  readonly conn: Connection;
  private readonly oauth2: OAuth2;
  private login?: Promise<TokenResponse>;

  constructor(
    private readonly settings: Settings,
    { Connection, OAuth2 }: Jsforce,
  ) {
    const auth = settings.auth;
    this.oauth2 = new OAuth2({ loginUrl: trimUrl(settings.loginUrl), clientId: auth.clientId, clientSecret: 'clientSecret' in auth ? auth.clientSecret : undefined });
    this.conn = new Connection({
      oauth2: this.oauth2,
      version: settings.apiVersion ?? DEFAULT_API_VERSION,
      refreshFn: (conn, callback) => {
        this.grant().then(
          (token) => callback(null, token.access_token, token),
          (err: Error) => callback(err),
        );
      },
    });
  }

  /** Gets a new access token (also what jsforce's refreshFn does); callers at the same time share one request. */
  grant(): Promise<TokenResponse> {
    this.login ??= withTimeout(requestToken(this.settings, this.oauth2), 'the token request')
      .then((token) => {
        this.conn._establish({ accessToken: token.access_token, instanceUrl: this.settings.instanceUrl ? trimUrl(this.settings.instanceUrl) : token.instance_url });
        return token;
      })
      .finally(() => {
        this.login = undefined;
      });
    return this.login;
  }

  /**
   * GET a REST resource: a path below /services/data/vNN.0 ('/sobjects'), or a path from the
   * root (a query's nextRecordsUrl). No retries inside: a 503 or a limit answer goes back to the
   * trigger, which backs off as a whole instead of hammering an org that asked for calm.
   */
  async get<T>(url: string): Promise<T> {
    if (!this.conn.accessToken) await this.grant();
    return this.conn.request<T>({ method: 'GET', url }, { timeout: REQUEST_TIMEOUT_MS, retry: { maxRetries: 0 } });
  }
}

/**
 * One session per connection and settings: a changed connection (or one deleted and created again
 * under the same name) logs in again. The fingerprint never leaves this process's memory.
 */
const sessions = new Map<string, { fingerprint: string; session: SalesforceSession }>();

export async function salesforceSession(stored: StoredConnection): Promise<SalesforceSession> {
  const fingerprint = crypto.createHash('sha256').update(JSON.stringify(stored.settings)).digest('hex');
  const cached = sessions.get(stored.name);
  if (cached && cached.fingerprint === fingerprint) return cached.session;
  const session = new SalesforceSession(stored.settings as unknown as Settings, await loadJsforce());
  sessions.set(stored.name, { fingerprint, session });
  return session;
}

/** jsforce takes over a second to load: only a process that talks to Salesforce pays for it, once. */
type Jsforce = Pick<typeof import('jsforce'), 'Connection' | 'OAuth2'>;
let jsforce: Promise<Jsforce> | undefined;
const loadJsforce = (): Promise<Jsforce> => (jsforce ??= import('jsforce').then((m) => m.default as unknown as Jsforce));

function requestToken(settings: Settings, oauth2: OAuth2): Promise<TokenResponse> {
  const auth = settings.auth;
  switch (auth.type) {
    case 'clientCredentials':
      return oauth2.requestToken({ grant_type: 'client_credentials' });
    case 'jwtBearer':
      return oauth2.requestToken({
        grant_type: 'urn:ietf:params:oauth:grant-type:jwt-bearer',
        assertion: jwtAssertion({ iss: auth.clientId, sub: auth.username, aud: trimUrl(auth.audience ?? settings.loginUrl) }, auth.privateKey),
      });
    case 'refreshToken':
      return oauth2.refreshToken(auth.refreshToken);
    case 'password':
      return oauth2.authenticate(auth.username, auth.password + (auth.securityToken ?? ''));
  }
}

/**
 * The JWT bearer assertion (RFC 7523) as Salesforce documents it: RS256, iss = consumer key,
 * sub = user name, aud = login server, exp within three minutes. Signed with node:crypto, which
 * is all it takes (jsforce has no JWT support; a JWT library would add a dependency for ten lines).
 */
export function jwtAssertion(claims: { iss: string; sub: string; aud: string }, privateKeyPem: string): string {
  const encode = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString('base64url');
  const body = `${encode({ alg: 'RS256' })}.${encode({ ...claims, exp: Math.floor(Date.now() / 1000) + 180 })}`;
  let signature: string;
  try {
    signature = crypto.sign('RSA-SHA256', Buffer.from(body), privateKeyPem).toString('base64url');
  } catch {
    // The library's message may quote the key material; say only what to fix.
    throw Object.assign(new Error('the private key of the jwtBearer grant cannot sign: it must be an RSA private key in PEM form (-----BEGIN PRIVATE KEY-----)'), { name: 'invalid_private_key' });
  }
  return `${body}.${signature}`;
}

const trimUrl = (url: string): string => url.replace(/\/+$/, '');

/**
 * jsforce sends the token request with no timeout of its own (only a 30-minute guard); a login
 * server that never answers must not hold a poll, or a shutdown waiting for it, that long.
 */
async function withTimeout<T>(promise: Promise<T>, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(Object.assign(new Error(`${what} got no answer within ${REQUEST_TIMEOUT_MS / 1000} s`), { name: 'ETIMEDOUT' })), REQUEST_TIMEOUT_MS);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
