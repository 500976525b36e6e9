/**
 * One pooled nodemailer transport per connection (SPEC §3: "a pool of reused SMTP
 * connections"), rebuilt when the connection's settings change.
 */
import dns from 'node:dns/promises';
import net from 'node:net';
import os from 'node:os';
import tls from 'node:tls';
import { domainToASCII } from 'node:url';
import nodemailer, { type SMTPPoolOptions, type SMTPPoolSentMessageInfo } from 'nodemailer';
import type { SendMailOptions, Transporter } from 'nodemailer/lib/mailer';
import type { SmtpConnection } from '../connections/schema.js';
import { classifySmtpFailure, SmtpSendError, type ClassifyContext, type RecipientRejection, parseEnhancedCode } from './classify.js';
import { oauth2Of, signInXOAuth2, XOAuth2NotOffered, type TokenSource } from './xoauth2.js';

export type SmtpTransport = Transporter<SMTPPoolSentMessageInfo, SMTPPoolOptions>;

export interface SendResult {
  accepted: string[];
  rejected: string[];
  rejectedErrors: RecipientRejection[];
  response: string;
  messageId: string;
}

// A type alias, not an interface: nodemailer's envelope type has an index signature.
export type Envelope = {
  from: string;
  to: string[];
};

export const DEFAULT_CONNECTION_TIMEOUT_MS = 30_000;
export const DEFAULT_SOCKET_TIMEOUT_MS = 60_000;
export const DEFAULT_MAX_CONNECTIONS = 5;

/** SASL mechanisms a password connection signs in with (CRAM-MD5 is obsolete and needs the server to keep plain passwords). */
export const PASSWORD_MECHANISMS = ['PLAIN', 'LOGIN'] as const;

const isLocalName = (name: string): boolean => !name || /^localhost(\.|$)/i.test(name) || name === 'localhost.localdomain';

let resolvedClientName: string | undefined;
let resolvingClientName: Promise<string> | undefined;

/** The best EHLO name known without waiting: the FQDN once resolved, else the host name. */
export function clientNameNow(): string {
  if (resolvedClientName) return resolvedClientName;
  const host = os.hostname();
  return isLocalName(host) ? 'localhost' : host;
}

/**
 * The machine's FQDN for EHLO (issue 10 part 3): receivers and spam filters judge a client by
 * this name, and "localhost" looks like a misconfigured bot. Resolved once per process.
 */
export function defaultClientName(): Promise<string> {
  resolvingClientName ??= (async () => {
    const host = os.hostname();
    if (host.includes('.') && !isLocalName(host)) return host;
    try {
      const found = await Promise.race([
        (async () => {
          const { address } = await dns.lookup(host);
          return (await dns.lookupService(address, 0)).hostname;
        })(),
        new Promise<undefined>((resolve) => setTimeout(() => resolve(undefined), 2000).unref()),
      ]);
      if (found && found.includes('.') && !isLocalName(found)) return found;
    } catch {
      /* no resolvable name: the bare host name will do */
    }
    return isLocalName(host) ? 'localhost' : host;
  })().then((name) => (resolvedClientName = name));
  return resolvingClientName;
}

/** TLS settings shared by sends and the connection test. `ca` adds to the public roots (SPEC §3), it does not replace them. */
export function tlsOptions(conn: SmtpConnection): tls.ConnectionOptions {
  return {
    rejectUnauthorized: conn.rejectUnauthorized ?? true,
    minVersion: 'TLSv1.2',
    ...(conn.ca ? { ca: [...tls.rootCertificates, conn.ca] } : {}),
    // SNI must not carry an IP address (RFC 6066); the certificate is still checked against it.
    ...(net.isIP(conn.host) ? {} : { servername: conn.host }),
  };
}

export function timeouts(conn: SmtpConnection): { connectionTimeout: number; greetingTimeout: number; socketTimeout: number } {
  const connectionTimeout = conn.connectionTimeoutMs ?? DEFAULT_CONNECTION_TIMEOUT_MS;
  return { connectionTimeout, greetingTimeout: connectionTimeout, socketTimeout: conn.socketTimeoutMs ?? DEFAULT_SOCKET_TIMEOUT_MS };
}

