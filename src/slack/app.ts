/**
 * Builds the Bolt app: Socket Mode (default) with an app-level token, pointed at a Slack API base URL
 * (real Slack, or the embedded emulator). Bolt's own logs go through pino.
 */
import { App, LogLevel, SocketModeReceiver, type Logger as BoltLogger } from '@slack/bolt';
import { Agent, fetch as undiciFetch, type Dispatcher } from 'undici';
import { assertHeld, type Fence } from '../kube/fence.js';
import { WebClient } from '@slack/web-api';
import type { Logger } from 'pino';
import { guardReconnects } from './socket-guard.js';

/** Slack connection settings. Tokens come from the environment, never from the config file. */
export interface SlackSettings {
  botToken: string;
  /** App-level token for Socket Mode (default mode). */
  appToken?: string;
  /** Signing secret: when set, the bot serves HTTP mode on `/slack/events` instead of Socket Mode. */
  signingSecret?: string;
  /** HTTP mode port (default 3000). */
  port?: number;
  /** Web API base URL ending in `/` (default Slack's `https://slack.com/api/`). */
  apiUrl?: string;
  /** WebClient retries (default: the SDK's; tests pass 0 or 1). */
  retries?: number;
  /** Socket Mode only: the undici Dispatcher for the WebSocket connections (src/startup/socket-watch.ts). */
  socketDispatcher?: Dispatcher;
}

/** Adapt a pino logger to Bolt's `Logger` interface. */
export function boltLogger(log: Logger): BoltLogger {
  let level: LogLevel = LogLevel.INFO;
  return {
    debug: (...m: unknown[]) => log.debug({ component: 'bolt' }, m.map(String).join(' ')),
    info: (...m: unknown[]) => log.info({ component: 'bolt' }, m.map(String).join(' ')),
    warn: (...m: unknown[]) => log.warn({ component: 'bolt' }, m.map(String).join(' ')),
    error: (...m: unknown[]) => log.error({ component: 'bolt' }, m.map(String).join(' ')),
    setLevel: (l: LogLevel) => {
      level = l;
    },
    getLevel: () => level,
    setName: () => undefined,
  };
}

/**
 * WebClient options shared by both modes: the API base URL (must end with `/`) and an explicit
 * `retryConfig` (the SDK retries 429s after `Retry-After`; `retries` defaults to 5).
 */
export function slackClientOptions(s: { apiUrl?: string; retries?: number }) {
  return {
    ...(s.apiUrl ? { slackApiUrl: s.apiUrl } : {}),
    retryConfig: { retries: s.retries ?? 5, factor: 1.5, minTimeout: 200, maxTimeout: 5000 },
  };
}

/**
 * A Bolt app in Socket Mode. The same `clientOptions` go to the Web API client and, through
 * `installerOptions.clientOptions`, to the Socket Mode client's `apps.connections.open` call
 * (`@slack/bolt` SocketModeReceiver). `retryConfig` is set explicitly: the socket client otherwise writes an
 * aggressive one into shared options (docs/stack-notes.md). The receiver is built here (Bolt's App would
 * build the same one, but passes no `dispatcher` on), so that its client's reconnects are guarded
 * (`./socket-guard.ts`: an SDK defect otherwise ends the process with an unhandled rejection).
 * Initialisation is deferred (Bolt's `deferInitialization`): call `await app.init()` (its `auth.test`,
 * whose failure it throws) before `app.start()`. Without it Bolt's constructor sends `auth.test` and keeps
 * the promise, which nobody awaits until the first event: with Slack unreachable its rejection went
 * unhandled (seen in CI: `WebAPIRequestError … fetch failed`, after the retries).
 */
export function createSlackApp(s: SlackSettings, log: Logger): App {
  const clientOptions = slackClientOptions(s);
  const logger = boltLogger(log);
  const receiver = new SocketModeReceiver({
    appToken: s.appToken ?? '',
    ...(s.socketDispatcher ? { dispatcher: s.socketDispatcher } : {}),
    logger,
    logLevel: LogLevel.WARN,
    installerOptions: { clientOptions },
  });
  guardReconnects(receiver.client, log);
  return new App({ token: s.botToken, receiver, clientOptions, logger, logLevel: LogLevel.WARN, deferInitialization: true });
}

/**
 * The WebClient the notifier posts with (`chat.postMessage` only): no retries, because a post is not
 * idempotent — a 500, a 504 or a dropped connection may come after Slack stored the message, and the
 * SDK would send it again (`@slack/web-api` WebClient.makeRequest retries every non-abort failure up to
 * `retryConfig.retries`). `rejectRateLimitedCalls: true` makes a 429 reject at once with
 * `WebAPIRateLimitedError` (`code` `slack_webapi_rate_limited_error`, `retryAfter` in s) instead of the
 * SDK's wait-then-retry, which `retries: 0` would turn into a failure after the wait: the notifier
 * waits `Retry-After` and posts again itself (a 429 means nothing was stored). Slack: "Rate limits",
 * https://api.slack.com/apis/rate-limits. With `fence`, every request is refused (FencedError, before it
 * is sent) unless this replica holds the Lease at the moment it leaves.
 */
export function createPostClient(s: { botToken: string; apiUrl?: string }, log: Logger, fence?: Fence): WebClient {
  return new WebClient(s.botToken, {
    ...slackClientOptions({ apiUrl: s.apiUrl, retries: 0 }),
    // The Lease is checked again at the moment the request leaves, not only when the caller decided to
    // post: a process frozen between the two (SIGSTOP, a long GC pause) would otherwise send after its
    // Lease lapsed (test/split-brain.test.ts). The SDK's requests go through this `fetch`.
    // And once more as the request is handed to its connection (an undici interceptor at dispatch, where a
    // kept-alive connection writes it at once): the fetch call's own check comes a few ticks before that,
    // and a process stopped in between sent the post after it woke (seen in test/split-brain.test.ts).
    ...(fence ? { fetch: fencedFetch(fence) as never } : {}),
    rejectRateLimitedCalls: true,
    logger: boltLogger(log),
    logLevel: LogLevel.WARN,
  });
}

/**
 * `fetch` for a client whose every request must be fenced: {@link assertHeld} when called, and again in an
 * undici interceptor when the request is dispatched to its connection (the last moment user code runs
 * before the bytes leave). A fenced request rejects (`FencedError`, or undici's `fetch failed` with it as
 * `cause`) and is never sent.
 */
export function fencedFetch(fence: Fence): (url: string, init?: RequestInit) => Promise<Response> {
  const dispatcher = new Agent().compose((dispatch) => (opts, handler) => {
    assertHeld(fence, 'a Slack write');
    return dispatch(opts, handler);
  });
  return (url, init) => {
    assertHeld(fence, 'a Slack write');
    return undiciFetch(url, { ...(init as object), dispatcher }) as unknown as Promise<Response>;
  };
}
