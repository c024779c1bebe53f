/**
 * The direct pipeline's handling of Postgres' failover (src/pipeline/coordinator.ts has the facts and the
 * I/O): a Postgres with standbys gets pg-coordinator's failover paused (`Coordinator/Status` = `Pause`)
 * before the first pod restarts — as Ops Manager's `PausePgCoordinatorBeforeUpdate` — so no standby is
 * promoted while the primary restarts, and resumed (`Resume`) before the database is resumed, on every
 * path: success, rollback, failure. The pause is one stage of the pipeline's saved state
 * (`record.status.direct.failover`, a {@link FailoverState}); each call here is one pass's work.
 *
 * Why before the first pod rather than right before the primary: a wrong credential, a missing Secret or
 * missing RBAC is then found before anything changed, and the update fails cleanly; the price is that a
 * crash of the primary while the standbys restart is not failed over either (Ops Manager makes the same
 * choice).
 */
import type { Kube } from '../kube/client.js';
import { getDatabase } from '../kube/kubedb.js';
import { isFenced } from '../kube/errors.js';
import type { DirectInput, FailoverState } from './direct-types.js';
import { listPods } from './direct-kube.js';
import {
  COORDINATOR_PAUSE,
  COORDINATOR_RESUME,
  COORDINATOR_STATUS_KEY,
  CoordinatorError,
  coordinatorPort,
  fenceOf,
  manualCommand,
  needsFailoverPause,
  readCredentials,
  setFailover,
  authSecretName,
} from './coordinator.js';

/** Passes that may fail with a retryable error before the pause (or resume) of the failover gives up. */
export const FAILOVER_ATTEMPTS = 5;

/** The failover state to save in `prepare`, or undefined when the database needs none (not Postgres, one replica, no coordinator). */
export function failoverIntent(input: DirectInput, containers: Array<{ name: string; ports?: Array<{ name?: string; containerPort?: number }> }> | undefined, replicas: number): FailoverState | undefined {
  return needsFailoverPause(input.engine, containers, replicas) ? { state: 'pausing', port: coordinatorPort(containers) } : undefined;
}

/** Outcome of one pass of pausing or resuming. */
export type FailoverStep =
  | { done: true; state: FailoverState }
  | { done: false; state: FailoverState; requeueAfterMs: number }
  | { done: false; state: FailoverState; failed: { reason: string; message: string } };

/** The primary pod now (`kubedb.com/role=primary`), else `fallback`. */
async function primaryPod(kube: Kube, namespace: string, db: string, fallback: string | undefined): Promise<string | undefined> {
  const pods = await listPods(kube, namespace, db, db);
  return pods.find((p) => p.role === 'primary' && p.phase === 'Running')?.name ?? fallback ?? pods.find((p) => p.role === 'primary')?.name;
}

function backoff(settleMs: number, attempts: number): number {
  return Math.min(Math.max(settleMs, 50) * attempts, 10_000);
}

/** Set the switch to `value` on the primary's coordinator: credentials, port-forward, set, read back. @throws FencedError; CoordinatorError. */
async function setOnPrimary(input: DirectInput, f: FailoverState, value: string): Promise<{ pod: string; secret: string }> {
  const { kube, record } = input;
  const ns = record.spec.database.namespace;
  const name = record.spec.database.name;
  const db = await getDatabase(kube, input.engine, ns, name);
  if (!db) throw new CoordinatorError('DatabaseNotFound', `${input.engine.kind} ${ns}/${name} does not exist`, false, false);
  const pod = await primaryPod(kube, ns, name, f.pod);
  if (!pod) throw new CoordinatorError('NoPrimary', `no pod of ${ns}/${name} is labelled kubedb.com/role=primary`, true, false);
  const creds = await readCredentials(kube, ns, db);
  await setFailover(kube.kc, { namespace: ns, pod, port: f.port }, creds, value, { fence: fenceOf(kube) });
  return { pod, secret: authSecretName(db) };
}

/**
 * One pass of pausing the failover. Done: `state` is `paused`. A retryable error waits (up to
 * {@link FAILOVER_ATTEMPTS} passes); then, or at once for another error, `failed` with the reason and
 * message, and `state` says whether the pause must be undone (`resuming`) or was never applied (`notPaused`).
 * @throws FencedError (this replica is not the leader: nothing decided).
 */
