/**
 * Watches Slack's Socket Mode connection while it is not open, so a blocked WebSocket explains itself.
 *
 * The failure it is for: Slack's Web API answers (the start-up checks pass: `auth.test`,
 * `apps.connections.open`), but the WebSocket to the URL `apps.connections.open` returns never opens — a
 * proxy that lets HTTPS through but not WebSockets (the Web API client honours `HTTPS_PROXY`, undici's
 * WebSocket does not), a firewall without egress to `wss-primary.slack.com`, or an app token whose
 * connection Slack refuses. `@slack/socket-mode` 3.1 logs `WebSocket error occurred: ` with an empty message
 * (undici's WebSocket `error` event carries no cause, per the WHATWG spec) and reconnects every
 * `clientPingTimeout` × consecutive failures — but a successful `apps.connections.open` resets that count
 * (`SocketModeClient.retrieveWSSURL`), so the wait never grows: 5 s forever.
 *
 * So the client is given this watch's `dispatcher` (a documented `SocketModeReceiver` option: the undici
 * Dispatcher used for the WebSocket connections). It is an undici `Agent` whose connector
 * (`buildConnector`, undici's own) records the host and the connect error (ECONNREFUSED, ETIMEDOUT,
 * ENOTFOUND…), and, after failed attempts, waits before connecting: 1 s, 2 s, 4 s … up to 60 s on top of the
 * client's own 5 s, so the library's reconnect keeps doing the retrying and only the interval grows. The
 * HTTP status of a refused upgrade comes from undici's `undici:request:headers` diagnostics channel. Each
 * failed attempt is logged once, with its cause, host and the next wait; if the socket has not opened
 * for `giveUpMs` (default 2 min, `SLACK_CONNECT_TIMEOUT`), `onGiveUp` gets one line naming the likely cause.
 * (With a custom dispatcher the client cannot force-close a stalled close handshake by its socket; its 30 s
 * close timeout still applies.)
 */
import { channel, type Channel } from 'node:diagnostics_channel';
import type { Socket } from 'node:net';
import { Agent, buildConnector, type Dispatcher } from 'undici';
import type { Logger } from 'pino';

/** The Socket Mode client's events this watch reads (`@slack/socket-mode` `SocketModeClient`, an EventEmitter). */
export interface SocketModeEvents {
  on(event: 'authenticated', listener: (resp: { url?: string }) => void): unknown;
  on(event: 'connected' | 'disconnected' | 'reconnecting' | 'error', listener: (...args: unknown[]) => void): unknown;
}

/** Options of {@link SocketModeWatch}. */
export interface SocketWatchOptions {
  log: Logger;
  /** How long the socket may stay unopened (since start or since it last closed) before `onGiveUp`, in ms (default 120,000). */
  giveUpMs?: number;
  /** First extra wait before a reconnect after a failure, in ms (default 1,000); doubles per failure. */
  minDelayMs?: number;
  /** Longest extra wait, in ms (default 60,000). */
  maxDelayMs?: number;
  /** Called once with one line (cause and what to do) when `giveUpMs` passed without an open socket. */
  onGiveUp: (line: string) => void;
  /** The environment read for proxy settings (default `process.env`). */
  env?: NodeJS.ProcessEnv;
}

/** State of the connection for `/readyz`. */
export interface SocketState {
  connected: boolean;
  /** One line: `connected to <host>`, or what is being tried and the last failure. */
  detail: string;
}

