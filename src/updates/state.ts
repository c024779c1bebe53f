/**
 * The DatabaseUpdate state machine as pure functions over a copy of `status` (docs/architecture.md):
 * Pending → Approved | Rejected | Expired | Cancelled; Approved → Running → Succeeded | Failed.
 * Each function either changes `status` and returns true, returns false for a no-op (e.g. a duplicate
 * click), or throws {@link RecordRefusal} with a message for the user. Callers run them inside
 * `RecordStore.mutateStatus`, so they see the freshest object and their write is resourceVersion-guarded.
 */
import { RecordRefusal } from './records.js';
import type { DatabaseUpdate, RecordStatus } from '../api/v1alpha1/databaseupdate.js';

const mention = (u: string) => `<@${u}>`;

/** Describe a phase for a refusal ("it was already approved"). */
function already(status: RecordStatus): string {
  const phase = status.phase ?? 'Pending';
  return `This request is already ${phase.toLowerCase()}; nothing was changed.`;
}

/**
 * Record `user`'s approval. Becomes `Approved` when `spec.approvalsRequired` distinct approvers voted.
 * Returns false when the user already approved (duplicate click or Slack retry).
 * @throws RecordRefusal when not Pending, the user may not approve, or it is the requester's own request.
 */
export function approve(status: RecordStatus, record: DatabaseUpdate, user: string, now: Date, allowSelfApproval: boolean): boolean {
  if ((status.approvals ?? []).some((v) => v.user === user)) return false;
  if ((status.phase ?? 'Pending') !== 'Pending') throw new RecordRefusal(already(status));
  if (now.getTime() >= Date.parse(record.spec.expiresAt)) {
    throw new RecordRefusal('This request has expired (the expiry check will mark it shortly); nothing was changed. Ask for the update again if it is still needed.');
  }
  if (user === record.spec.requester && !allowSelfApproval) {
    throw new RecordRefusal('You cannot approve your own request: another approver must approve it.');
  }
  if (!record.spec.approvers.includes(user)) {
    throw new RecordRefusal(
      `You are not an approver for this request. Approvers: ${record.spec.approvers.map(mention).join(', ')}.`,
    );
  }
  status.approvals = [...(status.approvals ?? []), { user, at: now.toISOString() }];
  if (status.approvals.length >= record.spec.approvalsRequired) status.phase = 'Approved';
  else status.phase = 'Pending';
  return true;
}

/**
 * Reject with a reason. Returns false when the same user already rejected it.
 * @throws RecordRefusal when not Pending or the user is not an approver.
 */
export function reject(status: RecordStatus, record: DatabaseUpdate, user: string, reason: string, now: Date): boolean {
  if (status.phase === 'Rejected' && status.rejection?.user === user) return false;
  if ((status.phase ?? 'Pending') !== 'Pending') throw new RecordRefusal(already(status));
  if (!record.spec.approvers.includes(user)) {
    throw new RecordRefusal(
      `You are not an approver for this request, so you cannot reject it. Approvers: ${record.spec.approvers.map(mention).join(', ')}.`,
    );
  }
  status.phase = 'Rejected';
  status.rejection = { user, reason, at: now.toISOString() };
  status.finishedAt = now.toISOString();
  return true;
}

/**
 * Cancel a request that has not started running, by its requester or an approver.
 * @throws RecordRefusal when it is running or finished, or the user may not cancel it.
 */
export function cancel(status: RecordStatus, record: DatabaseUpdate, user: string, now: Date): boolean {
  if (status.phase === 'Cancelled') return false;
  const phase = status.phase ?? 'Pending';
  if (phase === 'Running') {
    throw new RecordRefusal('This update is already running and cannot be cancelled; follow its thread.');
  }
  if (!['Pending', 'Approved', 'Scheduled'].includes(phase)) throw new RecordRefusal(already(status));
  if (user !== record.spec.requester && !record.spec.approvers.includes(user)) {
    throw new RecordRefusal('Only the requester or an approver can cancel this request.');
  }
  status.phase = 'Cancelled';
  status.cancellation = { user, at: now.toISOString() };
  status.finishedAt = now.toISOString();
  return true;
}

/** Expire a Pending request past `spec.expiresAt`. Returns false when not due or not Pending. */
export function expire(status: RecordStatus, record: DatabaseUpdate, now: Date): boolean {
  if ((status.phase ?? 'Pending') !== 'Pending') return false;
  if (now.getTime() < Date.parse(record.spec.expiresAt)) return false;
  status.phase = 'Expired';
  status.finishedAt = now.toISOString();
  return true;
}
