import SqliteDatabase from 'better-sqlite3';

/**
 * Opens a connection to smtpflow's SQLite file, configured the same way on every thread that
 * opens one: WAL + synchronous=FULL, so a committed transaction is on disk (fsync'd) before
 * commit returns, which is what a 202 promises. Both settings but WAL belong to the connection.
 */
export function openSqliteFile(file: string): SqliteDatabase.Database {
  const sqlite = new SqliteDatabase(file);
  sqlite.pragma('journal_mode = WAL');
  sqlite.pragma('synchronous = FULL');
  sqlite.pragma('busy_timeout = 5000');
  sqlite.pragma('foreign_keys = ON');
  return sqlite;
}
