/**
 * SASL XOAUTH2 (Google's and Microsoft's SMTP OAuth2 sign-in), driven by the shared token cache.
 *
 * Our own exchange rather than nodemailer's built-in one: nodemailer renews only after a `334`
 * challenge and cannot say *which* token was refused, so every pooled session would renew on
 * its own. Here the refused token is handed to the cache, which renews once for all of them,
 * and a plain `535` (Microsoft answers so) gets the same single retry.
 */
import type { OAuth2Auth, SmtpConnection } from '../connections/schema.js';
import { tokenRequestFor } from '../connections/smtp-settings.js';
import type { AccessToken, OAuthTokens } from '../oauth/index.js';

/** The token cache as the SMTP room uses it. */
export type TokenSource = Pick<OAuthTokens, 'get'>;

export interface SaslReply {
  status: number;
  response: string;
}
export type SendCommand = (line: string) => Promise<SaslReply>;

/** What to change when the server refuses a fresh token: the token is good, the mailbox or permission is not. */
export const XOAUTH2_REFUSED_FIX =
  'Check that auth.user is the mailbox this app (or signed-in user) may send as. Microsoft 365 application access also needs the app\'s service principal ' +
  'registered in Exchange Online with a mailbox permission (New-ServicePrincipal, Add-MailboxPermission) and the SMTP.SendAsApp permission; ' +
  'Google needs the scope https://mail.google.com/ (auth.scope).';

/** The server refused the token, twice: once as cached, once renewed. */
export class XOAuth2Rejected extends Error {
  constructor(
    readonly user: string,
    /** The server's final reply line(s). */
    readonly reply: string,
    /** The JSON of a `334` challenge (Google: `{ status, schemes, scope }`), when the server sent one. */
    readonly challenge?: string,
  ) {
    super(`the server refused the OAuth2 access token for ${user}${challenge ? ` (its challenge said ${challenge})` : ''}`);
    this.name = 'XOAuth2Rejected';
  }
}

/** The server does not offer XOAUTH2 on this session: no token is sent. */
export class XOAuth2NotOffered extends Error {
  constructor(readonly offered: string[]) {
    super(`the server offers AUTH ${offered.join(' ') || '(none)'}, not XOAUTH2, which auth.type "oauth2" signs in with`);
    this.name = 'XOAuth2NotOffered';
  }
}

export const oauth2Of = (conn: SmtpConnection): OAuth2Auth | undefined => (conn.auth?.type === 'oauth2' ? conn.auth : undefined);

/** The initial client response of XOAUTH2: `user=…^Aauth=Bearer …^A^A`, base64. */
export const xoauth2Response = (user: string, token: string): string => Buffer.from(`user=${user}\x01auth=Bearer ${token}\x01\x01`, 'utf8').toString('base64');

function decodeChallenge(response: string): string | undefined {
  const b64 = /^334[ -](\S+)/.exec(response)?.[1];
  if (!b64) return undefined;
  const text = Buffer.from(b64, 'base64').toString('utf8');
  return /^[\x20-\x7e]*$/.test(text) ? text.slice(0, 300) : undefined;
}

/**
 * Signs in with XOAUTH2 over `send`. On a refusal (`535`, or a `334` challenge, which the client
 * answers with an empty line to get the final `535`) the refused token is handed back to the
 * cache for a new one, and the sign-in is tried once more. Throws `XOAuth2Rejected`, or the
 * cache's `OAuthTokenError` when no token can be had.
 */
export async function signInXOAuth2(conn: SmtpConnection, tokens: TokenSource, send: SendCommand): Promise<{ token: AccessToken; renewed: boolean }> {
  const auth = oauth2Of(conn)!;
  const request = tokenRequestFor(auth);
  let token = await tokens.get(conn.name, request);
  for (let attempt = 1; ; attempt++) {
    let reply = await send(`AUTH XOAUTH2 ${xoauth2Response(auth.user, token.value)}`);
    const challenge = reply.status === 334 ? decodeChallenge(reply.response) : undefined;
    if (reply.status === 334) reply = await send('');
    if (reply.status === 235) return { token, renewed: attempt > 1 };
    if (attempt > 1 || (reply.status !== 535 && challenge === undefined)) throw new XOAuth2Rejected(auth.user, reply.response, challenge);
    token = await tokens.get(conn.name, request, token.value);
  }
}