export async function pauseFailover(input: DirectInput, f: FailoverState): Promise<FailoverStep> {
  try {
    const { pod, secret } = await setOnPrimary(input, f, COORDINATOR_PAUSE);
    input.log.info({ pod, key: COORDINATOR_STATUS_KEY }, 'direct: pg-coordinator failover paused');
    return { done: true, state: { state: 'paused', port: f.port, pod, secret, confirmed: true } };
  } catch (err) {
    if (isFenced(err)) throw err;
    const e = err instanceof CoordinatorError ? err : new CoordinatorError('CoordinatorError', (err as Error)?.message ?? String(err), true, true);
    const attempts = (f.attempts ?? 0) + 1;
    const sent = e.sent || f.sent === true;
    const next: FailoverState = { ...f, attempts, lastError: e.message, reason: e.reason, ...(sent ? { sent } : {}) };
    input.log.warn({ attempts, reason: e.reason, err: e.message }, 'direct: pausing pg-coordinator failover failed');
    if (e.retryable && attempts < FAILOVER_ATTEMPTS) return { done: false, state: next, requeueAfterMs: backoff(input.settings.settleMs, attempts) };
    return {
      done: false,
      state: { ...next, state: sent ? 'resuming' : 'notPaused', attempts: 0 },
      failed: { reason: e.reason, message: `pausing pg-coordinator's failover (\`${COORDINATOR_STATUS_KEY}\`=\`${COORDINATOR_PAUSE}\`) failed${attempts > 1 ? ` ${attempts} times` : ''}: ${e.message}` },
    };
  }
}

/**
 * One pass of resuming the failover (`Resume`), when it is or may be paused. Done: `state` is `resumed`,
 * or `stuck` after {@link FAILOVER_ATTEMPTS} failed passes (or at once for an error that cannot pass).
 * @throws FencedError.
 */
export async function resumeFailover(input: DirectInput, f: FailoverState): Promise<FailoverStep> {
  try {
    const { pod, secret } = await setOnPrimary(input, f, COORDINATOR_RESUME);
    input.log.info({ pod, key: COORDINATOR_STATUS_KEY }, 'direct: pg-coordinator failover resumed');
    return { done: true, state: { state: 'resumed', port: f.port, pod, secret, ...(f.confirmed ? { confirmed: true } : {}) } };
  } catch (err) {
    if (isFenced(err)) throw err;
    const e = err instanceof CoordinatorError ? err : new CoordinatorError('CoordinatorError', (err as Error)?.message ?? String(err), true, true);
    const attempts = (f.attempts ?? 0) + 1;
    input.log.warn({ attempts, reason: e.reason, err: e.message }, 'direct: resuming pg-coordinator failover failed');
    const next: FailoverState = { ...f, attempts, lastError: e.message, reason: e.reason };
    if (e.retryable && attempts < FAILOVER_ATTEMPTS) return { done: false, state: next, requeueAfterMs: backoff(input.settings.settleMs, attempts) };
    return { done: true, state: { ...next, state: 'stuck' } };
  }
}

/** Whether the failover is or may be paused (so it must be resumed before the database is). */
export function failoverToResume(f: FailoverState | undefined): boolean {
  return f !== undefined && (f.state === 'paused' || f.state === 'resuming');
}

/** The words for the thread about the failover, by state (empty when there is nothing to say). */
export function failoverWords(f: FailoverState | undefined, input: DirectInput): string {
  if (!f) return '';
  const ns = input.record.spec.database.namespace;
  const name = input.record.spec.database.name;
  switch (f.state) {
    case 'resumed':
      return f.confirmed
        ? `pg-coordinator's failover was paused (\`${COORDINATOR_STATUS_KEY}\`=\`${COORDINATOR_PAUSE}\`) while the pods restarted and is resumed (\`${COORDINATOR_RESUME}\`, read back on ${f.pod ?? 'the primary'})`
        : `pg-coordinator's failover, which a failed pause request may have reached, is resumed (\`${COORDINATOR_STATUS_KEY}\`=\`${COORDINATOR_RESUME}\`, read back on ${f.pod ?? 'the primary'})`;
    case 'notPaused':
      return `pg-coordinator's failover was not paused (${f.reason ?? 'error'}), so nothing is left paused there`;
    case 'stuck':
      return (
        `:rotating_light: *pg-coordinator's failover remains DISABLED* (\`${COORDINATOR_STATUS_KEY}\`=\`${COORDINATOR_PAUSE}\`): resuming it failed ${f.attempts ?? 1} times (${f.lastError ?? '?'}); no standby will take over if the primary fails. ` +
        `Resume it: \`${manualCommand(ns, f.pod ?? `${name}-0`, f.port, f.secret ?? `${name}-auth`, COORDINATOR_RESUME)}\``
      );
    default:
      return '';
  }
}

