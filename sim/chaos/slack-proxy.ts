/**
 * "Slack stored the message, the answer was lost": an HTTP proxy between the bots and the Slack
 * emulator's Web API. Every call is forwarded; for a share of the `chat.postMessage` calls that Slack
 * answered `ok: true` (the message is stored and visible in the channel), the bot instead gets an HTTP
 * 500, an HTTP 504 or a connection reset — what a bot sees when Slack's edge or the network fails after
 * the write. A client that retries such a post posts twice. Socket Mode does not go through the proxy
 * (`apps.connections.open` answers the emulator's own `wss` URL).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Random } from './rng.js';

/** How a stored post's answer is lost. */
export type LostAnswer = 'http500' | 'http504' | 'reset';

/** Options of {@link SlackLossProxy.start}. */
export interface SlackLossOptions {
  /** The emulator's Web API base URL (`http://127.0.0.1:PORT/api/`). */
  upstreamApiUrl: string;
  /** Share of successful `chat.postMessage` answers lost, in [0, 1] (0 turns it off; changeable with `setRate`). */
  rate: number;
  random: Random;
  /** Web API methods whose answers may be lost (default `['chat.postMessage']`). */
  methods?: string[];
}

/** The proxy; `apiUrl` is what the bots get as `SLACK_API_URL`. */
export class SlackLossProxy {
  /** Answers lost, by kind. */
  readonly lost: Record<LostAnswer, number> = { http500: 0, http504: 0, reset: 0 };
  /** Calls forwarded. */
  forwarded = 0;
  private rate: number;

  private constructor(
    private readonly server: Server,
    readonly apiUrl: string,
    private readonly o: SlackLossOptions,
  ) {
    this.rate = o.rate;
  }

  /** Start on an ephemeral port of 127.0.0.1. */
  static async start(o: SlackLossOptions): Promise<SlackLossProxy> {
    const server = createServer();
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    const proxy = new SlackLossProxy(server, `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/`, o);
    server.on('request', (req, res) => void proxy.onRequest(req, res).catch(() => res.destroy()));
    return proxy;
  }

  /** Change the loss rate (0 turns it off). */
  setRate(rate: number): void {
    this.rate = rate;
  }

  /** Total answers lost. */
  get totalLost(): number {
    return this.lost.http500 + this.lost.http504 + this.lost.reset;
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private async onRequest(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const path = (req.url ?? '/').replace(/^\/api\//, '');
    const headers: Record<string, string> = {};
    for (const h of ['authorization', 'content-type', 'user-agent']) if (typeof req.headers[h] === 'string') headers[h] = req.headers[h] as string;
    this.forwarded++;
    const up = await fetch(new URL(path, this.o.upstreamApiUrl), {
      method: req.method,
      headers,
      ...(req.method === 'GET' || req.method === 'HEAD' ? {} : { body: Buffer.concat(chunks) }),
    });
    const text = await up.text();
    const method = path.split('?')[0];
    const stored = up.status === 200 && /"ok":\s*true/.test(text);
    if (stored && (this.o.methods ?? ['chat.postMessage']).includes(method) && this.rate > 0 && this.o.random.chance(this.rate)) {
      const kind = this.o.random.pick<LostAnswer>(['http500', 'http504', 'reset']);
      this.lost[kind]++;
      if (kind === 'reset') return void res.destroy();
      res.writeHead(kind === 'http500' ? 500 : 504, { 'content-type': 'text/html' });
      return void res.end(kind === 'http500' ? '<html><body>Internal Server Error</body></html>' : '<html><body>504 Gateway Time-out</body></html>');
    }
    const out: Record<string, string> = {};
    up.headers.forEach((v, k) => {
      if (!['content-length', 'transfer-encoding', 'connection', 'content-encoding', 'keep-alive'].includes(k)) out[k] = v;
    });
    res.writeHead(up.status, out);
    res.end(text);
  }
}
