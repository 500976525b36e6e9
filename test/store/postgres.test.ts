import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { openStore, type Store } from '../../src/store/db.js';
import { startPostgres, type TestPostgres } from '../helpers/postgres.js';

describe('store on a real PostgreSQL', () => {
  let pg: TestPostgres;
  let store: Store;
  before(async () => {
    pg = await startPostgres();
    store = await openStore(pg.url);
  });
  after(async () => {
    await store?.close();
    await pg?.stop();
  });

  test('migrations run and epoch-millisecond columns read back as numbers', async () => {
    assert.equal(store.dialect, 'postgres');
    const now = Date.now();
    await store.db.insertInto('settings').values({ name: 'probe', value: 'x' }).execute();
    await store.db
      .insertInto('api_keys')
      .values({ id: 'key_probe', name: 'p', scope: 'read', connections: null, hash: 'ab', created_at: now, last_used_at: null })
      .execute();
    const row = await store.db.selectFrom('api_keys').selectAll().where('id', '=', 'key_probe').executeTakeFirstOrThrow();
    assert.equal(row.created_at, now);
    assert.equal(typeof row.created_at, 'number');
  });

  test('a second open finds the schema current and changes nothing', async () => {
    const again = await openStore(pg.url);
    const count = await again.db.selectFrom('settings').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow();
    assert.equal(Number(count.n), 1);
    await again.close();
  });
});
