import { Type, type Static } from '@sinclair/typebox';
import { HEADER_NAME_MAX, HEADER_VALUE_MAX } from './limits.js';

/**
 * The Send Email body (SPEC §1). Property names are the seed connector's, so a Logic Apps
 * definition or an existing client posts the same JSON here. Strings carry no `pattern`:
 * CR/LF and bad addresses are judged by `prepareEmail`, which answers with a specific code
 * (HeaderInjection, InvalidAddress…) instead of a generic schema error.
 */

const ADDRESS_LIST_MAX = 100_000;
const ADDRESS_MAX = 2_000;
/**
 * Extra header names: 'X-' then letters, digits and '-', short enough for one header line. Judged by
 * prepareEmail rather than the schema, so that HTTP and workflows both answer InvalidHeader.
 */
export const HEADER_NAME_PATTERN = `^X-[A-Za-z0-9-]{1,${HEADER_NAME_MAX - 2}}$`;

const addressList = (what: string) =>
  Type.String({
    maxLength: ADDRESS_LIST_MAX,
    description: `${what}, separated by ';' or ','; each 'a@b.c' or 'Display Name <a@b.c>' (quote a name that holds ';' or ',': '"Doe; John" <j@x.org>').`,
  });

export const AttachmentInput = Type.Object(
  {
    ContentData: Type.String({
      maxLength: 50_000_000,
      description:
        "The attachment's content: base64 (whitespace and line breaks allowed) unless ContentTransferEncoding is 'none', then the text itself.",
    }),
    ContentType: Type.Optional(
      Type.String({ maxLength: 255, description: "MIME type, e.g. 'application/pdf'; guessed from FileName when absent." }),
    ),
    ContentTransferEncoding: Type.Optional(
      Type.Union([Type.Literal('base64'), Type.Literal('none')], {
        description: "'base64' (the default) when ContentData is base64, 'none' when it is the content as a string.",
      }),
    ),
    FileName: Type.Optional(Type.String({ maxLength: 255, description: 'File name shown to the recipient; any Unicode.' })),
    ContentId: Type.Optional(
      Type.String({
        maxLength: 255,
        description: "Content-ID: makes the attachment an inline part that the HTML body shows with 'cid:<ContentId>'.",
      }),
    ),
  },
  { additionalProperties: false, description: 'One attachment.' },
);

export const SendEmailInput = Type.Object(
  {
    To: Type.Optional(addressList('Recipients')),
    CC: Type.Optional(addressList('Carbon-copy recipients')),
    Bcc: Type.Optional(addressList('Blind-copy recipients; only in the SMTP envelope, never in the message headers')),
    Subject: Type.Optional(Type.String({ maxLength: HEADER_VALUE_MAX, description: 'Subject; any Unicode (sent RFC 2047-encoded).' })),
    Body: Type.Optional(Type.String({ maxLength: 20_000_000, description: 'Message body: text, or HTML when IsHtml is true.' })),
    From: Type.Optional(
      Type.String({
        maxLength: ADDRESS_MAX,
        description: "Sender, 'a@b.c' or 'Name <a@b.c>'; optional when the connection has a default sender.",
      }),
    ),
    IsHtml: Type.Optional(
      Type.Boolean({
        description:
          'Body is HTML (a plain-text alternative is generated). When absent: HTML on the SendEmailV3 path, text elsewhere.',
      }),
    ),
    Importance: Type.Optional(
      Type.Union([Type.Literal('High'), Type.Literal('Normal'), Type.Literal('Low')], {
        description: "Sets the 'Importance' and 'X-Priority' headers.",
      }),
    ),
    Attachments: Type.Optional(
      Type.Array(AttachmentInput, { maxItems: 250, description: 'Files, and inline parts when ContentId is set.' }),
    ),
    ReadReceipt: Type.Optional(
      Type.String({ maxLength: ADDRESS_MAX, description: "Address that asks for a read receipt ('Disposition-Notification-To')." }),
    ),
    DeliveryReceipt: Type.Optional(
      Type.String({
        maxLength: ADDRESS_MAX,
        description:
          "Address that asks for a delivery receipt ('Return-Receipt-To'); also requests a DSN NOTIFY=SUCCESS where the server offers DSN (the DSN goes to the sender).",
      }),
    ),
    ReplyTo: Type.Optional(addressList('Reply-To addresses')),
    Headers: Type.Optional(
      Type.Record(
        Type.String(),
        Type.String({ maxLength: HEADER_VALUE_MAX }),
        {
          maxProperties: 50,
          description: `Extra headers, names starting with 'X-' (letters, digits, '-'; at most ${HEADER_NAME_MAX} characters), string values.`,
        },
      ),
    ),
    Text: Type.Optional(
      Type.String({
        maxLength: 20_000_000,
        description: 'Plain-text alternative of an HTML body, used instead of the generated one; ignored for a text body.',
      }),
    ),
  },
  { additionalProperties: false, description: 'The Send Email action (SMTP connector).' },
);

export type SendEmailInput = Static<typeof SendEmailInput>;
export type AttachmentInput = Static<typeof AttachmentInput>;

/** `ApiConnection` paths of the seed connector; only V3 changes a default. */
export type SendEmailPath = 'SendEmail' | 'SendEmailV2' | 'SendEmailV3';
