import type { Attachment } from 'nodemailer/lib/mailer';
import { detectExtension } from 'nodemailer/lib/mime-funcs';
import { AppError } from '../errors.js';
import { rejectLineBreaks } from './addresses.js';
import type { AttachmentInput } from './schema.js';

const BASE64_BODY = /^[A-Za-z0-9+/]*$/;
const WHITESPACE = /[ \t\r\n\f\v]+/g;
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
  const compact = text.replace(WHITESPACE, '');
  const body = compact.replace(/={1,2}$/, '');
  const padding = compact.length - body.length;
  if (!BASE64_BODY.test(body)) {
    const bad = /[^A-Za-z0-9+/]/.exec(body)?.[0] ?? '';
    const shown = bad === '=' ? "'=' before the end" : `the character ${JSON.stringify(bad)}`;
    throw invalidBase64(field, `it contains ${shown}`);
  }
  if (body.length % 4 === 1) throw invalidBase64(field, 'its length is not possible for base64, it looks truncated');
  if (padding > 0 && compact.length % 4 !== 0) throw invalidBase64(field, 'the padding does not match its length');
  return Buffer.from(body, 'base64');
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
