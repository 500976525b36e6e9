import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { build, DATE, MESSAGE_ID } from './compose.js';
import { newMessageId } from '../../src/email/index.js';

const base = { From: 'Sender <sender@example.org>', To: 'rcpt@example.org' };

describe('composed message headers', () => {
  it('encodes a Unicode subject per RFC 2047 and decodes it back exactly', async () => {
    const subject = 'Grüße aus Köln — 日本語 😀 and a very long tail that needs folding across more than one line of header';
    const { headers, parsed } = await build({ ...base, Subject: subject, Body: 'x' });
    const line = /^Subject: (.*(?:\r\n[ \t].*)*)/m.exec(headers)?.[1] ?? '';
    assert.match(line, /=\?UTF-8\?[QB]\?/);
    assert.ok(/^[\x20-\x7e\r\n\t]*$/.test(line), 'the raw Subject is pure ASCII');
    assert.equal(parsed.subject, subject);
  });

  it('keeps the fixed Message-ID and Date so a retry sends the same message', async () => {
    const first = await build({ ...base, Subject: 's' });
    const second = await build({ ...base, Subject: 's' });
    assert.match(first.headers, /^Message-ID: <fixed-id@smtpflow\.test>$/m);
    assert.match(first.headers, /^Date: Mon, 06 May 2024 07:08:09 \+0000$/m);
    assert.equal(first.parsed.messageId, MESSAGE_ID);
    assert.equal(first.parsed.date?.getTime(), DATE.getTime());
    assert.equal(first.prepared.mail.messageId, second.prepared.mail.messageId);
  });

  for (const [importance, value, priority] of [
    ['High', 'High', '1 (Highest)'],
    ['Normal', 'Normal', '3 (Normal)'],
    ['Low', 'Low', '5 (Lowest)'],
  ] as const) {
    it(`Importance ${importance} sets Importance and X-Priority`, async () => {
      const { headers } = await build({ ...base, Importance: importance, Headers: { 'X-Priority': '2' } });
      assert.match(headers, new RegExp(`^Importance: ${value}$`, 'm'));
      assert.match(headers, new RegExp(`^X-Priority: ${priority.replace(/[()]/g, '\\$&')}$`, 'm'));
      assert.equal(headers.match(/^X-Priority:/gim)?.length, 1, 'the typed field wins over an X-Priority in Headers');
    });
  }

  it('sends no priority headers when Importance is absent', async () => {
    const { headers } = await build(base);
    assert.doesNotMatch(headers, /^(Importance|X-Priority):/im);
  });

  it('puts Bcc only in the envelope, never in the headers', async () => {
    const { headers, raw, prepared, parsed } = await build({ ...base, CC: 'cc@example.org', Bcc: 'Hidden Person <hidden@example.org>; other@example.org' });
    assert.doesNotMatch(headers, /^Bcc:/im);
    assert.ok(!raw.includes('hidden@example.org') && !raw.includes('other@example.org'), 'no trace of Bcc in the bytes');
    assert.equal(parsed.bcc, undefined);
    assert.deepEqual(prepared.envelope, {
      from: 'sender@example.org',
      to: ['rcpt@example.org', 'cc@example.org', 'hidden@example.org', 'other@example.org'],
    });
    assert.deepEqual(prepared.mail.envelope, prepared.envelope);
    assert.deepEqual(prepared.summary.bcc, ['hidden@example.org', 'other@example.org']);
  });

  it('keeps a Bcc-only message deliverable (no To header, envelope recipients only)', async () => {
    const { headers, prepared } = await build({ From: 'sender@example.org', Bcc: 'hidden@example.org' });
    assert.doesNotMatch(headers, /^(To|Bcc):/im);
    assert.deepEqual(prepared.envelope.to, ['hidden@example.org']);
  });

  it('adds ReplyTo, ReadReceipt, DeliveryReceipt and X- headers', async () => {
    const { headers, parsed, prepared } = await build({
      ...base,
      ReplyTo: '"Support, Team" <support@example.org>',
      ReadReceipt: 'Reader <read@example.org>',
      DeliveryReceipt: 'deliver@bücher.de',
      Headers: { 'X-Campaign': 'spring-2024', 'X-Note': 'Grüße' },
    });
    assert.equal(parsed.replyTo?.value[0].address, 'support@example.org');
    assert.equal(parsed.replyTo?.value[0].name, 'Support, Team');
    assert.match(headers, /^Disposition-Notification-To: <read@example\.org>$/m);
    assert.match(headers, /^Return-Receipt-To: <deliver@xn--bcher-kva\.de>$/m);
    assert.match(headers, /^X-Campaign: spring-2024$/m);
    // mailparser leaves unknown headers encoded, so the RFC 2047 word is checked as sent
    assert.match(headers, /^X-Note: =\?UTF-8\?Q\?Gr=C3=BC=C3=9Fe\?=$/m);
    assert.deepEqual(prepared.mail.dsn, { notify: ['success', 'failure', 'delay'], ret: 'HDRS', envid: 'fixed-id@smtpflow.test', recipient: 'rcpt@example.org' });
  });

  it('leaves ORCPT out of the DSN request when there are several recipients', async () => {
    const { prepared } = await build({ ...base, CC: 'two@example.org', DeliveryReceipt: 'sender@example.org' });
    assert.deepEqual(prepared.mail.dsn, { notify: ['success', 'failure', 'delay'], ret: 'HDRS', envid: 'fixed-id@smtpflow.test' });
  });

  it('uses the default sender when From is absent', async () => {
    const { parsed, prepared } = await build({ To: 'rcpt@example.org' }, { defaultFrom: 'Robot <robot@example.org>' });
    assert.equal(parsed.from?.value[0].address, 'robot@example.org');
    assert.equal(parsed.from?.value[0].name, 'Robot');
    assert.equal(prepared.envelope.from, 'robot@example.org');
  });

  it('newMessageId gives distinct <random@domain> ids, domain in punycode', () => {
    const a = newMessageId('bücher.de');
    assert.match(a, /^<[0-9a-z]{25}@xn--bcher-kva\.de>$/);
    assert.notEqual(newMessageId('example.org'), newMessageId('example.org'));
  });
});

