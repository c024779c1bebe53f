/**
 * The leader's one watch on `DatabaseUpdate` records, shared by its controllers (the reconciler and the
 * Slack notifier): one list and one watch for both, and reads from memory instead of a GET per pass
 * (docs/architecture.md "Controllers"). Reads see the informer's cache plus the leader's own writes
 * (`src/kube/mutation-cache.ts`), so a pass right after a write acts on what it wrote.
 *
 * Each controller subscribes with an *interest*: a function from a record to the part of it the controller
 * acts on (a string). A record is handed to the controller only when that part changed since the
 * controller last saw it (controller-runtime's event predicates): the notifier's writes of `status.slack`
 * do not wake the reconciler, and a finished record whose interest is empty wakes nobody at start-up.
 */
import type { Logger } from 'pino';
import type { Kube } from '../kube/client.js';
import { statusMessage } from '../kube/errors.js';
import { compacted, isCompact, listInPages, startInformer, type Cache } from '../kube/informer.js';
import { MutationCache } from '../kube/mutation-cache.js';
import { databaseUpdates } from '../kube/resources.js';
import type { DatabaseUpdate } from '../api/v1alpha1/databaseupdate.js';

/**
 * What a controller acts on in a record, as a string compared between events; `undefined` means "nothing
 * to do for this record" (never handed over, e.g. a finished record whose Slack thread is complete).
 */
export type Interest = (r: DatabaseUpdate) => string | undefined;

/** A subscriber: `wake(name)` is called when the record's interest changed (or it was deleted). */
interface Subscriber {
  interest: Interest;
  wake: (name: string) => void;
  seen: Map<string, string | undefined>;
}

/** The records of one namespace of the home cluster, watched once for every controller of the leader. */
export class RecordInformer {
  private informer?: Cache<DatabaseUpdate>;
  private view?: MutationCache<DatabaseUpdate>;
  private readonly subscribers: Subscriber[] = [];

  /**
   * @param kube the home cluster; @param namespace the records namespace; @param log for watch errors.
   * @param opts.keepWhole which records are kept whole in memory; the others (finished, nothing left to
   *   do for anyone) are kept as {@link compactRecord}. Default: all whole.
   */
  constructor(
    private readonly kube: Kube,
    readonly namespace: string,
    private readonly log: Logger,
    private readonly opts: { keepWhole?: (r: DatabaseUpdate) => boolean } = {},
  ) {}

  /**
   * Hand records to `wake` when `interest(record)` changes: on the first list (every record whose
   * interest is defined), then on each watch event that changes it. Subscribe before {@link start}.
   */
  subscribe(interest: Interest, wake: (name: string) => void): void {
    this.subscribers.push({ interest, wake, seen: new Map() });
  }

  /** Whether the records are listed and watched (false before the first list succeeded and while the watch restarts). */
  synced(): boolean {
    return this.informer?.healthy() ?? false;
  }

  /** Start the list and watch; resolves after the first attempt (listed, or failed and retrying). */
  async start(): Promise<void> {
    const ns = this.namespace;
    const kube = this.kube;
    const records = databaseUpdates(kube);
    const informer = startInformer<DatabaseUpdate>(
      kube,
      records.path(ns),
      () => listInPages((page) => records.listObject(ns, page), this.transform()) as never,
      (r, type) => this.changed(r, type),
      {
        onError: (err) => this.log.warn({ err: statusMessage(err) }, 'record watch failed; restarting'),
        transform: this.transform(),
      },
    );
    this.informer = informer;
    this.view = new MutationCache(informer);
    await informer.attempted;
    if (!informer.healthy()) this.log.warn('records not listed yet; reconciling them once the list succeeds');
  }

  private transform(): ((r: DatabaseUpdate) => DatabaseUpdate) | undefined {
    const keep = this.opts.keepWhole;
    return keep ? (r) => (isCompact(r) || keep(r) ? r : compactRecord(r)) : undefined;
  }

  /** Stop the watch; reads answer undefined afterwards. */
  async stop(): Promise<void> {
    const i = this.informer;
    this.informer = undefined;
    this.view = undefined;
    await i?.stop();
  }

  /** The newest known state of a record (cache or the leader's own latest write); undefined when unknown. */
  get(name: string): DatabaseUpdate | undefined {
    return this.view?.get(name, this.namespace);
  }

  /** Every known record. */
  list(): DatabaseUpdate[] {
    return this.view?.list(this.namespace) ?? [];
  }

  /** Feed the answer of one of the leader's writes (see `RecordStore.onWritten`). */
  mutated(r: DatabaseUpdate): void {
    this.view?.mutated(r);
  }

  private changed(r: DatabaseUpdate, type: 'add' | 'update' | 'delete'): void {
    this.view?.observed(r, type);
    const name = r.metadata.name;
    for (const s of this.subscribers) {
      if (type === 'delete') {
        s.seen.delete(name);
        continue;
      }
      // Judge the newest known state: an event older than the leader's own write must not wake anyone.
      const current = this.get(name) ?? r;
      const interest = s.interest(current);
      const had = s.seen.has(name);
      if (had && s.seen.get(name) === interest) continue;
      s.seen.set(name, interest);
      if (interest !== undefined) s.wake(name);
    }
  }
}

/**
 * A finished record cut down to what the leader's controllers still read of it (name, labels, engine,
 * database, phase), for the informer's transform: 10,000 past updates then cost a few hundred bytes each in
 * memory instead of their whole status. Marked `compacted()` (src/kube/informer.ts): no controller is
 * interested in it (`notifierInterest` and `reconcilerInterest` answer undefined), and a new event (a
 * resume asked for) brings the whole object again.
 */
export function compactRecord(r: DatabaseUpdate): DatabaseUpdate {
  const m = r.metadata as DatabaseUpdate['metadata'] & { creationTimestamp?: string };
  return compacted({
    apiVersion: r.apiVersion,
    kind: r.kind,
    metadata: { name: m.name, namespace: m.namespace, resourceVersion: m.resourceVersion, uid: m.uid, labels: m.labels, creationTimestamp: m.creationTimestamp },
    spec: { engine: r.spec.engine, database: r.spec.database, backend: r.spec.backend } as DatabaseUpdate['spec'],
    status: { phase: r.status?.phase },
  } as DatabaseUpdate);
}
