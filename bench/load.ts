/**
 * HTTP load for the bench, in its own process so that it does not share the server's event loop.
 *   load.ts async <url> <key> <count> <concurrency>  → { ok, ms }
 *   load.ts sync  <url> <key> <count> <concurrency>  → { ok, ms, latencies: [...] }
 */
import http from 'node:http';

const [mode, base, key, countText, concurrencyText] = process.argv.slice(2);
const count = Number(countText);
const concurrency = Number(concurrencyText);
const target = new URL('/api/v1/connections/sink/send-email', base);
const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });

function post(i: number): Promise<number> {
  const body = JSON.stringify({ To: `r${i}@example.org`, Subject: `bench ${i}`, Body: 'Hello from the smtpflow bench. '.repeat(20) });
  const headers: Record<string, string | number> = { authorization: `Bearer ${key}`, 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) };
  if (mode === 'async') headers.prefer = 'respond-async';
  return new Promise((resolve, reject) => {
    const req = http.request(target, { method: 'POST', agent, headers }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
    req.end(body);
  });
}

let next = 0;
let ok = 0;
const latencies: number[] = [];
const started = performance.now();
await Promise.all(
  Array.from({ length: concurrency }, async () => {
    while (next < count) {
      const i = next++;
      const t0 = performance.now();
      const status = await post(i);
      latencies.push(performance.now() - t0);
      if (status === (mode === 'async' ? 202 : 200)) ok++;
    }
  }),
);
const ms = performance.now() - started;
process.stdout.write(JSON.stringify(mode === 'sync' ? { ok, ms, latencies } : { ok, ms }) + '\n');
agent.destroy();
