/**
 * `POST /connections/{name}/test`: walks DNS → TCP → banner → EHLO → STARTTLS → certificate →
 * AUTH (for OAuth2: the token first) → MAIL FROM, reports each step, and when one fails names the cause and the setting to
 * change (issue 10 part 4).
 *
 * TLS is set up with verification off so that a bad certificate can be *described* (subject,
 * issuer, why) rather than just refused; the verdict is then taken here, before AUTH, so the
 * password never goes to a server whose certificate the connection would not accept.
 */
import { lookup as dnsLookup } from 'node:dns/promises';
import net from 'node:net';
import tls from 'node:tls';
import SMTPConnection from 'nodemailer/lib/smtp-connection';
import type { SmtpConnection } from '../connections/schema.js';
import { authRejectionAdvice, scrub } from './classify.js';
import { oauth2Steps } from './oauth2-steps.js';
import { exchange, judgeCertificate, sendLine, speaksTls, tcpConnect, tlsHandshake, tlsReason, type CertificateVerdict } from './probe.js';
import { clientNameNow, defaultClientName, envelopeSender, PASSWORD_MECHANISMS, secretForms, tlsOptions } from './transports.js';
import { oauth2Of, type TokenSource } from './xoauth2.js';

export type ConnectionTestStepName =
  | 'dns' | 'tcp' | 'banner' | 'ehlo' | 'starttls' | 'certificate' | 'auth-mechanisms' | 'oauth2-token' | 'auth' | 'mail-from';

export interface ConnectionTestStep {
  step: ConnectionTestStepName;
  ok: boolean;
  detail: string;
  durationMs: number;
}

export interface ConnectionTestProblem {
  code: string;
  message: string;
  fix: string;
}

export interface ConnectionTestReport {
  ok: boolean;
  steps: ConnectionTestStep[];
  problem?: ConnectionTestProblem;
}

export interface ConnectionTestOptions {
  /** Limit for each network wait (connect, greeting, each reply). Default: the connection's connectionTimeoutMs (at most 30 s), else 10 s. */
  timeoutMs?: number;
  /** Access tokens for an OAuth2 connection (the connection repository's `tokens`): the test takes and renews them as sends do. */
  tokens?: TokenSource;
  /** Name resolution; defaults to the system resolver. A seam for tests and custom resolvers. */
  lookup?: (host: string) => Promise<{ address: string }>;
}

/** Ends the test at a failed step: carries the problem up to `testConnection`. */
class Stop extends Error {
  constructor(readonly problem: ConnectionTestProblem) {
    super(problem.message);
  }
}

/** What nodemailer's transaction log showed, in order: server replies, client verbs, the TLS upgrade. */
interface Event {
  at: number;
  kind: 'server' | 'client' | 'upgraded';
  text: string;
}

const firstLine = (s: string): string => s.split(/\r?\n/)[0].slice(0, 300);
const withTimeout = <T>(p: Promise<T>, ms: number, what: string): Promise<T> =>
  Promise.race([
    p,
    new Promise<T>((_, reject) => setTimeout(() => reject(Object.assign(new Error(`${what} timed out after ${ms} ms`), { code: 'ETIMEDOUT' })), ms).unref()),
  ]);

