import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { runsOf, waitFor } from './util.js';

describe('Recurrence trigger', () => {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'smtpflow-recur-'));
  let t: TestApp | undefined;
  after(async () => {
    await t?.close();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  test('fires on schedule, and neither misses nor doubles a firing across a restart', async () => {
    t = await startTestApp({ dataDir });
    const databaseUrl = t.app.config.databaseUrl;
    const res = await t.api('POST', '/api/v1/workflows', {
      name: 'ticker',
      definition: {
        triggers: { Recurrence: { type: 'Recurrence', recurrence: { frequency: 'Second', interval: 1 } } },
        actions: { Stamp: { type: 'Compose', inputs: "tick at @{triggerBody()?['scheduledTime']}", runAfter: {} } },
      },
    });
    assert.equal(res.status, 201, JSON.stringify(res.body));
    const first = await waitFor('3 runs', async () => {
      const runs = await runsOf(t!, 'ticker');
      return runs.length >= 3 ? runs : undefined;
    });
    await t.close();
    t = await startTestApp({ dataDir, databaseUrl });
    await waitFor('2 more runs after the restart', async () => (await runsOf(t!, 'ticker')).length >= first.length + 2);
    assert.equal((await t.api('POST', '/api/v1/workflows/ticker/disable')).status, 200);
    const runs = await runsOf(t, 'ticker');
    const scheduled: number[] = [];
    for (const run of runs) {
      const detail = await waitFor(`run ${run.id} to end`, async () => {
        const r = await t!.api('GET', `/api/v1/workflows/ticker/runs/${run.id}`);
        return r.body.status !== 'Running' ? r.body : undefined;
      });
      assert.equal(detail.status, 'Succeeded');
      assert.match(detail.actions.Stamp.outputs, /^tick at \d{4}-/);
      scheduled.push(Date.parse(detail.trigger.outputs.body.scheduledTime));
    }
    assert.equal(new Set(scheduled).size, scheduled.length, 'no scheduled time fired twice');
    for (let i = 1; i < scheduled.length; i++) {
      assert.ok(scheduled[i] > scheduled[i - 1], 'firings come in schedule order');
      assert.equal((scheduled[i] - scheduled[0]) % 1000, 0, 'firings stay on the one-second grid of the first');
    }
    // Absence cannot be awaited: check instead that nothing is scheduled any more.
    const row = await t.app.store.db.selectFrom('workflow_triggers' as never).selectAll().executeTakeFirst() as { next_due_at: number | null } | undefined;
    assert.equal(row?.next_due_at, null, 'a disabled workflow has no next firing');
  });
});
