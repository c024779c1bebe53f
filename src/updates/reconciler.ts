/**
 * The update controller: drives each approved DatabaseUpdate through its pipeline, from the record alone
 * (docs/architecture.md "Controllers"). One {@link Reconciler.reconcile} per record name reads the record
 * from the leader's record cache (`src/updates/record-informer.ts`: no GET), acts on its phase, and
 * answers when to look again (`requeueAfterMs`); it is woken by watch events (the record's phase, spec or
 * resume intent changed, or an OpsRequest/PetSet/pod of its database changed), never by polling.
 * It writes only the status fields it owns (phase, steps, progress, the backend's state): a merge patch
 * guarded by resourceVersion where a handler may race it (leaving Pending/Approved/Scheduled), unguarded
 * while Running, when the fenced leader is the only writer of those fields. The pipeline itself is behind
 * {@link PipelineBackend} (`src/pipeline/backend.ts`): the backends are passed in, and the reconciler picks
 * one by `spec.backend` and knows nothing else of it. A Pending record is requeued at its `spec.expiresAt`
 * and expired then; a Scheduled one at its start time.
 */
import type { Logger } from 'pino';
import type { ClusterSet } from '../kube/clusters.js';
import { statusMessage, statusCode, isFenced } from '../kube/errors.js';
import type { RecordStore } from './records.js';
import { isCompact } from '../kube/informer.js';
import { KeyedQueue, type ReconcileContext, type ReconcileResult } from '../kube/queue.js';
import { getDatabase } from '../kube/kubedb.js';
import { recordEvent } from '../kube/events.js';
import { engineByKind, type Engine } from '../engines/table.js';
import { performResume } from './resume.js';
import type { DatabaseKey, PassInput, PassResult, PipelineBackend } from '../pipeline/backend.js';
import type { Metrics } from '../metrics.js';
import type { Config } from '../policy/config.js';
import { resolvePolicy } from '../policy/rules.js';
import { windowState } from '../policy/windows.js';
import type { RecordInformer } from './record-informer.js';
import * as state from './state.js';
import { isActive, type Backend, type DatabaseUpdate, type RecordStatus, type Step, TERMINAL_PHASES, STEP_LABEL } from '../api/v1alpha1/databaseupdate.js';

/** Options of the reconciler. */
export interface ReconcilerOptions {
  /** The clusters (the leader's fenced clients): records live in the home cluster; each record's database in `spec.database.cluster`. */
  clusters: ClusterSet;
  /** Record writes (the leader's fenced store). */
  records: RecordStore;
  /** The leader's record cache, shared with the notifier. */
  informer: RecordInformer;
  log: Logger;
  /**
   * The pipeline backends, one per `spec.backend` value (`src/pipeline/ops-backend.ts`,
   * `src/pipeline/direct-backend.ts`); the reconciler stops them when it stops.
   */
  backends: PipelineBackend[];
  /** Records reconciled at once (default `DEFAULT_MAX_CONCURRENT_RECONCILES` of `src/kube/queue.ts`). */
  maxConcurrentReconciles?: number;
  /** Clock (tests may pass their own). */
  now?: () => Date;
  /** The configuration: maintenance windows of the policy decide when an approved update starts. */
  config?: Config;
  /** Prometheus metrics (pipeline and step durations, Kubernetes API errors). */
  metrics?: Metrics;
  /**
   * Asked before an approved record starts (its start time come): a reason to hold it back, or undefined
   * to start it. A held record stays as it is and is asked again after {@link HOLD_RECHECK_MS}. The bot
   * holds the members of a fleet batch that is not running (`batchHold` of `./batch-state.ts`).
   */
  startGate?: (record: DatabaseUpdate) => string | undefined;
}

/** How often (ms) a record held back by {@link ReconcilerOptions.startGate} is asked about again. */
export const HOLD_RECHECK_MS = 5000;

/**
 * What of a record the reconciler acts on (see `Interest` in `src/updates/record-informer.ts`): its phase,
 * spec, start time and resume intent. Not `status.slack` (the notifier's), nor its own progress while
 * Running (it is woken by the cluster then). A finished record without a resume asked is nothing to it.
 */
