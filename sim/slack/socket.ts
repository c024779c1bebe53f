/**
 * The Socket Mode side of the emulator (https://api.slack.com/apis/socket-mode): WebSocket connections
 * opened with a one-time ticket from `apps.connections.open`, the `hello` greeting, envelopes handed to
 * one connection each (round-robin), acks matched by `envelope_id` within the ack deadline, and
 * `disconnect` messages. Ping/pong are WebSocket control frames: the `ws` server answers the client's
 * pings and the hub pings every connection periodically, as Slack does.
 */
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { randomBytes } from 'node:crypto';
import { WebSocketServer, WebSocket } from 'ws';
import type { Envelope } from './payloads.js';

/** Slack allows up to 10 simultaneous Socket Mode connections per app. */
export const MAX_CONNECTIONS = 10;
/** How long (ms) an unused Socket Mode URL stays valid in the emulator (Slack: "temporary", not specified). */
export const TICKET_TTL_MS = 30_000;

/** What happened to one delivery of an envelope. */
export interface EnvelopeRecord {
  envelope: Envelope;
  sentAt: number;
  /** `process.hrtime.bigint()` when the envelope was written to the socket (benchmarks: ack latency). */
  sentAtNs?: bigint;
  /** Index of the connection (in connection order since start) that received it. */
  connection: number;
  ackedAt?: number;
  /** `process.hrtime.bigint()` when the ack was received. */
  ackedAtNs?: bigint;
  ackPayload?: unknown;
  /** Set when no ack came within the deadline. */
  timedOut?: boolean;
  /** Set when an ack came after the deadline. */
  lateAckAt?: number;
}

interface Conn {
  ws: WebSocket;
  index: number;
}

interface Pending {
  record: EnvelopeRecord;
  resolve: (payload: unknown) => void;
  reject: (err: Error) => void;
  timer: NodeJS.Timeout;
}

/** Error of an envelope that was not acknowledged in time. */
export class AckTimeoutError extends Error {
  constructor(
    readonly envelopeId: string,
    readonly type: string,
    readonly timeoutMs: number,
  ) {
    super(`Socket Mode envelope ${envelopeId} (${type}) was not acknowledged within ${timeoutMs} ms (Slack would show the user an error)`);
    this.name = 'AckTimeoutError';
  }
}

/** Manages tickets, connections and envelope delivery. `onChange` is called on every socket event. */
export class SocketHub {
  private readonly wss = new WebSocketServer({ noServer: true });
  /** Tickets issued and not yet used → when they stop being valid (ms since the epoch). */
  private readonly tickets = new Map<string, number>();
  private readonly conns: Conn[] = [];
  private readonly pending = new Map<string, Pending[]>();
  private rr = 0;
  private connCount = 0;
  private readonly pinger: NodeJS.Timeout;
  /** Every delivery, in order (a replay is a new record with the same envelope_id). */
  readonly deliveries: EnvelopeRecord[] = [];

  constructor(
    private readonly baseWsUrl: string,
    private readonly ackTimeoutMs: number,
    private readonly appId: string,
    private readonly onChange: () => void,
    pingIntervalMs = 10_000,
  ) {
    this.pinger = setInterval(() => {
      for (const c of this.conns) if (c.ws.readyState === WebSocket.OPEN) c.ws.ping();
    }, pingIntervalMs);
    this.pinger.unref();
  }

  /** Connections currently open. */
  get connections(): number {
    return this.conns.filter((c) => c.ws.readyState === WebSocket.OPEN).length;
  }

  /**
   * A URL with a fresh one-time ticket, or undefined if the connection limit is reached. Slack calls the
   * URL "temporary" (https://api.slack.com/methods/apps.connections.open) and limits open *connections*
   * to 10: an unused URL (a process killed before it connected, a start-up check) holds no connection and
   * lapses. Its lifetime is not documented; the emulator keeps it {@link TICKET_TTL_MS}.
   */
  issueUrl(): string | undefined {
    const now = Date.now();
    for (const [t, until] of this.tickets) if (until <= now) this.tickets.delete(t);
    if (this.conns.length >= MAX_CONNECTIONS) return undefined;
    const ticket = randomBytes(16).toString('hex');
    this.tickets.set(ticket, now + TICKET_TTL_MS);
    return `${this.baseWsUrl}link/?ticket=${ticket}&app_id=${this.appId}`;
  }

  /**
   * When set, every WebSocket upgrade is answered with this HTTP status instead of `101` (a proxy or firewall
   * that lets Slack's Web API through but not its WebSockets); the Web API keeps answering.
   */
  refuseUpgrades: number | undefined;

  /** Handle an HTTP upgrade request: accepted only on `/link/` with an unused ticket, else 401/404. */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    if (this.refuseUpgrades !== undefined) {
      socket.end(`HTTP/1.1 ${this.refuseUpgrades} Refused\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
      return;
    }
    const url = new URL(req.url ?? '/', 'http://x');
    const ticket = url.searchParams.get('ticket') ?? '';
    const until = this.tickets.get(ticket);
    const valid = until !== undefined && until > Date.now();
    this.tickets.delete(ticket);
    if (url.pathname !== '/link/' || !valid) {
      socket.end(`HTTP/1.1 ${url.pathname === '/link/' ? '401 Unauthorized' : '404 Not Found'}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
      return;
    }
    this.wss.handleUpgrade(req, socket, head, (ws) => this.attach(ws));
  }

