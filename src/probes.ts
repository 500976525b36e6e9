import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { sql } from 'kysely';
import type { Registry } from 'prom-client';
import type { Store } from './store/db.js';

export interface Readiness {
  ready: boolean;
  body: { status: 'ready' | 'not ready'; checks: Record<string, boolean> };
}

/** What /readyz answers, in the API server and in a worker: the database answers, and each part of the process runs. */
export async function readiness(store: Store, parts: Record<string, boolean>, stopping: boolean): Promise<Readiness> {
  const checks: Record<string, boolean> = {};
  try {
    await sql`select 1`.execute(store.db);
    checks.database = true;
  } catch {
    checks.database = false;
  }
  Object.assign(checks, parts);
  if (stopping) checks.accepting = false;
  const ready = Object.values(checks).every(Boolean);
  return { ready, body: { status: ready ? 'ready' : 'not ready', checks } };
}

export interface ProbeServer {
  url: string;
  close(): Promise<void>;
}

/**
 * /healthz, /readyz and /metrics for a process without the API (`smtpflow worker`), so that an
 * orchestrator can restart it and Prometheus can scrape it like a server. Plain node:http: three
 * read-only routes need no routing, auth or schemas.
 */
export async function startProbeServer(options: { host: string; port: number; registry: Registry; ready: () => Promise<Readiness> }): Promise<ProbeServer> {
  const server = http.createServer((req, res) => {
    const send = (status: number, type: string, body: string): void => {
      res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store' });
      res.end(req.method === 'HEAD' ? undefined : body);
    };
    const json = (status: number, body: unknown): void => send(status, 'application/json; charset=utf-8', JSON.stringify(body));
    const path = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET' && req.method !== 'HEAD') return json(405, { error: { code: 'MethodNotAllowed', message: 'Only GET and HEAD are answered here.' } });
    const answer = async (): Promise<void> => {
      if (path === '/healthz') return json(200, { status: 'ok' });
      if (path === '/readyz') {
        const { ready, body } = await options.ready();
        return json(ready ? 200 : 503, body);
      }
      if (path === '/metrics') return send(200, options.registry.contentType, await options.registry.metrics());
      json(404, { error: { code: 'NotFound', message: `A worker answers /healthz, /readyz and /metrics only, not ${path}.` } });
    };
    answer().catch(() => json(500, { error: { code: 'InternalError', message: 'The probe failed; see the worker log.' } }));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const host = options.host.includes(':') ? `[${options.host}]` : options.host;
  return {
    url: `http://${host}:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
