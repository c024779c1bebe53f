/**
 * The direct pipeline: updates a KubeDB database without Ops Manager, the way Ops Manager does it for
 * patch and minor updates (docs/kubedb-facts.md, "The update flow"): pause the database, update the
 * workload's images pod by pod, check, set `spec.version`, resume. Major updates are refused earlier, in
 * preflight (they need engine-specific steps).
 *
 * One call of {@link directPass} is one pass: it reads the cluster, decides from the saved state
 * (`record.status.direct`, a {@link DirectState}) what to do next, performs at most one kind of cluster
 * write, and returns the new state for the reconciler to save. Stages and their passes:
 *
 * 1. `pause` — preflight (database `Ready`, not paused, every pod Ready, one primary `kubedb.com/role=primary`
 *    at the lowest ordinal where `engine.hasRoles`), then the status condition `Paused`=`True` (reason
 *    `PausedByDBUpdate`, message naming the record) is written to the database's `/status` (merge patch with
 *    resourceVersion) and read back. Step `paused`. A preflight refusal fails the update with nothing changed.
 * 2. `prepare` — no write: the original and target images (container name → image, from the PetSet
 *    template and the target catalog entry) and the roll order (highest ordinal first, primary last) are
 *    saved before the first workload write, so a crash never loses what to roll back to; for a Postgres
 *    with standbys, the intent to pause pg-coordinator's failover (`failover`, direct-failover.ts).
 * 3. `roll` — Postgres first: pg-coordinator's failover is paused (`Coordinator/Status`=`Pause` through a
 *    port-forward, read back; src/pipeline/coordinator.ts); a failure there fails the step before any pod
 *    moved. Then per pod: set the template's images to the target and `rollingUpdate.partition` to the pod's
 *    ordinal (one merge patch; idempotent), then wait until the pod is Ready on the target images
 *    (container `image` and `imageID` repository) with its restart count unchanged for
 *    `min(settleMs, 10 s)`; then it joins `moved` (never rolled again) and the next pod goes. A pod not
 *    Ready within `podTimeoutMs` (from its partition step) fails the step with the pod's own waiting
 *    reason → `rollback`. Step `images`; progress is one line (`Images: 2 of 3 pods on 8.0.36 (…)`).
 * 4. `checks` — every pod Ready on the target images, one primary, database phase `Ready`, restart counts
 *    unchanged for `settleMs`; not within `readyTimeoutMs` → `rollback`.
 * 5. `version` — `spec.version` := the target catalog name (merge patch), read back. This is the end of
 *    step `checks`: the step is marked passed once the version is set.
 * 6. `resume` — Postgres first: the failover is resumed (`Resume`, read back) wherever it is or may be
 *    paused (success, rollback, failure; retried over passes, then reported loudly with the command, and the
 *    database is resumed anyway). Then the bot's own `Paused` condition is removed (never anyone else's) and read back. Step
 *    `resumed`. API errors are retried 5 times (waits of `settleMs` × attempt, at most 10 s each); then the update fails with a loud message
 *    that the database is STILL PAUSED and the exact `kubectl dba resume` command.
 *
 * Rollback (`rollback`, after a failure in `roll` or `checks`): the template gets the saved original images
 * and `partition: 0` in one patch, so the workload controller brings every pod back to the original
 * revision; a pod stuck on the target revision (not Ready) is deleted, as Kubernetes' "Forced rollback"
 * requires (the controller does not replace a pod that never became Ready). One patch rather than pod by
 * pod because it is a single, idempotent write whose end state is the original workload exactly (same
 * template, same revision hash) and the controller already replaces highest ordinal first. It is bounded by
 * `podTimeoutMs` per pod to bring back; `spec.version` is never changed; then `resume`, then `Failed` with
 * a message naming the step, the pod's reason, the pods rolled back, the database's state and what to do.
 */
