/**
 * A checked API key is believed for KEY_RECHECK_MS without a database lookup. Revocation: at once
 * in the process that revokes, within that time in another process sharing the database (two
 * repositories on two stores of one database stand for two processes).
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { KEY_RECHECK_MS, KeyRepository } from '../../src/keys/repository.js';
import { openStore, type Store } from '../../src/store/db.js';
import { testDatabaseUrl } from '../helpers/database.js';
import { waitFor } from '../helpers/wait.js';

let dir: string;
let stores: Store[];
let revoking: KeyRepository;
let other: KeyRepository;

before(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'smtpflow-keys-'));
  const url = await testDatabaseUrl(dir);
  stores = [await openStore(url), await openStore(url, { migrate: false })];
  revoking = new KeyRepository(stores[0]);
  other = new KeyRepository(stores[1]);
});
after(async () => {
  for (const store of stores) await store.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

test('a revoked key is refused at once by the revoking process and within KEY_RECHECK_MS by another', async () => {
  const { key, view } = await revoking.create('ci', 'send', ['relay']);
  const expected = { keyId: view.id, scope: 'send', connections: ['relay'] };
  assert.deepEqual(await revoking.verify(key), expected);
  assert.deepEqual(await other.verify(key), expected);
  const forged = key.slice(0, -1) + (key.endsWith('A') ? 'B' : 'A');
  assert.equal(await other.verify(forged), undefined, 'another secret under the same id is not the cached key');

  await revoking.remove(view.id);
  assert.equal(await revoking.verify(key), undefined);
  // Loose on a loaded machine; a cache that never expires fails it.
  await waitFor(async () => (await other.verify(key)) === undefined, { timeoutMs: KEY_RECHECK_MS * 5, message: 'the other process to refuse the revoked key' });
});
