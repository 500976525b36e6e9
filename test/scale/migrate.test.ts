/**
 * `smtpflow migrate --database-url …` on the dialect of the pass (SQLite, then PostgreSQL):
 * applies every migration once, then finds the schema current; never prints the password.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { promisify } from 'node:util';
import { openStore } from '../../src/store/db.js';
import { ROOT, SMTPFLOW_BIN } from '../helpers/bin.js';
import { testDatabaseUrl } from '../helpers/database.js';

const run = promisify(execFile);

test('smtpflow migrate applies the migrations once, then finds the schema up to date', async () => {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'smtpflow-migrate-'));
  try {
    const databaseUrl = await testDatabaseUrl(dataDir);
    const migrate = () => run(process.execPath, [SMTPFLOW_BIN, 'migrate', '--database-url', databaseUrl], { cwd: ROOT, env: { ...process.env, SMTPFLOW_DATA_DIR: dataDir } });
    const first = await migrate();
    assert.match(first.stdout, /^(SQLite|PostgreSQL) .*: applied 001_initial, 002_outbox, .*005_scale.*\.\n$/);
    const second = await migrate();
    assert.match(second.stdout, /: the schema is up to date\.\n$/);
    const password = new URL(databaseUrl.replace(/^sqlite:/, 'file:')).password;
    if (password) assert.ok(!first.stdout.includes(password) && !first.stderr.includes(password), 'the password is not printed');

    const store = await openStore(databaseUrl, { migrate: false });
    try {
      const tables = await store.db.introspection.getTables();
      assert.ok(['messages', 'workflow_runs', 'outbox_slot_demand'].every((t) => tables.some((x) => x.name === t)), 'the tables are there');
    } finally {
      await store.close();
    }
  } finally {
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
});
