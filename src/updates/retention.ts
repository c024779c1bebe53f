/**
 * Retention: the history the bot keeps is bounded. A finished `DatabaseUpdate` (phase Succeeded, Failed,
 * Rejected, Expired or Cancelled) whose `status.finishedAt` is older than `recordRetention` (config,
 * default 30 d) is deleted by the leader, together with what it left behind:
 * - the `<Kind>OpsRequest` it created (`status.opsRequest`), only if it still carries the record's label
 *   (`dbupdate.dev/record`) and has finished (KubeDB keeps OpsRequests forever otherwise);
 * - its per-database lock (the `dbu-<hash>` Lease of `src/kube/locks.ts`), only while the record is its holder.
 * Each delete carries a precondition (the record's and the Lease's `resourceVersion`, the OpsRequest's
 * `uid`), so an object changed since it was read is left alone (409) and looked at again next time.
 * Run on the leader by a `node-cron` task (`retentionCheck`, default daily); every error is caught per
 * object and logged, none escapes the task.
 */
import type { Logger } from 'pino';
import type { ClusterSet } from '../kube/clusters.js';
import { isConflict, statusMessage } from '../kube/errors.js';
import type { RecordStore } from './records.js';
import { OPS_TERMINAL_PHASES } from '../kube/kubedb.js';
import { lockName } from '../kube/locks.js';
import { databaseUpdates, leases, opsRequests } from '../kube/resources.js';
import { engineByKind } from '../engines/table.js';
import { LABEL_RECORD, TERMINAL_PHASES, type DatabaseUpdate } from '../api/v1alpha1/databaseupdate.js';

/** What one sweep did: records, OpsRequests and locks deleted; objects left alone because of an error (logged). */
export interface RetentionResult {
  records: number;
  opsRequests: number;
  locks: number;
  errors: number;
}

/** Inputs of {@link sweepRetention}. */
export interface RetentionOptions {
  /** The records (home cluster, records namespace), through the leader's clients. */
  records: RecordStore;
  /** The clusters the records' databases live in (OpsRequests are deleted there). */
  clusters: ClusterSet;
  /** How long (ms) a finished record is kept after `status.finishedAt`. */
  retentionMs: number;
  log: Logger;
  now?: () => Date;
  /** Checked before every delete: false once this replica is no longer the leader (the sweep stops). */
  stillLeading?: () => boolean;
}

/** Whether `r` finished more than `retentionMs` before `now` (a finished record without `finishedAt` counts from its creation). */
export function isExpiredRecord(r: DatabaseUpdate, now: Date, retentionMs: number): boolean {
  const phase = r.status?.phase ?? 'Pending';
  if (!TERMINAL_PHASES.includes(phase)) return false;
  const at = r.status?.finishedAt ?? (r.metadata as { creationTimestamp?: string }).creationTimestamp;
  const t = at ? Date.parse(at) : NaN;
  return Number.isFinite(t) && now.getTime() - t > retentionMs;
}

/**
 * Delete the finished records older than the retention, with their OpsRequests and locks (see the module
 * comment). Never throws: an object that cannot be deleted is counted in `errors` and logged.
 */
export async function sweepRetention(o: RetentionOptions): Promise<RetentionResult> {
  const out: RetentionResult = { records: 0, opsRequests: 0, locks: 0, errors: 0 };
  const now = (o.now ?? (() => new Date()))();
  const leading = o.stillLeading ?? (() => true);
  let all: DatabaseUpdate[];
  try {
    all = await o.records.list();
  } catch (err) {
    o.log.warn({ err: statusMessage(err) }, 'retention: could not list the records; trying again at the next run');
    return { ...out, errors: 1 };
  }
  for (const r of all.filter((x) => isExpiredRecord(x, now, o.retentionMs))) {
    if (!leading()) break;
    try {
      out.opsRequests += await deleteOpsRequest(o, r);
      out.locks += await deleteLock(o, r);
      // false: already gone (another sweep, or someone with kubectl); not counted.
      if (!(await databaseUpdates(o.records.kube).delete(o.records.namespace, r.metadata.name, { preconditions: { resourceVersion: r.metadata.resourceVersion } }))) continue;
      out.records++;
      o.log.info({ audit: 'retention-delete', record: r.metadata.name, phase: r.status?.phase, finishedAt: r.status?.finishedAt }, 'finished record deleted after its retention');
    } catch (err) {
      out.errors++;
      o.log.warn({ record: r.metadata.name, err: statusMessage(err), conflict: isConflict(err) }, 'retention: record left alone (changed meanwhile or not deletable); trying again at the next run');
    }
  }
  return out;
}

/** Delete the record's OpsRequest if it is still the record's and finished. @returns 1 if deleted, else 0. @throws API errors other than 404 (409: changed since read, left alone). */
async function deleteOpsRequest(o: RetentionOptions, r: DatabaseUpdate): Promise<number> {
  const ref = r.status?.opsRequest;
  const engine = engineByKind(r.spec.engine);
  const kube = o.clusters.get(r.spec.database.cluster);
  if (!ref || !engine || !kube) return 0;
  const ops = await opsRequests(kube, engine).get(ref.namespace, ref.name);
  if (!ops || ops.metadata.labels?.[LABEL_RECORD] !== r.metadata.name) return 0;
  if (!OPS_TERMINAL_PHASES.includes(ops.status?.phase ?? 'Pending')) return 0;
  return (await opsRequests(kube, engine).delete(ref.namespace, ref.name, { preconditions: { uid: ops.metadata.uid } })) ? 1 : 0;
}

/** Delete the database's lock Lease if this record holds it. @returns 1 if deleted, else 0. @throws API errors other than 404/409. */
async function deleteLock(o: RetentionOptions, r: DatabaseUpdate): Promise<number> {
  const d = r.spec.database;
  const name = lockName(d.cluster, d.namespace, r.spec.engine, d.name);
  const locks = leases(o.records.kube);
  try {
    const lease = await locks.get(o.records.namespace, name);
    if (lease?.spec?.holderIdentity !== r.metadata.name) return 0;
    return (await locks.delete(o.records.namespace, name, { preconditions: { resourceVersion: lease.metadata?.resourceVersion } })) ? 1 : 0;
  } catch (err) {
    if (isConflict(err)) return 0;
    throw err;
  }
}
