import net from 'node:net';
import { Worker } from 'node:worker_threads';
import type { SmtpConnection } from '../../src/connections/schema.js';
import type { SmtpPeer } from '../helpers/smtp-peers.js';

export const PASSWORD = 'S3cret-Pa55word!';

/** A connection to a test peer; short timeouts so a failure shows quickly. */
export function connTo(peer: Pick<SmtpPeer, 'port'>, overrides: Partial<SmtpConnection> = {}): SmtpConnection {
  return {
    name: `peer-${peer.port}`,
    type: 'smtp',
    version: 1,
    host: '127.0.0.1',
    port: peer.port,
    security: 'none',
    connectionTimeoutMs: 3000,
    socketTimeoutMs: 5000,
    ...overrides,
  };
}

/** A port on 127.0.0.1 where nothing listens (bound, then released). */
export async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** A TCP server that accepts connections and never says a word (a blackhole, without leaving 127.0.0.1). */
export async function silentServer(): Promise<{ port: number; close(): Promise<void> }> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => undefined);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  return {
    port,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

export const mail = (to: string | string[], subject = 'Hello'): { from: string; to: string | string[]; subject: string; text: string } => ({
  from: 'sender@example.com',
  to,
  subject,
  text: 'Hello from smtpflow.',
});

/**
 * An address where connection attempts are dropped, not refused (a firewall's blackhole), without
 * leaving 127.0.0.1 or needing root: a listening socket whose accept queue is full. The listener
 * lives in a worker thread that blocks right after listening, so nothing ever accepts; two
 * connections fill its backlog, and the kernel drops every SYN after them.
 */
export async function blackhole(): Promise<{ port: number; close(): Promise<void> }> {
  const release = new Int32Array(new SharedArrayBuffer(4));
  const worker = new Worker(
    `const { parentPort, workerData } = require('node:worker_threads');
     const server = require('node:net').createServer();
     server.listen({ port: 0, host: '127.0.0.1', backlog: 1 }, () => {
       parentPort.postMessage(server.address().port);
       Atomics.wait(workerData, 0, 0);
       server.close();
     });`,
    { eval: true, workerData: release },
  );
  const port = await new Promise<number>((resolve) => worker.once('message', resolve));
  const fillers: net.Socket[] = [];
  for (let i = 0; i < 2; i++) {
    const s = net.connect({ host: '127.0.0.1', port });
    s.on('error', () => undefined);
    fillers.push(s);
    await new Promise((resolve) => s.once('connect', resolve));
  }
  return {
    port,
    async close() {
      for (const s of fillers) s.destroy();
      Atomics.store(release, 0, 1);
      Atomics.notify(release, 0);
      await worker.terminate();
    },
  };
}
