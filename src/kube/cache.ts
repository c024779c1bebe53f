/**
 * Shared reads of one cluster that change rarely but are needed by every request:
 * - **version catalogs** (`<Kind>Version`, `catalog.kubedb.com/v1alpha1`, cluster-scoped): one informer
 *   per engine, started on first use (list + watch, RBAC `list`/`watch` in deploy/rbac.yaml), instead of
 *   listing ~200 objects (≈ 190 kB of JSON for MySQL in the scale benchmark) for every preflight;
 * - **API discovery** of `ops.kubedb.com/v1alpha1` (is KubeDB Ops Manager installed?): answers kept for
 *   {@link DISCOVERY_TTL_MS}, as kubectl keeps discovery in its cache dir.
 *
 * Reads never wait for a cache: until an informer has listed (or while it restarts after an error), the
 * caller's own live read is used. An informer whose first list fails (say, the engine's catalog CRD is not
 * installed: 404) is dropped, and the next read tries again.
 */
import type { KubernetesListObject, KubernetesObject } from '@kubernetes/client-node';
import type { Kube } from './client.js';
import { startInformer, type Cache } from './informer.js';

/** How long (ms) a discovery answer is reused. */
export const DISCOVERY_TTL_MS = 30_000;

/** The read caches of one cluster (one per {@link Kube}). */
export class ClusterCache {
  private readonly informers = new Map<string, Cache<KubernetesObject>>();
  private readonly discovery = new Map<string, { at: number; value: unknown }>();

  constructor(private readonly kube: Kube) {}

  /**
   * The objects at a cluster-scoped list `path`, from an informer once it has listed, else from `list()`
   * (which also starts the informer). The objects are the cache's own: read them, do not change them.
   * @throws what `list()` throws.
   */
  async list(path: string, list: () => Promise<KubernetesListObject<KubernetesObject>>): Promise<KubernetesObject[]> {
    const known = this.informers.get(path);
    if (known?.healthy()) return known.list();
    if (!known) this.watch(path, list);
    return (await list()).items;
  }

  /**
   * A discovery answer, reused for {@link DISCOVERY_TTL_MS}; errors are not kept.
   * @param key what is discovered (e.g. the group/version); @param ask the live call.
   */
  async discover<T>(key: string, ask: () => Promise<T>): Promise<T> {
    const hit = this.discovery.get(key);
    if (hit && Date.now() - hit.at < DISCOVERY_TTL_MS) return hit.value as T;
    const value = await ask();
    this.discovery.set(key, { at: Date.now(), value });
    return value;
  }

  /** Stop every informer and forget every answer (a later read starts afresh). */
  async stop(): Promise<void> {
    const all = [...this.informers.values()];
    this.informers.clear();
    this.discovery.clear();
    await Promise.all(all.map((c) => c.stop()));
  }

  private watch(path: string, list: () => Promise<KubernetesListObject<KubernetesObject>>): void {
    let cache: Cache<KubernetesObject> | undefined = undefined;
    let listed = false;
    cache = startInformer<KubernetesObject>(this.kube, path, list, () => undefined, {
      onError: () => {
        if (listed || !cache) return; // a watch that broke after a list: the informer re-lists itself
        if (this.informers.get(path) === cache) this.informers.delete(path);
        void cache.stop();
      },
    });
    this.informers.set(path, cache);
    void cache.synced.then(() => (listed = true));
  }
}
