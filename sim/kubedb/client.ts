/**
 * The simulated KubeDB's only way to a cluster: an asynchronous client over `@kubernetes/client-node` 1.4,
 * addressed by group/version/resource, that works the same against the emulator (sim/kube/server.ts over
 * HTTP) and a real kube-apiserver.
 *
 * - Requests go through client-node's `KubernetesObjectApi` machinery (its `Configuration`: the
 *   kubeconfig's server, TLS and credentials, middleware) on paths built from the GVR, so subresources
 *   (`/status`) and cluster-scoped objects need no discovery round trip; bodies are returned as the server
 *   sent them (plain JSON: no typed models, timestamps stay strings).
 * - Errors are client-node's `ApiException` with `code` (HTTP status) and `body` (the `Status` object).
 * - Writes: `create`, `update` (PUT with the read `resourceVersion`: 409 on a stale one, as controllers'
 *   optimistic concurrency), `patch` (JSON merge patch, RFC 7386: custom resources refuse strategic merge
 *   with 415 on a real server), `delete` (with `gracePeriodSeconds`, `preconditions.uid`).
 * - {@link Informer}: client-node's `ListWatch` (list, then watch from the list's resourceVersion; it re-lists
 *   after 410 Gone) restarted after a back-off when it stops on any other error, per namespace or for all.
 * - {@link WorkQueue}: reconcile-by-key with de-duplication, delayed re-adds and retries after errors
 *   (client-go's workqueue, in small).
 */
import { ApiException, KubeConfig, KubernetesObjectApi, ListWatch, Watch, type KubernetesListObject, type KubernetesObject, type RequestContext, type ResponseContext } from '@kubernetes/client-node';

/** Identifies a resource type: API group (`""` for core), version and plural. */
export interface GVR {
  group: string;
  version: string;
  plural: string;
}

/** Object metadata as the API server sends it (the fields the simulation reads). */
export interface ObjectMeta {
  name: string;
  namespace?: string;
  uid?: string;
  resourceVersion?: string;
  generation?: number;
  creationTimestamp?: string;
  deletionTimestamp?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  ownerReferences?: Array<{ apiVersion: string; kind: string; name: string; uid: string; controller?: boolean; blockOwnerDeletion?: boolean }>;
  finalizers?: string[];
  [key: string]: unknown;
}

/** Any Kubernetes object as JSON: `apiVersion`, `kind`, `metadata` and its free-form body. */
export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: ObjectMeta;
  [key: string]: unknown;
}

/** The URL path of a resource (`/api/v1/namespaces/demo/pods/x/status`, `/apis/kubedb.com/v1/mysqls`). */
export function resourcePath(gvr: GVR, namespace?: string, name?: string, subresource?: string): string {
  const base = gvr.group ? `/apis/${gvr.group}/${gvr.version}` : `/api/${gvr.version}`;
  let p = namespace ? `${base}/namespaces/${encodeURIComponent(namespace)}/${gvr.plural}` : `${base}/${gvr.plural}`;
  if (name !== undefined) p += `/${encodeURIComponent(name)}`;
  if (subresource) p += `/${subresource}`;
  return p;
}

/** The HTTP status of a client error (`ApiException.code`, a watch error's `statusCode`), or undefined. */
export function statusCode(err: unknown): number | undefined {
  const e = err as { code?: unknown; statusCode?: unknown } | undefined;
  if (typeof e?.code === 'number') return e.code;
  if (typeof e?.statusCode === 'number') return e.statusCode;
  return undefined;
}
/** The `Status.reason` of a client error (`NotFound`, `Conflict`, `AlreadyExists`…), or undefined. */
export function statusReason(err: unknown): string | undefined {
  const body = (err as { body?: unknown })?.body;
  return body && typeof body === 'object' ? ((body as { reason?: string }).reason ?? undefined) : undefined;
}
/** The `Status.message` of a client error, else the error's own message. */
export function statusMessage(err: unknown): string {
  const body = (err as { body?: unknown })?.body;
  if (body && typeof body === 'object' && typeof (body as { message?: unknown }).message === 'string') return (body as { message: string }).message;
  return (err as Error)?.message ?? String(err);
}
/** 404 NotFound. */
export const isNotFound = (err: unknown): boolean => statusCode(err) === 404;
/** 409 Conflict on a stale resourceVersion (not AlreadyExists). */
export const isConflict = (err: unknown): boolean => statusCode(err) === 409 && statusReason(err) !== 'AlreadyExists';
/** 409 AlreadyExists. */
export const isAlreadyExists = (err: unknown): boolean => statusCode(err) === 409 && statusReason(err) === 'AlreadyExists';

