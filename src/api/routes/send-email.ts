import { Type } from '@sinclair/typebox';
import { SendEmailInput } from '../../email/index.js';
import { AppError } from '../../errors.js';
import { IdempotencyStore, requestHash, SendEmailAccepted, SendEmailResult, type Outbox, type StoredAnswer } from '../../outbox/index.js';
import { assertMayUseConnection } from '../auth.js';
import type { ApiInstance } from '../server.js';

const Params = Type.Object({ name: Type.String() });
const Headers = Type.Object({
  prefer: Type.Optional(Type.String({ description: '"respond-async": answer 202 once the message is durably queued, instead of sending now' })),
  'idempotency-key': Type.Optional(Type.String({ minLength: 1, maxLength: 255, description: 'the same key and body within 24 h answer the first answer again; nothing is sent twice' })),
});

/** Errors worth answering again for the same key: not our own faults or refusals where nothing was attempted. */
const replayable = (status: number): boolean => ![500, 503, 507, 429].includes(status);

export function sendEmailRoutes(outbox: Outbox) {
  const { idempotency } = outbox;
  return async (app: ApiInstance): Promise<void> => {
    app.post(
      '/connections/:name/send-email',
      {
        config: { scope: 'send' },
        schema: {
          tags: ['send email'],
          summary: 'Send Email: synchronously (200), or queued with "Prefer: respond-async" (202)',
          params: Params,
          headers: Headers,
          body: SendEmailInput,
          response: { 200: SendEmailResult, 202: SendEmailAccepted },
        },
      },
      async (request, reply) => {
        const { name } = request.params;
        assertMayUseConnection(request, name);
        const async = /(^|[\s,;])respond-async([\s,;=]|$)/i.test(request.headers.prefer ?? '');
        const key = request.headers['idempotency-key'];
        const keyId = request.principal!.keyId;
        // Stored answers may be errors replayed as they were first sent, so the status is not one of the schema's.
        const answer = (a: StoredAnswer) => reply.status(a.status as 200).headers(a.headers).send(a.body as never);

        if (!key) return answer(async ? accepted(await outbox.enqueue(name, request.body, { requestId: request.id })) : { status: 200, body: await outbox.send(name, request.body, { requestId: request.id }), headers: {} });

        const hash = requestHash({ name, async, body: request.body });
        if (!idempotency.hold(keyId, key)) throw new AppError(409, 'IdempotencyKeyInProgress', `A request with the Idempotency-Key '${key}' is still being processed; retry in a moment.`, { headers: { 'retry-after': '1' } });
        try {
          if (async) {
            const stored = await idempotency.lookup(keyId, key, hash);
            if (stored) return answer(stored);
            const queued = await outbox.enqueue(name, request.body, {
              requestId: request.id,
              idempotency: (a) => IdempotencyStore.row(keyId, key, hash, accepted(a)),
            });
            return answer(accepted(queued));
          }
          const stored = await idempotency.begin(keyId, key, hash);
          if (stored) return answer(stored);
          let result: StoredAnswer;
          try {
            result = { status: 200, body: await outbox.send(name, request.body, { requestId: request.id }), headers: {} };
          } catch (err) {
            if (err instanceof AppError && replayable(err.status)) {
              await idempotency.complete(keyId, key, { status: err.status, body: err.toBody(), headers: err.headers ?? {} });
            } else {
              await idempotency.abandon(keyId, key);
            }
            throw err;
          }
          await idempotency.complete(keyId, key, result);
          return answer(result);
        } finally {
          idempotency.release(keyId, key);
        }
      },
    );
  };
}

function accepted(a: SendEmailAccepted): StoredAnswer {
  const location = `/api/v1/messages/${a.id}`;
  return { status: 202, body: a, headers: { location, 'retry-after': '1' } };
}
