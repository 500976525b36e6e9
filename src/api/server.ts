import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import Fastify, { type FastifyBaseLogger, type FastifyInstance, type RawReplyDefaultExpression, type RawRequestDefaultExpression, type RawServerDefault } from 'fastify';
import fastifyStatic from '@fastify/static';
import fastifySwagger from '@fastify/swagger';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { AppError } from '../errors.js';
import { newId } from '../ids.js';
import { installAuth } from './auth.js';
import type { ApiServices } from './context.js';
import { installErrorHandling } from './errors.js';
import { connectionRoutes } from './routes/connections.js';
import { healthRoutes } from './routes/health.js';
import { inboxRoutes } from './routes/inbox.js';
import { keyRoutes } from './routes/keys.js';
import { toSwagger2 } from './swagger2.js';

export type ApiInstance = FastifyInstance<
  RawServerDefault,
  RawRequestDefaultExpression,
  RawReplyDefaultExpression,
  FastifyBaseLogger,
  TypeBoxTypeProvider
>;

const WEB_DIST = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../web/dist');

const INFO = {
  title: 'smtpflow',
  version: '0.1.0',
  description: 'Self-hosted SMTP connector and workflow runner. Authenticate with "Authorization: Bearer <api key>".',
};

/**
 * Where a NUL character is in a request's data, if anywhere. No smtpflow input may hold one:
 * email cannot carry it and PostgreSQL text cannot store it (a lookup by such a name would fail
 * in the database, not answer 404).
 */
function nulIn(value: unknown, at: string): string | undefined {
  if (typeof value === 'string') return value.includes('\u0000') ? at : undefined;
  if (typeof value !== 'object' || value === null) return undefined;
  for (const [key, item] of Object.entries(value)) {
    if (key.includes('\u0000')) return at || key;
    const found = nulIn(item, Array.isArray(value) ? `${at}[${key}]` : at ? `${at}.${key}` : key);
    if (found !== undefined) return found;
  }
  return undefined;
}

export async function buildServer(services: ApiServices): Promise<ApiInstance> {
  const app = Fastify({
    loggerInstance: services.log as FastifyBaseLogger,
    bodyLimit: services.config.bodyLimit,
    genReqId: (req) => {
      const given = req.headers['x-request-id'];
      return typeof given === 'string' && /^[\w.-]{1,64}$/.test(given) ? given : newId('req');
    },
    // Reject unknown properties instead of silently dropping them (Fastify's default strips them).
    ajv: { customOptions: { removeAdditional: false, coerceTypes: 'array', useDefaults: true } },
  }).withTypeProvider<TypeBoxTypeProvider>();

  installErrorHandling(app);
  installAuth(app, services.keys);
  app.addHook('onSend', async (request, reply) => {
    void reply.header('x-request-id', request.id);
  });
  app.addHook('onResponse', async (request, reply) => {
    // The route template, not the URL: names and ids in paths would explode the label set.
    const route = request.routeOptions.url ?? 'unmatched';
    services.metrics.httpRequests.inc({ method: request.method, route, status: String(reply.statusCode) });
    services.metrics.httpDuration.observe({ method: request.method, route }, reply.elapsedTime / 1000);
  });
  app.addHook('onRequest', async (request) => {
    if (services.isShuttingDown() && request.method !== 'GET') {
      throw new AppError(503, 'ShuttingDown', 'smtpflow is shutting down and accepts no new work; retry against another instance or in a moment.', { headers: { 'retry-after': '5' } });
    }
  });

  app.addHook('preValidation', async (request) => {
    const where = nulIn(request.params, '') ?? nulIn(request.query, '') ?? (request.routeOptions.config.foreignBody ? undefined : nulIn(request.body, ''));
    if (where !== undefined) {
      throw new AppError(400, 'InvalidCharacter', `${where || 'The request'} contains a NUL character (U+0000), which no name, address or text in smtpflow may hold; remove it and send again.`, where ? { field: where } : {});
    }
  });

  const security = [{ bearerAuth: [] }];
  const components = { securitySchemes: { bearerAuth: { type: 'http', scheme: 'bearer' } } };
  await app.register(fastifySwagger, {
    openapi: { openapi: '3.1.0', info: INFO, components: components as never, security },
    hideUntagged: true,
  });
  await app.register(fastifySwagger, {
    decorator: 'swagger2',
    swagger: {
      info: INFO,
      basePath: '/',
      consumes: ['application/json'],
      produces: ['application/json'],
      securityDefinitions: { bearerAuth: { type: 'apiKey', name: 'Authorization', in: 'header' } },
      security,
    },
    hideUntagged: true,
    transformObject: (documents) => ('swaggerObject' in documents ? toSwagger2(documents.swaggerObject as Record<string, unknown>) : documents.openapiObject) as never,
  });

  await healthRoutes(app, services);
  await app.register(
    async (api) => {
      const v1 = api as unknown as ApiInstance;
      v1.get('/openapi.json', { config: { scope: 'public' } }, async () => app.swagger());
      v1.get('/swagger2.json', { config: { scope: 'public' } }, async () => (app as unknown as { swagger2(): unknown }).swagger2());
      await keyRoutes(v1, services);
      await connectionRoutes(v1, services);
      if (services.inbox) await inboxRoutes(services.inbox)(v1);
      for (const routes of services.routes) await routes(v1);
    },
    { prefix: '/api/v1' },
  );

  if (fs.existsSync(WEB_DIST)) {
    await app.register(fastifyStatic, { root: WEB_DIST, wildcard: false });
    // The designer is a single-page app: unknown non-API paths load it.
    app.get('/*', { config: { scope: 'public' } }, async (request, reply) => {
      if (request.url.startsWith('/api/')) throw new AppError(404, 'NotFound', `There is no ${request.method} ${request.url}.`);
      return reply.sendFile('index.html');
    });
  } else {
    app.get('/', { config: { scope: 'public' } }, async (_request, reply) =>
      reply.type('text/plain').send('smtpflow is running. The designer is not built: run `npm run build`. The API is under /api/v1.\n'),
    );
  }
  return app;
}
