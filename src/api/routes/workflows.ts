import { Type } from '@sinclair/typebox';
import { WorkflowBody, WorkflowView } from '../../workflows/schema.js';
import type { WorkflowService } from '../../workflows/service.js';
import type { ApiInstance } from '../server.js';

const tags = ['workflows'];
const NameParams = Type.Object({ name: Type.String() });
const RunParams = Type.Object({ name: Type.String(), id: Type.String() });
const TriggerParams = Type.Object({ name: Type.String(), trigger: Type.String() });

const RunAccepted = Type.Object({ runId: Type.String(), workflow: Type.String(), status: Type.String() }, { additionalProperties: true });

/** Validation is the workflow service's (it reports every problem with its path, not just the first). */
const passThrough = { validatorCompiler: () => (data: unknown) => ({ value: data }) };

export interface WorkflowRouteOptions {
  /** Base of callback URLs; the listening address when absent. */
  publicUrl?: string;
}

export function workflowRoutes(workflows: WorkflowService, options: WorkflowRouteOptions = {}) {
  return async (app: ApiInstance): Promise<void> => {
    app.post(
      '/workflows',
      { ...passThrough, config: { scope: 'admin' }, schema: { tags, summary: 'Create a workflow (Logic Apps definition); 400 lists every problem with its JSON path', body: WorkflowBody, response: { 201: WorkflowView } } },
      async (request, reply) => reply.status(201).send((await workflows.save(request.body, 'create')).view),
    );

    app.get('/workflows', { config: { scope: 'read' }, schema: { tags, summary: 'List workflows', response: { 200: Type.Array(WorkflowView) } } }, async () => workflows.list());

    app.get('/workflows/:name', { config: { scope: 'read' }, schema: { tags, summary: 'Read a workflow', params: NameParams, response: { 200: WorkflowView } } }, async (request) =>
      workflows.view(request.params.name),
    );

    app.put(
      '/workflows/:name',
      { ...passThrough, config: { scope: 'admin' }, schema: { tags, summary: 'Create or replace a workflow', params: NameParams, body: WorkflowBody, response: { 200: WorkflowView, 201: WorkflowView } } },
      async (request, reply) => {
        const { view, created } = await workflows.save(request.body, 'upsert', (request.params as { name: string }).name);
        return reply.status(created ? 201 : 200).send(view);
      },
    );

    app.delete('/workflows/:name', { config: { scope: 'admin' }, schema: { tags, summary: 'Delete a workflow, its trigger state and its runs', params: NameParams } }, async (request, reply) => {
      await workflows.remove(request.params.name);
      return reply.status(204).send();
    });

    for (const [verb, state] of [['enable', 'Enabled'], ['disable', 'Disabled']] as const) {
      app.post(`/workflows/:name/${verb}`, { config: { scope: 'admin' }, schema: { tags, summary: `${verb === 'enable' ? 'Enable' : 'Disable'} a workflow's triggers`, params: NameParams, response: { 200: WorkflowView } } }, async (request) =>
        workflows.setState(request.params.name, state),
      );
    }

    app.post('/workflows/callback-key/rotate', { config: { scope: 'admin' }, schema: { tags, summary: 'Rotate the key that signs callback URLs (every earlier URL stops working)' } }, async () => {
      await workflows.rotateCallbackKey();
      return { rotated: true };
    });

    const CallbackUrl = Type.Object({ value: Type.String(), method: Type.Literal('POST') });
    app.get(
      '/workflows/:name/triggers/:trigger/callback-url',
      { config: { scope: 'admin' }, schema: { tags, summary: "The signed URL of a Request trigger (as Logic Apps' listCallbackUrl)", params: TriggerParams, response: { 200: CallbackUrl } } },
      async (request) => workflows.callbackUrl(request.params.name, request.params.trigger, options.publicUrl ?? listeningUrl(app)),
    );
    // Logic Apps' own verb for it, for scripts written against the Azure API.
    app.post(
      '/workflows/:name/triggers/:trigger/listCallbackUrl',
      { config: { scope: 'admin' }, schema: { tags, summary: 'Same as GET …/callback-url', params: TriggerParams, response: { 200: CallbackUrl } } },
      async (request) => workflows.callbackUrl(request.params.name, request.params.trigger, options.publicUrl ?? listeningUrl(app)),
    );

    app.post(
      '/workflows/:name/triggers/:trigger/invoke',
      {
        config: { scope: 'public', foreignBody: true },
        // The URL carries the signature, a credential: keep it out of the per-request info log lines.
        logLevel: 'warn',
        schema: {
          tags,
          summary: "Fire a Request trigger; authorized by the URL's signature, not an API key. Answers the Response action's reply, else 202 with the run id",
          params: TriggerParams,
          querystring: Type.Object({ sig: Type.Optional(Type.String()) }, { additionalProperties: true }),
          security: [],
        },
      },
      async (request, reply) => {
        const query = request.query as Record<string, unknown>;
        const result = await workflows.invoke(request.params.name, request.params.trigger, query.sig, { headers: request.headers, body: request.body, query });
        void reply.status(result.statusCode).headers(result.headers);
        if (result.body === null || result.body === undefined) return reply.send();
        if (typeof result.body === 'string') return reply.type(result.headers['content-type'] ?? result.headers['Content-Type'] ?? 'text/plain; charset=utf-8').send(result.body);
        return reply.type('application/json; charset=utf-8').send(JSON.stringify(result.body));
      },
    );

    app.get(
      '/workflows/:name/runs',
      {
        config: { scope: 'read' },
        schema: {
          tags,
          summary: 'Runs of a workflow, newest first',
          params: NameParams,
          querystring: Type.Object({ limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500 })), before: Type.Optional(Type.String()), status: Type.Optional(Type.String()) }),
        },
      },
      async (request) => workflows.listRuns(request.params.name, request.query),
    );

    app.get('/workflows/:name/runs/:id', { config: { scope: 'read' }, schema: { tags, summary: "A run: trigger outputs, each action's inputs, outputs, status, attempts and times (secrets redacted)", params: RunParams } }, async (request) =>
      workflows.getRun(request.params.name, request.params.id),
    );

    app.post('/workflows/:name/runs/:id/resubmit', { config: { scope: 'admin' }, schema: { tags, summary: 'Run again with the same trigger outputs', params: RunParams, response: { 202: RunAccepted } } }, async (request, reply) => {
      const result = await workflows.resubmit(request.params.name, request.params.id);
      return reply
        .status(202)
        .header('location', `/api/v1/workflows/${encodeURIComponent(request.params.name)}/runs/${result.runId}`)
        .send(result);
    });
  };
}

function listeningUrl(app: ApiInstance): string {
  const address = app.server.address();
  if (typeof address !== 'object' || !address) return 'http://127.0.0.1';
  const host = address.address === '::' || address.address === '0.0.0.0' ? '127.0.0.1' : address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return `http://${host}:${address.port}`;
}
