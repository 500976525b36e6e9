/**
 * The SMTP sink of the crash, scale and SQL trigger tests: smtp-server in-process, counting
 * deliveries by Message-ID or another key (not parsing whole messages: 10,000 of them would slow
 * the test for nothing), the time each arrived, and how many SMTP transactions (MAIL FROM to the
 * end of DATA) ran at once.
 */
import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';

export interface CountingSink {
  port: number;
  /** Deliveries per key (the Message-ID unless told otherwise). */
  ids: Map<string, number>;
  /** Arrival time (ms, monotonic) of every delivery, in order. */
  times: number[];
  readonly total: number;
  /** Most transactions that were open at the same moment. */
  readonly peakTransactions: number;
  close(): Promise<void>;
}

const messageId = (raw: string): string => /^Message-ID:\s*(<[^>]+>)/im.exec(raw)?.[1] ?? '?';

/** `key` picks what a delivery is counted by, from the raw message (latin1): its Message-ID by default. */
export async function startCountingSink(key: (raw: string) => string = messageId): Promise<CountingSink> {
  const ids = new Map<string, number>();
  const times: number[] = [];
  /** MAIL FROM time of each session's transaction under way. */
  const started = new Map<string, number>();
  const spans: Array<[number, number]> = [];
  const server = new SMTPServer({
    logger: false,
    authOptional: true,
    disabledCommands: ['STARTTLS', 'AUTH'],
    disableReverseLookup: true,
    closeTimeout: 200,
    maxClients: 1000,
    onMailFrom(_address, session, callback) {
      started.set(session.id, performance.now());
      callback();
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        const now = performance.now();
        times.push(now);
        spans.push([started.get(session.id) ?? now, now]);
        started.delete(session.id);
        const id = key(Buffer.concat(chunks).toString('latin1'));
        ids.set(id, (ids.get(id) ?? 0) + 1);
        callback();
      });
    },
  });
  server.on('error', () => undefined);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.server.address() as AddressInfo).port,
    ids,
    times,
    get total() {
      return times.length;
    },
    get peakTransactions() {
      return mostAtOnce(spans);
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** The most deliveries inside any window of `windowMs` (a sliding window, as providers count). */
export function busiestWindow(times: number[], windowMs: number): number {
  const sorted = [...times].sort((a, b) => a - b);
  let best = 0;
  for (let lo = 0, hi = 0; hi < sorted.length; hi++) {
    while (sorted[hi] - sorted[lo] >= windowMs) lo++;
    best = Math.max(best, hi - lo + 1);
  }
  return best;
}

/** The most transactions (MAIL FROM to the end of DATA, delivered ones) under way at one moment. */
function mostAtOnce(spans: Array<[number, number]>): number {
  const events = spans.flatMap(([from, to]): Array<[number, number]> => [[from, 1], [to, -1]]);
  // Ends sort before starts at the same instant: one session's next MAIL FROM follows its last DATA.
  events.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  let now = 0;
  let most = 0;
  for (const [, step] of events) most = Math.max(most, (now += step));
  return most;
}