export function reconcilerInterest(r: DatabaseUpdate): string | undefined {
  if (isCompact(r)) return undefined; // a finished record cut down by the informer (src/updates/record-informer.ts)
  const phase = r.status?.phase ?? 'Pending';
  const resume = r.status?.resume?.state;
  if (!isActive(phase) && resume !== 'Requested') return undefined;
  return JSON.stringify([phase, r.status?.scheduledFor, resume, r.spec.notBefore]);
}

/** Drives records from the moment it is built (it subscribes to the record informer); stop with {@link Reconciler.stop}. */
export class Reconciler {
  private readonly queue: KeyedQueue;
  private readonly now: () => Date;
  private readonly backends = new Map<Backend, PipelineBackend>();
  /** Records held back by `startGate`, with the reason last logged (logged again only when it changes). */
  private readonly held = new Map<string, string>();

  /** @throws Error when two backends serve the same `spec.backend`, or `maxConcurrentReconciles` is not a whole number ≥ 1. */
  constructor(private readonly o: ReconcilerOptions) {
    this.now = o.now ?? (() => new Date());
    this.queue = new KeyedQueue(
      (name, ctx) => this.reconcile(name, ctx),
      (name, err) => {
        if (isFenced(err)) {
          o.log.info({ record: name }, 'not the leader any more: record left to the leader');
          return;
        }
        o.metrics?.kubeApiErrors.inc({ code: String(statusCode(err) ?? 0) });
        o.log.warn({ record: name, err: statusMessage(err) }, 'reconcile failed; will retry with back-off');
      },
      { maxConcurrentReconciles: o.maxConcurrentReconciles },
    );
    for (const b of o.backends) {
      if (this.backends.has(b.name)) throw new Error(`two pipeline backends serve spec.backend "${b.name}"`);
      this.backends.set(b.name, b);
      b.onWake({ record: (name) => this.queue.add(name), database: (db) => this.wakeDatabase(db, b.name) });
    }
    o.informer.subscribe(reconcilerInterest, (name) => this.queue.add(name));
  }

  /** Stop taking work, wait for running work, stop the backends' watches. */
  async stop(): Promise<void> {
    await this.queue.close();
    await Promise.all([...this.backends.values()].map((b) => b.stop()));
  }

  /**
   * Periodic resync (controller-runtime's `SyncPeriod`): reconcile every cached record that waits on time
   * (Pending: expiry; Scheduled: its start). Each already has a requeue at its due time; this catches a
   * wall clock that jumped (timers run on the monotonic clock, `expiresAt` is wall-clock time).
   */
  resync(): void {
    for (const r of this.o.informer.list()) {
      const phase = r.status?.phase ?? 'Pending';
      if (phase === 'Pending' || phase === 'Scheduled') this.queue.add(r.metadata.name);
    }
  }

  /** Wake the Running records of a database that `backend` drives. */
  private wakeDatabase(db: DatabaseKey, backend: Backend): void {
    for (const r of this.o.informer.list()) {
      const d = r.spec.database;
      if (r.spec.backend === backend && r.status?.phase === 'Running' && d.cluster === db.cluster && d.name === db.name && d.namespace === db.namespace) {
        this.queue.add(r.metadata.name);
      }
    }
  }

  /**
   * One reconcile of a record, from the cache: act on its phase; the result says when to look again.
   * @param ctx the work queue's count of this record's failed reconciles in a row (for backends that give up).
   * @throws API errors (the queue retries with back-off), `FencedError` when the Lease is lost.
   */
  async reconcile(name: string, ctx: ReconcileContext = { failures: 0 }): Promise<ReconcileResult | void> {
    const record = this.o.informer.get(name);
    if (!record) return;
    const phase = record.status?.phase ?? 'Pending';
    const engine = engineByKind(record.spec.engine);
    if (!engine) return;
    // `/dbupdate resume <id>` on a finished record (src/updates/resume.ts): the leader removes the pause.
    if (record.status?.resume?.state === 'Requested' && !isActive(phase)) {
      await performResume({ kube: this.o.clusters.require(record.spec.database.cluster), engine, records: this.o.records, log: this.o.log, now: this.now }, record);
      return;
    }
    if (phase === 'Pending') {
      const now = this.now();
      const res = await this.o.records.mutateStatus(name, (st, r) => state.expire(st, r, now), { from: record });
      if (res.changed) return;
      // Not due yet: look again when it is (a vote meanwhile wakes it by watch anyway).
      return { requeueAfterMs: Math.max(0, Date.parse(record.spec.expiresAt) - now.getTime()) };
    }
    if (phase === 'Approved' || phase === 'Scheduled') return this.begin(record, engine, ctx);
    if (phase === 'Running') return this.run(record, engine, ctx);
  }

