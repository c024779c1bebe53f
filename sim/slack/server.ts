/**
 * The Slack emulator: one HTTP server on 127.0.0.1 serving the Web API under `/api/<method>`, the
 * `response_url`s under `/response/<id>`, and Socket Mode WebSockets under `/link/`. The real Bolt app
 * talks to it with `clientOptions.slackApiUrl = emulator.apiUrl` (and the same `clientOptions` reach
 * the Socket Mode client through `installerOptions.clientOptions`, which Bolt fills in by itself).
 *
 * Tests and the demo act as people through `typeCommand`, `clickButton` and `submitView`, read the
 * workspace with `messages`/`replies`/`transcript`, and inject faults (`faults`, `setRateLimit`,
 * `disconnectSockets`, `dropSockets`). Wire formats follow https://api.slack.com/web and
 * https://api.slack.com/apis/socket-mode.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { EventEmitter } from 'node:events';
import { createHmac, randomBytes, randomUUID } from 'node:crypto';
import { APP, DEFAULT_USERS, TEAM, Workspace, compareTs, type SlackChannel, type SlackMessage, type SlackUser } from './store.js';
import { METHODS, SlackApiError, type MethodEnv } from './methods.js';
import { parseArgs, send } from './http.js';
import { AckTimeoutError, SocketHub, type EnvelopeRecord } from './socket.js';
import { TriggerStore, ViewStore, type OpenView } from './views.js';
import { renderTranscript } from './transcript.js';
import { blockActionsPayload, envelope, findElement, httpBody, payloadUser, slashCommandPayload, viewSubmissionPayload, type Envelope, type PayloadContext, type ViewValues } from './payloads.js';
import { appHomeOpenedEvent, eventCallbackPayload, globalShortcutPayload } from './payloads.js';

export type { SlackUser, SlackMessage, SlackChannel } from './store.js';
export type { OpenView } from './views.js';
export type { EnvelopeRecord } from './socket.js';
export { AckTimeoutError } from './socket.js';

/** One Web API call as the emulator saw it. `params` excludes `token`; JSON-string arguments (`blocks`, `view`, `metadata`, `attachments`) are decoded. `status` is the HTTP status (200, 429, 500). */
export interface RecordedCall {
  method: string;
  params: Record<string, unknown>;
  ok: boolean;
  error?: string;
  status: number;
  at: number;
  /** `process.hrtime.bigint()` when the call was answered (benchmarks: notification latency). */
  atNs?: bigint;
}

/** An injected failure for the next `times` calls of `method` (`'*'` for any method). */
export interface Fault {
  method: string;
  /**
   * `ratelimit`: HTTP 429 with `Retry-After`; `http500`: HTTP 500; `error`: HTTP 200 `{ok:false, error}`.
   * `stored-http500` / `stored-http504` / `stored-reset`: the call is carried out (a message is stored)
   * and then answered with HTTP 500, with HTTP 504 (a gateway timing out), or not at all (the connection
   * is reset) — what a client sees when Slack's edge fails after the backend acted.
   */
  kind: 'ratelimit' | 'http500' | 'error' | 'stored-http500' | 'stored-http504' | 'stored-reset';
  /** Error code for `kind: 'error'` (default `internal_error`). */
  error?: string;
  /** `Retry-After` seconds for `ratelimit` (default 1; the WebClient reads whole seconds). */
  retryAfterSeconds?: number;
  times: number;
}

/** A POST the app made to a `response_url`. */
export interface ResponsePost {
  responseUrlId: string;
  body: unknown;
  status: number;
  at: number;
}

/** Options of `SlackEmulator.start`. */
export interface SlackEmulatorOptions {
  /** Workspace members (default alice, bob, carol, dave; the bot user is always added). */
  users?: SlackUser[];
  /** Channels added to the defaults `C_GENERAL` (#general) and `C_DBOPS` (#db-ops). */
  channels?: Array<{ id: string; name: string }>;
  /** Socket Mode ack deadline, ms (default 3000, Slack's). */
  ackTimeoutMs?: number;
  /** Interval of server pings on Socket Mode connections, ms (default 10000). */
  pingIntervalMs?: number;
  /** Answer every Socket Mode WebSocket upgrade with this HTTP status (e.g. 403) while the Web API works (see {@link SlackEmulator.refuseWebSockets}). */
  refuseWebSockets?: number;
}

interface ResponseUrl {
  id: string;
  channel: string;
  user: string;
  kind: 'command' | 'action';
  messageTs?: string;
  createdAt: number;
  uses: number;
  lastPosted?: string;
}

