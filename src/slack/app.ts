/**
 * Builds the Bolt app: Socket Mode (default) with an app-level token, pointed at a Slack API base URL
 * (real Slack, or the embedded emulator). Bolt's own logs go through pino.
 */
import { App, LogLevel, type Logger as BoltLogger } from '@slack/bolt';
import type { Logger } from 'pino';

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
 * aggressive one into shared options (stack-notes).
 */
export function createSlackApp(s: SlackSettings, log: Logger): App {
  const clientOptions = slackClientOptions(s);
  return new App({
    token: s.botToken,
    appToken: s.appToken,
    socketMode: true,
    clientOptions,
    installerOptions: { clientOptions },
    logger: boltLogger(log),
    logLevel: LogLevel.WARN,
  });
}
