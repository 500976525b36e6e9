import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { dkimVerify } from 'mailauth/lib/dkim/verify.js';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { startSmtpPeer, type SmtpPeer } from '../helpers/smtp-peers.js';

/** The DNS as a receiver would see it once the keygen answers are published: TXT records in strings of at most 255 characters. */
const published = new Map<string, string>();
const resolver = async (name: string, type: string): Promise<string[][]> => {
  const value = type === 'TXT' ? published.get(name) : undefined;
  if (!value) throw Object.assign(new Error(`queryTxt ENOTFOUND ${name}`), { code: 'ENOTFOUND' });
  return [value.match(/.{1,255}/g)!];
};
const verdict = async (raw: Buffer | string): Promise<{ result: string; comment?: string; domain?: string }> => {
  const { results } = await dkimVerify(raw, { resolver });
  assert.equal(results.length, 1, 'one DKIM signature');
  return { result: results[0].status.result, comment: results[0].status.comment, domain: results[0].signingDomain };
};

describe('DKIM: keys made by keygen, messages signed by the connection, verified by mailauth', () => {
  let t: TestApp;
  let peer: SmtpPeer;

  before(async () => {
    t = await startTestApp();
    peer = await startSmtpPeer();
    const res = await t.api('POST', '/api/v1/connections', { name: 'signed', host: '127.0.0.1', port: peer.port, security: 'none', defaultFrom: 'Robot <robot@example.com>' });
    assert.equal(res.status, 201, JSON.stringify(res.body));
  });
  after(async () => {
    await t.close();
    await peer.close();
  });

  test('keygen: a 2048-bit key, stored write-only and sealed, and the TXT record to publish', async () => {
    const res = await t.api('POST', '/api/v1/connections/signed/dkim/keygen');
    assert.equal(res.status, 200, JSON.stringify(res.body));
    const { domainName, keySelector, name, type, value, zoneFileLine } = res.body;
    assert.equal(domainName, 'example.com', 'the domain of defaultFrom');
    assert.match(keySelector, /^smtpflow-\d{8}-\d{4}$/);
    assert.equal(name, `${keySelector}._domainkey.example.com`);
    assert.equal(type, 'TXT');
    const p = /^v=DKIM1; k=rsa; p=([A-Za-z0-9+/]+=*)$/.exec(value)?.[1];
    assert.ok(p, value);
    assert.equal(Buffer.from(p, 'base64').length, 294, 'the SPKI of a 2048-bit RSA key');
    assert.ok(zoneFileLine.startsWith(`${name}. IN TXT ( "`));
    assert.equal([...zoneFileLine.matchAll(/"([^"]*)"/g)].map((m: RegExpMatchArray) => m[1]).join(''), value);

    const view = (await t.api('GET', '/api/v1/connections/signed')).body;
    assert.deepEqual(view.dkim, { domainName: 'example.com', keySelector });
    assert.ok(view.secretsSet.includes('dkim.privateKey'));
    const row = await t.app.store.db.selectFrom('connections').selectAll().where('name', '=', 'signed').executeTakeFirstOrThrow();
    assert.ok(!`${row.config}${row.secrets}`.includes('PRIVATE KEY'), 'the key is sealed at rest');

    const sender = (await t.api('POST', '/api/v1/keys', { name: 'sender', scope: 'send' })).body.key as string;
    assert.equal((await t.api('POST', '/api/v1/connections/signed/dkim/keygen', {}, { key: sender })).status, 403);
  });

  test('every message verifies as pass against the published key: attachments, a Unicode subject, long 8-bit lines, HTML', async () => {
    const res = await t.api('POST', '/api/v1/connections/signed/dkim/keygen', { domainName: 'mail.example.org', keySelector: 's2048' });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    published.set(res.body.name, res.body.value);

    const messages = [
      { Subject: 'Prüfbericht ✓ — 月次レポート', Body: 'Unicode subject, plain body.' },
      {
        Subject: 'With attachments',
        Body: '<p>See the <b>attached</b> files.</p>',
        IsHtml: true,
        Attachments: [
          { FileName: 'report.pdf', ContentData: Buffer.from(Array.from({ length: 5000 }, (_, i) => i % 256)).toString('base64') },
          { FileName: 'notes – überblick.txt', ContentData: Buffer.from('Zeile eins\r\nZeile zwei\r\n').toString('base64') },
        ],
      },
      { Subject: 'Long 8-bit lines', Body: `${'Grüße aus Köln, 日本語のテキスト. '.repeat(120)}\n${'x'.repeat(3000)}\n.\n.leading dot\ntrailing spaces   \n\n\n` },
      { Subject: 'Headers', Body: 'hi', CC: 'Zoë <zoe@example.net>', ReplyTo: 'support@example.com', Importance: 'High' },
    ];
    const first = peer.messages.length;
    for (const m of messages) {
      const sent = await t.api('POST', '/api/v1/connections/signed/send-email', { To: 'Ada <ada@example.org>', ...m });
      assert.equal(sent.status, 200, JSON.stringify(sent.body));
    }
    const received = (await peer.waitForMessages(first + messages.length)).slice(first);
    for (const msg of received) {
      assert.deepEqual(await verdict(msg.raw), { result: 'pass', comment: undefined, domain: 'mail.example.org' }, msg.parsed?.subject);
      const header = /^DKIM-Signature:[^]*?(?=\r\n\S)/m.exec(msg.raw.toString('latin1'))![0].replace(/\r\n\s+/g, ' ');
      assert.match(header, /c=relaxed\/relaxed/);
      assert.match(header, /s=s2048/);
      const signed = /[;\s]h=([^;]+)/.exec(header)![1].replace(/\s/g, '').toLowerCase().split(':');
      for (const h of ['from', 'to', 'subject', 'date', 'message-id', 'mime-version', 'content-type']) assert.ok(signed.includes(h), `${h} is signed (h=${signed.join(':')})`);
    }
    assert.equal(received[0].parsed?.subject, 'Prüfbericht ✓ — 月次レポート');
    assert.equal(received[1].parsed?.attachments.length, 2);

    // altered after signing: a signed header fails; a changed body no longer matches its hash
    const raw = received[0].raw.toString('utf8');
    assert.equal((await verdict(raw.replace(/^Subject: .*$/m, 'Subject: Invoice overdue'))).result, 'fail');
    const body = await verdict(raw.replace('Unicode subject, plain body.', 'Unicode subject, plain body!'));
    assert.notEqual(body.result, 'pass');
    assert.equal(body.comment, 'body hash did not verify');
  });

  test('a key that cannot sign is refused by name, and never echoed; keygen needs a domain', async () => {
    const ec = generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;
    for (const privateKey of [ec, '-----BEGIN PRIVATE KEY-----\nbm90IGEga2V5\n-----END PRIVATE KEY-----\n']) {
      const res = await t.api('PATCH', '/api/v1/connections/signed', { dkim: { domainName: 'example.com', keySelector: 'bad', privateKey } });
      assert.equal(res.status, 400);
      assert.deepEqual([res.body.error.code, res.body.error.field], ['InvalidDkimKey', 'dkim.privateKey']);
      assert.ok(!res.body.error.message.includes(privateKey.split('\n')[1]), 'the key is not echoed');
    }
    await t.api('POST', '/api/v1/connections', { name: 'nameless', host: '127.0.0.1', port: peer.port, security: 'none' });
    const res = await t.api('POST', '/api/v1/connections/nameless/dkim/keygen', {});
    assert.deepEqual([res.status, res.body.error.code, res.body.error.field], [400, 'MissingProperty', 'domainName']);
    assert.ok(!t.logs().includes('PRIVATE KEY'), 'no key in the logs');
  });
});
