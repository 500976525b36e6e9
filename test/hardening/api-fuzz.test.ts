/**
 * Property tests over the HTTP API (issue 7, part 1): whatever the body — Send Email (sync and
 * async), address lists, raw bytes, workflow definitions with expressions, connections — the
 * answer is a 2xx or a 4xx with a PascalCase code, never a 500 or a hang, and the app stays
 * healthy. Messages that were sent keep every line within RFC 5322's 998 octets and CRLF-only.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import fc from 'fast-check';
import { startTestApp, TEST_ADMIN_KEY, type TestApp } from '../helpers/app.js';
import { startSmtpPeer, type SmtpPeer } from '../helpers/smtp-peers.js';
import { connectTo, sendPath } from '../outbox/harness.js';
import { callbackUrl, finishedRun, runsOf } from '../workflows/util.js';
import { connectionBody, connectionPatch, junk, sendEmailBody, template, text, workflowBody } from './arbitraries.js';

/** Runs per property; SMTPFLOW_FUZZ_RUNS=1000 for a deeper search on a developer machine. */
const RUNS = Number(process.env.SMTPFLOW_FUZZ_RUNS || 40);
// A hang guard, not a speed test: far above any answer on a loaded CI machine.
const HANG_MS = 20_000;

interface Answer {
  status: number;
  body: any;
}

/** One request with a hang guard; `raw` sends the body bytes as they are. */
async function call(t: TestApp, method: string, path: string, body?: unknown, options: { raw?: string; contentType?: string; headers?: Record<string, string> } = {}): Promise<Answer> {
  const headers: Record<string, string> = { authorization: `Bearer ${TEST_ADMIN_KEY}`, ...options.headers };
  const payload = options.raw ?? (body === undefined ? undefined : JSON.stringify(body));
  if (payload !== undefined) headers['content-type'] = options.contentType ?? 'application/json';
  let response: Response;
  try {
    response = await fetch(t.url + path, { method, headers, body: payload, signal: AbortSignal.timeout(HANG_MS) });
  } catch (err) {
    throw new Error(`${method} ${path} got no answer (${String(err)}) for ${String(payload).slice(0, 300)}`);
  }
  const text = await response.text();
  let parsed: unknown = text;
  try {
    parsed = text ? JSON.parse(text) : undefined;
  } catch {
    /* keep the text */
  }
  return { status: response.status, body: parsed };
}

/** How many answers were successes and how many refusals: a property that only ever refuses tests little. */
class Tally {
  ok = 0;
  refused = 0;
  assertBoth(what: string): void {
    const share = (n: number) => n / (this.ok + this.refused);
    assert.ok(share(this.ok) >= 0.05 && share(this.refused) >= 0.05, `${what}: ${this.ok} succeeded, ${this.refused} refused; adjust the arbitraries`);
  }
}

/** A success, or a client error that says what is wrong in the documented shape. */
function assertClean(res: Answer, sent: unknown, success: number[], tally?: Tally): void {
  const shown = `${res.status} ${JSON.stringify(res.body)?.slice(0, 400)} for ${JSON.stringify(sent)?.slice(0, 400)}`;
  if (success.includes(res.status)) {
    if (tally) tally.ok++;
    return;
  }
  if (tally) tally.refused++;
  assert.ok(res.status >= 400 && res.status < 500, shown);
  assert.match(res.body?.error?.code ?? '', /^[A-Z][a-z0-9]+(?:[A-Z][a-z0-9]*)*$/, shown);
  assert.ok(typeof res.body.error.message === 'string' && res.body.error.message.length > 10, shown);
}

