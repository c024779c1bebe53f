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
 *    (`xox?-…`, `xapp-…`), and the one-time `ticket` of a Socket Mode URL (`wss://…/link/?ticket=…`, which
 *    the Socket Mode and Web API clients log at debug level) — so a secret inside an error message or an
 *    unexpected nesting is caught too.
 *
 * And one keeps user text from bloating them: every string of a log line's fields longer than
 * {@link MAX_LOGGED_STRING} characters (a 40 KB `--reason`, a hostile button value) is cut there, with
 * a marker saying how much was cut (`formatters.log`, which pino applies to every line's fields).
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

/**
 * The `ticket` query parameter of a Socket Mode WebSocket URL (https://api.slack.com/apis/socket-mode:
 * `apps.connections.open` returns `wss://wss-primary.slack.com/link/?ticket=…&app_id=…`), plain or
 * URL-encoded (`ticket%3D…`).
 */
const SOCKET_TICKET = /\b(ticket(?:=|%3D))[^&"\\\s]+/gi;

/** Longest string (characters) of a log line's fields; longer ones are cut with a marker. */
export const MAX_LOGGED_STRING = 1024;
/** Deepest nesting of a log line's fields that is walked to cut strings. */
const MAX_CAP_DEPTH = 6;

/** Cut `s` to {@link MAX_LOGGED_STRING} characters with a marker of how many were cut. */
export function capString(s: string, max = MAX_LOGGED_STRING): string {
  return s.length <= max ? s : `${s.slice(0, max)}…[truncated ${s.length - max} chars]`;
}

/**
 * Copy of a log line's fields with every string capped (`cap`, default {@link capString}), arrays too (at most
 * 100 items are kept); objects nested deeper than 6 levels are kept as they are. Pure; `Error`s and
 * other class instances are left to pino's serializers.
 */
export function capStrings(v: unknown, cap: (s: string) => string = capString, depth = 0): unknown {
  if (typeof v === 'string') return cap(v);
  if (depth >= MAX_CAP_DEPTH || v === null || typeof v !== 'object') return v;
  if (Array.isArray(v)) return (v.length > 100 ? [...v.slice(0, 100), `…[${v.length - 100} more]`] : v).map((x) => capStrings(x, cap, depth + 1));
  const proto = Object.getPrototypeOf(v);
  if (proto !== Object.prototype && proto !== null) return v;
  const out: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(v)) out[k] = capStrings(x, cap, depth + 1);
  return out;
}

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
    return out.replace(TOKEN_SHAPE, '[Redacted]').replace(SOCKET_TICKET, '$1[Redacted]');
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
  const scrub = secretScrubber(known);
  // A long string is scrubbed before it is cut, so a secret cut in two cannot escape the scrubber.
  const cap = (s: string) => (s.length > MAX_LOGGED_STRING ? capString(scrub(s)) : s);
  return pino(
    {
      level,
      redact: { paths: REDACT_PATHS, censor: '[Redacted]' },
      base: { app: 'dbupdate' },
      formatters: { log: (fields) => capStrings(fields, cap) as Record<string, unknown> },
      // The message string too (Bolt's debug lines carry whole payloads): pino.d.ts `hooks.logMethod`.
      hooks: {
        streamWrite: scrub,
        logMethod(args, method) {
          return method.apply(this, args.map((a) => (typeof a === 'string' ? cap(a) : a)) as Parameters<typeof method>);
        },
      },
    },
    dest,
  );
}
