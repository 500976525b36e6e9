/**
 * What the SMTP connection schema cannot say on its own: provider presets (Microsoft 365, Gmail),
 * which fields go together, and whether a DKIM key can sign. Run when a connection is stored.
 */
import { createPrivateKey } from 'node:crypto';
import { AppError } from '../errors.js';
import type { TokenRequest } from '../oauth/index.js';
import type { OAuth2Auth, SmtpConnectionInput } from './schema.js';

type Provider = NonNullable<OAuth2Auth['provider']>;

/**
 * The documented settings of each provider. Microsoft: application access (client credentials)
 * uses the `.default` scope of Exchange Online; delegated access asks for SMTP.Send. Google:
 * XOAUTH2 needs the full-mail scope, and Gmail has no client-credentials access, only refresh tokens.
 */
export const SMTP_PROVIDERS: Record<Provider, {
  host: string;
  port: number;
  security: 'starttls' | 'tls';
  tokenUrl(tenantId: string | undefined): string;
  scope: { clientCredentials?: string; refreshToken: string };
}> = {
  microsoft: {
    host: 'smtp.office365.com',
    port: 587,
    security: 'starttls',
    tokenUrl: (tenantId) => `https://login.microsoftonline.com/${encodeURIComponent(tenantId ?? 'organizations')}/oauth2/v2.0/token`,
    scope: { clientCredentials: 'https://outlook.office365.com/.default', refreshToken: 'https://outlook.office.com/SMTP.Send offline_access' },
  },
  google: {
    host: 'smtp.gmail.com',
    port: 465,
    security: 'tls',
    tokenUrl: () => 'https://oauth2.googleapis.com/token',
    scope: { refreshToken: 'https://mail.google.com/' },
  },
};

/** The token request an OAuth2 connection makes: explicit settings win over the provider's. */
export function tokenRequestFor(auth: OAuth2Auth): TokenRequest {
  const preset = auth.provider ? SMTP_PROVIDERS[auth.provider] : undefined;
  const grant = auth.refreshToken === undefined ? 'clientCredentials' : 'refreshToken';
  return {
    tokenUrl: auth.tokenUrl ?? preset!.tokenUrl(auth.tenantId),
    clientId: auth.clientId,
    ...(auth.clientSecret !== undefined ? { clientSecret: auth.clientSecret } : {}),
    ...(auth.refreshToken !== undefined ? { refreshToken: auth.refreshToken } : {}),
    ...((auth.scope ?? preset?.scope[grant]) ? { scope: auth.scope ?? preset?.scope[grant] } : {}),
  };
}

const invalid = (field: string, message: string, code = 'InvalidConnection'): AppError => new AppError(400, code, message, { field });

function checkOAuth2(auth: OAuth2Auth, settings: SmtpConnectionInput): void {
  if (settings.password !== undefined || settings.username !== undefined) {
    const field = settings.password !== undefined ? 'password' : 'username';
    throw invalid(field, `'${field}' is for password sign-in, but auth.type is "oauth2": remove it (the mailbox goes in auth.user, and sign-in uses a token).`);
  }
  if (!auth.tokenUrl && !auth.provider) {
    throw invalid('auth.tokenUrl', 'An OAuth2 connection needs its token endpoint: set auth.tokenUrl, or auth.provider to "microsoft" or "google".', 'MissingProperty');
  }
  if (auth.provider === 'microsoft' && !auth.tokenUrl && !auth.tenantId && auth.refreshToken === undefined) {
    throw invalid('auth.tenantId', 'Microsoft 365 application access (client credentials) needs the tenant: set auth.tenantId to your directory (tenant) ID or its domain, e.g. contoso.onmicrosoft.com.', 'MissingProperty');
  }
  if (auth.provider === 'google' && auth.refreshToken === undefined) {
    throw invalid('auth.refreshToken', 'Gmail takes OAuth2 only for a signed-in user: set auth.refreshToken (from the consent flow with scope https://mail.google.com/). Google has no client-credentials access to Gmail.', 'MissingProperty');
  }
  if (auth.refreshToken === undefined && auth.clientSecret === undefined) {
    throw invalid('auth.clientSecret', 'Set auth.clientSecret (client-credentials grant: application access, e.g. Microsoft 365) or auth.refreshToken (refresh-token grant: Google, delegated Microsoft).', 'MissingProperty');
  }
}

function checkDkimKey(pem: string): void {
  let ok = false;
  try {
    const key = createPrivateKey(pem);
    // nodemailer signs with rsa-sha256 only; receivers ignore keys under 1024 bits
    ok = key.asymmetricKeyType === 'rsa' && (key.asymmetricKeyDetails?.modulusLength ?? 0) >= 1024;
  } catch {
    ok = false;
  }
  if (!ok) {
    throw invalid('dkim.privateKey',
      'dkim.privateKey is not an RSA private key in PEM form of at least 1024 bits ("-----BEGIN PRIVATE KEY-----" or "-----BEGIN RSA PRIVATE KEY-----", unencrypted). ' +
      'Create one with POST /api/v1/connections/{name}/dkim/keygen.', 'InvalidDkimKey');
  }
}

/** Applies the provider preset and checks what goes together; answers the settings to store. */
export function normalizeSmtpSettings(input: Record<string, unknown>): Record<string, unknown> {
  const settings = { ...input } as SmtpConnectionInput;
  const auth = settings.auth;
  if (auth?.type === 'oauth2') {
    checkOAuth2(auth, settings);
    const preset = auth.provider ? SMTP_PROVIDERS[auth.provider] : undefined;
    if (preset) {
      settings.host ??= preset.host;
      settings.port ??= preset.port;
      settings.security ??= preset.security;
    }
  }
  for (const field of ['host', 'port', 'security'] as const) {
    if (settings[field] === undefined) {
      throw invalid(field, `'${field}' is required (auth.provider "microsoft" or "google" fills in host, port and security); add it and send again.`, 'MissingProperty');
    }
  }
  if (settings.dkim) checkDkimKey(settings.dkim.privateKey);
  return settings;
}
