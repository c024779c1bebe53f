/**
 * Shared reads of one cluster that change rarely but are needed by every request:
 * - **version catalogs** (`<Kind>Version`, `catalog.kubedb.com/v1alpha1`, cluster-scoped): one informer
 *   per engine, started on first use (list + watch, RBAC `list`/`watch` in deploy/rbac.yaml), instead of
 *   listing ~200 objects (≈ 190 kB of JSON for MySQL in the scale benchmark) for every preflight;
 * - **API discovery** of `ops.kubedb.com/v1alpha1` (is KubeDB Ops Manager installed?): answers kept for
 *   {@link DISCOVERY_TTL_MS}, as kubectl keeps discovery in its cache dir.
 *
 * The first read of a path starts its informer, whose first list answers that read and every read made
 * while it is under way: no read makes a second list of the same collection at the same time. Once it is
 * answered, reads are live until the informer is current (its watch started), and again while it
 * restarts after an error. An informer whose first attempt fails (say, the engine's catalog CRD is not
 * installed: 404, or RBAC forbids `watch`: 403) is dropped (the reads waiting on its list then read live),
 * and for {@link RETRY_INFORMER_MS} that
 * path is read live only. After {@link ClusterCache.stop} every read is live.
 */
import type { KubernetesListObject, KubernetesObject } from '@kubernetes/client-node';
import { startInformer, type Cache, type WatchSource } from './informer.js';

/** How long (ms) a discovery answer is reused. */
export const DISCOVERY_TTL_MS = 30_000;
/** How long (ms) after an informer's failed first attempt its path is read live only. */
export const RETRY_INFORMER_MS = 60_000;

/** The read caches of one cluster (one per `Kube` of `./client.ts`, which owns it with the API clients). */
export class ClusterCache {
  private readonly informers = new Map<string, Cache<KubernetesObject>>();
  /** When (ms since epoch) each path's informer last failed its first attempt. */
  private readonly failedAt = new Map<string, number>();
  private readonly discovery = new Map<string, { at: number; resources: Promise<string[]> }>();
  private stopped = false;
  /** The items of each path's first list while it is under way (see {@link ClusterCache.list}). */
  private readonly firstLists = new Map<string, Promise<KubernetesObject[]>>();

  /** @param kube where the informers watch (the owning `Kube`). */
  constructor(private readonly kube: WatchSource) {}

  /**
   * The objects at a cluster-scoped list `path`, from an informer once it has listed, else from `list()`
   * (which also starts the informer). The objects are the cache's own: read them, do not change them.
   * `transform` (the same for every call on a path) cuts objects down before they are kept (see
   * `startInformer`), e.g. `compactOpsRequest` of `src/kube/kubedb.ts`.
   * @throws what `list()` throws.
   */
  async list(
    path: string,
    list: () => Promise<KubernetesListObject<KubernetesObject>>,
    transform?: (obj: KubernetesObject) => KubernetesObject,
  ): Promise<KubernetesObject[]> {
    const known = this.informers.get(path);
    if (known?.healthy()) return known.list();
    if (!known && !this.stopped && Date.now() - (this.failedAt.get(path) ?? -Infinity) >= RETRY_INFORMER_MS) this.watch(path, list, transform);
    // The informer's first list, while under way, answers this read too: no second list of the whole
    // collection at the same time (at 8,000 OpsRequests a preflight's own list beside the informer's
    // doubled the work in front of a new user's first request). When it failed, the read is made live.
    const first = this.firstLists.get(path);
    const items = (first ? await first.catch(() => undefined) : undefined) ?? (await list()).items;
    return transform ? items.map(transform) : items;
  }

  /**
   * The resource names a group/version serves (API discovery), reused for {@link DISCOVERY_TTL_MS};
   * simultaneous misses share one call; a failed call is not kept.
   * @param groupVersion e.g. `ops.kubedb.com/v1alpha1`; @param ask the live discovery call.
   * @throws what `ask` throws.
   */
  async servedResources(groupVersion: string, ask: () => Promise<string[]>): Promise<string[]> {
    const hit = this.discovery.get(groupVersion);
    if (hit && Date.now() - hit.at < DISCOVERY_TTL_MS) return hit.resources;
    const resources = ask();
    const entry = { at: Date.now(), resources };
    if (!this.stopped) this.discovery.set(groupVersion, entry);
    resources.catch(() => {
      if (this.discovery.get(groupVersion) === entry) this.discovery.delete(groupVersion);
    });
    return resources;
  }

  /** Stop every informer and forget every answer; from then on every read is live. */
  async stop(): Promise<void> {
    this.stopped = true;
    const all = [...this.informers.values()];
    this.informers.clear();
    this.discovery.clear();
    await Promise.all(all.map((c) => c.stop()));
  }

  private watch(path: string, list: () => Promise<KubernetesListObject<KubernetesObject>>, transform?: (obj: KubernetesObject) => KubernetesObject): void {
    // The first list is made here, handed to the informer as its own, and shared with the reads made
    // until it is answered (see list()); later lists (restarts) are the informer's alone.
    let first: Promise<KubernetesListObject<KubernetesObject>> | undefined = list();
    const items = first.then((l) => l.items);
    items.catch(() => undefined); // a failed first list is the informer's to report and retry
    this.firstLists.set(path, items);
    void items.finally(() => this.firstLists.get(path) === items && this.firstLists.delete(path)).catch(() => undefined);
    const once = () => {
      const l = first ?? list();
      first = undefined;
      return l;
    };
    const cache = startInformer<KubernetesObject>(this.kube, path, once, () => undefined, { transform });
    this.informers.set(path, cache);
    void cache.attempted.then(() => {
      if (cache.healthy()) return; // later errors: the informer restarts itself, with back-off
      // First attempt failed: drop it, read this path live for a while.
      if (this.informers.get(path) === cache) this.informers.delete(path);
      this.failedAt.set(path, Date.now());
      void cache.stop();
    });
  }
}