import { statusMessage } from '../kube/errors.js';
import { getDatabase, type DatabaseObject } from '../kube/kubedb.js';
import type { Step, StepName } from '../api/v1alpha1/databaseupdate.js';
import { DEFAULT_DIRECT_SETTINGS, type DirectInput, type DirectResult } from './direct-types.js';
import { imagesByContainer, imagesForTemplate, templateHasImages, templateImages, withImages } from './direct-images.js';
import { deletePod, getCatalogEntry, getWorkload, listPods, patchWorkload, setDatabaseVersion, updateConditions, type WorkloadObject } from './direct-kube.js';
import {
  directPreflight,
  health,
  imagesProgress,
  anyPauseCondition,
  ourPause,
  pauseCondition,
  podProblem,
  podReadyOn,
  podStableMs,
  restartsOf,
  resumeCommand,
  rollOrder,
  sameRestarts,
  seconds,
  STEP_WORDS,
  withoutOurPause,
  withPause,
  type DirectState,
  type PodView,
} from './direct-state.js';

import { failoverIntent, failoverToResume, failoverWords, pauseFailover, resumeFailover } from './direct-failover.js';

export { type DirectState } from './direct-state.js';

/** How many times a failing resume is tried before the update fails with the database still paused. */
export const RESUME_ATTEMPTS = 5;

/** The direct pipeline's steps, in order (no pre-update: the direct backend does patch and minor updates only). */
export const DIRECT_STEPS: readonly StepName[] = ['paused', 'images', 'checks', 'resumed'];

/** Pass context shared by the stage functions. */
interface Ctx {
  input: DirectInput;
  s: DirectState;
  steps: Step[];
  nowIso: string;
  nowMs: number;
  ns: string;
  db: string;
  rec: string;
  target: string;
  progress: Partial<Record<StepName, string>>;
}

/** See `direct-types.ts` ({@link DirectPass}) and this file's header. @throws API errors (the reconciler retries the pass). */
export async function directPass(input: DirectInput): Promise<DirectResult> {
  const { record, now } = input;
  const saved = (record.status?.direct ?? {}) as Partial<DirectState>;
  const s: DirectState = { ...(JSON.parse(JSON.stringify(saved)) as DirectState), stage: saved.stage ?? 'pause' };
  const prev = new Map((record.status?.steps ?? []).map((x) => [x.name, x]));
  const steps: Step[] = DIRECT_STEPS.map((name) => ({ ...(prev.get(name) ?? { name, state: 'Pending' as const }) }));
  const c: Ctx = {
    input,
    s,
    steps,
    nowIso: now.toISOString(),
    nowMs: now.getTime(),
    ns: record.spec.database.namespace,
    db: record.spec.database.name,
    rec: record.metadata.name,
    target: record.spec.targetVersion,
    progress: {},
  };
  switch (s.stage) {
    case 'pause':
      return pause(c);
    case 'prepare':
      return prepare(c);
    case 'roll':
      return roll(c);
    case 'checks':
      return checks(c);
    case 'version':
      return version(c);
    case 'rollback':
      return rollback(c);
    case 'resume':
      return resume(c);
  }
}

function step(c: Ctx, name: StepName): Step {
  return c.steps.find((x) => x.name === name)!;
}

function begin(c: Ctx, name: StepName): void {
  const st = step(c, name);
  if (st.state === 'Pending') {
    st.state = 'Running';
    st.startedAt ??= c.nowIso;
  }
}

function finish(c: Ctx, name: StepName, state: 'Succeeded' | 'Failed', extra: { message?: string; reason?: string } = {}): void {
  const st = step(c, name);
  st.startedAt ??= c.nowIso;
  st.state = state;
  st.finishedAt = c.nowIso;
  if (extra.message) st.message = extra.message;
  if (extra.reason) st.reason = extra.reason;
}

function result(c: Ctx, more: Partial<DirectResult> = {}): DirectResult {
  const progress = Object.keys(c.progress).length ? { progress: c.progress } : {};
  return { steps: c.steps, direct: c.s as unknown as Record<string, unknown>, ...progress, ...more };
}

function elapsed(c: Ctx, since: string | undefined): number {
  return since ? c.nowMs - Date.parse(since) : 0;
}

function ordinal(pod: string): number {
  return Number(/-(\d+)$/.exec(pod)?.[1] ?? -1);
}

function ref(c: Ctx): string {
  return `${c.input.engine.kind} \`${c.ns}/${c.db}\``;
}

/** The update fails before anything was changed (no pause). */
function refuse(c: Ctx, reason: string, message: string, next: string): DirectResult {
  finish(c, 'paused', 'Failed', { reason, message });
  return result(c, {
    outcome: 'Failed',
    message: `Preflight of the direct pipeline refused: \`${reason}\`: ${message}. *Nothing was changed*: ${ref(c)} was not paused. Next: ${next}`,
  });
}

