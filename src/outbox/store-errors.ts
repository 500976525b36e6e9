import { AppError } from '../errors.js';

/**
 * What a failed accept (the insert behind a 202 or a synchronous send) answers when the database
 * itself is the problem. The transaction was rolled back, so the message was NOT stored: the
 * caller must be told so, with a status that invites a retry, never a 202 nor a bare 500.
 *
 * SQLite codes come from better-sqlite3 (`SQLITE_FULL`, `SQLITE_BUSY…`); PostgreSQL ones are
 * SQLSTATEs (53100 disk_full, 55P03 lock_not_available, 57014 statement/lock timeout, 53300 too
 * many connections, 08… connection exceptions) or Node's socket codes when the server is gone.
 */
export function acceptFailure(err: unknown): unknown {
  const code = typeof err === 'object' && err !== null && typeof (err as { code?: unknown }).code === 'string' ? (err as { code: string }).code : '';
  if (code === 'SQLITE_FULL' || code === '53100' || code === '53200') {
    return new AppError(507, 'InsufficientStorage',
      'The database has no room left (disk or database full), so the message was NOT stored and will not be sent. ' +
      'An operator must free space; then send it again.', { headers: { 'retry-after': '30' } });
  }
  const busy = code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED') || ['55P03', '57014', '53300', '40001', '40P01', '57P01', '57P03'].includes(code);
  const unreachable = code.startsWith('08') || ['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE'].includes(code);
  if (busy || unreachable) {
    const what = busy ? 'busy (another writer holds a lock past the wait limit)' : 'unreachable';
    return new AppError(503, 'DatabaseUnavailable',
      `The database is ${what}, so the message was NOT stored and will not be sent. Send it again in a moment.`, { headers: { 'retry-after': '1' } });
  }
  return err;
}
