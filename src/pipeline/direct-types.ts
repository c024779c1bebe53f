/**
 * The contract between the reconciler and the direct pipeline (`direct.ts`), which updates a database
 * without KubeDB Ops Manager: pause, images (pod by pod with `rollingUpdate.partition`), checks,
 * `spec.version`, resume — as Ops Manager does it (shared/kubedb-reference.md).
 */
import type { Logger } from 'pino';
import type { Kube } from '../kube/client.js';
import type { Engine } from '../engines/table.js';
import type { DatabaseUpdate, Step, StepName } from '../updates/types.js';

/** Timing of the direct pipeline, in milliseconds. */
export interface DirectSettings {
  /** How long one pod may take to be Ready on the new image before the roll stops and rolls back. */
  podTimeoutMs: number;
  /** How long restart counts must stay unchanged, with every pod Ready, for the checks to pass. */
  settleMs: number;
  /** How long the database may take to report `Ready` again after the roll. */
  readyTimeoutMs: number;
  /**
   * How long KubeDB's provisioner may take to approve the pause (turn the bot's `Paused`=`Unknown` into
   * `True`); past it the request is withdrawn and the update fails with nothing changed. Default 2 min.
   */
  pauseTimeoutMs?: number;
}

/** Defaults for production: 10 min per pod, 30 s settle, 5 min for the database to be Ready, 2 min for the pause. */
export const DEFAULT_DIRECT_SETTINGS: DirectSettings = { podTimeoutMs: 600_000, settleMs: 30_000, readyTimeoutMs: 300_000, pauseTimeoutMs: 120_000 };

/** Input of one pass. `record` is fresh from the API server; `record.status.direct` is the pipeline's saved state. */
export interface DirectInput {
  kube: Kube;
  engine: Engine;
  record: DatabaseUpdate;
  now: Date;
  log: Logger;
  settings: DirectSettings;
}

/**
 * Result of one pass: the new step list, saved state and progress lines for the record's status, and
 * when to run the next pass. The reconciler writes them (resourceVersion-guarded) and runs another pass
 * on any watch event of the database's PetSet or pods, or after `wakeInMs`.
 */
export interface DirectResult {
  steps: Step[];
  /** Saved state (JSON-serialisable), e.g. the original images, the pods already moved, timers. */
  direct: Record<string, unknown>;
  progress?: Partial<Record<StepName, string>>;
  outcome?: 'Succeeded' | 'Failed';
  /** For Failed: what happened, the cluster's own reason, the state the database is in, what to do next (Slack mrkdwn). */
  message?: string;
  /** Run another pass after this many ms even without a watch event (timeouts, settle periods). */
  wakeInMs?: number;
}

/** One pass of the direct pipeline. Must be idempotent: a crash after any cluster write and a re-run from the saved state is safe. */
export type DirectPass = (input: DirectInput) => Promise<DirectResult>;
