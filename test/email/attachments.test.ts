import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { assertRejected, build } from './compose.js';
import { decodeBase64 } from '../../src/email/index.js';

const base = { From: 'sender@example.org', To: 'rcpt@example.org' };

describe('attachments', () => {
  it('sends exactly the bytes the base64 ContentData encodes, line breaks in it allowed', async () => {
    const bytes = randomBytes(5000);
    const wrapped = bytes.toString('base64').replace(/.{76}/g, '$&\r\n');
    const { parsed } = await build({
      ...base,
      Attachments: [{ ContentData: wrapped, ContentType: 'application/octet-stream', ContentTransferEncoding: 'base64', FileName: 'data.bin' }],
    });
    assert.equal(parsed.attachments.length, 1);
    assert.ok(parsed.attachments[0].content.equals(bytes));
    assert.equal(parsed.attachments[0].filename, 'data.bin');
    assert.equal(parsed.attachments[0].contentType, 'application/octet-stream');
    assert.equal(parsed.attachments[0].contentDisposition, 'attachment');
  });

  it('treats an attachment without ContentTransferEncoding as base64 on every path', async () => {
    for (const path of ['SendEmail', 'SendEmailV2', 'SendEmailV3'] as const) {
      const { parsed } = await build({ ...base, Attachments: [{ ContentData: 'SGVsbG8=', FileName: 'a.txt' }] }, { path });
      assert.equal(parsed.attachments[0].content.toString(), 'Hello', path);
    }
  });

  it("sends ContentData as it is with ContentTransferEncoding 'none'", async () => {
    const text = 'name;city\nZoë;Köln\n';
    const { parsed } = await build({ ...base, Attachments: [{ ContentData: text, ContentTransferEncoding: 'none', ContentType: 'text/csv', FileName: 'list.csv' }] });
    assert.equal(parsed.attachments[0].content.toString('utf8'), text);
    assert.equal(parsed.attachments[0].contentType, 'text/csv');
  });

  it('keeps a Unicode file name through RFC 2231 encoding', async () => {
    const name = 'Übersicht März 2024 — 報告書 😀.pdf';
    const { parsed, raw } = await build({ ...base, Attachments: [{ ContentData: 'JVBERi0=', ContentType: 'application/pdf', FileName: name }] });
    assert.match(raw.toString('latin1'), /filename\*0\*=utf-8''/);
    assert.equal(parsed.attachments[0].filename, name);
  });

  it('makes a ContentId attachment an inline part the HTML references by cid', async () => {
    const png = randomBytes(64);
    const { parsed, raw } = await build({
      ...base,
      IsHtml: true,
      Body: '<p>Logo: <img src="cid:logo@example.org"></p>',
      Attachments: [
        { ContentData: png.toString('base64'), ContentType: 'image/png', FileName: 'logo.png', ContentId: '<logo@example.org>' },
        { ContentData: 'SGVsbG8=', FileName: 'a.txt' },
      ],
    });
    const text = raw.toString('latin1');
    assert.match(text, /^Content-Type: multipart\/related;/m);
    assert.match(text, /^Content-ID: <logo@example\.org>$/m);
    const inline = parsed.attachments.find((a) => a.contentId === '<logo@example.org>');
    assert.ok(inline, 'the inline part is there');
    assert.ok(inline.content.equals(png));
    assert.equal(inline.contentDisposition, 'inline');
    assert.equal(inline.related, true);
    assert.match(String(parsed.html), /cid:logo@example\.org/);
    assert.equal(parsed.attachments.find((a) => a.filename === 'a.txt')?.contentDisposition, 'attachment');
  });

  it('names an attachment without FileName and keeps an empty-body message multipart', async () => {
    const { parsed, headers } = await build({
      ...base,
      Attachments: [
        { ContentData: 'SGVsbG8=' },
        { ContentData: 'UE5H', ContentType: 'image/png' },
        { ContentData: 'UE5H', ContentType: 'image/png', ContentId: 'pic' },
      ],
    });
    assert.match(headers, /^Content-Type: multipart\/mixed;/m);
    assert.deepEqual(
      parsed.attachments.map((a) => [a.filename, a.contentType]),
      [
        ['attachment-1.bin', 'application/octet-stream'],
        ['attachment-2.png', 'image/png'],
        [undefined, 'image/png'],
      ],
    );
  });

  it('accepts empty and unpadded base64, and refuses what cannot be base64', () => {
    assert.equal(decodeBase64('', 'x').length, 0);
    assert.equal(decodeBase64('SGVsbG8', 'x').toString(), 'Hello');
    assert.equal(decodeBase64(' SGVs\n bG8=\t', 'x').toString(), 'Hello');
    for (const bad of ['SGVsbG8*', 'SGVsb', 'SGV=sbG8', 'SGVsbG8===', 'SGVsbA=', 'SGVs-bG8_', 'é']) {
      assertRejected({ ...base, Attachments: [{ ContentData: 'SGVsbG8=' }, { ContentData: bad }] }, 'InvalidBase64', 'Attachments[1].ContentData');
    }
  });

  it('refuses bad content types and content ids with the field named', () => {
    assertRejected({ ...base, Attachments: [{ ContentData: '', ContentType: 'pdf' }] }, 'InvalidContentType', 'Attachments[0].ContentType');
    assertRejected({ ...base, Attachments: [{ ContentData: '', ContentType: 'text/plain\r\nBcc: x@evil.org' }] }, 'HeaderInjection', 'Attachments[0].ContentType');
    assertRejected({ ...base, Attachments: [{ ContentData: '', ContentId: 'my logo' }] }, 'InvalidContentId', 'Attachments[0].ContentId');
    assertRejected({ ...base, Attachments: [{ ContentData: '', ContentId: 'logo\n' }] }, 'HeaderInjection', 'Attachments[0].ContentId');
    assertRejected({ ...base, Attachments: [{ ContentData: '', FileName: 'a.txt\r\nX-Evil: 1' }] }, 'HeaderInjection', 'Attachments[0].FileName');
  });
});
