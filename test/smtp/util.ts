import net from 'node:net';
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
