/**
 * The health and metrics HTTP server (node:http), for the kubelet's probes and Prometheus:
 * - `GET /healthz` → 200 `ok` while the process serves HTTP (liveness);
 * - `GET /readyz`  → 200 `ready` when `ready()` answers true (the bot: Slack connected — see
 *   {@link slackConnected} — and the API server answering), else 503 `not ready` (readiness; a
 *   `ready()` that throws or takes longer than `readyTimeoutMs` counts as not ready); when `ready()`
 *   answers a report, the body adds one line per dependency: `[+]slack: connected to …`,
 *   `[-]kubernetes: …` (src/startup/readiness.ts);
 * - `GET /metrics` → the registry in the Prometheus text format, with the registry's own content type
 *   (`text/plain; version=0.0.4; charset=utf-8` for prom-client's default registry type);
 * - `HEAD` is answered like `GET` without a body; other methods on these paths → 405; any other path → 404.
 * Query strings are ignored. Deployed on port 8080 (`deploy/deployment.yaml`, port name `http`).
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import { HTTPReceiver, SocketModeReceiver, type App } from '@slack/bolt';
import { renderReport, type ReadyReport } from './startup/readiness.js';

/**
 * Whether a started Bolt app is connected to Slack, for `/readyz`: in Socket Mode, the Socket Mode
 * client's WebSocket is open (`SlackWebSocket.isActive()`, `@slack/socket-mode` 2.x/3.x: readyState OPEN;
 * false while it reconnects); in HTTP mode, Bolt's HTTPReceiver server is listening. Bolt keeps its
 * receiver in a private field (`App.receiver`, `@slack/bolt` 5.1 `dist/App.d.ts`), read here by name.
 * @returns false for an app that is not started, is stopped, or has another receiver.
 */
export function slackConnected(app: App): boolean {
  const receiver = (app as unknown as { receiver?: unknown }).receiver;
  if (receiver instanceof SocketModeReceiver) return receiver.client.websocket?.isActive() === true;
  if (receiver instanceof HTTPReceiver) return (receiver as unknown as { server?: { listening: boolean } }).server?.listening === true;
  return false;
}

/**
 * The Socket Mode client of a Bolt app (`SocketModeReceiver.client`, an EventEmitter of `connecting`,
 * `authenticated`, `connected`, `disconnected`, `error`…), read from Bolt's private `receiver` field as
 * {@link slackConnected} does; undefined in HTTP mode.
 */
export function socketModeClient(app: App): SocketModeReceiver['client'] | undefined {
  const receiver = (app as unknown as { receiver?: unknown }).receiver;
  return receiver instanceof SocketModeReceiver ? receiver.client : undefined;
}

/** Options of {@link startHealthServer}. */
export interface HealthServerOptions {
  /** TCP port; 0 picks a free one (tests). */
  port: number;
  /** Interface to listen on (default: all, `::`/`0.0.0.0`, as a pod's probes need). */
  host?: string;
  /**
   * Readiness: true when this replica can serve (Slack connected, caches synced), or a {@link ReadyReport}
   * naming each dependency and why it is not ready (shown in the `/readyz` body, one line each).
   */
  ready: () => Promise<boolean | ReadyReport> | boolean | ReadyReport;
  /** The metrics registry served on `/metrics` (see `src/metrics.ts`). */
  registry: Registry;
  log?: Logger;
  /** How long `/readyz` waits for `ready()` before answering 503, in milliseconds (default 2,000). */
  readyTimeoutMs?: number;
}

/** A running health server. */
export interface HealthServer {
  /** The port actually bound (useful with `port: 0`). */
  port: number;
  /** Stop listening and close open (keep-alive) connections; resolves when the server is closed. */
  close(): Promise<void>;
}

const ROUTES = new Set(['/healthz', '/readyz', '/metrics']);

function send(res: ServerResponse, head: boolean, status: number, body: string, contentType = 'text/plain; charset=utf-8'): void {
  res.writeHead(status, { 'content-type': contentType, 'cache-control': 'no-store', 'content-length': Buffer.byteLength(body) });
  res.end(head ? undefined : body);
}

async function isReady(ready: HealthServerOptions['ready'], timeoutMs: number): Promise<ReadyReport | boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<ReadyReport>((resolve) => {
    timer = setTimeout(() => resolve({ ready: false, checks: [{ name: 'readiness', ok: false, detail: `no answer within ${timeoutMs} ms` }] }), timeoutMs);
  });
  try {
    const r = await Promise.race([Promise.resolve().then(ready), timeout]);
    return typeof r === 'object' && r !== null ? r : r === true;
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Start the server.
 * @returns the bound port and a `close()`.
 * @throws (rejects with) the listen error, e.g. `EADDRINUSE` when the port is taken.
 */
export function startHealthServer(opts: HealthServerOptions): Promise<HealthServer> {
  const { log, registry } = opts;
  const readyTimeoutMs = opts.readyTimeoutMs ?? 2000;

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const path = (req.url ?? '/').split('?')[0];
    const method = req.method ?? 'GET';
    const head = method === 'HEAD';
    if (!ROUTES.has(path)) return send(res, head, 404, 'not found\n');
    if (method !== 'GET' && !head) {
      res.setHeader('allow', 'GET, HEAD');
      return send(res, false, 405, 'method not allowed\n');
    }
    if (path === '/healthz') return send(res, head, 200, 'ok\n');
    if (path === '/readyz') {
      let r: ReadyReport | boolean = false;
      try {
        r = await isReady(opts.ready, readyTimeoutMs);
      } catch (err) {
        log?.warn({ err: (err as Error).message }, 'readiness check failed');
        r = { ready: false, checks: [{ name: 'readiness', ok: false, detail: `the check failed: ${(err as Error).message}` }] };
      }
      if (typeof r === 'boolean') return r ? send(res, head, 200, 'ready\n') : send(res, head, 503, 'not ready\n');
      return send(res, head, r.ready ? 200 : 503, renderReport(r));
    }
    return send(res, head, 200, await registry.metrics(), registry.contentType);
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((err) => {
      log?.error({ err: (err as Error).message, url: req.url }, 'health server error');
      if (!res.headersSent) send(res, false, 500, 'internal error\n');
      else res.destroy();
    });
  });

  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host, () => {
      server.off('error', reject);
      server.on('error', (err) => log?.error({ err: err.message }, 'health server error'));
      const port = (server.address() as AddressInfo).port;
      log?.info({ port }, 'health server listening');
      resolve({
        port,
        close: () =>
          new Promise<void>((done, fail) => {
            server.close((err) => (err ? fail(err) : done()));
            server.closeAllConnections();
          }),
      });
    });
  });
}