/** Connect error codes of a network path that is blocked or down (Node/undici codes). */
const BLOCKED = new Set(['ECONNREFUSED', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ECONNRESET', 'UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_SOCKET', 'EPIPE']);
const DNS = new Set(['ENOTFOUND', 'EAI_AGAIN']);

/** `2m`, `45s`, `1500ms` (or a bare number of ms) → ms; undefined for anything else. */
export function parseTimeout(text: string | undefined): number | undefined {
  if (text === undefined || text.trim() === '') return undefined;
  const m = /^(\d+(?:\.\d+)?)\s*(ms|s|m)?$/.exec(text.trim());
  if (!m) return undefined;
  const n = Number(m[1]);
  return Math.round(m[2] === 'm' ? n * 60_000 : m[2] === 's' ? n * 1000 : n);
}

/** `2 min`, `45 s` for messages. */
function human(ms: number): string {
  return ms >= 60_000 && ms % 60_000 === 0 ? `${ms / 60_000} min` : `${Math.round(ms / 1000)} s`;
}

/** The proxy variable in effect, if any (`HTTPS_PROXY`, `https_proxy`, `HTTP_PROXY`, `http_proxy`, `ALL_PROXY`). */
function proxyVariable(env: NodeJS.ProcessEnv): string | undefined {
  return ['HTTPS_PROXY', 'https_proxy', 'HTTP_PROXY', 'http_proxy', 'ALL_PROXY', 'all_proxy'].find((k) => env[k]);
}

/**
 * The likely cause of a Socket Mode WebSocket that does not open, as one sentence with what to do (pure).
 * @param cause the last attempt's cause: a connect error code (`ECONNREFUSED`), `HTTP <status>` for a
 *   refused upgrade, or undefined when nothing was learnt.
 */
export function likelyCause(host: string, cause: string | undefined, env: NodeJS.ProcessEnv): string {
  const proxy = proxyVariable(env);
  const status = /^HTTP (\d{3})$/.exec(cause ?? '')?.[1];
  if (status === '401') return `the app token: Slack refused the WebSocket (HTTP 401). Check SLACK_APP_TOKEN (an app-level token with connections:write, api.slack.com/apps → Basic Information → App-Level Tokens)`;
  if (proxy) {
    return `a proxy: ${proxy} is set, and Slack's Web API goes through it, but the Socket Mode WebSocket connects to ${host} directly${cause ? ` (${cause})` : ''}. Allow direct egress to ${host}:443 (wss), or run in HTTP mode (SLACK_SIGNING_SECRET)`;
  }
  if (status) return `a proxy or firewall that refuses WebSocket upgrades to ${host} (HTTP ${status}). Allow wss:// to ${host}:443, or run in HTTP mode (SLACK_SIGNING_SECRET)`;
  if (cause && DNS.has(cause)) return `DNS: ${host} does not resolve (${cause}). Check the pod's DNS and egress to ${host}`;
  if (cause && BLOCKED.has(cause)) return `a firewall or network policy blocking egress to ${host}:443 (${cause}). Allow wss:// to ${host}, or run in HTTP mode (SLACK_SIGNING_SECRET)`;
  return `a proxy or firewall between the bot and ${host}${cause ? ` (${cause})` : ''}, or the app token (SLACK_APP_TOKEN). Allow wss:// to ${host}:443`;
}

/** See the module comment. */
export class SocketModeWatch {
  /** Give this to the Socket Mode receiver (`dispatcher` option). */
  readonly dispatcher: Dispatcher;
  private readonly o: Required<Omit<SocketWatchOptions, 'env'>> & { env: NodeJS.ProcessEnv };
  private url: URL | undefined;
  private connected = false;
  private failures = 0;
  private attemptCause: string | undefined;
  private lastCause: string | undefined;
  private lastHost: string | undefined;
  private giveUpTimer: NodeJS.Timeout | undefined;
  private gaveUp = false;
  private readonly headers: Channel = channel('undici:request:headers');
  private readonly onHeaders = (m: unknown) => this.sawHeaders(m as { request?: { origin?: string; path?: string }; response?: { statusCode?: number } });

  constructor(opts: SocketWatchOptions) {
    this.o = { giveUpMs: 120_000, minDelayMs: 1000, maxDelayMs: 60_000, env: process.env, ...opts } as typeof this.o;
    const connect = buildConnector({ allowH2: false });
    this.dispatcher = new Agent({
      connect: (options, callback) => {
        const host = `${options.hostname}${options.port ? `:${options.port}` : ''}`;
        this.lastHost = host;
        const go = () =>
          connect(options, (err, socket) => {
            if (err) this.attemptCause = (err as { code?: string }).code ?? err.message;
            if (err || !socket) callback(err ?? new Error('no socket'), null);
            else callback(null, socket as Socket);
          });
        const wait = this.delayMs();
        if (wait > 0) setTimeout(go, wait).unref();
        else go();
      },
    });
    this.headers.subscribe(this.onHeaders);
    this.armGiveUp();
  }

  /** The extra wait before the next connection: 0 until an attempt failed, then 1 s, 2 s, 4 s … ≤ 60 s. */
  delayMs(): number {
    if (this.failures === 0) return 0;
    return Math.min(this.o.minDelayMs * 2 ** (this.failures - 1), this.o.maxDelayMs);
  }

  /** Follow a Socket Mode client (a `SocketModeClient`: Bolt's `SocketModeReceiver.client`). */
  attach(client: SocketModeEvents): void {
    client.on('authenticated', (resp) => {
      try {
        if (resp?.url) this.url = new URL(resp.url);
      } catch {
        /* not a URL: the client will fail on it and say so */
      }
    });
    client.on('connected', () => this.opened());
    client.on('error', () => this.failed());
    client.on('disconnected', () => this.closed());
    client.on('reconnecting', () => this.closed());
  }

  /** For `/readyz`. */
  state(): SocketState {
    if (this.connected) return { connected: true, detail: `connected to ${this.host()}` };
    if (this.failures === 0) return { connected: false, detail: `connecting to ${this.host()}` };
    return { connected: false, detail: `the WebSocket to ${this.host()} did not open (${this.failures} attempt(s), last: ${this.lastCause ?? 'no detail'})` };
  }

  /** Stop watching (timers, diagnostics subscription, the dispatcher's idle sockets). */
  async close(): Promise<void> {
    clearTimeout(this.giveUpTimer);
    this.giveUpTimer = undefined;
    this.headers.unsubscribe(this.onHeaders);
    await this.dispatcher.close().catch(() => undefined);
  }

  private host(): string {
    return this.url?.host ?? this.lastHost ?? 'Slack';
  }

  private sawHeaders(m: { request?: { origin?: string; path?: string }; response?: { statusCode?: number } }): void {
    const url = this.url;
    if (!url || !m.request?.origin || m.response?.statusCode === undefined || m.response.statusCode === 101) return;
    let origin: URL;
    try {
      origin = new URL(m.request.origin);
    } catch {
      return;
    }
    if (origin.host === url.host && (m.request.path ?? '').startsWith(url.pathname)) this.attemptCause = `HTTP ${m.response.statusCode}`;
  }

  private opened(): void {
    if (this.failures > 0) this.o.log.info({ host: this.host(), attempts: this.failures + 1 }, `Slack Socket Mode connected to ${this.host()} after ${this.failures} failed attempt(s)`);
    this.connected = true;
    this.failures = 0;
    this.attemptCause = undefined;
    clearTimeout(this.giveUpTimer);
    this.giveUpTimer = undefined;
  }

  private failed(): void {
    this.failures += 1;
    this.lastCause = this.attemptCause ?? this.lastCause;
    this.attemptCause = undefined;
    const next = this.delayMs();
    this.o.log.warn(
      { host: this.host(), cause: this.lastCause ?? null, attempt: this.failures, nextAttemptInMs: next + 5000 },
      `Slack Socket Mode: the WebSocket to ${this.host()} did not open (${this.lastCause ?? 'no detail from the WebSocket client'}); attempt ${this.failures}, next in about ${Math.round((next + 5000) / 1000)} s`,
    );
  }

  private closed(): void {
    if (this.connected) {
      this.connected = false;
      this.armGiveUp();
    }
  }

  private armGiveUp(): void {
    clearTimeout(this.giveUpTimer);
    this.giveUpTimer = setTimeout(() => {
      if (this.connected || this.gaveUp) return;
      this.gaveUp = true;
      const host = this.host();
      this.o.onGiveUp(
        `Slack's Web API answers, but the Socket Mode WebSocket to ${host} did not open within ${human(this.o.giveUpMs)} (${this.failures} attempt(s), last: ${this.lastCause ?? 'no detail'}). Likely cause: ${likelyCause(host, this.lastCause, this.o.env)}`,
      );
    }, this.o.giveUpMs);
    this.giveUpTimer.unref();
  }
}
