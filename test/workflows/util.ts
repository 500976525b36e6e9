import net from 'node:net';
import type { TestApp } from '../helpers/app.js';
import { waitFor as sharedWaitFor } from '../helpers/wait.js';

/** The shared waitFor, with the thing waited for named first (reads better at the call sites here). */
export function waitFor<T>(what: string, check: () => T | Promise<T>, timeoutMs = 15_000): Promise<NonNullable<T>> {
  return sharedWaitFor(check, { message: what, timeoutMs, intervalMs: 50 });
}

export async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  await new Promise((r) => server.close(r));
  return port;
}

/** The runs of a workflow, oldest first. */
export async function runsOf(t: TestApp, workflow: string): Promise<any[]> {
  const res = await t.api('GET', `/api/v1/workflows/${workflow}/runs?limit=500`);
  if (res.status !== 200) throw new Error(`runs of ${workflow}: ${res.status} ${JSON.stringify(res.body)}`);
  return [...res.body.runs].reverse();
}

/** Waits until a run has ended and answers its full record. */
export async function finishedRun(t: TestApp, workflow: string, id: string, timeoutMs = 20_000): Promise<any> {
  return waitFor(`run ${id} of ${workflow} to end`, async () => {
    const res = await t.api('GET', `/api/v1/workflows/${workflow}/runs/${id}`);
    return res.status === 200 && res.body.status !== 'Running' ? res.body : undefined;
  }, timeoutMs);
}

export async function inbox(t: TestApp): Promise<any[]> {
  const res = await t.api('GET', '/api/v1/inbox?limit=1000');
  if (res.status !== 200) throw new Error(`inbox: ${res.status}`);
  return res.body.messages;
}

/** A Request-triggered workflow's signed invoke URL. */
export async function callbackUrl(t: TestApp, workflow: string, trigger = 'manual'): Promise<string> {
  const res = await t.api('GET', `/api/v1/workflows/${workflow}/triggers/${trigger}/callback-url`);
  if (res.status !== 200) throw new Error(`callback-url: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body.value;
}

export async function invoke(url: string, body: unknown): Promise<{ status: number; body: any; headers: Headers }> {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = text ? JSON.parse(text) : undefined;
  } catch {
    /* keep text */
  }
  return { status: res.status, body: parsed, headers: res.headers };
}
