import { domainToASCII } from 'node:url';
import { TypeCompiler } from '@sinclair/typebox/compiler';
import { Value, ValueErrorType } from '@sinclair/typebox/value';
import { compile } from 'html-to-text';
import type { Address, Options as MailOptions } from 'nodemailer/lib/mailer';
import { AppError } from '../errors.js';
import { randomBase36 } from '../ids.js';
import { checkAddressList, rejectLineBreaks, type CheckedAddress } from './addresses.js';
import { toAttachment } from './attachments.js';
import { checkAttachmentBytes, checkRecipientCount, tooLong, tooMany, type EmailLimits } from './limits.js';
import { HEADER_NAME_PATTERN, SendEmailInput, type SendEmailPath } from './schema.js';

export interface PrepareOptions {
  /** Which Logic Apps path the body arrived on; only SendEmailV3 changes a default (HTML body). */
  path?: SendEmailPath;
  /** The connection's default sender, used when the body has no From. */
  defaultFrom?: string;
  /** Fixed when the message is accepted, so that every retry sends the same message. */
  messageId: string;
  date: Date;
  /**
   * Checked when a message is accepted. Left out when an accepted message is prepared again for
   * delivery, so that lowering a limit later never fails mail that was already accepted.
   */
  limits?: EmailLimits;
}

export interface PreparedEmail {
  /** Ready for `transport.sendMail`; carries its own envelope, so Bcc is only there. */
  mail: MailOptions;
  /** What goes into MAIL FROM / RCPT TO: domains in punycode, duplicates removed. */
  envelope: { from: string; to: string[] };
  /** For history and logs: addresses as written (Unicode domains), Bcc included. */
  summary: { from: string; to: string[]; cc: string[]; bcc: string[]; subject: string };
}

const HEADER_NAME = new RegExp(HEADER_NAME_PATTERN);
const PRIORITY = {
  High: { importance: 'High', xPriority: '1 (Highest)', msMail: 'High' },
  Normal: { importance: 'Normal', xPriority: '3 (Normal)', msMail: 'Normal' },
  Low: { importance: 'Low', xPriority: '5 (Lowest)', msMail: 'Low' },
} as const;
// Set by this module from typed fields; an X- header of the same name must not duplicate them.
const OWNED_HEADERS = new Set(['x-priority', 'x-msmail-priority']);

const PLAIN_HOST = /^[a-z0-9-]+(?:\.[a-z0-9-]+)*$/;

/** A Message-ID for a message accepted now: `<random@domain>`. */
export function newMessageId(domain: string): string {
  // 25 base-36 characters: 129 bits, as many as 16 random bytes.
  return `<${randomBase36(25)}@${messageIdHost(domain)}>`;
}

/** Usually the sender's envelope domain, already plain ASCII. WHATWG hosts allow '_' and more; a Message-ID must stay a plain dot-atom. */
function messageIdHost(domain: string): string {
  if (PLAIN_HOST.test(domain)) return domain;
  const ascii = domainToASCII(domain);
  return PLAIN_HOST.test(ascii) ? ascii : 'smtpflow.invalid';
}

function invalidHeader(name: string): AppError {
  return new AppError(
    400,
    'InvalidHeader',
    `Headers: '${name.slice(0, 80)}' is not allowed; extra header names must start with 'X-' and hold only letters, digits and '-', e.g. 'X-Campaign'.`,
    { field: 'Headers' },
  );
}

function fieldOf(path: string): string | undefined {
  const parts = path.split('/').filter(Boolean).map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'));
  if (parts.length === 0) return undefined;
  return parts.map((p, i) => (/^\d+$/.test(p) ? `[${p}]` : i === 0 ? p : `.${p}`)).join('');
}

// Compiled once: the interpreted Value.Check walks the schema on every call, and most inputs (every HTTP body) pass.
const matchesSchema = TypeCompiler.Compile(SendEmailInput);

/**
 * Workflow inputs come from expressions, not from the validated HTTP body, so the schema is
 * checked here too; Convert first, because Logic Apps expressions often yield "true" or 42.
 */
