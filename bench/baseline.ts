/**
 * The yardstick: a bare nodemailer pooled transport sending the bench's messages to the same
 * sink, as fast as it can. Prints one JSON line: { sent, ms }.
 */
import nodemailer from 'nodemailer';

const [port, count, maxConnections] = process.argv.slice(2).map(Number);
const transport = nodemailer.createTransport({ pool: true, maxConnections, host: '127.0.0.1', port, secure: false, ignoreTLS: true, logger: false });
const started = performance.now();
let sent = 0;
await Promise.all(
  Array.from({ length: count }, (_, i) =>
    transport.sendMail({ from: 'Bench <bench@example.com>', to: `r${i}@example.org`, subject: `bench ${i}`, text: 'Hello from the smtpflow bench. '.repeat(20) }).then(() => void sent++),
  ),
);
process.stdout.write(JSON.stringify({ sent, ms: performance.now() - started }) + '\n');
transport.close();
