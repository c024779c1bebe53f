/**
 * The bot's structured logger (pino, JSON lines). Redaction is set once here: a child logger's own
 * `redact` would replace the list (stack-notes). `*.x` paths match one level only, so the common
 * nestings are listed.
 */
import pino, { type Logger, type DestinationStream } from 'pino';

/** Paths whose values are replaced by `[Redacted]`. */
export const REDACT_PATHS = [
  'token',
  '*.token',
  '*.*.token',
  'botToken',
  '*.botToken',
  'appToken',
  '*.appToken',
  'signingSecret',
  '*.signingSecret',
  'headers.authorization',
  '*.headers.authorization',
  'authorization',
  '*.authorization',
];

/** Create the logger. @param level pino level (default `LOG_LEVEL` or `info`); @param dest a stream (tests). */
export function createLogger(level = process.env.LOG_LEVEL ?? 'info', dest?: DestinationStream): Logger {
  return pino({ level, redact: { paths: REDACT_PATHS, censor: '[Redacted]' }, base: { app: 'dbupdate' } }, dest);
}
