/**
 * Watch-driven caches over client-node's `makeInformer` (list, then watch from the list's
 * resourceVersion; the library re-lists on 410 Gone). The library stops an informer on any other error
 * (docs/stack-notes.md), so this wrapper restarts it after a back-off until stopped: the restart watches again
 * from the last resourceVersion (or lists, when the list was what failed).
 */
import { guarded } from './guard.js';
import { ListWatch, Watch, type KubeConfig, type KubernetesObject, type KubernetesListObject } from '@kubernetes/client-node';

/**
 * What an informer watches through: the cluster's KubeConfig (a `Kube` of `./client.ts` is one). Watches
 * open their own connections (client-node's `Watch`), so an informer needs no API client, and the read
 * cache that `Kube` owns (`./cache.ts`) can build informers without importing the clients.
 */
export interface WatchSource {
  readonly kc: KubeConfig;
}

/** A running informer: local reads of the cache, and stop. */
export interface Cache<T extends KubernetesObject> {
  get(name: string, namespace?: string): T | undefined;
  list(namespace?: string): T[];
  /** Resolves once a first list has been loaded into the cache (a failed list does not count). */
  synced: Promise<void>;
  /** Resolves once the first attempt has ended, listed or failed (then see {@link Cache.healthy}). */
  attempted: Promise<void>;
  /**
   * Whether the cache is current: a list succeeded and no error has been seen since (an error stops the
   * library's informer until a restart succeeds).
   */
  healthy(): boolean;
  stop(): Promise<void>;
}

/**
 * Start an informer on `path` (e.g. `/apis/dbupdate.dev/v1alpha1/namespaces/dbupdate/databaseupdates`).
 * @param list the matching list call (the informer's first list and every re-list).
 * @param onChange called for each add, update and delete (with the object as last seen).
 * @param opts.restartDelayMs back-off before restarting after an error (default 1,000 ms), doubled for
 *   each error in a row up to 30,000 ms, back to the start after a successful attempt.
 * @param opts.transform applied to every object before it is cached and handed to `onChange` (client-go's
 *   `SharedIndexInformer.SetTransform`, k8s.io/client-go/tools/cache/shared_informer.go: "to reduce memory
 *   usage"): e.g. a finished object kept as the few fields still read. It must keep `metadata.name`,
 *   `namespace` and `resourceVersion` (the informer resumes its watch from the last resourceVersion).
 */
export function startInformer<T extends KubernetesObject>(
  kube: WatchSource,
  path: string,
  list: () => Promise<KubernetesListObject<T>>,
  onChange: (obj: T, type: 'add' | 'update' | 'delete') => void,
  opts: { labelSelector?: string; restartDelayMs?: number; onError?: (err: unknown) => void; transform?: (obj: T) => T } = {},
): Cache<T> {
  const informer = listWatch<T>(kube, path, list, opts.labelSelector, opts.transform);
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  // Handlers run inside client-node's event emitter: a throw there must not escape (issue #11).
  const changed = guarded('informer change handler', onChange);
  informer.on('add', (o) => changed(o, 'add'));
  informer.on('update', (o) => changed(o, 'update'));
  informer.on('delete', (o) => changed(o, 'delete'));
  const reportError = guarded('informer error handler', (err: unknown) => opts.onError?.(err));
  let markSynced: () => void = () => {};
  const synced = new Promise<void>((resolve) => (markSynced = resolve));
  let markAttempted: () => void = () => {};
  const attempted = new Promise<void>((resolve) => (markAttempted = resolve));
  let healthy = false;
  let failures = 0;
  // client-node's start() resolves even when its list failed (it reports the error to 'error' handlers
  // and returns), so an attempt only counts as synced when no error came during it.
  let failedDuringStart = false;
  const attempt = () => {
    failedDuringStart = false;
    informer.start().then(() => {
      markAttempted();
      if (stopped) {
        // stop() came while the list was in flight: the library opened the watch anyway; close it.
        informer.stop().catch(() => undefined);
        return;
      }
      if (failedDuringStart) return;
      healthy = true;
      failures = 0;
      markSynced();
    }, restart);
  };
  function restart(err: unknown): void {
    failedDuringStart = true;
    healthy = false;
    markAttempted();
    reportError(err);
    if (stopped) return;
    clearTimeout(timer);
    const delay = Math.min((opts.restartDelayMs ?? 1000) * 2 ** failures, 30_000);
    failures++;
    timer = setTimeout(() => {
      if (!stopped) attempt();
    }, delay);
    timer.unref?.();
  }
  informer.on('error', restart);
  attempt();
  return {
    get: (name, namespace) => informer.get(name, namespace),
    list: (namespace) => [...informer.list(namespace)],
    synced,
    attempted,
    healthy: () => healthy && !stopped,
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await informer.stop();
    },
  };
}

