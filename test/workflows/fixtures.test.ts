import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, test } from 'node:test';
import { startTestApp, TEST_ADMIN_KEY, type TestApp } from '../helpers/app.js';
import { SMTPFLOW_BIN } from '../helpers/bin.js';
import { callbackUrl, finishedRun, freePort, inbox, invoke, waitFor } from './util.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const fixture = (name: string): string => path.join(here, 'fixtures', `${name}.json`);
const root = path.resolve(here, '../..');

/** The real CLI in a child process, against the test app (asynchronous: the app runs in this process). */
function cli(t: TestApp, ...args: string[]): Promise<{ status: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [SMTPFLOW_BIN, 'workflows', ...args],
      { cwd: root, env: { ...process.env, SMTPFLOW_URL: t.url, SMTPFLOW_API_KEY: TEST_ADMIN_KEY }, encoding: 'utf8', timeout: 60_000 },
      (err, stdout, stderr) => resolve({ status: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

describe('Logic Apps definitions (code-view JSON) import and run', () => {
  let t: TestApp;
  before(async () => {
    t = await startTestApp({ devSmtpPort: await freePort() });
  });
  after(() => t.close());

  test('`smtpflow workflows import` takes the three fixtures; list and export show them', async () => {
    for (const name of ['order-confirmation', 'newsletter-foreach', 'ticket-triage']) {
      const out = await cli(t, 'import', fixture(name));
      assert.equal(out.status, 0, out.stderr);
      assert.match(out.stdout, new RegExp(`imported workflow '${name}'`));
    }
    const list = await cli(t, 'list');
    assert.equal(list.status, 0, list.stderr);
    assert.match(list.stdout, /newsletter-foreach\s+Enabled\s+1\s+manual \(Request\)\s+1\s/);
    const exported = await cli(t, 'export', 'ticket-triage');
    assert.equal(exported.status, 0, exported.stderr);
    const original = JSON.parse(fs.readFileSync(fixture('ticket-triage'), 'utf8'));
    assert.deepEqual(JSON.parse(exported.stdout), original, 'export gives back what was imported');
    const disabled = await cli(t, 'disable', 'ticket-triage');
    assert.match(disabled.stdout, /is Disabled/);
    assert.match((await cli(t, 'enable', 'ticket-triage')).stdout, /is Enabled/);
    const missing = await cli(t, 'export', 'nope');
    assert.notEqual(missing.status, 0);
    assert.match(missing.stderr, /NotFound: No workflow named 'nope'/);
  });

  test('order-confirmation: Compose, SMTP /SendEmailV2 with parameters, Response with the Message-ID', async () => {
    const res = await invoke(await callbackUrl(t, 'order-confirmation'), { orderId: 'A-1001', customer: { name: 'Grace', email: 'grace@example.com' }, total: 12.5 });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.equal(res.body.orderId, 'A-1001');
    const mail = await waitFor('the confirmation', async () => (await inbox(t)).find((m) => m.subject === 'Example Shop: order A-1001 confirmed'));
    assert.equal(mail.messageId, res.body.messageId);
    const detail = (await t.api('GET', `/api/v1/inbox/${mail.id}`)).body;
    assert.match(detail.html, /<p>Hello Grace, your order A-1001 is confirmed\.<\/p>/);
    assert.ok(detail.text, 'a plain-text alternative is generated');
  });

  test('newsletter-foreach: one email per array element, at most 2 at a time', async () => {
    const recipients = ['ann', 'ben', 'cai', 'dan', 'eve'].map((n) => ({ name: n.toUpperCase(), email: `${n}@example.com` }));
    const res = await invoke(await callbackUrl(t, 'newsletter-foreach'), { subject: 'Newsletter #7', recipients });
    assert.equal(res.status, 202);
    const run = await finishedRun(t, 'newsletter-foreach', res.body.runId);
    assert.equal(run.status, 'Succeeded', JSON.stringify(run.error));
    assert.equal(run.actions.For_each_recipient.status, 'Succeeded');
    const reps = run.actions.Send_Email.repetitions;
    assert.deepEqual(reps.map((r: { index: number[] }) => r.index), [[0], [1], [2], [3], [4]]);
    assert.deepEqual(reps.map((r: any) => r.inputs.body.To), recipients.map((r) => `${r.name} <${r.email}>`));
    // Concurrency 2: no more than two iterations overlap in time.
    const spans = reps.map((r: any) => [Date.parse(r.startTime), Date.parse(r.endTime)]);
    for (const [s] of spans) assert.ok(spans.filter(([a, b]: number[]) => a <= s && s < b).length <= 2);
    const mails = await waitFor('five newsletters', async () => {
      const got = (await inbox(t)).filter((m) => m.subject === 'Newsletter #7');
      return got.length === 5 ? got : undefined;
    });
    assert.deepEqual(mails.map((m: any) => m.envelope.to[0]).sort(), recipients.map((r) => r.email).sort());
  });

  test('ticket-triage: If with a designer condition object; V3 body is HTML; the Response reflects the branch', async () => {
    const url = await callbackUrl(t, 'ticket-triage', 'When_a_HTTP_request_is_received');
    const high = await invoke(url, { title: 'Database down', priority: 'high', reporter: 'ops' });
    assert.equal(high.status, 201, JSON.stringify(high.body));
    assert.deepEqual(high.body, { routed: 'oncall' });
    const urgent = await waitFor('the urgent email', async () => (await inbox(t)).find((m) => m.subject === 'URGENT: Database down'));
    const detail = (await t.api('GET', `/api/v1/inbox/${urgent.id}`)).body;
    assert.match(detail.html, /<b>Database down<\/b> reported by ops/);
    assert.ok(detail.headers.some((h: { name: string; value: string }) => h.name.toLowerCase() === 'importance' && /high/i.test(h.value)));

    const low = await invoke(url, { title: 'Typo on page', priority: 'low', reporter: 'web' });
    assert.equal(low.status, 201);
    assert.deepEqual(low.body, { routed: 'queue' });
    const run = await finishedRun(t, 'ticket-triage', low.headers.get('x-ms-workflow-run-id')!);
    assert.equal(run.actions.Condition.outputs.expression, false);
    assert.equal(run.actions.Send_urgent_email.status, 'Skipped');
    assert.deepEqual(run.actions.Compose_queue_entry.outputs, { queued: 'Typo on page', priority: 'low' });
    const runs = await cli(t, 'runs', 'ticket-triage');
    assert.equal(runs.status, 0, runs.stderr);
    assert.equal(runs.stdout.trim().split('\n').length, 3, 'a header and two runs');
    assert.match(runs.stdout, /Succeeded/);
  });
});
