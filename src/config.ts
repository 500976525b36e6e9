import path from 'node:path';

export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';

/** Everything a process needs to know, resolved once from flags and SMTPFLOW_* variables. */
export interface Config {
  host: string;
  port: number;
  dataDir: string;
  /** `sqlite:<file>` or `postgres://…` */
  databaseUrl: string;
  /** 32 bytes, hex or base64; when absent a key file in dataDir is used (created on first start). */
  secretKey?: string;
  /** When set, this admin key is installed and never printed. */
  adminKey?: string;
  /** 0 turns the development SMTP server off. */
  devSmtpPort: number;
  devSmtpHost: string;
  logLevel: LogLevel;
  /** Run delivery workers in this process. */
  worker: boolean;
  /** Most PostgreSQL connections this process opens (its pool; LISTEN takes one more). */
  databasePoolSize: number;
  /** How long a workflow run stays with the process executing it without a renewal. */
  workflowLeaseMs: number;
  /** Public base URL used in callback URLs; defaults to http://host:port. */
  publicUrl?: string;
  /** Largest accepted request body in bytes. */
  bodyLimit: number;
  /** Distinct recipients (To, CC and Bcc together) one message may have. */
  maxRecipients: number;
  /** Decoded bytes of all attachments of one message together. */
  maxAttachmentBytes: number;
  /**
   * Link-local and cloud-metadata addresses (CIDR blocks or host names) that HttpPoll triggers may
   * reach anyway; everything else in those ranges is refused.
   */
  httpPollAllow: string[];
  /** `smtpflow worker` only: the port of its /healthz, /readyz and /metrics (on `host`); none when unset. */
  metricsPort?: number;
}

export type ConfigOverrides = Partial<Config>;

const LOG_LEVELS: readonly LogLevel[] = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

function intFrom(value: string | undefined, name: string, fallback: number): number {
  if (value === undefined || value === '') return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) {
    throw new Error(`${name} must be a whole number, got '${value}'.`);
  }
  return n;
}

const listFrom = (value: string | undefined): string[] => (value ?? '').split(',').map((s) => s.trim()).filter(Boolean);

/** Flags win over environment variables, which win over defaults. */
export function loadConfig(overrides: ConfigOverrides = {}, env: NodeJS.ProcessEnv = process.env): Config {
  const dataDir = path.resolve(overrides.dataDir ?? env.SMTPFLOW_DATA_DIR ?? './data');
  const logLevel = (overrides.logLevel ?? env.SMTPFLOW_LOG_LEVEL ?? 'info') as LogLevel;
  if (!LOG_LEVELS.includes(logLevel)) {
    throw new Error(`SMTPFLOW_LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')}, got '${logLevel}'.`);
  }
  const config: Config = {
    host: overrides.host ?? env.SMTPFLOW_HOST ?? '127.0.0.1',
    port: overrides.port ?? intFrom(env.SMTPFLOW_PORT, 'SMTPFLOW_PORT', 8080),
    dataDir,
    databaseUrl:
      overrides.databaseUrl ?? env.SMTPFLOW_DATABASE_URL ?? `sqlite:${path.join(dataDir, 'smtpflow.db')}`,
    secretKey: overrides.secretKey ?? (env.SMTPFLOW_SECRET_KEY || undefined),
    adminKey: overrides.adminKey ?? (env.SMTPFLOW_ADMIN_KEY || undefined),
    devSmtpPort: overrides.devSmtpPort ?? intFrom(env.SMTPFLOW_DEV_SMTP_PORT, 'SMTPFLOW_DEV_SMTP_PORT', 2525),
    devSmtpHost: overrides.devSmtpHost ?? env.SMTPFLOW_DEV_SMTP_HOST ?? '127.0.0.1',
    logLevel,
    worker: overrides.worker ?? env.SMTPFLOW_WORKER !== 'false',
    databasePoolSize: overrides.databasePoolSize ?? intFrom(env.SMTPFLOW_DATABASE_POOL_SIZE, 'SMTPFLOW_DATABASE_POOL_SIZE', 10),
    workflowLeaseMs: overrides.workflowLeaseMs ?? intFrom(env.SMTPFLOW_WORKFLOW_LEASE_MS, 'SMTPFLOW_WORKFLOW_LEASE_MS', 30_000),
    publicUrl: overrides.publicUrl ?? (env.SMTPFLOW_PUBLIC_URL || undefined),
    // 40 MiB holds a 25 MiB attachment base64-encoded (33.3 MiB; 35.1 MiB with CRLF every 76 characters, JSON-escaped) and the rest of the JSON.
    bodyLimit: overrides.bodyLimit ?? intFrom(env.SMTPFLOW_BODY_LIMIT, 'SMTPFLOW_BODY_LIMIT', 40 * 1024 * 1024),
    // What large hosted providers accept per message: 500 recipients, 25 MiB of attachments.
    maxRecipients: overrides.maxRecipients ?? intFrom(env.SMTPFLOW_MAX_RECIPIENTS, 'SMTPFLOW_MAX_RECIPIENTS', 500),
    maxAttachmentBytes: overrides.maxAttachmentBytes ?? intFrom(env.SMTPFLOW_MAX_ATTACHMENT_BYTES, 'SMTPFLOW_MAX_ATTACHMENT_BYTES', 25 * 1024 * 1024),
    httpPollAllow: overrides.httpPollAllow ?? listFrom(env.SMTPFLOW_HTTP_POLL_ALLOW),
    metricsPort: overrides.metricsPort ?? (env.SMTPFLOW_METRICS_PORT ? intFrom(env.SMTPFLOW_METRICS_PORT, 'SMTPFLOW_METRICS_PORT', 0) : undefined),
  };
  if (config.databasePoolSize < 1) throw new Error('SMTPFLOW_DATABASE_POOL_SIZE must be at least 1.');
  return config;
}

export function isPostgresUrl(url: string): boolean {
  return url.startsWith('postgres://') || url.startsWith('postgresql://');
}
