import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { startTestApp, TEST_ADMIN_KEY, type TestApp } from '../helpers/app.js';
import { startSmtpPeer } from '../helpers/smtp-peers.js';
import { waitFor } from '../helpers/wait.js';
import { cliFor, freePort, oneLineError } from './util.js';

const NOT_BUILT = 'POST /connections/{name}/send-email is not built yet';

describe('smtpflow send (CLI → API → development SMTP server)', () => {
  let t: TestApp;
  let cli: ReturnType<typeof cliFor>;
  let tmp: string;
  let routeExists = false;

  before(async () => {
    t = await startTestApp({ devSmtpPort: await freePort() });
    cli = cliFor(t.url, TEST_ADMIN_KEY);
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'smtpflow-cli-send-'));
    const probe = await t.api('POST', '/api/v1/connections/dev-inbox/send-email', {});
    routeExists = !(probe.status === 404 && /There is no POST/.test(String(probe.body?.error?.message)));
  });
  after(async () => {
    await t.close();
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  /** The caught message with this subject, parsed, once the development server has it. */
  const caught = async (subject: string): Promise<any> => {
    const summary = await waitFor(async () => {
      const res = await t.api('GET', '/api/v1/inbox?limit=1000');
      return (res.body.messages as Array<{ id: string; subject: string }>).find((m) => m.subject === subject);
    }, { message: `'${subject}' in the development inbox` });
    return (await t.api('GET', `/api/v1/inbox/${summary.id}`)).body;
  };

  const download = async (id: string, index: number): Promise<Buffer> => {
    const res = await fetch(`${t.url}/api/v1/inbox/${id}/attachments/${index}`, { headers: { authorization: `Bearer ${TEST_ADMIN_KEY}` } });
    assert.equal(res.status, 200);
    return Buffer.from(await res.arrayBuffer());
  };

  test('every field, --attach and --inline: the attachments arrive byte for byte', async (c) => {
    if (!routeExists) return c.skip(NOT_BUILT);
    // Every byte value, and more than one base64 line's worth, so that no encoding step can hide.
    const binary = Buffer.concat([Buffer.from(Array.from({ length: 256 }, (_, i) => i)), crypto.randomBytes(70_000)]);
    const pdf = path.join(tmp, 'résumé 2024.pdf');
    fs.writeFileSync(pdf, binary);
    const csv = path.join(tmp, 'data.csv');
    fs.writeFileSync(csv, 'a,b\n1,2\n');
    const png = path.join(tmp, 'logo.png');
    const pngBytes = crypto.randomBytes(512);
    fs.writeFileSync(png, pngBytes);
    const subject = 'Quarterly report — Ünïcødé ✓';

    const r = await cli([
      'send', '--connection', 'dev-inbox',
      '--from', 'Reports <reports@example.com>',
      '--to', 'Ada Lovelace <ada@example.com>; bob@example.com', '--cc', 'carol@example.com', '--bcc', 'dave@example.com',
      '--subject', subject, '--html', '--body', '<p>Hello <img src="cid:logo"></p>', '--text', 'Hello (text)',
      '--importance', 'high', '--attach', pdf, '--attach', csv, '--inline', `${png}=logo`,
      '--reply-to', 'replies@example.com', '--read-receipt', 'ada@example.com', '--header', 'X-Campaign: spring',
    ]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^sent message \S+ through dev-inbox$/m);
    assert.match(r.stdout, /^ {2}Message-ID:\s+<[^>]+>$/m);
    const accepted = /^ {2}accepted:\s+(.+)$/m.exec(r.stdout)?.[1] ?? '';
    for (const a of ['ada@example.com', 'bob@example.com', 'carol@example.com', 'dave@example.com']) assert.ok(accepted.includes(a), `${a} in ${accepted}`);
    assert.match(r.stdout, /^ {2}rejected:\s+none$/m);

    const m = await caught(subject);
    assert.deepEqual([...m.envelope.to].sort(), ['ada@example.com', 'bob@example.com', 'carol@example.com', 'dave@example.com']);
    const header = (name: string): string | undefined => m.headers.find((h: { name: string }) => h.name.toLowerCase() === name)?.value;
    assert.equal(header('bcc'), undefined);
    assert.equal(header('x-campaign'), 'spring');
    assert.match(String(header('importance')), /high/i);
    assert.match(m.html, /cid:logo/);
    assert.equal(m.text.trim(), 'Hello (text)');

    const byName = (name: string) => m.attachments.find((a: { filename?: string }) => a.filename === name);
    const pdfPart = byName('résumé 2024.pdf');
    assert.ok(pdfPart, JSON.stringify(m.attachments));
    assert.equal(pdfPart.contentType, 'application/pdf');
    assert.ok((await download(m.id, pdfPart.index)).equals(binary), 'PDF bytes intact');
    const csvPart = byName('data.csv');
    assert.equal(csvPart.contentType, 'text/csv');
    assert.equal((await download(m.id, csvPart.index)).toString(), 'a,b\n1,2\n');
    const inline = m.attachments.find((a: { contentId?: string }) => a.contentId?.replace(/[<>]/g, '') === 'logo');
    assert.ok(inline, JSON.stringify(m.attachments));
    assert.equal(inline.contentType, 'image/png');
    assert.ok((await download(m.id, inline.index)).equals(pngBytes), 'inline bytes intact');
  });

  test('--body - reads stdin; --json prints the API answer', async (c) => {
    if (!routeExists) return c.skip(NOT_BUILT);
    const body = 'Deployed 1.2.3\nline two: ünïcødé\n';
    const r = await cli(['send', '--connection', 'dev-inbox', '--to', 'ops@example.com', '--subject', 'stdin body', '--body', '-', '--json'], { input: body });
    assert.equal(r.code, 0, r.stderr);
    const answer = JSON.parse(r.stdout);
    assert.equal(typeof answer.id, 'string');
    assert.match(answer.messageId, /^<.+>$/);
    const m = await caught('stdin body');
    assert.equal(m.messageId, answer.messageId);
    assert.equal(m.text.replace(/\r\n/g, '\n').trimEnd(), body.trimEnd());
  });

  test('--async queues (202), says where to follow it, and the message is delivered', async (c) => {
    if (!routeExists) return c.skip(NOT_BUILT);
    const r = await cli(['send', '--connection', 'dev-inbox', '--to', 'later@example.com', '--subject', 'queued', '--body', 'x', '--async']);
    assert.equal(r.code, 0, r.stderr);
    const id = /^queued message (\S+) for delivery through dev-inbox/m.exec(r.stdout)?.[1];
    assert.ok(id, r.stdout);
    assert.ok(r.stdout.includes(`follow it:  ${t.url}/api/v1/messages/${id}`), r.stdout);
    await caught('queued');
    await waitFor(async () => (await t.api('GET', `/api/v1/messages/${id}`)).body.status === 'sent', { message: `message ${id} sent` });
  });

  /** A command run again with the same key answers the first answer, and one email arrives. */
  const sendsOnce = async (subject: string, extra: string[]): Promise<void> => {
    const args = ['send', '--connection', 'dev-inbox', '--to', 'once@example.com', '--subject', subject, '--body', 'x', ...extra];
    const first = await cli(args);
    assert.equal(first.code, 0, first.stderr);
    const id = /^(?:sent|queued) message (\S+)/m.exec(first.stdout)?.[1];
    assert.ok(id, first.stdout);
    const again = await cli(args);
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stdout, new RegExp(`^(?:sent|queued) message ${id} `, 'm'));
    await caught(subject);
    await waitFor(async () => (await t.api('GET', `/api/v1/messages/${id}`)).body.status === 'sent', { message: `message ${id} sent` });
    const copies = (await t.api('GET', '/api/v1/inbox?limit=1000')).body.messages.filter((m: { subject: string }) => m.subject === subject);
    assert.equal(copies.length, 1, 'sent once, not twice');
  };

  test('--idempotency-key: the same command run twice sends once', async (c) => {
    if (!routeExists) return c.skip(NOT_BUILT);
    await sendsOnce('idempotent sync', ['--idempotency-key', 'cli-job-41']);
  });

  test('--async --idempotency-key: the same command run twice queues once', async (c) => {
    if (!routeExists) return c.skip(NOT_BUILT);
    await sendsOnce('idempotent async', ['--async', '--idempotency-key', 'cli-job-42']);
  });

  test('recipients the SMTP server refuses are listed with its reply; the others are accepted', async (c) => {
    if (!routeExists) return c.skip(NOT_BUILT);
    const peer = await startSmtpPeer({
      rejectRecipient: (address) => (address.startsWith('nobody@') ? { code: 550, message: '5.1.1 No such user here' } : undefined),
    });
    try {
      await t.api('POST', '/api/v1/connections', { name: 'picky', host: '127.0.0.1', port: peer.port, security: 'none', defaultFrom: 'a@example.com' });
      const r = await cli(['send', '--connection', 'picky', '--to', 'someone@example.com; nobody@example.com', '--subject', 'partial', '--body', 'x']);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /^ {2}accepted:\s+someone@example\.com$/m);
      assert.match(r.stdout, /^ {2}rejected:\s+nobody@example\.com \(.*No such user here.*\)$/m);
    } finally {
      await peer.close();
    }
  });

  test('an invalid address is the API reason on one line, exit 1', async (c) => {
    if (!routeExists) return c.skip(NOT_BUILT);
    const r = await cli(['send', '--connection', 'dev-inbox', '--to', 'not an address', '--subject', 'x', '--body', 'x']);
    assert.equal(r.code, 1);
    assert.match(oneLineError(r), /^smtpflow: \w+ \(To\): \S/);
    assert.equal(r.stdout, '');
  });

  test('an unknown connection is NotFound, exit 1', async (c) => {
    if (!routeExists) return c.skip(NOT_BUILT);
    const r = await cli(['send', '--connection', 'nope', '--to', 'a@example.com', '--subject', 'x', '--body', 'x']);
    assert.equal(r.code, 1);
    assert.match(oneLineError(r), /^smtpflow: NotFound\b.*nope/);
  });
});
