/**
 * API `dbupdate.dev/v1alpha1`: the `DatabaseUpdateBatch` custom resource, the record of one fleet request
 * (issue #19 item 1): several databases of one engine moved to one version, approved once as a batch and
 * run in waves. Its CRD is `deploy/crd-databaseupdatebatch.yaml`.
 *
 * Why a kind of its own rather than a parent `DatabaseUpdate`: a batch has no single database, version
 * pair or pipeline, so a parent record would either leave `DatabaseUpdate`'s required fields empty or
 * make every reader of records (the update controller, the notifier, retention, `list`) tell the two
 * apart. A kind of its own keeps each schema structural and complete, gives `kubectl get dbub` printer
 * columns that fit (engine, version, members, wave, phase), and lets RBAC grant it separately. Each member
 * is an ordinary `DatabaseUpdate`, labelled {@link LABEL_BATCH} and created by the batch controller when
 * its wave starts (`src/updates/batch-controller.ts`); the update controller runs it as any other.
 *
 * Bottom of the import graph, like `./databaseupdate.ts`.
 */
import { RECORD_GROUP, RECORD_VERSION, type Backend, type SlackRefs, type UpdateType, type Vote } from './databaseupdate.js';

/** Resource (plural) name, as in `kubectl get databaseupdatebatches`. */
export const BATCH_PLURAL = 'databaseupdatebatches';
/** Kind of the batch record. */
export const BATCH_KIND = 'DatabaseUpdateBatch';
/** The batch's API coordinates (the shape `src/kube/resources.ts` takes as `CustomKind`). */
export const DATABASE_UPDATE_BATCH = { group: RECORD_GROUP, version: RECORD_VERSION, plural: BATCH_PLURAL, kind: BATCH_KIND } as const;
/** Label on every member `DatabaseUpdate` (and its OpsRequest's record label follows the record): the batch's name. Also `spec.batch`. */
export const LABEL_BATCH = 'dbupdate.dev/batch';

/** Prefix of every batch name: `fleet-<engine>-<8 hex>`, so `/dbupdate cancel <id>` tells a batch from a request. */
export const BATCH_PREFIX = 'fleet-';

/**
 * Lifecycle of a batch: Pending → Approved | Rejected | Expired | Cancelled; Approved → Running →
 * Succeeded | Failed; Running → Halted (a member failed: running members finish, the rest are held) →
 * Running (Resume) | Aborted (Abort); Running/Halted → Cancelled (`/dbupdate cancel <batch>`).
 */
export type BatchPhase = 'Pending' | 'Approved' | 'Running' | 'Halted' | 'Succeeded' | 'Failed' | 'Aborted' | 'Cancelled' | 'Rejected' | 'Expired';

/** Phases after which a batch starts no more members. */
export const BATCH_TERMINAL_PHASES: readonly BatchPhase[] = ['Succeeded', 'Failed', 'Aborted', 'Cancelled', 'Rejected', 'Expired'];

/** Whether a batch in `phase` is finished. */
export function batchFinished(phase: BatchPhase | undefined): boolean {
  return BATCH_TERMINAL_PHASES.includes(phase ?? 'Pending');
}

/** One database the batch will update, as preflight found it when requested. */
export interface BatchMember {
  namespace: string;
  name: string;
  /** The database's uid when requested (ties the member record's Events to it). */
  uid?: string;
  /** Catalog name the database ran when requested. */
  fromVersion: string;
  /** Catalog name resolved from the batch's `requestedVersion` for this database. */
  targetVersion: string;
  updateType: UpdateType;
  backend: Backend;
  replicas?: number;
  /** Set by preflight for a base-OS change KubeDB allows: one sentence shown in the table. */
  warning?: string;
}

/** A selected database left out of the batch when requested: already on the target, or refused (with preflight's reason). */
export interface BatchLeftOut {
  namespace: string;
  name: string;
  /** `nothing`: already runs the target (nothing to do); `refused`: preflight or the policy said no. */
  outcome: 'nothing' | 'refused';
  code: string;
  /** Why, for the table (Slack mrkdwn, preflight's own words). */
  message: string;
}

