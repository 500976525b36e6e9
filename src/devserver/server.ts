import { SMTPServer, type SMTPServerAddress } from 'smtp-server';
import type { Logger } from '../log.js';
import type { Inbox } from './inbox.js';

const MAX_SIZE = 50 * 1024 * 1024;

/**
 * The built-in development SMTP server: accepts every message (no AUTH, no TLS: it listens on
 * loopback only) and keeps it in the inbox, like Mailpit.
 */
export class DevSmtpServer {
  private server?: SMTPServer;
  private listening = false;

  constructor(
    private readonly inbox: Inbox,
    private readonly log: Logger,
  ) {}

  async start(port: number, host: string): Promise<number> {
    const server = new SMTPServer({
      name: 'smtpflow-dev',
      banner: 'smtpflow development SMTP server: mail is kept in the inbox, never delivered',
      authOptional: true,
      disabledCommands: ['STARTTLS', 'AUTH'],
      size: MAX_SIZE,
      logger: false,
      onData: (stream, session, callback) => {
        const chunks: Buffer[] = [];
        stream.on('data', (chunk: Buffer) => chunks.push(chunk));
        stream.on('end', () => {
          if ((stream as unknown as { sizeExceeded?: boolean }).sizeExceeded) {
            callback(Object.assign(new Error('552 5.3.4 Message exceeds the size limit'), { responseCode: 552 }));
            return;
          }
          const envelope = {
            from: addressOf(session.envelope.mailFrom),
            to: session.envelope.rcptTo.map((r) => r.address),
          };
          this.inbox.add(Buffer.concat(chunks), envelope).then(
            (id) => callback(null, `2.0.0 Ok: kept in the inbox as ${id}`),
            (err: unknown) => {
              this.log.error({ err }, 'development SMTP server could not store a message');
              callback(Object.assign(new Error('451 4.3.0 Could not store the message, try again'), { responseCode: 451 }));
            },
          );
        });
      },
    });
    server.on('error', (err) => this.log.warn({ err }, 'development SMTP server error'));
    await new Promise<void>((resolve, reject) => {
      server.server.once('error', reject);
      server.listen(port, host, () => {
        server.server.off('error', reject);
        resolve();
      });
    });
    this.server = server;
    this.listening = true;
    const address = server.server.address();
    return typeof address === 'object' && address ? address.port : port;
  }

  isListening(): boolean {
    return this.listening;
  }

  async stop(): Promise<void> {
    if (!this.server) return;
    const server = this.server;
    this.listening = false;
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

function addressOf(from: SMTPServerAddress | false): string {
  return from ? from.address : '';
}
