export { SendEmailInput, AttachmentInput, type SendEmailPath } from './schema.js';
export { checkEmail, prepareEmail, newMessageId, type PrepareOptions, type PreparedEmail } from './prepare.js';
export { parseAddressList, type ParsedAddress } from './addresses.js';
export { decodeBase64 } from './attachments.js';
export { tooLong, tooMany, type EmailLimits } from './limits.js';
