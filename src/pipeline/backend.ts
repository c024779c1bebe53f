/**
 * The two ways an approved update is carried out, behind one interface (docs/architecture.md
 * "Pipeline backends"): `ops-request` hands the update to KubeDB Ops Manager (`<Kind>OpsRequest` of type
 * `UpdateVersion`, `src/pipeline/ops-backend.ts`); `direct` drives it itself (`src/pipeline/direct.ts`
 * through `src/pipeline/direct-backend.ts`). The reconciler (`src/updates/reconciler.ts`) calls
 * {@link PipelineBackend.pass} for a Running record and writes the result to the record's status; it never
 * needs to know which backend it is talking to.
 */
import type { Logger } from 'pino';
import type { Kube } from '../kube/client.js';
import type { Engine } from '../engines/table.js';
import type { DatabaseUpdate, RecordStatus, Step, StepName } from '../updates/types.js';

/** Where a record's database lives (to wake the records of a database from a watch event). */
export interface DatabaseKey {
  cluster: string;
  namespace: string;
  name: string;
}

/** Input of one pass: the record as the leader knows it (cache + its own writes) and its cluster. */
export interface PassInput {
  kube: Kube;
  engine: Engine;
  record: DatabaseUpdate;
  now: Date;
  log: Logger;
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
  /** `spec.backend` values this backend serves. */
  readonly name: 'ops-request' | 'direct';
  /**
   * One pass over a Running record: read the cluster (from watches where it can), perform at most the
   * next write of the update, and say where it stands. Idempotent: a pass re-run after a crash at any
   * point is safe.
   * @throws API errors the pass cannot decide on (the reconciler retries the record with back-off);
   *   `FencedError` when this replica lost the Lease.
   */
  pass(input: PassInput): Promise<PassResult>;
  /** Stop the backend's watches. */
  stop(): Promise<void>;
}
