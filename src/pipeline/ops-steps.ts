/**
 * Maps a KubeDB OpsRequest's `status` to the bot's steps (paused, pre-update, images, checks, resumed).
 * Pure. Following docs/kubedb-facts.md: `status.phase` is authoritative (Pending, Progressing,
 * Successful, Failed, Skipped, WaitingForApproval, Approved, Denied); condition types vary by release, so
 * they are mapped by table and a condition the table does not know is kept as it is
 * (`lastClusterCondition`) rather than dropped.
 */
import type { OpsRequestObject, KubeCondition } from '../kube/kubedb.js';
import type { Step, StepName } from '../api/v1alpha1/databaseupdate.js';

/**
 * Condition types (from kubedb/apimachinery `apis/ops/v1alpha1/constant.go`, via docs/kubedb-facts.md)
 * that show a step is done. A `…Failed` type fails the step it names.
 */
export const CONDITION_STEPS: Record<string, StepName> = {
  PauseDatabase: 'paused',
  DatabasePauseSucceeded: 'paused',
  DatabasePauseFailed: 'paused',
  CopiedOldBinaries: 'pre-update',
  PausePgCoordinatorBeforeUpdate: 'pre-update',
  UpdatePetSets: 'images',
  UpdatePetSetsSucceeded: 'images',
  UpdatePetSetsFailed: 'images',
  UpdateStatefulSets: 'images',
  UpdateStatefulSetsSucceeded: 'images',
  RestartPods: 'images',
  RestartPodsSucceeded: 'images',
  UpdatePrimaryImage: 'images',
  UpdateStandbyImage: 'images',
  UpdateReplicaSetImage: 'images',
  UpdateShardImage: 'images',
  ReadyPetSets: 'checks',
  VersionUpdateSucceeded: 'checks',
  VersionUpdateFailed: 'checks',
  ResumeDatabase: 'resumed',
  DatabaseResumeSucceeded: 'resumed',
  DatabaseResumeFailed: 'resumed',
};

/** The steps an update shows, in order: `pre-update` only where the engine needs it (Postgres major). */
export function plannedSteps(needsPreUpdate: boolean): StepName[] {
  return needsPreUpdate ? ['paused', 'pre-update', 'images', 'checks', 'resumed'] : ['paused', 'images', 'checks', 'resumed'];
}

/** What the OpsRequest says about the update. */
export interface OpsProgress {
  steps: Step[];
  outcome?: 'Succeeded' | 'Failed';
  /** For a failure: the cluster's reason and message. */
  failure?: { step: StepName; reason: string; message: string };
  /** The newest condition as it is. */
  lastCondition?: { type: string; reason?: string; message?: string };
  /** Pods KubeDB reported Ready on the new image so far (from per-pod `CheckPodReady--<pod>` conditions), in order. */
  podsReady: string[];
}

/** Prefix of Ops Manager's per-pod readiness conditions (`CheckPodReady--orders-2`). */
const POD_READY_PREFIX = 'CheckPodReady--';

function isFailure(c: KubeCondition): boolean {
  return c.type.endsWith('Failed') || c.status === 'False';
}

/**
 * When a condition happened. `lastTransitionTime` is a `metav1.Time`, which has one-second precision;
 * when the condition is fresh (under 2 s before `observed`, the time the watch delivered it) the
 * observation is the better measure, else (catching up after a restart) the condition's own time.
 */
function timeOf(c: KubeCondition | undefined, observed: string): string {
  const t = c?.lastTransitionTime ? Date.parse(c.lastTransitionTime) : NaN;
  if (Number.isNaN(t) || Date.parse(observed) - t < 2000) return observed;
  return new Date(t).toISOString();
}

/**
 * Derive step states from an OpsRequest and the steps already recorded (their start times are kept).
 * A mapped condition marks its step and every earlier step done; the first step not done is Running while
 * the OpsRequest is in progress. `Successful` marks every step done; `Failed` fails the step named by a
 * failure condition, else the first step not done, with the newest condition's reason and message.
 * @param nowIso current time (RFC 3339): when this OpsRequest state was observed.
 * @param startedAt when the update started (RFC 3339): the first step's start.
 */
export function progressFromOpsRequest(
  ops: OpsRequestObject | undefined,
  planned: StepName[],
  previous: Step[],
  nowIso: string,
  startedAt?: string,
): OpsProgress {
  const prev = new Map(previous.map((s) => [s.name, s]));
  const steps: Step[] = planned.map((name) => ({ ...(prev.get(name) ?? { name, state: 'Pending' }) }));
  const conditions = [...(ops?.status?.conditions ?? [])];
  const phase = ops?.status?.phase ?? 'Pending';
  const last = conditions[conditions.length - 1];
  const lastCondition = last ? { type: last.type, reason: last.reason, message: last.message } : undefined;

  const podsReady = conditions
    .filter((c) => c.type.startsWith(POD_READY_PREFIX) && c.status === 'True')
    .map((c) => c.type.slice(POD_READY_PREFIX.length));
  let doneUpTo = -1;
  let failedStep: { idx: number; c: KubeCondition } | undefined;
  const doneAt = new Map<number, string>();
  for (const c of conditions) {
    const name = CONDITION_STEPS[c.type];
    if (!name) continue;
    const idx = planned.indexOf(name);
    if (idx < 0) continue;
    if (isFailure(c)) {
      failedStep = { idx, c };
      continue;
    }
    for (let i = 0; i <= idx; i++) if (!doneAt.has(i)) doneAt.set(i, timeOf(c, nowIso));
    doneUpTo = Math.max(doneUpTo, idx);
  }
  if (phase === 'Successful') {
    for (let i = 0; i < planned.length; i++) if (!doneAt.has(i)) doneAt.set(i, nowIso);
    doneUpTo = planned.length - 1;
  }

  steps.forEach((s, i) => {
    if (i <= doneUpTo && s.state !== 'Succeeded') {
      s.state = 'Succeeded';
      s.startedAt ??= i > 0 ? steps[i - 1].finishedAt ?? doneAt.get(i) : startedAt ?? doneAt.get(i);
      s.finishedAt = doneAt.get(i) ?? nowIso;
    }
  });

  const progressing = !['Successful', 'Failed', 'Skipped', 'Denied'].includes(phase) && phase !== 'Pending';
  const next = steps.find((s) => s.state !== 'Succeeded');
  if (progressing && next && next.state === 'Pending') {
    next.state = 'Running';
    const idx = steps.indexOf(next);
    next.startedAt ??= idx > 0 ? steps[idx - 1].finishedAt ?? nowIso : startedAt ?? nowIso;
  }

  if (phase === 'Successful') return { steps, outcome: 'Succeeded', lastCondition, podsReady };
  if (['Failed', 'Skipped', 'Denied'].includes(phase)) {
    const idx = failedStep ? failedStep.idx : steps.findIndex((s) => s.state !== 'Succeeded');
    const at = idx >= 0 ? idx : steps.length - 1;
    const c = failedStep?.c ?? last;
    const reason = c?.reason || c?.type || phase;
    const message = c?.message || `the OpsRequest is ${phase}`;
    const s = steps[at];
    s.state = 'Failed';
    s.startedAt ??= at > 0 ? steps[at - 1].finishedAt ?? nowIso : nowIso;
    s.finishedAt = timeOf(c, nowIso);
    s.reason = reason;
    s.message = message;
    return { steps, outcome: 'Failed', failure: { step: s.name, reason, message }, lastCondition, podsReady };
  }
  return { steps, lastCondition, podsReady };
}