export async function testConnection(conn: SmtpConnection, opts: ConnectionTestOptions = {}): Promise<ConnectionTestReport> {
  // the connection's own timeout, so that a short one shows what sends would see; capped, as someone waits for the answer
  const t = opts.timeoutMs ?? Math.min(conn.connectionTimeoutMs ?? 10_000, 30_000);
  const secrets = secretForms(conn);
  const clean = (s: string): string => scrub(s, secrets);
  const steps: ConnectionTestStep[] = [];
  const where = `${conn.host}:${conn.port}`;
  const record: RecordStep = (step, ok, detail, since, end = performance.now()) => {
    steps.push({ step, ok, detail: clean(detail), durationMs: Math.max(0, Math.round(end - since)) });
  };
  const stop = (code: string, message: string, fix: string): never => {
    throw new Stop({ code, message: clean(message), fix: clean(fix) });
  };
  let smtp: SMTPConnection | undefined;
  let socket: net.Socket | undefined;

  try {
    // dns
    let start = performance.now();
    let address = conn.host;
    if (net.isIP(conn.host)) {
      record('dns', true, `${conn.host} is an IP address; nothing to resolve`, start);
    } else {
      try {
        address = (await withTimeout((opts.lookup ?? dnsLookup)(conn.host), t, 'DNS lookup')).address;
        record('dns', true, `${conn.host} resolves to ${address}`, start);
      } catch (err) {
        record('dns', false, `could not resolve ${conn.host}: ${(err as Error).message}`, start);
        stop('DnsFailed', `The host name ${conn.host} does not resolve (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}).`,
          'Check the connection\'s host setting for typos; if the name is internal, make sure this machine uses a DNS server that knows it.');
      }
    }

    // tcp
    start = performance.now();
    try {
      socket = await tcpConnect(address, conn.port, t);
      record('tcp', true, `connected to ${address}:${conn.port}`, start);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      record('tcp', false, `${address}:${conn.port}: ${(err as Error).message}`, start);
      if (code === 'ECONNREFUSED') {
        stop('ConnectionRefused', `Nothing accepts connections on ${where}: the connection was refused.`,
          'Check the connection\'s host and port (587 for "starttls", 465 for "tls", 25 for server-to-server) and that the mail server is running.');
      }
      if (code === 'ETIMEDOUT') {
        stop('ConnectTimeout', `No answer from ${where} within ${t} ms: packets are dropped on the way (firewall, or a blocked port such as 25).`,
          'Check the connection\'s host and port, and that outgoing connections to that port are allowed; raise connectionTimeoutMs for a slow network.');
      }
      stop('NetworkError', `Could not reach ${where}: ${(err as Error).message}.`, 'Check the connection\'s host and port and this machine\'s network.');
    }

    // implicit TLS: our own handshake, so the certificate step is observable on its own
    let secured: tls.TLSSocket | undefined;
    if (conn.security === 'tls') {
      start = performance.now();
      try {
        secured = await tlsHandshake(socket!, conn, t);
      } catch (err) {
        const msg = tlsReason((err as Error).message);
        record('certificate', false, `TLS handshake failed: ${msg}`, start);
        if (/wrong version number|packet length too long|unexpected eof|http request/i.test(msg)) {
          stop('PlainPortCalledTls', `${where} speaks plain SMTP, but the connection's security is "tls" (implicit TLS).`,
            'Set security to "starttls" for this port (587 or 25), or keep "tls" and use the server\'s implicit-TLS port (usually 465).');
        }
        if ((err as NodeJS.ErrnoException).code === 'ETIMEDOUT') {
          stop('Timeout', `${where} accepted the connection but did not answer the TLS handshake within ${t} ms.`,
            'Check the connection\'s port (465 for "tls"); if the server is slow, raise connectionTimeoutMs.');
        }
        stop('TlsHandshakeFailed', `The TLS handshake with ${where} failed: ${msg}.`, 'Check the connection\'s port and security setting; the server may need TLS versions or ciphers this machine does not offer.');
      }
      const verdict = judgeCertificate(secured!, conn);
      record('certificate', verdict.ok, verdict.detail, start);
      if (verdict.problem) stop(verdict.problem.code, verdict.problem.message, verdict.problem.fix);
    }

    // banner, EHLO, STARTTLS: nodemailer drives the protocol, its transaction log shows each step
    const events: Event[] = [];
    let starttlsVerdict: CertificateVerdict | undefined;
    const note = (kind: Event['kind'], text: string): void => {
      events.push({ at: performance.now(), kind, text });
    };
    const log = (entry: { tnx?: string } | undefined, message: unknown): void => {
      const text = String(message ?? '');
      if (entry?.tnx === 'server') note('server', text);
      else if (entry?.tnx === 'client') note('client', text.split(' ')[0].toUpperCase());
      else if (/upgraded with STARTTLS/.test(text)) {
        // judged the moment the handshake ends: a refused certificate ends the session before anything else is said
        starttlsVerdict = judgeCertificate(smtp!._socket as tls.TLSSocket, conn);
        if (!starttlsVerdict.ok) setImmediate(() => smtp?.close());
        note('upgraded', text);
      }
    };
    const clientName = conn.clientName ?? (await defaultClientName().catch(clientNameNow));
    smtp = new SMTPConnection({
      connection: secured ?? socket,
      secured: secured !== undefined,
      secure: secured !== undefined,
      host: conn.host,
      port: conn.port,
      requireTLS: conn.security === 'starttls',
      ignoreTLS: conn.security === 'none',
      name: clientName,
      tls: { ...tlsOptions(conn), rejectUnauthorized: false },
      connectionTimeout: t,
      greetingTimeout: t,
      socketTimeout: t,
      transactionLog: true,
      logger: { trace: log, debug: log, info: log, warn: log, error: log, fatal: log },
    });
    const session = smtp;
    session.on('error', () => undefined); // failures arrive through the promises below
    const connectStart = performance.now();
    const connectError = await exchange(session, (done) => {
      session.once('connect', () => done(null));
      session.connect((err) => done(err));
    });
    const plainEhlo = replayHandshake(events, connectStart, record, starttlsVerdict);
    if (starttlsVerdict?.problem) stop(starttlsVerdict.problem.code, starttlsVerdict.problem.message, starttlsVerdict.problem.fix);
    if (connectError) {
      await diagnoseHandshake(connectError, events, connectStart, conn, address, t, plainEhlo, record, stop);
    }

    // AUTH
    const ehlo = [...events].reverse().find((e) => e.kind === 'server')?.text ?? '';
    const mechanisms = /^\d{3}[ -]AUTH[ =](.*)$/im.exec(ehlo)?.[1].trim().toUpperCase().split(/[\s=]+/) ?? [];
    start = performance.now();
    const oauth = oauth2Of(conn);
    if (conn.username === undefined && !oauth) {
      record('auth-mechanisms', true, mechanisms.length
        ? `offers ${mechanisms.join(' ')}; the connection has no username, so smtpflow does not sign in`
        : 'offers no AUTH; the connection has no username, so none is needed', start);
    } else if (!mechanisms.length) {
      record('auth-mechanisms', false, 'the server does not offer AUTH on this session', start);
      if (conn.security === 'none' && /[ -]STARTTLS\b/i.test(plainEhlo ?? ehlo)) {
        stop('AuthRequiresStarttls', `${where} offers AUTH only after STARTTLS, and the connection's security is "none".`,
          `Set security to "starttls" so that the ${oauth ? 'token' : 'password'} travels encrypted.`);
      }
      stop('AuthNotOffered', `${where} does not offer AUTH, but the connection ${oauth ? 'signs in with OAuth2' : 'has a username'}.`,
        `Use the server's submission port (587 with "starttls", or 465 with "tls"); or remove ${oauth ? 'auth' : 'username and password'} if the server relays for this machine without them.`);
    } else if (oauth) {
      await oauth2Steps(session, conn, mechanisms, opts.tokens, record, stop);
    } else {
      const usable = PASSWORD_MECHANISMS.find((m) => mechanisms.includes(m));
      if (!usable) {
        record('auth-mechanisms', false, `offers ${mechanisms.join(' ')}; none of them works with a password here (smtpflow uses ${PASSWORD_MECHANISMS.join(' or ')})`, start);
        stop('NoUsableAuthMechanism', `${where} offers only ${mechanisms.join(' ')} for AUTH; smtpflow signs in with a password using PLAIN or LOGIN.`,
          mechanisms.includes('XOAUTH2')
            ? 'The server takes OAuth2: set the connection\'s auth to { "type": "oauth2", … }.'
            : 'Enable AUTH PLAIN or LOGIN on the server (over TLS), or connect to a port or server that offers them.');
      }
      record('auth-mechanisms', true, `offers ${mechanisms.join(' ')}; smtpflow will use ${usable}`, start);

      start = performance.now();
      const loginError = await exchange(session, (done) => session.login({ user: conn.username, pass: conn.password ?? '', method: usable }, done));
      if (loginError) {
        const reply = (loginError as { response?: string }).response;
        record('auth', false, `${conn.username} was refused: ${reply ? firstLine(reply) : loginError.message}`, start);
        const advice = authRejectionAdvice(reply);
        if (advice) stop(advice.code, `${where} refused basic authentication for ${conn.username}: ${firstLine(reply ?? '')}`, advice.fix);
        if (!conn.password) stop('PasswordMissing', `The connection has a username (${conn.username}) but no password.`, 'Set the connection\'s password.');
        stop('AuthenticationFailed', `${where} refused the username and password of ${conn.username}${reply ? ` (${firstLine(reply)})` : ''}.`,
          'Check the connection\'s username and password; some providers need an app password, or OAuth2.');
      }
      record('auth', true, `signed in as ${conn.username} with ${usable}${conn.security === 'none' ? ' (in clear text: security is "none")' : ''}`, start);
    }

    // MAIL FROM probe, then RSET: proves the sender is allowed without sending anything
    start = performance.now();
    const from = envelopeSender(conn) ?? /<([^<>]+)>/.exec(conn.defaultFrom ?? '')?.[1] ?? conn.defaultFrom?.trim() ?? `postmaster@${clientName}`;
    let reply = '';
    try {
      reply = (await sendLine(session, `MAIL FROM:<${from}>`)).response;
    } catch (mailError) {
      record('mail-from', false, `MAIL FROM:<${from}>: ${(mailError as Error).message}`, start);
      stop('ConnectionLost', `${where} dropped the session at MAIL FROM: ${(mailError as Error).message}`, 'Retry; if it persists, check the server\'s logs.');
    }
    if (!/^2/.test(reply)) {
      record('mail-from', false, `MAIL FROM:<${from}> → ${firstLine(reply)}`, start);
      const code = Number(reply.slice(0, 3));
      if (code >= 400 && code < 500) {
        stop(/4\.7\.|grey|gray/i.test(reply) ? 'Greylisted' : 'TemporaryFailure', `${where} deferred the sender ${from}: ${firstLine(reply)}`,
          'Nothing to change if this passes later: the server defers for now, and smtpflow retries transient failures.');
      }
      if (code === 530 || /auth/i.test(reply)) {
        stop('AuthenticationRequired', `${where} requires authentication before accepting mail: ${firstLine(reply)}`, 'Set the connection\'s username and password.');
      }
      stop('SenderRejected', `${where} does not accept ${from} as the sender: ${firstLine(reply)}`,
        conn.envelopeFrom
          ? 'Set the connection\'s envelopeFrom to an address this account may send as (or remove it to use each message\'s From).'
          : 'Set the connection\'s defaultFrom (and each message\'s From) to an address this account may send as.');
    }
    await exchange(session, (done) => session.reset(done));
    record('mail-from', true, `MAIL FROM:<${from}> accepted (${firstLine(reply)}); reset without sending`, start);
    return { ok: true, steps };
  } catch (err) {
    if (err instanceof Stop) return { ok: false, steps, problem: err.problem };
    const message = clean((err as Error).message ?? String(err));
    return { ok: false, steps, problem: { code: 'UnexpectedError', message: `The test stopped unexpectedly: ${message}`, fix: 'Retry; if it persists, report it with this message.' } };
  } finally {
    if (smtp) {
      if (!smtp.destroyed) smtp.quit();
      smtp.close();
    }
    socket?.destroy();
  }
}

