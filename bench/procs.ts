/**
 * What the bench runs: smtpflow processes (from dist, as `npm start` runs it), the SMTP sink, the
 * load generator and the baselines, each in a process of its own.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { SMTPServer } from 'smtp-server';
import { openStore } from '../src/store/db.js';

export const ROOT = path.resolve(import.meta.dirname, '..');
export const KEY = 'bench-admin-key-0123456789abcdef';
const children: ChildProcess[] = [];
process.on('exit', () => children.forEach((c) => c.exitCode === null && c.kill('SIGKILL')));

export const log = (line: string): void => void process.stderr.write(`bench: ${line}\n`);

export async function freePort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const { port } = s.address() as net.AddressInfo;
  await new Promise((r) => s.close(r));
  return port;
}

export interface Sink {
  port: number;
  /** What it is, for RESULTS.md. */
  kind: string;
}

/**
 * Postfix's smtp-sink (a C program that accepts and discards, as fast as any MTA) when it is
 * installed; otherwise smtp-server in this process, which costs CPU the figures then share.
 */
export async function startSink(): Promise<Sink> {
  const port = await freePort();
  const binary = ['/usr/sbin/smtp-sink', '/usr/bin/smtp-sink'].find((p) => fs.existsSync(p));
  if (!binary) {
    log('smtp-sink not found (apt-get install postfix): using an in-process smtp-server sink instead');
    const server = new SMTPServer({ logger: false, authOptional: true, disabledCommands: ['STARTTLS', 'AUTH'], disableReverseLookup: true, onData: (s, _session, cb) => s.on('end', () => cb()).resume() });
    await new Promise<void>((r) => server.listen(port, '127.0.0.1', r));
    return { port, kind: 'smtp-server in the bench process (smtp-sink was not installed)' };
  }
  const sink = spawn(binary, [...(process.getuid?.() === 0 ? ['-u', 'nobody'] : []), `127.0.0.1:${port}`, '4096'], { stdio: 'ignore' });
  children.push(sink);
  for (let i = 0; i < 100; i++) {
    const up = await new Promise<boolean>((resolve) => net.connect(port, '127.0.0.1').once('connect', function (this: net.Socket) { this.destroy(); resolve(true); }).once('error', () => resolve(false)));
    if (up) return { port, kind: 'Postfix smtp-sink' };
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error('smtp-sink did not start');
}

export function env(dataDir: string, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return { ...process.env, SMTPFLOW_DATA_DIR: dataDir, SMTPFLOW_PORT: '0', SMTPFLOW_DEV_SMTP_PORT: '0', SMTPFLOW_ADMIN_KEY: KEY, SMTPFLOW_LOG_LEVEL: 'error', ...extra };
}

/** A process of the bench; answers once its banner (on stderr) matches `ready`. */
async function startProcess(args: string[], ready: RegExp, processEnv: NodeJS.ProcessEnv): Promise<{ child: ChildProcess; match: string }> {
  const child = spawn(process.execPath, args, { cwd: ROOT, env: processEnv, stdio: ['ignore', 'ignore', 'pipe'] });
  children.push(child);
  let err = '';
  const match = await new Promise<string>((resolve, reject) => {
    child.stderr!.on('data', (c: Buffer) => {
      err += c.toString();
      const m = ready.exec(err);
      if (m) resolve(m[1]);
    });
    child.once('exit', (code) => reject(new Error(`${args.join(' ')} exited ${code}: ${err}`)));
  });
  return { child, match };
}

/** Node's flags in `npm start` (`node <flags> dist/cli/main.js serve`): every smtpflow process of the bench runs with them. */
const START_FLAGS = /^node ((?:--\S+ )*)dist\/cli\/main\.js/.exec(JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')).scripts.start)?.[1].trim().split(' ').filter(Boolean) ?? [];

/** `smtpflow <command>` from dist, as `npm start` runs it (`npm run bench` builds it first). */
function startSmtpflow(command: string, ready: RegExp, dataDir: string, extra: Record<string, string>): Promise<{ child: ChildProcess; match: string }> {
  // BENCH_PROFILE=dir writes a CPU profile of each smtpflow process there.
  const profile = process.env.BENCH_PROFILE ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_PROFILE}`] : [];
  return startProcess([...profile, ...START_FLAGS, 'dist/cli/main.js', command], ready, env(dataDir, extra));
}

export async function startServer(dataDir: string, extra: Record<string, string> = {}): Promise<{ child: ChildProcess; url: string }> {
  const { child, match } = await startSmtpflow('serve', /running at (http:\/\/\S+)/, dataDir, extra);
  return { child, url: match };
}

/** bench/ceiling.ts: Fastify alone, the acceptance figure's yardstick. */
export async function startCeiling(): Promise<{ child: ChildProcess; url: string }> {
  const { child, match } = await startProcess(['--import', 'tsx', 'bench/ceiling.ts'], /running at (http:\/\/\S+)/, process.env);
  return { child, url: match };
}

export async function startWorker(dataDir: string, extra: Record<string, string> = {}): Promise<ChildProcess> {
  return (await startSmtpflow('worker', /worker (\S+) started/, dataDir, extra)).child;
}

export async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const done = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  await done;
}

/** Peak resident set (VmHWM) of a live process, in MiB. */
export function peakRss(pid: number | undefined): number {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? 0) / 1024;
}

export function runNode(args: string[]): Promise<any> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
    children.push(child);
    let out = '';
    child.stdout!.on('data', (c: Buffer) => (out += c.toString()));
    child.once('exit', (code) => (code === 0 ? resolve(JSON.parse(out.trim().split('\n').pop()!)) : reject(new Error(`${args.join(' ')} exited ${code}`))));
  });
}

export const load = (mode: 'async' | 'sync', url: string, count: number, concurrency: number): Promise<any> => runNode(['bench/load.ts', mode, url, KEY, String(count), String(concurrency)]);

/** Creates the connection `sink` the load generator sends through. */
export async function createSinkConnection(url: string, port: number, maxConnections: number): Promise<void> {
  const created = await fetch(`${url}/api/v1/connections`, {
    method: 'POST',
    headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' },
    body: JSON.stringify({ name: 'sink', host: '127.0.0.1', port, security: 'none', defaultFrom: 'Bench <bench@example.com>', maxConnections }),
  });
  if (created.status !== 201) throw new Error(`connection: ${created.status} ${await created.text()}`);
}

/** How many messages the database holds: every accepted one, whether or not its 202 reached the load generator. */
export async function storedCount(databaseUrl: string): Promise<number> {
  const store = await openStore(databaseUrl, { migrate: false });
  try {
    const row = await store.db.selectFrom('messages').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
    return Number(row.n);
  } finally {
    await store.close();
  }
}

/** Waits until `expected` messages are sent in all. */
export async function waitSent(databaseUrl: string, expected: number): Promise<void> {
  const store = await openStore(databaseUrl, { migrate: false });
  try {
    for (;;) {
      const { n } = await store.db.selectFrom('messages').where('status', '=', 'sent').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
      if (Number(n) >= expected) return;
      await new Promise((r) => setTimeout(r, 200));
    }
  } finally {
    await store.close();
  }
}

/** The messages sent at or after `since` (epoch ms), and their rate from the first to the last recorded send time. */
export async function sentSince(databaseUrl: string, since = 0): Promise<{ rate: number; sent: number; spanMs: number }> {
  const store = await openStore(databaseUrl, { migrate: false });
  try {
    const row = await store.db
      .selectFrom('messages')
      .where('status', '=', 'sent')
      .where('sent_at', '>=', since)
      .select((eb) => [eb.fn.countAll<number>().as('n'), eb.fn.min<number>('sent_at').as('first'), eb.fn.max<number>('sent_at').as('last')])
      .executeTakeFirstOrThrow();
    const spanMs = Number(row.last) - Number(row.first);
    return { sent: Number(row.n), spanMs, rate: (Number(row.n) - 1) / (spanMs / 1000) };
  } finally {
    await store.close();
  }
}
