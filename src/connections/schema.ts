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

const smtpFields = {
  host: Type.String({ minLength: 1, maxLength: 253 }),
  port: Type.Integer({ minimum: 1, maximum: 65535 }),
  security: SecurityMode,
  username: Type.Optional(Type.String({ maxLength: 512 })),
  password: Type.Optional(Type.String({ maxLength: 4096, writeOnly: true })),
  defaultFrom: Type.Optional(Type.String({ maxLength: 998 })),
  rejectUnauthorized: Type.Optional(Type.Boolean()),
  ca: Type.Optional(Type.String({ description: 'extra trusted CA certificate(s), PEM' })),
  maxConnections: Type.Optional(Type.Integer({ minimum: 1, maximum: 100 })),
  rateLimit: Type.Optional(RateLimit),
  clientName: Type.Optional(Type.String({ maxLength: 253, description: 'the EHLO name' })),
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

/** Full SMTP settings, secrets included: for internal use only (transports, connection test). */
export interface SmtpConnection extends Omit<SmtpConnectionInput, 'type'> {
  type: 'smtp';
  version: number;
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
