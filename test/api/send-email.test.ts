/**
 * SPEC §2's Send Email status table, each code produced by a real SMTP exchange with an
 * in-process peer, and each synchronous send readable afterwards at GET /messages/{id}.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { startSmtpPeer, type SmtpPeer } from '../helpers/smtp-peers.js';
import { closedPort } from '../smtp/util.js';
import { connectTo, sendPath } from '../outbox/harness.js';

const PASSWORD = 'Pw-for-the-peer-7731!';
const PIXEL = Buffer.from('89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c489', 'hex');
const PDF = Buffer.from('%PDF-1.4\n' + 'x'.repeat(3000) + '\n%%EOF\n');

describe('POST /connections/{name}/send-email (synchronous)', () => {
  let t: TestApp;
  const peers: SmtpPeer[] = [];
  const peer = async (options: Parameters<typeof startSmtpPeer>[0] = {}): Promise<SmtpPeer> => {
    const p = await startSmtpPeer(options);
    peers.push(p);
    return p;
  };

  before(async () => {
    t = await startTestApp();
  });
  after(async () => {
    await t.close();
    await Promise.all(peers.map((p) => p.close()));
  });

  /** The recorded message behind an answer (200 body id, or an error's Location header). */
  const recorded = async (res: { body: any; headers: Headers }): Promise<any> => {
    const where = res.body?.id ? `/api/v1/messages/${res.body.id}` : res.headers.get('location');
    assert.ok(where, 'the answer points at the recorded message');
    const got = await t.api('GET', where);
    assert.equal(got.status, 200);
    return got.body;
  };

  test('200: what arrived is the message asked for — headers, Bcc only in the envelope, attachment bytes, inline cid, RFC 2047 subject', async () => {
    const p = await peer();
    await connectTo(t, 'ok', p);
    const res = await t.api('POST', sendPath('ok'), {
      From: 'Zoë Sender <sender@example.com>',
      To: '"Doe, Jane" <jane@example.org>; bob@example.org',
      CC: 'carol@example.org',
      Bcc: 'hidden@example.org',
      Subject: 'Grüße — 你好 ✓',
      Body: '<p>Hello <b>there</b> <img src="cid:logo1"></p>',
      IsHtml: true,
      Importance: 'High',
      Attachments: [
        { ContentData: PDF.toString('base64'), ContentType: 'application/pdf', ContentTransferEncoding: 'base64', FileName: 'Rechnung März.pdf' },
        { ContentData: PIXEL.toString('base64'), ContentType: 'image/png', ContentTransferEncoding: 'base64', FileName: 'logo.png', ContentId: 'logo1' },
      ],
    });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.deepEqual(Object.keys(res.body).sort(), ['accepted', 'id', 'messageId', 'rejected', 'response']);
    assert.deepEqual(res.body.accepted.sort(), ['bob@example.org', 'carol@example.org', 'hidden@example.org', 'jane@example.org']);
    assert.deepEqual(res.body.rejected, []);
    assert.match(res.body.response, /^250/);

    const [msg] = await p.waitForMessages(1);
    assert.deepEqual(msg.envelope.to.sort(), ['bob@example.org', 'carol@example.org', 'hidden@example.org', 'jane@example.org']);
    assert.equal(msg.envelope.from, 'sender@example.com');
    const headerText = msg.raw.toString('utf8').split('\r\n\r\n')[0];
    assert.doesNotMatch(headerText, /hidden@example\.org/i, 'Bcc must not appear in the headers');
    assert.doesNotMatch(headerText, /^Bcc:/im);
    assert.match(headerText, /^Subject: =\?UTF-8\?/m, 'the Unicode subject is RFC 2047-encoded');
    const parsed = msg.parsed!;
    assert.equal(parsed.subject, 'Grüße — 你好 ✓');
    assert.equal(parsed.messageId, res.body.messageId);
    assert.match(headerText, /^Importance: High$/m);
    assert.match(headerText, /^X-Priority: 1/m);
    assert.deepEqual((parsed.to as any).value.map((a: any) => [a.name, a.address]), [['Doe, Jane', 'jane@example.org'], ['', 'bob@example.org']]);
    assert.match(msg.raw.toString('utf8'), /src=(3D)?"cid:logo1"/, 'the HTML refers to the inline part by cid');
    assert.match(parsed.text ?? '', /Hello there/);
    const pdf = parsed.attachments.find((a) => a.contentType === 'application/pdf')!;
    assert.equal(pdf.filename, 'Rechnung März.pdf');
    assert.ok(pdf.content.equals(PDF), 'attachment bytes arrive unchanged');
    const logo = parsed.attachments.find((a) => a.contentType === 'image/png')!;
    assert.equal(logo.contentId, '<logo1>');
    assert.ok(logo.content.equals(PIXEL));

    const m = await recorded(res);
    assert.equal(m.status, 'sent');
    assert.equal(m.mode, 'sync');
    assert.equal(m.messageId, res.body.messageId);
    assert.equal(m.subject, 'Grüße — 你好 ✓');
    assert.equal(m.attempts.length, 1);
    assert.equal(m.attempts[0].outcome, 'sent');
    assert.equal(m.attempts[0].smtp.code, 250);
    assert.ok(m.sentAt);
  });

  test('200 with some recipients refused: the refused ones are listed and recorded per recipient', async () => {
    const p = await peer({ rejectRecipient: (a) => (a.startsWith('nobody') ? { code: 550, message: '5.1.1 No such user' } : undefined) });
    await connectTo(t, 'partial', p);
    const res = await t.api('POST', sendPath('partial'), { To: 'yes@example.org; nobody@example.org', Subject: 's', Body: 'b' });
    assert.equal(res.status, 200);
    assert.deepEqual(res.body.accepted, ['yes@example.org']);
    assert.deepEqual(res.body.rejected, ['nobody@example.org']);
    const m = await recorded(res);
    assert.equal(m.status, 'sent');
    assert.deepEqual(m.rejected, ['nobody@example.org']);
    assert.equal(m.attempts[0].rejected[0].recipient, 'nobody@example.org');
    assert.equal(m.attempts[0].rejected[0].code, 550);
    assert.equal(m.attempts[0].rejected[0].enhancedCode, '5.1.1');
  });

  test('400: every recipient refused with 550 5.1.1', async () => {
    const p = await peer({ rejectRecipient: () => ({ code: 550, message: '5.1.1 No such user here' }) });
    await connectTo(t, 'nousers', p);
    const res = await t.api('POST', sendPath('nousers'), { To: 'a@example.org, b@example.org', Subject: 's', Body: 'b' });
    assert.equal(res.status, 400, JSON.stringify(res.body));
    assert.equal(res.body.error.code, 'SmtpRecipientsRejected');
    const m = await recorded(res);
    assert.equal(m.status, 'failed');
    assert.equal(m.error.code, 'SmtpRecipientsRejected');
    assert.deepEqual(m.attempts[0].rejected.map((r: any) => [r.recipient, r.code, r.enhancedCode]).sort(), [
      ['a@example.org', 550, '5.1.1'],
      ['b@example.org', 550, '5.1.1'],
    ]);
    assert.equal(p.messages.length, 0);
  });

  test('400: bad input names the field, and nothing is recorded or sent', async () => {
    const p = await peer();
    await connectTo(t, 'strict', p);
    const cases: Array<[unknown, string]> = [
      [{ To: 'not an address', Subject: 's' }, 'To'],
      [{ To: 'a@example.org', Subject: 'hi\r\nBcc: victim@example.org' }, 'Subject'],
      [{ To: 'a@example.org', Attachments: [{ ContentData: '***', ContentTransferEncoding: 'base64', FileName: 'x.bin' }] }, 'Attachments[0].ContentData'],
      [{ To: 'a@example.org', Colour: 'blue' }, 'Colour'],
      [{ Subject: 'nobody' }, 'To'],
    ];
    for (const [body, field] of cases) {
      const res = await t.api('POST', sendPath('strict'), body);
      assert.equal(res.status, 400, JSON.stringify(body));
      assert.equal(res.body.error.field, field, JSON.stringify(res.body));
      assert.ok(res.body.error.message.length > 10);
    }
    const list = await t.api('GET', '/api/v1/messages?connection=strict');
    assert.deepEqual(list.body.items, []);
    assert.equal(p.messages.length, 0);
  });

  test('401: the SMTP server refuses the credentials (535); the password appears nowhere', async () => {
    const p = await peer({ auth: { user: 'robot', pass: 'the-right-one' } });
    await connectTo(t, 'badauth', p, { username: 'robot', password: PASSWORD });
    const res = await t.api('POST', sendPath('badauth'), { To: 'a@example.org', Subject: 's', Body: 'b' });
    assert.equal(res.status, 401, JSON.stringify(res.body));
    assert.equal(res.body.error.code, 'SmtpAuthenticationFailed');
    assert.equal(res.body.error.smtp.code, 535);
    const m = await recorded(res);
    assert.equal(m.status, 'failed');
    const all = JSON.stringify([res.body, m]) + t.logs();
    assert.equal(all.includes(PASSWORD), false);
    assert.equal(all.includes(Buffer.from(PASSWORD).toString('base64')), false);
  });

  test('403: refused by policy (550 5.7.1), and a send key limited to another connection', async () => {
    const p = await peer({ rejectRecipient: () => ({ code: 550, message: '5.7.1 Relaying denied' }) });
    await connectTo(t, 'norelay', p);
    const res = await t.api('POST', sendPath('norelay'), { To: 'a@example.org', Subject: 's', Body: 'b' });
    assert.equal(res.status, 403, JSON.stringify(res.body));
    assert.equal(res.body.error.code, 'SmtpPolicyRejected');
    assert.equal((await recorded(res)).status, 'failed');

    const key = (await t.api('POST', '/api/v1/keys', { name: 'only-ok', scope: 'send', connections: ['ok'] })).body.key;
    const denied = await t.api('POST', sendPath('norelay'), { To: 'a@example.org', Subject: 's' }, { key });
    assert.equal(denied.status, 403);
    assert.equal(denied.body.error.code, 'ConnectionNotAllowed');
    const reader = (await t.api('POST', '/api/v1/keys', { name: 'reader', scope: 'read' })).body.key;
    assert.equal((await t.api('POST', sendPath('ok'), { To: 'a@example.org' }, { key: reader })).status, 403);
    assert.equal((await t.api('POST', sendPath('ok'), { To: 'a@example.org' }, { key: null })).status, 401);
  });

  test('404: no such connection', async () => {
    const res = await t.api('POST', sendPath('missing'), { To: 'a@example.org', Subject: 's' });
    assert.equal(res.status, 404);
    assert.equal(res.body.error.code, 'NotFound');
  });

  test('502: refused port, 421, 451, connection dropped mid-DATA, STARTTLS required but not offered', async () => {
    await connectTo(t, 'refused', { port: await closedPort() }, { connectionTimeoutMs: 2000 });
    await connectTo(t, 'busy', await peer({ onData: () => ({ code: 421, message: '4.3.2 Service shutting down' }) }));
    await connectTo(t, 'grey', await peer({ onData: () => ({ code: 451, message: '4.7.1 Greylisted, try again later' }) }));
    await connectTo(t, 'dropper', await peer({ dropOnData: true }));
    await connectTo(t, 'cleartext', await peer({ starttls: false }), { security: 'starttls' });
    const expected: Record<string, [string, number?]> = {
      refused: ['SmtpUnavailable'],
      busy: ['SmtpTransientFailure', 421],
      grey: ['SmtpTransientFailure', 451],
      dropper: ['SmtpUnavailable'],
      cleartext: ['SmtpTlsFailed'],
    };
    for (const [name, [code, smtpCode]] of Object.entries(expected)) {
      const res = await t.api('POST', sendPath(name), { To: 'a@example.org', Subject: 's', Body: 'b' });
      assert.equal(res.status, 502, `${name}: ${JSON.stringify(res.body)}`);
      assert.equal(res.body.error.code, code, name);
      if (smtpCode) assert.equal(res.body.error.smtp.code, smtpCode, name);
      const m = await recorded(res);
      assert.equal(m.status, 'failed', `${name}: a synchronous failure is final, the caller was told`);
      assert.equal(m.attempts.length, 1);
      assert.equal(m.attempts[0].error.code, code);
    }
  });
});