function validateShape(input: unknown): SendEmailInput {
  if (matchesSchema.Check(input)) {
    rejectNul(input, '');
    return input;
  }
  let copy: unknown;
  try {
    copy = structuredClone(input); // Convert mutates, and the caller keeps the original for retries
  } catch {
    throw new AppError(400, 'InvalidProperty', 'The Send Email input must be plain JSON data (strings, booleans, arrays, objects).');
  }
  const candidate = Value.Convert(SendEmailInput, copy);
  const error = Value.Errors(SendEmailInput, candidate).First();
  if (!error) {
    rejectNul(candidate, '');
    return candidate as SendEmailInput;
  }
  const field = fieldOf(error.path);
  if (error.type === ValueErrorType.ObjectAdditionalProperties) {
    throw new AppError(400, 'UnknownProperty', `'${field}' is not a Send Email property; remove it or check its spelling (names are case-sensitive).`, { field });
  }
  if (error.type === ValueErrorType.ObjectRequiredProperty) {
    throw new AppError(400, 'MissingProperty', `'${field}' is required; add it and send again.`, { field });
  }
  if (error.type === ValueErrorType.StringMaxLength) throw tooLong(field, Number(error.schema.maxLength));
  if (error.type === ValueErrorType.ArrayMaxItems) throw tooMany(field, Number(error.schema.maxItems));
  if (error.type === ValueErrorType.ObjectMaxProperties) throw tooMany(field, Number(error.schema.maxProperties));
  const label = field ? `'${field}'` : 'The Send Email input';
  throw new AppError(400, 'InvalidProperty', `${label}: ${error.message.toLowerCase()}; fix it and send again.`, { field });
}

/**
 * NUL may appear in no header or body of an email (RFC 5322 §2.1, RFC 2045 §2.7), and
 * PostgreSQL text cannot hold it: refused here, by field, before anything is stored.
 */
function rejectNul(value: unknown, field: string): void {
  if (typeof value === 'string') {
    if (value.includes('\u0000')) throw new AppError(400, 'InvalidCharacter', `${field} contains a NUL character (U+0000), which email cannot carry; remove it and send again.`, { field });
  } else if (Array.isArray(value)) {
    value.forEach((item, i) => rejectNul(item, `${field}[${i}]`));
  } else if (typeof value === 'object' && value !== null) {
    for (const [key, item] of Object.entries(value)) rejectNul(item, field ? `${field}.${key}` : key);
  }
}

function single(list: CheckedAddress[], field: string, what: string): CheckedAddress {
  if (list.length !== 1) {
    throw new AppError(400, 'InvalidAddress', `${field} must be exactly one address (found ${list.length}); ${what}.`, { field });
  }
  return list[0];
}

function headerAddress(a: CheckedAddress): Address | string {
  return a.name ? { name: a.name, address: a.address } : a.address;
}

function customHeaders(headers: Record<string, string> | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers ?? {})) {
    rejectLineBreaks(name, 'Headers', 'the header name');
    if (!HEADER_NAME.test(name)) {
      throw invalidHeader(name);
    }
    const field = `Headers.${name}`;
    rejectLineBreaks(value, field, 'the header value');
    if (value.trim() === '') continue;
    out[name] = value;
  }
  return out;
}

// Compiled once: `convert` rebuilds its selector machinery on every call, a tenth of the CPU of a send.
const plainTextOf: (html: string) => string = compile({
  wordwrap: 78,
  selectors: [
    { selector: 'img', format: 'skip' },
    { selector: 'a', options: { hideLinkHrefIfSameAsText: true } },
  ],
});

/** Receipt headers are not address headers for nodemailer: give it a bare address it will not re-encode. */
function receiptHeader(a: CheckedAddress): { prepared: true; value: string } {
  const ascii = /^[\x20-\x7e]*$/.test(a.envelope);
  return { prepared: true, value: `<${ascii ? a.envelope : a.address}>` };
}

/** A Send Email body that passed every check, its addresses parsed: all a message needs to be accepted. */
export interface CheckedEmail {
  data: SendEmailInput;
  from: CheckedAddress;
  to: CheckedAddress[];
  cc: CheckedAddress[];
  bcc: CheckedAddress[];
  replyTo: CheckedAddress[];
  headers: Record<string, string | { prepared: true; value: string }>;
  attachments: NonNullable<MailOptions['attachments']>;
  deliveryReceipt?: CheckedAddress;
  envelope: PreparedEmail['envelope'];
  summary: PreparedEmail['summary'];
}

/**
 * Validates a Send Email body. Every problem is an AppError 400 whose `field` names the
 * property, so a caller can show it next to the input. Accepting a message needs no more than
 * this; building the MIME parts (an HTML body's plain-text alternative) waits for delivery.
 */
