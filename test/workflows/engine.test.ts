import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import pino from 'pino';
import { openStore, type Store } from '../../src/store/db.js';
import { RunExecution } from '../../src/workflows/engine.js';
import type { EmailRequest, FinalState, WorkflowMailer } from '../../src/workflows/mail.js';
import { RunRepository } from '../../src/workflows/runs.js';
import { testDatabaseUrl } from '../helpers/database.js';

/** An outbox stand-in the test steers: each message ends when the test says so. */
class FakeMailer implements WorkflowMailer {
  readonly enqueued: EmailRequest[] = [];
  private readonly outcomes = new Map<string, FinalState>();
  private readonly waiters = new Map<string, (s: FinalState) => void>();
  /** How a message ends unless the test ends it by hand; undefined keeps it waiting. */
  auto?: (request: EmailRequest, id: string) => FinalState | undefined;

  async enqueue(request: EmailRequest): Promise<{ id: string }> {
    const id = `msg_${this.enqueued.length + 1}`;
    this.enqueued.push(request);
    const outcome = this.auto?.(request, id);
    if (outcome) this.finish(id, outcome);
    return { id };
  }
  async findEnqueued(runId: string, requestId: string): Promise<string | undefined> {
    const i = this.enqueued.findIndex((r) => r.runId === runId && r.requestId === requestId);
    return i < 0 ? undefined : `msg_${i + 1}`;
  }
  waitForFinal(id: string, signal: AbortSignal): Promise<FinalState> {
    const done = this.outcomes.get(id);
    if (done) return Promise.resolve(done);
    return new Promise((resolve, reject) => {
      // The run may be stopped between enqueue and this wait (a database round trip on PostgreSQL).
      if (signal.aborted) return reject(signal.reason);
      this.waiters.set(id, resolve);
      signal.addEventListener('abort', () => reject(signal.reason), { once: true });
    });
  }
  finish(id: string, state: FinalState): void {
    this.outcomes.set(id, state);
    this.waiters.get(id)?.(state);
  }
}

const sent = (id: string): FinalState => ({ status: 'sent', id, messageId: `<${id}@test>`, accepted: ['a@example.com'], rejected: [], response: '250 OK' });
const failed = (id: string, code: number, response: string): FinalState => ({
  status: 'failed',
  id,
  messageId: `<${id}@test>`,
  accepted: [],
  rejected: ['a@example.com'],
  response,
  error: { code: 'SmtpRejected', message: `The SMTP server answered ${response}`, smtp: { code, response } },
});

