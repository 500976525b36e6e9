import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { OAuthTokenError, OAuthTokens, type TokenRequest } from '../../src/oauth/index.js';
import { oauthDb } from '../../src/oauth/tables.js';
import { SecretBox } from '../../src/secrets/secret-box.js';
import { openStore, type Store } from '../../src/store/db.js';
import { testDatabaseUrl } from '../helpers/database.js';
import { closedPort } from '../smtp/util.js';
import { startTokenServer, type TokenServer } from './token-server.js';

const SECRET = 'client-Secret-9f1e0c';
const SCOPE = 'https://outlook.office365.com/.default';

/** Resolves with the error `promise` rejected with; fails the test if it resolved. */
async function rejection(promise: Promise<unknown>): Promise<OAuthTokenError> {
  const err = await promise.then(() => assert.fail('expected no token'), (e: unknown) => e);
  assert.ok(err instanceof OAuthTokenError, `not an OAuthTokenError: ${String(err)}`);
  return err;
}

describe('OAuthTokens: one token per expiry, shared through the database', () => {
  let dir: string;
  let store: Store;
  let box: SecretBox;
  let oauth: TokenServer;
  /** Another process, as far as the database can tell: its own memory, its own lock owner. */
  const aProcess = (): OAuthTokens => new OAuthTokens(store, box, { pollMs: 10 });
  const appGrant = (): TokenRequest => ({ tokenUrl: oauth.url, clientId: 'app', clientSecret: SECRET, scope: SCOPE });

  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'smtpflow-oauth-'));
    store = await openStore(await testDatabaseUrl(dir));
    box = new SecretBox(randomBytes(32));
    oauth = await startTokenServer({ rotateRefreshTokens: true });
    oauth.addClient('app', SECRET, { mailboxes: ['robot@example.com'] });
    oauth.addClient('desktop', undefined);
  });
  after(async () => {
    await oauth.close();
    await store.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  test('client credentials: fetched once with the scope, then answered from memory and from the database', async () => {
    const first = aProcess();
    const token = await first.get('m365', appGrant());
    assert.equal((await first.get('m365', appGrant())).value, token.value);
    assert.equal((await aProcess().get('m365', appGrant())).value, token.value, 'a second process takes the stored token');
    assert.equal(oauth.issued.length, 1);
    assert.deepEqual(oauth.requests[0], { grant_type: 'client_credentials', client_id: 'app', scope: SCOPE });
    assert.ok(oauth.accepts('robot@example.com', token.value));
    assert.ok(token.renewAt < token.expiresAt && token.expiresAt - token.renewAt <= 300_000);
    await first.forget('m365');
    assert.equal(await oauthDb(store).selectFrom('oauth_tokens').select('key').where('key', '=', 'm365').executeTakeFirst(), undefined, 'a removed connection leaves no token behind');
  });

  test('a refused token renewed by 2 processes × 20 callers at once: one request to the endpoint', async () => {
    const [a, b] = [aProcess(), aProcess()];
    const old = await a.get('burst', appGrant());
    await b.get('burst', appGrant());
    const before = oauth.issued.length;
    const renewed = await Promise.all([a, b].flatMap((p) => Array.from({ length: 20 }, () => p.get('burst', appGrant(), old.value))));
    assert.equal(oauth.issued.length, before + 1, 'one refresh for all 40 callers');
    assert.equal(new Set(renewed.map((t) => t.value)).size, 1);
    assert.notEqual(renewed[0].value, old.value);
  });

  test('rotated refresh tokens are stored sealed, and the next process refreshes with the rotated one', async () => {
    const consented = oauth.consent('desktop', 'ada@example.com', 'https://mail.google.com/');
    const grant: TokenRequest = { tokenUrl: oauth.url, clientId: 'desktop', refreshToken: consented, scope: 'https://mail.google.com/' };
    const first = await aProcess().get('gmail', grant);
    const row = await oauthDb(store).selectFrom('oauth_tokens').selectAll().where('key', '=', 'gmail').executeTakeFirstOrThrow();
    assert.ok(row.sealed && !row.sealed.includes(first.value) && !row.sealed.includes('rt.') && !row.sealed.includes('at.'), 'tokens are sealed');
    // the consented token was spent by the rotation: only its successor, read from the database, still works
    const second = await aProcess().get('gmail', grant, first.value);
    assert.ok(oauth.accepts('ada@example.com', second.value));
    assert.deepEqual(oauth.requests.slice(-2).map((r) => r.grant_type), ['refresh_token', 'refresh_token']);
  });

  test('a revoked refresh token: 401 quoting error and error_description, no secret, remembered rather than asked again', async () => {
    const consented = oauth.consent('desktop', 'bob@example.com', 'https://mail.google.com/');
    const grant: TokenRequest = { tokenUrl: oauth.url, clientId: 'desktop', refreshToken: consented };
    const token = await aProcess().get('revoked', grant);
    oauth.revoke(consented);
    const err = await rejection(aProcess().get('revoked', grant, token.value));
    assert.equal(err.failure.status, 401);
    assert.equal(err.failure.code, 'SmtpAuthenticationFailed');
    assert.equal(err.failure.diagnosis, 'OAuthRefreshTokenRejected');
    assert.match(err.message, /refused the refresh-token grant: invalid_grant \(AADSTS50173: The provided grant has expired due to it being revoked; bob@example\.com must sign in again\.\)/);
    assert.match(err.failure.fix, /set auth\.refreshToken/);
    assert.ok(!err.message.includes(consented) && !err.message.includes('rt.'), 'no refresh token in the message');

    const asked = oauth.requests.length;
    const again = await rejection(aProcess().get('revoked', grant, token.value));
    assert.equal(again.message, err.message);
    assert.equal(oauth.requests.length, asked, 'the failure was answered from the record');

    // new settings (the user signed in again) are not answered from the old record
    const fresh = oauth.consent('desktop', 'bob@example.com', 'https://mail.google.com/');
    assert.ok(oauth.accepts('bob@example.com', (await aProcess().get('revoked', { ...grant, refreshToken: fresh })).value));
  });

  test('a wrong client secret names auth.clientSecret; an unreachable endpoint is transient', async () => {
    const wrong = await rejection(aProcess().get('wrong-secret', { ...appGrant(), clientSecret: 'not-the-secret' }));
    assert.equal(wrong.failure.diagnosis, 'OAuthClientRejected');
    assert.match(wrong.message, /invalid_client \(AADSTS7000215: Invalid client secret provided/);
    assert.match(wrong.failure.fix, /auth\.clientSecret/);
    assert.ok(!wrong.message.includes('not-the-secret'));

    const down = await rejection(aProcess().get('down', { ...appGrant(), tokenUrl: `http://127.0.0.1:${await closedPort()}/token` }));
    assert.equal(down.failure.status, 502);
    assert.equal(down.failure.transient, true);
    assert.equal(down.failure.code, 'OAuthTokenUnavailable');
    assert.match(down.message, /ECONNREFUSED/);
  });
});