/** `end` defaults to now; a replayed step passes the time its reply arrived. */
export type RecordStep = (step: ConnectionTestStepName, ok: boolean, detail: string, since: number, end?: number) => void;
export type StopFn = (code: string, message: string, fix: string) => never;

/** Turns the transaction log of connect() into banner / ehlo / starttls steps; answers the EHLO reply seen before STARTTLS. */
function replayHandshake(events: Event[], start: number, record: RecordStep, verdict: CertificateVerdict | undefined): string | undefined {
  let last = start;
  let plainEhlo: string | undefined;
  let pending: { verb: string; at: number } | undefined;
  let bannerSeen = false;
  for (const e of events) {
    if (e.kind === 'client') {
      pending = { verb: e.text, at: e.at };
      last = e.at;
    } else if (e.kind === 'upgraded') {
      record('starttls', true, 'connection upgraded to TLS', last, e.at);
      if (verdict) record('certificate', verdict.ok, verdict.detail, e.at, e.at);
      if (!verdict?.ok) break;
    } else if (!bannerSeen) {
      bannerSeen = true;
      record('banner', /^220/.test(e.text), firstLine(e.text), start, e.at);
    } else if (pending && (pending.verb === 'EHLO' || pending.verb === 'HELO')) {
      const lines = e.text.split(/\r?\n/).map((l) => l.replace(/^\d{3}[ -]/, ''));
      const ok = /^2/.test(e.text);
      record('ehlo', ok, ok ? `${lines[0]} — offers ${lines.slice(1).join(', ') || 'no extensions'}` : firstLine(e.text), pending.at, e.at);
      if (!plainEhlo) plainEhlo = e.text;
      pending = undefined;
    } else if (pending?.verb === 'STARTTLS') {
      if (!/^2/.test(e.text)) record('starttls', false, `STARTTLS → ${firstLine(e.text)}`, pending.at, e.at);
      last = pending.at;
      pending = undefined;
    }
  }
  return plainEhlo;
}

