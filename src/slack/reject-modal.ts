/**
 * Block Kit of the reject-reason modal, opened by the Reject button of a request's approval message or
 * of a fleet batch's parent message.
 * Pure. Its `private_metadata` ties the submission to the record and to the approval message clicked
 * (checked again on submission: `parseRejectMetadata` and `notFromParent` of `./validate.ts`). Limits:
 * modal title ≤ 24 characters, plain_text_input `max_length` ≤ 3,000
 * (https://api.slack.com/reference/surfaces/views, https://api.slack.com/reference/block-kit/block-elements#input).
 */
import type { DatabaseUpdate } from '../api/v1alpha1/databaseupdate.js';
import type { DatabaseUpdateBatch } from '../api/v1alpha1/databaseupdatebatch.js';
import { REJECT_REASON_ACTION, REJECT_REASON_BLOCK, VIEW_REJECT } from './render.js';

/** Longest reason kept (characters). */
export const REJECT_REASON_MAX = 500;

/**
 * The modal for rejecting `record`, whose approval message is `parent` (`status.slack` channel and ts).
 * @returns a `views.open` view (type `modal`, callback_id {@link VIEW_REJECT}).
 */
export function rejectModal(record: Pick<DatabaseUpdate, 'metadata' | 'spec'>, parent: { channel: string; ts: string }): Record<string, unknown> {
  return modal({ record: record.metadata.name }, parent, 'Reject update', `Reject \`${record.metadata.name}\` (${record.spec.fromVersion} → ${record.spec.targetVersion})?`);
}

/**
 * The modal for rejecting fleet batch `batch`, whose parent message is `parent`; the same form as a
 * request's (callback_id {@link VIEW_REJECT}), its metadata naming the batch.
 */
export function rejectBatchModal(batch: Pick<DatabaseUpdateBatch, 'metadata' | 'spec'>, parent: { channel: string; ts: string }): Record<string, unknown> {
  const n = batch.spec.members.length;
  return modal({ batch: batch.metadata.name }, parent, 'Reject fleet update', `Reject batch \`${batch.metadata.name}\` (${n} ${batch.spec.engine} database${n === 1 ? '' : 's'} → ${batch.spec.requestedVersion})? None of them is updated.`);
}

function modal(target: { record: string } | { batch: string }, parent: { channel: string; ts: string }, title: string, question: string): Record<string, unknown> {
  return {
    type: 'modal',
    callback_id: VIEW_REJECT,
    private_metadata: JSON.stringify({ ...target, channel: parent.channel, ts: parent.ts }),
    title: { type: 'plain_text', text: title },
    submit: { type: 'plain_text', text: 'Reject' },
    close: { type: 'plain_text', text: 'Cancel' },
    blocks: [
      { type: 'section', text: { type: 'mrkdwn', text: question } },
      {
        type: 'input',
        block_id: REJECT_REASON_BLOCK,
        label: { type: 'plain_text', text: 'Reason' },
        element: { type: 'plain_text_input', action_id: REJECT_REASON_ACTION, multiline: true, max_length: REJECT_REASON_MAX },
      },
    ],
  };
}

/** The reason typed in a submitted reject modal (`view.state.values`), trimmed; empty when none. */
export function rejectReason(values: Record<string, Record<string, { value?: string | null }>> | undefined): string {
  return (values?.[REJECT_REASON_BLOCK]?.[REJECT_REASON_ACTION]?.value ?? '').trim();
}