/** client-node's object API with raw paths and plain-JSON answers (its `Configuration` does auth and TLS). */
class RawApi extends KubernetesObjectApi {
  async send(method: string, path: string, opts: { query?: Record<string, string | undefined>; body?: unknown; contentType?: string } = {}): Promise<any> {
    const ctx: RequestContext = this.configuration.baseServer.makeRequestContext(path, method as never);
    ctx.setHeaderParam('Accept', 'application/json');
    for (const [k, v] of Object.entries(opts.query ?? {})) if (v !== undefined) ctx.setQueryParam(k, v);
    if (opts.body !== undefined) {
      ctx.setHeaderParam('Content-Type', opts.contentType ?? 'application/json');
      ctx.setBody(JSON.stringify(opts.body));
    }
    return this.requestPromise(ctx as never);
  }

  /** Plain JSON for 2xx (client-node's would build typed models); `ApiException` with the parsed Status otherwise. */
  protected override async processResponse<T extends KubernetesObject>(response: ResponseContext): Promise<T> {
    const text = await response.body.text();
    let data: unknown = text;
    try {
      data = text ? JSON.parse(text) : undefined;
    } catch {
      /* not JSON: keep the text */
    }
    if (response.httpStatusCode >= 200 && response.httpStatusCode <= 299) return data as T;
    throw new ApiException(response.httpStatusCode, `HTTP ${response.httpStatusCode}: ${typeof data === 'object' && data ? ((data as { message?: string }).message ?? text) : text}`, data, response.headers);
  }
}

/** Options of a delete. */
export interface DeleteOptions {
  /** Seconds before a pod is removed; 0 removes it at once (what a kubelet sends once its containers stopped). */
  gracePeriodSeconds?: number;
  /** Delete only the object with this uid (409 Conflict otherwise). */
  uid?: string;
  propagationPolicy?: 'Foreground' | 'Background' | 'Orphan';
}

/** An asynchronous client of one API server for the simulated KubeDB (see the module docs). */
export class SimClient {
  private readonly api: RawApi;

  constructor(readonly kubeConfig: KubeConfig) {
    this.api = kubeConfig.makeApiClient(RawApi);
  }

