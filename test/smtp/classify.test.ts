import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { classifySmtpFailure, parseEnhancedCode, SmtpSendError, toAppError } from '../../src/smtp/classify.js';
import { TransportRegistry } from '../../src/smtp/transports.js';
import { testCerts } from '../helpers/certs.js';
import { startSmtpPeer, type SmtpPeer, type SmtpPeerOptions } from '../helpers/smtp-peers.js';
import { closedPort, connTo, mail, PASSWORD } from './util.js';

const registry = new TransportRegistry();
const peers: SmtpPeer[] = [];
after(async () => {
  await registry.closeAll({ force: true });
  await Promise.all(peers.map((p) => p.close()));
});

async function peer(options: SmtpPeerOptions = {}): Promise<SmtpPeer> {
  const p = await startSmtpPeer(options);
  peers.push(p);
  return p;
}

async function failure(promise: Promise<unknown>): Promise<SmtpSendError> {
  const err = await promise.then(
    () => assert.fail('expected the send to fail'),
    (e: unknown) => e,
  );
  assert.ok(err instanceof SmtpSendError, `not an SmtpSendError: ${String(err)}`);
  assert.ok(!err.message.includes(PASSWORD), 'the password leaked into the message');
  assert.ok(!JSON.stringify(err.failure).includes(PASSWORD), 'the password leaked into the failure');
  return err;
}

const expect = (err: SmtpSendError, status: number, code: string, kind: 'transient' | 'permanent'): void => {
  assert.deepEqual({ status: err.status, code: err.code, kind: err.kind }, { status, code, kind }, err.message);
};

describe('classification of real SMTP exchanges', () => {
  test('535 → 401 SmtpAuthenticationFailed, permanent', async () => {
    const p = await peer({ auth: { user: 'ada', pass: 'right' } });
    const err = await failure(registry.sendMail(connTo(p, { username: 'ada', password: PASSWORD }), mail('a@example.com')));
    expect(err, 401, 'SmtpAuthenticationFailed', 'permanent');
    assert.deepEqual(err.smtp, { code: 535, enhancedCode: '5.7.8', response: '535 5.7.8 Authentication credentials invalid' });
    assert.match(err.message, /username and password/);
  });

  test('535 with Microsoft\'s "SmtpClientAuthentication is disabled" → 401 that points to OAuth2', async () => {
    const text = '5.7.139 Authentication unsuccessful, SmtpClientAuthentication is disabled for the Tenant. Visit https://aka.ms/smtp_auth_disabled for more information.';
    const p = await peer({ authReply: { code: 535, message: text } });
    const err = await failure(registry.sendMail(connTo(p, { username: 'ada@contoso.com', password: PASSWORD }), mail('a@example.com')));
    expect(err, 401, 'SmtpAuthenticationFailed', 'permanent');
    assert.match(err.message, /disabled for the Microsoft 365 tenant/);
    assert.match(err.message, /OAuth2/);
    assert.equal(err.smtp?.enhancedCode, '5.7.139');
  });

  test('550 5.1.1 for some recipients: sent, with the rejected ones reported', async () => {
    const p = await peer({ rejectRecipient: (a) => (a.startsWith('nobody') ? { code: 550, message: '5.1.1 <nobody@example.com>: user unknown' } : undefined) });
    const result = await registry.sendMail(connTo(p), mail(['ok@example.com', 'nobody@example.com']));
    assert.deepEqual(result.accepted, ['ok@example.com']);
    assert.deepEqual(result.rejected, ['nobody@example.com']);
    assert.deepEqual(result.rejectedErrors, [
      { recipient: 'nobody@example.com', code: 550, enhancedCode: '5.1.1', response: '550 5.1.1 <nobody@example.com>: user unknown' },
    ]);
    assert.deepEqual((await p.waitForMessages(1))[0].envelope.to, ['ok@example.com']);
  });

  test('550 5.1.1 for every recipient → 400 SmtpRecipientsRejected, permanent, per recipient', async () => {
    const p = await peer({ rejectRecipient: () => ({ code: 550, message: '5.1.1 user unknown' }) });
    const err = await failure(registry.sendMail(connTo(p), mail(['x@example.com', 'y@example.com'])));
    expect(err, 400, 'SmtpRecipientsRejected', 'permanent');
    assert.deepEqual(err.failure.recipients?.map((r) => [r.recipient, r.code, r.enhancedCode]), [
      ['x@example.com', 550, '5.1.1'],
      ['y@example.com', 550, '5.1.1'],
    ]);
  });

  test('every recipient deferred with 450 → 502 transient', async () => {
    const p = await peer({ rejectRecipient: () => ({ code: 450, message: '4.2.0 mailbox busy' }) });
    const err = await failure(registry.sendMail(connTo(p), mail('x@example.com')));
    expect(err, 502, 'SmtpTransientFailure', 'transient');
    assert.equal(err.failure.recipients?.[0].code, 450);
  });

  test('554 5.7.1 relay denied for every recipient → 403 SmtpPolicyRejected', async () => {
    const p = await peer({ rejectRecipient: () => ({ code: 554, message: '5.7.1 <x@example.com>: Relay access denied' }) });
    const err = await failure(registry.sendMail(connTo(p), mail('x@example.com')));
    expect(err, 403, 'SmtpPolicyRejected', 'permanent');
  });

  test('550 5.7.1 after DATA → 403 SmtpPolicyRejected, permanent', async () => {
    const p = await peer({ onData: () => ({ code: 550, message: '5.7.1 Message rejected as spam' }) });
    const err = await failure(registry.sendMail(connTo(p), mail('x@example.com')));
    expect(err, 403, 'SmtpPolicyRejected', 'permanent');
    assert.equal(err.smtp?.enhancedCode, '5.7.1');
  });

  test('552 5.3.4 after DATA → 400 SmtpRejected', async () => {
    const p = await peer({ onData: () => ({ code: 552, message: '5.3.4 Message size exceeds fixed limit' }) });
    expect(await failure(registry.sendMail(connTo(p), mail('x@example.com'))), 400, 'SmtpRejected', 'permanent');
  });

  test('421 → 502 SmtpTransientFailure, transient', async () => {
    const p = await peer({ onData: () => ({ code: 421, message: '4.3.2 Service shutting down' }) });
    const err = await failure(registry.sendMail(connTo(p), mail('x@example.com')));
    expect(err, 502, 'SmtpTransientFailure', 'transient');
    assert.equal(err.smtp?.code, 421);
  });

  test('451 4.7.1 greylisting for the first attempt, accepted on the next', async () => {
    const p = await peer({ onData: (_s, _raw, i) => (i === 0 ? { code: 451, message: '4.7.1 Greylisted, try again later' } : undefined) });
    const conn = connTo(p);
    const err = await failure(registry.sendMail(conn, mail('x@example.com')));
    expect(err, 502, 'SmtpTransientFailure', 'transient');
    assert.match(err.message, /greylisting/);
    await registry.sendMail(conn, mail('x@example.com'));
    assert.equal((await p.waitForMessages(1)).length, 1);
  });

  test('a connection dropped mid-DATA → 502 SmtpUnavailable, transient', async () => {
    const p = await peer({ dropOnData: true });
    const err = await failure(registry.sendMail(connTo(p), mail('x@example.com')));
    expect(err, 502, 'SmtpUnavailable', 'transient');
    assert.equal(p.messages.length, 0);
  });

  test('a port nobody listens on → 502 SmtpUnavailable, transient, "connection refused"', async () => {
    const port = await closedPort();
    const err = await failure(registry.sendMail(connTo({ port }), mail('x@example.com')));
    expect(err, 502, 'SmtpUnavailable', 'transient');
    assert.match(err.message, /connection refused.*host and port/);
  });

  test('an expired certificate → 502 SmtpTlsFailed, permanent, even with the right `ca`', async () => {
    const certs = testCerts();
    const p = await peer({ secure: true, tls: certs.expired });
    const err = await failure(registry.sendMail(connTo(p, { security: 'tls', ca: certs.ca }), mail('x@example.com')));
    expect(err, 502, 'SmtpTlsFailed', 'permanent');
    assert.match(err.message, /expired/);
  });
});

