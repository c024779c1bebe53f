/**
 * An informer cache plus the objects this process has just written, the pattern of client-go's
 * `MutationCache` (k8s.io/client-go/tools/cache/mutation_cache.go): after a write, the API server's
 * answer is newer than what the watch has delivered so far, so a reconcile reading the cache right after
 * its own write would act on stale state (and its next write would meet a 409). Reads return whichever of
 * the two is newer; an entry is dropped once the watch delivers that resourceVersion (or a newer one), when
 * the object is deleted, or after {@link MUTATION_TTL_MS}.
 *
 * resourceVersions are compared as integers, as client-go's `MutationCache` does (etcd's revisions are
 * integers; the API conventions call them opaque, so when either does not parse as an integer the
 * informer's object is used: the watch is then the only source of truth).
 */
import type { KubernetesObject } from '@kubernetes/client-node';
import type { Cache } from './informer.js';

/** How long (ms) a written object is kept when the watch never delivers it (a re-list, a lost watch). */
export const MUTATION_TTL_MS = 60_000;

/** Integer value of a resourceVersion, or undefined when it is not a decimal integer. */
export function resourceVersionNumber(rv: string | undefined): bigint | undefined {
  return rv !== undefined && /^\d+$/.test(rv) ? BigInt(rv) : undefined;
}

/** Whether `a` is strictly newer than `b` by resourceVersion (false when either is not an integer). */
function isNewer(a: KubernetesObject, b: KubernetesObject): boolean {
  const x = resourceVersionNumber(a.metadata?.resourceVersion);
  const y = resourceVersionNumber(b.metadata?.resourceVersion);
  return x !== undefined && y !== undefined && x > y;
}

const keyOf = (name: string, namespace?: string) => `${namespace ?? ''}/${name}`;

/** Reads over an informer's cache that also see this process's own latest writes. */
export class MutationCache<T extends KubernetesObject> {
  private readonly written = new Map<string, { obj: T; at: number }>();

  /** @param cache the informer's cache; @param ttlMs how long a written object may outlive its echo (default {@link MUTATION_TTL_MS}). */
  constructor(
    private readonly cache: Pick<Cache<T>, 'get' | 'list'>,
    private readonly ttlMs = MUTATION_TTL_MS,
  ) {}

  /** The newest known state of an object: the informer's, or this process's own write when that is newer. */
  get(name: string, namespace?: string): T | undefined {
    const key = keyOf(name, namespace);
    const mine = this.written.get(key);
    const cached = this.cache.get(name, namespace);
    if (!mine) return cached;
    if (Date.now() - mine.at > this.ttlMs) {
      this.written.delete(key);
      return cached;
    }
    if (!cached) return mine.obj; // created here, not watched yet
    return isNewer(mine.obj, cached) ? mine.obj : cached;
  }

  /** Every object (optionally of one namespace), each at its newest known state. */
  list(namespace?: string): T[] {
    const out = new Map<string, T>();
    for (const o of this.cache.list(namespace)) out.set(keyOf(o.metadata!.name!, o.metadata?.namespace), o);
    for (const [key, { obj }] of this.written) {
      if (namespace !== undefined && obj.metadata?.namespace !== namespace) continue;
      const got = this.get(obj.metadata!.name!, obj.metadata?.namespace);
      if (got) out.set(key, got);
    }
    return [...out.values()];
  }

  /** Remember the API server's answer to a write of this process (create, update, patch). */
  mutated(obj: T): void {
    if (!obj.metadata?.name) return;
    const key = keyOf(obj.metadata.name, obj.metadata.namespace);
    const known = this.written.get(key);
    if (known && !isNewer(obj, known.obj)) return;
    this.written.set(key, { obj, at: Date.now() });
  }

  /** Tell the cache what the watch delivered: drops a written object the watch has caught up with. */
  observed(obj: T, type: 'add' | 'update' | 'delete'): void {
    if (!obj.metadata?.name) return;
    const key = keyOf(obj.metadata.name, obj.metadata.namespace);
    const mine = this.written.get(key);
    if (!mine) return;
    if (type === 'delete' || !isNewer(mine.obj, obj)) this.written.delete(key);
  }
}
