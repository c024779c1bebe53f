/**
 * The two ways an approved update is carried out, behind one contract (docs/architecture.md
 * "Pipeline backends"): `ops-request` hands the update to KubeDB Ops Manager (`<Kind>OpsRequest` of type
 * `UpdateVersion`, `src/pipeline/ops-backend.ts`); `direct` drives it itself (`src/pipeline/direct.ts`
 * through `src/pipeline/direct-backend.ts`). The backends are built by the bot (`src/bot.ts`) and passed to
 * the update controller (`src/updates/reconciler.ts`), which picks one by `spec.backend` =
 * {@link PipelineBackend.name}: it asks {@link PipelineBackend.startRun} for the planned steps and initial
 * fields it writes with phase `Running`, then calls {@link PipelineBackend.pass} for the Running record and
 * writes each {@link PassResult} to the record's status. It knows nothing else of either backend.
 */
import type { Logger } from 'pino';
import type { Kube } from '../kube/client.js';
import type { Engine } from '../engines/table.js';
import type { Backend, DatabaseUpdate, RecordStatus, Step, StepName } from '../api/v1alpha1/databaseupdate.js';

/** Where a record's database lives (to wake the records of a database from a watch event). */
export interface DatabaseKey {
  cluster: string;
  namespace: string;
  name: string;
}

/** Input of a backend call: the record as the leader knows it (cache + its own writes) and its database's cluster. */
export interface PassInput {
  /** The cluster of the record's database (`spec.database.cluster`), through the leader's fenced clients. */
  kube: Kube;
  engine: Engine;
  record: DatabaseUpdate;
  now: Date;
  log: Logger;
  /**
   * Failed reconciles of this record in a row before this one (the work queue's count, client-go's
   * `NumRequeues`; 0 after a success): a backend that gives up after repeated errors reads it here.
   */
  failures: number;
}

/** What starting a run writes with phase `Running` (one guarded patch): the planned steps and initial fields. */
export interface RunPlan {
  /** The steps, in order, each recorded as `Pending`. */
  steps: StepName[];
  /** Status fields the backend owns that must be on the record before its first pass (the OpsRequest's name). */
  fields?: Pick<RecordStatus, 'direct' | 'opsRequest'>;
}

/** How a backend's watch events wake records (given by the controller that drives it). */
export interface Waker {
  /** Wake the record of this name (e.g. an OpsRequest's `dbupdate.dev/record` label). */
  record(name: string): void;
  /** Wake the Running records of this backend for a database (e.g. an event of its PetSet or pods). */
  database(db: DatabaseKey): void;
}

/**
 * What one pass found: the status fields the backend owns, written by the reconciler in one merge patch
 * when they differ from the record (`steps`, `progress`, the backend's saved state), and the outcome.
 */
export interface PassResult {
  steps: Step[];
  /** Progress lines (merged into `status.progress`). */
  progress?: Partial<Record<StepName, string>>;
  /** Other status fields the backend owns, replaced as given (`direct`, `opsRequest`, `lastClusterCondition`). */
  fields?: Pick<RecordStatus, 'direct' | 'opsRequest' | 'lastClusterCondition' | 'backup'>;
  /** Fields that, alone, are not worth a write (kept until another change is written), e.g. the newest raw condition. */
  quiet?: Array<keyof RecordStatus>;
  outcome?: 'Succeeded' | 'Failed';
  /** Succeeded: the summary; Failed: what happened, the database's state and what to do (Slack mrkdwn). */
  message?: string;
  /** Run another pass after this many ms even without an event (timeouts, settle periods). */
  requeueAfterMs?: number;
}

/** One pipeline backend. */
export interface PipelineBackend {
  /** The `spec.backend` value this backend serves. */
  readonly name: Backend;
  /** Where this backend's watch events go; called once by the controller before any other call. */
  onWake(wake: Waker): void;
  /**
   * Start a run of an approved record (pure, no I/O): the steps it will report and the fields written
   * with phase `Running`. Deterministic for a record, so a start retried after a crash plans the same.
   */
  startRun(input: PassInput): RunPlan;
  /**
   * One pass over a Running record: read the cluster (from watches where it can), perform at most the
   * next write of the update, and say where it stands. Idempotent: a pass re-run after a crash at any
   * point is safe.
   * @throws API errors the pass cannot decide on (the work queue retries the record with back-off);
   *   `FencedError` when this replica lost the Lease.
   */
  pass(input: PassInput): Promise<PassResult>;
  /** Stop the backend's watches. */
  stop(): Promise<void>;
}
