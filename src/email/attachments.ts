import type { Attachment } from 'nodemailer/lib/mailer';
import { detectExtension } from 'nodemailer/lib/mime-funcs';
import { AppError } from '../errors.js';
import { rejectLineBreaks } from './addresses.js';
import type { AttachmentInput } from './schema.js';

/** Character classes for the base64 scan: 1 alphabet, 2 whitespace, 3 padding, 0 anything else. */
const BASE64_CLASS = new Uint8Array(256);
for (const c of 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/') BASE64_CLASS[c.charCodeAt(0)] = 1;
for (const c of ' \t\r\n\f\v') BASE64_CLASS[c.charCodeAt(0)] = 2;
BASE64_CLASS['='.charCodeAt(0)] = 3;
// RFC 2045 token for type and subtype; parameters are left to nodemailer's header parser.
const CONTENT_TYPE = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+\/[!#$%&'*+.^_`|~0-9A-Za-z-]+(?:\s*;[\x20-\x7e]*)?$/;
// Content-ID is a msg-id: printable ASCII without the brackets that delimit it.
const CONTENT_ID = /^[\x21-\x3b\x3d\x3f-\x7e]+$/;

function invalidBase64(field: string, why: string): AppError {
  return new AppError(
    400,
    'InvalidBase64',
    `${field} is not valid base64 (${why}); send the file's bytes base64-encoded (A-Z, a-z, 0-9, '+', '/', '=' padding), or set ContentTransferEncoding to 'none' to send the text as it is.`,
    { field },
  );
}

/**
 * Buffer.from(…, 'base64') skips anything it does not understand, so a truncated or
 * mangled upload would be sent as a silently corrupted file; this refuses it instead.
 */
export function decodeBase64(text: string, field: string): Buffer {
  // One pass over the bytes rather than regular expressions: a 25 MiB attachment is 35 million
  // characters, and three regex passes held the event loop for well over a second.
  if (Buffer.byteLength(text, 'utf8') !== text.length) {
    throw invalidBase64(field, `it contains the character ${JSON.stringify([...text].find((c) => c.charCodeAt(0) >= 128))}`);
  }
  const bytes = Buffer.from(text, 'latin1');
  let chars = 0;
  let padding = 0;
  for (let i = 0; i < bytes.length; i++) {
    const kind = BASE64_CLASS[bytes[i]];
    if (kind === 1 && padding === 0) chars++;
    else if (kind === 3) padding++;
    else if (kind !== 2) throw invalidBase64(field, `it contains ${kind === 1 ? "'=' before the end" : `the character ${JSON.stringify(String.fromCharCode(bytes[i]))}`}`);
  }
  if (padding > 2) throw invalidBase64(field, "it contains '=' before the end");
  if (chars % 4 === 1) throw invalidBase64(field, 'its length is not possible for base64, it looks truncated');
  if (padding > 0 && (chars + padding) % 4 !== 0) throw invalidBase64(field, 'the padding does not match its length');
  // Node's decoder skips the whitespace the scan allowed.
  return Buffer.from(text, 'base64');
}

function stripBrackets(id: string): string {
  return id.startsWith('<') && id.endsWith('>') ? id.slice(1, -1) : id;
}

/** Turns one Send Email attachment into nodemailer's shape, validating every header-bound field. */
export function toAttachment(input: AttachmentInput, index: number): Attachment {
  const at = `Attachments[${index}]`;
  const encoding = input.ContentTransferEncoding ?? 'base64';
  const attachment: Attachment = {
    content: encoding === 'base64' ? decodeBase64(input.ContentData, `${at}.ContentData`) : input.ContentData,
  };

  if (input.FileName !== undefined && input.FileName !== '') {
    rejectLineBreaks(input.FileName, `${at}.FileName`, 'the file name');
    attachment.filename = input.FileName;
  }

  if (input.ContentType !== undefined && input.ContentType.trim() !== '') {
    const field = `${at}.ContentType`;
    rejectLineBreaks(input.ContentType, field, 'the content type');
    const contentType = input.ContentType.trim();
    if (!CONTENT_TYPE.test(contentType)) {
      throw new AppError(
        400,
        'InvalidContentType',
        `${field}: '${contentType.slice(0, 80)}' is not a MIME type; write it as 'type/subtype', e.g. 'application/pdf' or 'image/png', or leave it out to guess it from FileName.`,
        { field },
      );
    }
    attachment.contentType = contentType;
  } else if (attachment.filename === undefined) {
    // nodemailer would guess from a file name; without one the bytes are unknown.
    attachment.contentType = 'application/octet-stream';
  }

  if (input.ContentId !== undefined && input.ContentId !== '') {
    const field = `${at}.ContentId`;
    rejectLineBreaks(input.ContentId, field, 'the content id');
    const cid = stripBrackets(input.ContentId.trim());
    if (!CONTENT_ID.test(cid)) {
      throw new AppError(
        400,
        'InvalidContentId',
        `${field}: '${cid.slice(0, 80)}' cannot be a Content-ID; use printable ASCII without spaces or '<' '>', e.g. 'logo@example.org', and refer to it as 'cid:logo@example.org' in the HTML body.`,
        { field },
      );
    }
    attachment.cid = cid;
  }

  if (attachment.filename === undefined) {
    // nodemailer would name it 'attachment-1.*' for unknown types; an inline part needs no name at all.
    const ext = detectExtension(attachment.contentType);
    attachment.filename = attachment.cid ? false : `attachment-${index + 1}.${ext === '*' ? 'bin' : ext}`;
  }
  return attachment;
}
