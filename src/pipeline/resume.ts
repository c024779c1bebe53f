/**
 * `/dbupdate resume <id>`: resume a database that a finished request left paused.
 *
 * The Slack handler only writes the intent on the record (`status.resume = {requestedBy, at, state:
 * Requested}`, {@link requestResume}); the leader's reconciler performs it ({@link performResume}): it
 * re-reads the database, removes the `Paused` status condition — only one this request is accountable
 * for — posts an Event on the database and writes the outcome back (`Succeeded` | `Refused` | `Failed`),
 * which the notifier posts to the request's thread (`src/slack/render.ts` `threadPosts`).
 *
 * What "resume" means is what KubeDB's own `kubectl dba resume` does: it removes the status condition of
 * type `Paused` (`api.DatabasePaused = "Paused"`, kubedb/apimachinery `apis/kubedb/constants.go`) through
 * the status subresource — kubedb/cli `pkg/resumer/<engine>.go`:
 * `status.Conditions = kmapi.RemoveCondition(status.Conditions, api.DatabasePaused)` — after which the
 * provisioner, which skips objects whose `Paused` condition is `True`, manages the database again.
 *
 * Which `Paused` condition the bot may remove (never anyone else's, e.g. a person's `kubectl dba pause`):
 * - direct backend: the one the bot wrote for this record (`ourPause`, reason `PausedByDBUpdate`, approved or still `Unknown`);
 * - ops-request backend: the one KubeDB Ops Manager left. Ops Manager's reason text is not documented, so
 *   it is recognised by circumstance: the record's OpsRequest has reached a final phase (or was deleted),
 *   no other OpsRequest of the database is unfinished, the condition is not the bot's own, and it was set
 *   after this update started (preflight refuses a database that is already paused).
 */
import type { Logger } from 'pino';
import type { Kube } from '../kube/client.js';
import { statusMessage } from '../kube/errors.js';
import { getDatabase, getOpsRequest, listOpsRequests, OPS_TERMINAL_PHASES, opsRequestTarget, type DatabaseObject, type KubeCondition, type OpsRequestObject } from '../kube/kubedb.js';
import { recordEvent } from '../kube/events.js';
import { RecordRefusal, type RecordStore } from '../updates/records.js';
import type { Engine } from '../engines/table.js';
import { PAUSE_REASON, anyPauseCondition, ourPause, resumeCommand } from './direct-state.js';
import { updateConditions } from './direct-kube.js';
import { TERMINAL_PHASES, type DatabaseUpdate, type RecordStatus } from '../updates/types.js';

/** API errors after which the leader gives up a resume and says how to do it by hand. */
export const RESUME_MAX_ATTEMPTS = 5;

/** Outcome of {@link removablePause}: the condition the bot may remove, or why there is none. */
export type Removable =
  | { ok: true; condition: KubeCondition; owner: 'dbupdate' | 'ops-manager' }
  | { ok: false; code: 'not_found' | 'not_paused' | 'not_ours' | 'ops_running'; message: string };

/** `MySQL demo/orders` */
function dbRef(record: DatabaseUpdate): string {
  const d = record.spec.database;
  return `${record.spec.engine} \`${d.namespace}/${d.name}\``;
}

/**
 * Which `Paused` condition of the database this record's update is accountable for (see module docs).
 * Pure.
 * @param ops the record's OpsRequest (`null` when it was deleted; undefined on the direct backend).
 * @param others the database's OpsRequests (any of them unfinished means Ops Manager is still at work).
 */