/** The password and the base64 forms an AUTH exchange puts it in: never to appear in any text we produce. */
export function secretForms(conn: SmtpConnection): string[] {
  const oauth = oauth2Of(conn);
  const forms = [oauth?.clientSecret, oauth?.refreshToken].filter((s): s is string => !!s);
  if (!conn.password) return forms;
  const b64 = (s: string): string => Buffer.from(s, 'utf8').toString('base64');
  return [...forms, conn.password, b64(conn.password), b64(`\0${conn.username ?? ''}\0${conn.password}`)];
}

export function classifyContext(conn: SmtpConnection): ClassifyContext {
  return { host: conn.host, port: conn.port, security: conn.security, secrets: secretForms(conn), auth: conn.auth?.type ?? 'password' };
}

/** The connection's envelope sender (MAIL FROM), domain in punycode; undefined: the message's own sender. */
export function envelopeSender(conn: SmtpConnection): string | undefined {
  if (!conn.envelopeFrom) return undefined;
  const at = conn.envelopeFrom.lastIndexOf('@');
  return `${conn.envelopeFrom.slice(0, at)}@${domainToASCII(conn.envelopeFrom.slice(at + 1)) || conn.envelopeFrom.slice(at + 1)}`;
}

const NO_USABLE_MECHANISM =
  'The server offers no sign-in mechanism smtpflow can use with a password (it offers only CRAM-MD5; smtpflow uses PLAIN or LOGIN). ' +
  'Fix: enable AUTH PLAIN or LOGIN on the server (over TLS), or use OAuth2 if the server offers XOAUTH2.';

/** Sign-in settings: username and password, or XOAUTH2 with tokens from `tokens`. */
function authOptions(conn: SmtpConnection, tokens: TokenSource | undefined): Pick<SMTPPoolOptions, 'auth' | 'customAuth'> {
  // nodemailer would fall back to CRAM-MD5 when it is all the server offers; we refuse it so that
  // sends and the connection test agree on what works.
  const customAuth: NonNullable<SMTPPoolOptions['customAuth']> = { 'CRAM-MD5': (ctx) => ctx.reject(new Error(NO_USABLE_MECHANISM)) };
  const oauth = oauth2Of(conn);
  if (!oauth) return { ...(conn.username !== undefined ? { auth: { user: conn.username, pass: conn.password ?? '' } } : {}), customAuth };
  // type OAuth2 makes nodemailer pick XOAUTH2 (it never falls back to a password method); the
  // handler below replaces its own token handling, see xoauth2.ts.
  customAuth.XOAUTH2 = async (ctx) => {
    if (!ctx.authMethods.includes('XOAUTH2')) throw new XOAuth2NotOffered(ctx.authMethods);
    if (!tokens) throw new Error('this process has no OAuth2 token store (an internal wiring fault)');
    await signInXOAuth2(conn, tokens, (line) => ctx.sendCommand(line));
    return true;
  };
  return { auth: { type: 'OAuth2', user: oauth.user }, customAuth };
}

export function transportOptions(conn: SmtpConnection, clientName: string = clientNameNow(), tokens?: TokenSource): SMTPPoolOptions & { pool: true } {
  return {
    pool: true,
    maxConnections: conn.maxConnections ?? DEFAULT_MAX_CONNECTIONS,
    host: conn.host,
    port: conn.port,
    secure: conn.security === 'tls',
    // requireTLS makes nodemailer send STARTTLS even when it is not advertised and fail on the refusal,
    // so "starttls" can never fall back to clear text.
    requireTLS: conn.security === 'starttls',
    ignoreTLS: conn.security === 'none',
    name: conn.clientName ?? clientName,
    tls: tlsOptions(conn),
    ...timeouts(conn),
    ...authOptions(conn, tokens),
    // relaxed/relaxed rsa-sha256 over From, To, Subject, Date, Message-ID and the MIME headers (nodemailer's list)
    ...(conn.dkim ? { dkim: { domainName: conn.dkim.domainName, keySelector: conn.dkim.keySelector, privateKey: conn.dkim.privateKey } } : {}),
    logger: false,
  };
}

