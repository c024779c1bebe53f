/**
 * The reconciler: drives each approved DatabaseUpdate through its pipeline, from the record alone
 * (DESIGN.md data flow). It is woken by watch events on records and on the OpsRequests it created
 * (informers, not polling), works on one record at a time per record, and writes only the record's
 * `status` (resourceVersion-guarded), plus the OpsRequest and Kubernetes Events on the database.
 */
import { createHash } from 'node:crypto';
import type { Logger } from 'pino';
import type { ClusterSet } from '../kube/clusters.js';
import type { Kube } from '../kube/client.js';
import { isConflict, statusMessage } from '../kube/client.js';
import type { RecordStore } from '../kube/records.js';
import { startInformer, KeyedQueue, type Cache } from '../kube/informer.js';
import { isFenced } from '../kube/fence.js';
import {
  buildOpsRequest,
  createOpsRequest,
  getDatabase,
  getOpsRequest,
  opsRequestName,
  type OpsRequestObject,
} from '../kube/kubedb.js';
import { recordEvent } from '../kube/events.js';
import { engineByKind, OPS_GROUP, OPS_VERSION, PETSET_GROUP, PETSET_PLURAL, PETSET_VERSION, type Engine } from '../engines/table.js';
import { directPass } from '../pipeline/direct.js';
import { performResume } from '../pipeline/resume.js';
import { DEFAULT_DIRECT_SETTINGS, type DirectSettings } from '../pipeline/direct-types.js';
import { plannedSteps, progressFromOpsRequest } from '../pipeline/ops-steps.js';
import { STEP_LABEL } from '../slack/render.js';
import { isPaused } from './preflight.js';
import type { Metrics } from '../metrics.js';
import type { Config } from '../policy/config.js';
import { resolvePolicy } from '../policy/rules.js';
import { windowState } from '../policy/windows.js';
import { statusCode } from '../kube/client.js';
import * as state from './state.js';
import {
  isActive,
  LABEL_RECORD,
  RECORD_GROUP,
  RECORD_PLURAL,
  RECORD_VERSION,
  type DatabaseUpdate,
  type RecordStatus,
  type Step,
  TERMINAL_PHASES,
} from './types.js';

/** Options of the reconciler. */
export interface ReconcilerOptions {
  /** The clusters: records live in the home cluster; each record's database in `spec.database.cluster`. */
  clusters: ClusterSet;
  records: RecordStore;
  log: Logger;
  /** `spec.timeout` for created OpsRequests (Go duration, e.g. `30m`). */
  opsRequestTimeout: string;
  /** Clock (tests may pass their own). */
  now?: () => Date;
  /** Timing of the direct pipeline (default {@link DEFAULT_DIRECT_SETTINGS}). */
  direct?: DirectSettings;
  /** The configuration: maintenance windows of the policy decide when an approved update starts. */
  config?: Config;
  /** Prometheus metrics (pipeline and step durations, Kubernetes API errors). */
  metrics?: Metrics;
  /** Called with every record the cache sees (the notifier subscribes here). */
  onRecord?: (r: DatabaseUpdate) => void;
}

/** Consecutive failed passes of the direct pipeline after which the update is failed loudly. */
export const MAX_DIRECT_ERRORS = 10;

/** Whether an update of this engine and type has KubeDB's pre-update step (Postgres major: copy old binaries). */
export function needsPreUpdate(engine: Engine, updateType: string): boolean {
  return engine.kind === 'Postgres' && updateType === 'major';
}

/** Drives records; start with {@link Reconciler.start}, stop with {@link Reconciler.stop}. */
export class Reconciler {
  private records?: Cache<DatabaseUpdate>;
  private readonly ops = new Map<string, Cache<OpsRequestObject>>();
  private readonly workloads = new Map<string, Array<{ stop(): Promise<void> }>>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly queue: KeyedQueue;
  private readonly now: () => Date;

