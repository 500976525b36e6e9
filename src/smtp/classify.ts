/**
 * Turns whatever a send failed with (a nodemailer error with the server's reply, a socket
 * error, a TLS error) into SPEC §2's status code and §3's retry decision.
 *
 * Decisions beyond the brief, and why:
 * - TLS failures that a retry cannot fix (certificate not trusted / expired / wrong host,
 *   STARTTLS not offered under "starttls", TLS spoken to a plain port) are permanent: the
 *   connection's settings must change first. A handshake cut short by the network is transient.
 * - "Every recipient rejected" is 400 `SmtpRecipientsRejected` only when every rejection is
 *   permanent (SPEC §2: "every recipient permanently"); all of them 5.7.x/relay is 403 policy;
 *   if any recipient got a 4xx the message is deferred: 502 `SmtpTransientFailure`, transient.
 * - 503 (bad sequence) is treated like any other 5xx: permanent, 400.
 * - An error we cannot place is 500 and transient: retrying is safer than losing mail.
 */
import { AppError, type SmtpReply } from '../errors.js';
import { OAuthTokenError } from '../oauth/index.js';
import { XOAUTH2_REFUSED_FIX, XOAuth2NotOffered, XOAuth2Rejected } from './xoauth2.js';

export type SmtpFailureKind = 'transient' | 'permanent';

export interface RecipientRejection {
  recipient: string;
  code?: number;
  enhancedCode?: string;
  response?: string;
}

export interface SmtpFailure {
  kind: SmtpFailureKind;
  status: number;
  code: string;
  message: string;
  smtp?: SmtpReply;
  /** Each recipient's reply, when the failure is that recipients were refused. */
  recipients?: RecipientRejection[];
}

/** What the classifier may say about where it failed; `secrets` are scrubbed from every text. */
export interface ClassifyContext {
  host?: string;
  port?: number;
  security?: 'tls' | 'starttls' | 'none';
  secrets?: string[];
  /** How the connection signs in: the advice on a refused sign-in differs. */
  auth?: 'password' | 'oauth2';
}

/** A failed send: an AppError (so the API can throw it as is) that keeps the retry decision. */
export class SmtpSendError extends AppError {
  readonly failure: SmtpFailure;
  readonly kind: SmtpFailureKind;

  constructor(failure: SmtpFailure) {
    super(failure.status, failure.code, failure.message, failure.smtp ? { smtp: failure.smtp } : {});
    this.name = 'SmtpSendError';
    this.failure = failure;
    this.kind = failure.kind;
  }
}

export function toAppError(f: SmtpFailure): AppError {
  return new SmtpSendError(f);
}

/** "550 5.1.1 <a@b>: unknown" → "5.1.1"; works on continuation lines ("550-5.1.1 …") too. */
export function parseEnhancedCode(response: string | undefined): string | undefined {
  return response?.match(/^\d{3}[ -]([245]\.\d{1,3}\.\d{1,3})(?![\d.])/m)?.[1];
}

/** Microsoft's and Google's words for "basic auth is not allowed here", and what to do about it. */
export function authRejectionAdvice(response: string | undefined): { code: string; fix: string } | undefined {
  if (!response) return undefined;
  if (/SmtpClientAuthentication is disabled|basic authentication is disabled|5\.7\.139/i.test(response)) {
    const scope = /mailbox/i.test(response) ? 'this mailbox' : /tenant/i.test(response) ? 'the Microsoft 365 tenant' : 'the tenant or this mailbox';
    return {
      code: 'SmtpAuthDisabled',
      fix:
        `Microsoft 365 has SMTP AUTH (SmtpClientAuthentication) disabled for ${scope}, so no password will work. ` +
        'Use OAuth2: set the connection\'s auth to { "type": "oauth2", "provider": "microsoft", … }; ' +
        'or have an admin enable Authenticated SMTP for the mailbox (Set-CASMailbox -SmtpClientAuthenticationDisabled $false).',
    };
  }
  if (/application-specific password|InvalidSecondFactor|5\.7\.9\b/i.test(response)) {
    return {
      code: 'SmtpAppPasswordRequired',
      fix: 'The account uses 2-step verification: create an app password and set it as the connection\'s password, or use OAuth2.',
    };
  }
  return undefined;
}

