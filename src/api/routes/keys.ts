import { Type } from '@sinclair/typebox';
import type { ApiServices } from '../context.js';
import type { ApiInstance } from '../server.js';
import { ConnectionName } from '../../connections/schema.js';

const Scope = Type.Union([Type.Literal('admin'), Type.Literal('send'), Type.Literal('read')]);
const KeyView = Type.Object({
  id: Type.String(),
  name: Type.String(),
  scope: Scope,
  connections: Type.Optional(Type.Array(Type.String())),
  createdAt: Type.String(),
  lastUsedAt: Type.Optional(Type.String()),
});
const tags = ['keys'];

export async function keyRoutes(app: ApiInstance, { keys }: ApiServices): Promise<void> {
  app.post(
    '/keys',
    {
      config: { scope: 'admin' },
      schema: {
        tags,
        summary: 'Create an API key (its secret is shown once)',
        body: Type.Object(
          {
            name: Type.String({ minLength: 1, maxLength: 100 }),
            scope: Scope,
            connections: Type.Optional(Type.Array(ConnectionName, { description: 'for a send key: the only connections it may use' })),
          },
          { additionalProperties: false },
        ),
        response: { 201: Type.Composite([KeyView, Type.Object({ key: Type.String({ description: 'shown only now' }) })]) },
      },
    },
    async (request, reply) => {
      const { key, view } = await keys.create(request.body.name, request.body.scope, request.body.connections);
      return reply.status(201).send({ ...view, key });
    },
  );

  app.get('/keys', { config: { scope: 'admin' }, schema: { tags, summary: 'List API keys (never their secrets)', response: { 200: Type.Array(KeyView) } } }, async () => keys.list());

  app.delete(
    '/keys/:id',
    { config: { scope: 'admin' }, schema: { tags, summary: 'Revoke an API key, at once', params: Type.Object({ id: Type.String() }) } },
    async (request, reply) => {
      await keys.remove(request.params.id);
      return reply.status(204).send();
    },
  );
}
