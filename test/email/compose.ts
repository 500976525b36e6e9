import assert from 'node:assert/strict';
import MailComposer from 'nodemailer/lib/mail-composer';
import type { Options as MailOptions } from 'nodemailer/lib/mailer';
import { simpleParser, type ParsedMail } from 'mailparser';
import { AppError } from '../../src/errors.js';
import { prepareEmail, type PreparedEmail, type SendEmailInput } from '../../src/email/index.js';

export const MESSAGE_ID = '<fixed-id@smtpflow.test>';
export const DATE = new Date('2024-05-06T07:08:09Z');

/** The raw RFC 5322 bytes nodemailer would hand to the SMTP server. */
export function compose(mail: MailOptions): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    new MailComposer(mail).compile().build((err, message) => (err ? reject(err) : resolve(message)));
  });
}

export function headerBlock(raw: Buffer): string {
  const text = raw.toString('latin1');
  const end = text.indexOf('\r\n\r\n');
  return end < 0 ? text : text.slice(0, end);
}

export interface Built {
  prepared: PreparedEmail;
  raw: Buffer;
  headers: string;
  parsed: ParsedMail;
}

export async function build(input: SendEmailInput, options: Partial<Parameters<typeof prepareEmail>[1]> = {}): Promise<Built> {
  const prepared = prepareEmail(input, { messageId: MESSAGE_ID, date: DATE, ...options });
  const raw = await compose(prepared.mail);
  return { prepared, raw, headers: headerBlock(raw), parsed: await simpleParser(raw, { keepCidLinks: true }) };
}

/** Asserts that preparing `input` is refused with a 400 of `code` naming `field`. */
export function assertRejected(input: unknown, code: string, field: string | undefined, options: Partial<Parameters<typeof prepareEmail>[1]> = {}): AppError {
  let caught: unknown;
  try {
    prepareEmail(input as SendEmailInput, { messageId: MESSAGE_ID, date: DATE, ...options });
  } catch (err) {
    caught = err;
  }
  assert.ok(caught instanceof AppError, `expected an AppError, got ${String(caught)}`);
  assert.equal(caught.status, 400);
  assert.equal(caught.code, code, caught.message);
  assert.equal(caught.field, field);
  assert.ok(caught.message.length > 20, 'the message says what to do');
  return caught;
}
