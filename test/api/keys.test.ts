import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startTestApp, TEST_ADMIN_KEY, type TestApp } from '../helpers/app.js';

describe('API keys and scopes', () => {
  let t: TestApp;
  before(async () => {
    t = await startTestApp();
  });
  after(() => t.close());

  test('no key or a wrong key is 401 with a hint', async () => {
    const none = await t.api('GET', '/api/v1/connections', undefined, { key: null });
    assert.equal(none.status, 401);
    assert.equal(none.body.error.code, 'Unauthorized');
    assert.match(none.body.error.message, /Authorization: Bearer/);
    const wrong = await t.api('GET', '/api/v1/connections', undefined, { key: 'sfk_key_abc.' + 'x'.repeat(43) });
    assert.equal(wrong.status, 401);
    const nearly = await t.api('GET', '/api/v1/connections', undefined, { key: TEST_ADMIN_KEY + 'x' });
    assert.equal(nearly.status, 401);
  });

  test('keys are shown once, listed without secrets, and scoped', async () => {
    const created = await t.api('POST', '/api/v1/keys', { name: 'reader', scope: 'read' });
    assert.equal(created.status, 201);
    assert.match(created.body.key, /^sfk_key_/);
    const list = await t.api('GET', '/api/v1/keys');
    assert.equal(list.status, 200);
    assert.ok(list.body.some((k: { id: string }) => k.id === created.body.id));
    assert.equal(JSON.stringify(list.body).includes(created.body.key), false);

    const reader = created.body.key as string;
    assert.equal((await t.api('GET', '/api/v1/connections', undefined, { key: reader })).status, 200);
    const forbidden = await t.api('POST', '/api/v1/keys', { name: 'x', scope: 'admin' }, { key: reader });
    assert.equal(forbidden.status, 403);
    assert.equal(forbidden.body.error.code, 'Forbidden');
  });

  test('a revoked key stops working at once', async () => {
    const created = await t.api('POST', '/api/v1/keys', { name: 'temp', scope: 'read' });
    const key = created.body.key as string;
    assert.equal((await t.api('GET', '/api/v1/connections', undefined, { key })).status, 200);
    assert.equal((await t.api('DELETE', `/api/v1/keys/${created.body.id}`)).status, 204);
    assert.equal((await t.api('GET', '/api/v1/connections', undefined, { key })).status, 401);
  });

  test('the key database holds hashes, and no key appears in the logs', async () => {
    const created = await t.api('POST', '/api/v1/keys', { name: 'logged?', scope: 'send', connections: ['dev-inbox'] });
    const rows = await t.app.store.db.selectFrom('api_keys').select('hash').execute();
    const secret = (created.body.key as string).split('.')[1];
    assert.equal(rows.some((r) => r.hash.includes(secret)), false);
    const logs = t.logs();
    assert.equal(logs.includes(secret), false);
    assert.equal(logs.includes(TEST_ADMIN_KEY), false);
  });

  test('unknown routes are a JSON 404; openapi is public', async () => {
    const missing = await t.api('GET', '/api/v1/nothing-here');
    assert.equal(missing.status, 404);
    assert.equal(missing.body.error.code, 'NotFound');
    const doc = await t.api('GET', '/api/v1/openapi.json', undefined, { key: null });
    assert.equal(doc.status, 200);
    assert.equal(doc.body.openapi, '3.1.0');
    assert.ok(doc.body.paths['/api/v1/keys']);
    const v2 = await t.api('GET', '/api/v1/swagger2.json', undefined, { key: null });
    assert.equal(v2.body.swagger, '2.0');
  });
});

describe('operations endpoints', () => {
  test('healthz, readyz and metrics answer without a key', async () => {
    const t = await startTestApp();
    try {
      assert.equal((await t.api('GET', '/healthz', undefined, { key: null })).status, 200);
      const ready = await t.api('GET', '/readyz', undefined, { key: null });
      assert.equal(ready.status, 200);
      assert.equal(ready.body.checks.database, true);
      await t.api('GET', '/api/v1/connections');
      const metrics = await t.api('GET', '/metrics', undefined, { key: null });
      assert.equal(metrics.status, 200);
      assert.match(metrics.body, /smtpflow_http_requests_total\{method="GET",route="\/api\/v1\/connections",status="200"\} 1/);
    } finally {
      await t.close();
    }
  });
});
