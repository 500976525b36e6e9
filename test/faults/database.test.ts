/**
 * The database refuses the accept: locked by another writer past the wait limit, or full.
 * The answer is an error that says the message was not stored (503 / 507 with a code), never a
 * 202; nothing answered 202 before, during or after is lost; and the app recovers by itself.
 *
 * The faults are real: a second connection holds the write lock (SQLite: BEGIN IMMEDIATE; PostgreSQL:
 * LOCK TABLE … IN SHARE MODE) and a SQLite database is capped with `max_page_count`, which fails
 * writes with SQLITE_FULL ("database or disk is full") exactly as a full disk does. The app's wait
 * for locks is shortened (SQLite busy_timeout, PostgreSQL lock_timeout) only to keep the test quick.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import SqliteDatabase from 'better-sqlite3';
import { sql } from 'kysely';
import pg from 'pg';
import type { TestApp } from '../helpers/app.js';
import { TEST_DIALECT, testDatabaseUrl } from '../helpers/database.js';
import { startSmtpPeer, type SmtpPeer } from '../helpers/smtp-peers.js';
import { waitFor } from '../helpers/wait.js';
import { ASYNC, connectTo, sendPath, startTestAppWith, FAST } from '../outbox/harness.js';

const LOCK_WAIT_MS = 300;

interface WriteLock {
  hold(): Promise<void>;
  release(): Promise<void>;
  close(): Promise<void>;
}

/** Another client of the same database taking the write lock the accept needs. */
async function writeLock(t: TestApp, databaseUrl: string): Promise<WriteLock> {
  if (TEST_DIALECT === 'sqlite') {
    const holder = new SqliteDatabase(t.app.store.file!);
    return {
      hold: async () => void holder.exec('begin immediate'),
      release: async () => void holder.exec('commit'),
      close: async () => void holder.close(),
    };
  }
  const holder = new pg.Client({ connectionString: databaseUrl });
  await holder.connect();
  return {
    // SHARE conflicts with the ROW EXCLUSIVE lock an INSERT takes, and lets readers through.
    hold: async () => void (await holder.query('begin; lock table messages in share mode')),
    release: async () => void (await holder.query('commit')),
    close: () => holder.end(),
  };
}

/** A per-connection setting, on both of the app's SQLite connections: the main one and the accept writer's. */
async function sqlitePragma(t: TestApp, text: string): Promise<void> {
  await sql.raw(`pragma ${text}`).execute(t.app.store.db);
  await t.app.store.writer?.pragma(text);
}