  /** The backend a record names, or undefined when none of the bot's serves it. */
  private backendOf(record: DatabaseUpdate): PipelineBackend | undefined {
    return this.backends.get(record.spec.backend);
  }

  /** The input of a backend call for `record`. */
  private input(record: DatabaseUpdate, engine: Engine, ctx: ReconcileContext): PassInput {
    return { kube: this.o.clusters.require(record.spec.database.cluster), engine, record, now: this.now(), log: this.o.log, failures: ctx.failures };
  }

  /** An approved record: schedule it, refuse to start it, or start it (phase Running, then its first pass). */
  private async begin(record: DatabaseUpdate, engine: Engine, ctx: ReconcileContext): Promise<ReconcileResult | void> {
    const name = record.metadata.name;
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
      }, { from: record });
      if (res.changed) this.o.log.info({ audit: 'schedule', record: name, startAt: at }, 'update scheduled');
      return { requeueAfterMs: start - now.getTime() };
    }
    const held = this.o.startGate?.(record);
    if (held) {
      if (this.held.get(name) !== held) this.o.log.info({ audit: 'hold', record: name, why: held }, 'update held back');
      this.held.set(name, held);
      return { requeueAfterMs: HOLD_RECHECK_MS };
    }
    this.held.delete(name);
    const backend = this.backendOf(record);
    const blocked = backend ? await this.startBlocker(record, engine) : `This bot has no \`${record.spec.backend}\` pipeline backend; nothing was changed.`;
    if (blocked || !backend) {
      await this.fail(record, engine, blocked ?? '');
      return;
    }
    const nowIso = now.toISOString();
    const plan = backend.startRun(this.input(record, engine, ctx));
    // Guarded: a cancel may race the start. The plan's fields (the OpsRequest's deterministic name) are recorded with it.
    const res = await this.o.records.mutateStatus(name, (st) => {
      if (st.phase !== 'Approved' && st.phase !== 'Scheduled') return false;
      st.phase = 'Running';
      st.startedAt = nowIso;
      st.steps = plan.steps.map((n) => ({ name: n, state: 'Pending' }));
      Object.assign(st, plan.fields ?? {});
      return true;
    }, { from: record });
    if (!res.changed) return;
    this.o.log.info({ audit: 'start', record: name, database: record.spec.database, target: record.spec.targetVersion }, 'update started');
    if (res.record.status?.phase === 'Running') return this.run(res.record, engine, ctx);
  }

  /** One pass of the record's backend; its result is written in one merge patch when it changed anything. */
  private async run(record: DatabaseUpdate, engine: Engine, ctx: ReconcileContext): Promise<ReconcileResult | void> {
    const backend = this.backendOf(record);
    if (!backend) {
      await this.fail(record, engine, `This bot has no \`${record.spec.backend}\` pipeline backend any more; nothing more was changed. Check the database and request the update again.`);
      return;
    }
    const res = await backend.pass(this.input(record, engine, ctx));
    const nowIso = this.now().toISOString();
    const changedSteps = diffSteps(record.status?.steps ?? [], res.steps);
    const out = await this.o.records.mutateStatus(record.metadata.name, (st) => applyPass(st, res, nowIso), {
      from: record,
      // Running: the leader alone writes these fields (handlers refuse to touch a running update), so no
      // precondition; the notifier's concurrent writes of status.slack must not cost a conflict.
      guard: false,
    });
    const dropped = out.changed ? droppedFields(res, out.record.status) : [];
    if (dropped.length) {
      // The server did not keep what the backend relies on: its next pass would start over from what it
      // read (a loop of writes, a database paused with no state to resume it by). Stop here, loudly.
      await this.fail(
        out.record,
        engine,
        `The API server did not store \`${dropped.map((k) => `status.${k}`).join('`, `')}\` of this record: the DatabaseUpdate CRD installed in the cluster is older than this bot (Helm does not upgrade CRDs). ` +
          `Apply the current one (\`kubectl apply -f deploy/crd-databaseupdate.yaml\`, or the chart's \`crds/\`), then check \`${record.spec.database.namespace}/${record.spec.database.name}\`: if it is paused, resume it (\`/dbupdate resume ${record.metadata.name}\`, or \`kubectl dba resume\`) and request the update again.`,
      );
      this.o.log.error({ record: record.metadata.name, dropped }, 'the record CRD pruned backend state; update stopped');
      return;
    }
    if (out.changed) {
      this.observe(record, engine, changedSteps, res.outcome, nowIso);
      await this.emitStepEvents(record, engine, changedSteps);
      if (res.outcome) this.o.log.info({ audit: res.outcome === 'Succeeded' ? 'finish' : 'fail', record: record.metadata.name, message: res.message }, `update ${res.outcome.toLowerCase()}`);
    }
    if (res.outcome) return;
    // A pass that moved the update on is followed by another at once (the backend's next stage may need
    // no cluster event to begin: its own write was the event); one that did not waits for a watch event
    // or its requeue-after. The ops-request backend reads only caches, so an extra pass costs no request.
    if (out.changed) return { requeueAfterMs: 0 };
    if (res.requeueAfterMs !== undefined) return { requeueAfterMs: res.requeueAfterMs };
  }

  /**
   * Why an approved update must not start now (its preflight is old: a window may have passed), or
   * undefined: another update of the same database is running, or the database no longer runs the
   * version the request was made from (someone changed it meanwhile — starting would be a surprise or a
   * downgrade). Nothing has been changed in the cluster at this point.
   */
  private async startBlocker(record: DatabaseUpdate, engine: Engine): Promise<string | undefined> {
    const d = record.spec.database;
    const other = this.o.informer.list().find(
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

/**
 * The backend's fields (`res.fields`, e.g. `direct`) the server did not store as written: a field of a
 * non-empty object that the answer to the write lacks, or holds differently (an out-of-date CRD schema
 * prunes it, e.g. one without `x-kubernetes-preserve-unknown-fields` on `status.direct`). Pure.
 * @returns the names of the fields not stored, [] when all were.
 */
export function droppedFields(res: PassResult, stored: RecordStatus | undefined): string[] {
  const quiet = (res.quiet ?? []) as string[];
  return Object.entries(res.fields ?? {})
    .filter(([k, v]) => !quiet.includes(k) && v !== undefined && v !== null)
    .filter(([k, v]) => JSON.stringify(canonical(v)) !== JSON.stringify(canonical((stored as Record<string, unknown> | undefined)?.[k])))
    .map(([k]) => k);
}

/** `v` as JSON with object keys sorted (a server answers keys in its own order) and undefined members dropped. */
function canonical(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(canonical);
  if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).filter(([, x]) => x !== undefined).sort(([a], [b]) => a.localeCompare(b)).map(([k, x]) => [k, canonical(x)]));
  return v;
}

