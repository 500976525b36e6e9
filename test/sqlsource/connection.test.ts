/**
 * The walkthrough for PostgreSQL as a new user does it with the CLI and the API: add the
 * connection, test it, list its tables, import a Logic Apps definition whose trigger is
 * "When an item is created (V2)", insert a row, read the email in the development inbox.
 * Also what a connection test says when the password, the port or the database is wrong.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { startTestApp, TEST_ADMIN_KEY, type TestApp } from '../helpers/app.js';
import { waitFor } from '../helpers/wait.js';
import { cliFor, type CliResult } from '../cli/util.js';
import { freePort, inbox } from '../workflows/util.js';
import { newRowWorkflow, startWatchedDatabase, type WatchedDatabase } from './harness.js';

const WRONG_PASSWORD = 'Wr0ng-pa55word-never-shown';

describe('postgres connections: walkthrough by CLI and API, connection test', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'smtpflow-pgconn-'));
  let db: WatchedDatabase;
  let t: TestApp;
  let cli: (args: string[], options?: { input?: string }) => Promise<CliResult>;
  let realPassword: string;
  const withUrl = (change: (u: URL) => void): string => {
    const u = new URL(db.url);
    change(u);
    return u.toString();
  };

  before(async () => {
    db = await startWatchedDatabase();
    realPassword = decodeURIComponent(new URL(db.url).password);
    await db.sql('CREATE TABLE customers (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, email text NOT NULL, name text)');
    await db.sql('CREATE TABLE audit_log (at timestamptz DEFAULT now(), what text)');
    t = await startTestApp({ devSmtpPort: await freePort() });
    cli = cliFor(t.url, TEST_ADMIN_KEY);
  });
  after(async () => {
    await t?.close();
    await db?.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  test('add, test and list a postgres connection with the CLI; import the workflow; a new row arrives as an email', async () => {
    const added = await cli(['connections', 'add', 'crm-db', '--type', 'postgres', '--password-stdin'], { input: `${db.url}\n` });
    assert.equal(added.code, 0, added.stderr);
    assert.match(added.stdout, /added connection crm-db \(postgres\)/);

    const tested = await cli(['connections', 'test', 'crm-db']);
    assert.equal(tested.code, 0, tested.stdout + tested.stderr);
    assert.match(tested.stdout, /✓ connect .*logged in to 127\.0\.0\.1:\d+ as 'postgres'/);
    assert.match(tested.stdout, /✓ server +PostgreSQL \d+/);
    assert.match(tested.stdout, /✓ tables +2 table\(s\) readable in schema 'public', 1 with a primary key/);
    assert.match(tested.stdout, /connection crm-db works/);

    const view = await t.api('GET', '/api/v1/connections/crm-db');
    assert.deepEqual(view.body.secretsSet, ['connectionString']);
    assert.equal(JSON.stringify(view.body).includes(realPassword), false, 'the connection string is write-only');

    const objects = await t.api('GET', '/api/v1/connections/crm-db/objects');
    assert.equal(objects.status, 200);
    assert.deepEqual(objects.body, [
      { name: 'audit_log', label: 'audit_log (no primary key: cannot be watched)' },
      { name: 'customers', label: 'customers' },
    ]);

    const file = path.join(dir, 'new-customer.json');
    fs.writeFileSync(file, JSON.stringify(newRowWorkflow('new-customer', 'customers', 'Welcome', { sql: 'crm-db', smtp: 'dev-inbox' })));
    const imported = await cli(['workflows', 'import', file]);
    assert.equal(imported.code, 0, imported.stderr);
    assert.match(imported.stdout, /imported workflow 'new-customer'/);
    // The first poll installs the capture and takes its starting snapshot; a row inserted after it is new.
    await db.watching('new-customer');
    await db.sql(`INSERT INTO customers (email, name) VALUES ('ada@example.com', 'Ada Lovelace')`);
    const [mail] = await waitFor(
      async () => {
        const found = (await inbox(t)).filter((m) => m.subject === 'Welcome #1');
        return found.length > 0 ? found : undefined;
      },
      { message: 'the welcome email in the development inbox', timeoutMs: 15_000 },
    );
    assert.match(JSON.stringify(mail.to), /ada@example\.com/);
  });

  test('a wrong password, a closed port and a missing database are reported with the fix, never with the password', async () => {
    const cases = [
      { name: 'pg-wrong-password', url: withUrl((u) => (u.password = WRONG_PASSWORD)), code: 'AuthenticationFailed', fix: /PATCH \/api\/v1\/connections\/pg-wrong-password/ },
      { name: 'pg-closed-port', url: withUrl((u) => (u.port = '1')), code: 'ConnectionRefused', fix: /host and port in the connectionString/ },
      { name: 'pg-no-database', url: withUrl((u) => (u.pathname = '/no_such_db')), code: 'DatabaseNotFound', fix: /CREATE DATABASE/ },
    ];
    for (const c of cases) {
      const created = await t.api('POST', '/api/v1/connections', { name: c.name, type: 'postgres', connectionString: c.url });
      assert.equal(created.status, 201, JSON.stringify(created.body));
      const report = await t.api('POST', `/api/v1/connections/${c.name}/test`);
      assert.equal(report.status, 200);
      assert.equal(report.body.ok, false, c.name);
      assert.equal(report.body.problem.code, c.code, JSON.stringify(report.body));
      assert.match(report.body.problem.fix, c.fix);
      assert.equal(report.body.steps[0].step, 'connect');
      assert.equal(report.body.steps[0].ok, false);
      for (const secret of [WRONG_PASSWORD, realPassword]) assert.equal(JSON.stringify(report.body).includes(secret), false, `${c.name}: no password in the report`);
    }
    assert.match((await t.api('POST', '/api/v1/connections/pg-wrong-password/test')).body.problem.message, /refused the password of user 'postgres'/);

    const objects = await t.api('GET', '/api/v1/connections/pg-wrong-password/objects');
    assert.equal(objects.status, 502);
    assert.equal(objects.body.error.code, 'AuthenticationFailed');
    const printed = await cli(['connections', 'test', 'pg-wrong-password']);
    assert.equal(printed.code, 1);
    assert.match(printed.stdout, /✗ connect .*Problem \(AuthenticationFailed\)/s);
    for (const text of [JSON.stringify(objects.body), printed.stdout, printed.stderr, t.logs()]) {
      assert.equal(text.includes(WRONG_PASSWORD), false, 'the password is in no answer, output or log line');
      assert.equal(text.includes(realPassword), false);
    }
  });
});
