/**
 * Input limits (issue 7, part 1): every limit answers 400 or 413 with a code, the field and a
 * fix; the configurable ones follow their SMTPFLOW_* settings; and the defaults carry a 25 MiB
 * attachment from the API to the SMTP server intact.
 */
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { loadConfig } from '../../src/config.js';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { startSmtpPeer, type SmtpPeer } from '../helpers/smtp-peers.js';
import { connectTo, sendPath } from '../outbox/harness.js';

const ok = { From: 'sender@example.org', To: 'rcpt@example.org', Subject: 'limits', Body: 'x' };
const addresses = (n: number, domain = 'example.org'): string => Array.from({ length: n }, (_, i) => `r${i}@${domain}`).join('; ');

/** A refusal that names its field and says how to fix it. */
function assertRefused(res: { status: number; body: any }, status: number, code: string, field?: string): void {
  assert.equal(res.status, status, JSON.stringify(res.body).slice(0, 500));
  assert.equal(res.body.error.code, code, res.body.error.message);
  assert.equal(res.body.error.field, field);
  assert.match(res.body.error.message, /; [a-z].{10,}/, `the message says what to do: ${res.body.error.message}`);
}

describe('input limits', () => {
  let peer: SmtpPeer;
  before(async () => {
    peer = await startSmtpPeer();
  });
  after(() => peer.close());

  describe('configured low (SMTPFLOW_BODY_LIMIT, SMTPFLOW_MAX_RECIPIENTS, SMTPFLOW_MAX_ATTACHMENT_BYTES)', () => {
    let t: TestApp;
    before(async () => {
      const env = { SMTPFLOW_BODY_LIMIT: '4096', SMTPFLOW_MAX_RECIPIENTS: '3', SMTPFLOW_MAX_ATTACHMENT_BYTES: '10' };
      const { bodyLimit, maxRecipients, maxAttachmentBytes } = loadConfig({}, env);
      assert.deepEqual({ bodyLimit, maxRecipients, maxAttachmentBytes }, { bodyLimit: 4096, maxRecipients: 3, maxAttachmentBytes: 10 });
      t = await startTestApp({ bodyLimit, maxRecipients, maxAttachmentBytes });
      await connectTo(t, 'peer', peer);
    });
    after(() => t.close());

    test('a body over the limit: 413 PayloadTooLarge, before anything is parsed', async () => {
      const res = await t.api('POST', sendPath('peer'), { ...ok, Body: 'x'.repeat(5000) });
      assertRefused(res, 413, 'PayloadTooLarge', undefined);
      assert.match(res.body.error.message, /4096 bytes.*SMTPFLOW_BODY_LIMIT/);
    });

    test('recipients over the limit, counted once each across To, CC and Bcc: 400 TooManyRecipients at the field that crosses it', async () => {
      assertRefused(await t.api('POST', sendPath('peer'), { ...ok, To: addresses(4) }), 400, 'TooManyRecipients', 'To');
      assertRefused(await t.api('POST', sendPath('peer'), { ...ok, To: addresses(2), Bcc: 'x@example.net; y@example.net' }), 400, 'TooManyRecipients', 'Bcc');
      const same = await t.api('POST', sendPath('peer'), { ...ok, To: addresses(3), CC: addresses(3), Bcc: 'r0@EXAMPLE.ORG' });
      assert.equal(same.status, 200, 'the same three people in To and CC are three recipients');
    });

    test('attachments over the byte limit, counted decoded: 413 AttachmentsTooLarge at the attachment that crosses it', async () => {
      const five = { ContentData: Buffer.from('12345').toString('base64'), FileName: 'five.txt' };
      const res = await t.api('POST', sendPath('peer'), { ...ok, Attachments: [five, { ContentData: '12345', ContentTransferEncoding: 'none' }, five] });
      assertRefused(res, 413, 'AttachmentsTooLarge', 'Attachments[2]');
      const fits = await t.api('POST', sendPath('peer'), { ...ok, Attachments: [five, five] });
      assert.equal(fits.status, 200, JSON.stringify(fits.body));
    });

    test('an asynchronous send meets the same limits when it is accepted', async () => {
      const res = await t.api('POST', sendPath('peer'), { ...ok, To: addresses(4) }, { headers: { prefer: 'respond-async' } });
      assertRefused(res, 400, 'TooManyRecipients', 'To');
    });
  });

  describe('fixed limits, and the defaults', () => {
    let t: TestApp;
    before(async () => {
      // No delivery worker: the 25 MiB message below is only accepted (delivering it is the outbox's tests' job).
      t = await startTestApp({ worker: false });
      await connectTo(t, 'peer', peer);
    });
    after(() => t.close());

    test('subject, header names and values fit one header line; display names, attachments and headers are bounded', async () => {
      const send = (extra: Record<string, unknown>) => t.api('POST', sendPath('peer'), { ...ok, ...extra });
      assertRefused(await send({ Subject: 's'.repeat(901) }), 400, 'TooLong', 'Subject');
      assertRefused(await send({ Headers: { 'X-Note': 'v'.repeat(901) } }), 400, 'TooLong', 'Headers.X-Note');
      assertRefused(await send({ Headers: { [`X-${'n'.repeat(75)}`]: 'v' } }), 400, 'InvalidHeader', 'Headers');
      assertRefused(await send({ To: `${'N'.repeat(257)} <a@example.org>` }), 400, 'InvalidAddress', 'To');
      assertRefused(await send({ Attachments: Array.from({ length: 251 }, () => ({ ContentData: '' })) }), 400, 'TooManyItems', 'Attachments');
      assertRefused(await send({ Headers: Object.fromEntries(Array.from({ length: 51 }, (_, i) => [`X-H${i}`, 'v'])) }), 400, 'TooManyItems', 'Headers');
      assertRefused(await send({ To: addresses(501) }), 400, 'TooManyRecipients', 'To');

      const longest = await send({ Subject: 's'.repeat(900), Headers: { [`X-${'n'.repeat(74)}`]: 'v'.repeat(900) }, To: `${'N'.repeat(256)} <a@example.org>` });
      assert.equal(longest.status, 200, JSON.stringify(longest.body));
      const msg = peer.messages.at(-1)!;
      for (const line of msg.raw.toString('latin1').split('\r\n')) assert.ok(line.length <= 998, `a line of ${line.length} octets`);
    });

    test('the default limits accept a 25 MiB attachment, base64 with line breaks, and store it whole', async () => {
      const base64 = crypto.randomBytes(25 * 1024 * 1024).toString('base64').replace(/.{76}/g, '$&\r\n');
      const res = await t.api('POST', sendPath('peer'), { ...ok, Attachments: [{ ContentData: base64, FileName: 'big.bin' }] }, { headers: { prefer: 'respond-async' } });
      assert.equal(res.status, 202, JSON.stringify(res.body));
      const stored = await t.app.store.db.selectFrom('messages').select('request').where('id', '=', res.body.id).executeTakeFirstOrThrow();
      assert.equal(JSON.parse(stored.request).Attachments[0].ContentData, base64);
    });
  });
});
