import { spawn } from 'node:child_process';
import net from 'node:net';
import { ROOT, SMTPFLOW_BIN } from '../helpers/bin.js';

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * Runs `smtpflow ARGS` as a real child process, as a user's shell would. The test's own
 * SMTPFLOW_* variables are dropped so that only `env` decides where the CLI points.
 */
export function runCli(args: string[], options: { env?: Record<string, string>; input?: string | Buffer } = {}): Promise<CliResult> {
  const env: NodeJS.ProcessEnv = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('SMTPFLOW_')));
  Object.assign(env, options.env);
  const child = spawn(process.execPath, [SMTPFLOW_BIN, ...args], { cwd: ROOT, env, stdio: ['pipe', 'pipe', 'pipe'] });
  const stdout: Buffer[] = [];
  const stderr: Buffer[] = [];
  child.stdout.on('data', (c: Buffer) => stdout.push(c));
  child.stderr.on('data', (c: Buffer) => stderr.push(c));
  // Always end stdin: a command that reads it must see EOF, never hang on an open pipe.
  child.stdin.end(options.input ?? '');
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) =>
      resolve({ code: code ?? (signal ? 128 : 1), stdout: Buffer.concat(stdout).toString('utf8'), stderr: Buffer.concat(stderr).toString('utf8') }),
    );
  });
}

/** A CLI bound to one server and key. */
export function cliFor(url: string, key: string): (args: string[], options?: { env?: Record<string, string>; input?: string | Buffer }) => Promise<CliResult> {
  return (args, options = {}) => runCli(args, { ...options, env: { SMTPFLOW_URL: url, SMTPFLOW_KEY: key, ...options.env } });
}

/** Failure output is one line on stderr that starts with `smtpflow: `; answers that line. */
export function oneLineError(result: CliResult): string {
  const lines = result.stderr.split('\n').filter((l) => l !== '');
  if (lines.length !== 1 || !lines[0].startsWith('smtpflow: ')) {
    throw new Error(`expected one 'smtpflow: …' line on stderr, got ${JSON.stringify(result.stderr)} (exit ${result.code})`);
  }
  return lines[0];
}

export async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  await new Promise((r) => server.close(r));
  return port;
}
