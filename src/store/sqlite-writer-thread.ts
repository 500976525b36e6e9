/**
 * The SQLite writer's thread (see sqlite-writer.ts): one connection of its own, running each
 * batch it is sent (accepted messages, delivery outcomes) as one BEGIN IMMEDIATE transaction, so
 * that the statements and the commit's fsync run beside the event loop instead of stopping it.
 */
import { parentPort, workerData } from 'node:worker_threads';
import type SqliteDatabase from 'better-sqlite3';
import { openSqliteFile } from './sqlite-file.js';
import type { WriterReply, WriterRequest } from './sqlite-writer.js';

const sqlite = openSqliteFile((workerData as { file: string }).file);
const statements = new Map<string, SqliteDatabase.Statement>();
const prepared = (sql: string): SqliteDatabase.Statement => {
  let statement = statements.get(sql);
  if (!statement) statements.set(sql, (statement = sqlite.prepare(sql)));
  return statement;
};

function handle(request: Exclude<WriterRequest, { close: true }>): void {
  if ('pragma' in request) {
    sqlite.pragma(request.pragma);
    return;
  }
  sqlite.exec('begin immediate');
  try {
    for (const { sql, rows } of request.statements) {
      const statement = prepared(sql);
      for (const row of rows) statement.run(row);
    }
    sqlite.exec('commit');
  } catch (err) {
    if (sqlite.inTransaction) sqlite.exec('rollback');
    throw err;
  }
}

parentPort!.on('message', (request: WriterRequest) => {
  if ('close' in request) {
    sqlite.close();
    parentPort!.close();
    return;
  }
  let reply: WriterReply;
  try {
    handle(request);
    reply = { id: request.id };
  } catch (err) {
    const { message, code } = err as { message?: string; code?: unknown };
    reply = { id: request.id, error: { message: String(message ?? err), code: typeof code === 'string' ? code : undefined } };
  }
  parentPort!.postMessage(reply);
});