/** Steps that reached Succeeded or Failed in `after` but not in `before`. */
function diffSteps(before: Step[], after: Step[]): Step[] {
  const prev = new Map(before.map((s) => [s.name, s.state]));
  return after.filter((s) => (s.state === 'Succeeded' || s.state === 'Failed') && prev.get(s.name) !== s.state);
}

/**
 * Apply a pass's result to a copy of the status (pure; see `RecordStore.mutateStatus`): false when it
 * changes nothing worth a write (fields listed in `quiet` alone are not).
 */
export function applyPass(st: RecordStatus, res: PassResult, nowIso: string): boolean {
  if (st.phase !== 'Running') return false;
  const before = JSON.stringify(st);
  const quiet = (res.quiet ?? []) as string[];
  const next: RecordStatus = { ...st, steps: res.steps };
  for (const [k, v] of Object.entries(res.fields ?? {})) if (!quiet.includes(k)) (next as Record<string, unknown>)[k] = v;
  if (res.progress) next.progress = { ...(st.progress ?? {}), ...res.progress };
  if (res.outcome) {
    next.phase = res.outcome;
    next.finishedAt = nowIso;
    next.message = res.message;
  }
  if (JSON.stringify(next) === before) return false;
  // A write goes out: the quiet fields ride along.
  Object.assign(st, next);
  for (const k of quiet) if (res.fields && k in res.fields) (st as Record<string, unknown>)[k] = (res.fields as Record<string, unknown>)[k];
  return true;
}
