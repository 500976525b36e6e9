import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { ConnectionRepository } from '../../src/connections/repository.js';
import { tokenRequestFor } from '../../src/connections/smtp-settings.js';
import { Outbox } from '../../src/outbox/index.js';
import { outboxDb } from '../../src/outbox/tables.js';
import { loadOrCreateKey, SecretBox } from '../../src/secrets/secret-box.js';
import type { TestApp } from '../helpers/app.js';
import { testCerts } from '../helpers/certs.js';
import { startSmtpPeer, type SmtpPeer } from '../helpers/smtp-peers.js';
import { waitFor } from '../helpers/wait.js';
import { startTokenServer, type TokenServer } from '../oauth/token-server.js';
import { ASYNC, FAST, sendPath, startTestAppWith } from '../outbox/harness.js';

const certs = testCerts();
const SECRET = 'app-Secret-41d7c2e9';
const LIFETIME_MS = 1000;

describe('SMTP with OAuth2 (XOAUTH2) against a real token server and a server that takes only XOAUTH2', () => {
  let t: TestApp;
  let oauth: TokenServer;
  const peers: SmtpPeer[] = [];
  /** Tokens the SMTP servers stop trusting (as when a provider invalidates a session token early). */
  const distrusted = new Set<string>();
  const lastAccepted = new Map<string, string>();
  const validateToken = (user: string, token: string): boolean => {
    if (distrusted.has(token) || !oauth.accepts(user, token)) return false;
    lastAccepted.set(user, token);
    return true;
  };
  const xoauth2Peer = async (user: string, refusal?: { code: number; message: string }): Promise<SmtpPeer> => {
    const p = await startSmtpPeer({ tls: certs.server, auth: { user, pass: '', methods: ['XOAUTH2'], validateToken, xoauth2Refusal: refusal } });
    peers.push(p);
    return p;
  };
  const create = async (body: Record<string, unknown>): Promise<void> => {
    const res = await t.api('POST', '/api/v1/connections', body);
    assert.equal(res.status, 201, JSON.stringify(res.body));
  };
  const reconnect = async (name: string): Promise<void> => {
    // a new connection version: new transports, so the next send opens a new session and signs in
    assert.equal((await t.api('PATCH', `/api/v1/connections/${name}`, { socketTimeoutMs: 5001 + Math.floor(Math.random() * 1000) })).status, 200);
  };
  const send = (name: string, subject: string) => t.api('POST', sendPath(name), { To: 'rcpt@example.org', Subject: subject, Body: 'hi' });

  before(async () => {
    oauth = await startTokenServer({ lifetimeSeconds: LIFETIME_MS / 1000, rotateRefreshTokens: true });
    oauth.addClient('daemon', SECRET, { mailboxes: ['robot@example.com'] });
    oauth.addClient('desktop', undefined);
    t = await startTestAppWith(FAST);
  });
  after(async () => {
    await t.close();
    await Promise.all(peers.map((p) => p.close()));
    await oauth.close();
  });

  test('provider presets fill in the server; the token URL and scope follow the provider; cross-field mistakes name the field', async () => {
    const m365 = { type: 'oauth2', provider: 'microsoft', tenantId: 'contoso.onmicrosoft.com', user: 'robot@contoso.com', clientId: 'daemon', clientSecret: SECRET };
    await create({ name: 'preset-m365', auth: m365 });
    const view = (await t.api('GET', '/api/v1/connections/preset-m365')).body;
    assert.deepEqual([view.host, view.port, view.security], ['smtp.office365.com', 587, 'starttls']);
    assert.deepEqual(view.secretsSet, ['auth.clientSecret']);
    assert.ok(!JSON.stringify(view).includes(SECRET));
    assert.deepEqual(tokenRequestFor(m365 as never), {
      tokenUrl: 'https://login.microsoftonline.com/contoso.onmicrosoft.com/oauth2/v2.0/token', clientId: 'daemon', clientSecret: SECRET, scope: 'https://outlook.office365.com/.default',
    });
    await create({ name: 'preset-gmail', auth: { type: 'oauth2', provider: 'google', user: 'ada@gmail.com', clientId: 'desktop', refreshToken: 'rt.x' } });
    const gmail = (await t.api('GET', '/api/v1/connections/preset-gmail')).body;
    assert.deepEqual([gmail.host, gmail.port, gmail.security], ['smtp.gmail.com', 465, 'tls']);

    const refused: Array<[Record<string, unknown>, string, string]> = [
      [{ auth: { ...m365, provider: 'google', tenantId: undefined } }, 'auth.refreshToken', 'MissingProperty'],
      [{ auth: { ...m365, provider: undefined } }, 'auth.tokenUrl', 'MissingProperty'],
      [{ auth: { ...m365, tenantId: undefined } }, 'auth.tenantId', 'MissingProperty'],
      [{ auth: { ...m365, clientSecret: undefined } }, 'auth.clientSecret', 'MissingProperty'],
      [{ auth: { ...m365, clientId: undefined } }, 'auth.clientId', 'InvalidConnection'],
      [{ auth: m365, password: 'pw' }, 'password', 'InvalidConnection'],
      [{ auth: { type: 'password' } }, 'host', 'MissingProperty'],
    ];
    for (const [body, field, code] of refused) {
      const res = await t.api('POST', '/api/v1/connections', { name: 'refused', ...JSON.parse(JSON.stringify(body)) });
      assert.equal(res.status, 400, JSON.stringify(res.body));
      assert.deepEqual([res.body.error.field, res.body.error.code], [field, code], JSON.stringify(res.body));
      assert.ok(!res.body.error.message.includes(SECRET));
    }
  });

  test('500 sends through the outbox while tokens expire, two workers: none fails, one refresh per expiry', async () => {
    const peer = await xoauth2Peer('ada@example.com');
    const refreshToken = oauth.consent('desktop', 'ada@example.com', 'https://mail.google.com/');
    // 250 a second: the last 250 messages go after the first token's lifetime, and nodemailer's
    // pool signs in again every 100 messages per session, so sessions need tokens after it expired.
    await create({
      name: 'gmail', host: '127.0.0.1', port: peer.port, security: 'starttls', ca: certs.ca, defaultFrom: 'Ada <ada@example.com>',
      maxConnections: 2, rateLimit: { messages: 250, perSeconds: 1 },
      auth: { type: 'oauth2', tokenUrl: oauth.url, user: 'ada@example.com', clientId: 'desktop', refreshToken, scope: 'https://mail.google.com/' },
    });
    // Another process, as far as the database can tell: its own connection repository (token memory) and outbox.
    const box = new SecretBox(loadOrCreateKey(t.app.config.secretKey, t.app.config.dataDir));
    const second = new Outbox({ store: t.app.store, connections: new ConnectionRepository(t.app.store, box), log: t.app.log, options: FAST });
    second.start({ worker: true });
    try {
      await Promise.all(Array.from({ length: 500 }, (_, i) => t.app.outbox.enqueue('gmail', { To: 'rcpt@example.org', Subject: `m${i}` })));
      await peer.waitForMessages(500, 60_000);
      const db = outboxDb(t.app.store);
      const byStatus = async (): Promise<Record<string, number>> =>
        Object.fromEntries((await db.selectFrom('messages').select(['status', (eb) => eb.fn.countAll<number>().as('n')]).where('connection', '=', 'gmail').groupBy('status').execute()).map((r) => [r.status, Number(r.n)]));
      await waitFor(async () => (await byStatus()).sent === 500, { timeoutMs: 20_000, message: '500 messages recorded as sent' });
      assert.deepEqual(await byStatus(), { sent: 500 });

      const refreshes = oauth.issued.filter((i) => i.clientId === 'desktop');
      assert.ok(refreshes.length >= 2, `the batch crossed at least one expiry (${refreshes.length} tokens issued)`);
      for (let i = 1; i < refreshes.length; i++) {
        const gap = refreshes[i].receivedAt - refreshes[i - 1].receivedAt;
        assert.ok(gap >= LIFETIME_MS / 2, `token ${i} was fetched ${gap} ms after the previous one: more than one refresh for one expiry`);
      }
      assert.ok(peer.auths.filter((a) => a.ok).length >= 5, 'sessions signed in again as the batch went on');
    } finally {
      await second.stop();
    }
  });

  test('a token the server stops accepting is renewed once and the send goes through (Gmail\'s 334 challenge, Microsoft\'s plain 535)', async () => {
    const gmailPeer = await xoauth2Peer('bea@example.com');
    await create({
      name: 'gmail-bea', host: '127.0.0.1', port: gmailPeer.port, security: 'starttls', ca: certs.ca, defaultFrom: 'bea@example.com',
      auth: { type: 'oauth2', tokenUrl: oauth.url, user: 'bea@example.com', clientId: 'desktop', refreshToken: oauth.consent('desktop', 'bea@example.com', 'https://mail.google.com/') },
    });
    const m365Peer = await xoauth2Peer('robot@example.com', { code: 535, message: '5.7.3 Authentication unsuccessful [SN4PR0201CA0045.namprd02.prod.outlook.com]' });
    await create({
      name: 'm365', host: '127.0.0.1', port: m365Peer.port, security: 'starttls', ca: certs.ca, defaultFrom: 'robot@example.com',
      auth: { type: 'oauth2', provider: 'microsoft', tokenUrl: oauth.url, user: 'robot@example.com', clientId: 'daemon', clientSecret: SECRET },
    });
    for (const [name, peer, user] of [['gmail-bea', gmailPeer, 'bea@example.com'], ['m365', m365Peer, 'robot@example.com']] as const) {
      assert.equal((await send(name, 'first')).status, 200);
      distrusted.add(lastAccepted.get(user)!);
      await reconnect(name);
      const issued = oauth.issued.length;
      const res = await send(name, 'after the token was refused');
      assert.equal(res.status, 200, JSON.stringify(res.body));
      assert.equal(oauth.issued.length, issued + 1, 'one refresh');
      assert.deepEqual(peer.auths.map((a) => a.ok), [true, false, true]);
    }
    assert.equal(oauth.requests.at(-1)?.scope, 'https://outlook.office365.com/.default', 'provider "microsoft": the client-credentials scope');
  });

  test('a revoked grant: 401 SmtpAuthenticationFailed with the provider\'s reason, no secret anywhere, the message failed at once', async () => {
    const peer = await xoauth2Peer('cy@example.com');
    const refreshToken = oauth.consent('desktop', 'cy@example.com', 'https://mail.google.com/');
    await create({
      name: 'revoked', host: '127.0.0.1', port: peer.port, security: 'starttls', ca: certs.ca, defaultFrom: 'cy@example.com',
      auth: { type: 'oauth2', tokenUrl: oauth.url, user: 'cy@example.com', clientId: 'desktop', refreshToken },
    });
    assert.equal((await send('revoked', 'before')).status, 200);
    oauth.revoke(refreshToken);
    await reconnect('revoked');
    const res = await send('revoked', 'after');
    assert.equal(res.status, 401, JSON.stringify(res.body));
    assert.equal(res.body.error.code, 'SmtpAuthenticationFailed');
    assert.match(res.body.error.message, /invalid_grant \(AADSTS50173: The provided grant has expired due to it being revoked; cy@example\.com must sign in again\.\)/);
    assert.match(res.body.error.message, /auth\.refreshToken/);
    const queued = await t.api('POST', sendPath('revoked'), { To: 'rcpt@example.org', Subject: 'queued' }, ASYNC);
    const failed = await waitFor(async () => {
      const m = (await t.api('GET', `/api/v1/messages/${queued.body.id}`)).body;
      return m.status === 'failed' ? m : undefined;
    }, { message: 'the queued message to fail' });
    assert.equal(failed.attempts.length, 1, 'a refused grant is not retried');
    for (const text of [JSON.stringify(res.body), JSON.stringify(failed), t.logs()]) {
      assert.ok(!text.includes(SECRET) && !text.includes(refreshToken) && !/\b(rt|at)\.[A-Za-z0-9_-]{20}/.test(text), 'no secret or token');
    }
  });
});