/** `response_url`s accept up to 5 posts within 30 minutes (https://api.slack.com/interactivity/handling#message_responses). */
const RESPONSE_URL_TTL_MS = 30 * 60_000;
const RESPONSE_URL_MAX_USES = 5;

type WaitOpts = { timeoutMs?: number; what?: string };

/** The Slack emulator. Create with `SlackEmulator.start()`; stop the app first, then `stop()`. */
export class SlackEmulator {
  /** Web API base URL, `http://127.0.0.1:PORT/api/` (ends with `/`, as `slackApiUrl` requires). */
  readonly apiUrl: string;
  /** The bot token (`xoxb-…`) accepted by every method except `apps.connections.open`. */
  readonly botToken = `xoxb-${TEAM.id}-${randomBytes(12).toString('hex')}`;
  /** The app-level token (`xapp-…`), accepted only by `apps.connections.open`. */
  readonly appToken = `xapp-1-${APP.id}-${randomBytes(12).toString('hex')}`;
  /** Secret for HTTP-mode request signatures (`signRequest`). */
  readonly signingSecret = randomBytes(16).toString('hex');
  /** Every Web API call, in order. */
  readonly calls: RecordedCall[] = [];
  /** Every POST to a `response_url`, in order. */
  readonly responsePosts: ResponsePost[] = [];
  /** The bot user's id (`U_DBUPDATE`). */
  readonly botUserId = APP.botUserId;
  /** Injected failures, consumed in order of addition. */
  readonly faults: { add(f: Fault): void; clear(): void; readonly pending: readonly Fault[] };

  private readonly ws: Workspace;
  private readonly hub: SocketHub;
  private readonly triggers = new TriggerStore();
  private readonly views = new ViewStore();
  private readonly responseUrls = new Map<string, ResponseUrl>();
  private readonly sentEnvelopes = new Map<string, Envelope>();
  private readonly changes = new EventEmitter();
  private readonly faultList: Fault[] = [];
  private readonly postTimes = new Map<string, number[]>();
  private rateLimit: { postMessagePerChannelPerSecond?: number } = {};
  private readonly verificationToken = randomBytes(12).toString('hex');
  private httpEndpoint: string | undefined;
  private readonly ackTimeoutMs: number;

  private constructor(
    private readonly server: Server,
    port: number,
    opts: SlackEmulatorOptions,
  ) {
    this.apiUrl = `http://127.0.0.1:${port}/api/`;
    this.ackTimeoutMs = opts.ackTimeoutMs ?? 3000;
    this.ws = new Workspace(opts.users ?? DEFAULT_USERS, opts.channels ?? []);
    this.hub = new SocketHub(`ws://127.0.0.1:${port}/`, this.ackTimeoutMs, APP.id, () => this.notify(), opts.pingIntervalMs);
    this.hub.refuseUpgrades = opts.refuseWebSockets;
    const list = this.faultList;
    this.faults = {
      add: (f) => {
        list.push({ ...f });
      },
      clear: () => {
        list.length = 0;
      },
      get pending() {
        return list;
      },
    };
    this.changes.setMaxListeners(0);
    server.on('request', (req, res) => void this.onRequest(req, res));
    server.on('upgrade', (req, socket, head) => this.hub.handleUpgrade(req, socket, head));
  }

  /** Start the emulator on an ephemeral port of 127.0.0.1. */
  static async start(opts: SlackEmulatorOptions = {}): Promise<SlackEmulator> {
    const server = createServer();
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    return new SlackEmulator(server, (server.address() as AddressInfo).port, opts);
  }

