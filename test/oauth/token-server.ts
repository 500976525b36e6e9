/**
 * A real OAuth2 authorization server's token endpoint on 127.0.0.1 (RFC 6749 §4.4 client
 * credentials, §6 refresh token, §5.2 errors), standing in for Microsoft's and Google's, which no
 * machine here can reach. Every answer is computed from the request: client authentication
 * (HTTP Basic or form, §2.3.1), the grant, the scope, revocation, token lifetimes. Tokens it issued
 * are checked by SMTP test peers through `accepts()`, as a mail server checks a provider's tokens.
 *
 *   const oauth = await startTokenServer({ lifetimeSeconds: 1, rotateRefreshTokens: true });
 *   oauth.addClient('app', 'secret', { mailboxes: ['robot@example.com'] });
 *   const refreshToken = oauth.consent('app', 'ada@example.com', 'https://mail.google.com/');
 *   peer: startSmtpPeer({ auth: { user, pass: '', methods: ['XOAUTH2'], validateToken: oauth.accepts } })
 */
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';

interface Client {
  secret?: string;
  /** Mailboxes an application token (client credentials) may send as. */
  mailboxes: string[];
}

interface Grant {
  clientId: string;
  /** The signed-in user; undefined for application (client-credentials) tokens. */
  user?: string;
  scope: string;
  revoked: boolean;
  /** Tokens descending from one consent (or one client-credentials request): revoked together. */
  family: string;
}

export interface IssuedRecord {
  grant: 'client_credentials' | 'refresh_token';
  clientId: string;
  /** When the request arrived and when the token expires (this server's clock, ms). */
  receivedAt: number;
  expiresAt: number;
}

export interface TokenServer {
  url: string;
  /** Every token issued, in order. */
  issued: IssuedRecord[];
  /** Every request's form fields, secrets removed. */
  requests: Array<Record<string, string>>;
  addClient(id: string, secret: string | undefined, options?: { mailboxes?: string[] }): void;
  /** What the user's consent (authorization code flow) would have given: a refresh token. */
  consent(clientId: string, user: string, scope: string): string;
  /** Revokes a token and every token of its grant (RFC 7009 §2.1: a revoked refresh token takes its access tokens along). */
  revoke(token: string): void;
  /** Whether `accessToken` is valid now and lets its holder send as `user`. */
  accepts(user: string, accessToken: string): boolean;
  close(): Promise<void>;
}

