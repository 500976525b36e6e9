import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { callbackUrl, finishedRun, freePort, inbox, invoke, runsOf, waitFor } from './util.js';

const NOTE = 'Ünïcode note: 3 × 4 = 12\n';

const definition = {
  $schema: 'https://schema.management.azure.com/providers/Microsoft.Logic/schemas/2016-06-01/workflowdefinition.json#',
  contentVersion: '1.0.0.0',
  parameters: { $connections: { defaultValue: {}, type: 'Object' } },
  triggers: {
    manual: {
      type: 'Request',
      kind: 'Http',
      inputs: {
        schema: {
          type: 'object',
          properties: {
            email: { type: 'string' },
            name: { type: 'string' },
            note: { type: 'string' },
            files: { type: 'array', items: { type: 'object', properties: { name: { type: 'string' }, data: { type: 'string' } }, required: ['name', 'data'] } },
          },
          required: ['email', 'name'],
        },
      },
    },
  },
  actions: {
    Send_an_email: {
      type: 'ApiConnection',
      inputs: {
        host: { connection: { name: "@parameters('$connections')['smtp']['connectionId']" } },
        method: 'post',
        path: '/SendEmailV2',
        body: {
          To: "@{triggerBody()?['name']} <@{triggerBody()?['email']}>",
          Subject: "Welcome, @{triggerBody()?['name']}!",
          Body: "Hello @{triggerBody()?['name']}, here is your note.",
          Attachments: [
            { ContentData: "@{base64(triggerBody()?['note'])}", ContentType: 'text/plain', ContentTransferEncoding: 'base64', FileName: 'note.txt' },
            { ContentData: "@{triggerBody()?['files']?[0]?['data']}", ContentType: 'application/octet-stream', ContentTransferEncoding: 'base64', FileName: "@{triggerBody()?['files']?[0]?['name']}" },
          ],
        },
      },
      runAfter: {},
    },
    Response: {
      type: 'Response',
      kind: 'Http',
      inputs: { statusCode: 200, body: { sent: true, messageId: "@body('Send_an_email')?['messageId']", to: "@triggerBody()?['email']" } },
      runAfter: { Send_an_email: ['Succeeded'] },
    },
  },
  outputs: {},
};