interface Entry {
  version: number;
  transport: SmtpTransport;
  inFlight: number;
  retired: boolean;
  isClosed: boolean;
  /** Resolves once the transport is closed. */
  closed: Promise<void>;
  markClosed: () => void;
}

export interface TransportRegistryOptions {
  /** Access tokens for connections with auth.type "oauth2" (the connection repository's `tokens`). */
  tokens?: TokenSource;
}

export class TransportRegistry {
  private readonly entries = new Map<string, Entry>();
  /** Replaced transports still finishing their sends. */
  private readonly retired = new Set<Entry>();
  private readonly tokens?: TokenSource;

  constructor(options: TransportRegistryOptions = {}) {
    this.tokens = options.tokens;
    // Start resolving the FQDN now so the first send does not wait for it.
    void defaultClientName();
  }

  /** The pooled transport of this connection, built on first use and again when `version` changes. */
  get(conn: SmtpConnection): SmtpTransport {
    return this.entry(conn).transport;
  }

  /** Drops the connection's transport; its open SMTP sessions close once their sends finish. */
  invalidate(name: string): void {
    const entry = this.entries.get(name);
    if (!entry) return;
    this.entries.delete(name);
    this.retire(entry);
  }

  /**
   * Sends through the connection's pool. Rejects with an `SmtpSendError` (an AppError with `kind`).
   * The connection's envelopeFrom replaces the sender of `envelope` (the outbox always gives one).
   */
  async sendMail(conn: SmtpConnection, mail: SendMailOptions, envelope?: Envelope): Promise<SendResult> {
    if (!resolvedClientName && !conn.clientName) await defaultClientName();
    const entry = this.entry(conn);
    entry.inFlight += 1;
    try {
      const from = envelopeSender(conn);
      const env = envelope && from ? { ...envelope, from } : envelope;
      const info = await entry.transport.sendMail(env ? { ...mail, envelope: env } : mail);
      return {
        accepted: info.accepted.map(String),
        rejected: info.rejected.map(String),
        rejectedErrors: (info.rejectedErrors ?? []).map((e) => ({
          recipient: e.recipient ?? '',
          code: e.responseCode,
          enhancedCode: parseEnhancedCode(e.response),
          response: e.response,
        })),
        response: info.response,
        messageId: info.messageId,
      };
    } catch (err) {
      throw new SmtpSendError(classifySmtpFailure(err, classifyContext(conn)));
    } finally {
      entry.inFlight -= 1;
      if (entry.retired && entry.inFlight === 0) this.close(entry);
    }
  }

  /** Closes every transport. Without `force`, sends in flight finish first (bounded by the socket timeout). */
  async closeAll(options: { force?: boolean } = {}): Promise<void> {
    for (const name of [...this.entries.keys()]) this.invalidate(name);
    const pending = [...this.retired];
    if (options.force) for (const entry of pending) this.close(entry, true);
    await Promise.all(pending.map((entry) => entry.closed));
  }

  private entry(conn: SmtpConnection): Entry {
    const current = this.entries.get(conn.name);
    if (current && current.version === conn.version) return current;
    if (current) this.retire(current);
    let markClosed = (): void => undefined;
    const closed = new Promise<void>((resolve) => (markClosed = resolve));
    const created: Entry = {
      version: conn.version,
      transport: nodemailer.createTransport(transportOptions(conn, clientNameNow(), this.tokens)),
      inFlight: 0,
      retired: false,
      isClosed: false,
      closed,
      markClosed,
    };
    // A pooled transport emits 'error' when an idle session dies; that is not a failed send.
    created.transport.on('error', () => undefined);
    this.entries.set(conn.name, created);
    return created;
  }

  private retire(entry: Entry): void {
    entry.retired = true;
    this.retired.add(entry);
    if (entry.inFlight === 0) this.close(entry);
  }

  private close(entry: Entry, force = false): void {
    if (entry.isClosed && !force) return;
    entry.isClosed = true;
    entry.transport.close(force ? { force: true } : undefined);
    this.retired.delete(entry);
    entry.markClosed();
  }
}
