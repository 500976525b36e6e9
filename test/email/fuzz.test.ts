import assert from 'node:assert/strict';
import { it } from 'node:test';
import fc from 'fast-check';
import { simpleParser } from 'mailparser';
import { AppError } from '../../src/errors.js';
import { prepareEmail, type SendEmailInput } from '../../src/email/index.js';
import { compose, DATE, MESSAGE_ID } from './compose.js';

// Characters that break headers or address parsing, mixed with ordinary and non-ASCII ones.
const tricky = fc.constantFrom(
  'a', 'b', 'x', '1', '@', '.', '-', '<', '>', '"', ';', ',', ':', ' ', '\t', '\r', '\n', '\r\n', '\0', '\x0b', '\x7f',
  '\\', '(', ')', '[', ']', '=', '?', '/', 'é', 'ü', 'ß', '日', '😀', '\u2028', '\u0085', '\ufeff',
);
const randomText = fc.oneof(
  fc.string({ unit: tricky, maxLength: 40 }),
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.string({ unit: 'grapheme', maxLength: 40 }),
  fc.tuple(fc.emailAddress(), fc.string({ unit: tricky, maxLength: 6 })).map(([a, s]) => a + s),
);
const mostly = <T>(valid: fc.Arbitrary<T>) => fc.oneof({ weight: 8, arbitrary: valid }, { weight: 1, arbitrary: randomText });
const addressLike = fc.oneof(fc.emailAddress(), fc.constant('"Doe; John" <j@x.org>'), fc.constant('Zoë <z@bücher.de>'));

const input = fc.record(
  {
    To: mostly(addressLike),
    CC: mostly(addressLike),
    Bcc: mostly(addressLike),
    From: mostly(addressLike),
    ReplyTo: mostly(addressLike),
    ReadReceipt: mostly(addressLike),
    DeliveryReceipt: mostly(addressLike),
    Subject: randomText,
    Headers: fc.dictionary(mostly(fc.constantFrom('X-A', 'X-Campaign-Id', 'X-1')), randomText, { maxKeys: 2 }),
    Attachments: fc.array(
      fc.record(
        {
          ContentData: fc.constant('SGVsbG8='),
          FileName: randomText,
          ContentType: mostly(fc.constantFrom('text/plain', 'image/png; name=x', 'application/pdf')),
          ContentId: mostly(fc.constantFrom('logo', 'a.b@c', '<id@x>')),
        },
        { requiredKeys: ['ContentData'] },
      ),
      { maxLength: 2 },
    ),
  },
  { requiredKeys: [] },
);

const BOUNDARY = /^--(--_NmP-[0-9a-f]+-Part_\d+)$/;
const HEADER_LINE = /^(?:[!-9;-~]+:|[ \t])/;

/** Every line of every header section (the message's and each part's) is a field or a fold. */
function headerLines(raw: string): string[] {
  const lines = raw.split('\r\n');
  const out: string[] = [];
  let inHeader = true;
  for (const line of lines) {
    if (inHeader) {
      if (line === '') inHeader = false;
      else out.push(line);
    } else if (BOUNDARY.test(line)) {
      inHeader = true;
    }
  }
  return out;
}

const EXPECTED_TOP = new Set([
  'importance', 'x-priority', 'x-msmail-priority', 'disposition-notification-to', 'return-receipt-to', 'from', 'to', 'cc',
  'reply-to', 'subject', 'message-id', 'date', 'mime-version', 'content-type', 'content-transfer-encoding',
]);

it('random header-bound fields either compose cleanly or are refused with a 400', async () => {
  await fc.assert(
    fc.asyncProperty(input, async (candidate) => {
      let prepared;
      try {
        prepared = prepareEmail(candidate as SendEmailInput, { messageId: MESSAGE_ID, date: DATE, defaultFrom: 'fallback@example.org' });
      } catch (err) {
        assert.ok(err instanceof AppError, `not an AppError: ${String(err)}`);
        assert.equal(err.status, 400);
        assert.match(err.code, /^[A-Z][A-Za-z]+$/);
        assert.ok(err.field, 'a refusal names its field');
        return;
      }
      const raw = (await compose(prepared.mail)).toString('latin1');
      assert.ok(!/\r(?!\n)|(?<!\r)\n/.test(raw), 'no bare CR or LF anywhere in the message');
      const lines = headerLines(raw);
      for (const line of lines) assert.match(line, HEADER_LINE, `header line ${JSON.stringify(line)}`);

      const topEnd = raw.indexOf('\r\n\r\n');
      const top = raw.slice(0, topEnd).split('\r\n').filter((l) => !/^[ \t]/.test(l)).map((l) => l.slice(0, l.indexOf(':')).toLowerCase());
      const custom = new Set(Object.keys(candidate.Headers ?? {}).map((k) => k.toLowerCase()));
      for (const name of top) assert.ok(EXPECTED_TOP.has(name) || custom.has(name), `unexpected header ${name}`);
      assert.ok(!top.includes('bcc'));

      const parsed = await simpleParser(raw);
      if (candidate.Subject && /^\S(.*\S)?$/su.test(candidate.Subject) && !/[\x00-\x1f\x7f]/.test(candidate.Subject)) {
        assert.equal(parsed.subject, candidate.Subject, 'the subject reads back exactly');
      }
      assert.ok(prepared.envelope.to.length >= 1 && prepared.envelope.from);
      for (const rcpt of [prepared.envelope.from, ...prepared.envelope.to]) assert.ok(!/[\s<>]/.test(rcpt.replace(/"[^"]*"/, '')), rcpt);
    }),
    { numRuns: 400 },
  );
});
