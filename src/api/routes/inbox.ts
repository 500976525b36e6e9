import { Type } from '@sinclair/typebox';
import { AppError } from '../../errors.js';
import type { Inbox } from '../../devserver/inbox.js';
import type { ApiInstance } from '../server.js';

const tags = ['inbox'];
const IdParams = Type.Object({ id: Type.String() });
const Envelope = Type.Object({ from: Type.String(), to: Type.Array(Type.String()) });
const Summary = Type.Object({
  id: Type.String(),
  receivedAt: Type.String(),
  from: Type.String(),
  to: Type.String(),
  subject: Type.String(),
  messageId: Type.Optional(Type.String()),
  size: Type.Integer(),
  envelope: Envelope,
});
const Detail = Type.Composite([
  Summary,
  Type.Object({
    headers: Type.Array(Type.Object({ name: Type.String(), value: Type.String() })),
    text: Type.Optional(Type.String()),
    html: Type.Optional(Type.String()),
    cc: Type.Optional(Type.String()),
    replyTo: Type.Optional(Type.String()),
    date: Type.Optional(Type.String()),
    attachments: Type.Array(
      Type.Object({
        index: Type.Integer(),
        filename: Type.Optional(Type.String()),
        contentType: Type.String(),
        size: Type.Integer(),
        contentId: Type.Optional(Type.String()),
        inline: Type.Boolean(),
      }),
    ),
  }),
]);

const missing = (id: string): AppError =>
  new AppError(404, 'NotFound', `No message '${id}' in the development inbox; list them with GET /api/v1/inbox.`);

/** The development SMTP server's inbox (present only when that server runs). */
export function inboxRoutes(inbox: Inbox) {
  return async (app: ApiInstance): Promise<void> => {
    app.get(
      '/inbox',
      {
        config: { scope: 'read' },
        schema: {
          tags,
          summary: 'What the development SMTP server caught, newest first',
          querystring: Type.Object({ limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000 })), before: Type.Optional(Type.String()) }),
          response: { 200: Type.Object({ messages: Type.Array(Summary) }) },
        },
      },
      async (request) => ({ messages: await inbox.list(request.query.limit ?? 100, request.query.before) }),
    );

    app.get('/inbox/:id', { config: { scope: 'read' }, schema: { tags, summary: 'One caught message, parsed', params: IdParams, response: { 200: Detail } } }, async (request) => {
      const message = await inbox.get(request.params.id);
      if (!message) throw missing(request.params.id);
      return message;
    });

    app.get('/inbox/:id/raw', { config: { scope: 'read' }, schema: { tags, summary: 'The raw RFC 5322 source', params: IdParams } }, async (request, reply) => {
      const raw = await inbox.raw(request.params.id);
      if (!raw) throw missing(request.params.id);
      return reply.type('message/rfc822').send(raw);
    });

    app.get(
      '/inbox/:id/attachments/:index',
      { config: { scope: 'read' }, schema: { tags, summary: 'Download one attachment', params: Type.Object({ id: Type.String(), index: Type.Integer({ minimum: 0 }) }) } },
      async (request, reply) => {
        const attachment = await inbox.attachment(request.params.id, request.params.index);
        if (!attachment) throw missing(`${request.params.id}/attachments/${request.params.index}`);
        const filename = (attachment.filename ?? `attachment-${request.params.index}`).replace(/["\r\n]/g, '');
        return reply
          .type(attachment.contentType)
          .header('content-disposition', `attachment; filename*=UTF-8''${encodeURIComponent(filename)}`)
          .send(attachment.content);
      },
    );

    app.delete('/inbox', { config: { scope: 'admin' }, schema: { tags, summary: 'Empty the development inbox' } }, async () => ({ deleted: await inbox.clear() }));
  };
}
