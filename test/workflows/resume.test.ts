import assert from 'node:assert/strict';
import fs from 'node:fs';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { SMTPServer } from 'smtp-server';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { callbackUrl, finishedRun, freePort, invoke, waitFor } from './util.js';

// Retries of the unreachable server come quickly, so the test does not wait on production backoff.
process.env.SMTPFLOW_OUTBOX_BACKOFF_MS = '200';
process.env.SMTPFLOW_OUTBOX_BACKOFF_MAX_MS = '400';
process.env.SMTPFLOW_OUTBOX_POLL_MS = '100';

describe('a run interrupted by a restart', () => {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'smtpflow-resume-'));
  let t: TestApp | undefined;
  let server: SMTPServer | undefined;
  after(async () => {
    await t?.close();
    await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  test('resumes from its last finished action and sends its email once', async () => {
    const port = await freePort(); // nothing listens here until after the restart
    t = await startTestApp({ dataDir });
    const databaseUrl = t.app.config.databaseUrl;
    assert.equal((await t.api('POST', '/api/v1/connections', { name: 'later', host: '127.0.0.1', port, security: 'none', defaultFrom: 'robot@example.com' })).status, 201);
    const created = await t.api('POST', '/api/v1/workflows', {
      name: 'resumable',
      definition: {
        triggers: { manual: { type: 'Request', kind: 'Http' } },
        actions: {
          First: { type: 'Compose', inputs: "@toUpper(triggerBody()?['name'])", runAfter: {} },
          Send: { type: 'SendEmail', inputs: { connection: 'later', To: 'ops@example.com', Subject: "Hello @{outputs('First')}", Body: 'b' }, runAfter: { First: ['Succeeded'] } },
          Last: { type: 'Compose', inputs: "@body('Send')?['messageId']", runAfter: { Send: ['Succeeded'] } },
        },
      },
    });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const fired = await invoke(await callbackUrl(t, 'resumable'), { name: 'ada' });
    assert.equal(fired.status, 202);
    const runId: string = fired.body.runId;

    const before = await waitFor('the email to be waiting on retries', async () => {
      const run = (await t!.api('GET', `/api/v1/workflows/resumable/runs/${runId}`)).body;
      const retrying = (await t!.api('GET', '/api/v1/messages?status=retrying')).body.items;
      return run.actions?.Send?.status === 'Running' && retrying.length === 1 ? run : undefined;
    });
    await t.close();
    t = undefined;

    const received: string[] = [];
    server = new SMTPServer({
      authOptional: true,
      disabledCommands: ['STARTTLS'],
      logger: false,
      onData(stream, _session, callback) {
        const chunks: Buffer[] = [];
        stream.on('data', (c: Buffer) => chunks.push(c));
        stream.on('end', () => {
          received.push(Buffer.concat(chunks).toString('utf8'));
          callback();
        });
      },
    });
    await new Promise<void>((resolve) => server!.listen(port, '127.0.0.1', resolve));
    assert.equal((server.server.address() as AddressInfo).port, port);

    t = await startTestApp({ dataDir, databaseUrl });
    const run = await finishedRun(t, 'resumable', runId, 30_000);
    assert.equal(run.status, 'Succeeded', JSON.stringify(run.error));
    assert.equal(run.actions.First.startTime, before.actions.First.startTime, 'the finished action did not run again');
    assert.equal(run.actions.Send.attempts, 1, 'the resumed action waited for the message it had enqueued');
    assert.match(run.actions.Last.outputs, /^<.+>$/);
    assert.equal(received.length, 1);
    assert.match(received[0], /Subject: Hello ADA/);
    assert.ok(received[0].includes(run.actions.Last.outputs), 'the email that arrived is the one the run enqueued before the restart');
  });
});