describe('engine', () => {
  let store: Store;
  let runs: RunRepository;
  let dir: string;
  const log = pino({ level: 'silent' });
  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'smtpflow-engine-'));
    store = await openStore(await testDatabaseUrl(dir));
    runs = new RunRepository(store);
  });
  after(async () => {
    await store.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  async function start(definition: unknown, triggerBody: unknown = {}): Promise<string> {
    return runs.create({ workflow: 'w', trigger: 'manual', definition, parameters: {}, triggerOutputs: { headers: {}, body: triggerBody }, owner: 'me', leaseMs: 60_000 });
  }
  async function execute(id: string, mailer: WorkflowMailer, signal = new AbortController().signal): Promise<string> {
    const run = (await runs.get(id))!;
    return new RunExecution(run, { runs, mailer, log, owner: 'me', onResponse: () => undefined }, signal).execute();
  }
  const byName = async (id: string) => Object.fromEntries((await runs.actions(id)).map((a) => [a.repetition ? `${a.name}#${a.repetition}` : a.name, a]));

  const mail = (extra: Record<string, unknown> = {}) => ({ type: 'SendEmail', inputs: { connection: 'c', To: 'a@example.com', Subject: "@{triggerBody()?['s']}", Body: 'b' }, ...extra });

  test('an interrupted run resumes from its last finished action without sending twice', async () => {
    const id = await start(
      {
        triggers: { manual: { type: 'Request' } },
        actions: {
          First: { type: 'Compose', inputs: "@{triggerBody()?['s']}!", runAfter: {} },
          Send: { ...mail(), runAfter: { First: ['Succeeded'] } },
          Last: { type: 'Compose', inputs: "@body('Send')?['messageId']", runAfter: { Send: ['Succeeded'] } },
        },
      },
      { s: 'hello' },
    );
    const mailer = new FakeMailer();
    const stop = new AbortController();
    const first = execute(id, mailer, stop.signal);
    const deadline = Date.now() + 5000;
    while (mailer.enqueued.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    assert.equal(mailer.enqueued.length, 1);
    assert.equal(mailer.enqueued[0].email.Subject, 'hello');
    stop.abort(new Error('restart'));
    await assert.rejects(first);
    const before = await byName(id);
    assert.equal(before.First.status, 'Succeeded');
    assert.equal(before.Send.status, 'Running');

    mailer.finish('msg_1', sent('msg_1'));
    assert.equal(await execute(id, mailer), 'Succeeded');
    const after = await byName(id);
    assert.equal(mailer.enqueued.length, 1, 'the resumed action waited for the message it had enqueued');
    assert.equal(after.First.startedAt, before.First.startedAt, 'the finished action was not run again');
    assert.equal(after.Send.attempts, 1);
    assert.equal(after.Last.outputs, '<msg_1@test>');
  });

  test('parallel branches run concurrently; a join waits for both', async () => {
    const id = await start({
      triggers: { manual: { type: 'Request' } },
      actions: {
        Left: { ...mail(), runAfter: {} },
        Right: { ...mail(), runAfter: {} },
        Join: { type: 'Compose', inputs: "@concat(body('Left')?['id'], '+', body('Right')?['id'])", runAfter: { Left: ['Succeeded'], Right: ['Succeeded'] } },
      },
    });
    const mailer = new FakeMailer();
    const done = execute(id, mailer);
    const deadline = Date.now() + 5000;
    while (mailer.enqueued.length < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    assert.equal(mailer.enqueued.length, 2, 'both branches are waiting on their email at the same time');
    mailer.finish('msg_2', sent('msg_2'));
    mailer.finish('msg_1', sent('msg_1'));
    assert.equal(await done, 'Succeeded');
    assert.match(String((await byName(id)).Join.outputs), /^msg_\d\+msg_\d$/);
  });

  test('transient failures are retried under the retryPolicy; permanent ones fail at once', async () => {
    const id = await start({
      triggers: { manual: { type: 'Request' } },
      actions: {
        Flaky: { ...mail(), retryPolicy: { type: 'fixed', count: 2, interval: 'PT0.05S' }, runAfter: {} },
        Rejected: { ...mail({ inputs: { connection: 'c', To: 'x@example.com', Subject: 'no' } }), runAfter: {} },
        Handler: { type: 'Compose', inputs: "@actions('Rejected')?['status']", runAfter: { Rejected: ['Failed'] } },
        Skipped_one: { type: 'Compose', inputs: 1, runAfter: { Rejected: ['Succeeded'] } },
      },
    });
    const mailer = new FakeMailer();
    mailer.auto = (request, msg) => (request.email.To === 'x@example.com' ? failed(msg, 550, '550 5.1.1 unknown user') : failed(msg, 451, '451 4.3.0 try later'));
    assert.equal(await execute(id, mailer), 'Failed');
    const r = await byName(id);
    assert.equal(r.Flaky.status, 'Failed');
    assert.equal(r.Flaky.attempts, 3, 'one attempt and two retries');
    assert.equal(r.Rejected.attempts, 1);
    assert.equal(r.Rejected.error?.smtp?.code, 550);
    assert.match(r.Rejected.error!.message, /550 5\.1\.1 unknown user/);
    assert.equal(r.Handler.status, 'Succeeded');
    assert.equal(r.Handler.outputs, 'Failed');
    assert.equal(r.Skipped_one.status, 'Skipped');
    const run = await runs.get(id);
    assert.match(run!.error!, /451|550/);
  });

  test('limit.timeout ends an action TimedOut; runAfter TimedOut branches run', async () => {
    const id = await start({
      triggers: { manual: { type: 'Request' } },
      actions: {
        Slow: { ...mail(), limit: { timeout: 'PT0.2S' }, runAfter: {} },
        After_timeout: { type: 'Compose', inputs: 'late', runAfter: { Slow: ['TimedOut'] } },
      },
    });
    assert.equal(await execute(id, new FakeMailer()), 'Failed');
    const r = await byName(id);
    assert.equal(r.Slow.status, 'TimedOut');
    assert.equal(r.After_timeout.status, 'Succeeded');
  });

  test('Foreach keeps to its concurrency limit and records each iteration; If takes the else branch', async () => {
    const id = await start(
      {
        triggers: { manual: { type: 'Request' } },
        actions: {
          Loop: {
            type: 'Foreach',
            foreach: "@triggerBody()?['people']",
            runtimeConfiguration: { concurrency: { repetitions: 2 } },
            actions: { Greet: { ...mail({ inputs: { connection: 'c', To: '@item()', Subject: "Hi @{item()}" } }), runAfter: {} } },
            runAfter: {},
          },
          Check: {
            type: 'If',
            expression: { greater: ["@length(triggerBody()?['people'])", 10] },
            actions: { Many: { type: 'Compose', inputs: 'many', runAfter: {} } },
            else: { actions: { Few: { type: 'Compose', inputs: "@{length(triggerBody()?['people'])} people", runAfter: {} } } },
            runAfter: { Loop: ['Succeeded'] },
          },
        },
      },
      { people: ['a@x.com', 'b@x.com', 'c@x.com', 'd@x.com', 'e@x.com'] },
    );
    const mailer = new FakeMailer();
    const done = execute(id, mailer);
    // Release messages one by one; never more than two are waiting at once.
    let released = 0;
    const deadline = Date.now() + 10_000;
    while (released < 5 && Date.now() < deadline) {
      if (mailer.enqueued.length > released) {
        assert.ok(mailer.enqueued.length - released <= 2, `at most 2 iterations in flight, saw ${mailer.enqueued.length - released}`);
        released++;
        mailer.finish(`msg_${released}`, sent(`msg_${released}`));
      }
      await new Promise((r) => setTimeout(r, 20));
    }
    assert.equal(await done, 'Succeeded');
    const r = await byName(id);
    assert.deepEqual([0, 1, 2, 3, 4].map((i) => r[`Greet#${i}`].status), Array(5).fill('Succeeded'));
    assert.deepEqual(mailer.enqueued.map((m) => m.email.To).sort(), ['a@x.com', 'b@x.com', 'c@x.com', 'd@x.com', 'e@x.com']);
    assert.equal(r.Many.status, 'Skipped');
    assert.equal(r.Few.outputs, '5 people');
  });
});
