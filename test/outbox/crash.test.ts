/**
 * SPEC §3: a 202 survives kill -9. The server runs as a child process; 2,000 asynchronous sends,
 * SIGKILL while it delivers, restart: every 202'd message ends `sent` and the sink got each
 * Message-ID at least once (duplicates are allowed, counted and printed). Then SIGTERM while
 * delivering: exit 0 with no lease left behind.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { openStore } from '../../src/store/db.js';
import { TEST_ADMIN_KEY } from '../helpers/app.js';
import { SMTPFLOW_BIN } from '../helpers/bin.js';
import { startCountingSink } from '../helpers/counting-sink.js';
import { testDatabaseUrl } from '../helpers/database.js';
import { waitFor } from '../helpers/wait.js';

const TOTAL = 2_000;
const ROOT = path.resolve(import.meta.dirname, '../..');

interface Server {
  child: ChildProcess;
  url: string;
  exited: Promise<number | null>;
}

async function spawnServer(dataDir: string, databaseUrl: string): Promise<Server> {
  const child = spawn(process.execPath, [SMTPFLOW_BIN, 'serve'], {
    cwd: ROOT,
    env: {
      ...process.env,
      SMTPFLOW_DATA_DIR: dataDir,
      SMTPFLOW_DATABASE_URL: databaseUrl,
      SMTPFLOW_PORT: '0',
      SMTPFLOW_DEV_SMTP_PORT: '0',
      SMTPFLOW_ADMIN_KEY: TEST_ADMIN_KEY,
      SMTPFLOW_LOG_LEVEL: 'error',
      SMTPFLOW_OUTBOX_LEASE_MS: '1500',
      SMTPFLOW_OUTBOX_POLL_MS: '100',
      SMTPFLOW_OUTBOX_BACKOFF_MS: '50',
      SMTPFLOW_OUTBOX_BACKOFF_MAX_MS: '500',
    },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  let stderr = '';
  const url = await new Promise<string>((resolve, reject) => {
    child.stderr!.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
      const m = /running at (http:\/\/\S+)/.exec(stderr);
      if (m) resolve(m[1]);
    });
    void exited.then((code) => reject(new Error(`server exited (${code}) before listening: ${stderr}`)));
  });
  return { child, url, exited };
}

async function call(base: string, method: string, urlPath: string, body?: unknown, headers: Record<string, string> = {}): Promise<{ status: number; body: any }> {
  const res = await fetch(base + urlPath, {
    method,
    headers: { authorization: `Bearer ${TEST_ADMIN_KEY}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined };
}

/** Sends `count` asynchronous requests, 32 at a time; answers the 202s (requests cut off by a kill are not). */
async function flood(base: string, count: number, tag: string): Promise<Array<{ id: string; messageId: string }>> {
  const accepted: Array<{ id: string; messageId: string }> = [];
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < count) {
      const i = next++;
      try {
        const res = await call(base, 'POST', '/api/v1/connections/sink/send-email', { To: `r${i}@example.org`, Subject: `${tag} ${i}`, Body: 'crash test' }, { prefer: 'respond-async' });
        if (res.status === 202) accepted.push(res.body);
      } catch {
        return; // the server was killed: what it answered 202 to is what counts
      }
    }
  };
  await Promise.all(Array.from({ length: 32 }, lane));
  return accepted;
}

async function statuses(base: string): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  let cursor: string | undefined;
  do {
    const res = await call(base, 'GET', `/api/v1/messages?connection=sink&limit=500${cursor ? `&cursor=${cursor}` : ''}`);
    for (const m of res.body.items) out.set(m.id, m.status);
    cursor = res.body.nextCursor;
  } while (cursor);
  return out;
}

const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'smtpflow-crash-'));
const children: ChildProcess[] = [];
after(() => {
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
  fs.rmSync(dataDir, { recursive: true, force: true });
});

test('kill -9 while delivering loses no accepted message; SIGTERM exits 0 and releases every lease', { timeout: 90_000 }, async () => {
  const sink = await startCountingSink();
  const databaseUrl = await testDatabaseUrl(dataDir);
  try {
    const t0 = Date.now();
    const lap = (what: string): void => void process.stdout.write(`# ${what} at ${Date.now() - t0} ms (sink ${sink.total})\n`);
    const first = await spawnServer(dataDir, databaseUrl);
    lap('started');
    children.push(first.child);
    const created = await call(first.url, 'POST', '/api/v1/connections', { name: 'sink', host: '127.0.0.1', port: sink.port, security: 'none', defaultFrom: 'crash@example.com', maxConnections: 4 });
    assert.equal(created.status, 201);

    const flooding = flood(first.url, TOTAL, 'crash');
    await waitFor(() => sink.total >= 300, { timeoutMs: 30_000, message: '300 deliveries before the kill' });
    lap('kill');
    first.child.kill('SIGKILL');
    assert.equal(await first.exited, null, 'killed, not exited');
    const accepted = await flooding;
    const deliveredBeforeKill = sink.total;
    assert.ok(accepted.length >= 300, `${accepted.length} accepted`);

    const second = await spawnServer(dataDir, databaseUrl);
    children.push(second.child);
    lap('restarted');
    // Watch the sink (no load on the server), then check every status once it has everything.
    await waitFor(() => accepted.every((a) => sink.ids.has(a.messageId)), { timeoutMs: 60_000, intervalMs: 100, message: 'every accepted Message-ID at the sink' });
    await waitFor(async () => {
      const s = await statuses(second.url);
      return accepted.every((a) => s.get(a.id) === 'sent');
    }, { timeoutMs: 10_000, intervalMs: 200, message: 'every 202 message recorded as sent' });
    lap('all sent');
    const missing = accepted.filter((a) => !sink.ids.has(a.messageId));
    assert.deepEqual(missing, [], 'the sink got every accepted Message-ID');
    const duplicates = [...sink.ids.values()].reduce((n, c) => n + c - 1, 0);
    process.stdout.write(`# crash test: ${accepted.length} accepted (202) of ${TOTAL}, ${deliveredBeforeKill} delivered before kill -9, ${sink.total} deliveries in all, ${duplicates} duplicate(s)\n`);

    // Graceful: SIGTERM while delivering finishes SMTP transactions in flight, gives leases back, exits 0.
    const more = await flood(second.url, 300, 'term');
    assert.equal(more.length, 300);
    const before = sink.total;
    await waitFor(() => sink.total > before + 20, { message: 'delivery under way' });
    lap('term');
    second.child.kill('SIGTERM');
    assert.equal(await second.exited, 0);
    lap('exited');
    const store = await openStore(databaseUrl, { migrate: false });
    try {
      const leased = await store.db.selectFrom('messages').select('id').where('lease_owner', 'is not', null).execute();
      assert.deepEqual(leased, [], 'no message is left leased by the stopped server');
      const stuck = await store.db.selectFrom('messages').select('id').where('status', '=', 'sending').execute();
      assert.deepEqual(stuck, []);
    } finally {
      await store.close();
    }
  } finally {
    await sink.close();
  }
});
