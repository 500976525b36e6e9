import type { FastifyError, FastifyInstance } from 'fastify';
import { tooLong, tooMany } from '../email/index.js';
import { AppError } from '../errors.js';

/** `/Attachments/0/FileName` → `Attachments[0].FileName` */
export function fieldFromPointer(pointer: string): string | undefined {
  const parts = pointer.split('/').filter(Boolean);
  if (parts.length === 0) return undefined;
  return parts.map((p, i) => (/^\d+$/.test(p) ? `[${p}]` : i === 0 ? p : `.${p}`)).join('');
}

interface AjvError {
  instancePath: string;
  keyword: string;
  message?: string;
  params: Record<string, unknown>;
}

/** Turns a schema violation into an answer that names the field and says how to fix it. */
function validationError(err: FastifyError & { validation: AjvError[]; validationContext?: string }): AppError {
  const first = err.validation[0];
  const where = err.validationContext === 'body' ? '' : `${err.validationContext ?? 'request'} `;
  let field = fieldFromPointer(first.instancePath);
  if (first.keyword === 'additionalProperties') {
    const extra = String(first.params.additionalProperty);
    field = field ? `${field}.${extra}` : extra;
    return new AppError(400, 'UnknownProperty', `'${field}' is not a known ${where}property; remove it or check its spelling (names are case-sensitive).`, { field });
  }
  if (first.keyword === 'required') {
    const missing = String(first.params.missingProperty);
    field = field ? `${field}.${missing}` : missing;
    return new AppError(400, 'MissingProperty', `'${field}' is required in the ${where || 'body'}; add it and send again.`, { field });
  }
  if (first.keyword === 'maxLength') return tooLong(field, Number(first.params.limit));
  if (first.keyword === 'maxItems' || first.keyword === 'maxProperties') return tooMany(field, Number(first.params.limit));
  const label = field ? `'${field}'` : `The ${err.validationContext ?? 'request'}`;
  return new AppError(400, 'InvalidProperty', `${label} ${first.message ?? 'is not valid'}; fix it and send again.`, { field });
}

export function installErrorHandling(app: FastifyInstance): void {
  app.setErrorHandler((err: FastifyError, request, reply) => {
    let appError: AppError;
    if (err instanceof AppError) appError = err;
    else if ((err as { validation?: unknown }).validation) appError = validationError(err as never);
    else if (err.code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
      appError = new AppError(413, 'PayloadTooLarge', `The request body is larger than the ${app.initialConfig.bodyLimit} bytes this server accepts (SMTPFLOW_BODY_LIMIT); send smaller attachments, or ask the operator to raise the limit.`);
    } else if (err.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') {
      appError = new AppError(415, 'UnsupportedMediaType', 'Send the body as JSON with the header Content-Type: application/json.');
    } else if (err.code === 'FST_ERR_CTP_EMPTY_JSON_BODY' || err.code === 'FST_ERR_CTP_INVALID_JSON_BODY' || err instanceof SyntaxError) {
      // Fastify's parser also lands here for '__proto__' and 'constructor.prototype' keys, which it refuses to keep Object.prototype safe.
      appError = new AppError(400, 'InvalidJson', "The request body is not valid JSON, or uses '__proto__' or 'constructor' as a property name (refused); check quotes, commas, brackets and property names.");
    } else if (typeof err.statusCode === 'number' && err.statusCode >= 400 && err.statusCode < 500) {
      appError = new AppError(err.statusCode, 'BadRequest', err.message);
    } else {
      request.log.error({ err }, 'unhandled error');
      appError = new AppError(500, 'InternalError', `smtpflow failed on its own (request ${request.id}); nothing about your request was wrong. The server log has the details under that request id.`);
    }
    if (appError.status >= 500 && appError.code !== 'InternalError') request.log.warn({ code: appError.code }, appError.message);
    if (appError.headers) void reply.headers(appError.headers);
    void reply.status(appError.status).send(appError.toBody());
  });

  app.setNotFoundHandler((request, reply) => {
    void reply.status(404).send(new AppError(404, 'NotFound', `There is no ${request.method} ${request.url.split('?')[0]}; see GET /api/v1/openapi.json for the API.`).toBody());
  });
}