describe('HTTP API under hostile input', () => {
  let t: TestApp;
  let peer: SmtpPeer;
  before(async () => {
    t = await startTestApp();
    peer = await startSmtpPeer();
    await connectTo(t, 'fuzz', peer);
  });
  after(async () => {
    await t.close();
    await peer.close();
  });

  test('Send Email bodies, synchronous and asynchronous', async () => {
    const tally = new Tally();
    await fc.assert(
      fc.asyncProperty(sendEmailBody, fc.boolean(), async (body, async) => {
        const res = await call(t, 'POST', sendPath('fuzz'), body, { headers: async ? { prefer: 'respond-async' } : {} });
        assertClean(res, body, [async ? 202 : 200], tally);
      }),
      { numRuns: RUNS * 3 },
    );
    tally.assertBoth('Send Email');
    for (const msg of peer.messages) {
      const raw = msg.raw.toString('latin1');
      assert.doesNotMatch(raw, /\r(?!\n)|(?<!\r)\n/, 'CRLF line ends only');
      for (const line of raw.split('\r\n')) assert.ok(line.length <= 998, `a line of ${line.length} octets in ${raw.slice(0, 300)}`);
    }
  });

  test('raw request bodies of any bytes and content type', async () => {
    const prefix = fc.constantFrom('', '{', '{"To":', '[', '"', '{"To":"a@b.c","Subject":"\\u', '\u0000', '{"a":1}{"b":2}', '{"__proto__":{"x":1},"To":"a@b.c"}');
    const contentType = fc.constantFrom('application/json', 'application/json; charset=utf-8', 'text/plain', 'application/x-www-form-urlencoded', 'application/json; charset=utf-16', 'multipart/form-data; boundary=x');
    const path = fc.constantFrom(sendPath('fuzz'), '/api/v1/workflows', '/api/v1/connections', '/api/v1/keys');
    await fc.assert(
      fc.asyncProperty(prefix, text, contentType, path, async (start, rest, type, where) => {
        const res = await call(t, 'POST', where, undefined, { raw: start + rest, contentType: type });
        assertClean(res, start + rest, [200, 201]);
        if (res.status === 201 && where === '/api/v1/workflows') await call(t, 'DELETE', `/api/v1/workflows/${res.body.name}`);
      }),
      { numRuns: RUNS },
    );
    const poisoned = await call(t, 'POST', sendPath('fuzz'), undefined, { raw: '{"To":"a@example.org","__proto__":{"isAdmin":true}}' });
    assert.equal(poisoned.status, 400);
    assert.equal(poisoned.body.error.code, 'InvalidJson');
    assert.match(poisoned.body.error.message, /__proto__/, 'the refusal says why');
  });

  test('workflow definitions with expressions: saved or refused with their problems', async () => {
    const tally = new Tally();
    await fc.assert(
      fc.asyncProperty(workflowBody, async (body) => {
        const res = await call(t, 'POST', '/api/v1/workflows', body);
        assertClean(res, body, [201], tally);
        if (res.status === 201) assert.equal((await call(t, 'DELETE', `/api/v1/workflows/${res.body.name}`)).status, 204);
        else if (res.body.error.code === 'InvalidWorkflow') assert.ok(Array.isArray(res.body.error.problems) && res.body.error.problems.length > 0);
      }),
      { numRuns: RUNS * 2 },
    );
    tally.assertBoth('workflows');
  });

  test('expressions evaluated in runs: the caller gets the Response, or 502 NoResponse when the run failed', async () => {
    const tally = new Tally();
    let n = 0;
    await fc.assert(
      fc.asyncProperty(template, fc.jsonValue({ maxDepth: 2 }), async (expr, triggerBody) => {
        const name = `run-${n++}`;
        const definition = {
          triggers: { manual: { type: 'Request', kind: 'Http' } },
          actions: {
            Compose: { type: 'Compose', inputs: expr, runAfter: {} },
            Answer: { type: 'Response', kind: 'Http', inputs: { statusCode: 200, body: "@outputs('Compose')" }, runAfter: { Compose: ['Succeeded'] } },
          },
        };
        const saved = await call(t, 'POST', '/api/v1/workflows', { name, definition });
        assertClean(saved, expr, [201]);
        if (saved.status !== 201) return;
        const answer = await call(t, 'POST', (await callbackUrl(t, name)).slice(t.url.length), triggerBody);
        const shown = `${answer.status} ${JSON.stringify(answer.body)?.slice(0, 300)} for ${expr} and ${JSON.stringify(triggerBody)}`;
        if (answer.status === 502) {
          assert.equal(answer.body?.error?.code, 'NoResponse', shown);
          tally.refused++;
        } else {
          assertClean(answer, triggerBody, [200], tally);
        }
        const [started] = await runsOf(t, name);
        if (answer.status === 200 || answer.status === 502) {
          const run = await finishedRun(t, name, started.id);
          assert.equal(run.status, answer.status === 200 ? 'Succeeded' : 'Failed', `${shown}: ${JSON.stringify(run).slice(0, 400)}`);
        }
        assert.equal((await call(t, 'DELETE', `/api/v1/workflows/${name}`)).status, 204);
      }),
      { numRuns: RUNS },
    );
    tally.assertBoth('runs');
  });

  test('connection bodies: created, changed and removed, or refused', async () => {
    const tally = new Tally();
    await fc.assert(
      fc.asyncProperty(connectionBody, connectionPatch, async (body, patch) => {
        const res = await call(t, 'POST', '/api/v1/connections', body);
        assertClean(res, body, [201], tally);
        if (res.status !== 201) return;
        const view = JSON.stringify(res.body);
        for (const secret of [(body as any).password, (body as any).dkim?.privateKey]) if (typeof secret === 'string' && secret.length > 6) assert.ok(!view.includes(secret), 'a secret came back');
        const name = res.body.name;
        assertClean(await call(t, 'PATCH', `/api/v1/connections/${name}`, patch), patch, [200]);
        assert.equal((await call(t, 'DELETE', `/api/v1/connections/${name}`)).status, 204);
      }),
      { numRuns: RUNS },
    );
    tally.assertBoth('connections');
  });

  test('afterwards the app is healthy and still sends', async () => {
    const health = await call(t, 'GET', '/healthz');
    assert.equal(health.status, 200);
    assert.doesNotMatch(t.logs(), /"msg":"unhandled error"/, 'no request ended in a fault of smtpflow');
    const before = peer.messages.length;
    const sent = await call(t, 'POST', sendPath('fuzz'), { To: 'after@example.org', Subject: 'still here', Body: 'ok' });
    assert.equal(sent.status, 200, JSON.stringify(sent.body));
    await peer.waitForMessages(before + 1);
  });
});
