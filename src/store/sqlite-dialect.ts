import type SqliteDatabase from 'better-sqlite3';
import { CompiledQuery, SqliteDialect, SqliteDriver, type DatabaseConnection, type Driver } from 'kysely';
import type { SqliteWriter } from './sqlite-writer.js';

/**
 * Kysely on smtpflow's main SQLite connection, which shares the file with the writer thread
 * (sqlite-writer.ts). Kysely begins a transaction with a deferred BEGIN; one that reads and then
 * writes fails at once with SQLITE_BUSY_SNAPSHOT if another connection committed in between
 * (the busy timeout does not cover that case). So every transaction here is BEGIN IMMEDIATE, and
 * it first takes its turn with the writer thread: the wait is then a promise, not SQLite's busy
 * handler sleeping on the event loop's thread.
 */
export function sqliteDialect(sqlite: SqliteDatabase.Database, writer: SqliteWriter): SqliteDialect {
  const config = { database: withStatementCache(sqlite) };
  return new (class extends SqliteDialect {
    override createDriver(): Driver {
      return new TurnTakingDriver(config, writer);
    }
  })(config);
}

class TurnTakingDriver extends SqliteDriver {
  /** Kysely runs one transaction at a time on SQLite's single connection: one turn to give back. */
  private release?: () => void;

  constructor(
    config: ConstructorParameters<typeof SqliteDriver>[0],
    private readonly writer: SqliteWriter,
  ) {
    super(config);
  }

  override async beginTransaction(connection: DatabaseConnection): Promise<void> {
    this.release = await this.writer.takeTurn();
    try {
      await connection.executeQuery(CompiledQuery.raw('begin immediate'));
    } catch (err) {
      this.giveBack();
      throw err;
    }
  }

  override async commitTransaction(connection: DatabaseConnection): Promise<void> {
    // A failed commit is rolled back by Kysely, which gives the turn back then.
    await connection.executeQuery(CompiledQuery.raw('commit'));
    this.giveBack();
  }

  override async rollbackTransaction(connection: DatabaseConnection): Promise<void> {
    try {
      await connection.executeQuery(CompiledQuery.raw('rollback'));
    } finally {
      this.giveBack();
    }
  }

  private giveBack(): void {
    this.release?.();
    this.release = undefined;
  }
}

/**
 * Kysely's SQLite driver prepares every statement anew, which took 7 % of the accept path's CPU
 * in a profile; a better-sqlite3 statement can be run again and again, so the same SQL text gets
 * the same statement. Bounded, because IN lists of varying length make many texts; a statement
 * still being iterated (a streamed query) is not handed out twice.
 */
function withStatementCache(sqlite: SqliteDatabase.Database, size = 500): ConstructorParameters<typeof SqliteDriver>[0]['database'] {
  const cache = new Map<string, SqliteDatabase.Statement>();
  return {
    close: () => sqlite.close(),
    prepare(sql: string) {
      const cached = cache.get(sql);
      if (cached?.busy) return sqlite.prepare(sql);
      if (cached) {
        // Map order is insertion order: moving a hit to the end keeps the least recently used first.
        cache.delete(sql);
        cache.set(sql, cached);
        return cached;
      }
      const fresh = sqlite.prepare(sql);
      cache.set(sql, fresh);
      if (cache.size > size) cache.delete(cache.keys().next().value!);
      return fresh;
    },
  };
}