  /** The object, or undefined on 404. @throws ApiException for any other error. */
  async get(gvr: GVR, namespace: string | undefined, name: string): Promise<KubeObject | undefined> {
    try {
      return await this.api.send('GET', resourcePath(gvr, namespace, name));
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
  }

  /** Every object (one namespace, or all when undefined), optionally by label selector; pages of 500. */
  async list(gvr: GVR, namespace?: string, labelSelector?: string): Promise<KubernetesListObject<KubeObject & KubernetesObject>> {
    const items: KubeObject[] = [];
    let cont: string | undefined;
    let resourceVersion = '';
    do {
      const page = await this.api.send('GET', resourcePath(gvr, namespace), { query: { labelSelector, limit: '500', continue: cont } });
      items.push(...((page.items ?? []) as KubeObject[]));
      cont = page.metadata?.continue || undefined;
      resourceVersion = page.metadata?.resourceVersion ?? resourceVersion;
    } while (cont);
    return { apiVersion: 'v1', kind: 'List', metadata: { resourceVersion }, items: items as Array<KubeObject & KubernetesObject> };
  }

  /** Create (POST; `dryRun`: admitted and validated, not stored). @throws ApiException (409 AlreadyExists, 422 Invalid, 404 when the namespace is gone…). */
  async create(gvr: GVR, obj: KubeObject, opts: { dryRun?: boolean } = {}): Promise<KubeObject> {
    return this.api.send('POST', resourcePath(gvr, obj.metadata.namespace), { body: obj, query: { dryRun: opts.dryRun ? 'All' : undefined } });
  }

  /** Create, or nothing when it already exists. Returns the created object, or undefined when it existed. */
  async createIfMissing(gvr: GVR, obj: KubeObject): Promise<KubeObject | undefined> {
    try {
      return await this.create(gvr, obj);
    } catch (err) {
      if (isAlreadyExists(err)) return undefined;
      throw err;
    }
  }

  /** Replace (PUT) the object or, with `subresource: 'status'`, its status. 409 when `metadata.resourceVersion` is stale. */
  async update(gvr: GVR, obj: KubeObject, subresource?: 'status'): Promise<KubeObject> {
    return this.api.send('PUT', resourcePath(gvr, obj.metadata.namespace, obj.metadata.name, subresource), { body: obj });
  }

  /** JSON merge patch (RFC 7386) of the object or its `status` subresource. */
  async patch(gvr: GVR, namespace: string | undefined, name: string, patch: unknown, subresource?: 'status'): Promise<KubeObject> {
    return this.api.send('PATCH', resourcePath(gvr, namespace, name, subresource), { body: patch, contentType: 'application/merge-patch+json' });
  }

  /** Delete; returns false when it was already gone (404). */
  async delete(gvr: GVR, namespace: string | undefined, name: string, opts: DeleteOptions = {}): Promise<boolean> {
    const body: Record<string, unknown> = { apiVersion: 'v1', kind: 'DeleteOptions' };
    if (opts.gracePeriodSeconds !== undefined) body.gracePeriodSeconds = opts.gracePeriodSeconds;
    if (opts.uid) body.preconditions = { uid: opts.uid };
    if (opts.propagationPolicy) body.propagationPolicy = opts.propagationPolicy;
    try {
      await this.api.send('DELETE', resourcePath(gvr, namespace, name), { body });
      return true;
    } catch (err) {
      if (isNotFound(err)) return false;
      throw err;
    }
  }

  /** The resource names (plurals and subresources) the server's discovery lists for a group/version; empty when it serves none. */
  async servedResources(group: string, version: string): Promise<Set<string>> {
    try {
      const doc = await this.api.send('GET', group ? `/apis/${group}/${version}` : `/api/${version}`);
      return new Set(((doc?.resources ?? []) as Array<{ name: string }>).map((r) => r.name));
    } catch (err) {
      if (isNotFound(err)) return new Set();
      throw err;
    }
  }

  /** Whether the server serves `gvr` (its group/version's discovery document lists the plural). */
  async serves(gvr: GVR): Promise<boolean> {
    return (await this.servedResources(gvr.group, gvr.version)).has(gvr.plural);
  }

  /**
   * Read-modify-write with optimistic concurrency: reads the object, lets `fn` change it (return `false`
   * to skip the write) and PUTs it with the read `resourceVersion` (the object, or with `subresource:
   * 'status'` its status), retrying on 409 Conflict up to 10 times.
   * @returns the written object, the unchanged one when `fn` returned false, or undefined when it does not exist.
   * @throws ApiException for anything but a conflict (or after 10 conflicts).
   */
  async mutate(gvr: GVR, namespace: string | undefined, name: string, fn: (obj: KubeObject) => boolean | void, subresource?: 'status'): Promise<KubeObject | undefined> {
    for (let attempt = 0; ; attempt++) {
      const obj = await this.get(gvr, namespace, name);
      if (!obj) return undefined;
      if (fn(obj) === false) return obj;
      try {
        return await this.update(gvr, obj, subresource);
      } catch (err) {
        if (isNotFound(err)) return undefined;
        if (!isConflict(err) || attempt >= 9) throw err;
      }
    }
  }

  /** An informer on `gvr` (see {@link Informer}). */
  informer(gvr: GVR, opts: InformerOptions = {}): Informer {
    return new Informer(this, gvr, opts);
  }
}

/** What an informer follows: namespaces (default: all, one cluster-wide watch) and a label selector. */
export interface InformerOptions {
  /** Watch only these namespaces (one list+watch each); undefined or empty: all namespaces. */
  namespaces?: readonly string[];
  labelSelector?: string;
  /** Back-off before restarting a stopped watch, ms (default 500, doubled per failure up to 10 000). */
  restartDelayMs?: number;
}

/** A change an informer saw: `add`, `update` or `delete`, with the object as last seen. */
export type InformerHandler = (type: 'add' | 'update' | 'delete', obj: KubeObject) => void;

/**
 * A cache of one resource type over client-node's `ListWatch` (one per namespace, or one for all), with
 * handlers called on every change. client-node stops a `ListWatch` on any error but 410 (which it answers by
 * re-listing); this restarts it after a back-off until {@link stop}. Handlers must not throw (they are
 * guarded: a throw is swallowed).
 */
export class Informer {
  private readonly handlers = new Set<InformerHandler>();
  private readonly watches: Array<ListWatch<KubeObject & KubernetesObject>> = [];
  private stopped = false;
  private readonly timers = new Set<NodeJS.Timeout>();
  /** Resolves once every namespace's first list is in the cache. */
  readonly synced: Promise<void>;