/** The update failed after the pause: record it and go to rollback (when pods may have moved) or resume. */
function fail(c: Ctx, stepName: StepName, reason: string, message: string, pod?: string, rollbackNeeded = true): DirectResult {
  c.s.failure = { step: stepName, reason, message, ...(pod ? { pod } : {}) };
  finish(c, stepName, 'Failed', { reason, message });
  c.s.stage = rollbackNeeded ? 'rollback' : 'resume';
  if (!rollbackNeeded) begin(c, 'resumed');
  return result(c, { requeueAfterMs: 0 });
}

// ── 1. pause ────────────────────────────────────────────────────────────────────────────────────────

async function pause(c: Ctx): Promise<DirectResult> {
  const { kube, engine, record, settings } = c.input;
  if (record.spec.updateType === 'major') {
    return refuse(c, 'MajorUpdate', `${record.spec.fromVersion} → ${c.target} is a major update, which the direct backend does not do`, 'use the ops-request backend (KubeDB Ops Manager).');
  }
  begin(c, 'paused');
  const db = await getDatabase(kube, engine, c.ns, c.db);
  if (!db) return refuse(c, 'DatabaseNotFound', `${engine.kind} ${c.ns}/${c.db} does not exist`, 'check the name, then request again.');
  let ours = ourPause(db.status?.conditions, c.rec);
  if (!ours) {
    const w = await getWorkload(kube, engine.workloadKind, c.ns, c.db);
    if (!w) return refuse(c, 'WorkloadNotFound', `${engine.workloadKind} ${c.ns}/${c.db} does not exist`, 'check that KubeDB provisioned the database, then request again.');
    const pods = await listPods(kube, c.ns, c.db, c.db);
    const bad = directPreflight(engine, db, c.db, pods, w.spec.replicas ?? 1);
    if (bad) return refuse(c, bad.reason, bad.message, 'make the database healthy (or resume it), then request again.');
    // Ask for the pause as Ops Manager does: Paused=Unknown, which the provisioner approves by setting True.
    const back = await updateConditions(kube, engine, c.ns, c.db, (d) =>
      anyPauseCondition(d.status?.conditions) ? undefined : withPause(d.status?.conditions, pauseCondition(c.rec, c.input.now, (d.metadata as { generation?: number }).generation)),
    );
    ours = ourPause(back.status?.conditions, c.rec);
    if (!ours) {
      const other = anyPauseCondition(back.status?.conditions);
      return refuse(
        c,
        other ? 'AlreadyPaused' : 'PauseNotVerified',
        other ? `someone else paused the database meanwhile (reason ${other.reason ?? '?'})` : 'the Paused condition was written but is not on the database read back',
        'check who else operates on the database, then request again.',
      );
    }
    c.s.pause = { requestedAt: c.nowIso };
    c.input.log.info({ database: `${c.ns}/${c.db}` }, 'direct: pause requested (Paused=Unknown); waiting for the provisioner to approve it');
  }
  if (ours.status !== 'True') {
    const since = c.s.pause?.requestedAt ?? c.nowIso;
    c.s.pause = { requestedAt: since };
    const limit = settings.pauseTimeoutMs ?? DEFAULT_DIRECT_SETTINGS.pauseTimeoutMs!;
    const waited = elapsed(c, since);
    if (waited < limit) {
      c.progress.paused = `Waiting for KubeDB's provisioner to approve the pause (Paused=${ours.status})`;
      // The database object is not watched: look again soon.
      return result(c, { requeueAfterMs: Math.min(limit - waited, 1000) });
    }
    // Withdraw the request: nothing else was changed.
    const back = await updateConditions(kube, engine, c.ns, c.db, (d) => (ourPause(d.status?.conditions, c.rec) ? withoutOurPause(d.status?.conditions, c.rec) : undefined));
    if (ourPause(back.status?.conditions, c.rec)) throw new Error(`the pause request on ${engine.kind} ${c.ns}/${c.db} could not be withdrawn (still on the object read back)`);
    return refuse(
      c,
      'PauseNotApproved',
      `KubeDB's provisioner did not approve the pause within ${seconds(limit)} (the condition Paused stayed ${ours.status}); the request was withdrawn`,
      'check that the KubeDB provisioner is running and reconciles this database (`kubectl get pods -n kubedb`), then request again.',
    );
  }
  delete c.s.pause;
  // The waiting line, if one was posted, is edited to say how it ended (not "✅ Waiting for …").
  if (c.input.record.status?.progress?.paused) c.progress.paused = `KubeDB's provisioner approved the pause (Paused=${ours.status})`;
  finish(c, 'paused', 'Succeeded', { message: 'status condition `Paused` requested and approved by KubeDB\u2019s provisioner (read back); it leaves the database alone' });
  c.s.stage = 'prepare';
  begin(c, 'images');
  return result(c, { requeueAfterMs: 0 });
}

