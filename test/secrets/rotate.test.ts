import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { ConnectionRepository } from '../../src/connections/repository.js';
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
    assert.equal(await rotateSecrets(store, oldBox, newBox), 1);
    assert.equal((await new ConnectionRepository(store, newBox).resolveSmtp('a')).password, 'pw-a');
    await assert.rejects(new ConnectionRepository(store, oldBox).resolveSmtp('a'), /not the key/);
  } finally {
    await store.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