  /**
   * Stop: pending acks reject, sockets close (handshakes in progress may finish, up to 500 ms), then the
   * HTTP server. Stop the Bolt apps first: a still-running Socket Mode client would try to reconnect to
   * a closed server and its failed `apps.connections.open` surfaces as an unhandled rejection.
   */
  async stop(): Promise<void> {
    await this.hub.close();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  // ---- workspace reads ----

  /** Members of the workspace, humans first then the bot user. */
  users(): SlackUser[] {
    return [...this.ws.users.values()].map((u) => ({ ...u }));
  }

  /** All messages of a channel (id or name): top-level, replies and ephemerals (flagged with `ephemeralTo`), in ts order. Copies: re-read to see later edits. */
  messages(channel: string): SlackMessage[] {
    return this.ws.messages(this.ws.channel(channel)?.id ?? channel).map(snapshot);
  }

  /** The replies of a thread (not the parent), in ts order. */
  replies(channel: string, threadTs: string): SlackMessage[] {
    return this.messages(channel).filter((m) => m.thread_ts === threadTs && m.ts !== threadTs);
  }

  /** One message by channel and ts (a copy), or undefined. */
  message(channel: string, ts: string): SlackMessage | undefined {
    const m = this.ws.find(this.ws.channel(channel)?.id ?? channel, ts);
    return m ? snapshot(m) : undefined;
  }

  /** Modals currently open (opened by `views.open`, not yet closed by a submission), in opening order. */
  openViews(): OpenView[] {
    return this.views.list();
  }

  /** Every envelope delivery over Socket Mode with its ack outcome (`timedOut`, `ackPayload`). */
  envelopes(): EnvelopeRecord[] {
    return [...this.hub.deliveries];
  }

  /**
   * Refuse (with `status`, e.g. 403 as a proxy does) or, with `undefined`, accept Socket Mode WebSocket
   * upgrades from now on; the Web API (`apps.connections.open` included) keeps answering either way.
   */
  refuseWebSockets(status: number | undefined): void {
    this.hub.refuseUpgrades = status;
  }

  /** Number of open Socket Mode connections. */
  socketConnections(): number {
    return this.hub.connections;
  }

  /** The conversation of a channel rendered as text (see `renderTranscript`). */
  transcript(channel: string): string {
    const ch = this.ws.channel(channel);
    const id = ch?.id ?? channel;
    return renderTranscript({
      channelName: ch?.name ?? channel,
      messages: this.ws.messages(id),
      commands: this.ws.commands.filter((c) => c.channel === id),
      users: this.ws.users,
      usergroups: this.ws.usergroups,
    });
  }

  // ---- acting as users ----

  private payloadCtx(): PayloadContext {
    return { team: { id: TEAM.id, domain: TEAM.domain }, apiAppId: APP.id, verificationToken: this.verificationToken };
  }

  private need<T>(v: T | undefined, what: string): T {
    if (v === undefined) throw new Error(`Slack emulator: unknown ${what}`);
    return v;
  }

  private newResponseUrl(r: Omit<ResponseUrl, 'id' | 'createdAt' | 'uses'>): { id: string; url: string } {
    const id = randomBytes(12).toString('hex');
    this.responseUrls.set(id, { ...r, id, createdAt: Date.now(), uses: 0 });
    return { id, url: `${this.apiUrl.replace(/api\/$/, '')}response/${id}` };
  }

  private async send(env: Envelope): Promise<unknown> {
    this.sentEnvelopes.set(env.envelope_id, env);
    if (this.httpEndpoint) return this.deliverHttp(this.httpEndpoint, env);
    return this.hub.deliver(env);
  }

  /**
   * Deliver payloads over HTTP to the app's request URL (e.g. `http://127.0.0.1:PORT/slack/events`)
   * instead of Socket Mode; `undefined` switches back. Requests are signed with `signingSecret`, carry
   * `x-slack-retry-num`/`x-slack-retry-reason` on replays, and the response body (JSON, or empty → `{}`)
   * is the ack payload. https://api.slack.com/interactivity/handling#acknowledgment_response
   */
  setHttpEndpoint(url: string | undefined): void {
    this.httpEndpoint = url;
  }

  private async deliverHttp(url: string, env: Envelope): Promise<unknown> {
    const { body, contentType } = httpBody(env.type, env.payload);
    const headers: Record<string, string> = { 'content-type': contentType, ...this.signRequest(body) };
    if (env.retry_attempt > 0) Object.assign(headers, { 'x-slack-retry-num': String(env.retry_attempt), 'x-slack-retry-reason': env.retry_reason });
    const ackTimeoutMs = this.ackTimeoutMs;
    let res: Response;
    try {
      res = await fetch(url, { method: 'POST', headers, body, signal: AbortSignal.timeout(ackTimeoutMs) });
    } catch (e) {
      if (e instanceof Error && (e.name === 'TimeoutError' || e.name === 'AbortError')) throw new AckTimeoutError(env.envelope_id, env.type, ackTimeoutMs);
      throw e;
    } finally {
      this.notify();
    }
    const text = await res.text();
    if (res.status !== 200) throw new Error(`the app answered HTTP ${res.status} to a ${env.type} request: ${text.slice(0, 200)}`);
    if (!text) return {};
    try {
      return JSON.parse(text) as unknown;
    } catch {
      return { text };
    }
  }

  /**
   * Type a slash command as `user` in `channel`: sends a `slash_commands` envelope and resolves with the
   * ack's payload once acked. An ack payload with `text`/`blocks` is shown to the user as an ephemeral
   * message, as Slack does. Rejects if no socket is connected or on ack timeout (`AckTimeoutError`).
   * `responses()` lists the bodies the app later POSTs to this command's `response_url`.
   */
  async typeCommand(opts: { user: string; channel: string; text: string; command?: string }): Promise<{ envelopeId: string; ackPayload?: unknown; responses: () => unknown[] }> {
    const user = this.need(this.ws.users.get(opts.user), `user ${opts.user}`);
    const channel = this.need(this.ws.channel(opts.channel), `channel ${opts.channel}`);
    const command = opts.command ?? '/dbupdate';
    const ru = this.newResponseUrl({ channel: channel.id, user: user.id, kind: 'command' });
    this.ws.addCommand({ channel: channel.id, user: user.id, command, text: opts.text });
    const payload = slashCommandPayload(this.payloadCtx(), { user, channel, command, text: opts.text, responseUrl: ru.url, triggerId: this.triggers.issue(user.id) });
    const env = envelope(randomUUID(), 'slash_commands', payload, true);
    const ackPayload = await this.send(env);
    this.showAckMessage(channel, user, ackPayload);
    return { envelopeId: env.envelope_id, ackPayload, responses: () => this.responsePosts.filter((p) => p.responseUrlId === ru.id).map((p) => p.body) };
  }

  private showAckMessage(channel: SlackChannel, user: SlackUser, ackPayload: unknown): void {
    if (typeof ackPayload !== 'object' || ackPayload === null) return;
    const p = ackPayload as { text?: unknown; blocks?: unknown; response_type?: unknown };
    if (typeof p.text !== 'string' && !Array.isArray(p.blocks)) return;
    this.ws.add({
      channel: channel.id,
      user: APP.botUserId,
      bot_id: APP.botId,
      text: typeof p.text === 'string' ? p.text : '',
      ...(Array.isArray(p.blocks) ? { blocks: p.blocks } : {}),
      ...(p.response_type === 'in_channel' ? {} : { ephemeralTo: user.id }),
    });
    this.notify();
  }

  /**
   * Click the button with `actionId` (and `blockId`, if given) of a stored message as `user`: sends an
   * `interactive` envelope with a `block_actions` payload built from the stored message. Throws if the
   * message or the button does not exist; rejects like `typeCommand` on delivery/ack failure.
   */
  async clickButton(opts: { user: string; channel: string; messageTs: string; actionId: string; value?: string; blockId?: string }): Promise<{ envelopeId: string; ackPayload?: unknown }> {
    const user = this.need(this.ws.users.get(opts.user), `user ${opts.user}`);
    const channel = this.need(this.ws.channel(opts.channel), `channel ${opts.channel}`);
    const message = this.need(this.ws.find(channel.id, opts.messageTs), `message ${opts.messageTs} in ${channel.id}`);
    const found = this.need(findElement(message.blocks, opts.actionId, opts.blockId), `element with action_id ${opts.actionId} in message ${message.ts}`);
    const ru = this.newResponseUrl({ channel: channel.id, user: user.id, kind: 'action', messageTs: message.ts });
    const payload = blockActionsPayload(this.payloadCtx(), {
      user,
      channel,
      message,
      found,
      ...(opts.value !== undefined ? { value: opts.value } : {}),
      responseUrl: ru.url,
      triggerId: this.triggers.issue(user.id),
      actionTs: (Date.now() / 1000).toFixed(6),
    });
    const env = envelope(randomUUID(), 'interactive', payload, false);
    return { envelopeId: env.envelope_id, ackPayload: await this.send(env) };
  }

  /**
   * Submit an open modal as `user` with `values` (`view.state.values`: block_id → action_id → state).
   * The ack's `response_action` is honoured: `errors` keeps the view open, `update` replaces it, `push`
   * opens another, `clear` closes all of the user's views; anything else closes it.
   */
  async submitView(opts: { user: string; viewId: string; values: ViewValues }): Promise<{ envelopeId: string; ackPayload?: unknown }> {
    const user = this.need(this.ws.users.get(opts.user), `user ${opts.user}`);
    const v = this.views.get({ id: opts.viewId });
    if (!v || v.closed) throw new Error(`Slack emulator: view ${opts.viewId} is not open`);
    if (v.user !== user.id) throw new Error(`Slack emulator: view ${opts.viewId} belongs to ${v.user}, not ${user.id}`);
    const payload = viewSubmissionPayload(this.payloadCtx(), { user, view: v.view, values: opts.values, triggerId: this.triggers.issue(user.id) });
    const env = envelope(randomUUID(), 'interactive', payload, true);
    const ackPayload = await this.send(env);
    const action = (ackPayload as { response_action?: string; view?: Record<string, unknown> } | undefined) ?? {};
    if (action.response_action === 'update' && action.view) this.views.update(v, action.view);
    else if (action.response_action === 'push' && action.view) this.views.open(action.view, user.id, '', { teamId: TEAM.id, appId: APP.id, botId: APP.botId });
    else if (action.response_action === 'clear') {
      for (const o of this.views.list()) if (o.user === user.id) this.views.close(o.id);
    } else if (action.response_action !== 'errors') this.views.close(v.id);
    this.notify();
    return { envelopeId: env.envelope_id, ackPayload };
  }

  /**
   * Close an open modal as `user` would with its Cancel button or ×. When the view asked for
   * `notify_on_close`, a `view_closed` payload is sent to the app
   * (https://api.slack.com/reference/interaction-payloads/views#view_closed); otherwise Slack tells the
   * app nothing. Throws if the view is not open or belongs to another user.
   */
  async closeView(opts: { user: string; viewId: string }): Promise<void> {
    const user = this.need(this.ws.users.get(opts.user), `user ${opts.user}`);
    const v = this.views.get({ id: opts.viewId });
    if (!v || v.closed) throw new Error(`Slack emulator: view ${opts.viewId} is not open`);
    if (v.user !== user.id) throw new Error(`Slack emulator: view ${opts.viewId} belongs to ${v.user}, not ${user.id}`);
    this.views.close(v.id);
    this.notify();
    if (v.view.notify_on_close === true) {
      const ctx = this.payloadCtx();
      const payload = { type: 'view_closed', team: { id: ctx.team.id, domain: ctx.team.domain }, user: payloadUser(ctx, user), api_app_id: ctx.apiAppId, token: ctx.verificationToken, view: v.view, is_cleared: false, is_enterprise_install: false, enterprise: null };
      await this.send(envelope(randomUUID(), 'interactive', payload, false));
    }
  }

  /**
   * Subscribe to changes of the workspace: called (synchronously, keep it cheap) after every Web API
   * call, `response_url` post, ack, socket event, command, click and view change. Returns the
   * unsubscribe function. Used by the browser console (`console/`) to push live updates.
   */
  onChange(listener: () => void): () => void {
    this.changes.on('change', listener);
    return () => this.changes.off('change', listener);
  }

  /**
   * Pick the app's global shortcut `callbackId` from the shortcuts menu as `user`: an `interactive`
   * envelope with a `shortcut` payload carrying a fresh `trigger_id` (valid 3 s for `views.open`).
   */
  async triggerShortcut(opts: { user: string; callbackId: string }): Promise<{ envelopeId: string; ackPayload?: unknown }> {
    const user = this.need(this.ws.users.get(opts.user), `user ${opts.user}`);
    const payload = globalShortcutPayload(this.payloadCtx(), { user, callbackId: opts.callbackId, triggerId: this.triggers.issue(user.id), actionTs: (Date.now() / 1000).toFixed(6) });
    const env = envelope(randomUUID(), 'interactive', payload, false);
    return { envelopeId: env.envelope_id, ackPayload: await this.send(env) };
  }

  /**
   * `user` opens the app's Home tab: an `events_api` envelope with an `app_home_opened` event
   * (`tab: "home"`, the user's app DM channel id, and the published Home view if any).
   */
  async openAppHome(opts: { user: string }): Promise<{ envelopeId: string; ackPayload?: unknown }> {
    const user = this.need(this.ws.users.get(opts.user), `user ${opts.user}`);
    const now = Date.now();
    const view = this.views.home(user.id);
    const event = appHomeOpenedEvent({ user: user.id, channel: `D_${user.id.replace(/^U_?/, '')}`, tab: 'home', eventTs: (now / 1000).toFixed(6), ...(view ? { view } : {}) });
    const payload = eventCallbackPayload(this.payloadCtx(), { event, eventId: `Ev${randomBytes(5).toString('hex').toUpperCase()}`, eventTime: Math.floor(now / 1000), botUserId: APP.botUserId });
    const env = envelope(randomUUID(), 'events_api', payload, false);
    return { envelopeId: env.envelope_id, ackPayload: await this.send(env) };
  }

  /** The Home tab view published for `user` (`views.publish`), or undefined. */
  homeView(user: string): Record<string, unknown> | undefined {
    return this.views.home(user);
  }

  /**
   * Store a message written by a person (top-level, or a reply when `threadTs` is given). No event is
   * sent to the app (the emulator has no Events API subscription); this is for conversation context and
   * for testing `cant_update_message`.
   */
  postAsUser(opts: { user: string; channel: string; text: string; threadTs?: string }): SlackMessage {
    this.need(this.ws.users.get(opts.user), `user ${opts.user}`);
    const channel = this.need(this.ws.channel(opts.channel), `channel ${opts.channel}`);
    const m = this.ws.add({ channel: channel.id, user: opts.user, text: opts.text, ...(opts.threadTs ? { thread_ts: opts.threadTs } : {}) });
    this.notify();
    return snapshot(m);
  }

  /**
   * Store a message as if the bot had posted it with `chat.postMessage` (top-level, or a reply when
   * `threadTs` is given), without an API call being recorded or an event sent: for seeding a workspace
   * with the messages of past updates (bench/history.ts). @throws Error on an unknown channel.
   */
  seedBotMessage(opts: { channel: string; text: string; blocks?: unknown[]; threadTs?: string }): SlackMessage {
    const channel = this.need(this.ws.channel(opts.channel), `channel ${opts.channel}`);
    const m = this.ws.add({ channel: channel.id, user: APP.botUserId, bot_id: APP.botId, text: opts.text, ...(opts.blocks ? { blocks: opts.blocks } : {}), ...(opts.threadTs ? { thread_ts: opts.threadTs } : {}) });
    return snapshot(m);
  }

  /** Send an arbitrary envelope (e.g. `events_api`) and resolve with its ack payload. */
  async sendEnvelope(type: Envelope['type'], payload: Record<string, unknown>, acceptsResponsePayload = false): Promise<{ envelopeId: string; ackPayload?: unknown }> {
    const env = envelope(randomUUID(), type, payload, acceptsResponsePayload);
    return { envelopeId: env.envelope_id, ackPayload: await this.send(env) };
  }

  /** Re-send an envelope as Slack's retry does: same `envelope_id`, `retry_attempt` + 1, `retry_reason: 'timeout'`. */
  async replayEnvelope(envelopeId: string): Promise<unknown> {
    const prev = this.need(this.sentEnvelopes.get(envelopeId), `envelope ${envelopeId}`);
    return this.send({ ...prev, retry_attempt: prev.retry_attempt + 1, retry_reason: 'timeout' });
  }

  /** Ask connected clients to reconnect (`{type:'disconnect', reason}`, default `refresh_requested`). */
  disconnectSockets(reason = 'refresh_requested'): void {
    this.hub.disconnectAll(reason);
  }

  /** Cut all Socket Mode connections at the TCP level, without a disconnect message. */
  dropSockets(): void {
    this.hub.dropAll();
  }

  /** Enable (or disable with `{}`) the per-channel `chat.postMessage` rate limit: beyond N posts in a second → 429 + `Retry-After: 1`. */
  setRateLimit(opts: { postMessagePerChannelPerSecond?: number }): void {
    this.rateLimit = { ...opts };
  }

  /**
   * Resolve with the first truthy value of `fn`, re-checked on every recorded call and socket event (and
   * every 50 ms). Rejects after `timeoutMs` (default 5000) with an error naming `what` and showing the
   * end of the transcripts of the active channels and the last calls.
   */
  waitFor<T>(fn: () => T | undefined | false, opts: WaitOpts = {}): Promise<T> {
    const timeoutMs = opts.timeoutMs ?? 5000;
    return new Promise<T>((resolve, reject) => {
      const cleanup = () => {
        this.changes.off('change', check);
        clearInterval(poll);
        clearTimeout(timer);
      };
      const check = () => {
        try {
          const v = fn();
          if (v) {
            cleanup();
            resolve(v);
          }
        } catch (e) {
          cleanup();
          reject(e instanceof Error ? e : new Error(String(e)));
        }
      };
      const poll = setInterval(check, 50);
      const timer = setTimeout(() => {
        cleanup();
        reject(new Error(`Slack emulator: timed out after ${timeoutMs} ms waiting for ${opts.what ?? 'a condition'}\n${this.debugSnapshot()}`));
      }, timeoutMs);
      this.changes.on('change', check);
      check();
    });
  }

  private debugSnapshot(): string {
    const channels = [...this.ws.channels.values()].filter((c) => this.ws.messages(c.id).length > 0 || this.ws.commands.some((x) => x.channel === c.id));
    const parts = channels.map((c) => this.transcript(c.id).trimEnd().split('\n').slice(-30).join('\n'));
    const calls = this.calls.slice(-8).map((c) => `  ${c.method} → ${c.status} ${c.ok ? 'ok' : c.error}`);
    return `--- Slack transcript (tail) ---\n${parts.join('\n') || '(no messages)'}\n--- last Web API calls ---\n${calls.join('\n') || '  (none)'}`;
  }

  /**
   * Sign a request body for the app's HTTP endpoint: `x-slack-signature` is `v0=` + hex HMAC-SHA256 of
   * `v0:{timestamp}:{body}` with `signingSecret` (https://api.slack.com/authentication/verifying-requests-from-slack).
   * @param timestampSec Unix seconds (default now).
   */
  signRequest(body: string, timestampSec = Math.floor(Date.now() / 1000)): { 'x-slack-signature': string; 'x-slack-request-timestamp': string } {
    const sig = createHmac('sha256', this.signingSecret).update(`v0:${timestampSec}:${body}`).digest('hex');
    return { 'x-slack-signature': `v0=${sig}`, 'x-slack-request-timestamp': String(timestampSec) };
  }

  // ---- HTTP ----

  private notify(): void {
    this.changes.emit('change');
  }

  private async onRequest(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const body = Buffer.concat(chunks).toString('utf8');
    const url = new URL(req.url ?? '/', 'http://x');
    try {
      if (url.pathname.startsWith('/api/')) this.onApi(req, res, url, body);
      else if (url.pathname.startsWith('/response/') && req.method === 'POST') this.onResponseUrl(res, url.pathname.slice('/response/'.length), body);
      else send(res, 404, 'text/plain', 'not found');
    } catch (e) {
      send(res, 500, 'text/plain', String(e));
    }
    this.notify();
  }

  private record(method: string, params: Record<string, unknown>, status: number, error?: string): void {
    this.calls.push({ method, params, ok: error === undefined && status === 200, ...(error !== undefined ? { error } : {}), status, at: Date.now(), atNs: process.hrtime.bigint() });
  }

  private onApi(req: IncomingMessage, res: ServerResponse, url: URL, body: string): void {
    const method = decodeURIComponent(url.pathname.slice('/api/'.length));
    const { args, tokenParam } = parseArgs(req, url, body);
    const reply = (status: number, json: Record<string, unknown>, headers: Record<string, string> = {}) => {
      this.record(method, args, status, json.ok === true ? undefined : String(json.error));
      send(res, status, 'application/json; charset=utf-8', JSON.stringify(json), headers);
    };
    const def = METHODS[method];
    if (!def) return reply(200, { ok: false, error: 'unknown_method' });

    const fault = this.faultList.find((f) => f.times > 0 && (f.method === method || f.method === '*'));
    const afterStoring = fault?.kind.startsWith('stored-') ? fault.kind : undefined;
    if (fault) {
      fault.times -= 1;
      if (fault.times <= 0) this.faultList.splice(this.faultList.indexOf(fault), 1);
    }
    if (fault && !afterStoring) {
      if (fault.kind === 'ratelimit') return reply(429, { ok: false, error: 'ratelimited' }, { 'Retry-After': String(fault.retryAfterSeconds ?? 1) });
      if (fault.kind === 'http500') {
        this.record(method, args, 500, 'http500');
        return send(res, 500, 'text/html', '<html><body>Internal Server Error</body></html>');
      }
      return reply(200, { ok: false, error: fault.error ?? 'internal_error' });
    }

    // https://api.slack.com/web#authentication: Bearer header, or `token` in a form-encoded body
    const bearer = /^Bearer\s+(\S+)/i.exec(req.headers.authorization ?? '')?.[1];
    const token = bearer ?? tokenParam;
    if (!token) return reply(200, { ok: false, error: 'not_authed' });
    const kind = token === this.botToken ? 'bot' : token === this.appToken ? 'app' : undefined;
    if (!kind) return reply(200, { ok: false, error: 'invalid_auth' });
    if (kind !== def.token) return reply(200, { ok: false, error: 'not_allowed_token_type' });

    if (method === 'chat.postMessage' && this.rateLimit.postMessagePerChannelPerSecond !== undefined) {
      const ch = this.ws.channel(String(args.channel ?? ''))?.id ?? String(args.channel);
      const now = Date.now();
      const recent = (this.postTimes.get(ch) ?? []).filter((t) => now - t < 1000);
      this.postTimes.set(ch, recent);
      if (recent.length >= this.rateLimit.postMessagePerChannelPerSecond) return reply(429, { ok: false, error: 'ratelimited' }, { 'Retry-After': '1' });
    }

    try {
      const result = def.handle(args, this.methodEnv());
      if (method === 'chat.postMessage') {
        const ch = String(result.channel);
        this.postTimes.set(ch, [...(this.postTimes.get(ch) ?? []), Date.now()]);
      }
      if (afterStoring) return this.failAfterStoring(res, method, args, afterStoring);
      reply(200, { ok: true, ...result });
    } catch (e) {
      if (e instanceof SlackApiError) reply(200, { ok: false, error: e.code, ...e.extra });
      else throw e;
    }
  }

  /** Answer a call that was carried out as if the edge failed afterwards (see {@link Fault}). */
  private failAfterStoring(res: ServerResponse, method: string, args: Record<string, unknown>, kind: string): void {
    if (kind === 'stored-reset') {
      this.record(method, args, 0, 'connection reset');
      res.socket?.destroy();
      return;
    }
    const status = kind === 'stored-http504' ? 504 : 500;
    this.record(method, args, status, `http${status}`);
    send(res, status, 'text/html', `<html><body>${status === 504 ? 'Gateway Timeout' : 'Internal Server Error'}</body></html>`);
  }

  private methodEnv(): MethodEnv {
    return {
      ws: this.ws,
      triggers: this.triggers,
      views: this.views,
      socketUrl: () => {
        const u = this.hub.issueUrl();
        if (!u) throw new SlackApiError('too_many_websockets');
        return u;
      },
    };
  }

  /** A POST to a `response_url`: ephemeral by default, `in_channel`, `replace_original` or `delete_original`. */
  private onResponseUrl(res: ServerResponse, id: string, body: string): void {
    const ru = this.responseUrls.get(id);
    let parsed: Record<string, unknown>;
    try {
      const p = JSON.parse(body) as unknown;
      parsed = typeof p === 'object' && p !== null ? (p as Record<string, unknown>) : {};
    } catch {
      const form = new URLSearchParams(body).get('payload');
      parsed = form ? (JSON.parse(form) as Record<string, unknown>) : {};
    }
    const fail = (status: number, text: string) => {
      this.responsePosts.push({ responseUrlId: id, body: parsed, status, at: Date.now() });
      send(res, status, 'text/plain', text);
    };
    if (!ru) return fail(404, 'no_service');
    if (Date.now() - ru.createdAt > RESPONSE_URL_TTL_MS || ru.uses >= RESPONSE_URL_MAX_USES) return fail(404, 'expired_url');
    ru.uses += 1;
    const text = typeof parsed.text === 'string' ? parsed.text : '';
    const blocks = Array.isArray(parsed.blocks) ? parsed.blocks : undefined;
    const targetTs = ru.kind === 'action' ? ru.messageTs : ru.lastPosted;
    const target = targetTs ? this.ws.find(ru.channel, targetTs) : undefined;
    if (parsed.delete_original === true || parsed.delete_original === 'true') {
      if (target) this.ws.remove(ru.channel, target.ts);
    } else if ((parsed.replace_original === true || parsed.replace_original === 'true') && target) {
      this.ws.replace(target, text, blocks);
    } else {
      const threadTs = typeof parsed.thread_ts === 'string' ? parsed.thread_ts : undefined;
      const m = this.ws.add({
        channel: ru.channel,
        user: APP.botUserId,
        bot_id: APP.botId,
        text,
        ...(blocks ? { blocks } : {}),
        ...(threadTs ? { thread_ts: threadTs } : {}),
        ...(parsed.response_type === 'in_channel' ? {} : { ephemeralTo: ru.user }),
      });
      ru.lastPosted = m.ts;
    }
    this.responsePosts.push({ responseUrlId: id, body: parsed, status: 200, at: Date.now() });
    send(res, 200, 'text/plain', 'ok');
  }
}

/** A copy of a stored message, so callers hold the version they read (later edits do not change it). */
function snapshot(m: SlackMessage): SlackMessage {
  return { ...m, history: m.history.map((h) => ({ ...h })), ...(m.edited ? { edited: { ...m.edited } } : {}) };
}

export { compareTs };
export { parseArgs } from './http.js';
