/**
 * The Bolt app in HTTP mode: Slack POSTs commands, interactivity and events to `/slack/events`, signed with
 * the app's signing secret (`SLACK_SIGNING_SECRET`, from the environment only).
 *
 * Signature checking is Bolt's own, with its default receiver (`HTTPReceiver`, chosen by `App` when
 * `socketMode` is off and no receiver is given — `@slack/bolt` 5.1 `dist/App.js` `initReceiver`):
 * `HTTPReceiver.handleIncomingEvent` calls `parseAndVerifyHTTPRequest` (`dist/receivers/HTTPModuleFunctions.js`),
 * which reads `x-slack-signature` and `x-slack-request-timestamp` (a missing header throws in `getHeader`)
 * and calls `verifySlackRequest` (`dist/receivers/verify-request.js`): a timestamp older than 5 minutes
 * ("request is stale") or an HMAC that differs (`v0=` + HMAC-SHA256 of `v0:{ts}:{raw body}`, compared with
 * `tsscmp`) throws. Every such throw is answered `buildNoBodyResponse(res, 401)` before the body is parsed
 * or any listener runs. So Bolt already answers 401 and no wrapper is needed; `test/slack-http-mode.test.ts`
 * checks it on the wire. (Form bodies `ssl_check=1` skip the check by Slack's design; Bolt strips anything
 * else from such a body and answers 200 without dispatching.)
 */
import { App, LogLevel } from '@slack/bolt';
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

/** Path Slack posts to (the Request URL of slash commands, interactivity and events in the manifest). */
export const SLACK_EVENTS_PATH = '/slack/events';

/**
 * A Bolt app served over HTTP on {@link SLACK_EVENTS_PATH}, with signature verification (401 on a forged
 * signature, a stale timestamp or a missing header). Register handlers on it as on the Socket Mode app
 * (`registerHandlers(app, deps)`), then `const server = await app.start()` (an `http.Server`; with
 * `port: 0`, `(server.address() as AddressInfo).port` is the port) and `await app.stop()`.
 * @throws AppInitializationError (Bolt) when `signingSecret` is empty.
 */
export function createHttpSlackApp(s: HttpSlackSettings, log: Logger): App {
  if (!s.signingSecret) throw new Error('SLACK_SIGNING_SECRET must be set for HTTP mode (Slack app → Basic Information → Signing Secret).');
  const clientOptions = slackClientOptions(s);
  return new App({
    token: s.botToken,
    signingSecret: s.signingSecret,
    endpoints: [SLACK_EVENTS_PATH],
    port: s.port ?? 3000,
    socketMode: false,
    clientOptions,
    logger: boltLogger(log),
    logLevel: LogLevel.WARN,
  });
}