  constructor(private readonly o: ReconcilerOptions) {
    this.now = o.now ?? (() => new Date());
    this.queue = new KeyedQueue(
      (name) => this.reconcile(name),
      (name, err) => {
        if (isFenced(err)) {
          o.log.info({ record: name }, 'not the leader any more: record left to the leader');
          return;
        }
        o.metrics?.kubeApiErrors.inc({ code: String(statusCode(err) ?? 0) });
        o.log.warn({ record: name, err: statusMessage(err) }, 'reconcile failed; will retry');
      },
    );
  }

  /** Start watching records; resolves once the first list is cached. */
  async start(): Promise<void> {
    const ns = this.o.records.namespace;
    const path = `/apis/${RECORD_GROUP}/${RECORD_VERSION}/namespaces/${ns}/${RECORD_PLURAL}`;
    const home = this.o.clusters.home;
    this.records = startInformer<DatabaseUpdate>(
      home,
      path,
      async () =>
        (await home.custom.listNamespacedCustomObject({
          group: RECORD_GROUP,
          version: RECORD_VERSION,
          namespace: ns,
          plural: RECORD_PLURAL,
        })) as never,
      (r, type) => {
        if (type === 'delete') return;
        this.o.onRecord?.(r);
        this.queue.add(r.metadata.name);
      },
      { onError: (err) => this.o.log.warn({ err: statusMessage(err) }, 'record watch failed; restarting') },
    );
    // Wait for the first attempt only (it runs inside the Lease renewal): when the list failed, leading
    // goes on and the restarted informer delivers every record as an add once a list succeeds.
    await this.records.attempted;
    if (!this.records.healthy()) this.o.log.warn('records not listed yet; reconciling them once the list succeeds');
  }

  /** Stop watching and wait for running work. */
  async stop(): Promise<void> {
    this.timers.forEach(clearTimeout);
    await this.queue.close();
    await Promise.all([...this.workloads.values()].flat().map((c) => c.stop()));
    await this.records?.stop();
    await Promise.all([...this.ops.values()].map((c) => c.stop()));
  }

  /**
   * Re-examine every cached record that waits on time (Pending: expiry). Called by the `node-cron`
   * expiry task; the reconcile itself decides.
   */
  sweep(): void {
    for (const r of this.records?.list() ?? []) {
      const phase = r.status?.phase ?? 'Pending';
      if (phase === 'Pending' || phase === 'Scheduled') this.queue.add(r.metadata.name);
    }
  }

  /** The records cache (read-only view for other parts). */
  cachedRecords(): DatabaseUpdate[] {
    return this.records?.list() ?? [];
  }

  private watchOpsRequests(kube: Kube, engine: Engine): Cache<OpsRequestObject> {
    const key = `${kube.name}/${engine.kind}`;
    const known = this.ops.get(key);
    if (known) return known;
    const path = `/apis/${OPS_GROUP}/${OPS_VERSION}/${engine.opsRequestPlural}`;
    const cache = startInformer<OpsRequestObject>(
      kube,
      path,
      async () =>
        (await kube.custom.listClusterCustomObject({
          group: OPS_GROUP,
          version: OPS_VERSION,
          plural: engine.opsRequestPlural,
          labelSelector: LABEL_RECORD,
        })) as never,
      (ops) => {
        const rec = ops.metadata.labels?.[LABEL_RECORD];
        if (rec) this.queue.add(rec);
      },
      { labelSelector: LABEL_RECORD, onError: (err) => this.o.log.warn({ err: statusMessage(err) }, 'OpsRequest watch failed; restarting') },
    );
    this.ops.set(key, cache);
    return cache;
  }

