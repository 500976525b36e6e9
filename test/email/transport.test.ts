import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import nodemailer from 'nodemailer';
import type { AddressInfo } from 'node:net';
import { SMTPServer, type SMTPServerSession } from 'smtp-server';
import { simpleParser } from 'mailparser';
import { prepareEmail } from '../../src/email/index.js';
import { DATE, MESSAGE_ID } from './compose.js';

// The prepared options must survive nodemailer's Mail layer (sendMail), not only MailComposer.
describe('prepared mail through nodemailer transports', () => {
  // Own server rather than the shared peer: DSN must be advertised (smtp-server hides it by default).
  const received: Array<{ envelope: SMTPServerSession['envelope']; raw: Buffer }> = [];
  const server = new SMTPServer({
    logger: false,
    hideDSN: false,
    authOptional: true,
    disabledCommands: ['STARTTLS', 'AUTH'],
    disableReverseLookup: true,
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('end', () => {
        received.push({ envelope: structuredClone(session.envelope), raw: Buffer.concat(chunks) });
        callback();
      });
    },
  });
  let port = 0;

  before(async () => {
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.server.address() as AddressInfo).port;
  });
  after(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it('sends the envelope as prepared over SMTP: punycode recipients, Bcc, DSN NOTIFY, RET and ENVID', async () => {
    const prepared = prepareEmail(
      { From: 'Sender <sender@example.org>', To: 'Zoë <zoe@bücher.de>', Bcc: 'hidden@example.org', Subject: 'Grüße', Body: 'hi', DeliveryReceipt: 'sender@example.org' },
      { messageId: MESSAGE_ID, date: DATE },
    );
    const transport = nodemailer.createTransport({ host: '127.0.0.1', port, secure: false, ignoreTLS: true });
    try {
      const info = await transport.sendMail(prepared.mail);
      assert.deepEqual(info.accepted, ['zoe@xn--bcher-kva.de', 'hidden@example.org']);
      assert.deepEqual(info.envelope, { from: 'sender@example.org', to: ['zoe@xn--bcher-kva.de', 'hidden@example.org'] });
      assert.equal(info.messageId, MESSAGE_ID);
    } finally {
      transport.close();
    }
    // sendMail resolves after the server's 250 to DATA, so onData has run
    const [{ envelope, raw }] = received;
    assert.equal(envelope.mailFrom && envelope.mailFrom.address, 'sender@example.org');
    // smtp-server reads the punycode it received back as Unicode; info.accepted above is the wire form
    assert.deepEqual(envelope.rcptTo.map((r) => r.address), ['zoe@bücher.de', 'hidden@example.org']);
    assert.deepEqual(envelope.rcptTo.map((r) => (r.args as Record<string, string>).NOTIFY), ['SUCCESS,FAILURE,DELAY', 'SUCCESS,FAILURE,DELAY']);
    assert.equal(envelope.mailFrom && (envelope.mailFrom.args as Record<string, string>).RET, 'HDRS');
    assert.equal(envelope.mailFrom && (envelope.mailFrom.args as Record<string, string>).ENVID, 'fixed-id@smtpflow.test');
    assert.ok(!raw.includes('hidden@example.org'), 'Bcc is not in the message');
    assert.equal((await simpleParser(raw)).subject, 'Grüße');
  });

  it('keeps Message-ID, Date and the Bcc-free headers through sendMail of a stream transport', async () => {
    const prepared = prepareEmail({ From: 'a@example.org', To: 'b@example.org', Bcc: 'c@example.org', Importance: 'Low' }, { messageId: MESSAGE_ID, date: DATE });
    const transport = nodemailer.createTransport({ streamTransport: true, buffer: true, newline: 'windows' });
    const info = await transport.sendMail(prepared.mail);
    const raw = (info.message as Buffer).toString('latin1');
    assert.deepEqual(info.envelope, { from: 'a@example.org', to: ['b@example.org', 'c@example.org'] });
    assert.match(raw, /^Message-ID: <fixed-id@smtpflow\.test>$/m);
    assert.match(raw, /^Date: Mon, 06 May 2024 07:08:09 \+0000$/m);
    assert.match(raw, /^X-Priority: 5 \(Lowest\)$/m);
    assert.doesNotMatch(raw, /^Bcc:|c@example\.org/m);
  });
});
