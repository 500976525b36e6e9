import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { createApp, type App } from '../../src/app.js';
import { loadConfig, type ConfigOverrides } from '../../src/config.js';
import { testDatabaseUrl } from './database.js';

export const TEST_ADMIN_KEY = 'test-admin-key-7f3c9a1e5b2d4f60';

export interface TestApp {
  app: App;
  url: string;
  dataDir: string;
  /** Every log line the app wrote, for tests that look for leaked secrets. */
  logs(): string;
  /** fetch against the app with the admin key (or `key`) as bearer. */
  api(method: string, urlPath: string, body?: unknown, options?: { key?: string | null; headers?: Record<string, string> }): Promise<{ status: number; body: any; headers: Headers }>;
  close(): Promise<void>;
}

/** A real app on a free port with a temporary SQLite database; logs are captured, not printed. */
export async function startTestApp(overrides: ConfigOverrides = {}): Promise<TestApp> {
  const dataDir = overrides.dataDir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'smtpflow-test-'));
  const captured: Buffer[] = [];
  const logStream = new PassThrough();
  logStream.on('data', (chunk: Buffer) => captured.push(chunk));
  const databaseUrl = overrides.databaseUrl ?? (await testDatabaseUrl(dataDir));
  const config = loadConfig({ port: 0, devSmtpPort: 0, adminKey: TEST_ADMIN_KEY, logLevel: 'info', ...overrides, dataDir, databaseUrl }, {});
  const app = await createApp(config, { logDestination: logStream });
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
