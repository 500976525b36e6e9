/**
 * The API client behind `smtpflow send`, `connections …` and `keys …`, and the conventions they
 * share: where the server is, which key to use, how a failure becomes one line and an exit code.
 */
import type { Command } from 'commander';

/** Exit codes, documented in every client command's --help. */
export const EXIT_FAILED = 1;
export const EXIT_UNREACHABLE = 2;

export const EXIT_CODES_HELP = `
Exit codes: 0 done; 1 the server refused the request, or the command line is wrong;
2 the server could not be reached.`;

export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: number = EXIT_FAILED,
  ) {
    super(message);
  }
}

export interface ClientFlags {
  url?: string;
  key?: string;
}

export interface ApiAnswer<T = any> {
  status: number;
  body: T;
  headers: Headers;
}

interface ErrorBody {
  error?: { code?: string; message?: string; field?: string; smtp?: { code?: number; enhancedCode?: string; response?: string } };
}

export function baseUrl(flags: ClientFlags): string {
  const fallback = `http://127.0.0.1:${process.env.SMTPFLOW_PORT || 8080}`;
  return (flags.url || process.env.SMTPFLOW_URL || fallback).replace(/\/+$/, '');
}

/** SMTPFLOW_API_KEY and SMTPFLOW_ADMIN_KEY too, so a shell set up for `workflows` or `serve` just works. */
function apiKey(flags: ClientFlags): string {
  const key = flags.key || process.env.SMTPFLOW_KEY || process.env.SMTPFLOW_API_KEY || process.env.SMTPFLOW_ADMIN_KEY;
  if (!key) {
    throw new CliError('no API key: pass --key or set SMTPFLOW_KEY (the admin key is printed when `smtpflow serve` first starts).');
  }
  return key;
}

const oneLine = (s: string): string => s.replace(/\s*[\r\n]+\s*/g, ' ').trim();

/** `InvalidAddress (To): '…' is not an address; …` plus the SMTP server's words when there are any. */
export function describeError(status: number, body: unknown, raw: string): string {
  const error = (body as ErrorBody | undefined)?.error;
  if (!error?.code) return `the server answered HTTP ${status}${raw ? `: ${oneLine(raw).slice(0, 200)}` : ''} (is --url pointing at smtpflow?)`;
  let line = `${error.code}${error.field ? ` (${error.field})` : ''}: ${error.message ?? `HTTP ${status}`}`;
  const smtp = error.smtp;
  if (smtp && (smtp.code || smtp.response)) {
    const said = smtp.response ?? [smtp.code, smtp.enhancedCode].filter(Boolean).join(' ');
    if (!line.includes(said)) line += ` [SMTP server said: ${said}]`;
  }
  return oneLine(line);
}

export class ApiClient {
  readonly base: string;
  private readonly key: string;

  constructor(flags: ClientFlags) {
    this.base = baseUrl(flags);
    this.key = apiKey(flags);
  }

  /** Answers 2xx bodies; any other answer, or no answer, is a CliError. */
  async request<T = any>(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<ApiAnswer<T>> {
    const all: Record<string, string> = { ...headers, authorization: `Bearer ${this.key}`, accept: 'application/json' };
    if (body !== undefined) all['content-type'] = 'application/json';
    let response: Response;
    try {
      response = await fetch(`${this.base}/api/v1${path}`, { method, headers: all, body: body === undefined ? undefined : JSON.stringify(body) });
    } catch (err) {
      const cause = (err as { cause?: { code?: string; message?: string } }).cause;
      const why = cause?.code ?? cause?.message ?? (err as Error).message;
      throw new CliError(
        `cannot reach the smtpflow server at ${this.base} (${why}); start it with \`smtpflow serve\` (or \`npm start\`), or point --url / SMTPFLOW_URL at a running one.`,
        EXIT_UNREACHABLE,
      );
    }
    const text = await response.text();
    let parsed: unknown = undefined;
    if (text) {
      try {
        parsed = JSON.parse(text);
      } catch {
        parsed = text;
      }
    }
    if (!response.ok) throw new CliError(describeError(response.status, parsed, text));
    return { status: response.status, body: parsed as T, headers: response.headers };
  }
}

export const enc = encodeURIComponent;

/** commander's accumulator for repeatable flags; no default, so --help shows none. */
export function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

/** Adds --url and --key to a command that talks to the server. */
export function clientOptions(command: Command): Command {
  return command
    .option('--url <url>', 'smtpflow server (SMTPFLOW_URL, default http://127.0.0.1:8080)')
    .option('--key <key>', 'API key (SMTPFLOW_KEY); prefer the variable, a flag lands in shell history');
}

/**
 * Makes commander's own usage errors one line, like ours, and never a help dump: scripts read
 * stderr, and the reader of a terminal is pointed at --help instead. Inherited by subcommands.
 */
export function oneLineUsageErrors(command: Command): Command {
  return command.showHelpAfterError(false).configureOutput({
    outputError: (str, write) => write(`smtpflow: ${oneLine(str.replace(/^error:\s*/, ''))} (see --help)\n`),
  });
}

/** Runs an action; a CliError (or any error) becomes `smtpflow: <reason>` on stderr and its exit code. */
export function action<A extends unknown[]>(fn: (...args: A) => Promise<void>): (...args: A) => Promise<void> {
  return async (...args: A) => {
    try {
      await fn(...args);
    } catch (err) {
      const code = err instanceof CliError ? err.exitCode : EXIT_FAILED;
      process.stderr.write(`smtpflow: ${oneLine(err instanceof Error ? err.message : String(err))}\n`);
      process.exit(code);
    }
  };
}

export function out(text = ''): void {
  process.stdout.write(`${text}\n`);
}

export function printJson(value: unknown): void {
  out(JSON.stringify(value, null, 2));
}
