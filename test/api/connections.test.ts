import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { TEST_DIALECT } from '../helpers/database.js';

const PASSWORD = 'pw-Very$ecret-91a7e2';

describe('connections API', () => {
  let t: TestApp;
  before(async () => {
    t = await startTestApp();
  });
  after(() => t.close());

  test('create answers 201 without the password, and lists which secrets are set', async () => {
    const res = await t.api('POST', '/api/v1/connections', {
      name: 'office',
      host: 'smtp.example.com',
      port: 587,
      security: 'starttls',
      username: 'robot',
      password: PASSWORD,
      defaultFrom: 'Robot <robot@example.com>',
      rateLimit: { messages: 10, perSeconds: 1 },
    });
    assert.equal(res.status, 201);
    assert.equal(res.body.name, 'office');
    assert.equal(res.body.type, 'smtp');
    assert.equal(res.body.password, undefined);
    assert.deepEqual(res.body.secretsSet, ['password']);
    assert.deepEqual(res.body.rateLimit, { messages: 10, perSeconds: 1 });
  });

  test('the password is encrypted at rest: neither the stored row nor the database file contains it', async () => {
    const rows = await t.app.store.db.selectFrom('connections').selectAll().execute();
    assert.ok(rows.some((r) => r.name === 'office' && r.secrets !== null));
    assert.equal(JSON.stringify(rows).includes(PASSWORD), false);
    const dbFiles = fs.readdirSync(t.dataDir).filter((f) => f.startsWith('smtpflow.db'));
    assert.ok(dbFiles.length > 0 || TEST_DIALECT === 'postgres');
    for (const file of dbFiles) {
      const bytes = fs.readFileSync(path.join(t.dataDir, file));
      assert.equal(bytes.includes(Buffer.from(PASSWORD)), false, `${file} holds the password in clear`);
    }
    const resolved = await t.app.connections.resolveSmtp('office');
    assert.equal(resolved.password, PASSWORD, 'the sealed password opens again');
  });

  test('read and list never show a secret', async () => {
    const one = await t.api('GET', '/api/v1/connections/office');
    assert.equal(one.status, 200);
    const all = await t.api('GET', '/api/v1/connections');
    assert.equal(all.status, 200);
    assert.ok(all.body.some((c: { name: string }) => c.name === 'office'));
    assert.equal(JSON.stringify([one.body, all.body]).includes(PASSWORD), false);
  });

  test('patch merges, keeps omitted secrets, bumps the version and null removes a field', async () => {
    const res = await t.api('PATCH', '/api/v1/connections/office', { port: 2587, defaultFrom: null });
    assert.equal(res.status, 200);
    assert.equal(res.body.port, 2587);
    assert.equal(res.body.defaultFrom, undefined);
    assert.deepEqual(res.body.secretsSet, ['password']);
    const resolved = await t.app.connections.resolveSmtp('office');
    assert.equal(resolved.version, 2);
    assert.equal(resolved.password, PASSWORD);
  });

  test('bad input is a 400 naming the field', async () => {
    const unknown = await t.api('POST', '/api/v1/connections', { name: 'x', host: 'h', port: 25, security: 'none', hots: 'typo' });
    assert.equal(unknown.status, 400);
    assert.equal(unknown.body.error.code, 'UnknownProperty');
    assert.equal(unknown.body.error.field, 'hots');
    const badSecurity = await t.api('POST', '/api/v1/connections', { name: 'y', host: 'h', port: 25, security: 'ssl' });
    assert.equal(badSecurity.status, 400);
    assert.equal(badSecurity.body.error.field, 'security');
    const badPort = await t.api('PATCH', '/api/v1/connections/office', { port: 70000 });
    assert.equal(badPort.status, 400);
    assert.equal(badPort.body.error.field, 'port');
  });

  test('duplicate names are 409, unknown names 404, delete is 204', async () => {
    const dup = await t.api('POST', '/api/v1/connections', { name: 'office', host: 'h', port: 25, security: 'none' });
    assert.equal(dup.status, 409);
    assert.equal(dup.body.error.code, 'ConnectionExists');
    assert.equal((await t.api('GET', '/api/v1/connections/nope')).status, 404);
    assert.equal((await t.api('DELETE', '/api/v1/connections/office')).status, 204);
    assert.equal((await t.api('GET', '/api/v1/connections/office')).status, 404);
  });

  test('no password appears in any log line', () => {
    assert.ok(t.logs().length > 0);
    assert.equal(t.logs().includes(PASSWORD), false);
  });
});
