/**
 * Header injection and SMTP smuggling (issue 7, part 1), checked on what a real SMTP server
 * received: a line break in any header-bound field is refused before anything is stored or sent,
 * and no body can end the DATA section early or smuggle a second transaction onto the wire.
 */
import assert from 'node:assert/strict';
import net from 'node:net';
import { after, before, describe, test } from 'node:test';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { startSmtpPeer, type SmtpPeer } from '../helpers/smtp-peers.js';
import { connectTo, sendPath } from '../outbox/harness.js';
import { callbackUrl, finishedRun, invoke } from '../workflows/util.js';

const ok = { From: 'sender@example.org', To: 'rcpt@example.org', Subject: 'hello', Body: 'hi' };
const BREAKS = ['\r\n', '\n', '\r'];
const SMUGGLED = 'MAIL FROM:<evil@attacker.example>\r\nRCPT TO:<victim@example.net>\r\nDATA\r\nSubject: smuggled\r\n\r\nowned';

/** A TCP relay in front of the peer that keeps every byte the client sent, per connection. */
async function wireRecorder(target: number): Promise<{ port: number; sessions: Buffer[][]; close(): Promise<void> }> {
  const sessions: Buffer[][] = [];
  const server = net.createServer((client) => {
    const sent: Buffer[] = [];
    sessions.push(sent);
    const upstream = net.connect(target, '127.0.0.1');
    client.on('data', (chunk: Buffer) => {
      sent.push(chunk);
      upstream.write(chunk);
    });
    upstream.pipe(client);
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
    client.on('error', () => upstream.destroy());
    upstream.on('error', () => client.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as net.AddressInfo).port,
    sessions,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

/** Reads a client's byte stream the way a strict SMTP server does: commands, then DATA up to CRLF.CRLF. */
function transactions(stream: string): { commands: string[]; data: string[] } {
  const commands: string[] = [];
  const data: string[] = [];
  let at = 0;
  for (let eol = stream.indexOf('\r\n', at); eol >= 0; eol = stream.indexOf('\r\n', at)) {
    const line = stream.slice(at, eol);
    commands.push(line);
    at = eol + 2;
    if (/^DATA$/i.test(line)) {
      const end = stream.indexOf('\r\n.\r\n', at - 2);
      assert.ok(end >= 0, 'every DATA section ends');
      data.push(stream.slice(at, end));
      at = end + 5;
    }
  }
  assert.equal(at, stream.length, 'the stream ends with a whole command');
  return { commands, data };
}

describe('header injection and SMTP smuggling', () => {
  let t: TestApp;
  let peer: SmtpPeer;
  let wire: Awaited<ReturnType<typeof wireRecorder>>;
  before(async () => {
    t = await startTestApp();
    peer = await startSmtpPeer();
    wire = await wireRecorder(peer.port);
    await connectTo(t, 'wire', { port: wire.port });
  });
  after(async () => {
    await t.close();
    await wire.close();
    await peer.close();
  });

  const messageCount = async (): Promise<number> => (await t.api('GET', '/api/v1/messages?limit=500')).body.items.length;

  test('a line break in any header-bound field is refused (400 naming the field), sync and async, and nothing is stored or sent', async () => {
    const attachment = { ContentData: 'aGk=', FileName: 'a.txt', ContentType: 'text/plain', ContentId: 'part1' };
    const cases: Array<[string, (b: string) => Record<string, unknown>, string]> = [
      ...(['To', 'CC', 'Bcc', 'From', 'ReplyTo', 'ReadReceipt', 'DeliveryReceipt'] as const).map(
        (field) => [field, (b: string) => ({ [field]: `a@example.org${b}Bcc: victim@example.net` }), field] as [string, (b: string) => Record<string, unknown>, string],
      ),
      ['Subject', (b) => ({ Subject: `hi${b}Bcc: victim@example.net` }), 'Subject'],
      ['header value', (b) => ({ Headers: { 'X-Tag': `v${b}Bcc: victim@example.net` } }), 'Headers.X-Tag'],
      ['header name', (b) => ({ Headers: { [`X-Tag${b}Bcc`]: 'victim@example.net' } }), 'Headers'],
      ['FileName', (b) => ({ Attachments: [{ ...attachment, FileName: `a.txt${b}Bcc: victim@example.net` }] }), 'Attachments[0].FileName'],
      ['ContentType', (b) => ({ Attachments: [{ ...attachment, ContentType: `text/plain${b}Bcc: victim@example.net` }] }), 'Attachments[0].ContentType'],
      ['ContentId', (b) => ({ Attachments: [{ ...attachment, ContentId: `part1${b}Bcc: victim@example.net` }] }), 'Attachments[0].ContentId'],
    ];
    const stored = await messageCount();
    for (const [what, make, field] of cases) {
      for (const br of BREAKS) {
        for (const prefer of [undefined, 'respond-async']) {
          const res = await t.api('POST', sendPath('wire'), { ...ok, ...make(br) }, { headers: prefer ? { prefer } : {} });
          assert.equal(res.status, 400, `${what} ${JSON.stringify(br)}: ${JSON.stringify(res.body)}`);
          assert.equal(res.body.error.code, 'HeaderInjection', `${what} ${JSON.stringify(br)}`);
          assert.equal(res.body.error.field, field);
        }
      }
    }
    const importance = await t.api('POST', sendPath('wire'), { ...ok, Importance: 'High\r\nBcc: victim@example.net' });
    assert.equal(importance.status, 400);
    assert.equal(importance.body.error.field, 'Importance');
    assert.equal(await messageCount(), stored, 'no refused message was stored');
    assert.equal(peer.messages.length, 0, 'nothing reached the SMTP server');
  });

  test('a workflow whose expression puts a line break into a header field fails that action; nothing is sent', async () => {
    const definition = {
      triggers: { manual: { type: 'Request', kind: 'Http' } },
      actions: { Send: { type: 'SendEmail', inputs: { connection: 'wire', ...ok, Subject: "@triggerBody()?['subject']" }, runAfter: {} } },
    };
    assert.equal((await t.api('POST', '/api/v1/workflows', { name: 'inject', definition })).status, 201);
    const fired = await invoke(await callbackUrl(t, 'inject'), { subject: 'Hi\r\nBcc: victim@example.net' });
    assert.equal(fired.status, 202);
    const run = await finishedRun(t, 'inject', fired.body.runId);
    assert.equal(run.status, 'Failed');
    assert.match(JSON.stringify(run.actions), /HeaderInjection/);
    assert.equal(peer.messages.length, 0);
  });

  test('bare LF, bare CR and dot lines in text, HTML, Text and unencoded attachments cannot end DATA early or smuggle a transaction', async () => {
    const payloads = ['\n.\n', '\r\n.\r\n', '\r.\r', '\r\n.\n', '\n.\r\n', '\r\n.\r', '\n..\n'].map((end) => `before${end}${SMUGGLED}${end}after`);
    const bodies = payloads.flatMap((p) => [
      { Body: p },
      { Body: `<p>${p}</p>`, IsHtml: true, Text: p },
      { Body: 'see attached', Attachments: [{ ContentData: p, ContentTransferEncoding: 'none', ContentType: 'text/plain', FileName: 'p.txt' }] },
      { Body: 'forwarded', Attachments: [{ ContentData: `Subject: inner\r\n\r\n${p}`, ContentTransferEncoding: 'none', ContentType: 'message/rfc822' }] },
    ]);
    for (const [i, extra] of bodies.entries()) {
      const res = await t.api('POST', sendPath('wire'), { ...ok, Subject: `smuggle ${i}`, ...extra }, i % 2 ? { headers: { prefer: 'respond-async' } } : {});
      assert.ok(res.status === 200 || res.status === 202, JSON.stringify(res.body));
    }
    await peer.waitForMessages(bodies.length);

    // What the server made of it: exactly the messages sent, each to its one recipient, none from the smuggled lines.
    assert.equal(peer.messages.length, bodies.length);
    for (const msg of peer.messages) {
      assert.deepEqual(msg.envelope, { from: 'sender@example.org', to: ['rcpt@example.org'] });
      assert.match(msg.parsed!.subject ?? '', /^smuggle \d+$/);
    }
    assert.deepEqual(peer.messages.map((m) => Number(m.parsed!.subject!.split(' ')[1])).sort((a, b) => a - b), bodies.map((_, i) => i));
    for (const msg of peer.messages.filter((m) => Number(m.parsed!.subject!.split(' ')[1]) % 4 === 0)) {
      assert.match(msg.parsed!.text ?? '', /before\s+\.*\s*MAIL FROM:<evil@attacker\.example>[\s\S]*owned\s+\.*\s*after/, 'the smuggling attempt arrived as plain content');
    }

    // What went over the wire: only CRLF line ends (no bare CR or LF for a lenient server to split on),
    // and read strictly, one MAIL FROM and one end of data per message.
    const streams = wire.sessions.map((chunks) => Buffer.concat(chunks).toString('latin1')).filter((s) => s.length > 0);
    let mailFroms = 0;
    let dataSections = 0;
    for (const stream of streams) {
      assert.doesNotMatch(stream, /\r(?!\n)|(?<!\r)\n/, 'no bare CR or LF on the wire');
      const { commands, data } = transactions(stream);
      mailFroms += commands.filter((c) => /^MAIL FROM:/i.test(c)).length;
      for (const c of commands) assert.doesNotMatch(c, /evil@attacker|victim@example/, `a smuggled command reached command state: ${c}`);
      dataSections += data.length;
    }
    assert.equal(mailFroms, bodies.length);
    assert.equal(dataSections, bodies.length);
  });
});
