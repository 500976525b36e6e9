/**
 * A cluster of real smtpflow processes (the built CLI) on one database: `serve --no-worker`
 * API processes and `worker` processes, started and killed by the scale tests.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import crypto from 'node:crypto';
import readline from 'node:readline';
import { TEST_ADMIN_KEY } from './app.js';
import { ROOT, SMTPFLOW_BIN } from './bin.js';
import { TEST_DIALECT } from './database.js';

/** Why a scale test does not run in the SQLite pass (node:test prints it beside the skip). */
export const NEEDS_POSTGRES =
  TEST_DIALECT === 'postgres' ? false : 'scale-out needs PostgreSQL: runs in the PostgreSQL pass of `npm test` (test/run.ts)';

export interface Proc {
  child: ChildProcess;
  /** The API's base URL (serve only). */
  url?: string;
  /** The worker's owner id, as its leases in the database name it (worker only). */
  owner?: string;
  /** Where a worker started with --metrics-port answers /healthz, /readyz and /metrics. */
  probeUrl?: string;
  /** stdout lines (pino JSON) parsed, as they come. */
  logs: Array<Record<string, any>>;
  exited: Promise<number | null>;
}

export class Cluster {
  readonly procs: Proc[] = [];
  private readonly secretKey = crypto.randomBytes(32).toString('hex');

  constructor(
    private readonly databaseUrl: string,
    private readonly dataDir: string,
    private readonly extraEnv: Record<string, string> = {},
  ) {}

  /** One API process, no delivery or workflow execution; answers once it listens. */
  async serve(): Promise<Proc> {
    const proc = this.spawn(['serve', '--no-worker']);
    proc.url = await this.banner(proc, /running at (http:\/\/\S+)/);
    return proc;
  }

  /** One worker (delivery, workflow runs, triggers; no API); answers once it runs. */
  async worker(args: string[] = []): Promise<Proc> {
    const proc = this.spawn(['worker', ...args]);
    const banner = await this.banner(proc, /(worker \S+ started.*)\n/);
    proc.owner = /worker (\S+) started/.exec(banner)![1];
    proc.probeUrl = /; (http:\/\/\S+)\/metrics/.exec(banner)?.[1];
    return proc;
  }

  /** Runs `smtpflow migrate` to the end; answers what it printed. */
  async migrate(): Promise<string> {
    const proc = this.spawn(['migrate']);
    const code = await proc.exited;
    const out = proc.logs.map((l) => l.msg ?? JSON.stringify(l)).join('\n');
    if (code !== 0) throw new Error(`smtpflow migrate exited ${code}: ${out}`);
    return out;
  }

  /** SIGKILL: no shutdown, leases left as they were. */
  async kill(proc: Proc): Promise<void> {
    proc.child.kill('SIGKILL');
    await proc.exited;
  }

  async stopAll(): Promise<void> {
    for (const p of this.procs) if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill('SIGKILL');
    await Promise.all(this.procs.map((p) => p.exited));
  }

  private spawn(args: string[]): Proc {
    const child = spawn(process.execPath, [SMTPFLOW_BIN, ...args], {
      cwd: ROOT,
      env: {
        ...process.env,
        SMTPFLOW_DATA_DIR: this.dataDir,
        SMTPFLOW_DATABASE_URL: this.databaseUrl,
        // The same on every process sharing the database (README "Running at scale").
        SMTPFLOW_SECRET_KEY: this.secretKey,
        SMTPFLOW_ADMIN_KEY: TEST_ADMIN_KEY,
        SMTPFLOW_PORT: '0',
        SMTPFLOW_DEV_SMTP_PORT: '0',
        SMTPFLOW_LOG_LEVEL: 'warn',
        ...this.extraEnv,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const proc: Proc = { child, logs: [], exited: new Promise((resolve) => child.on('close', (code) => resolve(code))) };
    readline.createInterface({ input: child.stdout! }).on('line', (line) => {
      try {
        proc.logs.push(JSON.parse(line));
      } catch {
        proc.logs.push({ msg: line });
      }
    });
    this.procs.push(proc);
    return proc;
  }

  private banner(proc: Proc, pattern: RegExp): Promise<string> {
    let stderr = '';
    return new Promise<string>((resolve, reject) => {
      proc.child.stderr!.on('data', (chunk: Buffer) => {
        stderr += chunk.toString();
        const m = pattern.exec(stderr);
        if (m) resolve(m[1]);
      });
      void proc.exited.then((code) => reject(new Error(`smtpflow exited (${code}) before it was ready: ${stderr}`)));
    });
  }
}

/** fetch against an API process with the admin key. */
export async function call(base: string, method: string, urlPath: string, body?: unknown): Promise<{ status: number; body: any }> {
  const res = await fetch(base + urlPath, {
    method,
    headers: { authorization: `Bearer ${TEST_ADMIN_KEY}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined };
}
