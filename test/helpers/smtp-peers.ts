/**
 * Real SMTP servers for tests: smtp-server in-process on 127.0.0.1, port 0.
 *
 *   const peer = await startSmtpPeer({ auth: { user: 'u', pass: 'p' } });
 *   … send to 127.0.0.1:peer.port …
 *   const [msg] = await peer.waitForMessages(1);
 *   msg.envelope.to; msg.raw; msg.parsed?.subject
 *   await peer.close();
 *
 * Replies are made real (the server says them on the wire), so the client under test sees
 * exactly what it would see from a production MTA.
 */
import { simpleParser, type ParsedMail } from 'mailparser';
import { SMTPServer, type SMTPServerOptions, type SMTPServerSession } from 'smtp-server';
import type { AddressInfo } from 'node:net';
import { testCerts, type KeyPair } from './certs.js';
import { waitFor } from './wait.js';

/** An SMTP reply the peer sends instead of its default, e.g. `{ code: 550, message: '5.1.1 No such user' }`. */
export interface PeerReply {
  code: number;
  message: string;
}

export interface SmtpPeerOptions {
  /**
   * Require AUTH with these credentials; `methods` defaults to PLAIN and LOGIN (CRAM-MD5, XOAUTH2 possible).
   * XOAUTH2 checks the token with `validateToken` (a real token server's verdict) and refuses as Gmail
   * does (a `334` challenge, then `535`), or with `xoauth2Refusal` as Microsoft does (a plain `535`).
   */
  auth?: { user: string; pass: string; methods?: string[]; validateToken?: (user: string, accessToken: string) => boolean; xoauth2Refusal?: PeerReply };
  /** Answer every AUTH with this reply, whatever the credentials (e.g. 535 with a provider's text). */
  authReply?: PeerReply;
  /** Do not advertise AUTH on a plain-text session (like Postfix's smtpd_tls_auth_only): only after STARTTLS. */
  hideAuth?: boolean;
  /** Implicit TLS from the first byte, as on port 465. */
  secure?: boolean;
  /** Offer STARTTLS. Default: true when `tls` is given. False: the command does not exist at all. */
  starttls?: boolean;
  /** Key and certificate; default when TLS is on: `testCerts().server` (trusted by `testCerts().ca`). */
  tls?: KeyPair;
  /** Reject the sender at MAIL FROM (e.g. `{ code: 451, message: '4.7.1 Greylisted, try again later' }`). */
  rejectSender?: (address: string) => PeerReply | undefined;
  /** Advertise DSN (RFC 3461) in EHLO; the parameters a client sends are kept in `PeerMessage.args`. */
  dsn?: boolean;
  /** Reject a recipient at RCPT TO. */
  rejectRecipient?: (address: string) => PeerReply | undefined;
  /** Reject a message after DATA; `index` counts messages received so far (0 for the first). */
  onData?: (session: SMTPServerSession, raw: Buffer, index: number) => PeerReply | undefined;
  /** Destroy the socket as soon as DATA starts arriving (a server that dies mid-message). */
  dropOnData?: boolean;
}

export interface PeerMessage {
  envelope: { from: string; to: string[] };
  raw: Buffer;
  parsed?: ParsedMail;
  /** The AUTH user of the session, if any. */
  user?: string;
  /** Whether the session was encrypted (implicit TLS or STARTTLS). */
  secure: boolean;
  /** The name the client gave in EHLO/HELO. */
  clientName: string;
  /** MAIL FROM and RCPT TO parameters (DSN: RET, ENVID, NOTIFY, ORCPT), upper-case keys. */
  args: { mailFrom: Record<string, string>; rcptTo: Array<Record<string, string>> };
}

export interface SmtpPeer {
  host: string;
  port: number;
  /** Messages accepted (250 after DATA), in order. */
  messages: PeerMessage[];
  /** Every AUTH attempt, successful or not. */
  auths: Array<{ method: string; username?: string; ok: boolean }>;
  /** TCP connections accepted since start (to check that a pool reuses them). */
  readonly connections: number;
  waitForMessages(n: number, timeoutMs?: number): Promise<PeerMessage[]>;
  close(): Promise<void>;
}

const replyError = (reply: PeerReply): Error & { responseCode: number } =>
  Object.assign(new Error(reply.message), { responseCode: reply.code });

