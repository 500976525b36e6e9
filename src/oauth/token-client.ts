/**
 * The token request of RFC 6749: a form POST to the token endpoint with the client-credentials
 * grant (§4.4) or the refresh-token grant (§6). Written here rather than taken from a library
 * because it is one request, and because every answer must become an error that quotes the
 * endpoint's `error` and `error_description` (§5.2) and never the secrets that went out.
 */

/** What a token request needs. `refreshToken` present: the refresh-token grant; absent: client credentials. */
export interface TokenRequest {
  tokenUrl: string;
  clientId: string;
  clientSecret?: string;
  scope?: string;
  refreshToken?: string;
}

export interface IssuedToken {
  accessToken: string;
  /** Lifetime from the answer's `expires_in` (one hour when the endpoint does not say). */
  lifetimeMs: number;
  /** A new refresh token, when the endpoint rotates them. */
  refreshToken?: string;
}

/** Where a token request failed: the status and code a send answers, and the diagnosis the connection test shows. */
export interface TokenFailure {
  status: 401 | 502;
  /** 'SmtpAuthenticationFailed' (refused: a setting must change) or 'OAuthTokenUnavailable' (retry later). */
  code: string;
  /** The connection test's code for this very cause, e.g. 'OAuthClientRejected'. */
  diagnosis: string;
  what: string;
  fix: string;
  transient: boolean;
}

/**
 * A failed token request. Not an AppError: nodemailer rewrites `code` on errors thrown inside a
 * SASL handler, so what matters is kept in `failure`.
 */
export class OAuthTokenError extends Error {
  constructor(readonly failure: TokenFailure) {
    super(`${failure.what} Fix: ${failure.fix}`);
    this.name = 'OAuthTokenError';
  }
}

const DEFAULT_LIFETIME_MS = 3_600_000;

export const grantName = (request: Pick<TokenRequest, 'refreshToken'>): string =>
  request.refreshToken === undefined ? 'client-credentials' : 'refresh-token';

/** What to change, per RFC 6749 §5.2 error code, in the connection's words. */
function refusal(error: string, request: TokenRequest): { diagnosis: string; fix: string } {
  switch (error) {
    case 'invalid_client':
      return {
        diagnosis: 'OAuthClientRejected',
        fix: 'check auth.clientId and auth.clientSecret against the app registration (client secrets expire: create a new one and set auth.clientSecret).',
      };
    case 'invalid_grant':
      return request.refreshToken === undefined
        ? { diagnosis: 'OAuthGrantRejected', fix: 'the app may not use the client-credentials grant for this tenant: check auth.tenantId (or auth.tokenUrl) and that an admin granted consent.' }
        : {
            diagnosis: 'OAuthRefreshTokenRejected',
            fix: 'the refresh token is expired, revoked or belongs to another client: sign in again to get a new one and set auth.refreshToken.',
          };
    case 'invalid_scope':
      return { diagnosis: 'OAuthScopeRejected', fix: 'set auth.scope to a scope the app registration has (or remove it to use the provider\'s default).' };
    case 'unauthorized_client':
      return { diagnosis: 'OAuthClientNotAuthorized', fix: `the app registration may not use the ${grantName(request)} grant: allow it there, or use the other grant (auth.refreshToken present or not).` };
    default:
      return { diagnosis: 'OAuthTokenRefused', fix: 'check the auth settings of the connection (auth.tokenUrl or auth.provider, auth.clientId, auth.clientSecret, auth.refreshToken, auth.scope).' };
  }
}

/** Removes the request's secrets from text an endpoint sent back (some echo the request on errors). */
function scrubbed(text: string, request: TokenRequest): string {
  let out = text;
  for (const s of [request.clientSecret, request.refreshToken]) if (s && s.length >= 3) out = out.split(s).join('***');
  return out.replace(/[\r\n]+/g, ' ').slice(0, 500);
}

export async function requestToken(request: TokenRequest, options: { timeoutMs?: number } = {}): Promise<IssuedToken> {
  const grant = grantName(request);
  const form = new URLSearchParams({ grant_type: request.refreshToken === undefined ? 'client_credentials' : 'refresh_token', client_id: request.clientId });
  // client_secret_post (§2.3.1): both Microsoft's and Google's endpoints take it; public clients send none
  if (request.clientSecret !== undefined) form.set('client_secret', request.clientSecret);
  if (request.refreshToken !== undefined) form.set('refresh_token', request.refreshToken);
  if (request.scope) form.set('scope', request.scope);
  const unavailable = (why: string): OAuthTokenError =>
    new OAuthTokenError({
      status: 502,
      code: 'OAuthTokenUnavailable',
      diagnosis: 'OAuthTokenUnavailable',
      what: `Could not get an access token (${grant} grant) from ${request.tokenUrl}: ${scrubbed(why, request)}.`,
      fix: 'Nothing to change if this passes: sends are retried. If it persists, check auth.tokenUrl (or auth.provider and auth.tenantId) and that this machine can reach it.',
      transient: true,
    });

  let response: Response;
  let text: string;
  try {
    response = await fetch(request.tokenUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
      body: form,
      signal: AbortSignal.timeout(options.timeoutMs ?? 10_000),
    });
    text = await response.text();
  } catch (err) {
    const cause = (err as { cause?: { code?: string; message?: string } }).cause;
    throw unavailable(cause?.code ?? cause?.message ?? (err as Error).message);
  }
  let body: Record<string, unknown> = {};
  try {
    const parsed: unknown = JSON.parse(text);
    if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) body = parsed as Record<string, unknown>;
  } catch {
    /* not JSON: judged by the status below */
  }
  const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);

  if (!response.ok) {
    const error = str(body.error);
    // §5.2 answers 400 (401 for invalid_client) with `error`; anything else is the endpoint having trouble
    if (!error || response.status >= 500 || response.status === 429) {
      throw unavailable(`HTTP ${response.status}${error ? ` ${error}` : ''}`);
    }
    const description = str(body.error_description);
    const { diagnosis, fix } = refusal(error, request);
    throw new OAuthTokenError({
      status: 401,
      code: 'SmtpAuthenticationFailed',
      diagnosis,
      what: `The token endpoint ${request.tokenUrl} refused the ${grant} grant: ${scrubbed(error, request)}${description ? ` (${scrubbed(description, request)})` : ''}.`,
      fix: fix.replace(/^./, (c) => c.toUpperCase()),
      transient: false,
    });
  }

  const accessToken = str(body.access_token);
  const tokenType = str(body.token_type);
  if (!accessToken || (tokenType && tokenType.toLowerCase() !== 'bearer')) {
    throw unavailable(`the answer has ${accessToken ? `token_type ${tokenType}, not Bearer` : 'no access_token'}`);
  }
  // some endpoints send expires_in as a string ("3599")
  const seconds = Number(body.expires_in);
  return {
    accessToken,
    lifetimeMs: Number.isFinite(seconds) && seconds > 0 ? seconds * 1000 : DEFAULT_LIFETIME_MS,
    refreshToken: str(body.refresh_token),
  };
}