// ── 2. prepare (saves intent; no write) ──────────────────────────────────────────────────────────────

async function prepare(c: Ctx): Promise<DirectResult> {
  const { kube, engine } = c.input;
  const kind = engine.workloadKind;
  const w = await getWorkload(kube, kind, c.ns, c.db);
  if (!w) return fail(c, 'images', 'WorkloadNotFound', `${kind} ${c.ns}/${c.db} does not exist`, undefined, false);
  const db = await getDatabase(kube, engine, c.ns, c.db);
  const entry = await getCatalogEntry(kube, engine, c.target, db?.spec.topology?.mode);
  if (!entry) return fail(c, 'images', 'VersionNotFound', `${engine.catalogKind} ${c.target} is not in the catalog`, undefined, false);
  const targetImages = imagesForTemplate(w.spec.template, imagesByContainer(engine, entry.images));
  if (!targetImages[engine.container]) {
    return fail(c, 'images', 'NoDatabaseContainer', `${kind} ${c.ns}/${c.db} has no container named ${engine.container}`, undefined, false);
  }
  const all = templateImages(w.spec.template);
  const originalImages = Object.fromEntries(Object.keys(targetImages).map((n) => [n, all[n]]));
  if (originalImages[engine.container] === targetImages[engine.container]) {
    return fail(c, 'images', 'AlreadyOnTarget', `${kind} ${c.ns}/${c.db} already has ${targetImages[engine.container]} in its template while spec.version is ${db?.spec.version}: something else changed it`, undefined, false);
  }
  const pods = await listPods(kube, c.ns, c.db, c.db);
  const order = rollOrder(engine, c.db, pods, w.spec.replicas ?? 1);
  if (!order.ok) return fail(c, 'images', order.reason, order.message, undefined, false);
  Object.assign(c.s, {
    stage: 'roll',
    workload: { kind, name: c.db },
    originalImages,
    targetImages,
    fromImage: originalImages[engine.container],
    toImage: targetImages[engine.container],
    order: order.order,
    moved: [],
  } satisfies Partial<DirectState>);
  const failover = failoverIntent(c.input, w.spec.template?.spec?.containers as Parameters<typeof failoverIntent>[1], order.order.length);
  if (failover) c.s.failover = failover;
  c.progress.images = imagesProgress(c.target, order.order.length, []);
  return result(c, { requeueAfterMs: 0 });
}

// ── 3. roll ─────────────────────────────────────────────────────────────────────────────────────────

