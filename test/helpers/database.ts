import crypto from 'node:crypto';
import path from 'node:path';
import pg from 'pg';

/** Which database the suite runs on: set by test/run.ts (SQLite unless told otherwise). */
export const TEST_DIALECT = process.env.SMTPFLOW_TEST_DIALECT === 'postgres' ? 'postgres' : 'sqlite';

/**
 * A fresh, empty database for one app: a SQLite file in the app's data dir, or a new database on
 * the PostgreSQL server that test/run.ts started (SMTPFLOW_TEST_PG_URL).
 */
export async function testDatabaseUrl(dataDir: string): Promise<string> {
  if (TEST_DIALECT === 'sqlite') return `sqlite:${path.join(dataDir, 'smtpflow.db')}`;
  const base = process.env.SMTPFLOW_TEST_PG_URL;
  if (!base) throw new Error('SMTPFLOW_TEST_DIALECT=postgres needs SMTPFLOW_TEST_PG_URL: run the suite with `npm test`.');
  const name = `t_${crypto.randomBytes(6).toString('hex')}`;
  const client = new pg.Client({ connectionString: base });
  await client.connect();
  try {
    await client.query(`CREATE DATABASE ${name}`);
  } finally {
    await client.end();
  }
  const url = new URL(base);
  url.pathname = `/${name}`;
  return url.toString();
}