export function removablePause(record: DatabaseUpdate, db: DatabaseObject | undefined, ops?: OpsRequestObject | null, others: OpsRequestObject[] = []): Removable {
  if (!db) return { ok: false, code: 'not_found', message: `${dbRef(record)} no longer exists.` };
  const c = anyPauseCondition(db.status?.conditions);
  if (!c) return { ok: false, code: 'not_paused', message: `${dbRef(record)} is not paused (no \`Paused\` condition): there is nothing to resume.` };
  const who = `condition \`Paused\`, reason \`${c.reason ?? '?'}\`${c.message ? `: ${c.message}` : ''}`;
  if (record.spec.backend === 'direct') {
    if (ourPause(db.status?.conditions, record.metadata.name)) return { ok: true, condition: c, owner: 'dbupdate' };
    return { ok: false, code: 'not_ours', message: `${dbRef(record)} is paused, but not by this request (${who}); the bot removes only its own pause. Whoever paused it resumes it (\`kubectl dba resume\`).` };
  }
  if (c.reason === PAUSE_REASON) {
    return { ok: false, code: 'not_ours', message: `${dbRef(record)} is paused by another dbupdate request (${who}); resume that one.` };
  }
  if (ops && !OPS_TERMINAL_PHASES.includes(ops.status?.phase ?? '')) {
    return { ok: false, code: 'ops_running', message: `The ${ops.kind} \`${ops.metadata.name}\` is still \`${ops.status?.phase ?? 'Pending'}\`: KubeDB Ops Manager holds the database and resumes it itself when it finishes.` };
  }
  const busy = others.find((o) => o.metadata.name !== ops?.metadata.name && !OPS_TERMINAL_PHASES.includes(o.status?.phase ?? ''));
  if (busy) {
    return { ok: false, code: 'ops_running', message: `Another ${busy.kind} (\`${busy.metadata.name}\`, \`${busy.status?.phase ?? 'Pending'}\`) is working on ${dbRef(record)}; Ops Manager resumes it when that finishes.` };
  }
  const since = record.status?.startedAt ? Date.parse(record.status.startedAt) : NaN;
  const set = c.lastTransitionTime ? Date.parse(c.lastTransitionTime) : NaN;
  // metav1.Time has whole seconds: compare at that precision.
  if (!Number.isFinite(since) || !Number.isFinite(set) || set < Math.floor(since / 1000) * 1000) {
    return { ok: false, code: 'not_ours', message: `${dbRef(record)} was paused before this update started (${who}); the bot leaves that pause to whoever set it.` };
  }
  return { ok: true, condition: c, owner: 'ops-manager' };
}

/**
 * Read what {@link removablePause} decides on: the database, the record's OpsRequest and the database's
 * other OpsRequests (ops-request backend). Reads only.
 * @throws ApiException on API errors other than 404.
 */
export async function inspectPause(kube: Kube, engine: Engine, record: DatabaseUpdate): Promise<Removable> {
  const d = record.spec.database;
  const db = await getDatabase(kube, engine, d.namespace, d.name);
  if (record.spec.backend === 'direct' || !db) return removablePause(record, db);
  const ref = record.status?.opsRequest;
  const ops = ref ? ((await getOpsRequest(kube, engine, ref.namespace, ref.name)) ?? null) : null;
  const all = await listOpsRequests(kube, engine, d.namespace).catch(() => [] as OpsRequestObject[]);
  const others = all.filter((o) => (o.spec.databaseRef ?? o.spec.proxyRef)?.name === d.name && opsRequestTarget(engine, o) !== undefined);
  return removablePause(record, db, ops, others);
}

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
    let removed: KubeCondition | undefined;
    let refusal: string | undefined;
    await updateConditions(kube, engine, d.namespace, d.name, (db) => {
      // Re-decide on the fresh object (the ops-request checks were just made and are kept).
      const fresh = anyPauseCondition(db.status?.conditions);
      const again: Removable = record.spec.backend === 'direct'
        ? removablePause(record, db)
        : fresh && fresh.reason === seen.condition.reason && fresh.lastTransitionTime === seen.condition.lastTransitionTime
          ? seen
          : { ok: false, code: 'not_paused', message: `${dbRef(record)}'s \`Paused\` condition changed meanwhile (${fresh ? `now reason \`${fresh.reason ?? '?'}\`` : 'it is gone'}).` };
      if (!again.ok) {
        refusal = again.message;
        return undefined;
      }
      removed = again.condition;
      return (db.status?.conditions ?? []).filter((c) => c.type !== 'Paused');
    });
    if (!removed) {
      await finish('Refused', `${refusal ?? 'The database is no longer paused.'} Nothing was changed.`);
      return true;
    }
    const by = seen.owner === 'dbupdate' ? 'the bot' : 'KubeDB Ops Manager';
    const message = `${engine.kind} \`${d.namespace}/${d.name}\` resumed: removed the \`Paused\` condition ${by} left (reason \`${removed.reason ?? '?'}\`); KubeDB's provisioner manages it again.`;
    await recordEvent(kube, { apiVersion: `${engine.group}/${engine.version}`, kind: engine.kind, name: d.name, namespace: d.namespace, ...(d.uid ? { uid: d.uid } : {}) }, 'DBUpdateResumed', `${name}: resumed on request of Slack user ${intent.requestedBy} (removed condition Paused, reason ${removed.reason ?? '?'})`, 'Normal');
    await finish('Succeeded', message);
    return true;
  } catch (err) {
    // Not leading any more (our fence, or a fenced client's FencedError): not an attempt; the next leader does it.
    if ((err as { fenced?: boolean })?.fenced || (err as Error)?.name === 'FencedError') throw err;
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
