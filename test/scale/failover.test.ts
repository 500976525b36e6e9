/**
 * One API-only process and two workers on PostgreSQL. A message accepted by the API process is
 * delivered by an idle worker woken by NOTIFY (their polling is off). A Request trigger called
 * on the API process runs on a worker and its caller gets the Response. Recurrence failover: two workers race for every due time of a once-a-second trigger, the one
 * that fired last is killed with kill -9, the other fires the following due times and finishes
 * the run the dead one left, and no due time ever fires twice.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { openStore, type Store } from '../../src/store/db.js';
import { wfdb } from '../../src/workflows/tables.js';
import { testDatabaseUrl } from '../helpers/database.js';
import { TEST_ADMIN_KEY } from '../helpers/app.js';
import { waitFor } from '../helpers/wait.js';
import { call, Cluster, NEEDS_POSTGRES, type Proc } from '../helpers/cluster.js';
import { startCountingSink } from '../helpers/counting-sink.js';

const firings = (p: Proc): Array<{ run: string; scheduledTime: string }> => p.logs.filter((l) => l.msg === 'trigger fired' && l.workflow === 'ticker') as never;

describe('one API process and two workers', { skip: NEEDS_POSTGRES, timeout: 90_000 }, () => {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'smtpflow-failover-'));
  let cluster: Cluster;
  let store: Store;
  let api: Proc;
  let workers: Proc[];
  before(async () => {
    const databaseUrl = await testDatabaseUrl(dataDir);
    // Info level: the workers' 'trigger fired' and take-over lines say which process did what.
    // Polling every 10 minutes: only a NOTIFY can tell a worker of a message the API process accepted.
    // A short outbox lease: the heartbeat (a third of it) gives an idle worker's sessions back soon.
    cluster = new Cluster(databaseUrl, dataDir, {
      SMTPFLOW_LOG_LEVEL: 'info',
      SMTPFLOW_WORKFLOW_LEASE_MS: '2000',
      SMTPFLOW_DATABASE_POOL_SIZE: '3',
      SMTPFLOW_OUTBOX_POLL_MS: '600000',
      SMTPFLOW_OUTBOX_LEASE_MS: '3000',
    });
    store = await openStore(databaseUrl, { migrate: false });
    [api, ...workers] = await Promise.all([cluster.serve(), cluster.worker(), cluster.worker()]);
  });
  after(async () => {
    await store?.close();
    await cluster?.stopAll();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  test('a message accepted by the API process is delivered by an idle worker, woken by NOTIFY', async () => {
    const sink = await startCountingSink();
    try {
      assert.equal((await call(api.url!, 'POST', '/api/v1/connections', { name: 'sink', host: '127.0.0.1', port: sink.port, security: 'none', defaultFrom: 'wake@example.com' })).status, 201);
      for (const n of [1, 2, 3]) {
        const res = await fetch(`${api.url}/api/v1/connections/sink/send-email`, {
          method: 'POST',
          headers: { authorization: `Bearer ${TEST_ADMIN_KEY}`, 'content-type': 'application/json', prefer: 'respond-async' },
          body: JSON.stringify({ To: 'ada@example.com', Subject: `queued ${n}`, Body: '.' }),
        });
        assert.equal(res.status, 202);
        const { messageId } = (await res.json()) as { messageId: string };
        // Well inside the 10-minute poll: only the NOTIFY sent when the message was committed can have woken a worker.
        await waitFor(() => sink.ids.has(messageId), { timeoutMs: 20_000, message: `message ${n} at the sink` });
      }
    } finally {
      await sink.close();
    }
  });

  test('a Request trigger called on an API-only process runs on a worker; the caller gets its Response', async () => {
    const created = await call(api.url!, 'POST', '/api/v1/workflows', {
      name: 'greet',
      definition: {
        triggers: { manual: { type: 'Request', kind: 'Http' } },
        actions: {
          Greeting: { type: 'Compose', inputs: "Hello, @{triggerBody()?['name']}", runAfter: {} },
          Answer: { type: 'Response', kind: 'Http', inputs: { statusCode: 201, body: { greeting: "@outputs('Greeting')" } }, runAfter: { Greeting: ['Succeeded'] } },
        },
      },
    });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const url = (await call(api.url!, 'GET', '/api/v1/workflows/greet/triggers/manual/callback-url')).body.value as string;
    const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: 'Ada' }) });
    assert.equal(res.status, 201);
    assert.deepEqual(await res.json(), { greeting: 'Hello, Ada' });
    const runId = res.headers.get('x-ms-workflow-run-id');
    assert.ok(runId);
    const ended = (p: Proc): boolean => p.logs.some((l) => l.run === runId && l.msg === 'workflow run ended');
    const executor = await waitFor(() => workers.find(ended), { message: 'a worker ending the run' });
    assert.ok(executor.logs.some((l) => l.run === runId && l.msg.startsWith('taking over a workflow run')), 'the worker claimed it');
    assert.ok(!ended(api) && !workers.some((w) => w !== executor && ended(w)), 'no other process ran it');
    const run = await call(api.url!, 'GET', `/api/v1/workflows/greet/runs/${runId}`);
    assert.equal(run.body.status, 'Succeeded');
  });

  test('the process firing a Recurrence trigger dies: another fires the next due times, none fires twice', async () => {
    const created = await call(api.url!, 'POST', '/api/v1/workflows', {
      name: 'ticker',
      definition: {
        triggers: { Every_second: { type: 'Recurrence', recurrence: { frequency: 'Second', interval: 1 } } },
        actions: { Stamp: { type: 'Compose', inputs: "@{triggerBody()?['scheduledTime']}", runAfter: {} } },
      },
    });
    assert.equal(created.status, 201, JSON.stringify(created.body));

    await waitFor(() => workers.find((w) => firings(w).length > 0), { timeoutMs: 15_000, message: 'a first firing' });
    // Kill whoever fires next, right after it fired (its run may still be under way).
    const seen = new Map(workers.map((w) => [w, firings(w).length]));
    const victim = await waitFor(() => workers.find((w) => firings(w).length > seen.get(w)!), { timeoutMs: 5_000, message: 'a further firing' });
    await cluster.kill(victim);
    const survivor = workers.find((w) => w !== victim)!;
    const lastOfVictim = firings(victim).at(-1)!;
    const killedAt = Date.now();

    // The survivor fires the due times after the kill, and finishes whatever the victim left running.
    await waitFor(() => firings(survivor).filter((f) => Date.parse(f.scheduledTime) > killedAt).length >= 2, { timeoutMs: 15_000, message: 'the survivor firing two due times after the kill' });
    assert.equal((await call(api.url!, 'POST', '/api/v1/workflows/ticker/disable')).status, 200);
    const runs = await waitFor(
      async () => {
        const rows = await wfdb(store).selectFrom('workflow_runs').select(['id', 'status', 'trigger_outputs']).where('workflow', '=', 'ticker').execute();
        return rows.every((r) => r.status !== 'Running') ? rows : undefined;
      },
      { timeoutMs: 15_000, message: 'every run ended (the victim\'s resumed once its lease ran out)' },
    );

    const scheduled = runs.map((r) => JSON.parse(r.trigger_outputs).body.scheduledTime as string);
    const fired = [...firings(victim), ...firings(survivor)];
    process.stdout.write(`# failover: ${runs.length} runs; victim fired ${firings(victim).length} (last ${lastOfVictim.scheduledTime}), survivor fired ${firings(survivor).length}\n`);
    assert.equal(new Set(scheduled).size, scheduled.length, `no due time fired twice: ${scheduled.sort().join(', ')}`);
    assert.equal(fired.length, runs.length, 'every run was fired by one of the two workers, and logged');
    assert.deepEqual(runs.filter((r) => r.status !== 'Succeeded').map((r) => r.id), [], 'every run succeeded, the one the victim left included');
    assert.equal(runs.find((r) => r.id === lastOfVictim.run)?.status, 'Succeeded');
  });
});
