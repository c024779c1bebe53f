/**
 * Retention of fleet requests: a finished `DatabaseUpdateBatch` (Succeeded, Failed, Aborted, Cancelled,
 * Rejected, Expired) whose `status.finishedAt` is older than `recordRetention` is deleted by the leader,
 * as finished records are (`./retention.ts`, which deletes the member records on their own schedule).
 * Each delete carries the batch's `resourceVersion` as a precondition, so a batch changed since it was
 * read is left alone (409) and looked at again next time. Never throws.
 */
import type { Logger } from 'pino';
import { isConflict, statusMessage } from '../kube/errors.js';
import { databaseUpdateBatches } from '../kube/resources.js';
import type { BatchStore } from './batch-records.js';
import { batchFinished, type DatabaseUpdateBatch } from '../api/v1alpha1/databaseupdatebatch.js';

/** Whether `b` finished more than `retentionMs` (ms) before `now` (without `finishedAt`: counted from its creation). */
export function isExpiredBatch(b: DatabaseUpdateBatch, now: Date, retentionMs: number): boolean {
  if (!batchFinished(b.status?.phase)) return false;
  const at = b.status?.finishedAt ?? (b.metadata as { creationTimestamp?: string }).creationTimestamp;
  const t = at ? Date.parse(at) : NaN;
  return Number.isFinite(t) && now.getTime() - t > retentionMs;
}

/**
 * Delete the finished batches older than `retentionMs` through `batches` (the leader's fenced store).
 * @returns how many were deleted and how many were left alone because of an error (logged).
 */
export async function sweepBatchRetention(o: { batches: BatchStore; retentionMs: number; log: Logger; now?: () => Date; stillLeading?: () => boolean }): Promise<{ batches: number; errors: number }> {
  const out = { batches: 0, errors: 0 };
  const now = (o.now ?? (() => new Date()))();
  let all: DatabaseUpdateBatch[];
  try {
    all = await o.batches.list();
  } catch (err) {
    o.log.warn({ err: statusMessage(err) }, 'retention: could not list the batches; trying again at the next run');
    return { ...out, errors: 1 };
  }
  for (const b of all.filter((x) => isExpiredBatch(x, now, o.retentionMs))) {
    if (o.stillLeading && !o.stillLeading()) break;
    try {
      if (!(await databaseUpdateBatches(o.batches.kube).delete(o.batches.namespace, b.metadata.name, { preconditions: { resourceVersion: b.metadata.resourceVersion } }))) continue;
      out.batches++;
      o.log.info({ audit: 'retention-delete', batch: b.metadata.name, phase: b.status?.phase, finishedAt: b.status?.finishedAt }, 'finished batch deleted after its retention');
    } catch (err) {
      out.errors++;
      o.log.warn({ batch: b.metadata.name, err: statusMessage(err), conflict: isConflict(err) }, 'retention: batch left alone; trying again at the next run');
    }
  }
  return out;
}
