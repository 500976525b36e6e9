/**
 * The acceptance figure's yardstick: Fastify alone, answering the bench's Send Email requests
 * with 202 after validating them against the same JSON schema, storing nothing. What this
 * machine, this load generator and the HTTP stack allow before smtpflow does any work.
 * Prints "running at <url>" on stderr, as `smtpflow serve` does.
 */
import Fastify from 'fastify';
import { SendEmailInput } from '../src/email/schema.js';

const app = Fastify({ logger: false });
let n = 0;
app.post('/api/v1/connections/:name/send-email', { schema: { body: SendEmailInput } }, async (_request, reply) => {
  const id = `msg_${(n++).toString(36)}`;
  return reply.code(202).header('location', `/api/v1/messages/${id}`).header('retry-after', '1').send({ id, status: 'queued', messageId: `<${id}@example.com>` });
});
await app.listen({ port: 0, host: '127.0.0.1' });
const { port } = app.server.address() as { port: number };
process.stderr.write(`running at http://127.0.0.1:${port}\n`);
