import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { ConnectionRepository } from '../../src/connections/repository.js';
import { oauthDb } from '../../src/oauth/tables.js';
import { rotateSecrets } from '../../src/secrets/rotate.js';
import { parseKey, SecretBox } from '../../src/secrets/secret-box.js';
import { openStore } from '../../src/store/db.js';
import { testDatabaseUrl } from '../helpers/database.js';

test('secret box: sealed values open with the same key only, and each seal differs', () => {
  const box = new SecretBox(crypto.randomBytes(32));
  const a = box.seal('hunter2');
  assert.notEqual(a, box.seal('hunter2'));
  assert.equal(box.open(a), 'hunter2');
  assert.throws(() => new SecretBox(crypto.randomBytes(32)).open(a), /not the key it was encrypted with/);
  const tampered = a.slice(0, -2) + (a.endsWith('A') ? 'BB' : 'AA');
  assert.throws(() => box.open(tampered));
  assert.throws(() => parseKey('too-short'), /32 bytes/);
  assert.equal(parseKey('ab'.repeat(32)).length, 32);
});

test('rotating the secret key re-seals every stored secret', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'smtpflow-rotate-'));
  const store = await openStore(await testDatabaseUrl(dir));
  try {
    const oldBox = new SecretBox(crypto.randomBytes(32));
    const newBox = new SecretBox(crypto.randomBytes(32));
    await new ConnectionRepository(store, oldBox).create({ name: 'a', host: 'h', port: 25, security: 'none', password: 'pw-a' });
    await new ConnectionRepository(store, oldBox).create({ name: 'b', host: 'h', port: 25, security: 'none' });
    // an OAuth2 token row, as src/oauth keeps it: a rotated refresh token lives only here
    await oauthDb(store)
      .insertInto('oauth_tokens')
      .values({ key: 'c', sealed: oldBox.sealJson({ basis: 'b', refreshToken: 'rt-rotated' }), renew_at: 0, expires_at: 0, version: 1, lock_owner: null, lock_until: null, updated_at: 0 })
      .execute();
    assert.equal(await rotateSecrets(store, oldBox, newBox), 2);
    assert.equal((await new ConnectionRepository(store, newBox).resolveSmtp('a')).password, 'pw-a');
    const token = await oauthDb(store).selectFrom('oauth_tokens').select('sealed').where('key', '=', 'c').executeTakeFirstOrThrow();
    assert.equal(newBox.openJson<{ refreshToken: string }>(token.sealed!).refreshToken, 'rt-rotated');
    await assert.rejects(new ConnectionRepository(store, oldBox).resolveSmtp('a'), /not the key/);
  } finally {
    await store.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