const CERT_CODES = new Set([
  'DEPTH_ZERO_SELF_SIGNED_CERT', 'SELF_SIGNED_CERT_IN_CHAIN', 'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT', 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY', 'CERT_HAS_EXPIRED', 'CERT_NOT_YET_VALID',
  'ERR_TLS_CERT_ALTNAME_INVALID', 'CERT_UNTRUSTED', 'CERT_REVOKED', 'CERT_SIGNATURE_FAILURE', 'HOSTNAME_MISMATCH',
]);
const NETWORK_CODES = new Set([
  'ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EDNS', 'ESOCKET', 'ECONNECTION', 'EPIPE', 'EHOSTUNREACH',
  'ENETUNREACH', 'ENETDOWN', 'EHOSTDOWN', 'ENOTFOUND', 'EAI_AGAIN', 'ECONNABORTED', 'EPROTOCOL', 'EABORT',
]);

interface ErrorShape {
  message: string;
  code?: string;
  originalCode?: string;
  responseCode?: number;
  response?: string;
  command?: string;
  timeoutType?: string;
  rejectedErrors?: ErrorShape[];
  recipient?: string;
}

function shapeOf(err: unknown): ErrorShape {
  if (typeof err !== 'object' || err === null) return { message: String(err) };
  const e = err as Record<string, unknown>;
  const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
  return {
    message: str(e.message) ?? String(err),
    code: str(e.code),
    originalCode: str(e.originalCode),
    responseCode: typeof e.responseCode === 'number' ? e.responseCode : undefined,
    response: str(e.response),
    command: str(e.command),
    timeoutType: str(e.timeoutType),
    rejectedErrors: Array.isArray(e.rejectedErrors) ? e.rejectedErrors.map(shapeOf) : undefined,
    recipient: str(e.recipient),
  };
}

/** Removes every secret (and its base64 forms, which AUTH exchanges carry) from a text. */
export function scrub(text: string, secrets: readonly string[] = []): string {
  let out = text;
  for (const s of secrets) if (s.length >= 3) out = out.split(s).join('***');
  return out;
}

// 530 "authentication required" is policy too (it is 5.7.0 where servers send enhanced codes).
const isPolicy = (r: { code?: number; enhancedCode?: string; response?: string }): boolean =>
  (r.enhancedCode?.startsWith('5.7.') ?? false) || r.code === 530 || /relay/i.test(r.response ?? '');

/** What is wrong with a certificate, from Node's error code or (after STARTTLS, where nodemailer drops the code) its text. */
export function certificateAdvice(codes: readonly string[], message: string, host?: string): { code: string; what: string; fix: string } {
  const has = (c: string, re: RegExp): boolean => codes.includes(c) || re.test(message);
  const lenient = 'or, if you accept an unverified server, set rejectUnauthorized: false.';
  if (has('CERT_HAS_EXPIRED', /certificate has expired/i)) {
    return { code: 'CertificateExpired', what: 'has expired', fix: `the server's administrator must renew it; ${lenient}` };
  }
  if (has('CERT_NOT_YET_VALID', /not yet valid/i)) {
    return { code: 'CertificateNotYetValid', what: 'is not valid yet', fix: `check the clock of this machine and of the server; ${lenient}` };
  }
  if (has('ERR_TLS_CERT_ALTNAME_INVALID', /does not match certificate|altname/i)) {
    return {
      code: 'CertificateHostMismatch',
      what: `is issued for another host than ${host ?? 'the one connected to'}`,
      fix: `set the connection's host to a name the certificate names; ${lenient}`,
    };
  }
  return {
    code: 'CertificateUntrusted',
    what: 'is self-signed or signed by a CA this machine does not trust',
    fix: `add the certificate of the CA that signed it (PEM) as the connection's "ca"; ${lenient}`,
  };
}