  constructor(
    readonly client: SimClient,
    readonly gvr: GVR,
    private readonly opts: InformerOptions = {},
  ) {
    const scopes: Array<string | undefined> = opts.namespaces?.length ? [...opts.namespaces] : [undefined];
    const watch = new Watch(client.kubeConfig);
    const syncs: Promise<void>[] = [];
    for (const ns of scopes) {
      const lw = new ListWatch<KubeObject & KubernetesObject>(resourcePath(gvr, ns), watch, () => client.list(gvr, ns, opts.labelSelector), false, opts.labelSelector);
      lw.on('add', (o) => this.emit('add', o));
      lw.on('update', (o) => this.emit('update', o));
      lw.on('delete', (o) => this.emit('delete', o));
      this.watches.push(lw);
      syncs.push(this.run(lw));
    }
    this.synced = Promise.all(syncs).then(() => undefined);
  }

  /** Start one ListWatch; resolves after its first successful list. */
  private run(lw: ListWatch<KubeObject & KubernetesObject>): Promise<void> {
    return new Promise<void>((resolve) => {
      let failures = 0;
      let failedNow = false;
      const attempt = () => {
        if (this.stopped) return resolve();
        failedNow = false;
        lw.start().then(
          () => {
            if (this.stopped) {
              void lw.stop();
              return resolve();
            }
            if (!failedNow) {
              failures = 0;
              resolve();
            }
          },
          () => restart(),
        );
      };
      const restart = () => {
        failedNow = true;
        if (this.stopped) return resolve();
        const delay = Math.min(10_000, (this.opts.restartDelayMs ?? 500) * 2 ** Math.min(failures++, 5));
        const t = setTimeout(() => {
          this.timers.delete(t);
          attempt();
        }, delay);
        this.timers.add(t);
      };
      lw.on('error', restart);
      attempt();
    });
  }

  private emit(type: 'add' | 'update' | 'delete', obj: KubeObject): void {
    if (this.stopped) return;
    for (const h of this.handlers) {
      try {
        h(type, obj);
      } catch {
        /* a handler's bug must not stop the informer */
      }
    }
  }

  /** Call `h` on every change from now on (objects already cached: see {@link list}). Returns an unsubscribe function. */
  on(h: InformerHandler): () => void {
    this.handlers.add(h);
    return () => this.handlers.delete(h);
  }

  /** The cached object, or undefined. */
  get(namespace: string | undefined, name: string): KubeObject | undefined {
    for (const w of this.watches) {
      const o = w.get(name, namespace);
      if (o) return o;
    }
    return undefined;
  }

  /** The cached objects (of one namespace, or all). */
  list(namespace?: string): KubeObject[] {
    return this.watches.flatMap((w) => w.list(namespace));
  }

  stop(): void {
    this.stopped = true;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    for (const w of this.watches) void w.stop();
    this.handlers.clear();
  }
}

/**
 * A reconcile queue by key (client-go's workqueue in small): a key added while queued is queued once; a key
 * being reconciled is reconciled again after it when added meanwhile; `concurrency` keys run at once
 * (never the same key twice at once); a reconcile that throws is retried after a back-off (`retryMs`,
 * doubled per failure of the key up to 5 s).
 */
export class WorkQueue {
  private readonly queued = new Set<string>();
  private readonly running = new Set<string>();
  private readonly again = new Set<string>();
  private readonly failures = new Map<string, number>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private active = 0;
  private stopped = false;
  private idleWaiters: Array<() => void> = [];

