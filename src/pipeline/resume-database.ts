/**
 * The cluster's half of `/dbupdate resume <id>`: which `Paused` condition of a database a finished request
 * left ({@link inspectPause}), and removing it ({@link resumeDatabase}). Reads and writes the database
 * only; the record's intent and outcome are written by `src/updates/resume.ts`.
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
import type { Kube } from '../kube/client.js';
import { getDatabase, getOpsRequest, listOpsRequests, OPS_TERMINAL_PHASES, opsRequestTarget, type DatabaseObject, type KubeCondition, type OpsRequestObject } from '../kube/kubedb.js';
import { recordEvent } from '../kube/events.js';
import type { Engine } from '../engines/table.js';
import { PAUSE_REASON, anyPauseCondition, ourPause } from './direct-state.js';
import { updateConditions } from './direct-kube.js';
import type { DatabaseUpdate } from '../api/v1alpha1/databaseupdate.js';

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

/** What {@link resumeDatabase} did: removed the condition, or found it no longer removable (why, for the user). */
export type ResumeOutcome = { removed: KubeCondition; message: string } | { removed?: undefined; refusal: string };

/**
 * Remove the `Paused` condition {@link inspectPause} found removable (`seen`), re-deciding on the freshest
 * database object inside a resourceVersion-guarded status patch (a person may have resumed or paused it
 * meanwhile), and post an Event `DBUpdateResumed` on the database. Cluster writes only; call it fenced.
 * @param requestedBy the Slack user who asked (for the Event).
 * @throws ApiException on API errors; `FencedError` through a fenced `kube`.
 */
export async function resumeDatabase(kube: Kube, engine: Engine, record: DatabaseUpdate, seen: Extract<Removable, { ok: true }>, requestedBy: string): Promise<ResumeOutcome> {
  const d = record.spec.database;
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
  if (!removed) return { refusal: refusal ?? 'The database is no longer paused.' };
  const by = seen.owner === 'dbupdate' ? 'the bot' : 'KubeDB Ops Manager';
  const message = `${engine.kind} \`${d.namespace}/${d.name}\` resumed: removed the \`Paused\` condition ${by} left (reason \`${removed.reason ?? '?'}\`); KubeDB's provisioner manages it again.`;
  await recordEvent(kube, { apiVersion: `${engine.group}/${engine.version}`, kind: engine.kind, name: d.name, namespace: d.namespace, ...(d.uid ? { uid: d.uid } : {}) }, 'DBUpdateResumed', `${record.metadata.name}: resumed on request of Slack user ${requestedBy} (removed condition Paused, reason ${removed.reason ?? '?'})`, 'Normal');
  return { removed, message };
}
