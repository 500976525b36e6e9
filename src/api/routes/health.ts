import { sql } from 'kysely';
import type { ApiServices } from '../context.js';
import type { ApiInstance } from '../server.js';

export async function healthRoutes(app: ApiInstance, services: ApiServices): Promise<void> {
  app.get('/healthz', { config: { scope: 'public' }, logLevel: 'warn' }, async () => ({ status: 'ok' }));

  app.get('/metrics', { config: { scope: 'public' }, logLevel: 'warn' }, async (_request, reply) =>
    reply.type(services.metrics.registry.contentType).send(await services.metrics.registry.metrics()),
  );

  app.get('/readyz', { config: { scope: 'public' }, logLevel: 'warn' }, async (_request, reply) => {
    const checks: Record<string, boolean> = {};
    try {
      await sql`select 1`.execute(services.store.db);
      checks.database = true;
    } catch {
      checks.database = false;
    }
    Object.assign(checks, await services.readiness());
    if (services.isShuttingDown()) checks.accepting = false;
    const ready = Object.values(checks).every(Boolean);
    return reply.status(ready ? 200 : 503).send({ status: ready ? 'ready' : 'not ready', checks });
  });
}
