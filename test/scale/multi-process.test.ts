/**
 * SPEC §6 "At scale", on PostgreSQL: two API processes (`serve --no-worker`) and three workers
 * share one database. 10,000 asynchronous sends, half through each API process, go to a real
 * SMTP sink through one connection with maxConnections and a rate limit. A worker is killed
 * with kill -9 while delivering. Every accepted message arrives; the only duplicates are
 * messages the killed worker held (counted and printed); the rate limit and maxConnections
 * hold across all processes together.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { openStore } from '../../src/store/db.js';
import { TEST_ADMIN_KEY } from '../helpers/app.js';
import { ROOT } from '../helpers/bin.js';
import { testDatabaseUrl } from '../helpers/database.js';
import { waitFor } from '../helpers/wait.js';
import { call, Cluster, NEEDS_POSTGRES } from '../helpers/cluster.js';
import { busiestWindow, startCountingSink } from '../helpers/counting-sink.js';

const TOTAL = 10_000;
/** Below what the cluster delivers on a 2-core machine once the sends are in, so the limit binds; 10,000 take at least 40 s. */
const RATE = { messages: 250, perSeconds: 1 };
const MAX_CONNECTIONS = 6;

/** Asynchronous sends from a process of their own (bench/load.ts), so that the sink's clock is not held up by them. */
function flood(url: string, count: number): Promise<{ ok: number; ms: number }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'bench/load.ts', 'async', url, TEST_ADMIN_KEY, String(count), '24'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.on('close', (code) => (code === 0 ? resolve(JSON.parse(out.trim().split('\n').pop()!)) : reject(new Error(`load generator exited ${code}`))));
  });
}

test('2 API processes + 3 workers: 10,000 sends each arrive, the rate limit and maxConnections hold across processes, kill -9 of a worker loses nothing', { skip: NEEDS_POSTGRES, timeout: 180_000 }, async () => {
  const t0 = performance.now();
  const lap = (what: string): void => void process.stdout.write(`# ${what} at ${Math.round(performance.now() - t0)} ms\n`);
  const sink = await startCountingSink();
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'smtpflow-scale-'));
  const databaseUrl = await testDatabaseUrl(dataDir);
  // Leases long enough that a busy live worker keeps its messages, short enough that the dead one's return soon.
  const cluster = new Cluster(databaseUrl, dataDir, { SMTPFLOW_OUTBOX_LEASE_MS: '5000', SMTPFLOW_OUTBOX_POLL_MS: '250', SMTPFLOW_DATABASE_POOL_SIZE: '4' });
  const store = await openStore(databaseUrl, { migrate: false });
  try {
    assert.match(await cluster.migrate(), /PostgreSQL .*: applied 001_initial, .*005_scale/);
    const [api1, api2, victim, ...survivors] = await Promise.all([cluster.serve(), cluster.serve(), cluster.worker(), cluster.worker(), cluster.worker()]);
    lap('5 processes up');
    const created = await call(api1.url!, 'POST', '/api/v1/connections', {
      name: 'sink', host: '127.0.0.1', port: sink.port, security: 'none', defaultFrom: 'scale@example.com', maxConnections: MAX_CONNECTIONS, rateLimit: RATE,
    });
    assert.equal(created.status, 201, JSON.stringify(created.body));

    const floods = Promise.all([flood(api1.url!, TOTAL / 2), flood(api2.url!, TOTAL / 2)]);
    await waitFor(() => sink.total >= TOTAL * 0.4, { timeoutMs: 90_000, intervalMs: 20, message: '40 % delivered before the kill' });
    // Killed while it holds messages (claimed, or in an SMTP transaction), not between two claims.
    const holding = store.db.selectFrom('messages').select('id').where('lease_owner', '=', victim.owner!).where('status', '=', 'sending').limit(1);
    await waitFor(async () => (await holding.execute()).length > 0, { timeoutMs: 30_000, intervalMs: 10, message: 'the victim holding messages' });
    await cluster.kill(victim);
    lap(`worker ${victim.owner} killed with ${sink.total} delivered`);
    // What the dead worker held: the only messages that may arrive twice.
    const held = new Set(
      (await store.db.selectFrom('messages').select('message_id').where('lease_owner', '=', victim.owner!).where('status', '=', 'sending').execute()).map((r) => r.message_id),
    );
    const [a, b] = await floods;
    lap(`accepted ${a.ok} + ${b.ok}`);
    assert.equal(a.ok + b.ok, TOTAL, 'every request answered 202');

    const rows = await store.db.selectFrom('messages').select(['message_id', 'status']).execute();
    assert.equal(rows.length, TOTAL, 'every 202 is a stored message');
    await waitFor(() => rows.every((r) => sink.ids.has(r.message_id)), { timeoutMs: 90_000, intervalMs: 100, message: 'every accepted Message-ID at the sink' });
    await waitFor(async () => Number((await store.db.selectFrom('messages').select((eb) => eb.fn.countAll().as('n')).where('status', '=', 'sent').executeTakeFirstOrThrow()).n) === TOTAL, {
      timeoutMs: 15_000,
      intervalMs: 100,
      message: 'every message recorded as sent',
    });
    lap('all delivered and recorded');

    const known = new Set(rows.map((r) => r.message_id));
    assert.deepEqual([...sink.ids.keys()].filter((id) => !known.has(id)), [], 'the sink got nothing that was not accepted');
    const doubled = [...sink.ids].filter(([, n]) => n > 1);
    const duplicates = doubled.reduce((sum, [, n]) => sum + n - 1, 0);
    assert.deepEqual(doubled.filter(([id]) => !held.has(id)), [], 'only messages the killed worker held were sent twice');

    const windowMs = RATE.perSeconds * 1000;
    const busiest = busiestWindow(sink.times, windowMs);
    const spanS = (sink.times[sink.times.length - 1] - sink.times[0]) / 1000;
    const mean = (sink.total - 1) / spanS;
    process.stdout.write(
      `# scale: ${TOTAL} accepted via 2 API processes, ${sink.total} deliveries by 3 workers (one killed -9 holding ${held.size}), ${duplicates} duplicate(s); ` +
        `rate limit ${RATE.messages}/${RATE.perSeconds} s: busiest ${RATE.perSeconds} s window ${busiest}, mean ${mean.toFixed(0)}/s over ${spanS.toFixed(1)} s; ` +
        `peak concurrent SMTP transactions ${sink.peakTransactions} (maxConnections ${MAX_CONNECTIONS})\n`,
    );
    // The limit is enforced where sends are reserved; the sink's clock sees them a little later, hence the 10 % margin.
    assert.ok(busiest <= RATE.messages * 1.1, `busiest window ${busiest} > ${RATE.messages} + 10 %`);
    assert.ok(mean <= (RATE.messages / RATE.perSeconds) * 1.1, `mean rate ${mean.toFixed(0)}/s above the limit + 10 %`);
    assert.ok(sink.peakTransactions <= MAX_CONNECTIONS, `${sink.peakTransactions} transactions at once > maxConnections ${MAX_CONNECTIONS}`);
    assert.ok(survivors.every((w) => w.child.exitCode === null), 'the other workers still run');
    const troubles = cluster.procs.flatMap((p) => p.logs.filter((l) => l.level >= 50));
    assert.deepEqual(troubles.slice(0, 3), [], `${troubles.length} error lines in the processes' logs`);
  } finally {
    await store.close();
    await cluster.stopAll();
    await sink.close();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
});