describe('composed message bodies', () => {
  it('IsHtml sends the HTML with a generated plain-text alternative', async () => {
    const html = '<h1>Hello</h1><p>Visit <a href="https://example.org/x">our site</a> — naïve café.</p>';
    const { parsed, headers } = await build({ ...base, Body: html, IsHtml: true });
    assert.match(headers, /^Content-Type: multipart\/alternative;/m);
    assert.equal(parsed.html, html);
    assert.match(parsed.text ?? '', /HELLO/);
    assert.match(parsed.text ?? '', /our site \[https:\/\/example\.org\/x\]/);
    assert.match(parsed.text ?? '', /naïve café/);
    assert.doesNotMatch(parsed.text ?? '', /</);
  });

  it('uses Text as the alternative when given', async () => {
    const { parsed } = await build({ ...base, Body: '<b>bold</b>', IsHtml: true, Text: 'plain words' });
    assert.equal(parsed.text?.trim(), 'plain words');
    assert.equal(parsed.html, '<b>bold</b>');
  });

  it('sends a text body as text/plain only, byte for byte', async () => {
    const body = 'Line one\nLine two with <not html> & ünïcödé';
    const { parsed, headers } = await build({ ...base, Body: body });
    assert.match(headers, /^Content-Type: text\/plain; charset=utf-8$/m);
    assert.ok(!parsed.html, "no HTML part");
    assert.equal(parsed.text?.replace(/\n$/, ''), body);
  });

  it('defaults to HTML on the SendEmailV3 path and to text elsewhere', async () => {
    const v3 = await build({ ...base, Body: '<p>hi</p>' }, { path: 'SendEmailV3' });
    assert.equal(v3.parsed.html, '<p>hi</p>');
    assert.equal(v3.parsed.text?.trim(), 'hi');
    for (const path of ['SendEmail', 'SendEmailV2', undefined] as const) {
      const other = await build({ ...base, Body: '<p>hi</p>' }, { path });
      assert.ok(!other.parsed.html, String(path));
      assert.equal(other.parsed.text?.trim(), '<p>hi</p>');
    }
    const explicit = await build({ ...base, Body: '<p>hi</p>', IsHtml: false }, { path: 'SendEmailV3' });
    assert.ok(!explicit.parsed.html);
  });
});