describe('classification without a server', () => {
  test('enhanced codes are read from the reply', () => {
    assert.equal(parseEnhancedCode('550 5.1.1 <a@b>: unknown'), '5.1.1');
    assert.equal(parseEnhancedCode('451-4.7.1 greylisted\n451 4.7.1 come back later'), '4.7.1');
    assert.equal(parseEnhancedCode('550 mailbox unavailable'), undefined);
    assert.equal(parseEnhancedCode('250 2.0.0 Ok: queued as 12345.6.7'), '2.0.0');
  });

  test('socket errors are transient 502, TLS and unknown errors are placed too', () => {
    const sock = Object.assign(new Error('read ECONNRESET'), { code: 'ESOCKET', originalCode: 'ECONNRESET' });
    assert.deepEqual([classifySmtpFailure(sock).status, classifySmtpFailure(sock).kind], [502, 'transient']);
    const plainPort = Object.assign(new Error('Error initiating TLS - ssl3_get_record:wrong version number'), { code: 'ETLS' });
    assert.equal(classifySmtpFailure(plainPort).kind, 'permanent');
    assert.match(classifySmtpFailure(plainPort).message, /speaks plain SMTP/);
    const odd = classifySmtpFailure(new TypeError('boom'));
    assert.deepEqual([odd.status, odd.code, odd.kind], [500, 'SmtpInternalError', 'transient']);
  });

  test('secrets are scrubbed, and toAppError keeps status, code and the reply', () => {
    const err = Object.assign(new Error('Invalid login'), { code: 'EAUTH', responseCode: 535, response: `535 5.7.8 bad password ${PASSWORD}` });
    const f = classifySmtpFailure(err, { host: 'smtp.example.com', port: 587, secrets: [PASSWORD] });
    assert.ok(!JSON.stringify(f).includes(PASSWORD));
    const app = toAppError(f);
    assert.deepEqual(app.toBody().error.smtp, { code: 535, enhancedCode: '5.7.8', response: '535 5.7.8 bad password ***' });
    assert.equal(app.status, 401);
    assert.match(app.message, /smtp\.example\.com:587/);
  });
});
