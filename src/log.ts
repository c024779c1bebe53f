/**
 * The bot's structured logger (pino, JSON lines). Redaction is set once here: a child logger's own
 * `redact` would replace the list (stack-notes). `*.x` paths match one level only, so the nestings the
 * code uses are listed (`test/log-redaction.test.ts` checks each one).
 *
 * Two layers keep secrets out of the logs:
 * 1. `redact` paths (pino's fast-redact) replace known secret-bearing fields with `[Redacted]`;
 * 2. a `hooks.streamWrite` scrubber (pino ≥ 8, `pino.d.ts` `hooks.streamWrite(s) => string`) replaces, in
 *    every finished line, the values of the secrets the process knows (`SLACK_BOT_TOKEN`,
 *    `SLACK_APP_TOKEN`, `SLACK_SIGNING_SECRET`, plus any passed in) and anything shaped like a Slack token
 *    (`xox?-…`, `xapp-…`) — so a secret inside an error message or an unexpected nesting is caught too.
 */
import pino, { type Logger, type DestinationStream } from 'pino';

/** Paths whose values are replaced by `[Redacted]`. */
export const REDACT_PATHS = [
  'token',
  '*.token',
  '*.*.token',
  'botToken',
  '*.botToken',
  '*.*.botToken',
  'appToken',
  '*.appToken',
  '*.*.appToken',
  'signingSecret',
  '*.signingSecret',
  '*.*.signingSecret',
  'headers.authorization',
  'headers.Authorization',
  '*.headers.authorization',
  '*.headers.Authorization',
  '*.*.headers.authorization',
  '*.*.headers.Authorization',
  'authorization',
  'Authorization',
  '*.authorization',
  '*.Authorization',
];

/** Slack token shapes: bot/user/app-config tokens (`xoxb-`, `xoxp-`, `xoxe-`, …) and app-level tokens (`xapp-`). */
const TOKEN_SHAPE = /\b(?:xox[a-z]|xapp)-[A-Za-z0-9_-]+/g;

/** Environment variables whose values are secrets. */
export const SECRET_ENV = ['SLACK_BOT_TOKEN', 'SLACK_APP_TOKEN', 'SLACK_SIGNING_SECRET', 'SLACK_CLIENT_SECRET'];

/**
 * A function that replaces every occurrence of the given secrets (and Slack-token-shaped strings) in a log
 * line with `[Redacted]`. Secrets shorter than 8 characters are ignored (they would match innocent text).
 */
export function secretScrubber(secrets: readonly string[]): (line: string) => string {
  const values = [...new Set(secrets.filter((s) => typeof s === 'string' && s.length >= 8))].sort((a, b) => b.length - a.length);
  // JSON-escaped forms too (a secret with `"` or `\` would appear escaped in the line)
  const forms = [...new Set(values.flatMap((v) => [v, JSON.stringify(v).slice(1, -1)]))];
  return (line) => {
    let out = line;
    for (const f of forms) if (out.includes(f)) out = out.split(f).join('[Redacted]');
    return out.replace(TOKEN_SHAPE, '[Redacted]');
  };
}

/**
 * Create the logger.
 * @param level pino level (default `LOG_LEVEL` or `info`);
 * @param dest a stream (tests);
 * @param secrets extra secret values to scrub from every line, besides those in {@link SECRET_ENV}.
 */
export function createLogger(level = process.env.LOG_LEVEL ?? 'info', dest?: DestinationStream, secrets: readonly string[] = []): Logger {
  const known = [...SECRET_ENV.map((k) => process.env[k] ?? ''), ...secrets];
  return pino(
    {
      level,
      redact: { paths: REDACT_PATHS, censor: '[Redacted]' },
      base: { app: 'dbupdate' },
      hooks: { streamWrite: secretScrubber(known) },
    },
    dest,
  );
}
