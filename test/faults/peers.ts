/**
 * SMTP servers that misbehave in ways smtp-server cannot be made to: a raw TCP speaker of just
 * enough SMTP (greeting, EHLO, MAIL, RCPT, DATA) to reach the point where it goes wrong.
 * The server that never greets at all is `silentServer` in test/smtp/util.ts.
 */
import net from 'node:net';

export type FaultMode =
  /** Takes the whole message, then never answers the final dot. */
  | 'stall-after-data'
  /** Greets at once, then says every reply one byte a second: never silent long enough for a socket timeout. */
  | 'trickle'
  /** Answers the connection with something that is not SMTP (an HTTP error page). */
  | 'garbage';

export interface FaultPeer {
  port: number;
  /** Sessions still open: a client that gave up must have closed its socket. */
  readonly open: number;
  /** Messages whose final dot arrived (and were never acknowledged). */
  readonly dataEnded: number;
  close(): Promise<void>;
}

export async function startFaultPeer(mode: FaultMode): Promise<FaultPeer> {
  const sockets = new Set<net.Socket>();
  const timers = new Set<NodeJS.Timeout>();
  let dataEnded = 0;

  const trickle = (socket: net.Socket, text: string): void => {
    let i = 0;
    const timer = setInterval(() => {
      if (socket.destroyed || i >= text.length) {
        clearInterval(timer);
        timers.delete(timer);
        return;
      }
      socket.write(text[i++]);
    }, 1000);
    timers.add(timer);
  };
  const reply = (socket: net.Socket, text: string): void => {
    if (mode === 'trickle') trickle(socket, text);
    else socket.write(text);
  };

  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => undefined);
    socket.on('close', () => sockets.delete(socket));
    if (mode === 'garbage') {
      socket.write('HTTP/1.1 400 Bad Request\r\nContent-Type: text/html\r\n\r\n<html>\x00\xff not smtp</html>\r\n');
      return;
    }
    socket.write('220 fault.test ESMTP\r\n');
    let buffered = '';
    let inData = false;
    socket.on('data', (chunk: Buffer) => {
      buffered += chunk.toString('latin1');
      for (let end = buffered.indexOf('\r\n'); end >= 0; end = buffered.indexOf('\r\n')) {
        const line = buffered.slice(0, end);
        buffered = buffered.slice(end + 2);
        if (inData) {
          if (line !== '.') continue;
          inData = false;
          dataEnded += 1;
          if (mode === 'stall-after-data') continue;
          reply(socket, '250 2.0.0 queued\r\n');
          continue;
        }
        const verb = line.slice(0, 4).toUpperCase();
        if (verb === 'EHLO') reply(socket, '250-fault.test\r\n250 8BITMIME\r\n');
        else if (verb === 'MAIL' || verb === 'RCPT' || verb === 'RSET' || verb === 'NOOP') reply(socket, '250 2.0.0 ok\r\n');
        else if (verb === 'DATA') {
          inData = true;
          reply(socket, '354 go ahead\r\n');
        } else if (verb === 'QUIT') socket.end('221 bye\r\n');
        else reply(socket, '502 5.5.1 not implemented\r\n');
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as net.AddressInfo).port,
    get open() {
      return sockets.size;
    },
    get dataEnded() {
      return dataEnded;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const t of timers) clearInterval(t);
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
