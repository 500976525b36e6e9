/**
 * What a failed call to Salesforce means for smtpflow, from the error jsforce throws: an OAuth
 * answer (`name` is the OAuth error, e.g. invalid_grant), a REST answer (`errorCode`, e.g.
 * REQUEST_LIMIT_EXCEEDED), or a network failure (`code`, e.g. ECONNREFUSED).
 */
export type SalesforceProblemKind = 'auth' | 'throttled' | 'unreachable' | 'request';

export interface SalesforceProblem {
  kind: SalesforceProblemKind;
  /** PascalCase, for reports and logs. */
  code: string;
  /** What Salesforce (or the network) said; never holds a secret (no secret is ever sent back). */
  message: string;
  fix: string;
}

/** The org asks for calm: daily API limit reached, or the instance is busy or in maintenance. */
const THROTTLED = new Set(['REQUEST_LIMIT_EXCEEDED', 'SERVER_UNAVAILABLE', 'ERROR_HTTP_503', 'ERROR_HTTP_429', 'TOO_MANY_REQUESTS']);
const NETWORK = new Set(['ECONNREFUSED', 'ECONNRESET', 'ENOTFOUND', 'EAI_AGAIN', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'EPIPE', 'UND_ERR_SOCKET']);

const OAUTH_FIXES: Record<string, string> = {
  invalid_client_id: "Check auth.clientId: it must be the Connected App's consumer key.",
  invalid_client: "Check auth.clientId and auth.clientSecret against the Connected App (Setup › App Manager › View › Manage Consumer Details).",
  invalid_grant: 'Check the credentials of the grant (user name, password and security token, refresh token, or the certificate uploaded for the JWT key), and that the user is pre-authorized for the Connected App.',
  unsupported_grant_type: "Enable this OAuth flow in the Connected App's settings (client credentials needs a Run As user; use your My Domain URL as loginUrl).",
  invalid_private_key: 'Give auth.privateKey as the PEM RSA private key whose certificate is uploaded to the Connected App.',
};

export function salesforceProblem(err: unknown): SalesforceProblem {
  const e = (err ?? {}) as { name?: string; errorCode?: string; code?: string; message?: string; cause?: { code?: string } };
  const message = (e.message ?? String(err)).split('\n')[0];
  const rest = e.errorCode ?? '';
  const network = e.code ?? e.cause?.code ?? (e.name === 'ETIMEDOUT' ? 'ETIMEDOUT' : undefined);
  if (THROTTLED.has(rest)) {
    return { kind: 'throttled', code: rest === 'REQUEST_LIMIT_EXCEEDED' ? 'SalesforceRequestLimitExceeded' : 'SalesforceUnavailable', message, fix: 'Nothing to do: smtpflow waits longer between polls until Salesforce answers again. To poll less often, raise the trigger’s interval.' };
  }
  if (network && NETWORK.has(network)) {
    return { kind: 'unreachable', code: 'SalesforceUnreachable', message, fix: 'Check loginUrl (and instanceUrl), DNS and any proxy between smtpflow and Salesforce.' };
  }
  // jsforce rewraps a failed token refresh as a plain "Unable to refresh session due to: …".
  if (/^Unable to refresh session/.test(message)) return { kind: 'auth', code: 'SalesforceAuthFailed', message, fix: 'The access token expired and a new one was refused: check the connection’s auth settings (POST /api/v1/connections/{name}/test shows the answer).' };
  if (e.name && OAUTH_FIXES[e.name]) return { kind: 'auth', code: 'SalesforceAuthFailed', message: `${e.name}: ${message}`, fix: OAUTH_FIXES[e.name] };
  if (rest === 'INVALID_SESSION_ID' || /^ERROR_HTTP_40[01]$/.test(rest) || (e.name && /^[a-z_]+$/.test(e.name) && !rest)) {
    return { kind: 'auth', code: 'SalesforceAuthFailed', message, fix: 'Check the connection’s auth settings and that the Connected App allows this flow for this user.' };
  }
  return { kind: 'request', code: 'SalesforceRequestFailed', message: rest ? `${rest}: ${message}` : message, fix: 'See the message from Salesforce; check the object and field names the trigger uses.' };
}