export function classifySmtpFailure(err: unknown, ctx: ClassifyContext = {}): SmtpFailure {
  if (err instanceof SmtpSendError) return err.failure;
  const e = shapeOf(err);
  const secrets = ctx.secrets ?? [];
  const clean = (s: string): string => scrub(s, secrets);
  const response = e.response !== undefined ? clean(e.response.trim()) : undefined;
  const enhancedCode = parseEnhancedCode(response);
  const smtp: SmtpReply | undefined =
    response !== undefined ? { code: e.responseCode, enhancedCode, response } : undefined;
  const where = ctx.host ? `${ctx.host}:${ctx.port ?? ''}`.replace(/:$/, '') : 'the SMTP server';
  const said = response ? ` (the server said: "${response}")` : '';
  const reason = clean(e.message.replace(/: \d{3}[ -][\s\S]*$/, ''));
  const fail = (kind: SmtpFailureKind, status: number, code: string, message: string, extra: Partial<SmtpFailure> = {}): SmtpFailure => ({
    kind, status, code, message: clean(message), ...(smtp ? { smtp } : {}), ...extra,
  });

  // No access token: the token endpoint's own words (error, error_description), whatever nodemailer wrapped around them.
  if (err instanceof OAuthTokenError) {
    const f = err.failure;
    return { kind: f.transient ? 'transient' : 'permanent', status: f.status, code: f.code, message: clean(`${f.what} Fix: ${f.fix}`) };
  }

  // TLS first: a refused STARTTLS carries a 5xx reply that must not read as "message rejected".
  const anyCode = [e.code, e.originalCode].filter((c): c is string => !!c);
  const certProblem = anyCode.some((c) => CERT_CODES.has(c)) || /certificate|self[- ]signed|unable to verify/i.test(e.message);
  const notTls = anyCode.some((c) => /WRONG_VERSION_NUMBER|PACKET_LENGTH_TOO_LONG|HTTP_REQUEST/.test(c)) || /wrong version number|packet length too long/i.test(e.message);
  if (e.code === 'ETLS' || certProblem || notTls) {
    if (e.command === 'STARTTLS' && e.responseCode) {
      return fail('permanent', 502, 'SmtpTlsFailed',
        `${where} does not offer STARTTLS${said}, and the connection's security "starttls" requires it, so nothing was sent. ` +
        'Fix: if the server takes implicit TLS (usually port 465), set security to "tls"; use "none" only on a network you trust.');
    }
    if (certProblem) {
      const { what, fix } = certificateAdvice(anyCode, e.message, ctx.host);
      return fail('permanent', 502, 'SmtpTlsFailed', `The TLS certificate of ${where} ${what}. Fix: ${fix}`);
    }
    if (notTls) {
      return fail('permanent', 502, 'SmtpTlsFailed',
        `${where} did not answer with TLS (wrong version number): the port speaks plain SMTP. Fix: set security to "starttls" (ports 587 and 25), or use the implicit-TLS port (usually 465) with "tls".`);
    }
    return fail('transient', 502, 'SmtpTlsFailed', `The TLS handshake with ${where} failed: ${reason}${said}. It will be retried; if it keeps failing, check the connection's security setting.`);
  }

  const rc = e.responseCode;
  if (e.code === 'EAUTH' || e.code === 'ENOAUTH' || rc === 535 || rc === 534 || (rc !== undefined && rc >= 500 && e.command?.startsWith('AUTH'))) {
    if (rc !== undefined && rc < 500) {
      return fail('transient', 502, 'SmtpTransientFailure', `${where} could not check the credentials right now${said}; it will be retried.`);
    }
    const advice = authRejectionAdvice(response);
    const missing = /missing credentials/i.test(e.message);
    if (err instanceof XOAuth2NotOffered) {
      return fail('permanent', 401, 'SmtpAuthenticationFailed',
        `${where}: ${reason}. Fix: set host and port to the provider's submission server (smtp.office365.com:587, smtp.gmail.com:465), or sign in with a password (auth type "password").`);
    }
    if (ctx.auth === 'oauth2' && !advice) {
      const why = `${reason}${said}${err instanceof XOAuth2Rejected ? ', also after renewing it' : ''}`;
      return fail('permanent', 401, 'SmtpAuthenticationFailed', `${where} refused the XOAUTH2 sign-in: ${why}. Fix: ${XOAUTH2_REFUSED_FIX}`);
    }
    const fix = advice?.fix ?? (missing
      ? 'Set both username and password on the connection.'
      : rc === undefined ? reason.replace(/\.?$/, '.') : 'Check the connection\'s username and password (some providers need an app password).');
    const what = rc === undefined ? `Could not authenticate to ${where}.` : `${where} refused the connection's credentials${said}.`;
    return fail('permanent', 401, 'SmtpAuthenticationFailed', `${what} ${fix}`);
  }

  if (e.code === 'EENVELOPE' && e.rejectedErrors && e.rejectedErrors.length > 0) {
    const recipients: RecipientRejection[] = e.rejectedErrors.map((r) => {
      const resp = r.response !== undefined ? clean(r.response.trim()) : undefined;
      return { recipient: r.recipient ?? '', code: r.responseCode, enhancedCode: parseEnhancedCode(resp), response: resp };
    });
    const list = recipients.map((r) => `${r.recipient}: ${r.response ?? 'refused'}`).join('; ');
    if (recipients.every((r) => (r.code ?? 0) >= 500)) {
      if (recipients.every(isPolicy)) {
        return fail('permanent', 403, 'SmtpPolicyRejected',
          `${where} refused every recipient by policy (${list}). Fix: authenticate (username and password) or send from an address the server allows to relay.`, { recipients });
      }
      return fail('permanent', 400, 'SmtpRecipientsRejected', `${where} rejected every recipient (${list}). Fix: correct the recipient addresses.`, { recipients });
    }
    return fail('transient', 502, 'SmtpTransientFailure', `${where} deferred every recipient (${list}); it will be retried.`, { recipients });
  }

  if (rc !== undefined && rc >= 400 && rc < 500) {
    const grey = enhancedCode?.startsWith('4.7.') || /grey|gray/i.test(response ?? '');
    const why = rc === 421 ? 'is closing the connection (busy, or limiting the rate)' : grey ? 'deferred the message (greylisting or a policy delay)' : 'deferred the message';
    return fail('transient', 502, 'SmtpTransientFailure', `${where} ${why}${said}; it will be retried.`);
  }
  if (rc !== undefined && rc >= 500) {
    if (isPolicy({ code: rc, enhancedCode, response })) {
      const fix = rc === 530 || /authentication required/i.test(response ?? '')
        ? 'the server requires authentication: set username and password on the connection'
        : /relay/i.test(response ?? '')
          ? 'authenticate (username and password) or send from an address the server allows to relay'
          : 'the server\'s policy refused this message (sender, content or reputation); see the reply';
      return fail('permanent', 403, 'SmtpPolicyRejected', `${where} refused the message by policy${said}. Fix: ${fix}.`);
    }
    const fix = enhancedCode?.startsWith('5.1.') ? 'correct the addresses'
      : enhancedCode === '5.3.4' || rc === 552 ? 'make the message smaller'
        : enhancedCode?.startsWith('5.6.') ? 'change the message content or encoding'
          : 'see the server\'s reply';
    return fail('permanent', 400, 'SmtpRejected', `${where} rejected the message${said}. Fix: ${fix}.`);
  }

  if (anyCode.some((c) => NETWORK_CODES.has(c)) || /Connection pool was closed|connection was closed|Connection closed/i.test(e.message)) {
    let what: string;
    if (e.code === 'EABORT') {
      // The outbox aborts an attempt only at its deadline: a server that trickles its replies never trips a socket timeout.
      what = `${where} did not finish the SMTP transaction in time (it answers too slowly, or trickles its replies). It will be retried.`;
    } else if (anyCode.includes('ECONNREFUSED')) {
      what = `Could not connect to ${where}: connection refused. Check the connection's host and port, and that the server is running.`;
    } else if (e.code === 'EDNS' || anyCode.includes('ENOTFOUND') || anyCode.includes('EAI_AGAIN')) {
      what = `Could not resolve the host of ${where} (${reason}). Check the connection's host.`;
    } else if (e.timeoutType === 'GREETING_TIMEOUT') {
      what = `${where} accepted the connection but sent no greeting in time. If the port expects implicit TLS (usually 465), set security to "tls".`;
    } else if (e.code === 'ETIMEDOUT' || anyCode.includes('ETIMEDOUT')) {
      what = `Timed out talking to ${where} (${reason}). Check host, port and firewalls; it will be retried.`;
    } else if (e.code === 'EPROTOCOL') {
      what = `${where} did not answer as an SMTP server should (${reason}). Check the connection's port.`;
    } else {
      what = `The connection to ${where} failed: ${reason}. It will be retried.`;
    }
    return fail('transient', 502, 'SmtpUnavailable', what);
  }

  if (e.code === 'EENVELOPE') {
    return fail('permanent', 400, 'SmtpEnvelopeInvalid', `The message's envelope is not valid: ${reason}. Fix: give a valid sender and at least one valid recipient.`);
  }
  if (e.code === 'EMESSAGE' && /size/i.test(e.message)) {
    return fail('permanent', 400, 'SmtpRejected', `${reason}. Fix: make the message smaller.`);
  }
  return fail('transient', 500, 'SmtpInternalError', `Sending through ${where} failed unexpectedly: ${reason}.`);
}
