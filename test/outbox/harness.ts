/**
 * startTestApp (test/helpers/app.ts) with outbox tunables: short leases and millisecond backoff,
 * so retry and crash tests run in seconds without sleeping.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { createApp } from '../../src/app.js';
import { loadConfig, type ConfigOverrides } from '../../src/config.js';
import type { OutboxOptions } from '../../src/outbox/index.js';
import { TEST_ADMIN_KEY, type TestApp } from '../helpers/app.js';
import { testDatabaseUrl } from '../helpers/database.js';
import type { SmtpPeer } from '../helpers/smtp-peers.js';

export const FAST: Partial<OutboxOptions> = { leaseMs: 2_000, pollMs: 100, backoffBaseMs: 20, backoffMaxMs: 200, slotIdleMs: 500 };

export async function startTestAppWith(outbox: Partial<OutboxOptions> = FAST, overrides: ConfigOverrides = {}): Promise<TestApp> {
  const dataDir = overrides.dataDir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'smtpflow-outbox-'));
  const captured: Buffer[] = [];
  const logStream = new PassThrough();
  logStream.on('data', (chunk: Buffer) => captured.push(chunk));
  const databaseUrl = overrides.databaseUrl ?? (await testDatabaseUrl(dataDir));
  const config = loadConfig({ port: 0, devSmtpPort: 0, adminKey: TEST_ADMIN_KEY, logLevel: 'info', ...overrides, dataDir, databaseUrl }, {});
  const app = await createApp(config, { logDestination: logStream, outbox });
  const url = await app.listen();
  return {
    app,
    url,
    dataDir,
    logs: () => Buffer.concat(captured).toString('utf8'),
    async api(method, urlPath, body, options = {}) {
      const headers: Record<string, string> = { ...options.headers };
      const key = options.key === undefined ? TEST_ADMIN_KEY : options.key;
      if (key !== null) headers.authorization = `Bearer ${key}`;
      if (body !== undefined) headers['content-type'] = 'application/json';
      const response = await fetch(url + urlPath, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
      const text = await response.text();
      let parsed: unknown = text;
      try {
        parsed = text ? JSON.parse(text) : undefined;
      } catch {
        /* not JSON: keep the text */
      }
      return { status: response.status, body: parsed, headers: response.headers };
    },
    async close() {
      await app.stop();
      if (!overrides.dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** A plain connection to a test peer; `extra` adds settings (auth, security, limits). */
export async function connectTo(t: TestApp, name: string, peer: Pick<SmtpPeer, 'port'>, extra: Record<string, unknown> = {}): Promise<void> {
  const res = await t.api('POST', '/api/v1/connections', { name, host: '127.0.0.1', port: peer.port, security: 'none', defaultFrom: 'Robot <robot@example.com>', ...extra });
  if (res.status !== 201) throw new Error(`creating connection ${name}: ${res.status} ${JSON.stringify(res.body)}`);
}

export const sendPath = (name: string): string => `/api/v1/connections/${name}/send-email`;
export const ASYNC = { headers: { prefer: 'respond-async' } };