describe('database faults on accept', () => {
  let t: TestApp;
  let peer: SmtpPeer;
  let dataDir: string;
  let databaseUrl: string;
  /** Subject → the status its accept was answered with. */
  const answered = new Map<string, number>();

  const send = async (subject: string, body = 'b', mode: { headers: Record<string, string> } = ASYNC): Promise<{ status: number; body: any; headers: Headers }> => {
    const res = await t.api('POST', sendPath('db'), { To: 'someone@example.org', Subject: subject, Body: body }, mode);
    answered.set(subject, res.status);
    return res;
  };
  const accepted = (): string[] => [...answered].filter(([, status]) => status === 202 || status === 200).map(([subject]) => subject);
  const delivered = (): string[] => [...new Set(peer.messages.map((m) => m.parsed?.subject ?? ''))].sort();
  const sentCount = async (): Promise<number> => (await t.api('GET', '/api/v1/messages?status=sent&limit=200')).body.items.length;
  /**
   * Every 202 reaches the SMTP server; nothing refused is stored or sent. At least once: a lock
   * held past a lease may make a message go out twice (SPEC §3), so subjects are compared as sets.
   */
  const nothingLost = async (): Promise<void> => {
    const expected = accepted().sort();
    await waitFor(async () => (await sentCount()) >= expected.length, { timeoutMs: 30_000, message: `${expected.length} messages sent` });
    assert.deepEqual(delivered(), expected);
    const stored = (await t.api('GET', '/api/v1/messages?limit=200')).body.items.map((m: any) => m.subject).sort();
    assert.deepEqual(stored, expected, 'exactly the accepted messages are stored');
  };

  before(async () => {
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'smtpflow-dbfaults-'));
    databaseUrl = await testDatabaseUrl(dataDir);
    // PostgreSQL waits for a lock as long as lock_timeout allows (none by default); operators set it in the URL like this.
    const appUrl = TEST_DIALECT === 'sqlite' ? databaseUrl : `${databaseUrl}?options=${encodeURIComponent(`-c lock_timeout=${LOCK_WAIT_MS}`)}`;
    // Polls seldom: on SQLite each write the worker tries during the lock blocks the event loop for the busy timeout.
    t = await startTestAppWith({ ...FAST, pollMs: 1000 }, { dataDir, databaseUrl: appUrl });
    if (TEST_DIALECT === 'sqlite') await sqlitePragma(t, `busy_timeout = ${LOCK_WAIT_MS}`);
    peer = await startSmtpPeer();
    await connectTo(t, 'db', peer);
  });
  after(async () => {
    await t.close();
    await peer.close();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  test('locked past the wait limit: 503 DatabaseUnavailable, not stored; accepts before and after are all delivered', async () => {
    const lock = await writeLock(t, databaseUrl);
    try {
      for (let i = 0; i < 3; i++) assert.equal((await send(`before lock ${i}`)).status, 202);
      await waitFor(async () => (await sentCount()) >= 3, { message: 'the first messages to be delivered and recorded' });
      await lock.hold();
      const during = await Promise.all([0, 1, 2].map((i) => send(`during lock ${i}`)));
      for (const res of during) {
        assert.equal(res.status, 503, JSON.stringify(res.body));
        assert.equal(res.body.error.code, 'DatabaseUnavailable');
        assert.match(res.body.error.message, /NOT stored/);
        assert.equal(res.headers.get('retry-after'), '1');
      }
      assert.equal((await t.api('GET', '/healthz')).status, 200, 'the process is alive while its database is locked');
      await lock.release();
      for (let i = 0; i < 3; i++) assert.equal((await send(`after lock ${i}`)).status, 202);
      await nothingLost();
    } finally {
      await lock.close();
    }
  });

  test('database full: 507 InsufficientStorage, not stored; once space is freed, every 202 is delivered', { skip: TEST_DIALECT === 'postgres' && 'filling a PostgreSQL disk needs root (a tiny tablespace); the SQLSTATE 53100 mapping is the same code path' }, async () => {
    const db = t.app.store.db;
    const pages = (await sql<{ page_count: number }>`pragma page_count`.execute(db)).rows[0].page_count;
    // Room for a few more pages only: once they are used, a write that needs a new page fails with SQLITE_FULL.
    await sqlitePragma(t, `max_page_count = ${pages + 8}`);
    let full: Awaited<ReturnType<typeof send>> | undefined;
    for (let i = 0; i < 100 && !full; i++) {
      const res = await send(`filling ${i}`, 'x'.repeat(4000));
      if (res.status !== 202) full = res;
    }
    assert.ok(full, 'the database filled up');
    assert.ok(accepted().some((s) => s.startsWith('filling')), 'some were accepted while there was room');
    assert.equal(full.status, 507, JSON.stringify(full.body));
    assert.equal(full.body.error.code, 'InsufficientStorage');
    assert.match(full.body.error.message, /NOT stored/);
    assert.equal((await send('still full', 'x'.repeat(4000))).status, 507);
    // A synchronous send stores the message before sending it: refused the same way, and nothing goes out.
    const sync = await send('sync while full', 'x'.repeat(4000), { headers: {} });
    assert.equal(sync.status, 507, JSON.stringify(sync.body));
    assert.equal((await t.api('GET', '/healthz')).status, 200);

    await sqlitePragma(t, 'max_page_count = 1073741823');
    assert.equal((await send('space freed')).status, 202);
    await nothingLost();
  });
});
