import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startTestApp, TEST_ADMIN_KEY, type TestApp } from '../helpers/app.js';
import { cliFor, oneLineError } from './util.js';

describe('smtpflow keys (CLI against a real server)', () => {
  let t: TestApp;
  let cli: ReturnType<typeof cliFor>;
  before(async () => {
    t = await startTestApp();
    cli = cliFor(t.url, TEST_ADMIN_KEY);
  });
  after(() => t.close());

  test('create prints the key once, on a line of its own, with what it may do', async () => {
    const r = await cli(['keys', 'create', '--name', 'ci', '--scope', 'send', '--connection', 'dev-inbox', '--connection', 'office']);
    assert.equal(r.code, 0, r.stderr);
    const keys = r.stdout.match(/sfk_key_[a-z0-9]+\.[A-Za-z0-9_-]+/g) ?? [];
    assert.equal(keys.length, 1, r.stdout);
    assert.match(r.stdout, new RegExp(`^  ${keys[0].replace('.', '\\.')}$`, 'm'));
    assert.match(r.stdout, /scope send, only through dev-inbox, office/);
    assert.match(r.stdout, /cannot be shown again/);
  });

  test('list shows ids, names and scopes in a table, never a secret', async () => {
    const created = JSON.parse((await cli(['keys', 'create', '--name', 'reader', '--scope', 'read', '--json'])).stdout);
    assert.match(created.key, /^sfk_key_/);
    const r = await cli(['keys', 'list']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout.split('\n')[0], /^ID\s+NAME\s+SCOPE\s+CONNECTIONS\s+CREATED\s+LAST USED$/);
    assert.match(r.stdout, new RegExp(`^${created.id}\\s+reader\\s+read\\s+-\\s+\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d`, 'm'));
    assert.match(r.stdout, /\sci\s+send\s+dev-inbox, office\s/);
    assert.equal(r.stdout.includes(created.key), false);
    assert.equal(r.stdout.includes(created.key.split('.')[1]), false);
    const json = JSON.parse((await cli(['keys', 'list', '--json'])).stdout) as Array<{ id: string; key?: string }>;
    assert.ok(json.some((k) => k.id === created.id));
    assert.ok(json.every((k) => k.key === undefined));
  });

  test('a removed key stops working', async () => {
    const created = JSON.parse((await cli(['keys', 'create', '--name', 'temp', '--scope', 'read', '--json'])).stdout);
    const withKey = cliFor(t.url, created.key);
    assert.equal((await withKey(['connections', 'list'])).code, 0);

    const rm = await cli(['keys', 'rm', created.id]);
    assert.equal(rm.code, 0, rm.stderr);
    assert.equal(rm.stdout, `revoked API key ${created.id}\n`);

    const refused = await withKey(['connections', 'list']);
    assert.equal(refused.code, 1);
    assert.match(oneLineError(refused), /^smtpflow: Unauthorized: The API key is not valid/);
    assert.equal(refused.stderr.includes(created.key), false);

    const again = await cli(['keys', 'rm', created.id]);
    assert.equal(again.code, 1);
    assert.match(oneLineError(again), /^smtpflow: NotFound: No API key with id/);
  });

  test('a read key may not create keys: 403 on one line', async () => {
    const created = JSON.parse((await cli(['keys', 'create', '--name', 'r2', '--scope', 'read', '--json'])).stdout);
    const r = await cliFor(t.url, created.key)(['keys', 'create', '--name', 'x', '--scope', 'admin']);
    assert.equal(r.code, 1);
    assert.match(oneLineError(r), /^smtpflow: Forbidden: This API key has the 'read' scope/);
  });
});
