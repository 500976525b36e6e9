/**
 * The SQLite writer thread: its transactions are all or nothing, what it commits is visible to the
 * main connection, and it takes turns with the main connection's transactions instead of colliding
 * with them (shown with both connections' busy timeout at 0, where a collision fails).
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { sql } from 'kysely';
import { openStore, type Store } from '../../src/store/db.js';
import { TEST_DIALECT } from '../helpers/database.js';

describe('SQLite writer thread', { skip: TEST_DIALECT === 'postgres' && 'SQLite only' }, () => {
  let dir: string;
  let store: Store;
  const insert = { sql: 'insert into settings (name, value) values (?, ?)', rows: [] as unknown[][] };
  const names = async (): Promise<string[]> => (await store.db.selectFrom('settings').select('name').orderBy('name').execute()).map((r) => r.name);

  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'smtpflow-writer-'));
    store = await openStore(`sqlite:${path.join(dir, 'smtpflow.db')}`);
  });
  after(async () => {
    await store.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  test('an in-memory database is refused with how to give a file', async () => {
    await assert.rejects(openStore('sqlite::memory:'), /not a file: smtpflow keeps accepted mail on disk, so give a path, e.g\. sqlite:/);
  });

  test('a transaction commits all its rows, or none of them with the SQLite code', async () => {
    await store.writer!.transaction([{ ...insert, rows: [['a', '1'], ['b', '2']] }]);
    assert.deepEqual(await names(), ['a', 'b']);
    await assert.rejects(store.writer!.transaction([{ ...insert, rows: [['c', '3'], ['a', 'again']] }]), (err: { code?: string }) => err.code === 'SQLITE_CONSTRAINT_PRIMARYKEY');
    assert.deepEqual(await names(), ['a', 'b'], "'c' was rolled back with the failed row");
  });

  test('main-connection transactions (reading, then writing) and writer transactions take turns: none meets a lock', async () => {
    await sql.raw('pragma busy_timeout = 0').execute(store.db);
    await store.writer!.pragma('busy_timeout = 0');
    try {
      const work = Array.from({ length: 200 }, (_, i) =>
        i % 2 === 0
          ? store.writer!.transaction([{ ...insert, rows: [[`w${i}`, 'x'.repeat(2000)]] }])
          : // Reads, then writes: with a deferred BEGIN this fails (SQLITE_BUSY_SNAPSHOT) when the thread commits in between.
            store.db.transaction().execute(async (tx) => {
              const count = (await tx.selectFrom('settings').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()).n;
              await tx.insertInto('settings').values({ name: `m${i}`, value: String(count) }).execute();
            }),
      );
      const outcomes = await Promise.allSettled(work);
      assert.deepEqual(outcomes.filter((o) => o.status === 'rejected').map((o) => String((o as PromiseRejectedResult).reason)), []);
      assert.equal((await names()).length, 202);
    } finally {
      await sql.raw('pragma busy_timeout = 5000').execute(store.db);
      await store.writer!.pragma('busy_timeout = 5000');
    }
  });
});
