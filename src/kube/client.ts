/**
 * Typed access to one cluster through `@kubernetes/client-node` 1.4 (promise API, one object argument;
 * see shared/stack-notes.md). Everything the bot does in a cluster goes through a {@link Kube}.
 */
import {
  ApiException,
  AppsV1Api,
  CoordinationV1Api,
  CoreV1Api,
  CustomObjectsApi,
  KubeConfig,
  PatchStrategy,
  ServerConfiguration,
  createConfiguration,
  setHeaderOptions,
} from '@kubernetes/client-node';
import { ClusterCache } from './cache.js';
import { FencedError, type Fence } from './fence.js';

/** HTTP methods that change something on the API server (fenced on a leader's clients). */
const MUTATING = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/** Default time limit (ms) of one API request (not of watches, which `Watch` runs on its own). */
export const REQUEST_TIMEOUT_MS = 30_000;

/**
 * The API clients of one cluster, built from one KubeConfig as `KubeConfig.makeApiClient` builds them,
 * plus a time limit on every request: client-node sets none, so a server that never answers would hold
 * a caller forever. A request over the limit rejects with the fetch's `AbortError` (`name` `AbortError`).
 */
export class Kube {
  readonly core: CoreV1Api;
  readonly apps: AppsV1Api;
  readonly custom: CustomObjectsApi;
  readonly coordination: CoordinationV1Api;
  /** Shared reads that change rarely (version catalogs, API discovery); see `src/kube/cache.ts`. */
  readonly cache: ClusterCache;

  /**
   * @param kc a loaded KubeConfig; @param name the cluster's name in config and messages.
   * @param opts.requestTimeoutMs time limit of each request (default {@link REQUEST_TIMEOUT_MS}).
   * @param opts.fence when set, every mutating request (POST, PUT, PATCH, DELETE) is refused with a
   *   {@link FencedError}, before anything is sent, while the fence is not held (see {@link Kube.fenced}).
   * @param opts.cache share this read cache instead of building one.
   * @throws Error when the KubeConfig has no current cluster.
   */
  constructor(
    readonly kc: KubeConfig,
    readonly name: string,
    private readonly opts: { requestTimeoutMs?: number; fence?: Fence; cache?: ClusterCache } = {},
  ) {
    const cluster = kc.getCurrentCluster();
    if (!cluster) throw new Error('No active cluster!');
    const timeoutMs = opts.requestTimeoutMs ?? REQUEST_TIMEOUT_MS;
    const configuration = createConfiguration({
      baseServer: new ServerConfiguration(cluster.server, {}),
      authMethods: { default: kc },
      promiseMiddleware: [
        {
          pre: async (ctx) => {
            const fence = opts.fence;
            if (fence && MUTATING.has(ctx.getHttpMethod()) && !fence.held()) {
              throw new FencedError(`${ctx.getHttpMethod()} ${new URL(ctx.getUrl()).pathname}`);
            }
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
    this.cache = opts.cache ?? new ClusterCache(this);
  }

  /**
   * The same cluster through clients whose every write is fenced by `fence` (the leader's controller
   * clients: records, OpsRequests, database pause/resume, PetSet patches, Events), sharing this one's
   * read cache. Reads are not fenced. A refused write rejects with {@link FencedError}.
   */
  fenced(fence: Fence): Kube {
    return new Kube(this.kc, this.name, { requestTimeoutMs: this.opts.requestTimeoutMs, fence, cache: this.cache });
  }
}

/** Request options that send a PATCH as `application/merge-patch+json` (RFC 7386). */
export const MERGE_PATCH = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);
/** Request options that send a PATCH as `application/json-patch+json` (RFC 6902). */
export const JSON_PATCH = setHeaderOptions('Content-Type', PatchStrategy.JsonPatch);
/** Request options for a strategic merge patch (built-in kinds only; custom resources answer 415). */
export const STRATEGIC_PATCH = setHeaderOptions('Content-Type', PatchStrategy.StrategicMergePatch);

/**
 * Load a KubeConfig the usual way (`KUBECONFIG`, `~/.kube/config`, or in-cluster service account).
 * client-node's `loadFromDefault()` silently falls back to `http://localhost:8080` when nothing is
 * configured (stack-notes); that is detected and refused.
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

/** The HTTP status code of an error from client-node (`ApiException.code`), or undefined. */
export function statusCode(err: unknown): number | undefined {
  if (err instanceof ApiException) return err.code;
  const e = err as { code?: unknown; statusCode?: unknown } | undefined;
  if (typeof e?.code === 'number') return e.code;
  if (typeof e?.statusCode === 'number') return e.statusCode;
  return undefined;
}

/**
 * The Kubernetes `Status` message of an error (the body of an `ApiException` is a JSON string, per
 * stack-notes), or the error's own message.
 */
export function statusMessage(err: unknown): string {
  if (isTimeout(err)) return 'the API server did not answer in time (request timeout)';
  if (err instanceof ApiException) {
    try {
      const body = typeof err.body === 'string' ? JSON.parse(err.body) : err.body;
      if (body?.message) return String(body.message);
    } catch {
      /* body was not JSON: fall through */
    }
    return `HTTP ${err.code}`;
  }
  return err instanceof Error ? err.message : String(err);
}

/**
 * Whether `err` is a request that ran out of time ({@link REQUEST_TIMEOUT_MS}): node-fetch rejects an
 * aborted request with an error named `AbortError`; a `TimeoutError` is the abort signal's own reason.
 */
export function isTimeout(err: unknown): boolean {
  const name = (err as { name?: unknown } | undefined)?.name;
  return name === 'AbortError' || name === 'TimeoutError';
}

/** Await a read; a 404 NotFound becomes undefined, any other error is thrown. */
export async function orUndefined<T>(read: Promise<T>): Promise<T | undefined> {
  try {
    return await read;
  } catch (err) {
    if (statusCode(err) === 404) return undefined;
    throw err;
  }
}

/** Whether the error is a 404 NotFound. */
export const isNotFound = (err: unknown): boolean => statusCode(err) === 404;
/** Whether the error is a 409 (Conflict on a stale resourceVersion, or AlreadyExists). */
export const isConflict = (err: unknown): boolean => statusCode(err) === 409;
