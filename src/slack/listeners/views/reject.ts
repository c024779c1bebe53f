/**
 * Submission of the reject-reason modal (`../../reject-modal.ts`): the rejection is written on the record
 * (`state.reject`), or on the fleet batch (`rejectBatch`) when the form names one, before the ack when that fits in the budget (`../../ack.ts`). An empty reason is a field
 * error; a refusal goes to the approval message's channel as an ephemeral message, or, when the form's
 * metadata cannot be trusted (no channel to answer in), into the form as a field error.
 */
import type { ListenerRouter } from '../router.js';
import { RecordRefusal } from '../../../updates/records.js';
import * as state from '../../../updates/state.js';
import { rejectBatch } from '../../../updates/batch-state.js';
import { writeBeforeAck } from '../../ack.js';
import type { Reply } from '../../deps.js';
import { userText } from '../../errors.js';
import { REJECT_REASON_MAX, rejectReason } from '../../reject-modal.js';
import { REJECT_REASON_BLOCK, VIEW_REJECT } from '../../render.js';
import { notFromParent, parseRejectMetadata } from '../../validate.js';
import type { ListenerContext } from '../context.js';

/** Register the reject modal's `view_submission` listener. */
export function registerRejectView(router: ListenerRouter, ctx: ListenerContext): void {
  const { deps, now } = ctx;
  const { log } = deps;
  router.view(VIEW_REJECT, async ({ ack, view, body, client }) => {
    const arrivedAt = performance.now();
    ctx.queue.arrived();
    const reason = rejectReason(view.state.values as never);
    if (!reason) {
      await ack({ response_action: 'errors', errors: { [REJECT_REASON_BLOCK]: 'Say why, so the requester knows what to change.' } });
      return;
    }
    const user = body.user.id;
    const meta = parseRejectMetadata(view.private_metadata);
    const origin = { appId: body.api_app_id, teamId: body.team?.id ?? body.user.team_id };
    const w = writeBeforeAck(ctx.queue, { ...ctx.timing(arrivedAt), answerOnlyInAck: true }, async (): Promise<Reply | undefined> => {
      try {
        const bad = await ctx.identity.untrusted(client, user, 'reject', origin, meta ? (meta.record ?? meta.batch) : view.private_metadata, { channel: meta?.channel, ts: meta?.ts });
        if (bad || !meta) return bad ?? "This form is not one of this bot's requests, so nothing was changed.";
        if (meta.batch) return await rejectTheBatch(ctx, meta.batch, { channel: meta.channel, containerTs: meta.ts }, user, reason.slice(0, REJECT_REASON_MAX));
        await deps.records.mutateStatus(meta.record!, (st, r) => {
          const stray = notFromParent({ channel: meta.channel, containerTs: meta.ts }, st.slack);
          if (stray) {
            log.warn({ audit: 'refuse', user, action: 'reject', record: meta.record, why: stray }, 'rejection not for the request message');
            throw new RecordRefusal(`This form is not for the approval message of \`${meta.record}\`, so nothing was changed.`);
          }
          return state.reject(st, r, user, reason.slice(0, REJECT_REASON_MAX), now());
        });
        log.info({ audit: 'reject', user, record: meta.record, reason }, 'rejection');
        deps.metrics?.approvals.inc({ decision: 'reject' });
        return undefined;
      } catch (err) {
        const text = userText(err, { log, what: 'record your rejection', ctx: { user, record: meta?.record, batch: meta?.batch }, gone: `This ${meta?.batch ? 'batch' : 'request'} no longer exists; nothing was changed.` });
        log.info({ audit: 'refuse', user, action: 'reject', record: meta?.record, batch: meta?.batch, why: text }, 'reject refused');
        return text;
      }
    }, (text) => (text && meta?.channel ? ctx.ephemeral(client, meta.channel, user, `:warning: ${text}`) : Promise.resolve()));
    try {
      const early = (await w.inTime) ? await w.outcome : undefined;
      // Without trustworthy metadata there is no channel to answer in: the refusal is shown in the form.
      if (early && !meta) await ack({ response_action: 'errors', errors: { [REJECT_REASON_BLOCK]: early } });
      else await ack();
    } finally {
      w.acked();
    }
  });
}

/**
 * Write the rejection of fleet batch `batch` (`rejectBatch`, resourceVersion-guarded), if the form came
 * from the batch's own parent message. @returns undefined; @throws RecordRefusal (shown to the user) and API errors.
 */
async function rejectTheBatch(ctx: ListenerContext, batch: string, origin: { channel: string; containerTs: string }, user: string, reason: string): Promise<undefined> {
  const { log } = ctx.deps;
  const res = await ctx.deps.batches.mutateStatus(batch, (st, b) => {
    const stray = notFromParent(origin, st.slack);
    if (stray) {
      log.warn({ audit: 'refuse', user, action: 'reject', batch, why: stray }, 'rejection not for the batch message');
      throw new RecordRefusal(`This form is not for the message of batch \`${batch}\`, so nothing was changed.`);
    }
    return rejectBatch(st, b, user, ctx.now(), reason);
  });
  log.info({ audit: 'batch reject', user, batch, reason, counted: res.changed }, 'fleet update rejected');
  if (res.changed) ctx.deps.metrics?.approvals.inc({ decision: 'reject' });
  return undefined;
}
