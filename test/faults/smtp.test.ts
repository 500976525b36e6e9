/**
 * SMTP servers that stall, trickle, speak garbage, present bad certificates or hide STARTTLS:
 * each queued message ends in the right state within the connection's timeouts, and the process
 * stays healthy (probes answer, other connections deliver) while they misbehave. The cases run
 * concurrently against one app, which is also what shows that one bad server holds up no other.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { TestApp } from '../helpers/app.js';
import { testCerts } from '../helpers/certs.js';
import { startSmtpPeer, type SmtpPeer } from '../helpers/smtp-peers.js';
import { waitFor } from '../helpers/wait.js';
import { ASYNC, connectTo, sendPath, startTestAppWith } from '../outbox/harness.js';
import { silentServer } from '../smtp/util.js';
import { startFaultPeer, type FaultMode, type FaultPeer } from './peers.js';

/** Short on purpose: every fault must be noticed by these, not by the test's patience. */
const TIMEOUTS = { connectionTimeoutMs: 1000, socketTimeoutMs: 1000 };
/**
 * A socket timeout longer than the connection's: a missing greeting is told apart from a silence
 * later on, and a byte a second is never 1.5 s of silence: only the attempt's deadline stops a trickle.
 */
const LONGER_SILENCE = { connectionTimeoutMs: 1000, socketTimeoutMs: 1500 };
/** connection + 2 × socket + upload allowance (src/outbox/delivery.ts attemptDeadlineMs) of a small message. */
const deadlineMs = (t: typeof TIMEOUTS): number => t.connectionTimeoutMs + 2 * t.socketTimeoutMs + 100;
/** Scheduling slack on a busy 2-core machine; far below what a reply trickled at 1 byte/s would take (30 s). */
const SLACK_MS = 2500;
/** Room for two attempts or more of the faults below, each within its deadline. */
const LIFETIME_SECONDS = 6;
/**
 * The deadline also bounds an attempt whose own timeout did not fire first: on a loaded machine
 * the SMTP exchange before a stall (in this process, with the app's fsyncs) can be slow enough.
 */
const OR_DEADLINE = 'did not finish the SMTP transaction in time';
const PASSWORD = 'faults-Pa55word!';

