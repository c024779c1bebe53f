/**
 * The Bolt app in HTTP mode: Slack POSTs commands, interactivity and events to `/slack/events`, signed with
 * the app's signing secret (`SLACK_SIGNING_SECRET`, from the environment only).
 *
 * Signature checking is Bolt's own, in `HTTPReceiver` (the receiver `App` builds by default when
 * `socketMode` is off — `@slack/bolt` 5.1 `dist/App.js` `initReceiver`; built here with the same options):
 * `HTTPReceiver.handleIncomingEvent` calls `parseAndVerifyHTTPRequest` (`dist/receivers/HTTPModuleFunctions.js`),
 * which reads `x-slack-signature` and `x-slack-request-timestamp` (a missing header throws in `getHeader`)
 * and calls `verifySlackRequest` (`dist/receivers/verify-request.js`): a timestamp older than 5 minutes
 * ("request is stale") or an HMAC that differs (`v0=` + HMAC-SHA256 of `v0:{ts}:{raw body}`, compared with
 * `tsscmp`) throws. Every such throw is answered `buildNoBodyResponse(res, 401)` before the body is parsed
 * or any listener runs. So Bolt already answers 401 to those; `test/slack-http-mode.test.ts` checks it on
 * the wire. (Form bodies `ssl_check=1` skip the check by Slack's design; Bolt strips anything
 * else from such a body and answers 200 without dispatching.)
 *
 * What Bolt 5.1 does not check is a timestamp from the *future*: `verifySlackRequest` only refuses
 * `ts < now − 5 min`. Slack's guide (https://api.slack.com/authentication/verifying-requests-from-slack,
 * "abs(time.time() - timestamp) > 60 * 5" → ignore the request) refuses both directions, so a request
 * signed with a timestamp far ahead (a captured-and-held or pre-signed request, or a skewed clock) stays
 * replayable for longer than 5 minutes. So the receiver is built here as `App` would build it, and its
 * request listener is wrapped to answer 401 to a timestamp more than {@link MAX_CLOCK_SKEW_S} ahead
 * before Bolt's own checks run.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { App, HTTPReceiver, LogLevel } from '@slack/bolt';
import type { Logger } from 'pino';
import { boltLogger, slackClientOptions } from './app.js';

/** HTTP-mode settings. Secrets come from the environment, never from the config file. */
export interface HttpSlackSettings {
  /** Bot token (`xoxb-…`, `SLACK_BOT_TOKEN`). */
  botToken: string;
  /** Signing secret (`SLACK_SIGNING_SECRET`). */
  signingSecret: string;
  /** Web API base URL ending in `/` (default Slack's). */
  apiUrl?: string;
  /** WebClient retries (default 5; tests 0 or 1). */
  retries?: number;
  /** Port `app.start()` listens on (default 3000; 0 = any free port). */
  port?: number;
}

/** Largest difference (s) between a request's `x-slack-request-timestamp` and the local clock, either way (Slack's 5 minutes). */
export const MAX_CLOCK_SKEW_S = 5 * 60;

/**
 * Whether a request's `x-slack-request-timestamp` (Unix seconds) lies more than {@link MAX_CLOCK_SKEW_S}
 * ahead of `nowMs`. A missing or malformed header is left to Bolt (which answers 401).
 */
export function fromTheFuture(header: string | string[] | undefined, nowMs = Date.now()): boolean {
  const ts = typeof header === 'string' && /^\d+$/.test(header) ? Number(header) : NaN;
  return Number.isFinite(ts) && ts > Math.floor(nowMs / 1000) + MAX_CLOCK_SKEW_S;
}

/** Path Slack posts to (the Request URL of slash commands, interactivity and events in the manifest). */
export const SLACK_EVENTS_PATH = '/slack/events';

/**
 * A Bolt app served over HTTP on {@link SLACK_EVENTS_PATH}, with signature verification (401 on a forged
 * signature, a stale timestamp or a missing header). Register handlers on it as on the Socket Mode app
 * (`registerListeners(app, deps)`), then `await app.init()` (Bolt's deferred initialisation: `auth.test`,
 * its failure thrown) and `const server = await app.start()` (an `http.Server`; with
 * `port: 0`, `(server.address() as AddressInfo).port` is the port) and `await app.stop()`.
 * @throws AppInitializationError (Bolt) when `signingSecret` is empty.
 */
export function createHttpSlackApp(s: HttpSlackSettings, log: Logger): App {
  if (!s.signingSecret) throw new Error('SLACK_SIGNING_SECRET must be set for HTTP mode (Slack app → Basic Information → Signing Secret).');
  const clientOptions = slackClientOptions(s);
  const logger = boltLogger(log);
  // As App.initReceiver builds its default receiver from the same options (@slack/bolt 5.1 dist/App.js).
  const receiver = new HTTPReceiver({ signingSecret: s.signingSecret, endpoints: [SLACK_EVENTS_PATH], port: s.port ?? 3000, logger, logLevel: LogLevel.WARN });
  const verified = receiver.requestListener;
  receiver.requestListener = (req: IncomingMessage, res: ServerResponse) => {
    if (fromTheFuture(req.headers['x-slack-request-timestamp'])) {
      log.warn({ path: req.url, timestamp: req.headers['x-slack-request-timestamp'] }, 'refused a Slack request timestamped more than 5 minutes in the future (401)');
      res.writeHead(401).end();
      return;
    }
    verified(req, res);
  };
  return new App({
    token: s.botToken,
    receiver,
    clientOptions,
    logger,
    logLevel: LogLevel.WARN,
    // `await app.init()` before `app.start()` (see createSlackApp in ./app.ts: an auth.test nobody awaits).
    deferInitialization: true,
  });
}
