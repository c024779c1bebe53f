/**
 * Pure decisions of the direct pipeline (no I/O): the saved state, pod and database health, the roll
 * order, and the words of the thread. `direct.ts` reads the cluster, calls these, and acts.
 *
 * KubeDB facts used (docs/kubedb-facts.md, "Confirmed since"): a database is paused by a status
 * condition `Paused`=`True` on the database object (`kubectl dba pause`; the provisioner skips a paused
 * object). KubeDB Ops Manager does not write `True` itself: it writes `Paused`=`Unknown` (reason `Paused`,
 * message "<Kind>OpsRequest <name> is in process") and waits until the provisioner has finished what it was
 * doing and set the condition to `True` ("waiting for the pause request to be approved by Provisioner" —
 * the Hazelcast ops controller of KubeDB's ops-manager, `pauseHazelcast`); resuming removes the condition
 * (kubedb/apimachinery `pkg/webhooks/ops/v1alpha1/shared.go` `resumeDatabase`). The bot pauses the same way; pods carry `kubedb.com/role=primary|standby` where the engine has roles; the database's
 * `status.phase` is one of Provisioning, DataRestoring, Ready, Critical, NotReady, Halted, Unknown.
 * Kubernetes facts: a PetSet/StatefulSet with `updateStrategy.rollingUpdate.partition: N` replaces pods with
 * ordinal ≥ N when the template changes, highest ordinal first
 * (https://kubernetes.io/docs/concepts/workloads/controllers/statefulset/#partitions); a pod stuck on a
 * broken revision is not replaced after the template is reverted until it is deleted ("Forced rollback").
 */
import type { Engine } from '../engines/table.js';
import type { KubeCondition } from '../kube/kubedb.js';
import type { StepName } from '../api/v1alpha1/databaseupdate.js';
import type { FailoverState } from './direct-types.js';

/** Reason of the `Paused` condition the bot writes; only a condition with this reason is ever removed by the bot. */
export const PAUSE_REASON = 'PausedByDBUpdate';
/** The role label KubeDB puts on pods of engines with roles. */
export const ROLE_LABEL = 'kubedb.com/role';

/** Stages of the direct pipeline, in order; `rollback` only after a failure, then `resume`. */
export type DirectStage = 'pause' | 'prepare' | 'roll' | 'checks' | 'version' | 'resume' | 'rollback';

/**
 * The direct pipeline's saved state (`record.status.direct`), JSON. Times are RFC 3339 strings.
 * Written by the reconciler after every pass; everything a pass needs to continue after a crash is here
 * or readable from the cluster (the `Paused` condition names the record).
 */
export interface DirectState {
  stage: DirectStage;
  /** Workload kind and name (KubeDB names it after the database). Saved in `prepare`. */
  workload?: { kind: 'PetSet' | 'StatefulSet'; name: string };
  /** Container name → image before the update. Saved in `prepare`, before the first workload write. */
  originalImages?: Record<string, string>;
  /** Container name → image of the target catalog entry (containers of the template only). */
  targetImages?: Record<string, string>;
  /** Database image before/after (for messages). */
  fromImage?: string;
  toImage?: string;
  /** Pods in roll order: highest ordinal first, primary (ordinal 0) last. */
  order?: string[];
  /** Pods Ready on the target images and stable, in the order they were moved. Never rolled again. */
  moved?: string[];
  /** The pod being moved: since when (its partition step), when first seen Ready on the target and its restart count then. */
  current?: { pod: string; since: string; readyAt?: string; restarts?: number };
  /** Checks: when started; since when all was healthy with these restart counts. */
  checks?: { since: string; stableSince?: string; restarts?: Record<string, number>; last?: string };
  /** Set when the update failed: the step, the cluster's own reason and message, the pod concerned. */
  failure?: { step: StepName; reason: string; message: string; pod?: string };
  /** Rollback after a failure: when it started, the pods to bring back, whether the template was restored, the outcome. */
  rollback?: { since: string; pods: string[]; restored?: boolean; result?: 'done' | 'timeout'; problem?: string };
  /** When the bot asked for the pause (`Paused`=`Unknown` written), while it waits for the provisioner's approval. */
  pause?: { requestedAt: string };
  /** Resume attempts that failed (API errors), and the last error. */
  resume?: { attempts: number; lastError?: string };
  /** Postgres: pg-coordinator's failover pause (direct-failover.ts); saved in `prepare`, paused before the first pod, resumed before the database. */
  failover?: FailoverState;
}