export function checkEmail(input: SendEmailInput, options: Omit<PrepareOptions, 'messageId' | 'date'>): CheckedEmail {
  const data = validateShape(input);
  const list = (text: string | undefined, field: string) => (text ? checkAddressList(text, field) : []);

  const to = list(data.To, 'To');
  const cc = list(data.CC, 'CC');
  const bcc = list(data.Bcc, 'Bcc');
  if (to.length + cc.length + bcc.length === 0) {
    throw new AppError(400, 'MissingRecipient', 'No recipient: To, CC and Bcc are all empty; give at least one address, e.g. "To": "someone@example.org".', {
      field: 'To',
    });
  }
  if (options.limits) {
    const distinct = new Set<string>();
    for (const [field, addresses] of [['To', to], ['CC', cc], ['Bcc', bcc]] as const) {
      for (const a of addresses) distinct.add(a.envelope);
      checkRecipientCount(distinct.size, field, options.limits);
    }
  }

  let from: CheckedAddress;
  if (data.From && data.From.trim() !== '') {
    from = single(list(data.From, 'From'), 'From', "give one sender, e.g. 'Name <sender@example.org>'");
  } else if (options.defaultFrom && options.defaultFrom.trim() !== '') {
    from = single(list(options.defaultFrom, 'From'), 'From', "the connection's default sender must be a single address; fix the connection's defaultFrom or set From");
  } else {
    throw new AppError(400, 'MissingSender', "No sender: set From (e.g. 'Name <sender@example.org>') or give the connection a default sender (defaultFrom).", {
      field: 'From',
    });
  }

  const replyTo = list(data.ReplyTo, 'ReplyTo');
  const readReceipt = data.ReadReceipt ? single(list(data.ReadReceipt, 'ReadReceipt'), 'ReadReceipt', 'give the one address that should get the read receipt') : undefined;
  const deliveryReceipt = data.DeliveryReceipt
    ? single(list(data.DeliveryReceipt, 'DeliveryReceipt'), 'DeliveryReceipt', 'give the one address that should get the delivery receipt')
    : undefined;

  const subject = data.Subject ?? '';
  rejectLineBreaks(subject, 'Subject', 'the subject');

  const headers: CheckedEmail['headers'] = {};
  for (const [name, value] of Object.entries(customHeaders(data.Headers))) {
    if (!(data.Importance && OWNED_HEADERS.has(name.toLowerCase()))) headers[name] = value;
  }
  if (data.Importance) {
    const p = PRIORITY[data.Importance];
    headers['Importance'] = p.importance;
    headers['X-Priority'] = p.xPriority;
    headers['X-MSMail-Priority'] = p.msMail;
  }
  if (readReceipt) headers['Disposition-Notification-To'] = receiptHeader(readReceipt);
  if (deliveryReceipt) headers['Return-Receipt-To'] = receiptHeader(deliveryReceipt);

  const attachments = (data.Attachments ?? []).map((a, i) => toAttachment(a, i));
  if (options.limits) checkAttachmentBytes(attachments.map((a) => Buffer.byteLength(a.content as Buffer | string)), options.limits);

  const recipients = [...new Set([...to, ...cc, ...bcc].map((a) => a.envelope))];
  return {
    data,
    from,
    to,
    cc,
    bcc,
    replyTo,
    headers,
    attachments,
    deliveryReceipt,
    envelope: { from: from.envelope, to: recipients },
    summary: {
      from: from.address,
      to: to.map((a) => a.address),
      cc: cc.map((a) => a.address),
      bcc: bcc.map((a) => a.address),
      subject,
    },
  };
}

/** Validates a Send Email body (see checkEmail) and turns it into nodemailer options. */
export function prepareEmail(input: SendEmailInput, options: PrepareOptions): PreparedEmail {
  const { data, from, to, cc, replyTo, headers, attachments, deliveryReceipt, envelope, summary } = checkEmail(input, options);
  const isHtml = data.IsHtml ?? options.path === 'SendEmailV3';
  const body = data.Body ?? '';
  const mail: MailOptions = {
    from: headerAddress(from),
    subject: summary.subject,
    messageId: options.messageId,
    date: options.date,
    envelope,
    headers,
    attachments,
  };
  if (to.length) mail.to = to.map(headerAddress);
  if (cc.length) mail.cc = cc.map(headerAddress);
  // Bcc stays out of `mail`: with the explicit envelope nodemailer needs no header to route it.
  if (replyTo.length) mail.replyTo = replyTo.map(headerAddress);
  if (isHtml && body !== '') {
    mail.html = body;
    const text = data.Text ?? plainTextOf(body);
    if (text !== '') mail.text = text;
  } else {
    mail.text = isHtml ? (data.Text ?? '') : body;
  }
  // Without any body nodemailer makes the lone attachment the whole message (no multipart/mixed).
  if (!mail.text && !mail.html && attachments.length > 0) mail.text = '\r\n';
  if (deliveryReceipt) {
    const recipients = envelope.to;
    // DSNs go to the envelope sender whatever ORCPT says; ORCPT is only right with a single recipient.
    const orcpt = recipients.length === 1 && /^[\x21-\x7e]+$/.test(recipients[0]) ? recipients[0] : undefined;
    // NOTIFY lists every report wanted: SUCCESS alone would silence the failure reports a server sends
    // by default (RFC 3461 §4.1). RET=HDRS: a report quotes the headers, not the whole message;
    // ENVID ties it to this message. The server uses them only if its EHLO advertises DSN.
    mail.dsn = { notify: ['success', 'failure', 'delay'], ret: 'HDRS', envid: options.messageId.replace(/^<|>$/g, ''), ...(orcpt ? { recipient: orcpt } : {}) };
  }
  return { mail, envelope, summary };
}
