/**
 * What an operator runs smtpflow with: /metrics after real sends (names, labels, values),
 * structured logs in which one request id leads from the API to the SMTP server's reply, and
 * /healthz and /readyz (database and delivery workers).
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { TestApp } from '../helpers/app.js';
import { startSmtpPeer, type SmtpPeer } from '../helpers/smtp-peers.js';
import { waitFor } from '../helpers/wait.js';
import { ASYNC, connectTo, sendPath, startTestAppWith } from '../outbox/harness.js';
import { callbackUrl, finishedRun, invoke, runsOf } from '../workflows/util.js';

interface Series {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** The Prometheus text format, one series per line (comments skipped). */
function parseMetrics(text: string): Series[] {
  return text.split('\n').flatMap((line) => {
    const m = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m) return [];
    const labels = Object.fromEntries([...(m[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((l) => [l[1], l[2]]));
    return [{ name: m[1], labels, value: Number(m[3]) }];
  });
}

/** The value of the one series with this name whose labels include `labels`; 0 when there is none (a counter never incremented). */
function valueOf(series: Series[], name: string, labels: Record<string, string> = {}): number {
  const found = series.filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v));
  assert.ok(found.length <= 1, `${name} ${JSON.stringify(labels)} matches ${found.length} series`);
  return found[0]?.value ?? 0;
}

const workflow = {
  $schema: 'https://schema.management.azure.com/providers/Microsoft.Logic/schemas/2016-06-01/workflowdefinition.json#',
  contentVersion: '1.0.0.0',
  triggers: { manual: { type: 'Request', kind: 'Http', inputs: { schema: { type: 'object', properties: { n: { type: 'integer' } } } } } },
  actions: {
    // 1 / 0 fails the action, and with it the run.
    Divide: { type: 'Compose', inputs: "@div(10, triggerBody()?['n'])", runAfter: {} },
  },
  outputs: {},
};

