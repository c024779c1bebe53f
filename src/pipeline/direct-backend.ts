/**
 * The `direct` backend: the bot's own pipeline (`src/pipeline/direct.ts`, one pass per call), woken by
 * watches on the PetSets and pods KubeDB manages (label `app.kubernetes.io/managed-by=kubedb.com`,
 * `app.kubernetes.io/instance=<database>`) and by its own requeue-after timers.
 *
 * A pass that throws an API error it cannot decide on is rethrown: the work queue retries the record with
 * its per-key back-off (`src/kube/queue.ts`) and counts the failures in a row (`PassInput.failures`). The
 * {@link MAX_DIRECT_ERRORS}-th failure in a row fails the update with a loud message saying whether the
 * database is still paused and how to resume it: it is never left paused silently.
 */
import type { Logger } from 'pino';
import type { Kube } from '../kube/client.js';
import { statusMessage, isFenced } from '../kube/errors.js';
import { startInformer } from '../kube/informer.js';
import { getDatabase, isPaused } from '../kube/kubedb.js';
import { petSets, pods } from '../kube/resources.js';
import { DIRECT_STEPS, directPass } from './direct.js';
import { DEFAULT_DIRECT_SETTINGS, type DirectSettings } from './direct-types.js';
import type { PassInput, PassResult, PipelineBackend, RunPlan, Waker } from './backend.js';

/**
 * Failed passes in a row after which the update is failed loudly. With the queue's back-off (5 ms doubling)
 * the 13th failure comes about 20 s (5 ms · (2^12 − 1)) after the first, as patient as the flat
 * 500 ms · n retries of earlier versions were after their 10th.
 */
export const MAX_DIRECT_ERRORS = 13;

/** Options of the {@link DirectBackend}. */
export interface DirectBackendOptions {
  log: Logger;
  /** Timing of the pipeline (default {@link DEFAULT_DIRECT_SETTINGS}). */
  settings?: DirectSettings;
}

/** See the module docs. */
export class DirectBackend implements PipelineBackend {
  readonly name = 'direct' as const;
  private readonly watches = new Map<string, Array<{ stop(): Promise<void> }>>();
  /** Wakes the Running direct records of a database (set by the controller). */
  private wake: Waker = { record: () => undefined, database: () => undefined };

  constructor(private readonly o: DirectBackendOptions) {}

  onWake(wake: Waker): void {
    this.wake = wake;
  }

  /** The direct pipeline's steps; its state starts in the first pass. */
  startRun(): RunPlan {
    return { steps: [...DIRECT_STEPS] };
  }

  async stop(): Promise<void> {
    const all = [...this.watches.values()].flat();
    this.watches.clear();
    await Promise.all(all.map((c) => c.stop()));
  }

  /** Watch the PetSets and pods KubeDB manages in a cluster (started on first use). */
  private watch(kube: Kube): void {
    if (this.watches.has(kube.name)) return;
    const selector = 'app.kubernetes.io/managed-by=kubedb.com';
    const wake = (obj: { metadata?: { namespace?: string; labels?: Record<string, string> } }) => {
      const name = obj.metadata?.labels?.['app.kubernetes.io/instance'];
      const namespace = obj.metadata?.namespace;
      if (name && namespace) this.wake.database({ cluster: kube.name, namespace, name });
    };
    const onError = (err: unknown) => this.o.log.warn({ err: statusMessage(err) }, 'workload watch failed; restarting');
    this.watches.set(kube.name, [
      startInformer(kube, petSets(kube).path(), () => petSets(kube).listObject(undefined, { labelSelector: selector }) as never, wake, { labelSelector: selector, onError }),
      startInformer(kube, pods(kube).path(), () => pods(kube).listObject(undefined, { labelSelector: selector }) as never, wake, { labelSelector: selector, onError }),
    ]);
  }

  async pass(input: PassInput): Promise<PassResult> {
    this.watch(input.kube);
    const { record } = input;
    try {
      const res = await directPass({ ...input, log: input.log.child({ record: record.metadata.name }), settings: this.o.settings ?? DEFAULT_DIRECT_SETTINGS });
      return {
        steps: res.steps,
        fields: { direct: res.direct },
        progress: res.progress,
        outcome: res.outcome,
        message: res.outcome ? (res.message ?? (res.outcome === 'Succeeded' ? `${record.spec.database.name} runs ${record.spec.targetVersion}` : 'the direct pipeline failed')) : undefined,
        requeueAfterMs: res.outcome ? undefined : res.requeueAfterMs,
      };
    } catch (err) {
      // A fenced write is not the pipeline's failure: this replica lost the Lease; the leader goes on.
      if (isFenced(err)) throw err;
      return this.failedPass(input, err);
    }
  }

  /**
   * A pass that threw: rethrown for the queue to retry with back-off, until it is the
   * {@link MAX_DIRECT_ERRORS}-th failure in a row: then the update fails loudly.
   * @throws the pass's error while the update is not given up.
   */
  private async failedPass({ kube, engine, record, failures }: PassInput, err: unknown): Promise<PassResult> {
    const count = failures + 1;
    const steps = record.status?.steps ?? [];
    if (count < MAX_DIRECT_ERRORS) throw err;
    this.o.log.warn({ record: record.metadata.name, err: statusMessage(err), errors: count }, 'direct pass failed too often; failing the update');
    const d = record.spec.database;
    const db = await getDatabase(kube, engine, d.namespace, d.name).catch(() => undefined);
    const paused = db ? isPaused(db) : true;
    return {
      steps,
      outcome: 'Failed',
      message: `The bot could not go on after ${count} attempts: ${statusMessage(err)}. ${paused ? `:rotating_light: ${engine.kind} \`${d.namespace}/${d.name}\` is *STILL PAUSED* and its pods may run mixed images: check \`kubectl get pods -n ${d.namespace} -l app.kubernetes.io/instance=${d.name}\`, then resume it with \`kubectl dba resume ${engine.name} -n ${d.namespace} ${d.name}\`.` : 'The database is not paused.'} Fix the cause (often RBAC: \`kubectl apply -k deploy/\`), then request the update again.`,
    };
  }
}
