/**
 * The `DatabaseUpdateBatch` state machine as pure functions over a copy of `status` (see
 * `src/api/v1alpha1/databaseupdatebatch.ts` for the phases), as `./state.ts` is for records. Each returns
 * true when it changed `status`, false for a no-op (a duplicate click, a Slack retry), or throws
 * {@link RecordRefusal} with a sentence for the user. Callers run them inside `BatchStore.mutateStatus`,
 * so they see the freshest object and their write is resourceVersion-guarded.
 */
import { RecordRefusal } from './records.js';
import { LABEL_BATCH, batchFinished, type BatchStatus, type DatabaseUpdateBatch } from '../api/v1alpha1/databaseupdatebatch.js';

const mention = (u: string) => `<@${u}>`;

function already(status: BatchStatus): string {
  return `This batch is already ${(status.phase ?? 'Pending').toLowerCase()}; nothing was changed.`;
}

/**
 * Count `user`'s approval of the whole batch; `Approved` once `spec.approvalsRequired` distinct approvers
 * voted. False when the user already approved (a second click). @throws RecordRefusal when not Pending,
 * expired, the requester's own (without self-approval), or the user is not an approver of every member.
 */
export function approveBatch(status: BatchStatus, batch: DatabaseUpdateBatch, user: string, now: Date): boolean {
  if ((status.approvals ?? []).some((v) => v.user === user)) return false;
  if ((status.phase ?? 'Pending') !== 'Pending') throw new RecordRefusal(already(status));
  if (now.getTime() >= Date.parse(batch.spec.expiresAt)) throw new RecordRefusal('This batch has expired; nothing was changed. Ask for the fleet update again if it is still needed.');
  if (user === batch.spec.requester && !batch.spec.allowSelfApproval) throw new RecordRefusal('You cannot approve your own batch: another approver must approve it.');
  if (!batch.spec.approvers.includes(user)) {
    throw new RecordRefusal(`You are not an approver of every database in this batch. Approvers: ${batch.spec.approvers.map(mention).join(', ') || 'none'}.`);
  }
  status.approvals = [...(status.approvals ?? []), { user, at: now.toISOString() }];
  status.phase = status.approvals.length >= batch.spec.approvalsRequired ? 'Approved' : 'Pending';
  return true;
}

/** Reject the batch (an approver). False when already rejected. @throws RecordRefusal when not Pending or not an approver. */
export function rejectBatch(status: BatchStatus, batch: DatabaseUpdateBatch, user: string, now: Date, reason?: string): boolean {
  if (status.phase === 'Rejected') return false;
  if ((status.phase ?? 'Pending') !== 'Pending') throw new RecordRefusal(already(status));
  if (!batch.spec.approvers.includes(user)) throw new RecordRefusal('You are not an approver of this batch, so you cannot reject it.');
  status.phase = 'Rejected';
  status.rejection = { user, at: now.toISOString(), ...(reason ? { reason } : {}) };
  status.finishedAt = now.toISOString();
  return true;
}

/**
 * Cancel the batch (`/dbupdate cancel <batch>`, the requester or an approver): no more members start;
 * members already running finish (the controller cancels those not started yet). False when already
 * cancelled. @throws RecordRefusal when the batch is finished, or the user may not cancel it.
 */
export function cancelBatch(status: BatchStatus, batch: DatabaseUpdateBatch, user: string, now: Date): boolean {
  if (status.phase === 'Cancelled') return false;
  if (batchFinished(status.phase)) throw new RecordRefusal(`${already(status)} Its members' records stay as they are.`);
  if (user !== batch.spec.requester && !batch.spec.approvers.includes(user)) throw new RecordRefusal('Only the requester or an approver can cancel this batch.');
  status.phase = 'Cancelled';
  status.cancellation = { user, at: now.toISOString() };
  status.finishedAt = now.toISOString();
  status.intent = undefined;
  return true;
}

/**
 * Ask to Resume (go on with the next wave, past the failed member) or Abort (start no more members) a
 * Halted batch (an approver); the leader carries it out. False when the same intent is already written.
 * @throws RecordRefusal when the batch is not Halted or the user is not an approver.
 */
export function intendBatch(status: BatchStatus, batch: DatabaseUpdateBatch, user: string, action: 'resume' | 'abort', now: Date): boolean {
  if (status.intent?.action === action) return false;
  if (status.phase !== 'Halted') throw new RecordRefusal(`This batch is ${(status.phase ?? 'Pending').toLowerCase()}, not halted: there is nothing to ${action}; nothing was changed.`);
  if (!batch.spec.approvers.includes(user)) throw new RecordRefusal(`Only an approver of this batch can ${action} it.`);
  status.intent = { action, user, at: now.toISOString() };
  return true;
}

/** Expire a Pending batch past `spec.expiresAt`. False when not due or not Pending. */
export function expireBatch(status: BatchStatus, batch: DatabaseUpdateBatch, now: Date): boolean {
  if ((status.phase ?? 'Pending') !== 'Pending') return false;
  if (now.getTime() < Date.parse(batch.spec.expiresAt)) return false;
  status.phase = 'Expired';
  status.finishedAt = now.toISOString();
  return true;
}

/**
 * Why a member record of fleet batch `batch` must not start now, or undefined when it may: a member
 * starts only while its batch is Running (or Approved: the cache may not show Running yet) (issue #19 item 1: after the first failure "running members
 * finish, the rest are held", including a member of the current wave that waited for its maintenance
 * window; after an Abort or a cancel the batch controller cancels it). A record of no batch, or whose
 * batch is not known (yet), is not held. Pure.
 */
export function batchHold(record: { metadata: { labels?: Record<string, string> } }, batch: DatabaseUpdateBatch | undefined): string | undefined {
  if (!record.metadata.labels?.[LABEL_BATCH] || !batch) return undefined;
  const phase = batch.status?.phase ?? 'Pending';
  if (phase === 'Running' || phase === 'Approved') return undefined;
  return `its fleet batch \`${batch.metadata.name}\` is ${phase.toLowerCase()}`;
}
