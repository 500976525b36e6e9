import fs from 'node:fs';
import path from 'node:path';
import { Option, type Command } from 'commander';
import { action, ApiClient, CliError, clientOptions, collect, enc, EXIT_CODES_HELP, oneLineUsageErrors, out, printJson, type ClientFlags } from './client.js';
import { fields } from './format.js';

interface SendFlags extends ClientFlags {
  connection: string;
  to?: string[];
  cc?: string[];
  bcc?: string[];
  subject?: string;
  body?: string;
  bodyFile?: string;
  text?: string;
  from?: string;
  html?: boolean;
  importance?: 'high' | 'normal' | 'low';
  attach?: string[];
  inline?: string[];
  readReceipt?: string;
  deliveryReceipt?: string;
  replyTo?: string[];
  header?: string[];
  async?: boolean;
  idempotencyKey?: string;
  json?: boolean;
}

/** Only what mail clients need to show or open a part; anything else is sent as octet-stream. */
const CONTENT_TYPES: Record<string, string> = {
  txt: 'text/plain', md: 'text/markdown', csv: 'text/csv', html: 'text/html', htm: 'text/html', ics: 'text/calendar',
  json: 'application/json', xml: 'application/xml', pdf: 'application/pdf', zip: 'application/zip', gz: 'application/gzip',
  doc: 'application/msword', docx: 'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
  xls: 'application/vnd.ms-excel', xlsx: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
  ppt: 'application/vnd.ms-powerpoint', pptx: 'application/vnd.openxmlformats-officedocument.presentationml.presentation',
  odt: 'application/vnd.oasis.opendocument.text', rtf: 'application/rtf', eml: 'message/rfc822',
  png: 'image/png', jpg: 'image/jpeg', jpeg: 'image/jpeg', gif: 'image/gif', webp: 'image/webp', svg: 'image/svg+xml', ico: 'image/x-icon',
  tif: 'image/tiff', tiff: 'image/tiff', bmp: 'image/bmp', mp3: 'audio/mpeg', wav: 'audio/wav', mp4: 'video/mp4', mov: 'video/quicktime',
};

export function contentTypeOf(file: string): string {
  return CONTENT_TYPES[path.extname(file).slice(1).toLowerCase()] ?? 'application/octet-stream';
}

