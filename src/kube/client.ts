/**
 * Typed access to one cluster through `@kubernetes/client-node` 1.4 (promise API, one object argument;
 * see docs/stack-notes.md). Everything the bot does in a cluster goes through a {@link Kube}.
 */
import {
  AppsV1Api,
  AuthorizationV1Api,
  CoordinationV1Api,
  CoreV1Api,
  CustomObjectsApi,
  KubeConfig,
  PatchStrategy,
  ServerConfiguration,
  IsomorphicFetchHttpLibrary,
  ResponseContext,
  createConfiguration,
  setHeaderOptions,
  wrapHttpLibrary,
  type HttpLibrary,
  type RequestContext,
} from '@kubernetes/client-node';
import http from 'node:http';
import https from 'node:https';
import { createHash } from 'node:crypto';
import pLimit, { type LimitFunction } from 'p-limit';
import { ClusterCache } from './cache.js';
import { FencedError } from './errors.js';
import type { Fence } from './fence.js';

/** HTTP methods that change something on the API server (fenced on a leader's clients). */
const MUTATING = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/** Default time limit (ms) of one API request (not of watches, which `Watch` runs on its own). */
export const REQUEST_TIMEOUT_MS = 30_000;

/**
 * Default cap on one cluster's API requests in flight at once (and on the keep-alive agent's sockets).
 * client-go's default client-side rate limit is QPS 5 / burst 10 (k8s.io/client-go/rest/config.go);
 * the API server's own default `--max-requests-inflight` is 400 for the whole cluster. 16 keeps one bot
 * far below that and its file descriptors bounded (issue #13: 50 concurrent updates over 10,000 records
 * opened a socket per request and died with EMFILE), while a burst still overlaps its round trips.
 * Override with the `KUBE_MAX_IN_FLIGHT` environment variable or {@link KubeOptions.maxInFlight}.
 */
export const MAX_IN_FLIGHT = 16;

/**
 * The cap from `KUBE_MAX_IN_FLIGHT` when set, else {@link MAX_IN_FLIGHT}.
 * @throws Error when the variable is set but not a whole number from 1 to 1000.
 */
export function maxInFlightFromEnv(env: NodeJS.ProcessEnv = process.env): number {
  const raw = env.KUBE_MAX_IN_FLIGHT;
  if (raw === undefined || raw.trim() === '') return MAX_IN_FLIGHT;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1 || n > 1000) {
    throw new Error(`KUBE_MAX_IN_FLIGHT must be a whole number from 1 to 1000 (concurrent Kubernetes API requests per cluster), got "${raw}"`);
  }
  return n;
}

/** Options of a {@link Kube}. */
export interface KubeOptions {
  /** Time limit of each request in ms, time spent queued for a slot included (default {@link REQUEST_TIMEOUT_MS}). */
  requestTimeoutMs?: number;
  /**
   * When set, every mutating request (POST, PUT, PATCH, DELETE) is refused with a {@link FencedError}
   * unless the fence is held at the moment it would be sent (after any wait for a slot), so a write
   * queued while this replica led is not sent once it has lost the Lease (see {@link Kube.fenced}).
   */
  fence?: Fence;
  /** Share this read cache instead of building one. */
  cache?: ClusterCache;
  /** Cap on requests in flight at once (default `KUBE_MAX_IN_FLIGHT` or {@link MAX_IN_FLIGHT}); ignored when `gate` is given. */
  maxInFlight?: number;
  /** Share this cap and socket pool (a Kube and its {@link Kube.fenced} views share one). */
  gate?: RequestGate;
}

/**
 * The cap on one cluster's API requests and sockets: a p-limit limiter (at most `maxInFlight` requests
 * sent and not yet answered, body included) and a keep-alive HTTP(S) agent with `maxSockets` equal to
 * that cap, in place of client-node's fresh agent (and fresh socket) per request (`KubeConfig.
 * applySecurityAuthentication` builds a new `http.Agent`/`https.Agent` for every call). Watches
 * (client-node's `Watch`, used by informers) build their own agent per stream and do not go through the
 * generated clients, so they neither count against the cap nor hold its sockets; a request with
 * `watch=true` in its query, should one be made through a generated client, bypasses the cap too.
 */
export class RequestGate {
  private readonly limit: LimitFunction;
  /** Pooled agents by their TLS options' digest (a rotated client certificate gets a new pool). */
  private readonly agents = new Map<string, http.Agent>();

  /** @param maxInFlight requests in flight at once (≥ 1). @throws Error when not a positive whole number. */
  constructor(readonly maxInFlight: number = maxInFlightFromEnv()) {
    if (!Number.isInteger(maxInFlight) || maxInFlight < 1) throw new Error(`maxInFlight must be a whole number ≥ 1, got ${maxInFlight}`);
    this.limit = pLimit(maxInFlight);
  }

  /** Requests sent and not yet answered. */
  get active(): number {
    return this.limit.activeCount;
  }

