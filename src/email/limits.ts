import { AppError } from '../errors.js';

/**
 * Limits on one Send Email message that operators may change (SMTPFLOW_MAX_RECIPIENTS,
 * SMTPFLOW_MAX_ATTACHMENT_BYTES; defaults in src/config.ts). Fixed limits (lengths of header-bound fields, number of
 * attachments) are in the schema, where they also reach the OpenAPI document.
 */
export interface EmailLimits {
  /** Distinct envelope recipients across To, CC and Bcc. */
  maxRecipients: number;
  /** Decoded bytes of all attachments together. */
  maxAttachmentBytes: number;
}

/**
 * RFC 5322 caps a header line at 998 octets. nodemailer folds at spaces and encodes non-ASCII, but
 * an unbroken ASCII run stays on one line: these caps keep `Name: value` under that limit.
 */
export const HEADER_VALUE_MAX = 900;
export const HEADER_NAME_MAX = 76;
export const DISPLAY_NAME_MAX = 256;

export function tooLong(field: string | undefined, limit: number): AppError {
  const label = field ? `'${field}'` : 'A value';
  return new AppError(400, 'TooLong', `${label} is longer than the ${limit} characters allowed; shorten it.`, { field });
}

export function tooMany(field: string | undefined, limit: number): AppError {
  const label = field ? `'${field}'` : 'A list';
  return new AppError(400, 'TooManyItems', `${label} holds more than the ${limit} entries allowed; remove some, or split the work over several requests.`, { field });
}

/** Called once per recipient field, in order, with the running count of distinct recipients. */
export function checkRecipientCount(count: number, field: string, limits: EmailLimits): void {
  if (count <= limits.maxRecipients) return;
  throw new AppError(
    400,
    'TooManyRecipients',
    `To, CC and Bcc hold more than the ${limits.maxRecipients} recipients allowed in one message (SMTPFLOW_MAX_RECIPIENTS); send several messages with fewer recipients each.`,
    { field },
  );
}

export function checkAttachmentBytes(sizes: number[], limits: EmailLimits): void {
  let total = 0;
  sizes.forEach((size, i) => {
    total += size;
    if (total <= limits.maxAttachmentBytes) return;
    throw new AppError(
      413,
      'AttachmentsTooLarge',
      `The attachments add up to more than the ${limits.maxAttachmentBytes} bytes allowed in one message (SMTPFLOW_MAX_ATTACHMENT_BYTES), from Attachments[${i}] on; send fewer or smaller files, or a link to them.`,
      { field: `Attachments[${i}]` },
    );
  });
}