async function roll(c: Ctx): Promise<DirectResult> {
  const { kube, settings } = c.input;
  const s = c.s;
  const order = s.order ?? [];
  const moved = (s.moved ??= []);
  const target = s.targetImages ?? {};
  if (s.failover?.state === 'pausing') return pauseFailoverPass(c);
  if (!s.current) {
    const next = order.find((p) => !moved.includes(p));
    if (!next) {
      const fo = s.failover?.state === 'paused' ? `; pg-coordinator's failover is paused (\`Coordinator/Status\`=\`Pause\`, read back on ${s.failover.pod}), so no standby took over while they restarted` : '';
      finish(c, 'images', 'Succeeded', { message: `all ${order.length} pods run ${s.toImage}${fo}` });
      c.progress.images = imagesProgress(c.target, order.length, moved);
      s.stage = 'checks';
      s.checks = { since: c.nowIso };
      begin(c, 'checks');
      return result(c, { requeueAfterMs: 0 });
    }
    s.current = { pod: next, since: c.nowIso };
  }
  const cur = s.current;
  c.progress.images = imagesProgress(c.target, order.length, moved, cur.pod);
  const kind = s.workload!.kind;
  const w = await getWorkload(kube, kind, c.ns, s.workload!.name);
  if (!w) return fail(c, 'images', 'WorkloadNotFound', `${kind} ${c.ns}/${s.workload!.name} disappeared during the update`, cur.pod);
  const want = ordinal(cur.pod);
  if (!workloadAt(w, target, want)) {
    await patchWorkload(kube, kind, w, c.ns, {
      containers: withImages(w.spec.template?.spec?.containers, target),
      initContainers: withImages(w.spec.template?.spec?.initContainers, target),
      partition: want,
    });
    c.input.log.info({ pod: cur.pod, partition: want }, 'direct: workload partition lowered');
    return result(c, { requeueAfterMs: Math.max(0, settings.podTimeoutMs - elapsed(c, cur.since)) });
  }
  const pods = await listPods(kube, c.ns, c.db, s.workload!.name);
  const pod = pods.find((p) => p.name === cur.pod);
  const stable = podStableMs(settings.settleMs);
  if (pod && podReadyOn(pod, target)) {
    const r = restartsOf(pod);
    if (cur.readyAt === undefined || cur.restarts !== r) {
      cur.readyAt = c.nowIso;
      cur.restarts = r;
      return result(c, { requeueAfterMs: stable });
    }
    const held = elapsed(c, cur.readyAt);
    if (held < stable) return result(c, { requeueAfterMs: stable - held });
    moved.push(cur.pod);
    s.current = undefined;
    c.progress.images = imagesProgress(c.target, order.length, moved);
    return result(c, { requeueAfterMs: 0 });
  }
  if (cur.readyAt !== undefined) {
    cur.readyAt = undefined;
    cur.restarts = undefined;
  }
  const waited = elapsed(c, cur.since);
  if (waited >= settings.podTimeoutMs) {
    const p = podProblem(pod);
    return fail(c, 'images', p.reason, `pod \`${cur.pod}\` was not Ready on ${c.target} within ${seconds(settings.podTimeoutMs)}: ${p.message}`, cur.pod);
  }
  return result(c, { requeueAfterMs: settings.podTimeoutMs - waited });
}

/** Pause pg-coordinator's failover before the first pod restarts (one pass; direct-failover.ts). */
async function pauseFailoverPass(c: Ctx): Promise<DirectResult> {
  const r = await pauseFailover(c.input, c.s.failover!);
  c.s.failover = r.state;
  if (r.done) {
    c.progress.images = `pg-coordinator's failover paused (\`Coordinator/Status\`=\`Pause\` on ${r.state.pod}); ${imagesProgress(c.target, (c.s.order ?? []).length, c.s.moved ?? [])}`;
    return result(c, { requeueAfterMs: 0 });
  }
  if ('requeueAfterMs' in r) {
    c.progress.images = `Pausing pg-coordinator's failover: attempt ${r.state.attempts} failed (${r.state.lastError}); trying again`;
    return result(c, { requeueAfterMs: r.requeueAfterMs });
  }
  return fail(c, 'images', r.failed.reason, r.failed.message, undefined, false);
}

/** Whether the workload's template has `images` and the rolling update stands at `partition`. */
function workloadAt(w: WorkloadObject, images: Record<string, string>, partition: number): boolean {
  const us = w.spec.updateStrategy;
  return templateHasImages(w.spec.template, images) && (us?.type ?? 'RollingUpdate') === 'RollingUpdate' && (us?.rollingUpdate?.partition ?? 0) === partition;
}

// ── 4. checks ───────────────────────────────────────────────────────────────────────────────────────