  /** Requests waiting for a slot. */
  get pending(): number {
    return this.limit.pendingCount;
  }

  /**
   * Run `send` once a slot is free. When `signal` aborts first (the request's time limit ran out while
   * it waited), reject at once with the signal's reason (a `TimeoutError`, see {@link isTimeout}) and
   * never call `send`.
   */
  run<T>(signal: AbortSignal | undefined, send: () => Promise<T>): Promise<T> {
    if (signal?.aborted) return Promise.reject(abortReason(signal));
    const queued = this.limit(() => (signal?.aborted ? Promise.reject(abortReason(signal)) : send()));
    if (!signal) return queued;
    return new Promise<T>((resolve, reject) => {
      const onAbort = () => reject(abortReason(signal));
      signal.addEventListener('abort', onAbort, { once: true });
      queued.then(
        (v) => {
          signal.removeEventListener('abort', onAbort);
          resolve(v);
        },
        (err: unknown) => {
          signal.removeEventListener('abort', onAbort);
          reject(err);
        },
      );
    });
  }

  /**
   * The pooled keep-alive agent standing in for `agent` (a plain `http.Agent`/`https.Agent` from
   * client-node), built once per set of TLS options; any other agent (a proxy's) is returned unchanged.
   */
  agentFor(agent: http.Agent | https.Agent | undefined): http.Agent | https.Agent | undefined {
    if (!agent || (agent.constructor !== http.Agent && agent.constructor !== https.Agent)) return agent;
    const options = (agent as unknown as { options: Record<string, unknown> }).options ?? {};
    const tls = ['ca', 'cert', 'key', 'pfx', 'passphrase', 'rejectUnauthorized', 'servername'].map((k) => [k, String(options[k] ?? '')]);
    const key = `${agent.constructor === https.Agent ? 'https' : 'http'}:${createHash('sha256').update(JSON.stringify(tls)).digest('hex')}`;
    let pooled = this.agents.get(key);
    if (!pooled) {
      // `timeout`: an idle socket is closed after 60 s, or 1 s before the server's `Keep-Alive: timeout=` hint (Node's agent).
      const settings = { ...options, keepAlive: true, maxSockets: this.maxInFlight, maxFreeSockets: this.maxInFlight, scheduling: 'lifo' as const, timeout: 60_000 };
      pooled = agent.constructor === https.Agent ? new https.Agent(settings) : new http.Agent(settings);
      this.agents.set(key, pooled);
    }
    return pooled;
  }
}

/** The error a request aborted by its time limit rejects with. */
function abortReason(signal: AbortSignal): Error {
  const r: unknown = signal.reason;
  if (r instanceof Error) return r;
  const e = new Error('the request was aborted');
  e.name = 'AbortError';
  return e;
}

/**
 * client-node's fetch library behind a {@link RequestGate}: waits for a slot (watches excepted), then
 * checks the fence for a mutating request, sends it on the pooled agent and reads the whole body before
 * giving the slot back (a body still streaming holds its socket).
 */
function gatedHttpLibrary(gate: RequestGate, fence: Fence | undefined): HttpLibrary {
  const inner = new IsomorphicFetchHttpLibrary();
  const attempt = async (ctx: RequestContext): Promise<ResponseContext> => {
    const method = ctx.getHttpMethod();
    if (fence && MUTATING.has(method) && !fence.held()) throw new FencedError(`${method} ${new URL(ctx.getUrl()).pathname}`);
    ctx.setAgent(gate.agentFor(ctx.getAgent())!);
    const res = await inner.send(ctx).toPromise();
    const body = await res.body.binary();
    return new ResponseContext(res.httpStatusCode, res.headers, { text: async () => body.toString('utf8'), binary: async () => body });
  };
  // A kept-alive socket the server closed while idle (its keep-alive timeout) fails the next request sent
  // on it with ECONNRESET ("socket hang up") before the server read it; Node's docs prescribe one retry
  // (https://nodejs.org/api/http.html#requestreusedsocket) and Go's http.Transport retries likewise. The
  // retry is checked against the fence again; a write that had reached the server is guarded by its
  // resourceVersion or answered 409 AlreadyExists, which callers already handle.
  const send = async (ctx: RequestContext): Promise<ResponseContext> => {
    try {
      return await attempt(ctx);
    } catch (err) {
      const code = (err as { code?: unknown } | undefined)?.code;
      if ((code !== 'ECONNRESET' && code !== 'EPIPE') || ctx.getSignal()?.aborted) throw err;
      return attempt(ctx);
    }
  };
  return wrapHttpLibrary({
    send(ctx) {
      const watch = new URL(ctx.getUrl()).searchParams.get('watch');
      if (watch === 'true' || watch === '1') return inner.send(ctx).toPromise();
      return gate.run(ctx.getSignal(), () => send(ctx));
    },
  });
}