  constructor(
    private readonly reconcile: (key: string) => Promise<void>,
    private readonly opts: { concurrency?: number; retryMs?: number; onError?: (key: string, err: unknown) => void } = {},
  ) {}

  /** Queue `key` for a reconcile. */
  add(key: string): void {
    if (this.stopped) return;
    if (this.running.has(key)) {
      this.again.add(key);
      return;
    }
    if (this.queued.has(key)) return;
    this.queued.add(key);
    setImmediate(() => this.pump());
  }

  /** Queue `key` after `ms`. */
  addAfter(key: string, ms: number): void {
    if (this.stopped) return;
    const t = setTimeout(() => {
      this.timers.delete(t);
      this.add(key);
    }, Math.max(0, ms));
    this.timers.add(t);
  }

  private pump(): void {
    const limit = this.opts.concurrency ?? 4;
    for (const key of this.queued) {
      if (this.stopped || this.active >= limit) return;
      if (this.running.has(key)) continue;
      this.queued.delete(key);
      this.running.add(key);
      this.active++;
      this.reconcile(key).then(
        () => this.failures.delete(key),
        (err) => {
          const n = (this.failures.get(key) ?? 0) + 1;
          this.failures.set(key, n);
          this.opts.onError?.(key, err);
          this.addAfter(key, Math.min(5_000, (this.opts.retryMs ?? 50) * 2 ** Math.min(n - 1, 7)));
        },
      ).finally(() => {
        this.running.delete(key);
        this.active--;
        if (this.again.delete(key)) this.add(key);
        if (this.queued.size) this.pump();
        else if (this.active === 0) for (const w of this.idleWaiters.splice(0)) w();
      });
    }
  }

  /** Resolves when nothing is queued or running (timers may still be pending). */
  idle(): Promise<void> {
    if (this.active === 0 && this.queued.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  get isStopped(): boolean {
    return this.stopped;
  }

  stop(): void {
    this.stopped = true;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    this.queued.clear();
    for (const w of this.idleWaiters.splice(0)) w();
  }
}

/**
 * The informers of one simulation, shared by its controllers (one list+watch per resource type and
 * scope, as client-go's SharedInformerFactory), keyed by GVR and label selector.
 */
export class SharedInformers {
  private readonly map = new Map<string, Informer>();
  constructor(
    readonly client: SimClient,
    /** Namespaces the simulation owns (undefined: all); cluster-scoped types are always watched whole. */
    readonly namespaces?: readonly string[],
  ) {}

  /** The informer of `gvr` (namespaced types in the simulation's namespaces), created on first use. */
  get(gvr: GVR, opts: { clusterScoped?: boolean; labelSelector?: string } = {}): Informer {
    const key = `${gvr.group}/${gvr.version}/${gvr.plural}?${opts.labelSelector ?? ''}`;
    let inf = this.map.get(key);
    if (!inf) {
      inf = this.client.informer(gvr, { namespaces: opts.clusterScoped ? undefined : this.namespaces, labelSelector: opts.labelSelector });
      this.map.set(key, inf);
    }
    return inf;
  }

  /** Resolves once every informer made so far has listed. */
  async synced(): Promise<void> {
    await Promise.all([...this.map.values()].map((i) => i.synced));
  }

  stop(): void {
    for (const i of this.map.values()) i.stop();
    this.map.clear();
  }
}

/** Whether `namespace` is one of `namespaces` (undefined: every namespace is). */
export function inScope(namespaces: readonly string[] | undefined, namespace: string | undefined): boolean {
  return !namespaces?.length || (namespace !== undefined && namespaces.includes(namespace));
}

/** A KubeConfig from YAML (a convenience for hosts holding a kubeconfig text). */
export function kubeConfigFromYaml(yaml: string): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromString(yaml);
  return kc;
}
