/**
 * Recurrence failover on PostgreSQL: two workers race for every due time of a once-a-second
 * trigger; the one that fired last is killed with kill -9; the other fires the following due
 * times, finishes the run the dead one left, and no due time ever fires twice.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { openStore } from '../../src/store/db.js';
import { wfdb } from '../../src/workflows/tables.js';
import { testDatabaseUrl } from '../helpers/database.js';
import { waitFor } from '../helpers/wait.js';
import { call, Cluster, NEEDS_POSTGRES, type Proc } from './cluster.js';

const firings = (p: Proc): Array<{ run: string; scheduledTime: string }> => p.logs.filter((l) => l.msg === 'trigger fired' && l.workflow === 'ticker') as never;

test('the process firing a Recurrence trigger dies: another fires the next due times, none fires twice', { skip: NEEDS_POSTGRES, timeout: 90_000 }, async () => {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'smtpflow-failover-'));
  const databaseUrl = await testDatabaseUrl(dataDir);
  // Info level: the workers' 'trigger fired' lines say which process fired which due time.
  const cluster = new Cluster(databaseUrl, dataDir, { SMTPFLOW_LOG_LEVEL: 'info', SMTPFLOW_WORKFLOW_LEASE_MS: '2000', SMTPFLOW_DATABASE_POOL_SIZE: '3' });
  const store = await openStore(databaseUrl, { migrate: false });
  try {
    const [api, ...workers] = await Promise.all([cluster.serve(), cluster.worker(), cluster.worker()]);
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
        const rows = await wfdb(store).selectFrom('workflow_runs').select(['id', 'status', 'trigger_outputs']).execute();
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
  } finally {
    await store.close();
    await cluster.stopAll();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
});
