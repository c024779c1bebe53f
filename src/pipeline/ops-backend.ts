/**
 * The `ops-request` backend: KubeDB Ops Manager carries out the update; the bot creates the
 * `<Kind>OpsRequest` (`spec.type: UpdateVersion`, kubedb/apimachinery `apis/ops/v1alpha1/*_ops_types.go`)
 * and follows its `status.conditions` and `status.phase` through a watch (one informer per cluster and
 * kind, label `dbupdate.dev/record`), mapping them to the thread's steps (`src/pipeline/ops-steps.ts`).
 */
import { createHash } from 'node:crypto';
import type { Logger } from 'pino';
import type { Kube } from '../kube/client.js';
import { isConflict, statusCode, statusMessage } from '../kube/errors.js';
import { isCompact, listInPages, startInformer, type Cache } from '../kube/informer.js';
import { MutationCache } from '../kube/mutation-cache.js';
import { buildOpsRequest, compactOpsRequest, createOpsRequest, getDatabase, getOpsRequest, isPaused, opsRequestName, type OpsRequestObject } from '../kube/kubedb.js';
import type { Engine } from '../engines/table.js';
import { opsRequests } from '../kube/resources.js';
import { LABEL_RECORD, type DatabaseUpdate } from '../api/v1alpha1/databaseupdate.js';
import { plannedSteps, progressFromOpsRequest } from './ops-steps.js';
import type { PassInput, PassResult, PipelineBackend, RunPlan, Waker } from './backend.js';

/** Whether an update of this engine and type has KubeDB's pre-update step (Postgres major: copy old binaries). */
export function needsPreUpdate(engine: Engine, updateType: string): boolean {
  return engine.kind === 'Postgres' && updateType === 'major';
}

/**
 * The name of a record's OpsRequest: deterministic (database, target, and a hash of the record's uid),
 * so a create retried after a crash or a timeout meets 409 AlreadyExists instead of making a second one.
 */
export function opsRequestNameFor(record: DatabaseUpdate): string {
  const suffix = createHash('sha256').update(record.metadata.uid ?? record.metadata.name).digest('hex').slice(0, 5);
  return opsRequestName(record.spec.database.name, record.spec.targetVersion, suffix);
}

/** The OpsRequest reference a record gets when it starts (written with `Running`, before the create). */
export function opsRequestRef(record: DatabaseUpdate, engine: Engine): { name: string; namespace: string; kind: string } {
  return { name: opsRequestNameFor(record), namespace: record.spec.database.namespace, kind: engine.opsRequestKind };
}

/** Options of the {@link OpsRequestBackend}. */
export interface OpsBackendOptions {
  log: Logger;
  /** `spec.timeout` of created OpsRequests (Go duration, e.g. `30m`). */
  opsRequestTimeout: string;
}

/** See the module docs. */
export class OpsRequestBackend implements PipelineBackend {
  readonly name = 'ops-request' as const;
  private readonly caches = new Map<string, { informer: Cache<OpsRequestObject>; view: MutationCache<OpsRequestObject> }>();
  /** Wakes the record named by an OpsRequest's `dbupdate.dev/record` label (set by the controller). */
  private wake: Waker = { record: () => undefined, database: () => undefined };

  constructor(private readonly o: OpsBackendOptions) {}

  onWake(wake: Waker): void {
    this.wake = wake;
  }

  /** The OpsRequest steps (with KubeDB's pre-update for a Postgres major update) and the OpsRequest's deterministic name. */
  startRun({ engine, record }: PassInput): RunPlan {
    return { steps: plannedSteps(needsPreUpdate(engine, record.spec.updateType)), fields: { opsRequest: opsRequestRef(record, engine) } };
  }

  async stop(): Promise<void> {
    const all = [...this.caches.values()];
    this.caches.clear();
    await Promise.all(all.map((c) => c.informer.stop()));
  }

  /** The watch of the bot's OpsRequests of one kind in one cluster (started on first use). */
  private watch(kube: Kube, engine: Engine): { informer: Cache<OpsRequestObject>; view: MutationCache<OpsRequestObject> } {
    const key = `${kube.name}/${engine.kind}`;
    const known = this.caches.get(key);
    if (known) return known;
    const resource = opsRequests(kube, engine);
    const cache = startInformer<OpsRequestObject>(
      kube,
      resource.path(),
      () => listInPages((page) => resource.listObject(undefined, { labelSelector: LABEL_RECORD, ...page }), compactOpsRequest) as never,
      (ops, type) => {
        entry.view.observed(ops, type);
        const rec = ops.metadata.labels?.[LABEL_RECORD];
        if (rec) this.wake.record(rec);
      },
      // Finished OpsRequests are kept cut down (a pass that meets one GETs it whole, once): with thousands
      // of past updates their conditions would be most of the bot's memory.
      { labelSelector: LABEL_RECORD, transform: compactOpsRequest, onError: (err) => this.o.log.warn({ err: statusMessage(err) }, 'OpsRequest watch failed; restarting') },
    );
    // The OpsRequests created here are seen at once (src/kube/mutation-cache.ts), before the watch delivers them.
    const entry = { informer: cache, view: new MutationCache<OpsRequestObject>(cache) };
    this.caches.set(key, entry);
    return entry;
  }

