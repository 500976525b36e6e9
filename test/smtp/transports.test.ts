import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { prepareEmail } from '../../src/email/index.js';
import { SmtpSendError } from '../../src/smtp/classify.js';
import { TransportRegistry, transportOptions } from '../../src/smtp/transports.js';
import { testCerts } from '../helpers/certs.js';
import { startSmtpPeer, type SmtpPeer } from '../helpers/smtp-peers.js';
import { connTo, mail, PASSWORD } from './util.js';

const certs = testCerts();
const registry = new TransportRegistry();
const peers: SmtpPeer[] = [];
const peer = async (...args: Parameters<typeof startSmtpPeer>): Promise<SmtpPeer> => {
  const p = await startSmtpPeer(...args);
  peers.push(p);
  return p;
};
after(async () => {
  await registry.closeAll({ force: true });
  await Promise.all(peers.map((p) => p.close()));
});

/** Asserts that `promise` rejects with an SmtpSendError and returns it. */
async function sendError(promise: Promise<unknown>): Promise<SmtpSendError> {
  const err = await promise.then(
    () => assert.fail('expected the send to fail'),
    (e: unknown) => e,
  );
  assert.ok(err instanceof SmtpSendError, `not an SmtpSendError: ${String(err)}`);
  return err;
}

describe('security modes and AUTH', () => {
  for (const method of ['PLAIN', 'LOGIN']) {
    test(`security "none" with AUTH ${method}`, async () => {
      const p = await peer({ auth: { user: 'ada', pass: PASSWORD, methods: [method] } });
      const conn = connTo(p, { username: 'ada', password: PASSWORD });
      const result = await registry.sendMail(conn, mail('bob@example.com'));
      assert.deepEqual(result.accepted, ['bob@example.com']);
      assert.deepEqual(result.rejected, []);
      assert.match(result.response, /^250 /);
      assert.match(result.messageId, /^<.+@.+>$/);
      assert.deepEqual(p.auths, [{ method, username: 'ada', ok: true }]);
      const [msg] = await p.waitForMessages(1);
      assert.equal(msg.user, 'ada');
      assert.equal(msg.secure, false);
      assert.deepEqual(msg.envelope, { from: 'sender@example.com', to: ['bob@example.com'] });
    });
  }

  test('security "starttls" upgrades before AUTH, trusting the CA given as `ca`', async () => {
    const p = await peer({ tls: certs.server, auth: { user: 'ada', pass: PASSWORD } });
    const conn = connTo(p, { security: 'starttls', ca: certs.ca, username: 'ada', password: PASSWORD });
    await registry.sendMail(conn, mail('bob@example.com'));
    const [msg] = await p.waitForMessages(1);
    assert.equal(msg.secure, true);
    assert.equal(msg.user, 'ada');
  });

  test('security "tls" is implicit TLS from the first byte', async () => {
    const p = await peer({ secure: true, tls: certs.server, auth: { user: 'ada', pass: PASSWORD } });
    const conn = connTo(p, { security: 'tls', ca: certs.ca, username: 'ada', password: PASSWORD });
    await registry.sendMail(conn, mail('bob@example.com'));
    assert.equal((await p.waitForMessages(1))[0].secure, true);
  });

  test('"starttls" against a server without STARTTLS fails and sends nothing, not even the password', async () => {
    const p = await peer({ auth: { user: 'ada', pass: PASSWORD } });
    const conn = connTo(p, { security: 'starttls', username: 'ada', password: PASSWORD });
    const err = await sendError(registry.sendMail(conn, mail('bob@example.com')));
    assert.equal(err.status, 502);
    assert.equal(err.code, 'SmtpTlsFailed');
    assert.equal(err.kind, 'permanent');
    assert.match(err.message, /does not offer STARTTLS/);
    assert.equal(p.messages.length, 0);
    assert.equal(p.auths.length, 0);
  });

  test('a certificate the connection does not trust is refused; `rejectUnauthorized: false` accepts it', async () => {
    const p = await peer({ tls: certs.selfSigned });
    const err = await sendError(registry.sendMail(connTo(p, { security: 'starttls' }), mail('bob@example.com')));
    assert.equal(err.code, 'SmtpTlsFailed');
    assert.equal(err.kind, 'permanent');
    assert.match(err.message, /"ca"/);
    assert.equal(p.messages.length, 0);
    await registry.sendMail(connTo(p, { name: 'lenient', security: 'starttls', rejectUnauthorized: false }), mail('bob@example.com'));
    assert.equal((await p.waitForMessages(1)).length, 1);
  });

  test('an OAuth2 connection to a server without XOAUTH2 fails 401, naming the server to use, and sends no token', async () => {
    const p = await peer({ auth: { user: 'ada', pass: PASSWORD } });
    const conn = connTo(p, { auth: { type: 'oauth2', user: 'ada', tokenUrl: 'http://127.0.0.1:1/token', clientId: 'app', clientSecret: 'never-Sent-1' } });
    const err = await sendError(registry.sendMail(conn, mail('bob@example.com')));
    assert.equal(err.status, 401);
    assert.equal(err.code, 'SmtpAuthenticationFailed');
    assert.match(err.message, /offers AUTH PLAIN LOGIN, not XOAUTH2.*Fix: set host and port to the provider's submission server/);
    assert.deepEqual(p.auths, []);
  });

  test('a CA given as `ca` is added to the public roots, not put in their place', () => {
    const opts = transportOptions(connTo({ port: 1 }, { host: 'smtp.example.com', ca: certs.ca }));
    const ca = opts.tls?.ca as string[];
    assert.ok(ca.length > 100 && ca.includes(certs.ca));
    assert.equal(opts.tls?.servername, 'smtp.example.com');
    assert.equal(transportOptions(connTo({ port: 1 })).tls?.servername, undefined, 'no SNI for an IP address');
  });
});

describe('the pool', () => {
  test('two sends reuse one SMTP connection', async () => {
    const p = await peer();
    const conn = connTo(p);
    await registry.sendMail(conn, mail('a@example.com', 'one'));
    await registry.sendMail(conn, mail('b@example.com', 'two'));
    assert.equal((await p.waitForMessages(2)).length, 2);
    assert.equal(p.connections, 1);
    assert.equal(registry.get(conn), registry.get({ ...conn }));
  });

  test('a new connection version builds a new transport; invalidate drops it', async () => {
    const p = await peer();
    const v1 = connTo(p);
    const first = registry.get(v1);
    await registry.sendMail(v1, mail('a@example.com'));
    const v2 = { ...v1, version: 2 };
    assert.notEqual(registry.get(v2), first);
    await registry.sendMail(v2, mail('b@example.com'));
    assert.equal(p.connections, 2);
    const second = registry.get(v2);
    registry.invalidate(v2.name);
    assert.notEqual(registry.get(v2), second);
  });

  test('EHLO names the machine, or the connection\'s clientName', async () => {
    const p = await peer();
    await registry.sendMail(connTo(p), mail('a@example.com'));
    await registry.sendMail(connTo(p, { name: 'named', clientName: 'mta.example.org' }), mail('b@example.com'));
    const [a, b] = await p.waitForMessages(2);
    assert.notEqual(a.clientName, 'localhost');
    assert.ok(a.clientName.length > 0);
    assert.equal(b.clientName, 'mta.example.org');
  });

  test('envelopeFrom is the MAIL FROM (From stays); DSN RET, ENVID and NOTIFY only where EHLO offers DSN', async () => {
    const prepared = prepareEmail(
      { From: 'Ada <ada@example.com>', To: 'bob@example.com', Subject: 'receipt', Body: 'hi', DeliveryReceipt: 'ada@example.com' },
      { messageId: '<dsn-1@example.com>', date: new Date() },
    );
    const withDsn = await peer({ dsn: true });
    const without = await peer();
    for (const p of [withDsn, without]) await registry.sendMail(connTo(p, { envelopeFrom: 'bounces@example.com' }), prepared.mail, prepared.envelope);
    const [[a], [b]] = await Promise.all([withDsn.waitForMessages(1), without.waitForMessages(1)]);
    for (const m of [a, b]) {
      assert.deepEqual(m.envelope, { from: 'bounces@example.com', to: ['bob@example.com'] });
      assert.equal(m.parsed?.from?.value[0].address, 'ada@example.com');
    }
    assert.deepEqual(a.args, { mailFrom: { RET: 'HDRS', ENVID: 'dsn-1@example.com' }, rcptTo: [{ NOTIFY: 'SUCCESS,FAILURE,DELAY', ORCPT: 'rfc822;bob@example.com' }] });
    assert.deepEqual(b.args, { mailFrom: {}, rcptTo: [{}] });
  });

  test('closeAll waits for sends in flight, then closes', async () => {
    const p = await peer();
    const own = new TransportRegistry();
    const sending = own.sendMail(connTo(p), mail('a@example.com'));
    await own.closeAll();
    await sending;
    assert.equal(p.messages.length, 1);
  });
});