async function checks(c: Ctx): Promise<DirectResult> {
  const { kube, engine, settings } = c.input;
  const s = c.s;
  const ck = (s.checks ??= { since: c.nowIso });
  const db = await getDatabase(kube, engine, c.ns, c.db);
  const pods = await listPods(kube, c.ns, c.db, s.workload!.name);
  const h = health(engine, db ?? {}, pods, (s.order ?? []).length, s.targetImages ?? {});
  if (h.ok) {
    delete ck.last;
    if (!ck.stableSince || !sameRestarts(ck.restarts, h.restarts)) {
      ck.stableSince = c.nowIso;
      ck.restarts = h.restarts;
      return result(c, { requeueAfterMs: settings.settleMs });
    }
    const held = elapsed(c, ck.stableSince);
    if (held < settings.settleMs) return result(c, { requeueAfterMs: settings.settleMs - held });
    s.stage = 'version';
    return result(c, { requeueAfterMs: 0 });
  }
  delete ck.stableSince;
  delete ck.restarts;
  ck.last = `${h.reason}: ${h.message}`;
  const waited = elapsed(c, ck.since);
  if (waited >= settings.readyTimeoutMs) {
    return fail(c, 'checks', h.reason, `not healthy within ${seconds(settings.readyTimeoutMs)} after the images were updated: ${h.message}`, h.pod);
  }
  // The database's phase is not watched: poll it.
  return result(c, { requeueAfterMs: Math.min(settings.readyTimeoutMs - waited, Math.max(50, Math.min(1000, settings.settleMs))) });
}

// ── 5. spec.version (end of the checks step) ────────────────────────────────────────────────────────

async function version(c: Ctx): Promise<DirectResult> {
  const { kube, engine, settings } = c.input;
  const back = await setDatabaseVersion(kube, engine, c.ns, c.db, c.target);
  if (back.spec.version !== c.target) throw new Error(`spec.version of ${engine.kind} ${c.ns}/${c.db} reads ${back.spec.version} after setting it to ${c.target}`);
  const n = (c.s.order ?? []).length;
  finish(c, 'checks', 'Succeeded', {
    message: `${n} of ${n} pods Ready on ${c.target}${engine.hasRoles ? ', one primary' : ''}, phase Ready, restart counts stable for ${seconds(settings.settleMs)}; spec.version set to ${c.target}`,
  });
  c.s.stage = 'resume';
  begin(c, 'resumed');
  return result(c, { requeueAfterMs: 0 });
}

// ── rollback ────────────────────────────────────────────────────────────────────────────────────────

