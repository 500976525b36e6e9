import { isIPv4, isIPv6 } from 'node:net';
import { domainToASCII, domainToUnicode } from 'node:url';
import addressparser from 'nodemailer/lib/addressparser';
import { AppError } from '../errors.js';
import { DISPLAY_NAME_MAX } from './limits.js';

export interface ParsedAddress {
  /** Display name, '' when none. */
  name: string;
  /** The address with its domain in normalised Unicode form, for headers and people. */
  address: string;
}

/** A validated address and its SMTP envelope form (domain in punycode). */
export interface CheckedAddress extends ParsedAddress {
  envelope: string;
}

const CRLF = /[\r\n]/;
// addressparser silently drops control characters, which would send to an address other than the one written.
const CONTROL = /[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]/;
// RFC 5322 atext plus any non-ASCII character (RFC 6532), minus whitespace.
const DOT_ATOM = /^[A-Za-z0-9!#$%&'*+/=?^_`{|}~\u0080-\uffff-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~\u0080-\uffff-]+)*$/;
const QUOTED_LOCAL = /^"(?:[\x20\x21\x23-\x5b\x5d-\x7e\u0080-\uffff]|\\[\x20-\x7e])*"$/;
const LABEL = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;
const UNICODE_SPACE = /[\s\u0085\u2028\u2029]/u;
/** A lone `local@domain` in plain ASCII, no display name: most addresses, which need no parser. */
const PLAIN_ADDRESS = /^[A-Za-z0-9!#$%&'*+/=?^_`{|}~.-]+@[A-Za-z0-9.-]+$/;
/** An ASCII domain with no punycode label is its own ASCII and Unicode form, lowercased. */
const PLAIN_DOMAIN = /^(?![\s\S]*(?:^|\.)xn--)[A-Za-z0-9.-]+$/i;

export function headerInjection(field: string, what: string): AppError {
  return new AppError(
    400,
    'HeaderInjection',
    `${field} contains a line break (CR or LF), which could inject extra headers into the message; remove the line breaks from ${what}.`,
    { field },
  );
}

export function rejectLineBreaks(value: string, field: string, what = 'the value'): void {
  if (CRLF.test(value)) throw headerInjection(field, what);
}

function invalidAddress(field: string, text: string, why: string): AppError {
  const shown = text.length > 80 ? `${text.slice(0, 77)}...` : text;
  return new AppError(
    400,
    'InvalidAddress',
    `${field}: '${shown}' is not a valid email address (${why}); write it as 'a@b.c' or 'Display Name <a@b.c>', several separated by ';'.`,
    { field },
  );
}

/** Returns the ASCII (punycode) domain, or a reason why the domain cannot be used. */
function asciiDomain(domain: string): { ascii: string } | { why: string } {
  if (domain.startsWith('[')) {
    const literal = /^\[(?:IPv6:)?([^\]]+)\]$/i.exec(domain);
    const ip = literal?.[1] ?? '';
    const ok = /^\[IPv6:/i.test(domain) ? isIPv6(ip) : isIPv4(ip);
    return ok ? { ascii: domain } : { why: 'the address literal is not an IPv4 or [IPv6:…] address' };
  }
  if (UNICODE_SPACE.test(domain)) return { why: 'the domain contains a space' };
  const ascii = PLAIN_DOMAIN.test(domain) ? domain.toLowerCase() : domainToASCII(domain);
  if (!ascii) return { why: `'${domain}' is not a valid domain name` };
  if (ascii.length > 253) return { why: 'the domain is longer than 253 characters' };
  const labels = ascii.split('.');
  if (!labels.every((label) => LABEL.test(label))) return { why: `'${domain}' is not a valid domain name` };
  if (/^\d+$/.test(labels[labels.length - 1])) return { why: 'an IP address must be written in brackets, like a@[192.0.2.1]' };
  return { ascii };
}

/** Validates one `local@domain` and adds its envelope form. */
export function checkAddress(name: string, address: string, field: string): CheckedAddress {
  if (!address) return fail(name || '(empty)', 'it has no address part');
  if (name.length > DISPLAY_NAME_MAX) return fail(address, `its display name is longer than ${DISPLAY_NAME_MAX} characters`);
  const at = address.lastIndexOf('@');
  if (at < 0) return fail(address, "it has no '@'");
  const local = address.slice(0, at);
  const domain = address.slice(at + 1);
  if (!local) return fail(address, "nothing before the '@'");
  if (!domain) return fail(address, "nothing after the '@'");
  if (!DOT_ATOM.test(local) && !QUOTED_LOCAL.test(local)) return fail(address, 'the part before the @ contains characters that need quoting');
  if (UNICODE_SPACE.test(local) && !QUOTED_LOCAL.test(local)) return fail(address, 'it contains a space');
  if (Buffer.byteLength(local) > 64) return fail(address, 'the part before the @ is longer than 64 bytes');
  const result = asciiDomain(domain);
  if ('why' in result) return fail(address, result.why);
  const envelope = `${local}@${result.ascii}`;
  if (Buffer.byteLength(envelope) > 254) return fail(address, 'it is longer than 254 bytes');
  const display = result.ascii.startsWith('[') || PLAIN_DOMAIN.test(result.ascii) ? result.ascii : domainToUnicode(result.ascii);
  return { name, address: `${local}@${display}`, envelope };

  function fail(text: string, why: string): never {
    throw invalidAddress(field, text, why);
  }
}

/**
 * Lists already checked, by their text: the same few (a connection's default sender, a workflow's
 * recipients) come again and again, and parsing them was a tenth of an accept's CPU. Only
 * successes are kept (an error names its field).
 */
const checkedLists = new Map<string, CheckedAddress[]>();
const CHECKED_LISTS_MAX = 1_000;

/** Parses and validates a `;`/`,` separated list; empty entries are ignored. */
export function checkAddressList(text: string, field: string): CheckedAddress[] {
  const known = checkedLists.get(text);
  if (known) return known;
  // Frozen: a caller that changed a shared list would throw instead of changing another request's.
  const checked = Object.freeze(parseAndCheck(text, field).map((a) => Object.freeze(a))) as CheckedAddress[];
  if (checkedLists.size >= CHECKED_LISTS_MAX) checkedLists.clear();
  if (text.length <= 1_000) checkedLists.set(text, checked);
  return checked;
}

function parseAndCheck(text: string, field: string): CheckedAddress[] {
  rejectLineBreaks(text, field, 'the address list');
  if (CONTROL.test(text)) throw invalidAddress(field, text.replace(CONTROL, '?'), 'it contains a control character');
  if (PLAIN_ADDRESS.test(text)) return [checkAddress('', text, field)];
  const entries = addressparser(text, { flatten: true });
  return entries.map((entry) => {
    // "a@x.org b@y.org" parses as name "a@x.org" for b@y.org: one recipient would vanish unnoticed.
    if (entry.address && /\S@\S/.test(entry.name) && !text.includes('"')) {
      throw invalidAddress(field, `${entry.name} <${entry.address}>`, "two addresses are not separated by ';' or ','");
    }
    return checkAddress(entry.name.trim(), entry.address, field);
  });
}

/**
 * Parses an address list as the Send Email fields accept it: separated by `;` or `,`,
 * display names (quoted when they hold `;` or `,`), Unicode domains and local parts.
 * Throws AppError 400 (InvalidAddress, HeaderInjection) naming `field`.
 */
export function parseAddressList(text: string, field: string): ParsedAddress[] {
  return checkAddressList(text, field).map(({ name, address }) => ({ name, address }));
}