describe('operations: metrics, logs, probes', () => {
  let t: TestApp;
  let good: SmtpPeer;
  let scrapeStarted = 0;
  const peers: SmtpPeer[] = [];
  const ids: Record<string, string> = {};

  const enqueue = async (connection: string, subject: string, headers: Record<string, string> = {}): Promise<string> => {
    const res = await t.api('POST', sendPath(connection), { To: 'someone@example.org', Subject: subject, Body: 'b' }, { headers: { ...ASYNC.headers, ...headers } });
    assert.equal(res.status, 202, JSON.stringify(res.body));
    return res.body.id;
  };
  const settled = (id: string): Promise<any> =>
    waitFor(async () => {
      const m = (await t.api('GET', `/api/v1/messages/${id}`)).body;
      return ['sent', 'failed'].includes(m.status) ? m : undefined;
    }, { message: `message ${id} to settle` });
  const scrape = async (): Promise<Series[]> => {
    scrapeStarted = Date.now();
    const res = await fetch(`${t.url}/metrics`);
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
    return parseMetrics(await res.text());
  };

  before(async () => {
    t = await startTestAppWith();
    good = await startSmtpPeer();
    const reject = await startSmtpPeer({ onData: () => ({ code: 550, message: '5.6.0 Content rejected' }) });
    const grey = await startSmtpPeer({ onData: (_s, _raw, i) => (i === 0 ? { code: 451, message: '4.7.1 Greylisted, try again later' } : undefined) });
    peers.push(good, reject, grey);
    await connectTo(t, 'good', good);
    await connectTo(t, 'reject', reject);
    await connectTo(t, 'grey', grey);
    // One message an hour: the second one waits in the queue for the whole test.
    await connectTo(t, 'limited', good, { rateLimit: { messages: 1, perSeconds: 3600 } });

    const sent = await Promise.all([0, 1, 2].map((i) => enqueue('good', `good ${i}`)));
    const sync = await t.api('POST', sendPath('good'), { To: 'someone@example.org', Subject: 'sync', Body: 'b' });
    assert.equal(sync.status, 200);
    ids.rejected = await enqueue('reject', 'rejected');
    ids.grey = await enqueue('grey', 'greylisted', { 'x-request-id': 'trace-me-1' });
    for (const id of [...sent, ids.rejected, ids.grey]) await settled(id);
    await settled(await enqueue('limited', 'limited first'));
    ids.waiting = await enqueue('limited', 'limited second');

    const created = await t.api('POST', '/api/v1/workflows', { name: 'divide', definition: workflow });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const url = await callbackUrl(t, 'divide');
    await invoke(url, { n: 2 });
    await invoke(url, { n: 0 });
    await waitFor(async () => (await runsOf(t, 'divide')).length === 2, { message: 'two runs' });
    const runs = await Promise.all((await runsOf(t, 'divide')).map((r) => finishedRun(t, 'divide', r.id)));
    assert.deepEqual(runs.map((r) => r.status).sort(), ['Failed', 'Succeeded']);
  });
  after(async () => {
    await t.close();
    for (const p of peers) await p.close();
  });

  test('/metrics counts messages by connection and status, attempts, retries, runs and HTTP requests', async () => {
    const m = await scrape();
    const messages = (connection: string, status: string): number => valueOf(m, 'smtpflow_messages_total', { connection, status });
    assert.equal(messages('good', 'queued'), 3);
    assert.equal(messages('good', 'sent'), 4, 'three queued and one synchronous');
    assert.equal(messages('reject', 'failed'), 1);
    assert.equal(messages('grey', 'retrying'), 1);
    assert.equal(messages('grey', 'sent'), 1);
    assert.equal(messages('limited', 'queued'), 2);
    assert.equal(valueOf(m, 'smtpflow_retries_total', { connection: 'grey' }), 1);
    assert.equal(valueOf(m, 'smtpflow_retries_total', { connection: 'good' }), 0);

    const attempts = (connection: string, outcome: string): number => valueOf(m, 'smtpflow_send_duration_seconds_count', { connection, outcome });
    assert.equal(attempts('good', 'sent'), 4);
    assert.equal(attempts('grey', 'transient'), 1);
    assert.equal(attempts('reject', 'permanent'), 1);
    assert.equal(valueOf(m, 'smtpflow_send_duration_seconds_bucket', { connection: 'good', outcome: 'sent', le: '+Inf' }), 4);
    assert.ok(valueOf(m, 'smtpflow_send_duration_seconds_sum', { connection: 'good', outcome: 'sent' }) > 0);

    assert.equal(valueOf(m, 'smtpflow_workflow_runs_total', { status: 'Succeeded' }), 1);
    assert.equal(valueOf(m, 'smtpflow_workflow_runs_total', { status: 'Failed' }), 1);

    const route = '/api/v1/connections/:name/send-email';
    assert.equal(valueOf(m, 'smtpflow_http_requests_total', { method: 'POST', route, status: '202' }), 7);
    assert.equal(valueOf(m, 'smtpflow_http_requests_total', { method: 'POST', route, status: '200' }), 1);
    assert.ok(m.some((s) => s.name === 'smtpflow_process_resident_memory_bytes' && s.value > 0), 'process metrics are there too');
  });

  test('/metrics reads queue depth and the oldest waiting message\'s age from the database at scrape time', async () => {
    const waiting = (await t.api('GET', `/api/v1/messages/${ids.waiting}`)).body;
    assert.equal(waiting.status, 'queued', 'held back by the rate limit');
    const m = await scrape();
    const scrapeEnded = Date.now();
    assert.equal(valueOf(m, 'smtpflow_queue_depth', { connection: 'limited', status: 'queued' }), 1);
    assert.equal(m.filter((s) => s.name === 'smtpflow_queue_depth').length, 1, 'settled messages are not in the queue');
    const age = valueOf(m, 'smtpflow_queue_oldest_age_seconds', { connection: 'limited' });
    const created = Date.parse(waiting.createdAt);
    assert.ok(age >= (scrapeStarted - created) / 1000 - 0.001 && age <= (scrapeEnded - created) / 1000 + 0.001, `age ${age}`);
  });

  test('every log line is JSON, and one request id leads from the API through the outbox to the SMTP reply', async () => {
    const lines = t.logs().trim().split('\n').map((line) => JSON.parse(line) as Record<string, any>);
    assert.ok(lines.every((l) => typeof l.level === 'number' && typeof l.time === 'number' && typeof l.msg === 'string'));
    const traced = lines.filter((l) => l.reqId === 'trace-me-1');
    const message = (await t.api('GET', `/api/v1/messages/${ids.grey}`)).body;
    const said = traced.map((l) => l.msg);
    assert.deepEqual(said.filter((msg) => msg !== 'incoming request' && msg !== 'request completed'), ['message accepted', 'delivery deferred; will retry', 'delivered']);
    assert.ok(said.includes('incoming request') && said.includes('request completed'), 'Fastify\'s own request lines carry the same id');
    for (const l of traced.filter((x) => x.msgId)) {
      assert.equal(l.msgId, ids.grey);
      assert.equal(l.messageId, message.messageId);
      assert.equal(l.connection, 'grey');
    }
    const [deferred, delivered] = traced.filter((l) => l.attempt);
    assert.deepEqual([deferred.attempt, deferred.outcome, deferred.status, deferred.smtp.code, deferred.smtp.enhancedCode], [1, 'transient', 'retrying', 451, '4.7.1']);
    assert.deepEqual([delivered.attempt, delivered.outcome, delivered.status, delivered.smtp.code], [2, 'sent', 'sent', 250]);
    assert.equal(delivered.smtp.response, message.response, 'the SMTP server\'s reply, as recorded on the message');
    const failed = lines.find((l) => l.msgId === ids.rejected && l.status === 'failed');
    assert.equal(failed?.level, 40, 'a failed delivery is a warning');
    assert.equal(failed?.error.code, 'SmtpRejected');
  });

  test('/healthz is alive; /readyz checks the database and that the delivery worker runs', async () => {
    assert.deepEqual((await t.api('GET', '/healthz', undefined, { key: null })).body, { status: 'ok' });
    const ready = await t.api('GET', '/readyz', undefined, { key: null });
    assert.equal(ready.status, 200);
    assert.deepEqual(ready.body, { status: 'ready', checks: { database: true, workers: true } });
    // The worker stops (as on shutdown): this process is no longer ready to deliver.
    await t.app.outbox.stop();
    const stopped = await t.api('GET', '/readyz', undefined, { key: null });
    assert.equal(stopped.status, 503);
    assert.deepEqual(stopped.body.checks, { database: true, workers: false });
  });
});
