/**
 * `npm run soak [-- --seconds 600 --rate 50 --max N --write]`: a steady asynchronous load on a
 * real `smtpflow serve` process (SQLite, loopback only) for a bounded time and count, with a mix
 * of good and bad input and of good, greylisting, rejecting and faulty SMTP servers (the fault
 * peers of test/faults). Then it waits for every accepted message to settle and reports accepted,
 * sent, failed, lost (must be 0), accept latency and the server's RSS growth. `--write` puts the
 * report in bench/RESULTS.md. Exits 1 if anything was lost or answered 5xx, or a probe failed.
 * Environment: SOAK_SECONDS, SOAK_RATE, SOAK_MAX.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { SMTPServer } from 'smtp-server';
import { openStore } from '../src/store/db.js';
import { startFaultPeer } from '../test/faults/peers.js';
import { silentServer } from '../test/smtp/util.js';

const { values: flags } = parseArgs({
  options: { seconds: { type: 'string' }, rate: { type: 'string' }, max: { type: 'string' }, write: { type: 'boolean' } },
});
const SECONDS = Number(flags.seconds ?? process.env.SOAK_SECONDS ?? 600);
const RATE = Number(flags.rate ?? process.env.SOAK_RATE ?? 50);
const MAX = Number(flags.max ?? process.env.SOAK_MAX ?? Math.ceil(SECONDS * RATE));
/** Requests in flight beyond this are not sent (counted as shed): the load stays bounded if the server slows. */
const MAX_IN_FLIGHT = 256;
const FAULT_LIFETIME_SECONDS = 20;
const ROOT = path.resolve(import.meta.dirname, '..');
const KEY = 'soak-admin-key-0123456789abcdef';
const log = (line: string): void => void process.stderr.write(`soak: ${line}\n`);

/**
 * A loopback SMTP server that keeps only Message-IDs: how often each was tried, and how often
 * taken (250). `greylist` defers each message's first try, `reject` refuses every message.
 */
async function sink(behaviour: 'accept' | 'greylist' | 'reject' = 'accept') {
  const received = new Map<string, number>();
  const taken = new Map<string, number>();
  const server = new SMTPServer({
    logger: false,
    authOptional: true,
    disabledCommands: ['STARTTLS', 'AUTH'],
    closeTimeout: 200,
    onData(stream, _session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        const id = /^Message-ID:\s*(<[^>]+>)/im.exec(Buffer.concat(chunks).toString('latin1'))?.[1] ?? '?';
        const seen = received.get(id) ?? 0;
        received.set(id, seen + 1);
        if (behaviour === 'reject') return callback(Object.assign(new Error('5.6.0 Content rejected'), { responseCode: 550 }));
        if (behaviour === 'greylist' && seen === 0) return callback(Object.assign(new Error('4.7.1 Greylisted, try again later'), { responseCode: 451 }));
        taken.set(id, (taken.get(id) ?? 0) + 1);
        callback();
      });
    },
  });
  server.on('error', () => undefined);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { port: (server.server.address() as AddressInfo).port, taken, close: () => new Promise<void>((r) => server.close(() => r())) };
}

async function startServer(dataDir: string): Promise<{ child: ChildProcess; url: string }> {
  const env = {
    ...process.env,
    SMTPFLOW_DATA_DIR: dataDir,
    SMTPFLOW_PORT: '0',
    SMTPFLOW_DEV_SMTP_PORT: '0',
    SMTPFLOW_ADMIN_KEY: KEY,
    SMTPFLOW_LOG_LEVEL: 'error',
    // Retries within the soak's minutes, not the production half-minute.
    SMTPFLOW_OUTBOX_BACKOFF_MS: '500',
    SMTPFLOW_OUTBOX_BACKOFF_MAX_MS: '5000',
  };
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'serve'], { cwd: ROOT, env, stdio: ['ignore', 'ignore', 'pipe'] });
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

const rssMiB = (pid: number, field: 'VmRSS' | 'VmHWM'): number =>
  Number(new RegExp(`${field}:\\s+(\\d+)`).exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) / 1024;
const pct = (xs: number[], p: number): number => (xs.length === 0 ? NaN : [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))]);
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

