import assert from 'node:assert/strict';
import net from 'node:net';
import { after, before, describe, test } from 'node:test';
import nodemailer from 'nodemailer';
import { startTestApp, TEST_ADMIN_KEY, type TestApp } from '../helpers/app.js';

async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe('development SMTP server and inbox', () => {
  let t: TestApp;
  before(async () => {
    t = await startTestApp({ devSmtpPort: await freePort() });
  });
  after(() => t.close());

  test('the embedded default has a ready dev-inbox connection pointing at the dev server', async () => {
    const res = await t.api('GET', '/api/v1/connections/dev-inbox');
    assert.equal(res.status, 200);
    assert.equal(res.body.port, t.app.devSmtpPort);
    assert.equal(res.body.security, 'none');
  });

  test('a message sent to the dev server is kept, parsed, and downloadable raw and by attachment', async () => {
    const transport = nodemailer.createTransport({ host: '127.0.0.1', port: t.app.devSmtpPort, secure: false, ignoreTLS: true });
    const bytes = Buffer.from([0, 1, 2, 250, 251, 252, 10, 13]);
    await transport.sendMail({
      from: 'Sender <sender@example.com>',
      to: 'Ada <ada@example.com>',
      bcc: 'hidden@example.com',
      subject: 'Grüße ✉',
      text: 'plain body',
      html: '<p>html body</p>',
      attachments: [{ filename: 'résumé.bin', content: bytes }],
    });
    transport.close();

    const list = await t.api('GET', '/api/v1/inbox');
    assert.equal(list.status, 200);
    assert.equal(list.body.messages.length, 1);
    const summary = list.body.messages[0];
    assert.equal(summary.subject, 'Grüße ✉');
    assert.deepEqual(summary.envelope.to.sort(), ['ada@example.com', 'hidden@example.com']);

    const one = await t.api('GET', `/api/v1/inbox/${summary.id}`);
    assert.equal(one.body.text.trim(), 'plain body');
    assert.match(one.body.html, /html body/);
    assert.equal(one.body.attachments[0].filename, 'résumé.bin');
    assert.equal(one.body.headers.some((h: { name: string }) => h.name.toLowerCase() === 'bcc'), false);

    const raw = await fetch(`${t.url}/api/v1/inbox/${summary.id}/raw`, { headers: { authorization: `Bearer ${TEST_ADMIN_KEY}` } });
    assert.equal(raw.headers.get('content-type'), 'message/rfc822');
    assert.match(await raw.text(), /^Subject: =\?UTF-8\?/m);

    const attachment = await fetch(`${t.url}/api/v1/inbox/${summary.id}/attachments/0`, {
      headers: { authorization: `Bearer ${TEST_ADMIN_KEY}` },
    });
    assert.deepEqual(Buffer.from(await attachment.arrayBuffer()), bytes);
  });

  test('DELETE /inbox empties it; a missing message is a 404', async () => {
    const cleared = await t.api('DELETE', '/api/v1/inbox');
    assert.equal(cleared.body.deleted, 1);
    assert.equal((await t.api('GET', '/api/v1/inbox')).body.messages.length, 0);
    assert.equal((await t.api('GET', '/api/v1/inbox/inb_missing')).status, 404);
  });
});
