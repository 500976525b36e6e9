/**
 * The asynchronous acceptance load: Send Email requests with "Prefer: respond-async", each to its
 * own recipient, from 64 keep-alive connections. Driven by wrk (C; apt-get install wrk) when it is
 * installed, because a Node load generator spends as much CPU per request as the server it
 * measures, on the same two cores; otherwise by bench/load.ts.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { KEY, load } from './procs.js';

export interface AcceptLoad {
  /** Requests answered 202. */
  ok: number;
  /** Other answers (and socket errors). */
  other: number;
  rate: number;
  tool: string;
}

const WRK = ['/usr/bin/wrk', '/usr/local/bin/wrk'].find((p) => fs.existsSync(p));
const BODY = 'Hello from the smtpflow bench. '.repeat(20);

/** Each request a fresh recipient and subject, so no two messages are alike (as bench/load.ts does). */
const script = `
local n = 0
wrk.method = "POST"
wrk.headers["content-type"] = "application/json"
wrk.headers["authorization"] = "Bearer ${KEY}"
wrk.headers["prefer"] = "respond-async"
request = function()
  n = n + 1
  return wrk.format(nil, nil, nil, '{"To":"r' .. n .. '@example.org","Subject":"bench ' .. n .. '","Body":"${BODY}"}')
end
`;

export const acceptTool = WRK ? 'wrk, 1 thread' : 'bench/load.ts (Node; install wrk for a lighter load generator)';

/** Runs the load for `seconds` (wrk) or `count` requests (Node); connections as given. */
export async function acceptLoad(url: string, options: { seconds: number; count: number; connections: number }): Promise<AcceptLoad> {
  const target = new URL('/api/v1/connections/sink/send-email', url).href;
  if (!WRK) {
    const r = await load('async', url, options.count, options.connections);
    return { ok: r.ok, other: options.count - r.ok, rate: r.ok / (r.ms / 1000), tool: acceptTool };
  }
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'smtpflow-wrk-')), 'send.lua');
  fs.writeFileSync(file, script);
  try {
    const { stdout } = await promisify(execFile)(WRK, ['-t1', `-c${options.connections}`, `-d${options.seconds}s`, '-s', file, target]);
    const [, totalText, secondsText, unit] = /(\d+) requests in ([\d.]+)(m?s)/.exec(stdout) ?? [];
    const seconds = Number(secondsText) / (unit === 'ms' ? 1000 : 1);
    if (!totalText || !seconds) throw new Error(`wrk printed no totals:\n${stdout}`);
    const refused = Number(/Non-2xx or 3xx responses: (\d+)/.exec(stdout)?.[1] ?? 0);
    const socketErrors = (/Socket errors:(.*)/.exec(stdout)?.[1] ?? '').match(/\d+/g)?.reduce((sum, n) => sum + Number(n), 0) ?? 0;
    const ok = Number(totalText) - refused;
    return { ok, other: refused + socketErrors, rate: ok / seconds, tool: acceptTool };
  } finally {
    fs.rmSync(path.dirname(file), { recursive: true, force: true });
  }
}
