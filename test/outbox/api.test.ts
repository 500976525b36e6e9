/** Idempotency-Key, retry and cancel, pagination, and per-connection flow control across workers. */
import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { SMTPServer } from 'smtp-server';
import { Outbox } from '../../src/outbox/index.js';
import type { TestApp } from '../helpers/app.js';
import { startSmtpPeer, type SmtpPeer } from '../helpers/smtp-peers.js';
import { waitFor } from '../helpers/wait.js';
import { ASYNC, connectTo, FAST, sendPath, startTestAppWith } from './harness.js';

/** An SMTP server that takes `delayMs` per message and remembers how many DATA phases overlapped. */
async function slowPeer(delayMs: number): Promise<{ port: number; received: number; maxConcurrent: number; close(): Promise<void> }> {
  const state = { received: 0, active: 0, maxConcurrent: 0 };
  const server = new SMTPServer({
    logger: false,
    authOptional: true,
    disabledCommands: ['STARTTLS', 'AUTH'],
    closeTimeout: 200,
    onData(stream, _session, callback) {
      state.active += 1;
      state.maxConcurrent = Math.max(state.maxConcurrent, state.active);
      stream.resume();
      stream.on('end', () =>
        setTimeout(() => {
          state.active -= 1;
          state.received += 1;
          callback();
        }, delayMs),
      );
    },
  });
  server.on('error', () => undefined);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.server.address() as AddressInfo).port,
    get received() {
      return state.received;
    },
    get maxConcurrent() {
      return state.maxConcurrent;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

describe('outbox API', () => {
  let t: TestApp;
  let p: SmtpPeer;
  const closers: Array<() => Promise<unknown>> = [];
  const message = async (id: string): Promise<any> => (await t.api('GET', `/api/v1/messages/${id}`)).body;
  const settled = (id: string): Promise<any> =>
    waitFor(async () => {
      const m = await message(id);
      return ['sent', 'failed', 'cancelled'].includes(m.status) ? m : undefined;
    }, { message: `message ${id} to settle` });

  before(async () => {
    t = await startTestAppWith();
    p = await startSmtpPeer();
    closers.push(() => p.close());
    await connectTo(t, 'main', p);
  });
  after(async () => {
    await t.close();
    for (const close of closers) await close();
  });

  test('Idempotency-Key, asynchronous: the same key and body answer the first 202 again; another body is 409', async () => {
    const body = { To: 'idem@example.org', Subject: 'once', Body: 'only once' };
    const headers = { ...ASYNC.headers, 'idempotency-key': 'order-1001' };
    const first = await t.api('POST', sendPath('main'), body, { headers });
    assert.equal(first.status, 202);
    const again = await t.api('POST', sendPath('main'), { Body: 'only once', Subject: 'once', To: 'idem@example.org' }, { headers });
    assert.equal(again.status, 202);
    assert.deepEqual(again.body, first.body);
    assert.equal(again.headers.get('location'), first.headers.get('location'));
    const other = await t.api('POST', sendPath('main'), { ...body, Subject: 'twice?' }, { headers });
    assert.equal(other.status, 409);
    assert.equal(other.body.error.code, 'IdempotencyKeyReused');
    assert.equal((await settled(first.body.id)).status, 'sent');
    const list = await t.api('GET', '/api/v1/messages?connection=main&limit=500');
    assert.equal(list.body.items.filter((m: any) => m.subject === 'once').length, 1);
    assert.equal(p.messages.filter((m) => m.parsed?.subject === 'once').length, 1);
  });

  test('Idempotency-Key, synchronous: a retried request gets the first answer and nothing is sent twice', async () => {
    const body = { To: 'sync-idem@example.org', Subject: 'sync once', Body: 'b' };
    const headers = { 'idempotency-key': 'sync-7' };
    const first = await t.api('POST', sendPath('main'), body, { headers });
    assert.equal(first.status, 200);
    const again = await t.api('POST', sendPath('main'), body, { headers });
    assert.equal(again.status, 200);
    assert.deepEqual(again.body, first.body);
    assert.equal(p.messages.filter((m) => m.parsed?.subject === 'sync once').length, 1);
    // Keys belong to an API key: another caller's same key is another request.
    const key = (await t.api('POST', '/api/v1/keys', { name: 'other sender', scope: 'send' })).body.key;
    const theirs = await t.api('POST', sendPath('main'), body, { key, headers });
    assert.equal(theirs.status, 200);
    assert.notEqual(theirs.body.id, first.body.id);
  });

  test('Idempotency-Key replays a failed synchronous answer too, without a second attempt', async () => {
    const refusing = await startSmtpPeer({ rejectRecipient: () => ({ code: 550, message: '5.1.1 No such user' }) });
    closers.push(() => refusing.close());
    await connectTo(t, 'refusing', refusing);
    const headers = { 'idempotency-key': 'bad-1' };
    const first = await t.api('POST', sendPath('refusing'), { To: 'x@example.org', Subject: 'no' }, { headers });
    assert.equal(first.status, 400);
    const again = await t.api('POST', sendPath('refusing'), { To: 'x@example.org', Subject: 'no' }, { headers });
    assert.equal(again.status, 400);
    assert.deepEqual(again.body, first.body);
    const list = await t.api('GET', '/api/v1/messages?connection=refusing');
    assert.equal(list.body.items.length, 1);
    assert.equal(list.body.items[0].attemptCount, 1);
  });

  test('cancel a waiting message; retry it later; neither is possible once it is final', async () => {
    await connectTo(t, 'paced', p, { rateLimit: { messages: 1, perSeconds: 3600 } });
    const a = (await t.api('POST', sendPath('paced'), { To: 'a@example.org', Subject: 'paced 1' }, ASYNC)).body.id;
    const b = (await t.api('POST', sendPath('paced'), { To: 'b@example.org', Subject: 'paced 2' }, ASYNC)).body.id;
    assert.equal((await settled(a)).status, 'sent');
    assert.equal((await message(b)).status, 'queued', 'the hourly rate holds the second one back');
    const cancelled = await t.api('POST', `/api/v1/messages/${b}/cancel`);
    assert.equal(cancelled.status, 200);
    assert.equal(cancelled.body.status, 'cancelled');
    assert.equal((await t.api('POST', `/api/v1/messages/${b}/cancel`)).status, 409);
    assert.equal((await t.api('POST', `/api/v1/messages/${a}/cancel`)).body.error.code, 'MessageNotCancellable');
    assert.equal((await t.api('POST', `/api/v1/messages/${a}/retry`)).status, 409, 'a sent message is not sent again');

    assert.equal((await t.api('PATCH', '/api/v1/connections/paced', { rateLimit: null })).status, 200);
    const retried = await t.api('POST', `/api/v1/messages/${b}/retry`);
    assert.equal(retried.status, 200);
    assert.ok(['queued', 'sending', 'sent'].includes(retried.body.status));
    assert.equal((await settled(b)).status, 'sent');
    assert.equal((await t.api('POST', '/api/v1/messages/msg_nope/retry')).status, 404);
  });

  test('retry a failed message once the cause is fixed: a second attempt, then sent', async () => {
    const refusing = await startSmtpPeer({ onData: () => ({ code: 554, message: '5.7.1 Message refused' }) });
    closers.push(() => refusing.close());
    await connectTo(t, 'fixme', refusing);
    const id = (await t.api('POST', sendPath('fixme'), { To: 'x@example.org', Subject: 'fix me' }, ASYNC)).body.id;
    assert.equal((await settled(id)).status, 'failed');
    await t.api('PATCH', '/api/v1/connections/fixme', { port: p.port });
    assert.equal((await t.api('POST', `/api/v1/messages/${id}/retry`)).status, 200);
    const m = await waitFor(async () => ((await message(id)).status === 'sent' ? message(id) : undefined));
    assert.deepEqual(m.attempts.map((x: any) => x.outcome), ['permanent', 'sent']);
  });

  test('GET /messages pages by cursor, newest first, and filters by status and connection', async () => {
    await connectTo(t, 'pages', p);
    const ids: string[] = [];
    for (let i = 0; i < 7; i++) ids.push((await t.api('POST', sendPath('pages'), { To: 'p@example.org', Subject: `page ${i}` })).body.id);
    const seen: string[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const res = await t.api('GET', `/api/v1/messages?connection=pages&limit=3${cursor ? `&cursor=${cursor}` : ''}`);
      assert.equal(res.status, 200);
      seen.push(...res.body.items.map((m: any) => m.id));
      cursor = res.body.nextCursor;
      pages++;
    } while (cursor);
    assert.equal(pages, 3);
    assert.deepEqual(seen, [...ids].reverse());
    const failed = await t.api('GET', '/api/v1/messages?status=failed&limit=500');
    assert.ok(failed.body.items.length > 0);
    assert.ok(failed.body.items.every((m: any) => m.status === 'failed'));
    assert.equal((await t.api('GET', '/api/v1/messages?status=bogus')).status, 400);
    assert.equal(JSON.stringify(failed.body).includes('attempts"'), false, 'lists carry counts, not attempt details');
  });

  test('maxConnections and rateLimit hold across two workers sharing the database', async () => {
    const slow = await slowPeer(40);
    closers.push(() => slow.close());
    await connectTo(t, 'narrow', slow, { maxConnections: 2 });
    // A second worker with its own slots and transports: another process, as far as the database can tell.
    const second = new Outbox({ store: t.app.store, connections: t.app.connections, log: t.app.log, options: FAST });
    second.start({ worker: true });
    try {
      const ids = await Promise.all(Array.from({ length: 16 }, (_, i) => t.api('POST', sendPath('narrow'), { To: 'n@example.org', Subject: `n${i}` }, ASYNC)));
      await waitFor(() => slow.received >= 16, { message: '16 messages through the narrow connection' });
      assert.ok(slow.maxConcurrent <= 2, `${slow.maxConcurrent} SMTP transactions at once`);
      assert.equal(slow.maxConcurrent, 2, 'both slots were used');
      for (const r of ids) assert.equal((await settled(r.body.id)).status, 'sent');

      const times: number[] = [];
      const timed = await startSmtpPeer({ onData: () => void times.push(Date.now()) });
      closers.push(() => timed.close());
      await connectTo(t, 'rated', timed, { rateLimit: { messages: 4, perSeconds: 1 } });
      await Promise.all(Array.from({ length: 9 }, (_, i) => t.api('POST', sendPath('rated'), { To: 'r@example.org', Subject: `r${i}` }, ASYNC)));
      await timed.waitForMessages(9, 10_000);
      times.sort((x, y) => x - y);
      for (let i = 0; i + 4 < times.length; i++) assert.ok(times[i + 4] - times[i] >= 1000, `messages ${i}..${i + 4} within ${times[i + 4] - times[i]} ms`);
      // Synchronous sends respect the same window: answered 429 with the wait, not sent.
      assert.equal((await t.api('PATCH', '/api/v1/connections/rated', { rateLimit: { messages: 1, perSeconds: 3600 } })).status, 200);
      await t.api('POST', sendPath('rated'), { To: 'r@example.org', Subject: 'fills the hour, unless the last async one did' });
      const limited = await t.api('POST', sendPath('rated'), { To: 'r@example.org', Subject: 'now' });
      assert.equal(limited.status, 429);
      assert.equal(limited.body.error.code, 'RateLimited');
      assert.ok(Number(limited.headers.get('retry-after')) >= 1);
    } finally {
      await second.stop();
    }
  });
});
