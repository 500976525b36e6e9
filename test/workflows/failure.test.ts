import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { startSmtpPeer, type SmtpPeer } from '../helpers/smtp-peers.js';
import { callbackUrl, finishedRun, freePort, inbox, invoke, waitFor } from './util.js';

describe('a failed send', () => {
  let t: TestApp;
  let peer: SmtpPeer;
  before(async () => {
    peer = await startSmtpPeer({ rejectRecipient: () => ({ code: 550, message: '5.1.1 Recipient address rejected: User unknown in virtual mailbox table' }) });
    t = await startTestApp({ devSmtpPort: await freePort() });
    const conn = await t.api('POST', '/api/v1/connections', { name: 'strict', host: '127.0.0.1', port: peer.port, security: 'none', defaultFrom: 'robot@example.com' });
    assert.equal(conn.status, 201, JSON.stringify(conn.body));
    const res = await t.api('POST', '/api/v1/workflows', {
      name: 'notify-on-failure',
      definition: {
        triggers: { manual: { type: 'Request', kind: 'Http' } },
        actions: {
          Send: { type: 'SendEmail', inputs: { connection: 'strict', To: "@triggerBody()?['email']", Subject: 'Your invoice', Body: 'Attached.' }, runAfter: {} },
          Log_success: { type: 'Compose', inputs: 'sent', runAfter: { Send: ['Succeeded'] } },
          Tell_the_admin: {
            type: 'SendEmail',
            inputs: {
              connection: 'dev-inbox',
              To: 'admin@example.com',
              Subject: "Delivery to @{triggerBody()?['email']} failed",
              Body: "Status: @{actions('Send')?['status']}",
            },
            runAfter: { Send: ['Failed', 'TimedOut'] },
          },
        },
      },
    });
    assert.equal(res.status, 201, JSON.stringify(res.body));
  });
  after(async () => {
    await t.close();
    await peer.close();
  });

  test('marks the run Failed with the SMTP reply, and the runAfter Failed branch runs', async () => {
    const fired = await invoke(await callbackUrl(t, 'notify-on-failure'), { email: 'nobody@example.com' });
    assert.equal(fired.status, 202);
    const run = await finishedRun(t, 'notify-on-failure', fired.body.runId, 30_000);
    assert.equal(run.status, 'Failed');
    const send = run.actions.Send;
    assert.equal(send.status, 'Failed');
    assert.equal(send.attempts, 1, 'a permanent 5xx is not retried');
    assert.match(JSON.stringify(send.error), /550/);
    assert.match(JSON.stringify(send.error), /User unknown/);
    assert.match(JSON.stringify(run.error), /User unknown/, 'the run error carries the SMTP reply');
    assert.equal(run.actions.Log_success.status, 'Skipped');
    assert.equal(run.actions.Tell_the_admin.status, 'Succeeded');
    const note = await waitFor('the failure notice', async () => (await inbox(t)).find((m) => m.subject === 'Delivery to nobody@example.com failed'));
    assert.deepEqual(note.envelope.to, ['admin@example.com']);
  });
});
