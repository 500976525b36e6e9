/**
 * The connection test's steps for `auth.type: "oauth2"`: is XOAUTH2 offered, can a token be had
 * from the endpoint, does the server take it. Each failure names the setting to change.
 */
import type SMTPConnection from 'nodemailer/lib/smtp-connection';
import type { SmtpConnection } from '../connections/schema.js';
import { tokenRequestFor } from '../connections/smtp-settings.js';
import { grantName, OAuthTokenError } from '../oauth/index.js';
import type { RecordStep, StopFn } from './connection-test.js';
import { sendLine } from './probe.js';
import { oauth2Of, signInXOAuth2, XOAUTH2_REFUSED_FIX, XOAuth2Rejected, type TokenSource } from './xoauth2.js';

const firstLine = (s: string): string => s.split(/\r?\n/)[0].slice(0, 300);

export async function oauth2Steps(
  session: SMTPConnection, conn: SmtpConnection, mechanisms: string[], tokens: TokenSource | undefined, record: RecordStep, stop: StopFn,
): Promise<void> {
  const auth = oauth2Of(conn)!;
  const where = `${conn.host}:${conn.port}`;
  let start = performance.now();
  if (!mechanisms.includes('XOAUTH2')) {
    record('auth-mechanisms', false, `offers ${mechanisms.join(' ')}; not XOAUTH2, which auth.type "oauth2" signs in with`, start);
    const passwords = mechanisms.includes('PLAIN') || mechanisms.includes('LOGIN');
    stop('NoUsableAuthMechanism', `${where} offers only ${mechanisms.join(' ')} for AUTH; an OAuth2 connection signs in with XOAUTH2.`,
      passwords
        ? 'The server takes passwords, not OAuth2 tokens: set auth to { "type": "password" } with username and password; or set host and port to the provider\'s submission server (smtp.office365.com:587, smtp.gmail.com:465).'
        : 'Set host and port to a server that offers XOAUTH2 (smtp.office365.com:587, smtp.gmail.com:465).');
  }
  record('auth-mechanisms', true, `offers ${mechanisms.join(' ')}; smtpflow will use XOAUTH2`, start);

  start = performance.now();
  if (!tokens) {
    record('oauth2-token', false, 'no OAuth2 token store in this process', start);
    stop('OAuthNotAvailable', 'This process cannot get OAuth2 tokens (no token store was given to the connection test).', 'Run the test through the API or CLI; report this if it happens there.');
  }
  const request = tokenRequestFor(auth);
  const failed = (step: 'oauth2-token' | 'auth', err: OAuthTokenError, since: number): never => {
    record(step, false, err.failure.what, since);
    return stop(err.failure.diagnosis, err.failure.what, err.failure.fix);
  };
  try {
    const token = await tokens!.get(conn.name, request);
    const scope = request.scope ? ` for ${request.scope}` : '';
    record('oauth2-token', true, `${grantName(request)} grant at ${request.tokenUrl}${scope}: a token valid until ${new Date(token.expiresAt).toISOString()}`, start);
  } catch (err) {
    if (err instanceof OAuthTokenError) failed('oauth2-token', err, start);
    throw err;
  }

  start = performance.now();
  try {
    const { renewed } = await signInXOAuth2(conn, tokens!, (line) => sendLine(session, line));
    record('auth', true, `signed in as ${auth.user} with XOAUTH2${renewed ? ' (the cached token was refused; a renewed one was taken)' : ''}`, start);
  } catch (err) {
    if (err instanceof OAuthTokenError) failed('auth', err, start);
    if (!(err instanceof XOAuth2Rejected)) throw err;
    record('auth', false, `${auth.user} was refused: ${firstLine(err.reply)}`, start);
    stop('XOAuth2Rejected', `${where} refused the OAuth2 sign-in of ${auth.user}, also with a renewed token: ${firstLine(err.reply)}${err.challenge ? ` (challenge: ${err.challenge})` : ''}.`,
      XOAUTH2_REFUSED_FIX);
  }
}