async function diagnoseHandshake(
  err: Error, events: Event[], connectStart: number, conn: SmtpConnection, address: string, t: number, plainEhlo: string | undefined, record: RecordStep, stop: StopFn,
): Promise<never> {
  const e = err as NodeJS.ErrnoException & { response?: string; command?: string; timeoutType?: string };
  const where = `${conn.host}:${conn.port}`;
  const bannerSeen = events.some((x) => x.kind === 'server');
  const since = events.length ? events[events.length - 1].at : connectStart;
  if (!bannerSeen) {
    record('banner', false, e.code === 'ETIMEDOUT' ? `no greeting within ${t} ms` : e.message, since);
    if (e.code === 'ETIMEDOUT' && conn.security !== 'tls' && (await speaksTls(address, conn, t))) {
      stop('TlsPortCalledPlain', `${where} expects TLS from the first byte (implicit TLS), but the connection's security is "${conn.security}".`,
        'Set security to "tls" for this port, or keep "starttls" and use the server\'s submission port (usually 587).');
    }
    if (e.code === 'ETIMEDOUT') {
      stop('Timeout', `${where} accepted the connection but sent no SMTP greeting within ${t} ms.`,
        'Check the connection\'s host and port: something other than a mail server (or a proxy) answers there; raise connectionTimeoutMs for a slow server.');
    }
    stop('ConnectionClosed', `${where} closed the connection before greeting: ${e.message}.`,
      'The server may refuse this machine\'s address or be overloaded; check the host and port, and the server\'s logs.');
  }
  if (e.command === 'STARTTLS' || e.code === 'ETLS') {
    if (e.response) {
      stop('StarttlsNotOffered', `${where} does not offer STARTTLS${plainEhlo && !/STARTTLS/i.test(plainEhlo) ? ' (its EHLO does not list it)' : ''}, and the connection's security "starttls" requires it; nothing was sent.`,
        'If the server takes implicit TLS on another port (usually 465), set security to "tls" and that port; use security "none" only on a network you trust.');
    }
    record('starttls', false, tlsReason(e.message), since);
    stop('TlsHandshakeFailed', `The STARTTLS handshake with ${where} failed: ${tlsReason(e.message)}.`, 'Check the connection\'s port and security setting.');
  }
  if (e.code === 'EPROTOCOL' && e.response && !events.some((x) => x.kind === 'client')) {
    stop('BannerRejected', `${where} refused the session in its greeting: ${firstLine(e.response)}`, 'The server does not take connections from this machine; ask its administrator, or check the host and port.');
  }
  if (e.code === 'ETIMEDOUT') {
    stop('Timeout', `${where} stopped answering during the handshake (${e.message}).`, 'Raise connectionTimeoutMs and socketTimeoutMs, or check the network path to the server.');
  }
  stop('HandshakeFailed', `The SMTP handshake with ${where} failed: ${e.message}`, e.response ? 'See the server\'s reply; set clientName to this machine\'s FQDN if the server rejects the EHLO name.' : 'Check the connection\'s host, port and security.');
  throw err; // unreachable: stop() throws
}