  async pass({ kube, engine, record, now }: PassInput): Promise<PassResult> {
    const cache = this.watch(kube, engine);
    const name = record.metadata.name;
    const { namespace, name: dbName } = record.spec.database;
    const ref = record.status?.opsRequest ?? opsRequestRef(record, engine);
    const nowIso = now.toISOString();
    const planned = plannedSteps(needsPreUpdate(engine, record.spec.updateType));
    const previous = record.status?.steps ?? [];
    const fail = (message: string): PassResult => ({ steps: previous, outcome: 'Failed', message });

    let ops = cache.informer.healthy() ? cache.view.get(ref.name, ref.namespace) : await getOpsRequest(kube, engine, ref.namespace, ref.name);
    if (ops && isCompact(ops)) ops = await getOpsRequest(kube, engine, ref.namespace, ref.name);
    // Nothing observed of it yet: (re)create it. The name is deterministic, so a create that landed before
    // a crash answers 409 and is adopted; a watch that has not caught up with our own create does too.
    const observed = previous.some((s) => s.state !== 'Pending') || record.status?.lastClusterCondition !== undefined;
    if (!ops && !observed) {
      const body = buildOpsRequest({
        engine,
        namespace,
        name: ref.name,
        database: dbName,
        targetVersion: record.spec.targetVersion,
        labels: { [LABEL_RECORD]: name, 'app.kubernetes.io/managed-by': 'dbupdate' },
        timeout: this.o.opsRequestTimeout,
      });
      try {
        ops = await createOpsRequest(kube, engine, body);
        cache.view.mutated(ops);
        this.o.log.info({ audit: 'ops-request-created', record: name, opsRequest: ref }, 'OpsRequest created');
      } catch (err) {
        const code = statusCode(err) ?? 0;
        // A transient answer (429, 5xx, no answer) is retried by the queue; a create that did land is adopted then.
        if (code === 429 || code >= 500 || code === 0) throw err;
        if (!isConflict(err)) {
          return fail(`Could not create the ${engine.opsRequestKind}: ${statusMessage(err)}. Nothing was changed; check the bot's RBAC and KubeDB, then request again.`);
        }
        ops = await getOpsRequest(kube, engine, namespace, ref.name);
        if (ops && ops.metadata.labels?.[LABEL_RECORD] !== name) {
          return fail(`An ${engine.opsRequestKind} named \`${ref.name}\` already exists and is not this request's. Nothing was changed.`);
        }
      }
    }
    const fields = { opsRequest: ref };
    if (!ops) {
      const db = await getDatabase(kube, engine, namespace, dbName);
      const paused = db ? isPaused(db) : false;
      return {
        ...fail(`The ${engine.opsRequestKind} \`${ref.namespace}/${ref.name}\` was deleted before it finished. The database is \`${db?.status?.phase ?? 'Unknown'}\` on \`${db?.spec.version ?? '?'}\`${paused ? `, and *STILL PAUSED*: resume it with \`kubectl dba resume ${engine.name} -n ${namespace} ${dbName}\` once it is healthy` : ', not paused'}. Request the update again if it is still needed.`),
        fields,
      };
    }
    const progress = progressFromOpsRequest(ops, planned, previous, nowIso, record.status?.startedAt);
    const result: PassResult = {
      steps: progress.steps,
      fields: { ...fields, ...(progress.lastCondition ? { lastClusterCondition: progress.lastCondition } : {}) },
      quiet: ['lastClusterCondition'],
    };
    if (progress.podsReady.length > 0) {
      const total = record.spec.replicas ?? progress.podsReady.length;
      result.progress = { images: `Images: ${progress.podsReady.length} of ${total} pods Ready on ${record.spec.targetVersion} (${progress.podsReady.join(', ')})` };
    }
    if (!progress.outcome) return result;

    const db = await getDatabase(kube, engine, namespace, dbName);
    if (progress.outcome === 'Succeeded' && db && db.spec.version !== record.spec.targetVersion) {
      progress.outcome = 'Failed';
      progress.failure = { step: 'checks', reason: 'VersionMismatch', message: `the ${engine.opsRequestKind} reports Successful but the database's spec.version is ${db.spec.version}` };
    }
    if (progress.outcome === 'Succeeded') return { ...result, outcome: 'Succeeded', message: `${dbName} runs ${record.spec.targetVersion}` };
    const f = progress.failure!;
    const paused = db ? isPaused(db) : false;
    const dbState = db
      ? `The database is \`${db.status?.phase ?? 'Unknown'}\` on version \`${db.spec.version}\`${paused ? ` and *still paused*: resume it with \`kubectl dba resume ${engine.name} -n ${namespace} ${dbName}\` once it is healthy` : ', not paused'}.`
      : 'The database object was not found.';
    return {
      ...result,
      outcome: 'Failed',
      message: `KubeDB says \`${f.reason}\`: ${f.message}. ${dbState} Next: \`kubectl describe ${engine.opsRequestPlural}.ops.kubedb.com -n ${namespace} ${ref.name}\` for KubeDB's account, fix the cause, then request the update again.`,
    };
  }
}
