/**
 * Secrets (issue 7, part 3; SPEC §3): after a representative set of operations — connections
 * with passwords, OAuth2 secrets and a DKIM key, sends that succeed and sends that fail
 * authentication, connection tests, API keys created, used and revoked, workflow runs with
 * secrets in their inputs, error answers — no secret appears in any log line, API answer (body or
 * header), run record, error or metric; and none is stored in clear in any database row. Then
 * `smtpflow secrets rotate` re-encrypts them and the restarted app still signs in with them.
 */
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { runCli } from '../cli/util.js';
import { startTestApp, TEST_ADMIN_KEY, type TestApp } from '../helpers/app.js';
import { testDatabaseUrl } from '../helpers/database.js';
import { startSmtpPeer, type SmtpPeer } from '../helpers/smtp-peers.js';
import { waitFor } from '../helpers/wait.js';
import { sendPath } from '../outbox/harness.js';
import { callbackUrl, finishedRun } from '../workflows/util.js';

const SMTP_USER = 'robot@example.com';
const SMTP_PASSWORD = 'smtp-Pass-8f3Kq2-good';
const WRONG_PASSWORD = 'smtp-Pass-Zx81qv-wrong';
const PATCHED_PASSWORD = 'smtp-Pass-77LmWq-patched';
const CLIENT_SECRET = 'oauth-Secret-Q2w9Er7t';
const REFRESH_TOKEN = 'oauth-Refresh-Mn4Bv8Cx';
const RUN_SECRET = 'run-Secret-Hj5Kl9Pq';
const DKIM_KEY = crypto.generateKeyPairSync('rsa', { modulusLength: 1024 }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
// A line from the middle of the PEM: any copy of the key, whole or in part, contains it.
const DKIM_LINE = DKIM_KEY.split('\n')[3];

/** Every form a secret could take in text: as is, base64 (AUTH LOGIN), inside AUTH PLAIN, URL-encoded. */
function forms(secret: string, user?: string): string[] {
  const out = [secret, Buffer.from(secret).toString('base64'), encodeURIComponent(secret)];
  if (user) out.push(Buffer.from(`\0${user}\0${secret}`).toString('base64'));
  return out;
}

/** A token endpoint that refuses every client, as Microsoft's does for a wrong secret (RFC 6749 §5.2). */
async function refusingTokenEndpoint(): Promise<{ url: string; requests: () => number; close(): Promise<void> }> {
  let requests = 0;
  const server = http.createServer((req, res) => {
    requests++;
    req.resume();
    req.on('end', () => res.writeHead(401, { 'content-type': 'application/json' }).end(JSON.stringify({ error: 'invalid_client', error_description: 'The client could not be authenticated.' })));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/token`, requests: () => requests, close: () => new Promise((r) => server.close(() => r())) };
}

describe('no secret in logs, answers, runs, errors, metrics or database rows', () => {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'smtpflow-secrets-'));
  let databaseUrl: string;
  let t: TestApp;
  let peer: SmtpPeer;
  let tokens: Awaited<ReturnType<typeof refusingTokenEndpoint>>;
  /** Every answer the API gave (status, headers and body text), and to what request. */
  const answers: Array<{ request: string; text: string }> = [];
  const apiKeys: string[] = [TEST_ADMIN_KEY];
  let signature = '';

  const call = async (method: string, urlPath: string, body?: unknown, options: { key?: string; headers?: Record<string, string> } = {}) => {
    const res = await t.api(method, urlPath, body, { key: options.key, headers: options.headers });
    answers.push({ request: `${method} ${urlPath.split('?')[0]}`, text: `${res.status} ${JSON.stringify([...res.headers])} ${typeof res.body === 'string' ? res.body : JSON.stringify(res.body)}` });
    return res;
  };

  before(async () => {
    databaseUrl = await testDatabaseUrl(dataDir);
    peer = await startSmtpPeer({ auth: { user: SMTP_USER, pass: SMTP_PASSWORD, methods: ['PLAIN', 'LOGIN', 'XOAUTH2'] } });
    tokens = await refusingTokenEndpoint();
    t = await startTestApp({ dataDir, databaseUrl, logLevel: 'trace' });
  });
  after(async () => {
    await t.close();
    await peer.close();
    await tokens.close();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  test('a representative set of operations', async () => {
    const smtp = { host: '127.0.0.1', port: peer.port, security: 'none', username: SMTP_USER, defaultFrom: SMTP_USER };
    assert.equal((await call('POST', '/api/v1/connections', { name: 'office', ...smtp, password: SMTP_PASSWORD, dkim: { domainName: 'example.com', keySelector: 's1', privateKey: DKIM_KEY } })).status, 201);
    assert.equal((await call('POST', '/api/v1/connections', { name: 'wrong', ...smtp, password: WRONG_PASSWORD })).status, 201);
    const oauth = { type: 'oauth2', user: SMTP_USER, tokenUrl: tokens.url, clientId: 'client-1', clientSecret: CLIENT_SECRET, refreshToken: REFRESH_TOKEN };
    assert.equal((await call('POST', '/api/v1/connections', { name: 'oauth', host: '127.0.0.1', port: peer.port, security: 'none', defaultFrom: SMTP_USER, auth: oauth })).status, 201);
    // Refused bodies that carry a secret: the error names the field, never echoes the value.
    assert.equal((await call('POST', '/api/v1/connections', { name: 'bad name!', ...smtp, password: SMTP_PASSWORD })).status, 400);
    assert.equal((await call('POST', '/api/v1/connections', { name: 'badport', ...smtp, port: 'x', password: SMTP_PASSWORD })).status, 400);
    await call('GET', '/api/v1/connections');
    await call('GET', '/api/v1/connections/office');

    for (const name of ['office', 'wrong', 'oauth']) assert.equal((await call('POST', `/api/v1/connections/${name}/test`)).status, 200);
    assert.equal((await call('POST', sendPath('office'), { To: 'a@example.org', Subject: 'sync', Body: 'x' })).status, 200);
    assert.equal((await call('POST', sendPath('office'), { To: 'a@example.org', Subject: 'async', Body: 'x' }, { headers: { prefer: 'respond-async' } })).status, 202);
    assert.equal((await call('POST', sendPath('wrong'), { To: 'a@example.org', Subject: 'refused', Body: 'x' })).status, 401);
    const queued = await call('POST', sendPath('wrong'), { To: 'a@example.org', Subject: 'refused async', Body: 'x' }, { headers: { prefer: 'respond-async' } });
    assert.equal(queued.status, 202);
    const oauthSend = await call('POST', sendPath('oauth'), { To: 'a@example.org', Subject: 'oauth', Body: 'x' });
    assert.ok(oauthSend.status >= 400 && tokens.requests() > 0, 'the token endpoint was asked and refused');
    assert.equal((await call('PATCH', '/api/v1/connections/wrong', { password: PATCHED_PASSWORD })).status, 200);
    await call('POST', '/api/v1/connections/wrong/test');
    await waitFor(async () => (await call('GET', `/api/v1/messages/${queued.body.id}`)).body.status === 'failed', { message: 'the async send with a wrong password to fail' });
    await peer.waitForMessages(2);
    assert.match(peer.messages[0].raw.toString('latin1'), /^DKIM-Signature:/m, 'the DKIM key was used');

    const sendKey = await call('POST', '/api/v1/keys', { name: 'sender', scope: 'send', connections: ['office'] });
    const readKey = await call('POST', '/api/v1/keys', { name: 'reader', scope: 'read' });
    apiKeys.push(sendKey.body.key, readKey.body.key, 'sfk_key_notreal.thisIsAWrongKey123');
    await call('GET', '/api/v1/keys');
    assert.equal((await call('POST', sendPath('office'), { To: 'b@example.org', Subject: 'by key', Body: 'x' }, { key: sendKey.body.key })).status, 200);
    assert.equal((await call('POST', sendPath('wrong'), { To: 'b@example.org', Body: 'x' }, { key: sendKey.body.key })).status, 403);
    assert.equal((await call('POST', sendPath('office'), { To: 'b@example.org', Body: 'x' }, { key: readKey.body.key })).status, 403);
    assert.equal((await call('GET', '/api/v1/messages', undefined, { key: 'sfk_key_notreal.thisIsAWrongKey123' })).status, 401);
    assert.equal((await call('DELETE', `/api/v1/keys/${sendKey.body.id}`)).status, 204);
    assert.equal((await call('POST', sendPath('office'), { To: 'b@example.org', Body: 'x' }, { key: sendKey.body.key })).status, 401);

    const definition = {
      triggers: { manual: { type: 'Request', kind: 'Http' } },
      actions: {
        Keep: { type: 'Compose', inputs: { password: "@triggerBody()?['password']", apiKey: "@triggerOutputs()['headers']?['x-api-key']", who: "@triggerBody()?['who']" }, runAfter: {} },
        Mail: { type: 'SendEmail', inputs: { connection: 'office', To: 'c@example.org', Subject: "Run for @{triggerBody()?['who']}", Body: 'x' }, runAfter: { Keep: ['Succeeded'] } },
      },
    };
    assert.equal((await call('POST', '/api/v1/workflows', { name: 'secrets', definition })).status, 201);
    const url = await callbackUrl(t, 'secrets');
    signature = new URL(url).searchParams.get('sig')!;
    const fired = await call('POST', url.slice(t.url.length), { who: 'Ada', password: RUN_SECRET }, { headers: { 'x-api-key': RUN_SECRET } });
    assert.equal(fired.status, 202);
    await finishedRun(t, 'secrets', fired.body.runId);
    await call('GET', `/api/v1/workflows/secrets/runs/${fired.body.runId}`);
    const again = await call('POST', `/api/v1/workflows/secrets/runs/${fired.body.runId}/resubmit`);
    await finishedRun(t, 'secrets', again.body.runId);
    await call('GET', `/api/v1/workflows/secrets/runs/${again.body.runId}`);
    await call('GET', '/api/v1/workflows/secrets/runs');
    await call('GET', '/api/v1/workflows/secrets');

    const list = await call('GET', '/api/v1/messages?limit=100');
    for (const m of list.body.items) await call('GET', `/api/v1/messages/${m.id}`);
    const metrics = await call('GET', '/metrics');
    assert.equal(metrics.status, 200);
    assert.match(String(metrics.body), /^# HELP /m);
  });

  test('none of the secrets used appears in a log line, answer, run record, error or metric', () => {
    const connectionSecrets = [...forms(SMTP_PASSWORD, SMTP_USER), ...forms(WRONG_PASSWORD, SMTP_USER), ...forms(PATCHED_PASSWORD, SMTP_USER), ...forms(CLIENT_SECRET), ...forms(REFRESH_TOKEN), DKIM_LINE];
    const everywhere = [...connectionSecrets, ...apiKeys.flatMap((k) => forms(k)), ...forms(RUN_SECRET)];
    const logs = t.logs();
    assert.ok(logs.includes('"workflow":"secrets"') && logs.split('\n').length > 50, 'the logs were captured');
    const secretOf = (text: string, secrets: string[]) => secrets.find((s) => text.includes(s));
    for (const line of logs.split('\n')) assert.equal(secretOf(line, [...everywhere, signature]), undefined, `a secret in the log line ${line.slice(0, 300)}`);
    assert.ok(answers.length > 40);
    for (const { request, text } of answers) {
      // A key is shown once, in the answer that creates it.
      const shown = request === 'POST /api/v1/keys' ? everywhere.filter((s) => !text.includes(`"key":"${s}"`)) : everywhere;
      assert.equal(secretOf(text, [...shown, signature]), undefined, `a secret in the answer to ${request}: ${text.slice(0, 300)}`);
    }
    assert.ok(answers.some((a) => a.text.includes('[redacted]')), 'run records show where secrets were');
  });

  test('no connection secret or API key is stored in clear in any database row', async () => {
    const secrets = [SMTP_PASSWORD, WRONG_PASSWORD, PATCHED_PASSWORD, CLIENT_SECRET, REFRESH_TOKEN, DKIM_LINE, ...apiKeys.map((k) => k.split('.').pop()!)];
    const tables = await t.app.store.db.introspection.getTables();
    assert.ok(tables.some((table) => table.name === 'connections'));
    for (const table of tables) {
      const rows = await t.app.store.db.selectFrom(table.name as never).selectAll().execute();
      const text = JSON.stringify(rows);
      for (const s of secrets) assert.ok(!text.includes(s), `a secret in clear in table ${table.name}`);
    }
  });

  test('`smtpflow secrets rotate` re-encrypts them; the restarted app signs in with the new key', async () => {
    await t.close();
    const keyFile = path.join(dataDir, 'secret.key');
    const oldKey = fs.readFileSync(keyFile, 'utf8');
    const rotated = await runCli(['secrets', 'rotate', '--data-dir', dataDir, '--database-url', databaseUrl]);
    assert.equal(rotated.code, 0, rotated.stderr);
    assert.match(rotated.stdout, /Re-encrypted [1-9]\d* stored secret/);
    assert.notEqual(fs.readFileSync(keyFile, 'utf8'), oldKey);
    for (const s of [SMTP_PASSWORD, CLIENT_SECRET, DKIM_LINE]) assert.ok(!(rotated.stdout + rotated.stderr).includes(s));

    t = await startTestApp({ dataDir, databaseUrl });
    const before = peer.messages.length;
    const sent = await t.api('POST', sendPath('office'), { To: 'd@example.org', Subject: 'after rotation', Body: 'x' });
    assert.equal(sent.status, 200, JSON.stringify(sent.body));
    const [msg] = (await peer.waitForMessages(before + 1)).slice(before);
    assert.equal(msg.user, SMTP_USER, 'signed in with the password decrypted by the new key');
    assert.match(msg.raw.toString('latin1'), /^DKIM-Signature:/m);
  });
});