export async function startSmtpPeer(options: SmtpPeerOptions = {}): Promise<SmtpPeer> {
  const messages: PeerMessage[] = [];
  const auths: SmtpPeer['auths'] = [];
  let connections = 0;
  let received = 0;

  const starttls = options.starttls ?? (options.tls !== undefined && !options.secure);
  const tls = options.secure || starttls ? (options.tls ?? testCerts().server) : undefined;
  const authOn = options.auth !== undefined || options.authReply !== undefined;
  const disabled = [...(starttls ? [] : ['STARTTLS']), ...(authOn ? [] : ['AUTH'])];

  const serverOptions: SMTPServerOptions = {
    logger: false,
    secure: options.secure ?? false,
    ...(tls ? { key: tls.key, cert: tls.cert } : {}),
    disabledCommands: disabled,
    authOptional: !authOn,
    authMethods: options.auth?.methods ?? ['PLAIN', 'LOGIN'],
    disableReverseLookup: true,
    hideDSN: !options.dsn,
    // Replies carry exactly the text given (e.g. '5.7.1 Relaying denied'); smtp-server would prefix its own code.
    hideENHANCEDSTATUSCODES: true,
    // keep close() quick when a client under test leaves a pooled connection open
    closeTimeout: 200,

    onConnect(session, callback) {
      connections += 1;
      // A per-session list replaces the server-wide one; STARTTLS puts the full list back.
      if (options.hideAuth && !options.secure) session.disabledCommands = [...disabled, 'AUTH'];
      callback();
    },
    onSecure(_socket, session, callback) {
      session.disabledCommands = disabled;
      callback();
    },
    onAuth(auth, _session, callback) {
      const attempt = { method: auth.method, username: auth.username, ok: false };
      auths.push(attempt);
      if (options.authReply) return callback(replyError(options.authReply));
      const expected = options.auth!;
      if (auth.method === 'XOAUTH2') {
        if (auth.username === expected.user && expected.validateToken?.(auth.username, auth.accessToken ?? '')) {
          attempt.ok = true;
          return callback(null, { user: auth.username });
        }
        if (expected.xoauth2Refusal) return callback(replyError(expected.xoauth2Refusal));
        return callback(null, { data: { status: '401', schemes: 'bearer', scope: 'https://mail.google.com/' } });
      }
      const ok =
        auth.username === expected.user &&
        (auth.method === 'CRAM-MD5' ? auth.validatePassword(expected.pass) : auth.password === expected.pass);
      if (!ok) return callback(replyError({ code: 535, message: '5.7.8 Authentication credentials invalid' }));
      attempt.ok = true;
      callback(null, { user: auth.username });
    },
    onMailFrom(address, _session, callback) {
      const reply = options.rejectSender?.(address.address);
      callback(reply ? replyError(reply) : undefined);
    },
    onRcptTo(address, _session, callback) {
      const reply = options.rejectRecipient?.(address.address);
      callback(reply ? replyError(reply) : undefined);
    },
    onData(stream, session, callback) {
      if (options.dropOnData) {
        stream.once('data', () => {
          for (const conn of server.connections) if (conn.session.id === session.id) conn._socket.destroy();
        });
      }
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('end', () => {
        void (async () => {
          const raw = Buffer.concat(chunks);
          const reply = options.onData?.(session, raw, received++);
          if (reply) return callback(replyError(reply));
          const mailFrom = session.envelope.mailFrom;
          const parsed = await simpleParser(raw).catch(() => undefined);
          messages.push({
            envelope: { from: mailFrom ? mailFrom.address : '', to: session.envelope.rcptTo.map((r) => r.address) },
            raw,
            parsed,
            user: typeof session.user === 'string' ? session.user : undefined,
            secure: session.secure,
            clientName: session.hostNameAppearsAs,
            args: {
              mailFrom: (mailFrom && (mailFrom.args as Record<string, string>)) || {},
              rcptTo: session.envelope.rcptTo.map((r) => (r.args as Record<string, string>) || {}),
            },
          });
          callback();
        })();
      });
    },
  };

  const server = new SMTPServer(serverOptions);
  server.on('error', () => {
    /* a client that hangs up mid-session is normal in these tests */
  });
  await new Promise<void>((resolve, reject) => {
    server.server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const port = (server.server.address() as AddressInfo).port;

  return {
    host: '127.0.0.1',
    port,
    messages,
    auths,
    get connections() {
      return connections;
    },
    async waitForMessages(n, timeoutMs = 10_000) {
      await waitFor(() => messages.length >= n, { timeoutMs, message: `${n} message(s) at the SMTP peer on port ${port}` });
      return messages;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
