/** The outbox room's public face. */
export { Outbox, type OutboxDeps, type AcceptOptions } from './service.js';
export { IdempotencyStore, requestHash, canonicalJson, IDEMPOTENCY_TTL_MS, type StoredAnswer } from './idempotency.js';
export { outboxOptionsFromEnv, resolveOutboxOptions, DEFAULT_OUTBOX_OPTIONS, backoffMs, type OutboxOptions } from './options.js';
export * from './schema.js';
