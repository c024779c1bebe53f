/**
 * A forwarding HTTP proxy for tests and benchmarks: a client (the bot) is pointed at it instead of its API
 * server, and every request it sends is recorded (method, URL, status, time) on the way to the real target,
 * plain HTTP (the emulators) or HTTPS (the real kube-apiserver, verified with its CA). It can hold back the
 * answer to the next matching request until {@link CountingProxy.release} (a process then gets it while
 * frozen: split-brain tests). Upgrades (watch over WebSocket, port-forward) are not proxied; client-node's
 * watches are plain chunked GETs and pass through.
 */
import { createServer, request as httpRequest, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';

/** One request the proxy forwarded. `atMs` is `performance.now()` when it arrived. */
export interface Seen {
  method: string;
  url: string;
  status?: number;
  /** Whether it came after {@link CountingProxy.resumed} was set. */
  afterResume: boolean;
  atMs: number;
}

/** A recording, optionally answer-holding, forwarding proxy. */
export class CountingProxy {
  readonly seen: Seen[] = [];
  /** Set by a test when the client process was resumed (SIGCONT); requests after it are flagged. */
  resumed = false;
  /** A predicate for the next request whose answer to hold back. */
  holdNext?: (method: string, url: string) => boolean;
  private held: Array<() => void> = [];
  private constructor(
    private readonly server: Server,
    readonly url: string,
  ) {}

  /**
   * Start on a free loopback port, forwarding to `target` (`http://…` or `https://…`; `ca` is the PEM that
   * verifies an HTTPS target).
   */
  static async start(target: string, opts: { ca?: string } = {}): Promise<CountingProxy> {
    let self: CountingProxy | undefined;
    const server = createServer((req, res) => self!.forward(target, opts.ca, req, res));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    self = new CountingProxy(server, `http://127.0.0.1:${(server.address() as { port: number }).port}`);
    return self;
  }

  private forward(target: string, ca: string | undefined, req: IncomingMessage, res: ServerResponse): void {
    const rec: Seen = { method: req.method ?? 'GET', url: req.url ?? '/', afterResume: this.resumed, atMs: performance.now() };
    this.seen.push(rec);
    const hold = this.holdNext?.(rec.method, rec.url) ?? false;
    if (hold) this.holdNext = undefined;
    const url = new URL(rec.url, target);
    const headers = { ...req.headers, host: url.host };
    const onAnswer = (answer: IncomingMessage) => {
      rec.status = answer.statusCode;
      const send = () => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        // Node holds the head until the first body chunk: a watch with no event yet would never reach
        // the client (whose watch call waits for the head), so send it now.
        res.flushHeaders();
        answer.pipe(res);
      };
      if (hold) this.held.push(send);
      else send();
    };
    const up = url.protocol === 'https:' ? httpsRequest(url, { method: rec.method, headers, ca }, onAnswer) : httpRequest(url, { method: rec.method, headers }, onAnswer);
    up.on('error', () => res.destroy());
    res.on('close', () => up.destroy());
    req.pipe(up);
  }

  /** How many forwarded requests have no answer yet. */
  inFlight(): number {
    return this.seen.filter((r) => r.status === undefined).length;
  }

  /** How many answers are held back. */
  heldCount(): number {
    return this.held.length;
  }

  /** Send every held answer. */
  release(): void {
    this.held.splice(0).forEach((f) => f());
  }

  /** Release held answers, close every connection and stop listening. */
  async stop(): Promise<void> {
    this.release();
    this.server.closeAllConnections();
    await new Promise<void>((r) => this.server.close(() => r()));
  }
}

/**
 * A kubeconfig (YAML) whose every cluster goes through `proxyUrl` instead of its server: the proxy listens
 * on plain HTTP on loopback, so the CA is dropped and `insecure-skip-tls-verify` set (client-node refuses
 * an `http://` server otherwise: "HTTP protocol is not allowed when skipTLSVerify is not set"); the proxy
 * itself verifies the real server with its CA ({@link CountingProxy.start}). Users and tokens unchanged.
 */
export function kubeconfigThroughProxy(kubeconfigYaml: string, proxyUrl: string): string {
  const kc = parseYaml(kubeconfigYaml) as { clusters?: Array<{ cluster: Record<string, unknown> }> };
  for (const c of kc.clusters ?? []) {
    delete c.cluster['certificate-authority'];
    delete c.cluster['certificate-authority-data'];
    c.cluster.server = proxyUrl;
    c.cluster['insecure-skip-tls-verify'] = true;
  }
  return stringifyYaml(kc);
}
