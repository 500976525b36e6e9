/**
 * SQL "When an item is created" on a postgres connection, end to end: a real PostgreSQL
 * database is watched by the real app, whose workflow sends each new row as an email to a
 * real SMTP server, where emails are counted by subject ("<prefix> #<row id>").
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { TEST_DIALECT } from '../helpers/database.js';
import { waitFor } from '../helpers/wait.js';
import { newRowWorkflow, startSubjectSink, startWatchedDatabase, type SubjectSink, type WatchedDatabase } from './harness.js';

const CONNECTIONS = { sql: 'shop', smtp: 'sink' };

describe('SQL trigger: When an item is created (postgres)', () => {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'smtpflow-sql-'));
  let db: WatchedDatabase;
  let sink: SubjectSink;
  let t: TestApp;
  let databaseUrl: string;

  before(async () => {
    [db, sink] = await Promise.all([startWatchedDatabase(), startSubjectSink()]);
    t = await startTestApp({ dataDir });
    databaseUrl = t.app.config.databaseUrl;
    const smtp = await t.api('POST', '/api/v1/connections', { name: CONNECTIONS.smtp, host: '127.0.0.1', port: sink.port, security: 'none' });
    assert.equal(smtp.status, 201, JSON.stringify(smtp.body));
    const shop = await t.api('POST', '/api/v1/connections', { name: CONNECTIONS.sql, type: 'postgres', connectionString: db.url });
    assert.equal(shop.status, 201, JSON.stringify(shop.body));
  });
  after(async () => {
    await t?.close();
    await Promise.all([db?.close(), sink?.close()]);
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  const createOrders = (table: string): Promise<unknown> => db.sql(`CREATE TABLE ${table} (id serial PRIMARY KEY, email text NOT NULL, note text)`);
  const insert = (table: string, n: number): Promise<unknown> =>
    db.sql(`INSERT INTO ${table} (email) SELECT 'buyer' || g || '@example.com' FROM generate_series(1, $1) g`, [n]);
  const save = async (body: unknown): Promise<void> => {
    const res = await t.api('POST', '/api/v1/workflows', body);
    assert.equal(res.status, 201, JSON.stringify(res.body));
  };
  const emailed = (prefix: string): number[] =>
    [...sink.subjects.keys()]
      .filter((s) => s.startsWith(`${prefix} #`))
      .map((s) => Number(s.slice(prefix.length + 2)))
      .sort((a, b) => a - b);

  test('rows committed out of id order each send one email; rows there before, and rolled back, none', async () => {
    await createOrders('orders');
    await insert('orders', 3); // ids 1–3 exist before the workflow: never emailed
    await save(newRowWorkflow('orders-mail', '[dbo].[orders]', 'Order', CONNECTIONS));
    await db.watching('orders-mail');

    // Five transactions take ids 4–8 in order; 5 and 7 commit first, 8 rolls back, 4 and 6 commit late.
    const tx = await Promise.all([1, 2, 3, 4, 5].map(() => db.client()));
    for (const c of tx) {
      await c.query('BEGIN');
      await c.query(`INSERT INTO orders (email) VALUES ('late@example.com')`);
    }
    await tx[1].query('COMMIT');
    await tx[3].query('COMMIT');
    await waitFor(() => emailed('Order').length === 2, { message: 'orders 5 and 7', timeoutMs: 15_000 });
    assert.deepEqual(emailed('Order'), [5, 7]);
    await db.polls('orders-mail'); // several polls pass while 4 and 6 are open and id 7 is long seen
    await tx[4].query('ROLLBACK');
    await tx[2].query('COMMIT');
    await tx[0].query('COMMIT');
    // One more, committed in the same statement as two others: a multi-row insert is one transaction.
    await db.sql(`INSERT INTO orders (email) VALUES ('a@example.com'), ('b@example.com'), ('c@example.com')`);
    await waitFor(() => emailed('Order').length === 7, { message: 'orders 4, 6, 9, 10, 11', timeoutMs: 15_000 });
    await db.polls('orders-mail');
    assert.deepEqual(emailed('Order'), [4, 5, 6, 7, 9, 10, 11]);
    assert.deepEqual(sink.count('Order #').doubled, []);

    const runs = (await t.api('GET', '/api/v1/workflows/orders-mail/runs?limit=50')).body.runs;
    assert.equal(runs.length, 7);
    const run = (await t.api('GET', `/api/v1/workflows/orders-mail/runs/${runs[0].id}`)).body;
    assert.equal(typeof run.trigger.outputs.body.id, 'number', 'the trigger body is the row, column by column');
    assert.match(run.trigger.outputs.body.email, /@example\.com$/);
    const log = (await db.sql('SELECT count(*)::int AS n FROM smtpflow.new_rows')).rows[0].n;
    assert.ok(log <= 3, `the capture log is pruned once consumed (${log} entries left)`);
  });

  test('a table without a primary key, a column $select does not know, or a user without the rights is refused at save with the fix, and the fix works', async () => {
    await db.sql('CREATE TABLE audit (at timestamptz, what text)');
    const noKey = await t.api('POST', '/api/v1/workflows', newRowWorkflow('audit-mail', 'audit', 'Audit', CONNECTIONS));
    assert.equal(noKey.status, 400);
    const problem = noKey.body.error.problems.find((p: { path: string }) => p.path.endsWith('.inputs.path'));
    assert.match(problem.message, /no primary key.*ADD PRIMARY KEY/);
    // A user who may read the table but not put a trigger on it is told which GRANT to ask for.
    const reader = `reader_${Date.now().toString(36)}`;
    await db.sql('CREATE TABLE payments (id serial PRIMARY KEY, email text)');
    const badSelect = await t.api('POST', '/api/v1/workflows', newRowWorkflow('select-mail', 'payments', 'Sel', CONNECTIONS, { queries: { $select: 'id,emial' } }));
    assert.equal(badSelect.status, 400);
    assert.match(JSON.stringify(badSelect.body.error.problems), /\$select.*no column 'emial'.*id, email/);
    await db.sql(`CREATE ROLE ${reader} LOGIN PASSWORD 'reader-pw'`);
    await db.sql(`GRANT SELECT ON payments TO ${reader}`);
    const readerUrl = new URL(db.url);
    [readerUrl.username, readerUrl.password] = [reader, 'reader-pw'];
    assert.equal((await t.api('POST', '/api/v1/connections', { name: 'shop-reader', type: 'postgres', connectionString: readerUrl.toString() })).status, 201);
    const noRight = await t.api('POST', '/api/v1/workflows', newRowWorkflow('payments-mail', 'payments', 'Pay', { sql: 'shop-reader', smtp: CONNECTIONS.smtp }));
    assert.equal(noRight.status, 400);
    const { message } = noRight.body.error.problems[0];
    assert.match(message, new RegExp(`user '${reader}' may not.*run: GRANT TRIGGER ON "public"."payments" TO "${reader}";`));
    // The fix as given works: run it as the owner, save again, and a new payment is emailed.
    await db.sql(/run: (.*) Then save/.exec(message)![1]);
    await save(newRowWorkflow('payments-mail', 'payments', 'Pay', { sql: 'shop-reader', smtp: CONNECTIONS.smtp }));
    await db.watching('payments-mail');
    await db.sql(`INSERT INTO payments (email) VALUES ('payer@example.com')`);
    await waitFor(() => emailed('Pay').length === 1, { message: 'the payment email', timeoutMs: 15_000 });
    // Deleted, the workflow's user may not drop the trigger (only the table's owner may): the log says what to run.
    assert.equal((await t.api('DELETE', '/api/v1/workflows/payments-mail')).status, 204);
    const failure = await waitFor(
      () => t.logs().split('\n').filter(Boolean).map((l) => JSON.parse(l)).find((l) => l.workflow === 'payments-mail' && /could not release/.test(l.msg)),
      { message: 'the release failure in the log', timeoutMs: 15_000 },
    );
    assert.match(failure.reason, /^CaptureNotRemoved: .*only the table's owner may drop it\. As the table's owner, run: DROP TRIGGER smtpflow_capture_new_rows ON "public"\."payments";/);
    const wrongType = newRowWorkflow('typo-mail', 'payments', 'X', { sql: CONNECTIONS.smtp, smtp: CONNECTIONS.smtp });
    const wrong = await t.api('POST', '/api/v1/workflows', wrongType);
    assert.equal(wrong.status, 400);
    assert.match(JSON.stringify(wrong.body.error.problems), /which is a smtp connection, not a PostgreSQL one/);
  });

  test('across an app restart no row is missed or doubled', async () => {
    await createOrders('tickets');
    await save(newRowWorkflow('tickets-mail', 'public.tickets', 'Ticket', CONNECTIONS, { queries: { $select: 'id, email' } }));
    await db.watching('tickets-mail');
    await insert('tickets', 5);
    await waitFor(() => emailed('Ticket').length === 5, { message: 'tickets 1–5', timeoutMs: 15_000 });

    // One transaction open across the restart, rows inserted while smtpflow is down.
    const open = await db.client();
    await open.query('BEGIN');
    await open.query(`INSERT INTO tickets (email) VALUES ('open@example.com')`); // id 6
    await t.close();
    await insert('tickets', 3); // 7–9
    t = await startTestApp({ dataDir, databaseUrl });
    await waitFor(() => emailed('Ticket').length === 8, { message: 'tickets 7–9 after the restart', timeoutMs: 20_000 });
    await open.query('COMMIT');
    await insert('tickets', 1); // 10
    await waitFor(() => emailed('Ticket').length === 10, { message: 'tickets 6 and 10', timeoutMs: 15_000 });
    await db.polls('tickets-mail');
    assert.deepEqual(emailed('Ticket'), [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    assert.deepEqual(sink.count('Ticket #').doubled, []);
    const [last] = (await t.api('GET', '/api/v1/workflows/tickets-mail/runs?limit=1')).body.runs;
    const run = (await t.api('GET', `/api/v1/workflows/tickets-mail/runs/${last.id}`)).body;
    assert.deepEqual(Object.keys(run.trigger.outputs.body), ['id', 'email'], '$select keeps the listed columns only');
  });

  test("deleting a workflow removes the table's insert trigger once no other workflow watches the table", async () => {
    await createOrders('leads');
    await save(newRowWorkflow('leads-a', 'leads', 'LeadA', CONNECTIONS));
    await save(newRowWorkflow('leads-b', 'leads', 'LeadB', CONNECTIONS));
    await Promise.all([db.watching('leads-a'), db.watching('leads-b')]);
    const captured = async (): Promise<number> => Number((await db.sql(`SELECT count(*) AS n FROM pg_trigger WHERE tgrelid = 'leads'::regclass AND tgname = 'smtpflow_capture_new_rows'`)).rows[0].n);
    const consumers = async (workflow: string): Promise<number> => Number((await db.sql(`SELECT count(*) AS n FROM smtpflow.consumers WHERE consumer LIKE $1`, [`${workflow}/%`])).rows[0].n);
    assert.equal(await captured(), 1);

    assert.equal((await t.api('DELETE', '/api/v1/workflows/leads-a')).status, 204);
    await waitFor(async () => (await consumers('leads-a')) === 0, { message: "leads-a's consumer row to go", timeoutMs: 15_000 });
    assert.equal(await captured(), 1, 'leads-b still watches the table');
    await insert('leads', 1);
    await waitFor(() => emailed('LeadB').length === 1, { message: 'the email of leads-b', timeoutMs: 15_000 });

    assert.equal((await t.api('DELETE', '/api/v1/workflows/leads-b')).status, 204);
    await waitFor(async () => (await captured()) === 0, { message: 'the insert trigger to be dropped', timeoutMs: 15_000 });
    await insert('leads', 2);
    const logged = await db.sql(`SELECT count(*) AS n FROM smtpflow.new_rows WHERE rel = 'leads'::regclass`);
    assert.equal(Number(logged.rows[0].n), 0, 'inserts into the table are no longer logged');
    assert.match(t.logs(), /dropped the insert trigger on public\.leads/);
    assert.deepEqual(emailed('LeadA'), [], 'leads-a never emailed: its only row came after it was deleted');
  });

  // 10,000 runs take a while on two cores: once per CI run is enough, in the PostgreSQL pass.
  test('10,000 rows inserted in bursts send 10,000 emails, none twice', { skip: TEST_DIALECT !== 'postgres' && 'runs in the PostgreSQL pass only' }, async () => {
    await createOrders('bulk');
    await save(newRowWorkflow('bulk-mail', 'bulk', 'Bulk', CONNECTIONS));
    await db.watching('bulk-mail');
    // 20 bursts of 500 rows, four transactions at a time, so that windows cut through them.
    for (let burst = 0; burst < 5; burst++) await Promise.all([0, 1, 2, 3].map(() => insert('bulk', 500)));
    await waitFor(() => sink.count('Bulk #').distinct === 10_000, { message: '10,000 emails', timeoutMs: 600_000, intervalMs: 500 });
    await db.polls('bulk-mail');
    const counted = sink.count('Bulk #');
    assert.equal(counted.total, 10_000, `no email twice (doubled: ${counted.doubled.slice(0, 5).join(', ')})`);
    assert.deepEqual(emailed('Bulk'), Array.from({ length: 10_000 }, (_, i) => i + 1));
  });
});
