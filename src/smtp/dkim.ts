/**
 * DKIM keys of SMTP connections (issue 10 part 2). Signing itself is nodemailer's (relaxed/relaxed,
 * rsa-sha256, From, To, Cc, Subject, Date, Message-ID, Reply-To and the MIME headers); this file
 * makes keys and says what to publish in DNS.
 */
import { generateKeyPair } from 'node:crypto';
import { domainToASCII } from 'node:url';
import { promisify } from 'node:util';
import type { DkimSettings, SmtpConnection } from '../connections/schema.js';
import { AppError } from '../errors.js';
import { oauth2Of } from './xoauth2.js';

export interface DkimRecord {
  /** The DNS name of the TXT record: `<selector>._domainkey.<domain>`. */
  name: string;
  type: 'TXT';
  /** The record's text, as one string (DNS providers' web forms take it so). */
  value: string;
  /** The same text cut into strings of at most 255 characters, as a zone file needs them (RFC 1035 character-strings). */
  zoneFileLine: string;
}

/** A new 2048-bit RSA key: the private key (PKCS#8 PEM) and the public key (SPKI DER, base64) for the `p=` tag. */
export async function generateDkimKey(): Promise<{ privateKey: string; publicKey: string }> {
  const { privateKey, publicKey } = await promisify(generateKeyPair)('rsa', {
    modulusLength: 2048,
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
    publicKeyEncoding: { type: 'spki', format: 'der' },
  });
  return { privateKey, publicKey: publicKey.toString('base64') };
}

export function dkimRecord(domainName: string, keySelector: string, publicKeyBase64: string): DkimRecord {
  const name = `${keySelector}._domainkey.${domainName}`;
  const value = `v=DKIM1; k=rsa; p=${publicKeyBase64}`;
  const strings = value.match(/.{1,255}/g)!.map((s) => `"${s}"`);
  return { name, type: 'TXT', value, zoneFileLine: `${name}. IN TXT ( ${strings.join(' ')} )` };
}

/** An address's domain in ASCII (punycode), or undefined: "Robot <robot@example.com>" → "example.com". */
function domainOf(address: string | undefined): string | undefined {
  if (!address) return undefined;
  const bare = /<([^<>]+)>/.exec(address)?.[1] ?? address.trim();
  const at = bare.lastIndexOf('@');
  const domain = at > 0 ? domainToASCII(bare.slice(at + 1)) : '';
  return domain.includes('.') ? domain.toLowerCase() : undefined;
}

/**
 * The key, selector and domain of a new DKIM key for `conn`. Defaults: the domain of the
 * connection's senders; a selector of today's date and time, so that a new key never takes over
 * the DNS name of the key it replaces (mail in flight still verifies against the old record).
 */
export async function newDkimSettings(conn: SmtpConnection, wanted: { domainName?: string; keySelector?: string }): Promise<{ dkim: DkimSettings; record: DkimRecord }> {
  const domainName = wanted.domainName ?? conn.dkim?.domainName ?? domainOf(conn.defaultFrom) ?? domainOf(conn.envelopeFrom) ?? domainOf(oauth2Of(conn)?.user) ?? domainOf(conn.username);
  if (!domainName) {
    throw new AppError(400, 'MissingProperty', 'No domain to sign for: give domainName in the body, e.g. { "domainName": "example.com" }, or set the connection\'s defaultFrom first.', { field: 'domainName' });
  }
  const keySelector = wanted.keySelector ?? `smtpflow-${new Date().toISOString().slice(0, 16).replace(/[-:]/g, '').replace('T', '-')}`;
  const { privateKey, publicKey } = await generateDkimKey();
  return { dkim: { domainName, keySelector, privateKey }, record: dkimRecord(domainName, keySelector, publicKey) };
}