function readFile(file: string, flag: string): Buffer {
  try {
    return fs.readFileSync(file);
  } catch (err) {
    throw new CliError(`cannot read ${flag} ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
}

function attachment(file: string, flag: string, contentId?: string): Record<string, string> {
  const part: Record<string, string> = {
    ContentData: readFile(file, flag).toString('base64'),
    ContentType: contentTypeOf(file),
    ContentTransferEncoding: 'base64',
    FileName: path.basename(file),
  };
  if (contentId !== undefined) part.ContentId = contentId;
  return part;
}

/** `logo.png=logo` → the file and the id an HTML body refers to as `cid:logo`; the last `=` splits, as ids rarely hold one. */
function inlinePart(spec: string): Record<string, string> {
  const at = spec.lastIndexOf('=');
  if (at <= 0 || at === spec.length - 1) throw new CliError(`--inline takes FILE=CID, e.g. --inline logo.png=logo for <img src="cid:logo">; got '${spec}'.`);
  return attachment(spec.slice(0, at), '--inline', spec.slice(at + 1));
}

export function parseHeader(spec: string): [string, string] {
  const m = /^([A-Za-z0-9-]+)\s*:\s*(.*)$/.exec(spec);
  if (!m || m[2] === '') throw new CliError(`--header takes 'X-Name: value', e.g. --header 'X-Campaign: spring'; got '${spec}'.`);
  return [m[1], m[2]];
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

async function messageBody(flags: SendFlags): Promise<string | undefined> {
  if (flags.body !== undefined && flags.bodyFile !== undefined) throw new CliError('give the body once: --body TEXT, --body - (stdin) or --body-file FILE.');
  if (flags.bodyFile !== undefined) return readFile(flags.bodyFile, '--body-file').toString('utf8');
  if (flags.body === '-') return readStdin();
  return flags.body;
}

/** The Send Email body (SPEC §1): only the fields the user gave, so the server's defaults apply to the rest. */
export async function sendEmailBody(flags: SendFlags): Promise<Record<string, unknown>> {
  const body: Record<string, unknown> = {};
  const list = (values: string[] = []): string | undefined => (values.length > 0 ? values.join('; ') : undefined);
  const set = (key: string, value: unknown): void => {
    if (value !== undefined) body[key] = value;
  };
  set('From', flags.from);
  set('To', list(flags.to));
  set('CC', list(flags.cc));
  set('Bcc', list(flags.bcc));
  set('ReplyTo', list(flags.replyTo));
  set('Subject', flags.subject);
  set('Body', await messageBody(flags));
  body.IsHtml = Boolean(flags.html);
  set('Text', flags.text);
  if (flags.importance) set('Importance', flags.importance[0].toUpperCase() + flags.importance.slice(1));
  set('ReadReceipt', flags.readReceipt);
  set('DeliveryReceipt', flags.deliveryReceipt);
  const attachments = [...(flags.attach ?? []).map((f) => attachment(f, '--attach')), ...(flags.inline ?? []).map(inlinePart)];
  if (attachments.length > 0) body.Attachments = attachments;
  if (flags.header?.length) body.Headers = Object.fromEntries(flags.header.map(parseHeader));
  return body;
}

interface Rejection {
  recipient: string;
  code?: number;
  response?: string;
}

/** An address, with the server's reply when there is one. */
function recipient(r: string | Rejection): string {
  if (typeof r === 'string') return r;
  const why = r.response ?? r.code;
  return why === undefined ? r.recipient : `${r.recipient} (${String(why)})`;
}

const recipients = (list: Array<string | Rejection>): string => (list.length > 0 ? list.map(recipient).join(', ') : 'none');

/**
 * The send answer names refused recipients only; the message's last attempt has each one's SMTP
 * reply, which is what the user needs to fix the address. Best effort: the names alone will do.
 */
async function rejectionsWithReasons(client: ApiClient, id: string, rejected: string[]): Promise<Array<string | Rejection>> {
  if (rejected.length === 0) return rejected;
  try {
    const { body } = await client.request<{ attempts?: Array<{ rejected?: Rejection[] }> }>('GET', `/messages/${enc(id)}`);
    const detailed = body.attempts?.at(-1)?.rejected ?? [];
    return rejected.map((address) => detailed.find((d) => d.recipient === address) ?? address);
  } catch {
    return rejected;
  }
}

export function registerSend(program: Command): void {
  clientOptions(oneLineUsageErrors(program.command('send')))
    .description('send an email through a connection (the Send Email action)')
    .requiredOption('--connection <name>', 'connection to send through (see `smtpflow connections list`)')
    .option('--to <addresses>', 'recipients, "a@b.c" or "Name <a@b.c>", separated by ; or , (repeatable)', collect)
    .option('--cc <addresses>', 'carbon-copy recipients (repeatable)', collect)
    .option('--bcc <addresses>', 'blind-copy recipients: in the envelope only, never in the headers (repeatable)', collect)
    .option('--subject <text>', 'subject; any Unicode')
    .option('--body <text>', 'message body; "-" reads it from stdin')
    .option('--body-file <file>', 'read the body from a file (UTF-8)')
    .option('--html', 'the body is HTML (a plain-text alternative is generated)')
    .option('--text <text>', 'with --html: the plain-text alternative to use instead of the generated one')
    .option('--from <address>', 'sender; optional when the connection has a default sender')
    .addOption(new Option('--importance <level>', 'sets the Importance and X-Priority headers').choices(['high', 'normal', 'low']))
    .option('--attach <file>', 'attach a file (repeatable); type guessed from its extension, named by its base name', collect)
    .option('--inline <file=cid>', 'inline part an HTML body shows with <img src="cid:CID"> (repeatable)', collect)
    .option('--read-receipt <address>', 'ask for a read receipt to this address (Disposition-Notification-To)')
    .option('--delivery-receipt <address>', 'ask for a delivery receipt to this address (Return-Receipt-To, DSN)')
    .option('--reply-to <addresses>', 'Reply-To addresses (repeatable)', collect)
    .option('--header <"X-Name: value">', 'extra X- header (repeatable)', collect)
    .option('--async', 'queue it and return at once (Prefer: respond-async) instead of waiting for the SMTP server')
    .option('--idempotency-key <key>', 'a retried command with the same key does not send twice')
    .option('--json', 'print the server\'s answer as JSON')
    .addHelpText(
      'after',
      `
Examples:
  $ smtpflow send --connection dev-inbox --to "Ada <ada@example.com>" --subject "Hello" --body "First mail"
  $ smtpflow send --connection office --to a@example.com --cc b@example.com --subject "Report" \\
      --body-file report.html --html --attach report.pdf --attach data.csv --importance high
  $ smtpflow send --connection office --to a@example.com --subject Logo --html \\
      --body '<img src="cid:logo"> Hi' --inline logo.png=logo
  $ git log -1 | smtpflow send --connection office --to team@example.com --subject "Deployed" --body -
  $ smtpflow send --connection office --to a@example.com --subject Later --body Hi --async --idempotency-key job-42

Prints the message id (for GET /api/v1/messages/ID), the Message-ID header and which recipients
the SMTP server accepted and rejected.
${EXIT_CODES_HELP}`,
    )
    .action(
      action(async (flags: SendFlags) => {
        const client = new ApiClient(flags);
        const headers: Record<string, string> = {};
        if (flags.async) headers.prefer = 'respond-async';
        if (flags.idempotencyKey) headers['idempotency-key'] = flags.idempotencyKey;
        const answer = await client.request('POST', `/connections/${enc(flags.connection)}/send-email`, await sendEmailBody(flags), headers);
        const b = answer.body as Record<string, unknown>;
        if (flags.json) return printJson(b);
        if (answer.status === 202) {
          const location = answer.headers.get('location') ?? `/api/v1/messages/${String(b.id)}`;
          out(`queued message ${String(b.id)} for delivery through ${flags.connection} (status ${String(b.status ?? 'queued')})`);
          out(fields([['  Message-ID', String(b.messageId ?? '-')], ['  follow it', `${client.base}${location}`]]));
          return;
        }
        out(`sent message ${String(b.id)} through ${flags.connection}`);
        const rejected = await rejectionsWithReasons(client, String(b.id), (b.rejected as string[] | undefined) ?? []);
        const rows: Array<[string, string]> = [
          ['  Message-ID', String(b.messageId ?? '-')],
          ['  accepted', recipients((b.accepted as string[] | undefined) ?? [])],
          ['  rejected', recipients(rejected)],
        ];
        if (b.response) rows.push(['  server said', String(b.response).trim()]);
        out(fields(rows));
      }),
    );
}
