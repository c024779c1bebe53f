/**
 * API `dbupdate.dev/v1alpha1`: the `DatabaseUpdate` custom resource, the record of one update request from
 * the moment it passes preflight (kubebuilder's `api/v1alpha1` is the model: `groupversion_info.go` and
 * `<kind>_types.go` in one module here). Its CRD is `deploy/crd-databaseupdate.yaml`. Slack handlers write
 * records, the update controller drives the pipeline from them and the notifier renders them into Slack
 * (docs/architecture.md, "State").
 *
 * This module is the bottom of the import graph: it imports nothing of the bot, and every part may import it.
 */

/** API group of the record. */
export const RECORD_GROUP = 'dbupdate.dev';
/** API version of the record. */
export const RECORD_VERSION = 'v1alpha1';
/** Resource (plural) name of the record, as in `kubectl get databaseupdates`. */
export const RECORD_PLURAL = 'databaseupdates';
/** Kind of the record. */
export const RECORD_KIND = 'DatabaseUpdate';
/** `apiVersion` of a record object: `dbupdate.dev/v1alpha1`. */
export const RECORD_API_VERSION = `${RECORD_GROUP}/${RECORD_VERSION}`;
/** The record's API coordinates in one object (the shape `src/kube/resources.ts` takes as `CustomKind`). */
export const DATABASE_UPDATE = { group: RECORD_GROUP, version: RECORD_VERSION, plural: RECORD_PLURAL, kind: RECORD_KIND } as const;

/** How far an update moves a database: the part of the version that changes (see `src/engines/versions.ts`). */
export type UpdateType = 'patch' | 'minor' | 'major';

/** Labels set on every record (and on the OpsRequest it creates), for `kubectl get -l` and look-ups. */
export const LABEL_ENGINE = 'dbupdate.dev/engine';
export const LABEL_DATABASE = 'dbupdate.dev/database';
export const LABEL_DB_NAMESPACE = 'dbupdate.dev/database-namespace';
export const LABEL_RECORD = 'dbupdate.dev/record';
/** Label on a record made by `/dbupdate retry <id>`: the name of the Failed record it retries (also `spec.retryOf`). */
export const LABEL_RETRY_OF = 'dbupdate.dev/retry-of';

/**
 * Lifecycle phases (docs/architecture.md): Pending → Approved | Rejected | Expired | Cancelled;
 * Approved → Scheduled → Running → Succeeded | Failed.
 */
export type Phase =
  | 'Pending'
  | 'Approved'
  | 'Rejected'
  | 'Expired'
  | 'Cancelled'
  | 'Scheduled'
  | 'Running'
  | 'Succeeded'
  | 'Failed';

/** Phases after which nothing happens to a record any more. */
export const TERMINAL_PHASES: readonly Phase[] = ['Rejected', 'Expired', 'Cancelled', 'Succeeded', 'Failed'];

/** Whether a record in this phase still holds the database (blocks a second request for it). */
export function isActive(phase: Phase | undefined): boolean {
  return !TERMINAL_PHASES.includes(phase ?? 'Pending');
}

/** Which pipeline runs the update: KubeDB's OpsRequest (Ops Manager) or the bot's own steps. */
export type Backend = 'ops-request' | 'direct';

/**
 * The bot's pipeline steps, in the order they happen. `backup` only before a major update where KubeStash
 * backs the database up (`src/pipeline/backup.ts`); `pre-update` only for updates that need it (Postgres major).
 */
export type StepName = 'backup' | 'paused' | 'pre-update' | 'images' | 'checks' | 'resumed';
/** Words for each step as the thread and the parent show them. */
export const STEP_LABEL: Record<StepName, string> = {
  backup: 'backed up',
  paused: 'paused',
  'pre-update': 'pre-update done',
  images: 'images updated',
  checks: 'checks passed',
  resumed: 'resumed',
};

/** State of one step. */
export type StepState = 'Pending' | 'Running' | 'Succeeded' | 'Failed';

/** One pipeline step as recorded in `status.steps`. Times are RFC 3339 strings. */
export interface Step {
  name: StepName;
  state: StepState;
  startedAt?: string;
  finishedAt?: string;
  /** Human-readable detail, e.g. the OpsRequest condition's message. */
  message?: string;
  /** The cluster's own reason (e.g. a KubeDB condition type/reason) when it failed. */
  reason?: string;
}

/** A Slack user's vote. `at` is RFC 3339. */
export interface Vote {
  user: string;
  at: string;
}