/** A pod, reduced to what the pipeline decides on (built from a core v1 Pod by `direct-kube.ts`). */
export interface PodView {
  name: string;
  uid: string;
  ordinal: number;
  role?: string;
  phase: string;
  /** The pod's `Ready` condition is `True`. */
  ready: boolean;
  /** Spec: container name → image (containers and init containers). */
  specImages: Record<string, string>;
  /** Container statuses (not init containers). */
  statuses: Array<{
    name: string;
    image: string;
    imageID: string;
    ready: boolean;
    restartCount: number;
    waiting?: { reason?: string; message?: string };
    terminated?: { reason?: string; exitCode?: number };
  }>;
}

/** Strip the default registry and `library/` so `mysql:8` and `docker.io/library/mysql:8` compare equal (kubelet may report either). */
export function normaliseImage(image: string): string {
  return image.replace(/^docker\.io\//, '').replace(/^library\//, '');
}

/** The repository of an image reference (`ghcr.io/a/mysql:8.0.36-oracle` → `ghcr.io/a/mysql`). */
export function imageRepo(image: string): string {
  const noDigest = image.split('@')[0];
  return normaliseImage(noDigest.replace(/:[^/:]+$/, ''));
}

/**
 * Whether a pod runs `images` (container name → image): the spec names them, and every container
 * status reports that image (`image`, normalised) and, when `imageID` is present, a digest of the same
 * repository. Init containers are checked in the spec only (they have run to completion).
 */
export function podOnImages(pod: PodView, images: Record<string, string>): boolean {
  for (const [name, image] of Object.entries(images)) {
    if (pod.specImages[name] !== undefined && pod.specImages[name] !== image) return false;
    const s = pod.statuses.find((x) => x.name === name);
    if (!s) continue;
    if (normaliseImage(s.image) !== normaliseImage(image) && !(image.includes('@') && s.imageID.endsWith(image.split('@')[1]))) return false;
    if (s.imageID && imageRepo(s.imageID) !== imageRepo(image)) return false;
  }
  return Object.keys(images).some((n) => pod.specImages[n] !== undefined);
}

/** Whether a pod is Ready (condition and every container) on `images`. */
export function podReadyOn(pod: PodView | undefined, images: Record<string, string>): boolean {
  return !!pod && pod.ready && pod.statuses.every((s) => s.ready) && podOnImages(pod, images);
}

/** Sum of the pod's container restart counts. */
export function restartsOf(pod: PodView): number {
  return pod.statuses.reduce((n, s) => n + s.restartCount, 0);
}

/**
 * Why a pod is not Ready, in the kubelet's own words: `ImagePullBackOff: Back-off pulling image "…"`
 * (the first container waiting for a reason other than creation), else a terminated container's reason,
 * else the pod's phase. Restarts are appended when there were any.
 */
export function podProblem(pod: PodView | undefined): { reason: string; message: string } {
  if (!pod) return { reason: 'PodNotFound', message: 'the pod does not exist' };
  const boring = new Set(['ContainerCreating', 'PodInitializing']);
  const restarts = restartsOf(pod);
  const tail = restarts ? ` (container restarts: ${restarts})` : '';
  for (const s of pod.statuses) {
    if (s.waiting?.reason && !boring.has(s.waiting.reason)) {
      return { reason: s.waiting.reason, message: `container ${s.name}: ${s.waiting.message ?? s.waiting.reason}${tail}` };
    }
  }
  for (const s of pod.statuses) {
    if (s.terminated?.reason) return { reason: s.terminated.reason, message: `container ${s.name} terminated (exit code ${s.terminated.exitCode ?? '?'})${tail}` };
  }
  const waiting = pod.statuses.find((s) => s.waiting?.reason);
  if (waiting) return { reason: waiting.waiting!.reason!, message: `container ${waiting.name} is still ${waiting.waiting!.reason}${tail}` };
  return { reason: 'NotReady', message: `pod is ${pod.phase} and not Ready${tail}` };
}

/** A `Paused` condition of any status (`Unknown` is a pause requested but not yet approved by the provisioner). */
export function anyPauseCondition(conditions: KubeCondition[] | undefined): KubeCondition | undefined {
  return (conditions ?? []).find((c) => c.type === 'Paused' && c.status !== 'False');
}

/** The bot's own `Paused` condition for record `recordName` (reason {@link PAUSE_REASON}, message naming the record), of any status. */
export function ourPause(conditions: KubeCondition[] | undefined, recordName: string): KubeCondition | undefined {
  return (conditions ?? []).find((c) => c.type === 'Paused' && c.reason === PAUSE_REASON && (c.message ?? '').includes(recordName));
}

/** Whether the database is paused for record `recordName`: the bot's `Paused` condition, approved (`True`) by the provisioner. */
export function pausedByUs(conditions: KubeCondition[] | undefined, recordName: string): boolean {
  return ourPause(conditions, recordName)?.status === 'True';
}

/**
 * The `Paused` condition the bot writes to ask for a pause: status `Unknown` until KubeDB's provisioner
 * approves it by setting `True` (the Ops Manager handshake, see the module comment); RFC 3339 seconds, as
 * `metav1.Time`.
 */
export function pauseCondition(recordName: string, now: Date, generation?: number): KubeCondition {
  return {
    type: 'Paused',
    status: 'Unknown',
    reason: PAUSE_REASON,
    message: `Paused by dbupdate for DatabaseUpdate ${recordName}: the bot updates the images itself (direct backend)`,
    lastTransitionTime: now.toISOString().replace(/\.\d{3}Z$/, 'Z'),
    ...(generation !== undefined ? { observedGeneration: generation } : {}),
  };
}

/** Conditions with the bot's pause added (an older condition of type `Paused` replaced). */
export function withPause(conditions: KubeCondition[] | undefined, c: KubeCondition): KubeCondition[] {
  return [...(conditions ?? []).filter((x) => x.type !== 'Paused'), c];
}

/** Conditions with the bot's own `Paused` condition removed; a `Paused` condition of anyone else is kept. */
export function withoutOurPause(conditions: KubeCondition[] | undefined, recordName: string): KubeCondition[] {
  return (conditions ?? []).filter((c) => !(c.type === 'Paused' && c.reason === PAUSE_REASON && (c.message ?? '').includes(recordName)));
}

/**
 * The order pods are moved in and the primary, or why the direct backend cannot move them safely.
 * `rollingUpdate.partition` moves pods from the highest ordinal down, so the primary is last only when it
 * is the lowest ordinal (`<set>-0`, where KubeDB starts it); after a failover to another ordinal the
 * update is refused rather than moving the primary before its standbys.
 * @param replicas the workload's `spec.replicas`.
 */
export function rollOrder(engine: Engine, setName: string, pods: PodView[], replicas: number): { ok: true; order: string[]; primary?: string } | { ok: false; reason: string; message: string } {
  const names = [...Array(replicas).keys()].map((i) => `${setName}-${i}`);
  const missing = names.filter((n) => !pods.some((p) => p.name === n));
  if (missing.length) return { ok: false, reason: 'PodsMissing', message: `pod${missing.length > 1 ? 's' : ''} ${missing.join(', ')} of ${engine.workloadKind} ${setName} do${missing.length > 1 ? '' : 'es'} not exist` };
  const order = [...names].reverse();
  if (!engine.hasRoles) return { ok: true, order };
  const primaries = pods.filter((p) => p.role === 'primary');
  if (primaries.length !== 1) {
    return { ok: false, reason: primaries.length ? 'SeveralPrimaries' : 'NoPrimary', message: `expected one pod labelled ${ROLE_LABEL}=primary, found ${primaries.length ? primaries.map((p) => p.name).join(', ') : 'none'}` };
  }
  const primary = primaries[0].name;
  if (primary !== names[0]) {
    return {
      ok: false,
      reason: 'PrimaryNotLowestOrdinal',
      message: `the primary is ${primary}, not ${names[0]}: rollingUpdate.partition moves pods highest ordinal first, so the primary would not be moved last. Fail over to ${names[0]} first, or use the ops-request backend`,
    };
  }
  return { ok: true, order, primary };
}

/**
 * Preflight of the direct pipeline before pausing: the database is `Ready`, not paused by anyone, every
 * pod exists and is Ready, one primary where the engine has roles. Returns the refusal, or undefined.
 */
export function directPreflight(engine: Engine, db: { status?: { phase?: string; conditions?: KubeCondition[] } }, setName: string, pods: PodView[], replicas: number): { reason: string; message: string } | undefined {
  const phase = db.status?.phase ?? 'Unknown';
  if (phase !== 'Ready') return { reason: 'DatabaseNotReady', message: `the database is ${phase}, not Ready` };
  const p = anyPauseCondition(db.status?.conditions);
  if (p) return { reason: 'AlreadyPaused', message: `the database is already ${p.status === 'True' ? 'paused' : 'being paused'} by someone else (condition Paused=${p.status}, reason ${p.reason ?? '?'}: ${p.message ?? ''})` };
  const order = rollOrder(engine, setName, pods, replicas);
  if (!order.ok) return order;
  const notReady = pods.filter((x) => !x.ready);
  if (notReady.length) {
    const first = podProblem(notReady[0]);
    return { reason: 'PodsNotReady', message: `pod${notReady.length > 1 ? 's' : ''} ${notReady.map((x) => x.name).join(', ')} not Ready (${notReady[0].name}: ${first.reason}: ${first.message})` };
  }
  return undefined;
}

/**
 * Health for the checks step: every pod Ready on the target images, one primary where the engine has
 * roles, the database's phase `Ready`. Returns the restart counts by pod when healthy.
 */
export function health(engine: Engine, db: { status?: { phase?: string } }, pods: PodView[], replicas: number, images: Record<string, string>): { ok: true; restarts: Record<string, number> } | { ok: false; reason: string; message: string; pod?: string } {
  if (pods.length < replicas) return { ok: false, reason: 'PodsMissing', message: `${pods.length} of ${replicas} pods exist` };
  for (const p of [...pods].sort((a, b) => b.ordinal - a.ordinal)) {
    if (!podReadyOn(p, images)) {
      const pr = p.ready && !podOnImages(p, images) ? { reason: 'WrongImage', message: `pod runs ${Object.values(p.specImages).join(', ')}` } : podProblem(p);
      return { ok: false, reason: pr.reason, message: `${p.name}: ${pr.message}`, pod: p.name };
    }
  }
  if (engine.hasRoles) {
    const primaries = pods.filter((p) => p.role === 'primary');
    if (primaries.length !== 1) return { ok: false, reason: 'NoPrimary', message: `expected one pod labelled ${ROLE_LABEL}=primary, found ${primaries.map((p) => p.name).join(', ') || 'none'}` };
  }
  const phase = db.status?.phase ?? 'Unknown';
  if (phase !== 'Ready') return { ok: false, reason: 'DatabaseNotReady', message: `the database's phase is ${phase}, not Ready` };
  return { ok: true, restarts: Object.fromEntries(pods.map((p) => [p.name, restartsOf(p)])) };
}

/** Whether two restart-count maps are equal. */
export function sameRestarts(a: Record<string, number> | undefined, b: Record<string, number>): boolean {
  if (!a) return false;
  const ka = Object.keys(a).sort();
  const kb = Object.keys(b).sort();
  return ka.length === kb.length && ka.every((k, i) => k === kb[i] && a[k] === b[k]);
}

/** Time a moved pod must stay Ready on the target, restart count unchanged, before the next pod goes: the settle period, at most 10 s. */
export function podStableMs(settleMs: number): number {
  return Math.min(settleMs, 10_000);
}

/** `Images: 2 of 3 pods on 8.0.36 (orders-2, orders-1)`, plus the pod now moving. */
export function imagesProgress(target: string, total: number, moved: string[], current?: string): string {
  const base = `Images: ${moved.length} of ${total} pods on ${target}${moved.length ? ` (${moved.join(', ')})` : ''}`;
  return current && !moved.includes(current) ? `${base} — updating ${current}` : base;
}

/** `1.5s`, `10m` — for messages. */
export function seconds(ms: number): string {
  if (ms >= 60_000 && ms % 60_000 === 0) return `${ms / 60_000}m`;
  return `${(ms / 1000).toFixed(ms < 10_000 ? 1 : 0)}s`;
}

/** The words of the failure message's parts. */
export const STEP_WORDS: Record<StepName, string> = {
  backup: 'Backing up',
  paused: 'Pausing',
  'pre-update': 'Pre-update',
  images: 'Updating images',
  checks: 'Checks',
  resumed: 'Resuming',
};

/** `kubectl dba resume <engine> -n <ns> <name>`: how a person resumes a paused database (KubeDB CLI). */
export function resumeCommand(engine: Engine, namespace: string, name: string): string {
  return `kubectl dba resume ${engine.name} -n ${namespace} ${name}`;
}
