import pino, { type Logger } from 'pino';
import type { LogLevel } from './config.js';

export type { Logger };

/**
 * Paths that may carry a secret anywhere in a structured log line. Redaction is a second line of
 * defence: code must not log secrets in the first place.
 */
const REDACT = [
  'password',
  '*.password',
  '*.*.password',
  'clientSecret',
  '*.clientSecret',
  '*.*.clientSecret',
  'refreshToken',
  '*.refreshToken',
  '*.*.refreshToken',
  'accessToken',
  '*.accessToken',
  'privateKey',
  '*.privateKey',
  '*.*.privateKey',
  'authorization',
  '*.authorization',
  '*.headers.authorization',
  'req.headers.authorization',
  'secret',
  '*.secret',
  'key',
  '*.key',
];

export function createLogger(level: LogLevel, destination?: NodeJS.WritableStream): Logger {
  return pino(
    { level, redact: { paths: REDACT, censor: '[redacted]' }, base: { pid: process.pid } },
    destination ?? process.stdout,
  );
}
