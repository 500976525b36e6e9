/**
 * `npm run bench`: durable async acceptance rate, delivery into Postfix's smtp-sink beside a
 * bare nodemailer pooled transport to the same sink in the same run, sync latency, peak RSS.
 * Writes bench/RESULTS.md. Needs `smtp-sink` (apt-get install postfix). Sizes: BENCH_ACCEPT,
 * BENCH_DELIVER, BENCH_SYNC.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { openStore } from '../src/store/db.js';

const ROOT = path.resolve(import.meta.dirname, '..');
const KEY = 'bench-admin-key-0123456789abcdef';
const N_ACCEPT = Number(process.env.BENCH_ACCEPT ?? 20_000);
const N_DELIVER = Number(process.env.BENCH_DELIVER ?? 20_000);
const N_SYNC = Number(process.env.BENCH_SYNC ?? 1_000);
const MAX_CONNECTIONS = 5;
const children: ChildProcess[] = [];
process.on('exit', () => children.forEach((c) => c.exitCode === null && c.kill('SIGKILL')));

const log = (line: string): void => void process.stderr.write(`bench: ${line}\n`);

async function freePort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const { port } = s.address() as net.AddressInfo;
  await new Promise((r) => s.close(r));
  return port;
}

function smtpSinkPath(): string {
  for (const p of ['/usr/sbin/smtp-sink', '/usr/bin/smtp-sink']) if (fs.existsSync(p)) return p;
  throw new Error('smtp-sink not found: install Postfix (DEBIAN_FRONTEND=noninteractive apt-get install -y postfix)');
}

async function startSink(port: number): Promise<ChildProcess> {
  const args = [...(process.getuid?.() === 0 ? ['-u', 'nobody'] : []), `127.0.0.1:${port}`, '4096'];
  const sink = spawn(smtpSinkPath(), args, { stdio: 'ignore' });
  children.push(sink);
  for (let i = 0; i < 100; i++) {
    const up = await new Promise<boolean>((resolve) => net.connect(port, '127.0.0.1').once('connect', function (this: net.Socket) { this.destroy(); resolve(true); }).once('error', () => resolve(false)));
    if (up) return sink;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error('smtp-sink did not start');
}

function env(dataDir: string, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return { ...process.env, SMTPFLOW_DATA_DIR: dataDir, SMTPFLOW_PORT: '0', SMTPFLOW_DEV_SMTP_PORT: '0', SMTPFLOW_ADMIN_KEY: KEY, SMTPFLOW_LOG_LEVEL: 'error', ...extra };
}

async function startServer(dataDir: string, extra: Record<string, string> = {}): Promise<{ child: ChildProcess; url: string }> {
  // BENCH_PROFILE=dir writes a CPU profile of each server process there.
  const profile = process.env.BENCH_PROFILE ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_PROFILE}`] : [];
  const child = spawn(process.execPath, [...profile, '--import', 'tsx', 'src/cli/main.ts', 'serve'], { cwd: ROOT, env: env(dataDir, extra), stdio: ['ignore', 'ignore', 'pipe'] });
  children.push(child);
  let err = '';
  const url = await new Promise<string>((resolve, reject) => {
    child.stderr!.on('data', (c: Buffer) => {
      err += c.toString();
      const m = /running at (http:\/\/\S+)/.exec(err);
      if (m) resolve(m[1]);
    });
    child.once('exit', (code) => reject(new Error(`server exited ${code}: ${err}`)));
  });
  return { child, url };
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const done = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  await done;
}

/** Peak resident set (VmHWM) of a live process, in MiB. */
function peakRss(pid: number | undefined): number {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? 0) / 1024;
}

function runNode(args: string[]): Promise<any> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
    children.push(child);
    let out = '';
    child.stdout!.on('data', (c: Buffer) => (out += c.toString()));
    child.once('exit', (code) => (code === 0 ? resolve(JSON.parse(out.trim().split('\n').pop()!)) : reject(new Error(`${args.join(' ')} exited ${code}`))));
  });
}

const load = (mode: 'async' | 'sync', url: string, count: number, concurrency: number) => runNode(['bench/load.ts', mode, url, KEY, String(count), String(concurrency)]);

/** Delivered msg/s from the recorded send times: from the first to the last message sent. */
async function waitDelivered(databaseUrl: string, expected: number): Promise<{ rate: number; sent: number }> {
  const store = await openStore(databaseUrl, { migrate: false });
  try {
    for (;;) {
      const row = await store.db
        .selectFrom('messages')
        .select((eb) => [eb.fn.countAll<number>().as('n'), eb.fn.min<number>('sent_at').as('first'), eb.fn.max<number>('sent_at').as('last')])
        .where('status', '=', 'sent')
        .executeTakeFirstOrThrow();
      if (Number(row.n) >= expected) return { sent: Number(row.n), rate: (Number(row.n) - 1) / ((Number(row.last) - Number(row.first)) / 1000) };
      await new Promise((r) => setTimeout(r, 200));
    }
  } finally {
    await store.close();
  }
}

