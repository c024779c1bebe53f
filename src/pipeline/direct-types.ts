/**
 * The contract between the direct backend (`direct-backend.ts`) and the direct pipeline (`direct.ts`),
 * which updates a database without KubeDB Ops Manager: pause, images (pod by pod with
 * `rollingUpdate.partition`), checks, `spec.version`, resume — as Ops Manager does it
 * (docs/kubedb-facts.md). Its input and result are the backends' own (`backend.ts`), with the pipeline's
 * timing and its saved state (`status.direct`) added.
 */
import type { PassInput, PassResult } from './backend.js';

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

/**
 * Input of one pass: a backend's {@link PassInput} (`record` as the leader knows it: its record cache plus
 * its own writes; `record.status.direct` is the pipeline's saved state) and the pipeline's timing.
 */
export interface DirectInput extends PassInput {
  settings: DirectSettings;
}

/**
 * Result of one pass: a backend's {@link PassResult} with the saved state as its own field. The direct
 * backend hands it on; the update controller writes it to the record's status in one merge patch (without
 * a precondition: while Running the fenced leader is the only writer of these fields) and runs another
 * pass on any watch event of the database's PetSet or pods, or after `requeueAfterMs`.
 */
export interface DirectResult extends Pick<PassResult, 'steps' | 'progress' | 'outcome' | 'message' | 'requeueAfterMs'> {
  /** Saved state (JSON-serialisable), e.g. the original images, the pods already moved, timers. */
  direct: Record<string, unknown>;
}

/** One pass of the direct pipeline. Must be idempotent: a crash after any cluster write and a re-run from the saved state is safe. */
export type DirectPass = (input: DirectInput) => Promise<DirectResult>;

/**
 * The saved state of the failover pause. `pausing` (intent saved, before the first pod) → `paused` →
 * `resumed`; `notPaused` when pausing failed before the coordinator could have applied it; `resuming`
 * when it failed after it may have (so it is resumed like a pause); `stuck` when resuming gave up.
 */
export interface FailoverState {
  state: 'pausing' | 'paused' | 'notPaused' | 'resuming' | 'resumed' | 'stuck';
  /** The coordinator's HTTP port (from the template, default 2379). */
  port: number;
  /** The pod whose coordinator was asked (the primary). */
  pod?: string;
  /** Failed passes of the current action, and the last error. */
  attempts?: number;
  lastError?: string;
  /** The reason of the last error (`CoordinatorUnauthorized`, `PortForwardForbidden`…). */
  reason?: string;
  /** A failed pause request may have reached the coordinator (so it is resumed even if pausing fails). */
  sent?: boolean;
  /** The auth Secret's name (for the manual command of a message). */
  secret?: string;
  /** The pause was applied and read back. */
  confirmed?: boolean;
}