describe('SMTP faults', { concurrency: true }, () => {
  let t: TestApp;
  const closers: Array<() => Promise<unknown>> = [];
  const track = <T extends { close(): Promise<unknown> }>(server: T): T => {
    closers.push(() => server.close());
    return server;
  };

  const enqueue = async (connection: string, subject = `to ${connection}`): Promise<string> => {
    const res = await t.api('POST', sendPath(connection), { To: 'someone@example.org', Subject: subject, Body: 'b' }, ASYNC);
    assert.equal(res.status, 202, JSON.stringify(res.body));
    return res.body.id;
  };
  const settled = (id: string): Promise<any> =>
    waitFor(async () => {
      const m = (await t.api('GET', `/api/v1/messages/${id}`)).body;
      return ['sent', 'failed', 'cancelled'].includes(m.status) ? m : undefined;
    }, { timeoutMs: 20_000, message: `message ${id} to settle` });

  before(async () => {
    t = await startTestAppWith();
  });
  after(async () => {
    await t.close();
    for (const close of closers) await close();
  });

  /** Transient: retried with backoff, failed once the lifetime has passed, no attempt longer than its deadline. */
  const transient = async (name: string, server: { port: number }, expectMessage: RegExp, { timeouts = TIMEOUTS, lifetimeSeconds = LIFETIME_SECONDS, minAttempts = 2 } = {}): Promise<any> => {
    await connectTo(t, name, server, { ...timeouts, lifetimeSeconds });
    const id = await enqueue(name);
    const m = await settled(id);
    const deadline = deadlineMs(timeouts);
    assert.equal(m.status, 'failed', JSON.stringify(m));
    assert.match(m.error.message, new RegExp(`lifetime of ${lifetimeSeconds} s has passed`));
    assert.ok(m.attempts.length >= minAttempts, `${m.attempts.length} attempt(s)`);
    for (const a of m.attempts) {
      assert.equal(a.outcome, 'transient');
      assert.equal(a.error.code, 'SmtpUnavailable');
      assert.match(a.error.message, expectMessage);
      const took = Date.parse(a.finishedAt) - Date.parse(a.startedAt);
      assert.ok(took <= deadline + SLACK_MS, `an attempt took ${took} ms, past its ${deadline} ms deadline`);
    }
    const lasted = Date.parse(m.updatedAt) - Date.parse(m.createdAt);
    assert.ok(lasted <= lifetimeSeconds * 1000 + deadline + SLACK_MS, `settled after ${lasted} ms`);
    return m;
  };
  const faultPeer = async (mode: FaultMode): Promise<FaultPeer> => track(await startFaultPeer(mode));

  test('a server that accepts the connection and never greets: no greeting in time, retried, failed at the lifetime', async () => {
    const hole = track(await silentServer());
    await transient('no-banner', hole, new RegExp(`sent no greeting in time|${OR_DEADLINE}`), { timeouts: LONGER_SILENCE });
  });

  test('a server that takes the message and never answers the final dot: timed out, retried, failed at the lifetime', async () => {
    const p = await faultPeer('stall-after-data');
    await transient('stall-data', p, new RegExp(`Timed out|${OR_DEADLINE}`));
    assert.ok(p.dataEnded >= 1, 'the attempts got as far as the end of DATA');
  });

  test('a server that trickles its replies one byte a second: each attempt cut at its deadline, its session closed', async () => {
    const p = await faultPeer('trickle');
    // One attempt is enough to show the deadline (retrying is shown above); its lifetime ends before a second.
    // On a loaded machine an event-loop stall can make the trickle look like 1.5 s of silence, so the
    // socket timeout may cut it first; either way the attempt ends within its deadline (checked above).
    await transient('trickle', p, new RegExp(`${OR_DEADLINE}|Timed out`), { timeouts: LONGER_SILENCE, lifetimeSeconds: 2, minAttempts: 1 });
    await waitFor(() => p.open === 0, { message: 'the trickling sessions to be closed' });
  });

  test('a synchronous send to a trickling server answers 502 within the deadline', async () => {
    const p = await faultPeer('trickle');
    await connectTo(t, 'trickle-sync', p, LONGER_SILENCE);
    const started = Date.now();
    const res = await t.api('POST', sendPath('trickle-sync'), { To: 'someone@example.org', Subject: 'now', Body: 'b' });
    assert.equal(res.status, 502);
    assert.equal(res.body.error.code, 'SmtpUnavailable');
    assert.match(res.body.error.message, /did not finish the SMTP transaction in time/);
    assert.ok(Date.now() - started <= deadlineMs(LONGER_SILENCE) + SLACK_MS);
  });

  test('a server that answers with garbage instead of SMTP: retried, failed at the lifetime', async () => {
    await transient('garbage', await faultPeer('garbage'), /did not answer as an SMTP server should/);
  });

  /** Permanent: a retry cannot fix a certificate or a missing STARTTLS, so one attempt, failed at once, nothing sent. */
  const permanent = async (name: string, peer: SmtpPeer, settings: Record<string, unknown>, expectMessage: RegExp): Promise<void> => {
    // Generous timeouts: a TLS handshake on a busy machine may take longer than the fault cases' 300 ms.
    await connectTo(t, name, peer, { connectionTimeoutMs: 10_000, username: 'robot', password: PASSWORD, ...settings });
    const m = await settled(await enqueue(name));
    assert.equal(m.status, 'failed');
    assert.equal(m.attempts.length, 1);
    assert.equal(m.attempts[0].outcome, 'permanent');
    assert.equal(m.error.code, 'SmtpTlsFailed');
    assert.match(m.error.message, expectMessage);
    assert.equal(peer.messages.length, 0, 'nothing was delivered');
    assert.equal(peer.auths.length, 0, 'the password was never sent');
    assert.ok(!t.logs().includes(PASSWORD));
  };

  test('an expired certificate after STARTTLS: failed at once, SmtpTlsFailed "has expired"', async () => {
    const peer = track(await startSmtpPeer({ tls: testCerts().expired, auth: { user: 'robot', pass: PASSWORD } }));
    await permanent('expired', peer, { security: 'starttls', ca: testCerts().ca }, /certificate of 127\.0\.0\.1:\d+ has expired/);
  });

  test('a certificate for another host on implicit TLS: failed at once, SmtpTlsFailed "issued for another host"', async () => {
    const peer = track(await startSmtpPeer({ secure: true, tls: testCerts().otherHost, auth: { user: 'robot', pass: PASSWORD } }));
    await permanent('wronghost', peer, { security: 'tls', ca: testCerts().ca }, /is issued for another host than 127\.0\.0\.1/);
  });

  test('a server that drops STARTTLS from its EHLO on a "starttls" connection: no downgrade, failed at once', async () => {
    const peer = track(await startSmtpPeer({ starttls: false, auth: { user: 'robot', pass: PASSWORD } }));
    await permanent('downgrade', peer, { security: 'starttls' }, /does not offer STARTTLS/);
    const res = await t.api('POST', sendPath('downgrade'), { To: 'someone@example.org', Subject: 'now', Body: 'b' });
    assert.equal(res.status, 502);
    assert.equal(res.body.error.code, 'SmtpTlsFailed');
    assert.equal(peer.messages.length, 0);
  });

  test('meanwhile the process stays healthy: probes answer and a good server gets its mail', async () => {
    const good = track(await startSmtpPeer());
    await connectTo(t, 'healthy', good);
    // Waits until messages to the faulty servers above are under way, so that this runs alongside them.
    const faulty = new Set(['no-banner', 'stall-data', 'trickle', 'garbage']);
    await waitFor(async () => {
      const { items } = (await t.api('GET', '/api/v1/messages?limit=100')).body;
      return items.filter((m: any) => faulty.has(m.connection) && !['sent', 'failed'].includes(m.status)).length >= 2;
    }, { timeoutMs: 30_000, message: 'faults in progress' });
    const ids = await Promise.all(Array.from({ length: 10 }, (_, i) => enqueue('healthy', `healthy ${i}`)));
    for (const id of ids) assert.equal((await settled(id)).status, 'sent');
    assert.equal(good.messages.length, 10);
    assert.equal((await t.api('GET', '/healthz')).status, 200);
    const ready = await t.api('GET', '/readyz');
    assert.equal(ready.status, 200, JSON.stringify(ready.body));
    assert.deepEqual(ready.body.checks, { database: true, workers: true });
  });
});
