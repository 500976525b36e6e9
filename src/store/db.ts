import fs from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { Kysely, PostgresDialect } from 'kysely';
import { isPostgresUrl } from '../config.js';
import type { Database } from './schema.js';
import { migrateToLatest } from './migrate.js';
import { noNotifications, PostgresNotifications, type Notifications } from './notify.js';
import { sqliteDialect } from './sqlite-dialect.js';
import { openSqliteFile } from './sqlite-file.js';
import { SqliteWriter } from './sqlite-writer.js';

export type Dialect = 'sqlite' | 'postgres';

export interface Store {
  db: Kysely<Database>;
  dialect: Dialect;
  /** The SQLite file, when the dialect is sqlite. */
  file?: string;
  /** SQLite: the thread that commits the outbox's group commits beside the event loop (see SqliteWriter). */
  writer?: SqliteWriter;
  /** Wake-ups between processes (LISTEN/NOTIFY on PostgreSQL; nothing on SQLite, where processes poll). */
  notifications: Notifications;
  close(): Promise<void>;
}

// PostgreSQL's int8 (our epoch-millisecond columns) would come back as strings; they fit a double.
pg.types.setTypeParser(20, (v: string) => Number(v));

export interface OpenOptions {
  /** Size of the PostgreSQL connection pool. */
  poolSize?: number;
  migrate?: boolean;
  /** Told when the PostgreSQL listener connection fails (it reconnects by itself). */
  onListenError?: (err: unknown) => void;
}

export async function openStore(databaseUrl: string, options: OpenOptions = {}): Promise<Store> {
  const store = isPostgresUrl(databaseUrl) ? openPostgres(databaseUrl, options) : openSqlite(databaseUrl);
  if (options.migrate !== false) await migrateToLatest(store.db, store.dialect);
  return store;
}

function openSqlite(url: string): Store {
  const file = url.startsWith('sqlite:') ? url.slice('sqlite:'.length) : url;
  if (file === '' || file === ':memory:') {
    throw new Error(`SQLite database '${url}' is not a file: smtpflow keeps accepted mail on disk, so give a path, e.g. sqlite:./data/smtpflow.db.`);
  }
  fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
  const sqlite = openSqliteFile(file);
  const writer = new SqliteWriter(file);
  const db = new Kysely<Database>({ dialect: sqliteDialect(sqlite, writer) });
  return {
    db,
    dialect: 'sqlite',
    file,
    writer,
    notifications: noNotifications,
    async close() {
      await writer.close();
      await db.destroy();
    },
  };
}

function openPostgres(url: string, options: OpenOptions): Store {
  const pool = new pg.Pool({ connectionString: url, max: options.poolSize ?? 10 });
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  const notifications = new PostgresNotifications(url, options.onListenError);
  return {
    db,
    dialect: 'postgres',
    notifications,
    async close() {
      await notifications.close();
      await db.destroy();
    },
  };
}

/** Where a database URL points, for messages: never its password. */
export function describeDatabase(url: string): string {
  if (!isPostgresUrl(url)) return `SQLite ${path.resolve(url.startsWith('sqlite:') ? url.slice('sqlite:'.length) : url)}`;
  try {
    const u = new URL(url);
    return `PostgreSQL ${u.host}${u.pathname}`;
  } catch {
    return 'PostgreSQL (unparsable URL)';
  }
}
