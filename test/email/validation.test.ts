import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Value } from '@sinclair/typebox/value';
import { assertRejected, build } from './compose.js';
import { prepareEmail, SendEmailInput } from '../../src/email/index.js';

const ok = { From: 'sender@example.org', To: 'rcpt@example.org' };

describe('Send Email validation (400s)', () => {
  it('needs at least one recipient across To, CC and Bcc', () => {
    assertRejected({ From: 'me@x.org' }, 'MissingRecipient', 'To');
    assertRejected({ From: 'me@x.org', To: ' ; ', CC: '', Bcc: ',' }, 'MissingRecipient', 'To');
  });

  it('needs From or a default sender, and exactly one', () => {
    assertRejected({ To: 'a@x.org' }, 'MissingSender', 'From');
    assertRejected({ To: 'a@x.org', From: '  ' }, 'MissingSender', 'From', { defaultFrom: '' });
    assertRejected({ To: 'a@x.org', From: 'a@x.org; b@x.org' }, 'InvalidAddress', 'From');
    assertRejected({ To: 'a@x.org' }, 'InvalidAddress', 'From', { defaultFrom: 'not an address' });
    assertRejected({ To: 'a@x.org', From: 'not-an-address' }, 'InvalidAddress', 'From');
  });

  for (const field of ['To', 'CC', 'Bcc', 'From', 'ReplyTo', 'ReadReceipt', 'DeliveryReceipt'] as const) {
    for (const br of ['\r\n', '\n', '\r']) {
      it(`refuses a ${JSON.stringify(br)} in ${field} as HeaderInjection`, () => {
        assertRejected({ ...ok, [field]: `a@x.org${br}Bcc: victim@evil.org` }, 'HeaderInjection', field);
      });
    }
  }

  it('refuses a line break in Subject, header names and header values', () => {
    assertRejected({ ...ok, Subject: 'Hello\r\nBcc: victim@evil.org' }, 'HeaderInjection', 'Subject');
    assertRejected({ ...ok, Subject: 'Hello\nworld' }, 'HeaderInjection', 'Subject');
    assertRejected({ ...ok, Headers: { 'X-Test': 'a\r\nBcc: victim@evil.org' } }, 'HeaderInjection', 'Headers.X-Test');
    assertRejected({ ...ok, Headers: { 'X-Test\r\nBcc': 'v' } }, 'HeaderInjection', 'Headers');
  });

  it('refuses NUL anywhere, naming the field: email cannot carry it (nor PostgreSQL store it)', () => {
    assertRejected({ ...ok, Subject: '\u0000' }, 'InvalidCharacter', 'Subject');
    assertRejected({ ...ok, Body: 'before\u0000after' }, 'InvalidCharacter', 'Body');
    assertRejected({ ...ok, Headers: { 'X-Test': 'a\u0000' } }, 'InvalidCharacter', 'Headers.X-Test');
    assertRejected({ ...ok, Attachments: [{ ContentData: 'aGk=', FileName: 'a\u0000.txt' }] }, 'InvalidCharacter', 'Attachments[0].FileName');
  });

  it('allows only X- header names', () => {
    for (const name of ['Subject', 'Bcc', 'X-', 'X-Bad Name', 'X-Ünicode', 'x-lower']) {
      assertRejected({ ...ok, Headers: { [name]: 'v' } }, 'InvalidHeader', 'Headers');
    }
  });

  it('refuses unknown properties and wrong types, naming the field', () => {
    assertRejected({ ...ok, Cc: 'a@x.org' }, 'UnknownProperty', 'Cc');
    assertRejected({ ...ok, Attachments: [{ ContentData: '', Name: 'x' }] }, 'UnknownProperty', 'Attachments[0].Name');
    assertRejected({ ...ok, Importance: 'Urgent' }, 'InvalidProperty', 'Importance');
    assertRejected({ ...ok, Attachments: [{ ContentData: '', ContentTransferEncoding: 'quoted-printable' }] }, 'InvalidProperty', 'Attachments[0].ContentTransferEncoding');
    assertRejected({ ...ok, Attachments: [{ FileName: 'a.txt' }] }, 'MissingProperty', 'Attachments[0].ContentData');
    assertRejected({ ...ok, To: ['a@x.org'] }, 'InvalidProperty', 'To');
    assertRejected({ ...ok, Subject: 'x'.repeat(901) }, 'TooLong', 'Subject');
  });

  it('converts the loose types workflow expressions produce', async () => {
    const { parsed } = await build({ ...ok, IsHtml: 'true', Subject: 42, Body: '<i>x</i>' } as never);
    assert.equal(parsed.subject, '42');
    assert.equal(parsed.html, '<i>x</i>');
  });

  it('leaves the caller\'s input untouched (it is stored and prepared again on retry)', () => {
    const input = { ...ok, IsHtml: 'false', Attachments: [{ ContentData: 'SGVsbG8=' }] };
    const before = structuredClone(input);
    prepareEmail(input as never, { messageId: '<a@b>', date: new Date(0) });
    assert.deepEqual(input, before);
  });
});

describe('SendEmailInput schema', () => {
  it('has the seed property names, descriptions and no additional properties', () => {
    const names = Object.keys(SendEmailInput.properties).sort();
    assert.deepEqual(names, [
      'Attachments', 'Bcc', 'Body', 'CC', 'DeliveryReceipt', 'From', 'Headers', 'Importance', 'IsHtml',
      'ReadReceipt', 'ReplyTo', 'Subject', 'Text', 'To',
    ]);
    assert.equal(SendEmailInput.additionalProperties, false);
    for (const [name, schema] of Object.entries(SendEmailInput.properties)) {
      assert.ok((schema as { description?: string }).description, `${name} has a description`);
    }
    const attachment = SendEmailInput.properties.Attachments.items;
    assert.equal(attachment.additionalProperties, false);
    assert.deepEqual(Object.keys(attachment.properties).sort(), ['ContentData', 'ContentId', 'ContentTransferEncoding', 'ContentType', 'FileName']);
    assert.ok(Value.Check(SendEmailInput, { To: 'a@x.org', Headers: { 'X-A': 'b' }, Importance: 'Low' }));
    // Header names are judged by prepareEmail (InvalidHeader on HTTP and workflow paths alike); the schema states the rule.
    assert.match(SendEmailInput.properties.Headers.description ?? '', /names starting with 'X-'/);
  });
});