/** Page size of an informer's list (client-go's pager default: k8s.io/client-go/tools/pager `defaultPageSize` 500). */
export const LIST_PAGE_SIZE = 500;

/**
 * An informer's list read in pages of {@link LIST_PAGE_SIZE} (`limit` / `continue`), each page's items
 * passed through `transform` before the next page is asked for, so a list of 10,000 objects never sits
 * whole in memory (client-go's informers list through a pager the same way). The answer carries the first
 * page's resourceVersion: the API server serves every page of a chunked list from that one snapshot.
 * @param page one page: `continueToken` undefined for the first. @throws what `page` throws (a 410 of an
 *   expired continue token too: the informer then lists again).
 */
export async function listInPages<T extends KubernetesObject>(
  page: (opts: { limit: number; _continue?: string }) => Promise<KubernetesListObject<T>>,
  transform?: (obj: T) => T,
): Promise<KubernetesListObject<T>> {
  const items: T[] = [];
  let first: KubernetesListObject<T> | undefined;
  let token: string | undefined;
  do {
    const l = await page({ limit: LIST_PAGE_SIZE, ...(token ? { _continue: token } : {}) });
    first ??= l;
    for (const o of l.items) items.push(transform ? transform(o) : o);
    // Custom resources come back as plain JSON (`metadata.continue`); built-in kinds through client-node's
    // model classes (`V1ListMeta._continue`).
    const meta = l.metadata as { continue?: string; _continue?: string } | undefined;
    token = meta?.continue || meta?._continue || undefined;
  } while (token);
  const { continue: _c, _continue: _c2, ...meta } = (first!.metadata ?? {}) as Record<string, unknown>;
  return { ...first!, items, metadata: meta as KubernetesListObject<T>['metadata'] };
}

/** Objects a transform cut down to what is still read (see {@link compacted}). */
const COMPACT = new WeakSet<object>();

/** Mark `obj` as a cut-down copy (by a transform) and return it. */
export function compacted<T extends object>(obj: T): T {
  COMPACT.add(obj);
  return obj;
}

/** Whether `obj` is a cut-down copy made by an informer's transform: read the full object from the API if needed. */
export function isCompact(obj: object | undefined): boolean {
  return obj !== undefined && COMPACT.has(obj);
}

/**
 * client-node's `makeInformer` (a `ListWatch` over a `Watch`, @kubernetes/client-node 1.4 `informer.js`),
 * with `transform` applied to the list's items and to every watch event's object before the ListWatch
 * caches them. Only public API: the `Watch` handed to the ListWatch is wrapped.
 */
function listWatch<T extends KubernetesObject>(
  kube: WatchSource,
  path: string,
  list: () => Promise<KubernetesListObject<T>>,
  labelSelector: string | undefined,
  transform: ((obj: T) => T) | undefined,
): ListWatch<T> {
  const watch = new Watch(kube.kc);
  if (!transform) return new ListWatch<T>(path, watch, list, false, labelSelector);
  const transforming = {
    watch: (p: string, query: Record<string, string | number | boolean | undefined>, cb: (phase: string, obj: unknown, raw: unknown) => void, done: (err: unknown) => void) =>
      watch.watch(p, query, (phase, obj, raw) => cb(phase, phase === 'ADDED' || phase === 'MODIFIED' || phase === 'DELETED' ? transform(obj as T) : obj, raw), done),
  } as unknown as Watch;
  const transformedList = async () => {
    const l = await list();
    return { ...l, items: l.items.map(transform) };
  };
  return new ListWatch<T>(path, transforming, transformedList, false, labelSelector);
}