/** `spec` of a DatabaseUpdate: what was asked, fixed at creation. */
export interface RecordSpec {
  /** KubeDB kind of the database, e.g. `MySQL`. */
  engine: string;
  /** The database; `uid` (when known) ties Events to it, as `kubectl describe` selects them by `involvedObject.uid`. */
  database: { cluster: string; namespace: string; name: string; uid?: string };
  /** What the user typed, e.g. `8.4`. */
  requestedVersion: string;
  /** Catalog name the database ran when requested, e.g. `8.0.35`. */
  fromVersion: string;
  /** Catalog name resolved from `requestedVersion`, e.g. `8.4.3`. */
  targetVersion: string;
  updateType: UpdateType;
  backend: Backend;
  requester: string;
  reason?: string;
  /** Slack channel the request was made in; the parent message is posted there. */
  channel: string;
  /** RFC 3339 time after which a Pending request expires. */
  expiresAt: string;
  /** Slack user ids allowed to approve; `approvalsRequired` distinct ones are needed. */
  approvers: string[];
  approvalsRequired: number;
  /** Replicas of the database when requested (shown in the approval message). */
  replicas?: number;
  /** Whether the requester's own approval counts (from the policy when requested; default no). */
  allowSelfApproval?: boolean;
  /** The approvers as the policy names them, as Slack mrkdwn (`<@U1>, <!subteam^S1>`). */
  approverMention?: string;
  /** RFC 3339 time before which the update must not start (from `--at`). */
  notBefore?: string;
  /** Name of the Failed record this one retries (`/dbupdate retry <id>`); also the label {@link LABEL_RETRY_OF}. */
  retryOf?: string;
  /** Name of the `DatabaseUpdateBatch` this record is a member of (also the label `dbupdate.dev/batch`): the batch's controller created it, approved. */
  batch?: string;
}

/**
 * `/dbupdate resume <id>` on a finished record: the intent written by the Slack handler (`requestedBy`,
 * `at`, `state: Requested`), then the leader's outcome (`src/updates/resume.ts`). Times are RFC 3339.
 */
export interface ResumeIntent {
  /** Slack user id of who asked. */
  requestedBy: string;
  at: string;
  /** `Requested` until the leader acts; `Succeeded`: the `Paused` condition was removed; `Refused`: nothing to remove any more; `Failed`: gave up after API errors. */
  state: 'Requested' | 'Succeeded' | 'Refused' | 'Failed';
  /** The leader's outcome in words (what was removed, or why not). */
  message?: string;
  finishedAt?: string;
  /** Failed attempts so far (API errors); the leader gives up after `RESUME_MAX_ATTEMPTS`. */
  attempts?: number;
}

/** Where the record's Slack messages are: the parent message and the keys of thread replies already posted. */
export interface SlackRefs {
  channel?: string;
  /** ts of the parent (approval) message; replies use it as `thread_ts`. */
  ts?: string;
  /** Keys of thread posts already made (e.g. `step:paused`), so a restart posts each once. */
  posted?: string[];
  /** Hash of the last rendering of the parent message, to skip no-op `chat.update`s. */
  parentHash?: string;
  /** Legacy (written by versions before the notifier kept posts in memory): keys whose post may have been made; a notifier that finds any looks them up in Slack, then clears them. */
  pending?: string[];
  /** Thread replies that are edited in place (progress): key → ts of the reply and hash of its text. */
  edits?: Record<string, { ts: string; hash: string }>;
}

/** A Kubernetes-style condition on the record. */
export interface Condition {
  type: string;
  status: 'True' | 'False' | 'Unknown';
  reason?: string;
  message?: string;
  lastTransitionTime?: string;
}

/**
 * The KubeStash backup taken before a major update: the BackupConfiguration used, the BackupSessions the
 * bot created (one per session of it), the Snapshots they reported, and the outcome. Times RFC 3339.
 */
export interface BackupStatus {
  state: 'Running' | 'Succeeded' | 'Failed';
  /** `namespace/name` of the BackupConfiguration. */
  configuration: string;
  sessions: string[];
  snapshots?: string[];
  startedAt: string;
  finishedAt?: string;
  message?: string;
}

/** `status` of a DatabaseUpdate. */
export interface RecordStatus {
  phase?: Phase;
  approvals?: Vote[];
  rejection?: { user: string; reason: string; at: string };
  cancellation?: { user: string; at: string };
  slack?: SlackRefs;
  opsRequest?: { name: string; namespace: string; kind: string };
  steps?: Step[];
  /**
   * Live progress of a running step, one line per step (e.g. images: `2 of 3 pods on 8.0.36`), shown
   * as one thread reply edited in place rather than one reply per pod.
   */
  progress?: Partial<Record<StepName, string>>;
  /** State of the direct pipeline (see `src/pipeline/direct.ts`); absent on the ops-request backend. */
  direct?: Record<string, unknown>;
  /** The backup before a major update (`src/pipeline/backup.ts`); absent when none was taken. */
  backup?: BackupStatus;
  /** RFC 3339 time a Scheduled update starts (the maintenance window's opening or `--at`). */
  scheduledFor?: string;
  startedAt?: string;
  finishedAt?: string;
  /** Why the record is in its phase, for Failed: the cluster's own reason and what to do next. */
  message?: string;
  /** Newest OpsRequest condition as it is (type, reason, message), shown when unknown to the step table. */
  lastClusterCondition?: { type: string; reason?: string; message?: string };
  conditions?: Condition[];
  /** `/dbupdate resume <id>`: asked for after the record finished, performed by the leader. */
  resume?: ResumeIntent;
}

/** A DatabaseUpdate object as read from the cluster. */
export interface DatabaseUpdate {
  apiVersion: string;
  kind: string;
  metadata: {
    name: string;
    namespace: string;
    resourceVersion?: string;
    labels?: Record<string, string>;
    uid?: string;
  };
  spec: RecordSpec;
  status?: RecordStatus;
}
