import type { ApiServices } from '../context.js';
import type { ApiInstance } from '../server.js';
import { readiness } from '../../probes.js';

export async function healthRoutes(app: ApiInstance, services: ApiServices): Promise<void> {
  app.get('/healthz', { config: { scope: 'public' }, logLevel: 'warn' }, async () => ({ status: 'ok' }));

  app.get('/metrics', { config: { scope: 'public' }, logLevel: 'warn' }, async (_request, reply) =>
    reply.type(services.metrics.registry.contentType).send(await services.metrics.registry.metrics()),
  );

  app.get('/readyz', { config: { scope: 'public' }, logLevel: 'warn' }, async (_request, reply) => {
    const { ready, body } = await readiness(services.store, await services.readiness(), services.isShuttingDown());
    return reply.status(ready ? 200 : 503).send(body);
  });
}
