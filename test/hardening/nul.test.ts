/**
 * NUL (U+0000) in names, ids, query values and bodies: a 400 naming the field, on both
 * dialects (PostgreSQL text cannot hold NUL: unrefused, it failed in the database as a 500).
 * A Request trigger's payload is someone else's data and is kept, NUL and all; an email built
 * from it is refused at the Send Email action, which fails with the reason.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { callbackUrl, finishedRun, invoke } from '../workflows/util.js';

const NUL = 'a\u0000b';

describe('NUL characters', () => {
  let t: TestApp;
  before(async () => {
    t = await startTestApp();
    // Never reached: every message here is refused before it is queued.
    assert.equal((await t.api('POST', '/api/v1/connections', { name: 'out', host: '127.0.0.1', port: 9, security: 'none' })).status, 201);
  });
  after(() => t.close());

  test('are refused with 400 InvalidCharacter and the field, wherever a request carries them', async () => {
    const cases: Array<[string, string, unknown, string]> = [
      ['POST', '/api/v1/connections', { name: 'c1', host: NUL, port: 25, security: 'none' }, 'host'],
      ['POST', '/api/v1/connections', { name: 'c2', host: 'localhost', port: 25, security: 'none', defaultFrom: NUL }, 'defaultFrom'],
      ['POST', '/api/v1/keys', { name: NUL, scope: 'read' }, 'name'],
      ['POST', '/api/v1/workflows', { name: 'w', definition: { triggers: { manual: { type: 'Request' } }, actions: { C: { type: 'Compose', inputs: NUL } } } }, 'definition.actions.C.inputs'],
      ['POST', '/api/v1/connections/out/send-email', { To: 'a@example.com', Subject: NUL, Body: 'b' }, 'Subject'],
      ['POST', '/api/v1/connections/out/send-email', { To: 'a@example.com', Subject: 's', Body: 'b', Attachments: [{ FileName: NUL, ContentData: 'aGk=' }] }, 'Attachments[0].FileName'],
      ['GET', `/api/v1/messages?connection=${encodeURIComponent(NUL)}`, undefined, 'connection'],
      ['GET', `/api/v1/connections/${encodeURIComponent(NUL)}`, undefined, 'name'],
      ['GET', `/api/v1/messages/${encodeURIComponent(NUL)}`, undefined, 'id'],
      ['GET', `/api/v1/workflows/${encodeURIComponent(NUL)}/runs`, undefined, 'name'],
    ];
    for (const [method, path, body, field] of cases) {
      const res = await t.api(method, path, body);
      assert.equal(res.status, 400, `${method} ${path}: ${JSON.stringify(res.body)}`);
      assert.equal(res.body.error.code, 'InvalidCharacter');
      assert.equal(res.body.error.field, field);
      assert.match(res.body.error.message, /contains a NUL character \(U\+0000\).*remove it/);
    }
    assert.equal((await t.api('GET', '/readyz', undefined, { key: null })).status, 200, 'nothing broke');
  });

  test("a Request trigger keeps a payload with NUL; the email built from it fails the run with the reason", async () => {
    const definition = {
      triggers: { manual: { type: 'Request' } },
      actions: { Send: { type: 'SendEmail', inputs: { connection: 'out', To: 'a@example.com', Subject: "@{triggerBody()?['title']}", Body: 'b' } } },
    };
    const saved = await t.api('POST', '/api/v1/workflows', { name: 'nul-payload', definition });
    assert.equal(saved.status, 201, JSON.stringify(saved.body));
    const fired = await invoke(await callbackUrl(t, 'nul-payload'), { title: NUL });
    assert.equal(fired.status, 202, JSON.stringify(fired.body));
    const run = await finishedRun(t, 'nul-payload', fired.body.runId ?? fired.headers.get('x-ms-workflow-run-id'));
    assert.equal(run.status, 'Failed');
    assert.equal(run.trigger.outputs.body.title, NUL, 'the payload is kept as it came');
    assert.equal(run.error.code, 'InvalidCharacter');
    assert.match(run.error.message, /Subject contains a NUL character/);
  });
});
