/**
 * `smtpflow worker --metrics-port`: a worker has no API, yet an orchestrator must be able to
 * probe it and Prometheus to scrape what it delivers. Real processes of the built CLI: an
 * API-only server and a worker on one database, delivering to a real SMTP server.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { TEST_ADMIN_KEY } from '../helpers/app.js';
import { testDatabaseUrl } from '../helpers/database.js';
import { startSmtpPeer, type SmtpPeer } from '../helpers/smtp-peers.js';
import { waitFor } from '../helpers/wait.js';
import { call, Cluster, type Proc } from '../helpers/cluster.js';
import { runCli } from '../cli/util.js';

describe('worker probes: /healthz, /readyz and /metrics of `smtpflow worker`', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'smtpflow-probes-'));
  let cluster: Cluster;
  let api: Proc;
  let worker: Proc;
  let peer: SmtpPeer;

  before(async () => {
    peer = await startSmtpPeer();
    cluster = new Cluster(await testDatabaseUrl(dir), dir);
    await cluster.migrate();
    [api, worker] = await Promise.all([cluster.serve(), cluster.worker(['--metrics-port', '0'])]);
  });
  after(async () => {
    await cluster?.stopAll();
    await peer?.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  test('the worker is probed and scraped on its own port; what it delivers is counted there', async () => {
    assert.match(worker.probeUrl ?? '', /^http:\/\/127\.0\.0\.1:\d+$/, 'the banner says where the probes answer');
    const health = await fetch(`${worker.probeUrl}/healthz`);
    assert.equal(health.status, 200);
    assert.deepEqual(await health.json(), { status: 'ok' });
    const ready = await fetch(`${worker.probeUrl}/readyz`);
    assert.equal(ready.status, 200);
    assert.deepEqual(await ready.json(), { status: 'ready', checks: { database: true, workers: true } });

    assert.equal((await call(api.url!, 'POST', '/api/v1/connections', { name: 'peer', host: peer.host, port: peer.port, security: 'none' })).status, 201);
    const accepted = await fetch(`${api.url}/api/v1/connections/peer/send-email`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TEST_ADMIN_KEY}`, 'content-type': 'application/json', prefer: 'respond-async' },
      body: JSON.stringify({ From: 'probe@example.com', To: 'ops@example.com', Subject: 'counted by the worker', Body: 'hello' }),
    });
    assert.equal(accepted.status, 202);
    await peer.waitForMessages(1, 30_000);
    // The API process has no worker: the one delivery is the worker's, and its /metrics says so.
    const scraped = await waitFor(
      async () => {
        const text = await (await fetch(`${worker.probeUrl}/metrics`)).text();
        return /^smtpflow_messages_total\{connection="peer",status="sent"\} 1$/m.test(text) ? text : undefined;
      },
      { message: 'the sent message in the worker\'s metrics', timeoutMs: 15_000 },
    );
    assert.match(scraped, /^smtpflow_send_duration_seconds_count\{connection="peer",outcome="sent"\} 1$/m);
    assert.match(scraped, /^smtpflow_process_resident_memory_bytes \d+/m);

    const elsewhere = await fetch(`${worker.probeUrl}/api/v1/messages`);
    assert.equal(elsewhere.status, 404);
    assert.match(((await elsewhere.json()) as { error: { message: string } }).error.message, /answers \/healthz, \/readyz and \/metrics only/);
    assert.equal((await fetch(`${worker.probeUrl}/metrics`, { method: 'POST' })).status, 405);
  });

  test('SIGTERM: the worker stops cleanly and its probe port closes', async () => {
    worker.child.kill('SIGTERM');
    assert.equal(await worker.exited, 0);
    await assert.rejects(fetch(`${worker.probeUrl}/healthz`), 'nothing listens any more');
  });

  test('a port that is not a port is refused with the flag named', async () => {
    const result = await runCli(['worker', '--metrics-port', 'http'], { env: { SMTPFLOW_DATA_DIR: dir } });
    assert.equal(result.code, 1);
    assert.match(result.stderr, /--metrics-port must be a port number from 0 to 65535 \(0 takes any free port\), got 'http'/);
  });
});