describe('Request trigger → SMTP Send Email → Response', () => {
  let t: TestApp;
  let url: string;
  before(async () => {
    t = await startTestApp({ devSmtpPort: await freePort() });
    const res = await t.api('POST', '/api/v1/workflows', {
      name: 'welcome',
      definition,
      parameters: { $connections: { value: { smtp: { connectionId: '/subscriptions/x/resourceGroups/y/providers/Microsoft.Web/connections/dev-inbox' } } } },
    });
    assert.equal(res.status, 201, JSON.stringify(res.body));
    url = await callbackUrl(t, 'welcome');
  });
  after(() => t.close());

  test('the callback URL is absolute, signed, and the method is POST', async () => {
    const res = await t.api('GET', '/api/v1/workflows/welcome/triggers/manual/callback-url');
    assert.equal(res.status, 200);
    assert.equal(res.body.method, 'POST');
    assert.ok(res.body.value.startsWith(`${t.url}/api/v1/workflows/welcome/triggers/manual/invoke?sig=`), res.body.value);
    assert.equal((await t.api('GET', '/api/v1/workflows/welcome/triggers/nope/callback-url')).status, 404);
    const azureStyle = await t.api('POST', '/api/v1/workflows/welcome/triggers/manual/listCallbackUrl');
    assert.deepEqual(azureStyle.body, res.body);
  });

  test('the email built from the trigger body reaches the SMTP server, and the caller gets the Response', async () => {
    const fileData = Buffer.from([0, 1, 2, 250, 251, 252]).toString('base64');
    const res = await invoke(url, { email: 'ada@example.com', name: 'Ada', note: NOTE, files: [{ name: 'blob.bin', data: fileData }] });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.equal(res.body.sent, true);
    assert.equal(res.body.to, 'ada@example.com');
    assert.match(res.body.messageId, /^<.+>$/);
    assert.ok(res.headers.get('x-ms-workflow-run-id'));

    const caught = await waitFor('the email in the dev inbox', async () => (await inbox(t)).find((m) => m.subject === 'Welcome, Ada!'));
    assert.deepEqual(caught.envelope.to, ['ada@example.com']);
    assert.match(caught.to, /Ada.*ada@example\.com/);
    const detail = (await t.api('GET', `/api/v1/inbox/${caught.id}`)).body;
    assert.match(detail.text, /Hello Ada, here is your note\./);
    const byName = Object.fromEntries(detail.attachments.map((a: { filename: string }) => [a.filename, a]));
    assert.equal(byName['note.txt'].size, Buffer.byteLength(NOTE));
    assert.equal(byName['blob.bin'].size, 6);
    const note = await fetch(`${t.url}/api/v1/inbox/${caught.id}/attachments/${byName['note.txt'].index}`, { headers: { authorization: `Bearer test-admin-key-7f3c9a1e5b2d4f60` } });
    assert.equal(await note.text(), NOTE);
    assert.equal(detail.messageId, res.body.messageId);
  });

  test('the run records trigger outputs and each action with inputs, outputs, status, attempts and times', async () => {
    const runs = await runsOf(t, 'welcome');
    const run = await finishedRun(t, 'welcome', runs[runs.length - 1].id);
    assert.equal(run.status, 'Succeeded');
    assert.equal(run.trigger.name, 'manual');
    assert.equal(run.trigger.outputs.body.email, 'ada@example.com');
    const send = run.actions.Send_an_email;
    assert.equal(send.status, 'Succeeded');
    assert.equal(send.attempts, 1);
    assert.equal(send.inputs.connection, 'dev-inbox');
    assert.equal(send.inputs.body.Subject, 'Welcome, Ada!');
    assert.match(send.outputs.body.messageId, /^<.+>$/);
    assert.ok(Date.parse(send.startTime) <= Date.parse(send.endTime));
    assert.equal(run.actions.Response.status, 'Succeeded');
    assert.equal(run.actions.Response.outputs.statusCode, 200);
    assert.equal(JSON.stringify(run).includes('sig='), false, 'the signature is not recorded');
    const sig = new URL(url).searchParams.get('sig')!;
    assert.equal(t.logs().includes(sig), false, 'the signature is not logged');
  });

  test('a wrong or missing signature is 401, and a body that breaks the schema is 400 with paths', async () => {
    const forged = url.replace(/sig=[^&]+/, 'sig=AAAA');
    assert.equal((await invoke(forged, { email: 'x@example.com', name: 'X' })).status, 401);
    assert.equal((await invoke(url.replace(/\?sig=.*$/, ''), { email: 'x@example.com', name: 'X' })).status, 401);
    const other = url.replace('/welcome/', '/other/');
    assert.equal((await invoke(other, {})).status, 401, 'a signature covers one workflow and trigger only');
    const bad = await invoke(url, { email: 42, files: [{ name: 'a' }] });
    assert.equal(bad.status, 400);
    assert.equal(bad.body.error.code, 'InvalidTriggerBody');
    const paths = bad.body.error.problems.map((p: { path: string }) => p.path).sort();
    assert.deepEqual(paths, ['body.email', 'body.files[0].data', 'body.name']);
  });

  test('a workflow without a Response action answers 202 with the run id; resubmit runs it again', async () => {
    const { Response: _r, ...actions } = definition.actions;
    const put = await t.api('PUT', '/api/v1/workflows/fire-and-forget', {
      definition: { ...definition, actions },
      parameters: { $connections: { value: { smtp: { connectionName: 'dev-inbox' } } } },
    });
    assert.equal(put.status, 201, JSON.stringify(put.body));
    const res = await invoke(await callbackUrl(t, 'fire-and-forget'), { email: 'bob@example.com', name: 'Bob', note: 'n', files: [{ name: 'f.bin', data: 'AA==' }] });
    assert.equal(res.status, 202);
    assert.match(res.body.runId, /^run_/);
    const run = await finishedRun(t, 'fire-and-forget', res.body.runId);
    assert.equal(run.status, 'Succeeded');

    const again = await t.api('POST', `/api/v1/workflows/fire-and-forget/runs/${res.body.runId}/resubmit`);
    assert.equal(again.status, 202);
    assert.equal(again.body.resubmittedFrom, res.body.runId);
    const second = await finishedRun(t, 'fire-and-forget', again.body.runId);
    assert.equal(second.status, 'Succeeded');
    await waitFor('two emails to Bob', async () => (await inbox(t)).filter((m) => m.subject === 'Welcome, Bob!').length === 2);
  });

  test('a disabled workflow refuses invocations; rotating the key invalidates old URLs', async () => {
    assert.equal((await t.api('POST', '/api/v1/workflows/welcome/disable')).status, 200);
    assert.equal((await invoke(url, { email: 'x@example.com', name: 'X' })).status, 409);
    assert.equal((await t.api('POST', '/api/v1/workflows/welcome/enable')).status, 200);
    assert.equal((await t.api('POST', '/api/v1/workflows/callback-key/rotate')).status, 200);
    assert.equal((await invoke(url, { email: 'x@example.com', name: 'X' })).status, 401);
    const fresh = await callbackUrl(t, 'welcome');
    assert.notEqual(fresh, url);
  });
});