async function rollback(c: Ctx): Promise<DirectResult> {
  const { kube, settings } = c.input;
  const s = c.s;
  const failedStep = s.failure?.step ?? 'images';
  const original = s.originalImages ?? {};
  const target = s.targetImages ?? {};
  const rb = (s.rollback ??= { since: c.nowIso, pods: [...new Set([...(s.moved ?? []), ...(s.current ? [s.current.pod] : [])])] });
  const total = (s.order ?? []).length;
  const from = c.input.record.spec.fromVersion;
  if (!s.workload || rb.pods.length === 0) {
    rb.result = 'done';
    s.stage = 'resume';
    begin(c, 'resumed');
    return result(c, { requeueAfterMs: 0 });
  }
  const kind = s.workload.kind;
  const w = await getWorkload(kube, kind, c.ns, s.workload.name);
  if (!w) {
    rb.result = 'timeout';
    rb.problem = `${kind} ${c.ns}/${s.workload.name} does not exist`;
    s.stage = 'resume';
    begin(c, 'resumed');
    return result(c, { requeueAfterMs: 0 });
  }
  if (!rb.restored) {
    if (!workloadAt(w, original, 0)) {
      await patchWorkload(kube, kind, w, c.ns, {
        containers: withImages(w.spec.template?.spec?.containers, original),
        initContainers: withImages(w.spec.template?.spec?.initContainers, original),
        partition: 0,
      });
      c.input.log.warn({ pods: rb.pods }, 'direct: rolling back to the original images');
    }
    rb.restored = true;
    c.progress[failedStep] = `Rolling back to ${from}: ${rb.pods.join(', ')}`;
    return result(c, { requeueAfterMs: 0 });
  }
  const pods = await listPods(kube, c.ns, c.db, s.workload.name);
  // Forced rollback: a pod that never became Ready on the target revision is not replaced by the
  // controller after the template is reverted; it has to be deleted.
  const stuck = pods.filter((p) => !p.ready && podOnSpec(p, target) && !podOnSpec(p, original));
  if (stuck.length) {
    for (const p of stuck) await deletePod(kube, c.ns, p.name, p.uid);
    c.input.log.warn({ pods: stuck.map((p) => p.name) }, 'direct: deleted pods stuck on the target revision');
    return result(c, { requeueAfterMs: Math.max(0, rollbackBudget(settings.podTimeoutMs, rb.pods.length) - elapsed(c, rb.since)) });
  }
  const back = pods.filter((p) => podReadyOn(p, original));
  if (pods.length >= total && back.length === pods.length) {
    rb.result = 'done';
    c.progress[failedStep] = `Rolled back to ${from}: ${rb.pods.join(', ')} — all ${total} pods Ready on ${from}`;
    s.stage = 'resume';
    begin(c, 'resumed');
    return result(c, { requeueAfterMs: 0 });
  }
  const budget = rollbackBudget(settings.podTimeoutMs, rb.pods.length);
  const waited = elapsed(c, rb.since);
  if (waited >= budget) {
    const bad = pods.find((p) => !podReadyOn(p, original));
    const pr = bad ? podProblem(bad) : { reason: 'PodsMissing', message: `${pods.length} of ${total} pods exist` };
    rb.result = 'timeout';
    rb.problem = `${bad ? `pod \`${bad.name}\`${podOnSpec(bad, original) ? '' : ` still runs ${Object.values(bad.specImages).join(', ')}`}: ` : ''}${pr.reason}: ${pr.message}`;
    c.progress[failedStep] = `Rollback to ${from} incomplete: ${back.length} of ${total} pods Ready on ${from}`;
    s.stage = 'resume';
    begin(c, 'resumed');
    return result(c, { requeueAfterMs: 0 });
  }
  c.progress[failedStep] = `Rolling back to ${from}: ${back.length} of ${total} pods Ready on ${from}`;
  return result(c, { requeueAfterMs: budget - waited });
}

function rollbackBudget(podTimeoutMs: number, pods: number): number {
  return podTimeoutMs * Math.max(1, pods);
}

/** Whether the pod's spec (not its status) names `images`. */
function podOnSpec(p: PodView, images: Record<string, string>): boolean {
  return Object.entries(images).every(([n, img]) => p.specImages[n] === undefined || p.specImages[n] === img);
}

// ── 6. resume ───────────────────────────────────────────────────────────────────────────────────────

async function resume(c: Ctx): Promise<DirectResult> {
  const { kube, engine } = c.input;
  const s = c.s;
  begin(c, 'resumed');
  // pg-coordinator's failover is resumed before the database (one pass); if that gives up, the database is still resumed.
  if (failoverToResume(s.failover)) {
    const r = await resumeFailover(c.input, s.failover!);
    s.failover = r.state;
    if (!r.done) {
      c.progress.resumed = `Resuming pg-coordinator's failover: attempt ${r.state.attempts} failed (${r.state.lastError}); trying again`;
      return result(c, { requeueAfterMs: 'requeueAfterMs' in r ? r.requeueAfterMs : 0 });
    }
    if (r.state.state === 'resumed') return result(c, { requeueAfterMs: 0 });
  }
  let back: DatabaseObject | undefined;
  let error: string | undefined;
  try {
    back = await updateConditions(kube, engine, c.ns, c.db, (d) =>
      ourPause(d.status?.conditions, c.rec) ? withoutOurPause(d.status?.conditions, c.rec) : undefined,
    );
    if (ourPause(back.status?.conditions, c.rec)) error = 'the Paused condition is still on the database read back';
  } catch (err) {
    error = statusMessage(err);
  }
  if (error) {
    const attempts = (s.resume?.attempts ?? 0) + 1;
    s.resume = { attempts, lastError: error };
    c.input.log.warn({ attempts, err: error }, 'direct: resume failed');
    if (attempts < RESUME_ATTEMPTS) return result(c, { requeueAfterMs: Math.min(Math.max(c.input.settings.settleMs, 50) * attempts, 10_000) });
    finish(c, 'resumed', 'Failed', { reason: 'ResumeFailed', message: `${error} — the database is STILL PAUSED` });
    const loud =
      `:rotating_light: *${ref(c)} is STILL PAUSED*: resuming failed ${attempts} times (${error}). KubeDB's provisioner ignores a paused database until it is resumed. ` +
      `Resume it now: \`${resumeCommand(engine, c.ns, c.db)}\` (or remove the status condition \`Paused\` with reason \`PausedByDBUpdate\`).`;
    const db = await getDatabase(kube, engine, c.ns, c.db).catch(() => undefined);
    const stuck = s.failover?.state === 'stuck' ? ` ${failoverWords(s.failover, c.input)}` : '';
    return result(c, { outcome: 'Failed', message: s.failure ? `${loud}${stuck} ${failureText(c, db, true)}` : `${loud}${stuck} The update itself went through: spec.version is ${db?.spec.version ?? '?'}.` });
  }
  if (s.failover?.state === 'stuck') {
    finish(c, 'resumed', 'Failed', { reason: s.failover.reason ?? 'FailoverNotResumed', message: `the database is resumed, but pg-coordinator's failover is not: ${s.failover.lastError ?? '?'}` });
    const loud = failoverWords(s.failover, c.input);
    return result(c, { outcome: 'Failed', message: s.failure ? `${loud} ${failureText(c, back, false)}` : `${loud} The update itself went through: ${c.db} runs ${c.target} and the database is resumed.` });
  }
  const fo = failoverWords(s.failover, c.input);
  finish(c, 'resumed', 'Succeeded', { message: `the pause condition is removed (read back); KubeDB\u2019s provisioner manages the database again${fo ? `; ${fo}` : ''}` });
  if (s.failure) return result(c, { outcome: 'Failed', message: failureText(c, back, false) });
  return result(c, { outcome: 'Succeeded', message: `${c.db} runs ${c.target}: ${(s.order ?? []).length} pods on ${s.toImage}` });
}