  /** One reconcile pass of a record: read it fresh, then act on its phase. */
  private async reconcile(name: string): Promise<void> {
    const record = await this.o.records.get(name);
    if (!record) return;
    const phase = record.status?.phase ?? 'Pending';
    const engine = engineByKind(record.spec.engine);
    if (!engine) return;
    // `/dbupdate resume <id>` on a finished record (src/pipeline/resume.ts): the leader removes the pause.
    if (record.status?.resume?.state === 'Requested' && !isActive(phase)) {
      await performResume({ kube: this.o.clusters.require(record.spec.database.cluster), engine, records: this.o.records, log: this.o.log, now: this.now }, record);
      return;
    }
    if (phase === 'Pending') {
      await this.o.records.mutateStatus(name, (st, r) => state.expire(st, r, this.now()), { from: record });
      return;
    }
    if (phase === 'Approved' || phase === 'Scheduled') {
      const now = this.now();
      const start = this.startTime(record, now);
      if (start > now.getTime()) {
        const at = new Date(start).toISOString();
        const res = await this.o.records.mutateStatus(name, (st) => {
          if (st.phase !== 'Approved' && st.phase !== 'Scheduled') return false;
          if (st.phase === 'Scheduled' && st.scheduledFor === at) return false;
          st.phase = 'Scheduled';
          st.scheduledFor = at;
          return true;
        });
        if (res.changed) this.o.log.info({ audit: 'schedule', record: name, startAt: at }, 'update scheduled');
        this.wakeAt(name, start - now.getTime());
        return;
      }
      const blocked = await this.startBlocker(record, engine);
      if (blocked) {
        await this.fail(record, engine, blocked);
        return;
      }
      const nowIso = now.toISOString();
      const planned = plannedSteps(needsPreUpdate(engine, record.spec.updateType));
      const res = await this.o.records.mutateStatus(name, (st) => {
        if (st.phase !== 'Approved' && st.phase !== 'Scheduled') return false;
        st.phase = 'Running';
        st.startedAt = nowIso;
        st.steps = planned.map((n) => ({ name: n, state: 'Pending' }));
        return true;
      });
      if (res.changed) {
        this.o.log.info({ audit: 'start', record: name, database: record.spec.database, target: record.spec.targetVersion }, 'update started');
      }
      this.queue.add(name);
      return;
    }
    if (phase === 'Running') {
      if (record.spec.backend === 'ops-request') await this.runOpsRequest(record, engine);
      else await this.runDirect(record, engine);
    }
  }

