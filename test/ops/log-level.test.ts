/**
 * `--log-level` on `smtpflow serve` and `smtpflow worker` (real child processes of the built CLI):
 * the flag wins over SMTPFLOW_LOG_LEVEL, which is read too, and a level that does not exist is refused.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { ROOT, SMTPFLOW_BIN } from '../helpers/bin.js';
import { waitFor } from '../helpers/wait.js';
import { freePort, runCli } from '../cli/util.js';

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'smtpflow-loglevel-'));
/** One data directory per process, so that the cases can run at once. */
const newDataDir = (): string => fs.mkdtempSync(path.join(root, 'data-'));

/** Starts a long-running command, waits until `ready` shows in its output, then stops it with SIGTERM. */
async function runUntil(args: string[], env: Record<string, string>, ready: (stdout: string, stderr: string) => boolean, meanwhile?: () => Promise<void>) {
  const childEnv = { ...Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('SMTPFLOW_'))), SMTPFLOW_DATA_DIR: newDataDir(), ...env };
  const child = spawn(process.execPath, [SMTPFLOW_BIN, ...args], { cwd: ROOT, env: childEnv, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => (stdout += c.toString('utf8')));
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString('utf8')));
  const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  try {
    // Generous: on a loaded 2-core machine a cold start of the CLI has taken over 20 s.
    await waitFor(() => ready(stdout, stderr), { timeoutMs: 60_000, message: `${args[0]} to start (stderr: ${stderr})` });
    await meanwhile?.();
  } finally {
    child.kill('SIGTERM');
  }
  return { code: await exited, lines: stdout.trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as { level: number; msg: string }) };
}

describe('--log-level', { concurrency: true }, () => {
  after(() => fs.rmSync(root, { recursive: true, force: true }));

  test('worker: --log-level debug beats SMTPFLOW_LOG_LEVEL=silent', async () => {
    const run = await runUntil(['worker', '--log-level', 'debug'], { SMTPFLOW_LOG_LEVEL: 'silent' }, (out) => out.includes('"worker started"'));
    assert.equal(run.code, 0);
    assert.ok(run.lines.some((l) => l.msg === 'worker started' && l.level === 30));
  });

  test('serve: --log-level warn beats SMTPFLOW_LOG_LEVEL=info: requests leave no info lines', async () => {
    const port = await freePort();
    const run = await runUntil(
      ['serve', '--port', String(port), '--dev-smtp-port', '0', '--log-level', 'warn'],
      { SMTPFLOW_LOG_LEVEL: 'info' },
      (_out, err) => err.includes('smtpflow is running at'),
      async () => {
        // At info, Fastify would log this request twice ("incoming request", "request completed").
        assert.equal((await fetch(`http://127.0.0.1:${port}/api/v1/openapi.json`)).status, 200);
      },
    );
    assert.equal(run.code, 0);
    assert.deepEqual(run.lines.filter((l) => l.level < 40), []);
  });

  test('a level that does not exist is refused, from the flag or the variable, naming the valid ones', async () => {
    for (const [args, env] of [[['worker', '--log-level', 'loud'], {}], [['worker'], { SMTPFLOW_LOG_LEVEL: 'loud' }]] as const) {
      const result = await runCli([...args], { env: { SMTPFLOW_DATA_DIR: newDataDir(), ...env } });
      assert.equal(result.code, 1);
      assert.match(result.stderr, /must be one of fatal, error, warn, info, debug, trace, silent, got 'loud'/);
    }
  });
});