type Kind = 'good' | 'sync' | 'grey' | 'reject' | 'fault' | 'bad' | 'idempotent';
/** Twenty requests in every twenty: 60 % good, 5 % each of the others, 15 % bad input. */
const MIX: Kind[] = [...Array<Kind>(12).fill('good'), 'sync', 'grey', 'reject', 'fault', 'bad', 'bad', 'bad', 'idempotent'];
const FAULTS = ['stall', 'trickle', 'garbage', 'silent'] as const;
const BAD_INPUTS: Array<Record<string, unknown>> = [
  { To: 'not an address', Subject: 's', Body: 'b' },
  { To: 'a@example.org', Subject: 'split\r\nBcc: victim@example.org', Body: 'b' },
  { To: 'a@example.org', Subject: 's', Body: 'b', Colour: 'blue' },
  { Subject: 'no recipient', Body: 'b' },
  { To: 'a@example.org', Subject: 's', Body: 'b', Attachments: [{ ContentData: '%%% not base64', ContentTransferEncoding: 'base64', FileName: 'x.bin' }] },
];
const ATTACHMENT = Buffer.alloc(20_000, 7).toString('base64');

async function main(): Promise<void> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'smtpflow-soak-'));
  const good = await sink();
  const grey = await sink('greylist');
  const reject = await sink('reject');
  const faults = { stall: await startFaultPeer('stall-after-data'), trickle: await startFaultPeer('trickle'), garbage: await startFaultPeer('garbage'), silent: await silentServer() };
  const server = await startServer(dataDir);
  const agent = new http.Agent({ keepAlive: true, maxSockets: MAX_IN_FLIGHT });
  const call = (method: string, urlPath: string, body?: unknown, headers: Record<string, string> = {}): Promise<{ status: number; body: any }> =>
    new Promise((resolve, reject) => {
      const text = body === undefined ? '' : JSON.stringify(body);
      const req = http.request(new URL(urlPath, server.url), { method, agent, headers: { authorization: `Bearer ${KEY}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers } }, (res) => {
        let data = '';
        res.on('data', (c: Buffer) => (data += c.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: data ? JSON.parse(data) : undefined }));
      });
      req.on('error', reject);
      req.end(text);
    });
  const connection = async (name: string, port: number, extra: Record<string, unknown> = {}): Promise<void> => {
    const res = await call('POST', '/api/v1/connections', { name, host: '127.0.0.1', port, security: 'none', defaultFrom: 'Soak <soak@example.com>', ...extra });
    if (res.status !== 201) throw new Error(`connection ${name}: ${res.status} ${JSON.stringify(res.body)}`);
  };
  await connection('good', good.port);
  await connection('grey', grey.port);
  await connection('reject', reject.port);
  // A byte a second never trips a 1.5 s socket timeout: the trickle is cut by the attempt deadline.
  for (const [name, peer] of Object.entries(faults)) await connection(name, peer.port, { connectionTimeoutMs: 1000, socketTimeoutMs: 1500, lifetimeSeconds: FAULT_LIFETIME_SECONDS });
  log(`server ${server.url} (pid ${server.child.pid}); ${RATE} req/s for ${SECONDS} s, at most ${MAX} requests; data in ${dataDir}`);

  const accepted = new Map<string, Kind>();
  const statuses = new Map<string, number>();
  const asyncLatency: number[] = [];
  const syncLatency: number[] = [];
  let sent = 0;
  let shed = 0;
  let inFlight = 0;
  let unhealthy = 0;
  let transportErrors = 0;
  const count = (kind: Kind, status: number): void => void statuses.set(`${kind} ${status}`, (statuses.get(`${kind} ${status}`) ?? 0) + 1);

  const fire = async (i: number): Promise<void> => {
    const kind = MIX[i % MIX.length];
    const base = { To: `r${i}@example.org`, Subject: `soak ${i}`, Body: `Message ${i} of the smtpflow soak.` };
    let target = 'good';
    let body: Record<string, unknown> = base;
    const headers: Record<string, string> = { prefer: 'respond-async' };
    if (kind === 'good' && i % 100 === 0) body = { ...base, Attachments: [{ ContentData: ATTACHMENT, ContentType: 'application/octet-stream', FileName: 'blob.bin' }] };
    if (kind === 'sync') delete headers.prefer;
    if (kind === 'grey' || kind === 'reject') target = kind;
    if (kind === 'fault') target = FAULTS[Math.floor(i / MIX.length) % FAULTS.length];
    if (kind === 'bad') body = BAD_INPUTS[Math.floor(i / MIX.length) % BAD_INPUTS.length];
    if (kind === 'idempotent') {
      // Every key is used twice, with the same body: the second answer is the first one's.
      const n = Math.floor(i / (2 * MIX.length));
      headers['idempotency-key'] = `soak-${n}`;
      body = { To: `idem${n}@example.org`, Subject: `soak idempotent ${n}`, Body: 'Sent once, asked twice.' };
    }
    const t0 = performance.now();
    try {
      const res = await call('POST', `/api/v1/connections/${target}/send-email`, body, headers);
      const ms = performance.now() - t0;
      count(kind, res.status);
      if (res.status === 202) {
        asyncLatency.push(ms);
        accepted.set(res.body.id, kind);
      } else if (res.status === 200 && kind === 'sync') {
        syncLatency.push(ms);
        accepted.set(res.body.id, kind);
      }
    } catch {
      transportErrors += 1;
    }
  };

  const probe = setInterval(() => {
    for (const p of ['/healthz', '/readyz']) void call('GET', p).then((r) => r.status !== 200 && unhealthy++, () => unhealthy++);
  }, 5_000);
  const rss: Array<{ at: number; mib: number }> = [];
  const started = Date.now();
  const loadAverages = [os.loadavg()[0]];
  const sampler = setInterval(() => rss.push({ at: (Date.now() - started) / 1000, mib: rssMiB(server.child.pid!, 'VmRSS') }), 10_000);
  const end = started + SECONDS * 1000;
  let lastReport = started;
  // Open loop: requests go out on schedule whatever the answers take (up to MAX_IN_FLIGHT).
  while (Date.now() < end && sent < MAX) {
    const due = Math.min(MAX, Math.floor(((Date.now() - started) / 1000) * RATE));
    for (; sent < due; sent++) {
      if (inFlight >= MAX_IN_FLIGHT) {
        shed += 1;
        continue;
      }
      inFlight += 1;
      void fire(sent).finally(() => inFlight--);
    }
    if (Date.now() - lastReport >= 60_000) {
      lastReport = Date.now();
      log(`${Math.round((lastReport - started) / 1000)} s: ${sent} sent, ${accepted.size} accepted, p99 accept ${pct(asyncLatency, 99).toFixed(1)} ms, RSS ${rssMiB(server.child.pid!, 'VmRSS').toFixed(0)} MiB`);
    }
    await sleep(10);
  }
  while (inFlight > 0) await sleep(20);
  const loadSeconds = (Date.now() - started) / 1000;
  clearInterval(sampler);
  loadAverages.push(os.loadavg()[0]);
  const rssEnd = rssMiB(server.child.pid!, 'VmRSS');
  log(`load done after ${loadSeconds.toFixed(0)} s; waiting for ${accepted.size} accepted messages to settle`);

  // Drain: every accepted message must end sent or failed (faulty ones at their lifetime).
  const store = await openStore(`sqlite:${path.join(dataDir, 'smtpflow.db')}`, { migrate: false });
  const final = new Set(['sent', 'failed', 'cancelled']);
  let rows: Array<{ id: string; status: string; message_id: string; connection: string }> = [];
  const drainUntil = Date.now() + (FAULT_LIFETIME_SECONDS + 120) * 1000;
  for (;;) {
    rows = await store.db.selectFrom('messages').select(['id', 'status', 'message_id', 'connection']).execute();
    if (rows.every((r) => final.has(r.status)) || Date.now() > drainUntil) break;
    await sleep(1000);
  }
  clearInterval(probe);
  const byId = new Map(rows.map((r) => [r.id, r]));
  const missing = [...accepted.keys()].filter((id) => !byId.has(id));
  const sentRows = rows.filter((r) => r.status === 'sent');
  // Recorded as sent, yet the SMTP server never saw its Message-ID: that would be a loss too.
  const unreceived = sentRows.filter((r) => !(r.connection === 'grey' ? grey : good).taken.has(r.message_id));
  const unsettled = rows.filter((r) => !final.has(r.status)).length;
  const lost = missing.length + unreceived.length;
  const duplicates = [...good.taken.values(), ...grey.taken.values()].filter((n) => n > 1).length;
  const goodFailed = rows.filter((r) => r.connection === 'good' && r.status === 'failed').length;
  const fivexx = [...statuses].filter(([k]) => Number(k.split(' ')[1]) >= 500).reduce((n, [, v]) => n + v, 0);
  const rssWarm = rss.find((s) => s.at >= Math.min(60, SECONDS / 4))?.mib ?? rss[0]?.mib ?? NaN;
  const peak = rssMiB(server.child.pid!, 'VmHWM');
  await store.close();
  server.child.kill('SIGTERM');
  await new Promise((r) => server.child.once('exit', r));
  agent.destroy();
  for (const p of [good, grey, reject, ...Object.values(faults)]) await p.close();
  fs.rmSync(dataDir, { recursive: true, force: true });

  const cpu = os.cpus();
  const answers = [...statuses].sort().map(([k, v]) => `${k}: ${v}`).join(', ');
  const md = `## Soak (\`npm run soak\`, bench/soak.ts)

Run on ${new Date().toISOString()}: ${cpu.length} × ${cpu[0]?.model ?? 'unknown CPU'}, ${(os.totalmem() / 2 ** 30).toFixed(1)} GiB RAM, ${os.type()} ${os.release()}, Node ${process.version}; a machine shared with other work
(1-minute load average ${loadAverages.map((l) => l.toFixed(1)).join(' at the start, ')} at the end of the load, on ${cpu.length} cores: latencies include waiting for the CPU).
One \`smtpflow serve\` process (SQLite, synchronous=FULL), loopback only. Open-loop load of ${RATE} requests/s for ${loadSeconds.toFixed(0)} s
(${sent} requests${shed ? `, ${shed} shed at ${MAX_IN_FLIGHT} in flight` : ''}): 60 % good asynchronous sends (1 % with a 20 kB attachment), 5 % synchronous,
5 % to a greylisting server (451 on the first try), 5 % to a server that rejects (550), 5 % to faulty servers (stall after DATA,
trickle 1 byte/s, garbage, no greeting; lifetime ${FAULT_LIFETIME_SECONDS} s), 15 % invalid input, 5 % Idempotency-Key repeats.

| figure | value |
|---|---|
| accepted (202, and 200 for synchronous sends) | ${accepted.size} |
| sent | ${sentRows.length} (duplicates at the servers: ${duplicates}) |
| failed | ${rows.filter((r) => r.status === 'failed').length} (of them to the good server: ${goodFailed}) |
| **lost** (accepted but not stored, or recorded sent but never received) | **${lost}** |
| not settled after the drain | ${unsettled} |
| answers by kind and status | ${answers} |
| 5xx answers / connection errors / failed probes (/healthz, /readyz every 5 s) | ${fivexx} / ${transportErrors} / ${unhealthy} |
| async accept latency | p50 ${pct(asyncLatency, 50).toFixed(1)} ms, p99 ${pct(asyncLatency, 99).toFixed(1)} ms, max ${Math.max(...asyncLatency).toFixed(1)} ms |
| sync send latency | p50 ${pct(syncLatency, 50).toFixed(1)} ms, p99 ${pct(syncLatency, 99).toFixed(1)} ms |
| server RSS | ${rssWarm.toFixed(0)} MiB once warm → ${rssEnd.toFixed(0)} MiB at the end of the load (**${(rssEnd - rssWarm >= 0 ? '+' : '') + (rssEnd - rssWarm).toFixed(0)} MiB**); peak ${peak.toFixed(0)} MiB |
| server RSS over the run (MiB) | ${rss.filter((_, i) => i % Math.max(1, Math.ceil(rss.length / 10)) === 0).map((s) => `${s.at.toFixed(0)} s: ${s.mib.toFixed(0)}`).join(', ')} |
`;
  process.stdout.write(md);
  if (flags.write) {
    const file = path.join(ROOT, 'bench', 'RESULTS.md');
    const current = fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : '';
    // Only this section is replaced: `npm run bench` keeps its own sections in the same file.
    const at = current.indexOf('## Soak');
    const next = at >= 0 ? current.indexOf('\n## ', at + 1) : -1;
    const rest = next >= 0 ? '\n' + current.slice(next + 1) : '';
    fs.writeFileSync(file, (at >= 0 ? current.slice(0, at) : current.trimEnd() + '\n\n') + md + rest);
    log('written to bench/RESULTS.md');
  }
  process.exit(lost > 0 || unsettled > 0 || fivexx > 0 || unhealthy > 0 || goodFailed > 0 ? 1 : 0);
}

await main();