/**
 * The API clients of one cluster, built from one KubeConfig as `KubeConfig.makeApiClient` builds them,
 * plus a time limit on every request (client-node sets none, so a server that never answers would hold
 * a caller forever) and a cap on requests in flight and sockets ({@link RequestGate}). A request over
 * the limit, waiting for a slot or sent, rejects with an error `isTimeout` recognises.
 * The Lease elector builds its own `Kube` (src/kube/lease.ts), hence its own gate: a renewal never waits
 * behind the controller's requests (controller-runtime likewise gives leader election a client of its own).
 */
export class Kube {
  readonly core: CoreV1Api;
  readonly apps: AppsV1Api;
  readonly custom: CustomObjectsApi;
  readonly coordination: CoordinationV1Api;
  /** SelfSubjectAccessReviews: what this client's user may do (`src/kube/access.ts`). */
  readonly authorization: AuthorizationV1Api;
  /** Shared reads that change rarely (version catalogs, API discovery); see `src/kube/cache.ts`. */
  readonly cache: ClusterCache;
  /** The cap on requests in flight and the socket pool of this cluster (shared with {@link fenced} views). */
  readonly gate: RequestGate;

  /**
   * @param kc a loaded KubeConfig; @param name the cluster's name in config and messages.
   * @param opts see {@link KubeOptions}.
   * @throws Error when the KubeConfig has no current cluster, or `KUBE_MAX_IN_FLIGHT` is not a whole number from 1 to 1000.
   */
  constructor(
    readonly kc: KubeConfig,
    readonly name: string,
    private readonly opts: KubeOptions = {},
  ) {
    const cluster = kc.getCurrentCluster();
    if (!cluster) throw new Error('No active cluster!');
    const timeoutMs = opts.requestTimeoutMs ?? REQUEST_TIMEOUT_MS;
    this.gate = opts.gate ?? new RequestGate(opts.maxInFlight ?? maxInFlightFromEnv());
    const configuration = createConfiguration({
      baseServer: new ServerConfiguration(cluster.server, {}),
      authMethods: { default: kc },
      httpApi: gatedHttpLibrary(this.gate, opts.fence),
      promiseMiddleware: [
        {
          pre: async (ctx) => {
            const fence = opts.fence;
            // Refused before queueing when already not held; checked again when sent (gatedHttpLibrary).
            if (fence && MUTATING.has(ctx.getHttpMethod()) && !fence.held()) {
              throw new FencedError(`${ctx.getHttpMethod()} ${new URL(ctx.getUrl()).pathname}`);
            }
            // Started here, before any wait for a slot: the limit covers the time queued.
            ctx.setSignal(AbortSignal.timeout(timeoutMs));
            return ctx;
          },
          post: async (res) => res,
        },
      ],
    });
    this.core = new CoreV1Api(configuration);
    this.apps = new AppsV1Api(configuration);
    this.custom = new CustomObjectsApi(configuration);
    this.coordination = new CoordinationV1Api(configuration);
    this.authorization = new AuthorizationV1Api(configuration);
    this.cache = opts.cache ?? new ClusterCache(this);
  }

  /**
   * The same cluster through clients whose every write is fenced by `fence` (the leader's controller
   * clients: records, OpsRequests, database pause/resume, PetSet patches, Events), sharing this one's
   * read cache, cap and sockets. Reads are not fenced. A refused write rejects with {@link FencedError}.
   */
  fenced(fence: Fence): Kube {
    return new Kube(this.kc, this.name, { requestTimeoutMs: this.opts.requestTimeoutMs, fence, cache: this.cache, gate: this.gate });
  }
}

/** Request options that send a PATCH as `application/merge-patch+json` (RFC 7386). */
export const MERGE_PATCH = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);

/**
 * Load a KubeConfig the usual way (`KUBECONFIG`, `~/.kube/config`, or in-cluster service account).
 * client-node's `loadFromDefault()` silently falls back to `http://localhost:8080` when nothing is
 * configured (docs/stack-notes.md); that is detected and refused.
 * @param context optional context name to select.
 * @throws Error naming the places looked at when no configuration was found or the context is unknown.
 */
export function loadKubeConfig(context?: string): KubeConfig {
  const kc = new KubeConfig();
  try {
    kc.loadFromDefault();
  } catch (err) {
    throw new Error(`cannot load the Kubernetes configuration (KUBECONFIG=${process.env.KUBECONFIG ?? '(unset)'}): ${(err as Error).message}`);
  }
  const server = kc.getCurrentCluster()?.server ?? '';
  if (!server || (server === 'http://localhost:8080' && !process.env.KUBECONFIG)) {
    throw new Error(
      'No Kubernetes configuration found: set KUBECONFIG, create ~/.kube/config, or run in a pod with a service account.',
    );
  }
  if (context) {
    if (!kc.getContexts().some((c) => c.name === context)) {
      throw new Error(`kubeconfig has no context "${context}" (has: ${kc.getContexts().map((c) => c.name).join(', ')})`);
    }
    kc.setCurrentContext(context);
  }
  return kc;
}
