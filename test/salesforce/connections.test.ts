import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { TSchema } from '@sinclair/typebox';
import { SalesforceConnectionInput } from '../../src/connections/salesforce.js';
import { SECRET_PATHS } from '../../src/connections/schema.js';
import { cliFor } from '../cli/util.js';
import { startTestApp, TEST_ADMIN_KEY, type TestApp } from '../helpers/app.js';
import { CLIENT_ID, CLIENT_SECRET, PASSWORD, REFRESH_TOKEN, SECURITY_TOKEN, startFakeSalesforce, USERNAME, type FakeSalesforce } from './fake-salesforce.js';

/** Dotted paths of every writeOnly field in a schema (unions and nested objects included). */
function writeOnlyPaths(schema: TSchema, prefix = ''): string[] {
  if (schema.anyOf) return [...new Set((schema.anyOf as TSchema[]).flatMap((s) => writeOnlyPaths(s, prefix)))];
  if (schema.writeOnly) return [prefix];
  return Object.entries((schema.properties ?? {}) as Record<string, TSchema>).flatMap(([k, s]) => writeOnlyPaths(s, prefix ? `${prefix}.${k}` : k));
}

describe('salesforce connections: every OAuth grant, write-only secrets, test, objects, fields, CLI', () => {
  let sf: FakeSalesforce;
  let t: TestApp;
  let secrets: string[];
  before(async () => {
    sf = await startFakeSalesforce();
    t = await startTestApp();
    secrets = [CLIENT_SECRET, PASSWORD, SECURITY_TOKEN, REFRESH_TOKEN, sf.jwtKeys.privateKey.split('\n')[1]];
  });
  after(async () => {
    await t.close();
    await sf.close();
  });

  test('SECRET_PATHS.salesforce lists every write-only field of the schema', () => {
    assert.deepEqual([...SECRET_PATHS.salesforce].sort(), writeOnlyPaths(SalesforceConnectionInput).sort());
  });

  test('each grant logs in against the token endpoint and lists objects; secrets are sealed and never answered', async () => {
    const grants = [
      { name: 'sf-cc', auth: { type: 'clientCredentials', clientId: CLIENT_ID, clientSecret: CLIENT_SECRET }, sealed: ['auth.clientSecret'] },
      { name: 'sf-jwt', auth: { type: 'jwtBearer', clientId: CLIENT_ID, username: USERNAME, privateKey: sf.jwtKeys.privateKey }, sealed: ['auth.privateKey'] },
      { name: 'sf-refresh', auth: { type: 'refreshToken', clientId: CLIENT_ID, clientSecret: CLIENT_SECRET, refreshToken: REFRESH_TOKEN }, sealed: ['auth.clientSecret', 'auth.refreshToken'] },
      { name: 'sf-password', auth: { type: 'password', clientId: CLIENT_ID, clientSecret: CLIENT_SECRET, username: USERNAME, password: PASSWORD, securityToken: SECURITY_TOKEN }, sealed: ['auth.clientSecret', 'auth.password', 'auth.securityToken'] },
    ];
    for (const { name, auth, sealed } of grants) {
      const created = await t.api('POST', '/api/v1/connections', { name, type: 'salesforce', loginUrl: sf.url, apiVersion: '61.0', auth });
      assert.equal(created.status, 201, JSON.stringify(created.body));
      assert.deepEqual([...created.body.secretsSet].sort(), sealed.sort());
      assert.equal(created.body.auth.type, auth.type);
      const report = (await t.api('POST', `/api/v1/connections/${name}/test`)).body;
      assert.equal(report.ok, true, `${name}: ${JSON.stringify(report)}`);
      assert.deepEqual(report.steps.map((s: { step: string }) => s.step), ['login', 'objects']);
      assert.match(report.steps[1].detail, /^2 object type\(s\) a trigger can watch \(Lead, Account\)$/);
    }
    assert.deepEqual(sf.grants(), ['client_credentials', 'urn:ietf:params:oauth:grant-type:jwt-bearer', 'refresh_token', 'password']);
    assert.ok(sf.requests.some((r) => r.path === '/services/data/v61.0/sobjects'), 'apiVersion is honoured');
    const everything = JSON.stringify((await t.api('GET', '/api/v1/connections')).body) + t.logs();
    for (const secret of secrets) assert.equal(everything.includes(secret), false, 'no secret in an answer or the log');
  });

  test('a refused login is a report with the cause and the setting to fix, not an error', async () => {
    await t.api('POST', '/api/v1/connections', { name: 'sf-wrong', type: 'salesforce', loginUrl: sf.url, auth: { type: 'clientCredentials', clientId: CLIENT_ID, clientSecret: 'not-the-secret' } });
    const res = await t.api('POST', '/api/v1/connections/sf-wrong/test');
    assert.equal(res.status, 200);
    assert.equal(res.body.ok, false);
    assert.deepEqual(res.body.steps.map((s: { step: string; ok: boolean }) => [s.step, s.ok]), [['login', false]]);
    assert.equal(res.body.problem.code, 'SalesforceAuthFailed');
    assert.match(res.body.problem.message, /invalid_client: invalid client credentials/);
    assert.match(res.body.problem.fix, /auth\.clientSecret/);
    assert.equal(JSON.stringify(res.body).includes('not-the-secret'), false);

    // Fixing the secret (a new version) logs in again; the other fields are kept.
    const patched = await t.api('PATCH', '/api/v1/connections/sf-wrong', { auth: { clientSecret: CLIENT_SECRET } });
    assert.equal(patched.status, 200, JSON.stringify(patched.body));
    assert.equal((await t.api('POST', '/api/v1/connections/sf-wrong/test')).body.ok, true);

    const objects = await t.api('GET', '/api/v1/connections/sf-unreachable/objects');
    assert.equal(objects.status, 404);
    await t.api('POST', '/api/v1/connections', { name: 'sf-unreachable', type: 'salesforce', loginUrl: 'http://127.0.0.1:9', auth: { type: 'clientCredentials', clientId: CLIENT_ID, clientSecret: CLIENT_SECRET } });
    const down = await t.api('GET', '/api/v1/connections/sf-unreachable/objects');
    assert.equal(down.status, 502);
    assert.equal(down.body.error.code, 'SalesforceUnreachable');
    assert.match(down.body.error.message, /Check loginUrl/);
  });

  test('objects are the queryable sObjects; fields come from describe', async () => {
    const objects = await t.api('GET', '/api/v1/connections/sf-cc/objects');
    assert.equal(objects.status, 200);
    assert.deepEqual(objects.body, [{ name: 'Lead', label: 'Lead' }, { name: 'Account', label: 'Account' }], 'custom settings are not offered');
    const fields = await t.api('GET', '/api/v1/connections/sf-cc/objects/Lead/fields');
    assert.equal(fields.status, 200);
    assert.deepEqual(fields.body.find((f: { name: string }) => f.name === 'Email'), { name: 'Email', label: 'Email', type: 'email' });
    assert.equal((await t.api('GET', '/api/v1/connections/sf-cc/objects/Opportunity/fields')).status, 404);
    const bad = await t.api('GET', `/api/v1/connections/sf-cc/objects/${encodeURIComponent('Lead/../sobjects')}/fields`);
    assert.equal(bad.status, 400);
    assert.equal(bad.body.error.code, 'InvalidObjectName');
    const smtp = await t.api('POST', '/api/v1/connections', { name: 'mail', host: 'smtp.example.com', port: 587, security: 'starttls' });
    assert.equal(smtp.status, 201);
    assert.equal((await t.api('GET', '/api/v1/connections/mail/objects/Lead/fields')).body.error.code, 'NotATriggerSource');
  });

  test('bad settings are refused at the field, with what to write', async () => {
    const base = { type: 'salesforce', loginUrl: sf.url };
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ ...base, name: 'b1', auth: { type: 'password', clientId: CLIENT_ID, clientSecret: CLIENT_SECRET, username: USERNAME } }, 'auth.password'],
      [{ ...base, name: 'b2', auth: { type: 'jwtBearer', clientId: CLIENT_ID, username: USERNAME, privateKey: 'k', extra: 1 } }, 'auth.extra'],
      [{ ...base, name: 'b3', loginUrl: 'login.salesforce.com', auth: { type: 'clientCredentials', clientId: CLIENT_ID, clientSecret: CLIENT_SECRET } }, 'loginUrl'],
      [{ ...base, name: 'b4', auth: { type: 'clientCredentials', clientId: CLIENT_ID, clientSecret: CLIENT_SECRET }, host: 'x' }, 'host'],
    ];
    for (const [body, field] of cases) {
      const res = await t.api('POST', '/api/v1/connections', body);
      assert.equal(res.status, 400, JSON.stringify(res.body));
      assert.equal(res.body.error.field, field, JSON.stringify(res.body));
      assert.equal(JSON.stringify(res.body).includes(CLIENT_SECRET), false);
    }
  });

  test('smtpflow connections add --type salesforce, then test', async () => {
    const cli = cliFor(t.url, TEST_ADMIN_KEY);
    const keyFile = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'smtpflow-sf-cli-')), 'server.key');
    fs.writeFileSync(keyFile, sf.jwtKeys.privateKey);
    const added = await cli(['connections', 'add', 'crm', '--type', 'salesforce', '--login-url', sf.url, '--client-id', CLIENT_ID, '--password-stdin'], { input: `${CLIENT_SECRET}\n` });
    assert.equal(added.code, 0, added.stderr);
    assert.equal(added.stdout.split('\n')[0], `added connection crm (${sf.url}, salesforce)`);
    const jwt = await cli(['connections', 'add', 'crm-jwt', '--type', 'salesforce', '--grant', 'jwt-bearer', '--login-url', sf.url, '--client-id', CLIENT_ID, '--username', USERNAME, '--private-key', keyFile]);
    assert.equal(jwt.code, 0, jwt.stderr);
    const tested = await cli(['connections', 'test', 'crm-jwt']);
    assert.equal(tested.code, 0, tested.stderr);
    assert.match(tested.stdout, /^✓ login\s+access token from .* \(jwtBearer grant\)/m);
    assert.match(tested.stdout, /^✓ objects\s+2 object type\(s\) a trigger can watch/m);
    const view = (await t.api('GET', '/api/v1/connections/crm')).body;
    assert.deepEqual(view.auth, { type: 'clientCredentials', clientId: CLIENT_ID });
    assert.deepEqual(view.secretsSet, ['auth.clientSecret']);
    const missing = await cli(['connections', 'add', 'crm-2', '--type', 'salesforce', '--client-id', CLIENT_ID]);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /The client secret \(--password-stdin or SMTPFLOW_SALESFORCE_CLIENT_SECRET\) is required/);
  });
});
