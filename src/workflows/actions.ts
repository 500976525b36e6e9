import { AppError, type SmtpReply } from '../errors.js';
import { evaluateValue, type EvaluationContext } from '../expressions/index.js';
import { actionConnection, connectionNameOf, isObject, sendEmailPath, type ActionDef, type WorkflowParameters } from './definition.js';
import type { WorkflowMailer } from './mail.js';
import type { RunError } from './runs.js';

/** Why an action failed; `retryable` failures are retried under the action's retryPolicy. */
export class ActionFailure extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly retryable = false,
    readonly smtp?: SmtpReply,
    readonly status: 'Failed' | 'TimedOut' = 'Failed',
  ) {
    super(message);
    this.name = 'ActionFailure';
  }

  toError(action: string): RunError {
    return { code: this.code, message: this.message, action, ...(this.smtp ? { smtp: this.smtp } : {}) };
  }
}

export interface LeafResult {
  outputs: unknown;
  body: unknown;
}

export interface LeafContext {
  runId: string;
  /** Unique per action and repetition within the run. */
  key: string;
  attempt: number;
  signal: AbortSignal;
  parameters: WorkflowParameters;
  mailer: WorkflowMailer;
  tracking?: Record<string, unknown>;
  saveTracking(tracking: Record<string, unknown>): Promise<void>;
  respond(response: HttpResponse): Promise<void>;
}

export interface HttpResponse {
  statusCode: number;
  headers: Record<string, string>;
  body: unknown;
}

/** Evaluates the inputs a leaf action records and runs with. */
export function evaluateInputs(kind: string, action: ActionDef, parameters: WorkflowParameters, ctx: EvaluationContext): unknown {
  if (kind !== 'SendEmail') return evaluateValue(action.inputs ?? null, ctx);
  const path = sendEmailPath(action) ?? 'SendEmailV2';
  const connection = actionConnection(action, parameters);
  let name = connection.name;
  if (!name && connection.expression) name = connectionFromValue(evaluateValue(connection.expression, ctx), parameters);
  if (!name) throw new ActionFailure('InvalidConnection', `The action names no connection${connection.problem ? `: it ${connection.problem}` : ''}.`);
  const inputs = action.inputs ?? {};
  let email: unknown;
  if (action.type.toLowerCase() === 'sendemail') {
    const { connection: _c, path: _p, retryPolicy: _r, ...fields } = inputs as Record<string, unknown>;
    email = evaluateValue(fields as never, ctx);
  } else {
    email = evaluateValue(inputs.body ?? null, ctx);
  }
  if (!isObject(email)) throw new ActionFailure('InvalidTemplate', 'The Send Email body must evaluate to an object of Send Email fields.');
  return { connection: name, path: `/${path}`, body: email };
}

/** A connectionId evaluated at run time: match it against `$connections`, else use its last path segment. */
function connectionFromValue(value: unknown, parameters: WorkflowParameters): string | undefined {
  if (typeof value !== 'string' || !value) return undefined;
  for (const ref of Object.values(parameters.$connections?.value ?? {})) if (ref?.connectionId === value) return connectionNameOf(ref);
  return value.split('/').filter(Boolean).pop();
}

export async function runLeaf(kind: string, inputs: any, ctx: LeafContext): Promise<LeafResult> {
  switch (kind) {
    case 'Compose':
      return { outputs: inputs, body: inputs };
    case 'Response': {
      const response = toResponse(inputs);
      await ctx.respond(response);
      return { outputs: response, body: response.body };
    }
    case 'SendEmail':
      return sendEmail(inputs, ctx);
    default:
      throw new ActionFailure('UnsupportedAction', `Actions of kind ${kind} cannot run here.`);
  }
}

function toResponse(inputs: any): HttpResponse {
  const statusCode = Number(inputs?.statusCode ?? 200);
  if (!Number.isInteger(statusCode) || statusCode < 100 || statusCode > 599) throw new ActionFailure('InvalidTemplate', `The Response statusCode ${JSON.stringify(inputs?.statusCode)} is not an HTTP status code.`);
  const headers: Record<string, string> = {};
  if (isObject(inputs?.headers)) for (const [k, v] of Object.entries(inputs.headers)) headers[k] = typeof v === 'string' ? v : JSON.stringify(v);
  for (const [k, v] of Object.entries(headers)) if (/[\r\n]/.test(k) || /[\r\n]/.test(v)) throw new ActionFailure('InvalidTemplate', `The Response header '${k}' contains a line break.`);
  return { statusCode, headers, body: inputs?.body ?? null };
}

async function sendEmail(inputs: { connection: string; path: string; body: Record<string, unknown> }, ctx: LeafContext): Promise<LeafResult> {
  const requestId = `${ctx.key}#${ctx.attempt}`;
  let id = typeof ctx.tracking?.messageId === 'string' && ctx.tracking.attempt === ctx.attempt ? ctx.tracking.messageId : undefined;
  id ??= await ctx.mailer.findEnqueued(ctx.runId, requestId);
  if (!id) {
    try {
      id = (await ctx.mailer.enqueue({ connection: inputs.connection, path: inputs.path.slice(1) as never, email: inputs.body, runId: ctx.runId, requestId })).id;
    } catch (err) {
      if (err instanceof AppError) throw new ActionFailure(err.code, err.message, err.status === 429 || err.status >= 500, err.smtp);
      throw err;
    }
  }
  await ctx.saveTracking({ messageId: id, attempt: ctx.attempt });
  const final = await ctx.mailer.waitForFinal(id, ctx.signal);
  const body = { id: final.id, messageId: final.messageId, status: final.status, accepted: final.accepted, rejected: final.rejected, response: final.response };
  if (final.status === 'sent') return { outputs: { statusCode: 200, body }, body };
  if (final.status === 'cancelled') throw new ActionFailure('MessageCancelled', `The message ${final.id} was cancelled before it was sent.`);
  const smtp = final.error?.smtp ?? (final.response ? { response: final.response } : undefined);
  const code = smtp?.code;
  // A permanent SMTP rejection (5xx) will not change on a retry; a transient one may (the outbox already retried it until its lifetime).
  const retryable = code === undefined || (code >= 400 && code < 500);
  const reply = smtp?.response ?? final.response;
  throw new ActionFailure(final.error?.code ?? 'SendFailed', `${final.error?.message ?? 'The SMTP server did not accept the message.'}${reply && !(final.error?.message ?? '').includes(reply) ? ` SMTP reply: ${reply}` : ''}`, retryable, smtp);
}