export async function startTokenServer(options: { lifetimeSeconds?: number; rotateRefreshTokens?: boolean } = {}): Promise<TokenServer> {
  const lifetimeMs = (options.lifetimeSeconds ?? 3600) * 1000;
  const clients = new Map<string, Client>();
  const refreshTokens = new Map<string, Grant>();
  const accessTokens = new Map<string, Grant & { expiresAt: number }>();
  const issued: IssuedRecord[] = [];
  const requests: Array<Record<string, string>> = [];
  const newToken = (prefix: string): string => `${prefix}.${randomBytes(18).toString('base64url')}`;

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const receivedAt = Date.now();
      const answer = (status: number, body: Record<string, unknown>, headers: Record<string, string> = {}): void => {
        res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store', ...headers });
        res.end(JSON.stringify(body));
      };
      const fail = (status: number, error: string, description: string): void =>
        answer(status, { error, error_description: description }, status === 401 ? { 'www-authenticate': 'Basic realm="token"' } : {});

      if (req.method !== 'POST' || !/^application\/x-www-form-urlencoded/.test(req.headers['content-type'] ?? '')) {
        return fail(400, 'invalid_request', 'The token endpoint takes a POST with an application/x-www-form-urlencoded body.');
      }
      const form = Object.fromEntries(new URLSearchParams(Buffer.concat(chunks).toString('utf8')));
      const { client_secret: _s, refresh_token: _r, ...shown } = form;
      requests.push(shown);

      // §2.3.1: HTTP Basic (form-urlencoded id and secret) or the client_id/client_secret form fields
      let clientId = form.client_id;
      let secret = form.client_secret;
      const basic = /^Basic (.+)$/.exec(req.headers.authorization ?? '')?.[1];
      if (basic) {
        const [id, pass] = Buffer.from(basic, 'base64').toString('utf8').split(':').map(decodeURIComponent);
        clientId = id;
        secret = pass;
      }
      const client = clientId ? clients.get(clientId) : undefined;
      if (!client) return fail(401, 'invalid_client', `AADSTS700016: Application with identifier '${clientId ?? ''}' was not found in the directory.`);
      if (client.secret !== undefined && secret !== client.secret) {
        return fail(401, 'invalid_client', 'AADSTS7000215: Invalid client secret provided. Ensure the secret being sent in the request is the client secret value.');
      }

      let grant: Grant;
      let rotated: string | undefined;
      if (form.grant_type === 'client_credentials') {
        if (client.secret === undefined) return fail(401, 'invalid_client', 'A public client cannot use the client_credentials grant.');
        const scope = form.scope ?? '';
        if (!scope.endsWith('/.default')) return fail(400, 'invalid_scope', `AADSTS1002012: The provided value for scope ${scope || '(none)'} is not valid. Client credential flows must have a scope value with /.default suffixed to the resource identifier.`);
        grant = { clientId: clientId!, scope, revoked: false, family: newToken('family') };
      } else if (form.grant_type === 'refresh_token') {
        const held = refreshTokens.get(form.refresh_token ?? '');
        if (!held || held.clientId !== clientId) return fail(400, 'invalid_grant', 'AADSTS9002313: Invalid request. The refresh token is malformed or was not issued to this client.');
        if (held.revoked) return fail(400, 'invalid_grant', `AADSTS50173: The provided grant has expired due to it being revoked; ${held.user} must sign in again.`);
        if (form.scope && !form.scope.split(' ').every((s) => held.scope.split(' ').includes(s))) {
          return fail(400, 'invalid_scope', `The scope ${form.scope} was not consented to (granted: ${held.scope}).`);
        }
        grant = { ...held };
        if (options.rotateRefreshTokens) {
          // the spent token stops working at once: a second refresh with it is a replay
          held.revoked = true;
          rotated = newToken('rt');
          refreshTokens.set(rotated, { ...held, revoked: false });
        }
      } else {
        return fail(400, 'unsupported_grant_type', `The grant_type '${form.grant_type ?? ''}' is not supported by this endpoint.`);
      }

      const accessToken = newToken('at');
      const expiresAt = receivedAt + lifetimeMs;
      accessTokens.set(accessToken, { ...grant, expiresAt });
      issued.push({ grant: form.grant_type, clientId: clientId!, receivedAt, expiresAt });
      answer(200, { token_type: 'Bearer', access_token: accessToken, expires_in: lifetimeMs / 1000, scope: grant.scope, ...(rotated ? { refresh_token: rotated } : {}) });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}/contoso.example/oauth2/v2.0/token`,
    issued,
    requests,
    addClient(id, secret, opts = {}) {
      clients.set(id, { secret, mailboxes: opts.mailboxes ?? [] });
    },
    consent(clientId, user, scope) {
      const token = newToken('rt');
      refreshTokens.set(token, { clientId, user, scope, revoked: false, family: token });
      return token;
    },
    revoke(token) {
      const family = (refreshTokens.get(token) ?? accessTokens.get(token))?.family;
      for (const held of [...refreshTokens.values(), ...accessTokens.values()]) if (held.family === family) held.revoked = true;
    },
    accepts: (user, accessToken) => {
      const held = accessTokens.get(accessToken);
      if (!held || held.revoked || Date.now() >= held.expiresAt) return false;
      return held.user !== undefined ? held.user === user : (clients.get(held.clientId)?.mailboxes.includes(user) ?? false);
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
