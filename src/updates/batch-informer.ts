/**
 * The leader's one watch on `DatabaseUpdateBatch` objects, shared by the batch controller
 * (`./batch-controller.ts`) and the Slack batch notifier, as `./record-informer.ts` is for records: reads
 * from memory plus the leader's own latest writes (`src/kube/mutation-cache.ts`), and each subscriber
 * woken only when the part of a batch it acts on (its *interest*) changed.
 */
import type { Logger } from 'pino';
import type { Kube } from '../kube/client.js';
import { statusMessage } from '../kube/errors.js';
import { startInformer, type Cache } from '../kube/informer.js';
import { MutationCache } from '../kube/mutation-cache.js';
import { databaseUpdateBatches } from '../kube/resources.js';
import type { DatabaseUpdateBatch } from '../api/v1alpha1/databaseupdatebatch.js';

/** What a subscriber acts on in a batch, compared between events; undefined: nothing to do for it. */
export type BatchInterest = (b: DatabaseUpdateBatch) => string | undefined;

/** The batches of the records namespace of the home cluster, watched once for the leader's controllers. */
export class BatchInformer {
  private informer?: Cache<DatabaseUpdateBatch>;
  private view?: MutationCache<DatabaseUpdateBatch>;
  private readonly subscribers: Array<{ interest: BatchInterest; wake: (name: string) => void; seen: Map<string, string | undefined> }> = [];

  /** @param kube the home cluster; @param namespace the records namespace; @param log for watch errors. */
  constructor(
    private readonly kube: Kube,
    readonly namespace: string,
    private readonly log: Logger,
  ) {}

  /** Hand batches to `wake` when `interest(batch)` changes (first list included). Subscribe before {@link start}. */
  subscribe(interest: BatchInterest, wake: (name: string) => void): void {
    this.subscribers.push({ interest, wake, seen: new Map() });
  }

  /** Start the list and watch; resolves after the first attempt (listed, or failed and retrying). */
  async start(): Promise<void> {
    const res = databaseUpdateBatches(this.kube);
    const ns = this.namespace;
    const informer = startInformer<DatabaseUpdateBatch>(this.kube, res.path(ns), () => res.listObject(ns) as never, (b, type) => this.changed(b, type), {
      onError: (err) => this.log.warn({ err: statusMessage(err) }, 'batch watch failed; restarting'),
    });
    this.informer = informer;
    this.view = new MutationCache(informer);
    await informer.attempted;
  }

  /** Stop the watch. */
  async stop(): Promise<void> {
    const i = this.informer;
    this.informer = undefined;
    this.view = undefined;
    await i?.stop();
  }

  /** The newest known state of a batch. */
  get(name: string): DatabaseUpdateBatch | undefined {
    return this.view?.get(name, this.namespace);
  }

  /** Every known batch. */
  list(): DatabaseUpdateBatch[] {
    return this.view?.list(this.namespace) ?? [];
  }

  /** Feed the answer of one of the leader's writes (`BatchStore.onWritten`), and wake whoever it concerns. */
  mutated(b: DatabaseUpdateBatch): void {
    this.view?.mutated(b);
    this.changed(b, 'update', false);
  }

  private changed(b: DatabaseUpdateBatch, type: 'add' | 'update' | 'delete', observe = true): void {
    if (observe) this.view?.observed(b, type);
    const name = b.metadata.name;
    for (const s of this.subscribers) {
      if (type === 'delete') {
        s.seen.delete(name);
        continue;
      }
      const current = this.get(name) ?? b;
      const interest = s.interest(current);
      if (s.seen.has(name) && s.seen.get(name) === interest) continue;
      s.seen.set(name, interest);
      if (interest !== undefined) s.wake(name);
    }
  }
}