  private attach(ws: WebSocket): void {
    const conn: Conn = { ws, index: this.connCount++ };
    this.conns.push(conn);
    ws.on('message', (data) => this.onMessage(data.toString()));
    ws.on('close', () => {
      const i = this.conns.indexOf(conn);
      if (i >= 0) this.conns.splice(i, 1);
      this.onChange();
    });
    ws.on('error', () => undefined);
    // https://api.slack.com/apis/socket-mode#connect
    ws.send(
      JSON.stringify({
        type: 'hello',
        num_connections: this.conns.length,
        debug_info: { host: `applink-emulator-${conn.index}`, build_number: 1, approximate_connection_time: 18060 },
        connection_info: { app_id: this.appId },
      }),
    );
    this.onChange();
  }

  private onMessage(raw: string): void {
    let msg: { envelope_id?: unknown; payload?: unknown };
    try {
      msg = JSON.parse(raw) as typeof msg;
    } catch {
      return;
    }
    if (typeof msg.envelope_id !== 'string') return;
    const waiting = this.pending.get(msg.envelope_id);
    const p = waiting?.shift();
    if (!p) {
      const late = [...this.deliveries].reverse().find((d) => d.envelope.envelope_id === msg.envelope_id && d.timedOut && d.lateAckAt === undefined);
      if (late) late.lateAckAt = Date.now();
      this.onChange();
      return;
    }
    if (waiting && waiting.length === 0) this.pending.delete(msg.envelope_id);
    clearTimeout(p.timer);
    p.record.ackedAtNs = process.hrtime.bigint();
    p.record.ackedAt = Date.now();
    p.record.ackPayload = msg.payload;
    p.resolve(msg.payload);
    this.onChange();
  }

  /**
   * Send an envelope to one open connection (round-robin) and resolve with the ack's `payload`.
   * Rejects at once if no connection is open, and with `AckTimeoutError` if no ack arrives in time.
   */
  deliver(envelope: Envelope): Promise<unknown> {
    const open = this.conns.filter((c) => c.ws.readyState === WebSocket.OPEN);
    if (open.length === 0) return Promise.reject(new Error(`no Socket Mode client is connected to the Slack emulator (envelope ${envelope.type} not delivered)`));
    const conn = open[this.rr++ % open.length];
    const record: EnvelopeRecord = { envelope, sentAt: Date.now(), connection: conn.index };
    this.deliveries.push(record);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        const list = this.pending.get(envelope.envelope_id) ?? [];
        const i = list.indexOf(entry);
        if (i >= 0) list.splice(i, 1);
        if (list.length === 0) this.pending.delete(envelope.envelope_id);
        record.timedOut = true;
        reject(new AckTimeoutError(envelope.envelope_id, envelope.type, this.ackTimeoutMs));
        this.onChange();
      }, this.ackTimeoutMs);
      const entry: Pending = { record, resolve, reject, timer };
      const list = this.pending.get(envelope.envelope_id) ?? [];
      list.push(entry);
      this.pending.set(envelope.envelope_id, list);
      record.sentAtNs = process.hrtime.bigint();
      conn.ws.send(JSON.stringify(envelope));
      this.onChange();
    });
  }

  /** Ask every client to reconnect: `{type:'disconnect', reason}` (https://api.slack.com/apis/socket-mode#disconnect). */
  disconnectAll(reason: string): void {
    for (const c of this.conns) c.ws.send(JSON.stringify({ type: 'disconnect', reason, debug_info: { host: `applink-emulator-${c.index}` } }));
  }

  /** Cut every connection at the TCP level, without a close frame. */
  dropAll(): void {
    for (const c of [...this.conns]) c.ws.terminate();
  }

  /**
   * Reject pending acks, stop pinging, and close all connections: let close handshakes in progress
   * (an app that just called `stop()`) finish, send a close frame (1001) to the others, and terminate
   * whatever is still open after `graceMs`.
   */
  async close(graceMs = 500): Promise<void> {
    clearInterval(this.pinger);
    for (const list of this.pending.values())
      for (const p of list) {
        clearTimeout(p.timer);
        p.reject(new Error('Slack emulator stopped'));
      }
    this.pending.clear();
    const conns = [...this.conns];
    await Promise.all(
      conns.map(
        (c) =>
          new Promise<void>((resolve) => {
            if (c.ws.readyState === WebSocket.CLOSED) return resolve();
            const t = setTimeout(() => {
              c.ws.terminate();
              resolve();
            }, graceMs);
            c.ws.once('close', () => {
              clearTimeout(t);
              resolve();
            });
            if (c.ws.readyState === WebSocket.OPEN) c.ws.close(1001, 'server shutting down');
          }),
      ),
    );
    this.wss.close();
  }
}