  private async runOpsRequest(record: DatabaseUpdate, engine: Engine): Promise<void> {
    const kube = this.o.clusters.require(record.spec.database.cluster);
    const opsCache = this.watchOpsRequests(kube, engine);
    const name = record.metadata.name;
    const { namespace, name: dbName } = record.spec.database;
    let ref = record.status?.opsRequest;
    if (!ref) {
      const suffix = createHash('sha256').update(record.metadata.uid ?? name).digest('hex').slice(0, 5);
      const opsName = opsRequestName(dbName, record.spec.targetVersion, suffix);
      const body = buildOpsRequest({
        engine,
        namespace,
        name: opsName,
        database: dbName,
        targetVersion: record.spec.targetVersion,
        labels: { [LABEL_RECORD]: name, 'app.kubernetes.io/managed-by': 'dbupdate' },
        timeout: this.o.opsRequestTimeout,
      });
      try {
        await createOpsRequest(kube, engine, body);
      } catch (err) {
        const code = statusCode(err) ?? 0;
        // A transient answer (429, 5xx, no answer) is retried by the queue; the label check below adopts a create that did land.
        if (code === 429 || code >= 500 || code === 0) throw err;
        if (!isConflict(err)) {
          await this.fail(record, engine, `Could not create the ${engine.opsRequestKind}: ${statusMessage(err)}. Nothing was changed; check the bot's RBAC and KubeDB, then request again.`);
          return;
        }
        const existing = await getOpsRequest(kube, engine, namespace, opsName);
        if (existing?.metadata.labels?.[LABEL_RECORD] !== name) {
          await this.fail(record, engine, `An ${engine.opsRequestKind} named \`${opsName}\` already exists and is not this request's. Nothing was changed.`);
          return;
        }
      }
      ref = { name: opsName, namespace, kind: engine.opsRequestKind };
      const r = ref;
      await this.o.records.mutateStatus(name, (st) => {
        if (st.opsRequest) return false;
        st.opsRequest = r;
        return true;
      });
      this.o.log.info({ audit: 'ops-request-created', record: name, opsRequest: ref }, 'OpsRequest created');
    }
    const ops = opsCache.get(ref.name, ref.namespace) ?? (await getOpsRequest(kube, engine, ref.namespace, ref.name));
    if (!ops && record.status?.opsRequest) {
      const db = await getDatabase(kube, engine, namespace, dbName);
      const paused = db ? isPaused(db) : false;
      await this.fail(record, engine, `The ${engine.opsRequestKind} \`${ref.namespace}/${ref.name}\` was deleted before it finished. The database is \`${db?.status?.phase ?? 'Unknown'}\` on \`${db?.spec.version ?? '?'}\`${paused ? `, and *STILL PAUSED*: resume it with \`kubectl dba resume ${engine.name} -n ${namespace} ${dbName}\` once it is healthy` : ', not paused'}. Request the update again if it is still needed.`);
      return;
    }
    const nowIso = this.now().toISOString();
    const planned = plannedSteps(needsPreUpdate(engine, record.spec.updateType));
    const progress = progressFromOpsRequest(ops, planned, record.status?.steps ?? [], nowIso, record.status?.startedAt);

    let dbState = '';
    if (progress.outcome) {
      const db = await getDatabase(kube, engine, namespace, dbName);
      if (progress.outcome === 'Succeeded' && db && db.spec.version !== record.spec.targetVersion) {
        progress.outcome = 'Failed';
        progress.failure = {
          step: 'checks',
          reason: 'VersionMismatch',
          message: `the ${engine.opsRequestKind} reports Successful but the database's spec.version is ${db.spec.version}`,
        };
      }
      if (progress.outcome === 'Failed') {
        const paused = db ? isPaused(db) : false;
        dbState = db
          ? `The database is \`${db.status?.phase ?? 'Unknown'}\` on version \`${db.spec.version}\`${paused ? ` and *still paused*: resume it with \`kubectl dba resume ${engine.name} -n ${namespace} ${dbName}\` once it is healthy` : ', not paused'}.`
          : 'The database object was not found.';
      }
    }

    const before = record.status?.steps ?? [];
    const changedSteps = diffSteps(before, progress.steps);
    const res = await this.o.records.mutateStatus(record.metadata.name, (st: RecordStatus) => {
      if (st.phase !== 'Running') return false;
      const same = JSON.stringify(st.steps) === JSON.stringify(progress.steps) && !progress.outcome &&
        JSON.stringify(st.lastClusterCondition) === JSON.stringify(progress.lastCondition) &&
        (progress.podsReady.length === 0 || (st.progress?.images ?? '').includes(`(${progress.podsReady.join(', ')})`));
      if (same) return false;
      st.steps = progress.steps;
      if (progress.lastCondition) st.lastClusterCondition = progress.lastCondition;
      if (progress.podsReady.length > 0) {
        const total = record.spec.replicas ?? progress.podsReady.length;
        st.progress = {
          ...(st.progress ?? {}),
          images: `Images: ${progress.podsReady.length} of ${total} pods Ready on ${record.spec.targetVersion} (${progress.podsReady.join(', ')})`,
        };
      }
      if (progress.outcome === 'Succeeded') {
        st.phase = 'Succeeded';
        st.finishedAt = nowIso;
        st.message = `${dbName} runs ${record.spec.targetVersion}`;
      } else if (progress.outcome === 'Failed' && progress.failure) {
        st.phase = 'Failed';
        st.finishedAt = nowIso;
        const f = progress.failure;
        st.message = `KubeDB says \`${f.reason}\`: ${f.message}. ${dbState} Next: \`kubectl describe ${engine.opsRequestPlural}.ops.kubedb.com -n ${namespace} ${ref!.name}\` for KubeDB's account, fix the cause, then request the update again.`;
      }
      return true;
    });
    if (res.changed) {
      this.observe(record, engine, changedSteps, progress.outcome, nowIso);
      await this.emitStepEvents(record, engine, changedSteps);
      if (progress.outcome) {
        this.o.log.info({ audit: progress.outcome === 'Succeeded' ? 'finish' : 'fail', record: name, failure: progress.failure }, `update ${progress.outcome.toLowerCase()}`);
      }
    }
  }

  /**
   * Why an approved update must not start now (its preflight is old: a window may have passed), or
   * undefined: another update of the same database is running, or the database no longer runs the
   * version the request was made from (someone changed it meanwhile — starting would be a surprise or a
   * downgrade). Nothing has been changed in the cluster at this point.
   */
  private async startBlocker(record: DatabaseUpdate, engine: Engine): Promise<string | undefined> {
    const d = record.spec.database;
    const other = (this.records?.list() ?? []).find(
      (r) => r.metadata.name !== record.metadata.name && r.status?.phase === 'Running' &&
        r.spec.database.cluster === d.cluster && r.spec.database.namespace === d.namespace && r.spec.database.name === d.name && r.spec.engine === record.spec.engine,
    );
    if (other) return `Another update of \`${d.namespace}/${d.name}\` is running (\`${other.metadata.name}\`); nothing was changed. Request this one again when it has finished.`;
    const db = await getDatabase(this.o.clusters.require(d.cluster), engine, d.namespace, d.name);
    if (!db) return `${engine.kind} \`${d.namespace}/${d.name}\` no longer exists; nothing was changed.`;
    if (db.spec.version !== record.spec.fromVersion) {
      return `${engine.kind} \`${d.namespace}/${d.name}\` now runs \`${db.spec.version}\`, not \`${record.spec.fromVersion}\` as when this was requested; nothing was changed. Request the update again to check it afresh.`;
    }
    return undefined;
  }

  /**
   * When an approved update may start (ms since the epoch): not before `spec.notBefore` (`--at`), and
   * inside a maintenance window of the policy that applies to its database (re-resolved from the current
   * configuration); now when neither holds it back.
   */
  private startTime(record: DatabaseUpdate, now: Date): number {
    const notBefore = record.spec.notBefore ? Date.parse(record.spec.notBefore) : 0;
    const from = new Date(Math.max(now.getTime(), notBefore));
    if (!this.o.config) return from.getTime();
    const d = record.spec.database;
    const policy = resolvePolicy(this.o.config, { cluster: d.cluster, namespace: d.namespace, engine: record.spec.engine.toLowerCase() });
    if (policy.windows.length === 0) return from.getTime();
    const w = windowState(policy.windows, from);
    return w.open ? from.getTime() : (w.opensAt?.getTime() ?? from.getTime());
  }

  /** Run the record again after `ms` (capped at 1 h; the next pass schedules the rest). */
  private wakeAt(name: string, ms: number): void {
    const t = setTimeout(() => {
      this.timers.delete(t);
      this.queue.add(name);
    }, Math.min(Math.max(ms, 0), 3_600_000));
    t.unref?.();
    this.timers.add(t);
  }

  /** Watch the PetSets and pods KubeDB manages, to wake the direct pipeline of the record they belong to. */
  private watchWorkloads(kube: Kube): void {
    if (this.workloads.has(kube.name)) return;
    const caches: Array<{ stop(): Promise<void> }> = [];
    this.workloads.set(kube.name, caches);
    const selector = 'app.kubernetes.io/managed-by=kubedb.com';
    const wake = (obj: { metadata?: { namespace?: string; labels?: Record<string, string> } }) => {
      const db = obj.metadata?.labels?.['app.kubernetes.io/instance'];
      const ns = obj.metadata?.namespace;
      for (const r of this.records?.list() ?? []) {
        const d = r.spec.database;
        if (r.spec.backend === 'direct' && r.status?.phase === 'Running' && d.cluster === kube.name && d.name === db && d.namespace === ns) {
          this.queue.add(r.metadata.name);
        }
      }
    };
    const onError = (err: unknown) => this.o.log.warn({ err: statusMessage(err) }, 'workload watch failed; restarting');
    caches.push(
      startInformer(kube, `/apis/${PETSET_GROUP}/${PETSET_VERSION}/${PETSET_PLURAL}`,
        async () => (await kube.custom.listClusterCustomObject({ group: PETSET_GROUP, version: PETSET_VERSION, plural: PETSET_PLURAL, labelSelector: selector })) as never,
        wake, { labelSelector: selector, onError }),
      startInformer(kube, '/api/v1/pods',
        async () => (await kube.core.listPodForAllNamespaces({ labelSelector: selector })) as never,
        wake, { labelSelector: selector, onError }),
    );
  }

  /** One pass of the direct pipeline; writes its result to the record and schedules the next pass. */
  private async runDirect(record: DatabaseUpdate, engine: Engine): Promise<void> {
    const kube = this.o.clusters.require(record.spec.database.cluster);
    this.watchWorkloads(kube);
    const name = record.metadata.name;
    let res: Awaited<ReturnType<typeof directPass>>;
    try {
      res = await directPass({
      kube,
      engine,
      record,
      now: this.now(),
      log: this.o.log.child({ record: name }),
      settings: this.o.direct ?? DEFAULT_DIRECT_SETTINGS,
      });
    } catch (err) {
      // A fenced write is not the pipeline's failure: this replica lost the Lease; the leader goes on.
      if (!isFenced(err)) await this.directError(record, engine, err);
      throw err;
    }
    const nowIso = this.now().toISOString();
    const changedSteps = diffSteps(record.status?.steps ?? [], res.steps);
    const out = await this.o.records.mutateStatus(name, (st) => {
      if (st.phase !== 'Running') return false;
      const same = JSON.stringify(st.steps) === JSON.stringify(res.steps) && JSON.stringify(st.direct ?? {}) === JSON.stringify(res.direct) &&
        JSON.stringify(st.progress ?? {}) === JSON.stringify({ ...(st.progress ?? {}), ...(res.progress ?? {}) }) && !res.outcome;
      if (same) return false;
      st.steps = res.steps;
      const { errors: _errors, lastError: _lastError, ...direct } = res.direct as { errors?: number; lastError?: string };
      st.direct = direct;
      if (res.progress) st.progress = { ...(st.progress ?? {}), ...res.progress };
      if (res.outcome) {
        st.phase = res.outcome;
        st.finishedAt = nowIso;
        st.message = res.message ?? (res.outcome === 'Succeeded' ? `${record.spec.database.name} runs ${record.spec.targetVersion}` : 'the direct pipeline failed');
      }
      return true;
    });
    if (out.changed) {
      this.observe(record, engine, changedSteps, res.outcome, nowIso);
      await this.emitStepEvents(record, engine, changedSteps);
      if (res.outcome) this.o.log.info({ audit: res.outcome === 'Succeeded' ? 'finish' : 'fail', record: name, message: res.message }, `update ${res.outcome.toLowerCase()}`);
    }
    if (res.wakeInMs !== undefined && !res.outcome) {
      const t = setTimeout(() => {
        this.timers.delete(t);
        this.queue.add(name);
      }, res.wakeInMs);
      this.timers.add(t);
    }
  }

  /** Observe step and pipeline durations for steps that just ended and a pipeline that just finished. */
  private observe(record: DatabaseUpdate, engine: Engine, steps: Step[], outcome: string | undefined, nowIso: string): void {
    const m = this.o.metrics;
    if (!m) return;
    for (const s of steps) {
      if (s.state === 'Succeeded' && s.startedAt && s.finishedAt) m.stepDuration.observe({ step: s.name }, (Date.parse(s.finishedAt) - Date.parse(s.startedAt)) / 1000);
    }
    if (outcome && record.status?.startedAt) {
      m.pipelineDuration.observe({ engine: engine.name, outcome: outcome.toLowerCase() }, (Date.parse(nowIso) - Date.parse(record.status.startedAt)) / 1000);
    }
  }

  /**
   * Count a direct pass that threw (an API error the pipeline cannot decide on). After
   * {@link MAX_DIRECT_ERRORS} in a row the update is failed with a loud message saying whether the
   * database is still paused and how to resume it — it is never left paused silently.
   */
  private async directError(record: DatabaseUpdate, engine: Engine, err: unknown): Promise<void> {
    const count = Number((record.status?.direct as { errors?: number } | undefined)?.errors ?? 0) + 1;
    if (count < MAX_DIRECT_ERRORS) {
      await this.o.records.mutateStatus(record.metadata.name, (st) => {
        if (st.phase !== 'Running') return false;
        st.direct = { ...(st.direct ?? {}), errors: count, lastError: statusMessage(err) };
        return true;
      }).catch(() => undefined);
      return;
    }
    const d = record.spec.database;
    const kube = this.o.clusters.require(d.cluster);
    const db = await getDatabase(kube, engine, d.namespace, d.name).catch(() => undefined);
    const paused = db ? isPaused(db) : true;
    await this.fail(record, engine,
      `The bot could not go on after ${count} attempts: ${statusMessage(err)}. ${paused ? `:rotating_light: ${engine.kind} \`${d.namespace}/${d.name}\` is *STILL PAUSED* and its pods may run mixed images: check \`kubectl get pods -n ${d.namespace} -l app.kubernetes.io/instance=${d.name}\`, then resume it with \`kubectl dba resume ${engine.name} -n ${d.namespace} ${d.name}\`.` : 'The database is not paused.'} Fix the cause (often RBAC: \`kubectl apply -k deploy/\`), then request the update again.`,
    );
  }

  private async emitStepEvents(record: DatabaseUpdate, engine: Engine, steps: Step[]): Promise<void> {
    const { namespace, name: dbName, uid } = record.spec.database;
    const db = { apiVersion: `${engine.group}/${engine.version}`, kind: engine.kind, name: dbName, namespace, ...(uid ? { uid } : {}) };
    for (const s of steps) {
      const ok = s.state === 'Succeeded';
      await recordEvent(this.o.clusters.require(record.spec.database.cluster), db, ok ? `DBUpdate${capital(s.name)}` : `DBUpdate${capital(s.name)}Failed`,
        `${record.metadata.name}: ${STEP_LABEL[s.name]}${ok ? '' : ` failed: ${s.reason}: ${s.message}`}`, ok ? 'Normal' : 'Warning');
    }
  }

  /**
   * End a record as Failed with `message` (for the requester; says what state the database is in).
   * Never over a terminal phase (Succeeded, Failed, Cancelled…): the check runs on the fresh record
   * inside the resourceVersion-guarded write, so a stale pass cannot turn a finished update into a failure.
   */
  private async fail(record: DatabaseUpdate, engine: Engine, message: string): Promise<void> {
    const nowIso = this.now().toISOString();
    const res = await this.o.records.mutateStatus(record.metadata.name, (st) => {
      if (TERMINAL_PHASES.includes(st.phase ?? 'Pending')) return false;
      st.phase = 'Failed';
      st.finishedAt = nowIso;
      st.message = message;
      return true;
    });
    if (res.changed) this.o.log.warn({ audit: 'fail', record: record.metadata.name, engine: engine.kind, message }, 'update failed');
  }
}

function capital(s: string): string {
  return s
    .split('-')
    .map((p) => p.charAt(0).toUpperCase() + p.slice(1))
    .join('');
}

/** Steps that reached Succeeded or Failed in `after` but not in `before`. */
function diffSteps(before: Step[], after: Step[]): Step[] {
  const prev = new Map(before.map((s) => [s.name, s.state]));
  return after.filter((s) => (s.state === 'Succeeded' || s.state === 'Failed') && prev.get(s.name) !== s.state);
}
