/**
 * Asynchronous delivery against faulty real SMTP peers: every message ends in the right state
 * with every attempt recorded. Backoff is milliseconds here (harness FAST), so no test sleeps.
 */
import assert from 'node:assert/strict';
import net from 'node:net';
import { after, before, describe, test } from 'node:test';
import type { TestApp } from '../helpers/app.js';
import { startSmtpPeer, type SmtpPeer } from '../helpers/smtp-peers.js';
import { waitFor } from '../helpers/wait.js';
import { closedPort, silentServer } from '../smtp/util.js';
import { ASYNC, connectTo, sendPath, startTestAppWith } from './harness.js';

describe('outbox delivery faults', () => {
  let t: TestApp;
  const closers: Array<() => Promise<unknown>> = [];
  const peer = async (options: Parameters<typeof startSmtpPeer>[0] = {}): Promise<SmtpPeer> => {
    const p = await startSmtpPeer(options);
    closers.push(() => p.close());
    return p;
  };
  const enqueue = async (connection: string, extra: Record<string, unknown> = {}): Promise<string> => {
    const res = await t.api('POST', sendPath(connection), { To: 'someone@example.org', Subject: `to ${connection}`, Body: 'b', ...extra }, ASYNC);
    assert.equal(res.status, 202, JSON.stringify(res.body));
    assert.equal(res.headers.get('location'), `/api/v1/messages/${res.body.id}`);
    assert.ok(Number(res.headers.get('retry-after')) >= 1);
    assert.equal(res.body.status, 'queued');
    return res.body.id;
  };
  const message = async (id: string): Promise<any> => (await t.api('GET', `/api/v1/messages/${id}`)).body;
  const settled = (id: string, timeoutMs = 10_000): Promise<any> =>
    waitFor(async () => {
      const m = await message(id);
      return ['sent', 'failed', 'cancelled'].includes(m.status) ? m : undefined;
    }, { timeoutMs, message: `message ${id} to settle` });

  before(async () => {
    t = await startTestAppWith();
  });
  after(async () => {
    await t.close();
    for (const close of closers) await close();
  });

  test('451 for the first two attempts, then accepted: sent on the third, each attempt recorded', async () => {
    const p = await peer({ onData: (_s, _raw, i) => (i < 2 ? { code: 451, message: '4.7.1 Greylisted, try again later' } : undefined) });
    await connectTo(t, 'greylist', p);
    const id = await enqueue('greylist');
    const m = await settled(id);
    assert.equal(m.status, 'sent');
    assert.deepEqual(m.attempts.map((a: any) => a.outcome), ['transient', 'transient', 'sent']);
    assert.deepEqual(m.attempts.map((a: any) => a.smtp?.code), [451, 451, 250]);
    assert.equal(m.attempts[0].smtp.enhancedCode, '4.7.1');
    assert.equal(m.attemptCount, 3);
    assert.equal(p.messages.length, 1);
    assert.equal(p.messages[0].parsed?.messageId, m.messageId, 'the Message-ID fixed at acceptance is the one delivered');
  });

  test('the connection drops mid-DATA: retried, and sent once the server behaves', async () => {
    const dropper = await peer({ dropOnData: true });
    const good = await peer();
    await connectTo(t, 'flaky', dropper);
    const id = await enqueue('flaky');
    await waitFor(async () => (await message(id)).attemptCount >= 1, { message: 'a first, failed attempt' });
    assert.equal((await t.api('PATCH', '/api/v1/connections/flaky', { port: good.port })).status, 200);
    const m = await settled(id);
    assert.equal(m.status, 'sent');
    assert.ok(m.attempts.length >= 2);
    assert.ok(m.attempts.slice(0, -1).every((a: any) => a.outcome === 'transient' && a.error.code === 'SmtpUnavailable'));
    assert.equal(m.attempts.at(-1).outcome, 'sent');
    assert.equal(good.messages.length, 1);
  });

  test('the server is down, then up at the same address: delivered once it is up', async () => {
    const target = await peer();
    const port = await closedPort();
    await connectTo(t, 'downup', { port });
    const id = await enqueue('downup');
    await waitFor(async () => (await message(id)).attemptCount >= 2, { message: 'two refused attempts' });
    // Up: a relay on the very port that was refusing, to a real SMTP server.
    const relay = net.createServer((socket) => {
      const upstream = net.connect(target.port, '127.0.0.1');
      socket.pipe(upstream).pipe(socket);
      socket.on('error', () => upstream.destroy());
      upstream.on('error', () => socket.destroy());
    });
    await new Promise<void>((resolve) => relay.listen(port, '127.0.0.1', resolve));
    closers.push(() => new Promise((resolve) => relay.close(resolve)));
    const m = await settled(id);
    assert.equal(m.status, 'sent');
    assert.ok(m.attempts.slice(0, -1).every((a: any) => a.outcome === 'transient' && /refused/.test(a.error.message)));
    assert.equal(target.messages.length, 1);
  });

  test('550 fails at once with the server\'s reply kept', async () => {
    const p = await peer({ onData: () => ({ code: 550, message: '5.6.0 Content rejected' }) });
    await connectTo(t, 'reject', p);
    const id = await enqueue('reject');
    const m = await settled(id);
    assert.equal(m.status, 'failed');
    assert.equal(m.attempts.length, 1);
    assert.equal(m.attempts[0].outcome, 'permanent');
    assert.equal(m.error.smtp.code, 550);
    assert.equal(m.error.smtp.enhancedCode, '5.6.0');
    assert.match(m.response, /Content rejected/);
  });

  test('transient failures stop at the connection\'s lifetime: failed, saying why', async () => {
    const p = await peer({ onData: () => ({ code: 451, message: '4.3.0 Try later' }) });
    await connectTo(t, 'shortlife', p, { lifetimeSeconds: 1 });
    const id = await enqueue('shortlife');
    const m = await settled(id);
    assert.equal(m.status, 'failed');
    assert.ok(m.attempts.length >= 2, `${m.attempts.length} attempts`);
    assert.ok(m.attempts.every((a: any) => a.outcome === 'transient'));
    assert.match(m.error.message, /lifetime/);
    assert.ok(Date.parse(m.updatedAt) - Date.parse(m.createdAt) < 3000);
  });

  test('a connection whose server hangs does not hold up the others', async () => {
    const hole = await silentServer();
    closers.push(() => hole.close());
    await connectTo(t, 'blackhole', hole, { connectionTimeoutMs: 4000, maxConnections: 2 });
    const p = await peer();
    await connectTo(t, 'healthy', p);
    const stuck = await Promise.all(Array.from({ length: 6 }, () => enqueue('blackhole')));
    const started = Date.now();
    const ok = await Promise.all(Array.from({ length: 20 }, () => enqueue('healthy')));
    for (const id of ok) assert.equal((await settled(id, 3500)).status, 'sent');
    assert.ok(Date.now() - started < 3500, 'healthy messages went out while the other connection was hanging');
    for (const id of stuck) assert.notEqual((await message(id)).status, 'sent');
    // Stop retrying into the hole so that shutdown does not wait on it.
    await t.api('PATCH', '/api/v1/connections/blackhole', { port: await closedPort() });
  });
});