const pct = (xs: number[], p: number): number => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))];

async function main(): Promise<void> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'smtpflow-bench-'));
  const databaseUrl = `sqlite:${path.join(dataDir, 'smtpflow.db')}`;
  const sinkPort = await freePort();
  await startSink(sinkPort);
  log(`smtp-sink on 127.0.0.1:${sinkPort}; data in ${dataDir}`);

  // 1. Acceptance: API only (no worker), so the figure is the durable accept path.
  let server = await startServer(dataDir, { SMTPFLOW_WORKER: 'false' });
  const created = await fetch(`${server.url}/api/v1/connections`, {
    method: 'POST',
    headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' },
    body: JSON.stringify({ name: 'sink', host: '127.0.0.1', port: sinkPort, security: 'none', defaultFrom: 'Bench <bench@example.com>', maxConnections: MAX_CONNECTIONS }),
  });
  if (created.status !== 201) throw new Error(`connection: ${created.status} ${await created.text()}`);
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
  const bare = async (): Promise<{ sent: number; ms: number }> => runNode(['bench/baseline.ts', String(sinkPort), String(Math.ceil(N_DELIVER / 2)), String(MAX_CONNECTIONS)]);
  const before = await bare();
  server = await startServer(dataDir);
  const delivered = await waitDelivered(databaseUrl, backlog);
  const deliverRss = peakRss(server.child.pid);
  log(`smtpflow delivered ${delivered.sent} at ${delivered.rate.toFixed(0)} msg/s`);
  const afterRun = await bare();
  const baseline = { sent: before.sent + afterRun.sent, ms: before.ms + afterRun.ms };
  const baselineRate = baseline.sent / (baseline.ms / 1000);
  log(`bare nodemailer: ${baseline.sent} at ${baselineRate.toFixed(0)} msg/s (before ${(before.sent / before.ms * 1000).toFixed(0)}, after ${(afterRun.sent / afterRun.ms * 1000).toFixed(0)})`);

  // 3. Synchronous latency, one request at a time (the worker idle, the pool warm).
  const sync = await load('sync', server.url, N_SYNC, 1);
  const p50 = pct(sync.latencies, 50);
  const p99 = pct(sync.latencies, 99);
  const syncRss = peakRss(server.child.pid);
  await stop(server.child);
  log(`sync p50 ${p50.toFixed(1)} ms, p99 ${p99.toFixed(1)} ms`);

  const cpu = os.cpus();
  const ratio = delivered.rate / baselineRate;
  const md = `# smtpflow bench results

Written by \`npm run bench\` (bench/run.ts) on ${new Date().toISOString()}.

Machine: ${cpu.length} × ${cpu[0]?.model ?? 'unknown CPU'}, ${(os.totalmem() / 2 ** 30).toFixed(1)} GiB RAM, ${os.type()} ${os.release()}, Node ${process.version}.
Database: SQLite, WAL, synchronous=FULL (each commit fsync'd). Sink: Postfix smtp-sink on 127.0.0.1. Connection maxConnections ${MAX_CONNECTIONS}; baseline pool maxConnections ${MAX_CONNECTIONS}.
The load generator runs in its own process on the same cores.

| figure | smtpflow | baseline | ratio | goal |
|---|---|---|---|---|
| async acceptance (202 after commit), 64 concurrent clients | ${acceptRate.toFixed(0)} req/s (${accept.ok} requests) | — | ${(acceptRate / 5000).toFixed(2)}× goal | ≥ 5,000 req/s |
| delivered into smtp-sink | ${delivered.rate.toFixed(0)} msg/s (${delivered.sent} messages, first to last sent_at) | bare nodemailer pool: ${baselineRate.toFixed(0)} msg/s (${baseline.sent} messages, half before and half after) | **${ratio.toFixed(2)}×** | ≥ 1.0× |
| sync Send Email latency, sequential (${N_SYNC}) | p50 ${p50.toFixed(1)} ms, p99 ${p99.toFixed(1)} ms | — | — | — |
| peak RSS of the server | accepting ${acceptRss.toFixed(0)} MiB, delivering ${deliverRss.toFixed(0)} MiB, sync ${syncRss.toFixed(0)} MiB | — | — | — |
`;
  fs.writeFileSync(path.join(ROOT, 'bench', 'RESULTS.md'), md);
  process.stdout.write(md);
  fs.rmSync(dataDir, { recursive: true, force: true });
}

await main();
process.exit(0);
