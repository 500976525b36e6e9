/**
 * Network probes of the connection test, each one observable on its own: a TCP connect, a TLS
 * handshake that keeps the certificate for inspection, and one SMTP exchange at a time.
 */
import net from 'node:net';
import tls from 'node:tls';
import type SMTPConnection from 'nodemailer/lib/smtp-connection';
import type { SmtpConnection } from '../connections/schema.js';
import { certificateAdvice } from './classify.js';
import { tlsOptions } from './transports.js';

export interface CertificateVerdict {
  ok: boolean;
  detail: string;
  problem?: { code: string; message: string; fix: string };
}

export function tcpConnect(host: string, port: number, timeoutMs: number): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const s = net.connect({ host, port });
    const timer = setTimeout(() => {
      s.destroy();
      reject(Object.assign(new Error(`no answer within ${timeoutMs} ms`), { code: 'ETIMEDOUT' }));
    }, timeoutMs);
    s.once('connect', () => {
      clearTimeout(timer);
      s.removeAllListeners('error');
      resolve(s);
    });
    s.once('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
  });
}

export function tlsHandshake(socket: net.Socket, conn: SmtpConnection, timeoutMs: number): Promise<tls.TLSSocket> {
  return new Promise((resolve, reject) => {
    const s = tls.connect({ ...tlsOptions(conn), rejectUnauthorized: false, socket, host: conn.host });
    const timer = setTimeout(() => {
      s.destroy();
      reject(Object.assign(new Error(`no TLS answer within ${timeoutMs} ms`), { code: 'ETIMEDOUT' }));
    }, timeoutMs);
    s.once('secureConnect', () => {
      clearTimeout(timer);
      s.removeAllListeners('error');
      resolve(s);
    });
    s.once('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
  });
}

/** OpenSSL's words without its file and line noise. */
export function tlsReason(message: string): string {
  return /wrong version number|packet length too long|unexpected eof|http request|handshake failure|unsupported protocol/i.exec(message)?.[0] ?? message.split('\n')[0];
}

const describeName = (n: tls.PeerCertificate['subject'] | undefined): string =>
  n ? Object.entries(n).map(([k, v]) => `${k}=${Array.isArray(v) ? v.join('+') : v}`).join(', ') : '(none)';

export function judgeCertificate(s: tls.TLSSocket, conn: SmtpConnection): CertificateVerdict {
  const cert = s.getPeerCertificate();
  const subject = describeName(cert.subject);
  const issuer = describeName(cert.issuer);
  const names = cert.subjectaltname ? `; names: ${cert.subjectaltname}` : '';
  const about = `subject ${subject}, issuer ${issuer}, valid until ${cert.valid_to}${names}`;
  if (s.authorized) return { ok: true, detail: `trusted: ${about}` };
  // Node documents an Error but sets the OpenSSL code string
  const raw = s.authorizationError as unknown;
  const reason = typeof raw === 'string' ? raw : ((raw as NodeJS.ErrnoException)?.code ?? String(raw));
  if (conn.rejectUnauthorized === false) {
    return { ok: true, detail: `NOT verified (${reason}), accepted because rejectUnauthorized is false: ${about}` };
  }
  const advice = certificateAdvice([reason], '', conn.host);
  return {
    ok: false,
    detail: `${reason}: ${about}`,
    problem: {
      code: advice.code,
      message: `The certificate of ${conn.host}:${conn.port} ${advice.what} (${about}).`,
      fix: advice.fix.replace(/^./, (c) => c.toUpperCase()),
    },
  };
}

/** Whether the port completes a TLS handshake: tells an implicit-TLS port from a silent one. */
export async function speaksTls(address: string, conn: SmtpConnection, t: number): Promise<boolean> {
  let s: net.Socket | undefined;
  try {
    s = await tcpConnect(address, conn.port, t);
    (await tlsHandshake(s, conn, t)).destroy();
    return true;
  } catch {
    return false;
  } finally {
    s?.destroy();
  }
}

/** Runs one exchange; settles with its error (or null) when it answers, or when the session fails or ends first. */
export function exchange(session: SMTPConnection, run: (done: (err?: Error | null) => void) => void): Promise<Error | null> {
  return new Promise((resolve) => {
    let settled = false;
    const done = (err?: Error | null): void => {
      if (settled) return;
      settled = true;
      session.removeListener('error', done);
      session.removeListener('end', ended);
      resolve(err ?? null);
    };
    const ended = (): void => done(Object.assign(new Error('Connection closed unexpectedly'), { code: 'ECONNECTION' }));
    session.once('error', done);
    session.once('end', ended);
    run(done);
  });
}

interface SmtpInternals {
  _sendCommand(line: string): void;
  _responseActions: Array<(reply: string) => void>;
}

/**
 * Sends one command line and answers the server's reply. nodemailer offers no public
 * per-command call; these internals have been stable since v1. Rejects if the session dies.
 */
export async function sendLine(session: SMTPConnection, line: string): Promise<{ status: number; response: string }> {
  let response = '';
  const err = await exchange(session, (done) => {
    const internals = session as unknown as SmtpInternals;
    internals._responseActions.push((reply) => {
      response = reply;
      done(null);
    });
    internals._sendCommand(line);
  });
  if (err) throw err;
  return { status: Number(response.slice(0, 3)) || 0, response };
}
