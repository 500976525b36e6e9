import { Type } from '@sinclair/typebox';
import { AppError } from '../../errors.js';
import { CONNECTION_SCHEMAS } from '../../connections/repository.js';
import { ConnectionView, DkimSettings } from '../../connections/schema.js';
import { connectorFor, listFields, listObjects } from '../../connectors/index.js';
import { newDkimSettings } from '../../smtp/index.js';
import type { ApiServices } from '../context.js';
import type { ApiInstance } from '../server.js';

const tags = ['connections'];
const NameParams = Type.Object({ name: Type.String() });
const ConnectionTestReportSchema = Type.Object({
  ok: Type.Boolean(),
  steps: Type.Array(
    Type.Object({
      step: Type.String({ description: 'SMTP: dns, tcp, banner, ehlo, starttls, certificate, auth-mechanisms, oauth2-token, auth or mail-from' }),
      ok: Type.Boolean(),
      detail: Type.String(),
      durationMs: Type.Number(),
    }),
  ),
  problem: Type.Optional(Type.Object({ code: Type.String(), message: Type.String(), fix: Type.String() })),
});
const DkimKeygenBody = Type.Object(
  {
    domainName: Type.Optional({ ...DkimSettings.properties.domainName, description: 'the d= domain (default: the domain of the connection\'s defaultFrom)' }),
    keySelector: Type.Optional({ ...DkimSettings.properties.keySelector, description: 'the s= selector (default: smtpflow-<date>-<time>, a new DNS name for every key)' }),
  },
  { additionalProperties: false },
);
const DkimKeygenAnswer = Type.Object({
  domainName: Type.String(),
  keySelector: Type.String(),
  name: Type.String({ description: 'the DNS name of the TXT record to publish: <keySelector>._domainkey.<domainName>' }),
  type: Type.Literal('TXT'),
  value: Type.String({ description: 'the TXT record: v=DKIM1; k=rsa; p=<public key>' }),
  zoneFileLine: Type.String({ description: 'the same record as a zone file line, split into strings of at most 255 characters' }),
});
/**
 * The body is validated by the connection repository against the schema of the connection's
 * `type` (the same TypeBox schema shown here), which gives sharper errors than an anyOf would.
 */
/** Every connection type's body, for the OpenAPI document: `type` tells them apart (absent means smtp). */
const ConnectionInput = Type.Union(Object.values(CONNECTION_SCHEMAS));
const passThrough = { validatorCompiler: () => (data: unknown) => ({ value: data }) };

export async function connectionRoutes(app: ApiInstance, services: ApiServices): Promise<void> {
  const { connections } = services;

  app.post(
    '/connections',
    {
      ...passThrough,
      config: { scope: 'admin' },
      schema: { tags, summary: 'Create a connection (secrets are write-only)', body: ConnectionInput, response: { 201: ConnectionView } },
    },
    async (request, reply) => reply.status(201).send(await connections.create(objectBody(request.body))),
  );

  app.get('/connections', { config: { scope: 'read' }, schema: { tags, summary: 'List connections', response: { 200: Type.Array(ConnectionView) } } }, async () =>
    connections.list(),
  );

  app.get(
    '/connections/:name',
    { config: { scope: 'read' }, schema: { tags, summary: 'Read a connection (never a secret)', params: NameParams, response: { 200: ConnectionView } } },
    async (request) => connections.view(request.params.name),
  );

  app.patch(
    '/connections/:name',
    {
      ...passThrough,
      config: { scope: 'admin' },
      schema: {
        tags,
        summary: 'Change a connection (JSON merge patch: null removes a field; omitted secrets are kept)',
        params: NameParams,
        body: Type.Union(Object.values(CONNECTION_SCHEMAS).map((schema) => Type.Partial(schema))),
        response: { 200: ConnectionView },
      },
    },
    async (request) => connections.update((request.params as { name: string }).name, objectBody(request.body)),
  );

  app.post(
    '/connections/:name/test',
    {
      config: { scope: 'admin' },
      schema: {
        tags,
        summary: 'Test a connection (SMTP: DNS, TCP, banner, EHLO, STARTTLS/TLS, AUTH, a MAIL FROM probe); report each step, and the cause and fix of a failure',
        params: NameParams,
        response: { 200: ConnectionTestReportSchema },
      },
    },
    // A failed test is still a successful request: the report says what failed (200, ok: false).
    async (request) => {
      const conn = await connections.resolve(request.params.name);
      return connectorFor(conn).test(conn, { tokens: connections.tokens });
    },
  );

  app.post(
    '/connections/:name/dkim/keygen',
    {
      config: { scope: 'admin' },
      // the body is optional: `curl -X POST …/dkim/keygen` with none takes every default
      preValidation: async (request) => {
        request.body ??= {};
      },
      schema: {
        tags,
        summary: 'Create a 2048-bit DKIM key for an SMTP connection; it is stored (write-only) and signs every message from now on. Answers the DNS TXT record to publish',
        params: NameParams,
        body: DkimKeygenBody,
        response: { 200: DkimKeygenAnswer },
      },
    },
    async (request) => {
      const { name } = request.params;
      const { dkim, record } = await newDkimSettings(await connections.resolveSmtp(name), request.body);
      await connections.update(name, { dkim });
      return { domainName: dkim.domainName, keySelector: dkim.keySelector, ...record };
    },
  );

  app.get(
    '/connections/:name/objects',
    {
      config: { scope: 'read' },
      schema: {
        tags,
        summary: 'For a trigger source: the object types (Salesforce sObjects, SQL tables) a trigger can watch',
        params: NameParams,
        response: { 200: Type.Array(Type.Object({ name: Type.String(), label: Type.Optional(Type.String()) })) },
      },
    },
    async (request) => listObjects(await connections.resolve(request.params.name)),
  );

  app.get(
    '/connections/:name/objects/:object/fields',
    {
      config: { scope: 'read' },
      schema: {
        tags,
        summary: 'For a trigger source: the fields of one object type (Salesforce fields, SQL columns), which its trigger hands to each run',
        params: Type.Object({ name: Type.String(), object: Type.String() }),
        response: { 200: Type.Array(Type.Object({ name: Type.String(), label: Type.Optional(Type.String()), type: Type.Optional(Type.String()) })) },
      },
    },
    async (request) => listFields(await connections.resolve(request.params.name), request.params.object),
  );

  app.delete(
    '/connections/:name',
    { config: { scope: 'admin' }, schema: { tags, summary: 'Remove a connection', params: NameParams } },
    async (request, reply) => {
      await connections.remove(request.params.name);
      return reply.status(204).send();
    },
  );
}

function objectBody(body: unknown): Record<string, unknown> {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    throw new AppError(400, 'InvalidBody', 'The body must be a JSON object describing the connection.');
  }
  return body as Record<string, unknown>;
}
