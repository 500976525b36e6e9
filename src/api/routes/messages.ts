import { Type } from '@sinclair/typebox';
import { MessageDetail, MessageList, MessageListQuery, MessageView, type Outbox } from '../../outbox/index.js';
import { assertMayUseConnection } from '../auth.js';
import type { ApiInstance } from '../server.js';

const tags = ['messages'];
const Params = Type.Object({ id: Type.String() });

/** The outbox and history (SPEC §2): list, read, retry, cancel. */
export function messageRoutes(outbox: Outbox) {
  return async (app: ApiInstance): Promise<void> => {
    app.get(
      '/messages',
      { config: { scope: 'read' }, schema: { tags, summary: 'List messages, newest first (filters: status, connection; cursor pagination)', querystring: MessageListQuery, response: { 200: MessageList } } },
      async (request) => outbox.list(request.query),
    );

    app.get(
      '/messages/:id',
      { config: { scope: 'read' }, schema: { tags, summary: 'A message with every attempt, its SMTP reply and accepted/rejected recipients', params: Params, response: { 200: MessageDetail } } },
      async (request) => outbox.get(request.params.id),
    );

    app.post(
      '/messages/:id/retry',
      { config: { scope: 'send' }, schema: { tags, summary: 'Queue a failed, cancelled or retrying message again now, with a fresh lifetime', params: Params, response: { 200: MessageView } } },
      async (request) => {
        assertMayUseConnection(request, await outbox.connectionOf(request.params.id));
        return outbox.retry(request.params.id);
      },
    );

    app.post(
      '/messages/:id/cancel',
      { config: { scope: 'send' }, schema: { tags, summary: 'Cancel a queued or retrying message', params: Params, response: { 200: MessageView } } },
      async (request) => {
        assertMayUseConnection(request, await outbox.connectionOf(request.params.id));
        return outbox.cancel(request.params.id);
      },
    );
  };
}
