import { Type, type Static } from '@sinclair/typebox';

/**
 * The SMTP connection as the API takes it (SPEC §2). Secret fields (`password`, and the secret
 * parts of `auth` and `dkim`) are write-only: stored sealed, never returned.
 */
export const SecurityMode = Type.Union([Type.Literal('starttls'), Type.Literal('tls'), Type.Literal('none')], {
  description: '"tls": implicit TLS (port 465); "starttls": STARTTLS required (587/25); "none": clear text',
});

export const RateLimit = Type.Object(
  {
    messages: Type.Integer({ minimum: 1, description: 'at most this many messages …' }),
    perSeconds: Type.Number({ exclusiveMinimum: 0, description: '… in any sliding window of this many seconds' }),
  },
  { additionalProperties: false },
);

export const ConnectionName = Type.String({
  pattern: '^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$',
  description: 'letters, digits, ".", "_" and "-", starting with a letter or digit, at most 64 characters',
});

/** An address as it goes into MAIL FROM: local@domain, no display name, no angle brackets. */
const BARE_ADDRESS = '^[^\\s<>()\\[\\],;:"@]+@[^\\s<>()\\[\\],;:"@]+$';

export const PasswordAuth = Type.Object(
  { type: Type.Literal('password', { description: 'sign in with the connection\'s username and password (the default)' }) },
  { additionalProperties: false },
);

export const OAuth2Provider = Type.Union([Type.Literal('microsoft'), Type.Literal('google')], {
  description: 'fills in the SMTP server (host, port, security), the token URL and the scope: microsoft = smtp.office365.com:587 starttls, google = smtp.gmail.com:465 tls',
});

export const OAuth2Auth = Type.Object(
  {
    type: Type.Literal('oauth2', { description: 'SASL XOAUTH2 with an access token from the token endpoint' }),
    user: Type.String({ minLength: 1, maxLength: 512, description: 'the mailbox to sign in as' }),
    provider: Type.Optional(OAuth2Provider),
    tokenUrl: Type.Optional(Type.String({ pattern: '^https?://', maxLength: 2048, description: 'the OAuth2 token endpoint; required without provider' })),
    tenantId: Type.Optional(Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9.-]{0,127}$', description: 'Microsoft Entra tenant (directory) ID or domain; required with provider "microsoft" unless tokenUrl is given' })),
    clientId: Type.String({ minLength: 1, maxLength: 512 }),
    clientSecret: Type.Optional(Type.String({ minLength: 1, maxLength: 4096, writeOnly: true })),
    refreshToken: Type.Optional(
      Type.String({ minLength: 1, maxLength: 16384, writeOnly: true, description: 'present: the refresh-token grant (Google, delegated Microsoft); absent: client credentials' }),
    ),
    scope: Type.Optional(Type.String({ maxLength: 2048, description: 'default: the provider\'s SMTP scope' })),
  },
  { additionalProperties: false },
);

export const DkimSettings = Type.Object(
  {
    domainName: Type.String({ pattern: '^(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$', description: 'the d= domain' }),
    keySelector: Type.String({ pattern: '^[A-Za-z0-9](?:[A-Za-z0-9._-]{0,62})$', description: 'the s= selector: the TXT record is <keySelector>._domainkey.<domainName>' }),
    privateKey: Type.String({ maxLength: 16384, writeOnly: true, description: 'PEM RSA private key (POST /connections/{name}/dkim/keygen makes one)' }),
  },
  { additionalProperties: false },
);

const smtpFields = {
  host: Type.Optional(Type.String({ minLength: 1, maxLength: 253, description: 'required unless auth.provider supplies it' })),
  port: Type.Optional(Type.Integer({ minimum: 1, maximum: 65535, description: 'required unless auth.provider supplies it' })),
  security: Type.Optional(SecurityMode),
  username: Type.Optional(Type.String({ maxLength: 512 })),
  password: Type.Optional(Type.String({ maxLength: 4096, writeOnly: true })),
  auth: Type.Optional(Type.Union([PasswordAuth, OAuth2Auth])),
  defaultFrom: Type.Optional(Type.String({ maxLength: 998 })),
  envelopeFrom: Type.Optional(
    Type.String({ maxLength: 320, pattern: BARE_ADDRESS, description: 'the MAIL FROM address (where bounces go) when it differs from From, e.g. bounces@example.com' }),
  ),
  rejectUnauthorized: Type.Optional(Type.Boolean()),
  ca: Type.Optional(Type.String({ description: 'extra trusted CA certificate(s), PEM' })),
  maxConnections: Type.Optional(Type.Integer({ minimum: 1, maximum: 100 })),
  rateLimit: Type.Optional(RateLimit),
  clientName: Type.Optional(Type.String({ maxLength: 253, description: 'the EHLO name (default: this machine\'s fully qualified name)' })),
  dkim: Type.Optional(DkimSettings),
  connectionTimeoutMs: Type.Optional(Type.Integer({ minimum: 100, maximum: 600000 })),
  socketTimeoutMs: Type.Optional(Type.Integer({ minimum: 100, maximum: 3600000 })),
  lifetimeSeconds: Type.Optional(
    Type.Integer({ minimum: 1, description: 'how long transient failures are retried (default 86400)' }),
  ),
};

export const SmtpConnectionInput = Type.Object(
  { name: ConnectionName, type: Type.Optional(Type.Literal('smtp')), ...smtpFields },
  { additionalProperties: false },
);
export type SmtpConnectionInput = Static<typeof SmtpConnectionInput>;
export type OAuth2Auth = Static<typeof OAuth2Auth>;
export type DkimSettings = Static<typeof DkimSettings>;

/**
 * Full SMTP settings, secrets included: for internal use only (transports, connection test).
 * host, port and security are always there once stored (a provider preset fills them in).
 */
export interface SmtpConnection extends Omit<SmtpConnectionInput, 'type' | 'host' | 'port' | 'security'> {
  type: 'smtp';
  version: number;
  host: string;
  port: number;
  security: Static<typeof SecurityMode>;
}

/** What the API answers for a connection: never a secret, only which secrets are set. */
export const ConnectionView = Type.Object(
  {
    name: Type.String(),
    type: Type.String(),
    secretsSet: Type.Array(Type.String(), { description: 'write-only fields that have a value' }),
    createdAt: Type.String({ format: 'date-time' }),
    updatedAt: Type.String({ format: 'date-time' }),
  },
  { additionalProperties: true },
);
export type ConnectionView = Static<typeof ConnectionView>;

/** Dotted paths of the fields that are secret, per connection type. */
export const SECRET_PATHS: Record<string, readonly string[]> = {
  smtp: ['password', 'auth.clientSecret', 'auth.refreshToken', 'dkim.privateKey'],
  salesforce: ['auth.clientSecret', 'auth.privateKey', 'auth.refreshToken', 'auth.password', 'auth.securityToken'],
  postgres: ['connectionString'],
};
