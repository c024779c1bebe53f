/**
 * `/dbupdate resume <id>`: the record's half of resuming a database that a finished request left paused.
 *
 * The Slack handler only writes the intent on the record (`status.resume = {requestedBy, at, state:
 * Requested}`, {@link requestResume}); the leader's update controller performs it ({@link performResume}):
 * it checks which `Paused` condition the request is accountable for and removes it
 * (`src/pipeline/resume-database.ts`), then writes the outcome back (`Succeeded` | `Refused` | `Failed`),
 * which the notifier posts to the request's thread (`src/slack/render.ts` `threadPosts`).
 */
import type { Logger } from 'pino';
import type { Kube } from '../kube/client.js';
import { isFenced, statusMessage } from '../kube/errors.js';
import type { Engine } from '../engines/table.js';
import { resumeCommand } from '../pipeline/direct-state.js';
import { inspectPause, resumeDatabase } from '../pipeline/resume-database.js';
import { TERMINAL_PHASES, type DatabaseUpdate, type RecordStatus } from '../api/v1alpha1/databaseupdate.js';
import { RecordRefusal, type RecordStore } from './records.js';

/** API errors after which the leader gives up a resume and says how to do it by hand. */
export const RESUME_MAX_ATTEMPTS = 5;

/**
 * The handler's half, as a `RecordStore.mutateStatus` mutator: write the intent `status.resume =
 * {requestedBy, at, state: Requested}`. Returns false when a resume is already requested and not yet
 * done (a duplicate command or Slack retry).
 * @throws RecordRefusal when the record is not finished (a running update resumes the database itself).
 */
export function requestResume(status: RecordStatus, record: DatabaseUpdate, user: string, now: Date): boolean {
  const phase = status.phase ?? 'Pending';
  if (!TERMINAL_PHASES.includes(phase)) {
    throw new RecordRefusal(`Request \`${record.metadata.name}\` is ${phase}, not finished: ${phase === 'Running' ? 'the running update resumes the database itself when it ends' : 'nothing has paused the database yet'}. Nothing was changed.`);
  }
  if (status.resume?.state === 'Requested') return false;
  status.resume = { requestedBy: user, at: now.toISOString(), state: 'Requested' };
  return true;
}

/** What {@link performResume} needs. */
export interface ResumeDeps {
  /** The cluster of the record's database (`spec.database.cluster`). */
  kube: Kube;
  engine: Engine;
  records: RecordStore;
  log: Logger;
  now: () => Date;
  /**
   * Called right before the cluster write; throws when this replica no longer leads (the Lease fence).
   * The reconciler passes its own check; without one the write is not fenced beyond the caller's.
   */
  fence?: () => void | Promise<void>;
}

/**
 * The leader's half: if `record.status.resume` is `Requested`, remove the `Paused` condition the request
 * is accountable for ({@link removablePause}, re-checked on the freshest object inside a
 * resourceVersion-guarded status patch), post an Event `DBUpdateResumed` on the database and write the
 * outcome. When there is nothing to remove any more (someone resumed it by hand, or it is not ours), the
 * outcome is `Refused` with the reason and nothing is changed. API errors are counted on the record and
 * rethrown (the reconciler's queue retries); after {@link RESUME_MAX_ATTEMPTS} the outcome is `Failed`,
 * with the `kubectl dba resume` command to do it by hand.
 * @returns whether it acted (false: no resume requested).
 * @throws ApiException on API errors (after counting the attempt), and whatever `fence` throws.
 */
export async function performResume(deps: ResumeDeps, record: DatabaseUpdate): Promise<boolean> {
  const intent = record.status?.resume;
  if (intent?.state !== 'Requested') return false;
  const { kube, engine, records, log } = deps;
  const d = record.spec.database;
  const name = record.metadata.name;
  const finish = async (state: 'Succeeded' | 'Refused' | 'Failed', message: string) => {
    await records.mutateStatus(name, (st) => {
      if (st.resume?.state !== 'Requested' || st.resume.at !== intent.at) return false;
      st.resume = { ...st.resume, state, message, finishedAt: deps.now().toISOString() };
      return true;
    });
    log.info({ audit: 'resume', record: name, user: intent.requestedBy, database: d, outcome: state, message }, `resume ${state.toLowerCase()}`);
  };
  try {
    const seen = await inspectPause(kube, engine, record);
    if (!seen.ok) {
      await finish('Refused', `${seen.message} Nothing was changed.`);
      return true;
    }
    try {
      await deps.fence?.();
    } catch (err) {
      throw Object.assign(err as Error, { fenced: true });
    }
    const done = await resumeDatabase(kube, engine, record, seen, intent.requestedBy);
    if (!done.removed) {
      await finish('Refused', `${done.refusal} Nothing was changed.`);
      return true;
    }
    await finish('Succeeded', done.message);
    return true;
  } catch (err) {
    // Not leading any more (our fence, or a fenced client's FencedError): not an attempt; the next leader does it.
    if ((err as { fenced?: boolean })?.fenced || isFenced(err)) throw err;
    const attempts = (intent.attempts ?? 0) + 1;
    const giveUp = attempts >= RESUME_MAX_ATTEMPTS;
    await records
      .mutateStatus(name, (st) => {
        if (st.resume?.state !== 'Requested' || st.resume.at !== intent.at) return false;
        st.resume = giveUp
          ? { ...st.resume, attempts, state: 'Failed', finishedAt: deps.now().toISOString(), message: `Could not resume after ${attempts} attempts: ${statusMessage(err)}. The database is still paused: resume it with \`${resumeCommand(engine, d.namespace, d.name)}\` once the cause is fixed.` }
          : { ...st.resume, attempts };
        return true;
      })
      .catch(() => undefined);
    log.warn({ audit: giveUp ? 'resume' : undefined, record: name, err: statusMessage(err), attempts, outcome: giveUp ? 'Failed' : undefined }, giveUp ? 'resume failed' : 'resume attempt failed; will retry');
    if (giveUp) return true;
    throw err;
  }
}
