import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { assertRejected, build } from './compose.js';
import { parseAddressList } from '../../src/email/index.js';

describe('parseAddressList', () => {
  it('splits on ; and , and ignores empty entries', () => {
    assert.deepEqual(parseAddressList(' a@x.org; b@y.org,c@z.org ;; , ', 'To'), [
      { name: '', address: 'a@x.org' },
      { name: '', address: 'b@y.org' },
      { name: '', address: 'c@z.org' },
    ]);
    assert.deepEqual(parseAddressList('', 'To'), []);
    assert.deepEqual(parseAddressList(' ; , ', 'To'), []);
  });

  it('keeps quoted display names holding ; and , as one address', () => {
    assert.deepEqual(parseAddressList('"Doe; John" <j@x.org>; "Smith, Anna" <a@x.org>, Bob Jones <bob@x.org>', 'To'), [
      { name: 'Doe; John', address: 'j@x.org' },
      { name: 'Smith, Anna', address: 'a@x.org' },
      { name: 'Bob Jones', address: 'bob@x.org' },
    ]);
  });

  it('accepts internationalised domains and UTF-8 local parts, lowercasing the domain', () => {
    assert.deepEqual(parseAddressList('Jürgen <jürgen@Bücher.DE>; info@例え.jp', 'To'), [
      { name: 'Jürgen', address: 'jürgen@bücher.de' },
      { name: '', address: 'info@例え.jp' },
    ]);
  });

  it('accepts quoted local parts and address literals', () => {
    assert.deepEqual(parseAddressList('"john smith"@x.org, ops@[192.0.2.1]', 'CC'), [
      { name: '', address: '"john smith"@x.org' },
      { name: '', address: 'ops@[192.0.2.1]' },
    ]);
  });

  for (const bad of [
    'not-an-address',
    'a@',
    '@x.org',
    'a@b@c.org',
    'a@-x.org',
    'a@x..org',
    'a@192.0.2.1',
    'a@[999.1.1.1]',
    'Name <>',
    'a@x.org b@y.org',
    'ok@x.org; broken',
    'a\u0001b@x.org', // a control character (NUL itself is refused earlier, as InvalidCharacter)
    `${'l'.repeat(65)}@x.org`,
  ]) {
    it(`refuses ${JSON.stringify(bad)} with InvalidAddress naming the field`, () => {
      assertRejected({ From: 'me@x.org', To: 'fine@x.org', CC: bad }, 'InvalidAddress', 'CC');
    });
  }

  it('names the invalid entry and how to write one in the message', () => {
    const err = assertRejected({ From: 'me@x.org', To: 'ok@x.org; not-an-address' }, 'InvalidAddress', 'To');
    assert.match(err.message, /'not-an-address'/);
    assert.match(err.message, /Display Name <a@b\.c>/);
  });
});

describe('addresses in the message', () => {
  it('writes display names and IDN domains correctly and puts punycode in the envelope', async () => {
    const { headers, parsed, prepared } = await build({
      From: '"Müller, Hans" <hans@bücher.de>',
      To: '"Doe; John" <john@x.org>; Zoë <zoe@exämple.org>',
      CC: 'anna@例え.jp',
    });
    assert.deepEqual(prepared.envelope, {
      from: 'hans@xn--bcher-kva.de',
      to: ['john@x.org', 'zoe@xn--exmple-cua.org', 'anna@xn--r8jz45g.jp'],
    });
    assert.ok(/^[\x00-\x7f]*$/.test(headers), 'an ASCII-local-part message has pure ASCII headers');
    assert.deepEqual(
      parsed.to && !Array.isArray(parsed.to) ? parsed.to.value.map((a) => [a.name, a.address]) : [],
      [
        ['Doe; John', 'john@x.org'],
        ['Zoë', 'zoe@exämple.org'],
      ],
      'mailparser reads the punycode back as Unicode',
    );
    assert.match(headers, /^To: "Doe; John" <john@x\.org>, =\?UTF-8\?Q\?Zo=C3=AB\?= <zoe@xn--exmple-cua\.org>$/m);
    assert.equal(parsed.from?.value[0].name, 'Müller, Hans');
    assert.deepEqual(prepared.summary, {
      from: 'hans@bücher.de',
      to: ['john@x.org', 'zoe@exämple.org'],
      cc: ['anna@例え.jp'],
      bcc: [],
      subject: '',
    });
  });

  it('keeps a UTF-8 local part as UTF-8 (SMTPUTF8) with the domain in punycode in the envelope', async () => {
    const { prepared, parsed } = await build({ From: 'me@x.org', To: 'jürgen@bücher.de' });
    assert.deepEqual(prepared.envelope.to, ['jürgen@xn--bcher-kva.de']);
    assert.equal(parsed.to && !Array.isArray(parsed.to) ? parsed.to.value[0].address : '', 'jürgen@bücher.de');
  });

  it('sends once to an address listed twice', async () => {
    const { prepared } = await build({ From: 'me@x.org', To: 'a@x.org; A <a@x.org>', Bcc: 'a@x.org' });
    assert.deepEqual(prepared.envelope.to, ['a@x.org']);
  });
});