/** `\`orders-1\` (stuck), \`orders-2\` (had moved)`: the pods the rollback brought back. */
function rollbackPods(s: DirectState): string {
  const moved = new Set(s.moved ?? []);
  return (s.rollback?.pods ?? []).map((p) => `\`${p}\` (${moved.has(p) ? 'had moved' : 'stuck'})`).join(', ');
}

/** The failure message: step, the cluster's reason, what was rolled back, the database's state, what next. */
function failureText(c: Ctx, db: DatabaseObject | undefined, stillPaused: boolean): string {
  const s = c.s;
  const f = s.failure!;
  const { engine, record } = c.input;
  const from = record.spec.fromVersion;
  const parts: string[] = [`*${STEP_WORDS[f.step]}* failed: \`${f.reason}\`: ${f.message}.`];
  const rb = s.rollback;
  if (!rb || rb.pods.length === 0) parts.push('No pod had been changed.');
  else if (rb.result === 'done') parts.push(`Rolled back to ${from} (${s.fromImage}): ${rollbackPods(s)}; all ${(s.order ?? []).length} pods are Ready on the old image.`);
  else parts.push(`*The rollback to ${from} did not finish*: ${rb.problem ?? 'unknown'}. The ${s.workload?.kind ?? 'workload'} template is back on the old images (partition 0); check the pods: \`kubectl get pods -n ${c.ns} -l app.kubernetes.io/instance=${c.db}\`.`);
  if (db) {
    const paused = anyPauseCondition(db.status?.conditions);
    const pauseWords = stillPaused || ourPause(db.status?.conditions, c.rec) ? '*STILL PAUSED*' : paused ? `paused by someone else (${paused.reason ?? '?'})` : 'resumed (not paused)';
    parts.push(`The database is \`${db.status?.phase ?? 'Unknown'}\` on version \`${db.spec.version}\`, ${pauseWords}; spec.version was not changed.`);
  } else parts.push('The database object could not be read.');
  const fo = s.failover && s.failover.state !== 'stuck' ? failoverWords(s.failover, c.input) : '';
  if (fo) parts.push(`${fo[0].toUpperCase()}${fo.slice(1)}.`);
  const r = f.reason;
  if (r === 'ImagePullBackOff' || r === 'ErrImagePull' || r === 'InvalidImageName') parts.push(`Next: check that \`${s.toImage}\` can be pulled (registry, image name, pull secret), then request the update again.`);
  else if (r === 'CrashLoopBackOff' || r === 'Error') parts.push(`Next: find why ${c.target} crashes (the pod's Events: \`kubectl get events -n ${c.ns} --field-selector involvedObject.name=${f.pod ?? c.db}\`), fix it, then request the update again.`);
  else parts.push('Next: fix the cause above, then request the update again (or use the ops-request backend).');
  void engine;
  return parts.join(' ');
}