/** `spec` of a batch: what was asked and what preflight found, fixed at creation. */
export interface BatchSpec {
  /** KubeDB kind, e.g. `MySQL`. */
  engine: string;
  /** Cluster of every member. */
  cluster: string;
  /** The selection as the user wrote it (`-l tier=staging in payments`, `--all in payments`, `orders, billing/pool`). */
  selection: string;
  /** What the user typed, e.g. `8.4`. */
  requestedVersion: string;
  requester: string;
  reason?: string;
  /** Slack channel the request was made in: the batch's parent message goes there. */
  channel: string;
  /** RFC 3339 time after which a Pending batch expires. */
  expiresAt: string;
  /** Who may approve: the approvers every member's policy allows (the strictest rule applies). */
  approvers: string[];
  /** Distinct approvals needed: the most any member needs (a major member needs the major approvals). */
  approvalsRequired: number;
  approverMention?: string;
  allowSelfApproval?: boolean;
  /** Members updated at once after the canary (policy `fleet.maxParallel`, default 2). */
  maxParallel: number;
  /** Wait between waves, in seconds (policy `fleet.soak`, default 5 min). */
  soakSeconds: number;
  /** The databases to update, in the order they run: the first is the canary. */
  members: BatchMember[];
  /** The selected databases left out, with why. */
  leftOut?: BatchLeftOut[];
}

/** A member that could not be started when its wave came (its lock was taken, or the create failed for good). */
export interface BatchSkip {
  /** `namespace/name` of the database. */
  member: string;
  message: string;
}

/** Resume or Abort after a halt, as written by the Slack handler and carried out by the leader. Times RFC 3339. */
export interface BatchIntent {
  action: 'resume' | 'abort';
  user: string;
  at: string;
}

/** `status` of a batch. */
export interface BatchStatus {
  phase?: BatchPhase;
  /** How many members the batch has (`spec.members`), for `kubectl get dbub`'s Members column. */
  memberCount?: number;
  approvals?: Vote[];
  rejection?: { user: string; at: string; reason?: string };
  cancellation?: { user: string; at: string };
  /** Index of the last wave started (0: the canary); absent before the first. */
  wave?: number;
  /** When every member of wave `wave` had finished (RFC 3339): the soak before the next wave counts from here. */
  waveDone?: { wave: number; at: string };
  startedAt?: string;
  finishedAt?: string;
  /** The halt the batch is in (or was last in): the failed member's record and the reason. */
  halt?: { record: string; member: string; message: string; at: string };
  /** Member records whose failure approvers chose to go past (Resume): they halt the batch no more. */
  acceptedFailures?: string[];
  /** Resume or Abort asked for while Halted; the leader acts on it and clears it. */
  intent?: BatchIntent;
  /** Members not started when their wave came, with why. */
  skipped?: BatchSkip[];
  /** Why the batch is in its phase (for Failed/Aborted/Cancelled). */
  message?: string;
  /** The batch's Slack parent message and the thread posts made (keys), as for a record. */
  slack?: SlackRefs;
}

/** A DatabaseUpdateBatch object as read from the cluster. */
export interface DatabaseUpdateBatch {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace: string; resourceVersion?: string; labels?: Record<string, string>; uid?: string };
  spec: BatchSpec;
  status?: BatchStatus;
}

/**
 * The waves of a batch of `count` members: a canary wave of one, then waves of `maxParallel`, as lists of
 * member indexes in order. Pure. E.g. `waves(5, 2)` → `[[0], [1, 2], [3, 4]]`.
 */
export function batchWaves(count: number, maxParallel: number): number[][] {
  const out: number[][] = [];
  if (count <= 0) return out;
  out.push([0]);
  const size = Math.max(1, Math.floor(maxParallel));
  for (let i = 1; i < count; i += size) out.push(Array.from({ length: Math.min(size, count - i) }, (_, k) => i + k));
  return out;
}
