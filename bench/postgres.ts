/**
 * The PostgreSQL figures of `npm run bench`: a backlog accepted by an API-only process
 * (`serve --no-worker`), then delivered by 1, 2 and 4 `smtpflow worker` processes in turn; each
 * run starts from the same backlog, put back in the queue.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { sql } from 'kysely';
import { openStore } from '../src/store/db.js';
import { startPostgres } from '../test/helpers/postgres.js';
import { acceptLoad, type AcceptLoad } from './accept-load.js';
import { createSinkConnection, log, startServer, startWorker, sentSince, stop, storedCount, waitSent } from './procs.js';

export interface PostgresFigures {
  accept: AcceptLoad;
  /** Delivered msg/s by number of worker processes. */
  delivery: Array<{ workers: number; rate: number; sent: number }>;
}

/** Puts every message back in the queue, as if just accepted (same Message-IDs: the sink does not mind). */
async function requeue(databaseUrl: string): Promise<void> {
  const store = await openStore(databaseUrl, { migrate: false });
  try {
    const now = Date.now();
    await store.db.deleteFrom('message_attempts').execute();
    await store.db
      .updateTable('messages')
      .set({ status: 'queued', attempts: 0, sent_at: null, lease_owner: null, lease_until: null, next_attempt_at: now, accepted: null, rejected: null, response: null })
      .execute();
    // Slot leases and demand rows of the last run's workers (they stopped cleanly; this is belt and braces).
    await sql`delete from outbox_slots`.execute(store.db);
    await sql`vacuum analyze messages`.execute(store.db);
  } finally {
    await store.close();
  }
}

type LoadOptions = Parameters<typeof acceptLoad>[1];

export async function postgresFigures(options: { sinkPort: number; accept: LoadOptions; warmUp: LoadOptions; maxConnections: number; workerCounts: number[] }): Promise<PostgresFigures> {
  const pg = await startPostgres({ durable: true });
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'smtpflow-bench-pg-'));
  // Every process must share the key that seals connection secrets.
  const shared = { SMTPFLOW_DATABASE_URL: pg.url, SMTPFLOW_SECRET_KEY: 'ab'.repeat(32) };
  try {
    const api = await startServer(dataDir, { ...shared, SMTPFLOW_WORKER: 'false' });
    await createSinkConnection(api.url, options.sinkPort, options.maxConnections);
    const warmUp = await acceptLoad(api.url, options.warmUp); // delivered with the backlog
    log('PostgreSQL: accepting asynchronous sends (API only)…');
    const accept = await acceptLoad(api.url, options.accept);
    await stop(api.child);
    const backlog = await storedCount(pg.url);
    if (backlog < warmUp.ok + accept.ok) throw new Error(`PostgreSQL: ${warmUp.ok + accept.ok} answered 202 but only ${backlog} stored`);
    log(`PostgreSQL: accepted ${accept.ok} at ${accept.rate.toFixed(0)} req/s; ${backlog} stored`);

    const delivery: PostgresFigures['delivery'] = [];
    for (const workers of options.workerCounts) {
      await requeue(pg.url);
      const children = await Promise.all(Array.from({ length: workers }, () => startWorker(dataDir, shared)));
      await waitSent(pg.url, backlog);
      const delivered = await sentSince(pg.url);
      await Promise.all(children.map(stop));
      delivery.push({ workers, ...delivered });
      log(`PostgreSQL: ${workers} worker(s) delivered ${delivered.sent} at ${delivered.rate.toFixed(0)} msg/s`);
    }
    return { accept, delivery };
  } finally {
    await pg.stop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}
