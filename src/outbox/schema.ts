import { Type, type Static } from '@sinclair/typebox';

/** API shapes of the outbox (they validate answers and feed the OpenAPI document). */
export const MessageStatus = Type.Union(
  ['queued', 'sending', 'retrying', 'sent', 'failed', 'cancelled'].map((s) => Type.Literal(s)),
  { description: 'queued → sending → sent; a transient failure → retrying; a permanent one or an expired lifetime → failed' },
);

export const SmtpReplyView = Type.Object({
  code: Type.Optional(Type.Integer()),
  enhancedCode: Type.Optional(Type.String()),
  response: Type.Optional(Type.String()),
});

export const ErrorView = Type.Object({
  code: Type.String(),
  message: Type.String(),
  smtp: Type.Optional(SmtpReplyView),
});

export const RecipientRejectionView = Type.Object({
  recipient: Type.String(),
  code: Type.Optional(Type.Integer()),
  enhancedCode: Type.Optional(Type.String()),
  response: Type.Optional(Type.String()),
});

export const AttemptView = Type.Object({
  attempt: Type.Integer({ minimum: 1 }),
  startedAt: Type.String({ format: 'date-time' }),
  finishedAt: Type.String({ format: 'date-time' }),
  outcome: Type.Union([Type.Literal('sent'), Type.Literal('transient'), Type.Literal('permanent')]),
  smtp: Type.Optional(SmtpReplyView),
  accepted: Type.Array(Type.String()),
  rejected: Type.Array(RecipientRejectionView, { description: 'each refused recipient with the server\'s reply' }),
  error: Type.Optional(ErrorView),
});

export const MessageView = Type.Object({
  id: Type.String(),
  connection: Type.String(),
  status: MessageStatus,
  messageId: Type.String({ description: 'the RFC 5322 Message-ID, fixed when the message was accepted' }),
  source: Type.String(),
  mode: Type.Union([Type.Literal('sync'), Type.Literal('async')]),
  from: Type.String({ description: 'envelope sender' }),
  recipients: Type.Array(Type.String(), { description: 'envelope recipients (To, CC and Bcc)' }),
  subject: Type.String(),
  attemptCount: Type.Integer(),
  accepted: Type.Array(Type.String()),
  rejected: Type.Array(Type.String()),
  response: Type.Optional(Type.String({ description: 'the last SMTP reply' })),
  error: Type.Optional(ErrorView),
  createdAt: Type.String({ format: 'date-time' }),
  updatedAt: Type.String({ format: 'date-time' }),
  date: Type.String({ format: 'date-time', description: 'the Date header, fixed at acceptance' }),
  nextAttemptAt: Type.Optional(Type.String({ format: 'date-time' })),
  expiresAt: Type.String({ format: 'date-time', description: 'transient failures are retried until then' }),
  sentAt: Type.Optional(Type.String({ format: 'date-time' })),
  runId: Type.Optional(Type.String()),
});
export type MessageView = Static<typeof MessageView>;

export const MessageDetail = Type.Composite([MessageView, Type.Object({ attempts: Type.Array(AttemptView) })]);
export type MessageDetail = Static<typeof MessageDetail>;
export type AttemptView = Static<typeof AttemptView>;

export const MessageList = Type.Object({
  items: Type.Array(MessageView),
  nextCursor: Type.Optional(Type.String({ description: 'pass as `cursor` for the next (older) page' })),
});
export type MessageList = Static<typeof MessageList>;

export const MessageListQuery = Type.Object({
  status: Type.Optional(MessageStatus),
  connection: Type.Optional(Type.String()),
  cursor: Type.Optional(Type.String()),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, default: 50 })),
});
export type MessageListQuery = Static<typeof MessageListQuery>;

/** 200 of a synchronous Send Email. */
export const SendEmailResult = Type.Object({
  id: Type.String(),
  messageId: Type.String(),
  accepted: Type.Array(Type.String()),
  rejected: Type.Array(Type.String()),
  response: Type.String(),
});
export type SendEmailResult = Static<typeof SendEmailResult>;

/** 202 of an asynchronous Send Email. */
export const SendEmailAccepted = Type.Object({
  id: Type.String(),
  status: MessageStatus,
  messageId: Type.String(),
});
export type SendEmailAccepted = Static<typeof SendEmailAccepted>;
