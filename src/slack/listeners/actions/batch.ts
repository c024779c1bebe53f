/**
 * The buttons of a fleet update's parent message (`../../render-batch.ts`): Approve and Reject while the
 * batch is Pending, Resume and Abort while it is Halted; one listener for the four (registered through
 * `../router.ts`). Each click is checked as a request's are (`../../identity.ts`:
 * a valid name, this app and workspace; the batch's own parent message, `status.slack`) and written on the
 * batch (`src/updates/batch-state.ts`, resourceVersion-guarded) before the ack when that fits in the
 * budget; a refusal is posted ephemerally after the ack. A second click of the same approver is a no-op.
 * Reject opens the reason modal first, as a request's Reject does (`onRejectClick` of `./vote.ts`); the
 * rejection and its reason are written on its submission (`../views/reject.ts`).
 * The leader's batch controller carries out what was written.
 */
import type { ListenerRouter } from '../router.js';
import { RecordRefusal } from '../../../updates/records.js';
import { approveBatch, intendBatch } from '../../../updates/batch-state.js';
import { writeBeforeAck } from '../../ack.js';
import type { Reply } from '../../deps.js';
import { userText } from '../../errors.js';
import { ACTION_BATCH_ABORT, ACTION_BATCH_APPROVE, ACTION_BATCH_REJECT, ACTION_BATCH_RESUME } from '../../render-batch.js';
import { notFromParent } from '../../validate.js';
import type { ListenerContext } from '../context.js';
import { rejectBatchModal } from '../../reject-modal.js';
import { clickOrigin, onRejectClick, rejectTarget } from './vote.js';

const GONE = 'This batch no longer exists; nothing was changed.';
const WHAT: Record<string, string> = {
  [ACTION_BATCH_APPROVE]: 'approve',
  [ACTION_BATCH_REJECT]: 'reject',
  [ACTION_BATCH_RESUME]: 'resume',
  [ACTION_BATCH_ABORT]: 'abort',
};

/** Register the listener of the batch buttons. */
export function registerBatchActions(router: ListenerRouter, ctx: ListenerContext): void {
  const ids = Object.keys(WHAT).join('|');
  router.action(new RegExp(`^(${ids})$`), async (args) => {
    const arrivedAt = performance.now();
    ctx.queue.arrived();
    const { ack, body, action, client } = args;
    if (action.action_id === ACTION_BATCH_REJECT) {
      // Reject asks for a reason first (the form's submission writes it: ../views/reject.ts).
      await onRejectClick(ctx, args, GONE, async (name) => {
        const b = await ctx.deps.batches.get(name);
        return b && rejectTarget(b, 'batch', `This button is not on the message of batch \`${name}\`, so nothing was changed.`, (p) => rejectBatchModal(b, p));
      });
      return;
    }
    const { deps, now } = ctx;
    const { log } = deps;
    const user = body.user.id;
    const origin = clickOrigin(body);
    const batch = action.value;
    const what = WHAT[action.action_id];
    const w = writeBeforeAck(ctx.queue, ctx.timing(arrivedAt), async (): Promise<Reply | undefined> => {
      try {
        const bad = await ctx.identity.untrusted(client, user, `batch ${what}`, origin, batch, { channel: origin.channel, ts: origin.containerTs });
        if (bad) return bad;
        const res = await deps.batches.mutateStatus(batch!, (st, b) => {
          const stray = notFromParent(origin, st.slack);
          if (stray) {
            log.warn({ audit: 'refuse', user, action: `batch ${what}`, batch, why: stray }, 'click not on the batch message');
            throw new RecordRefusal(`This button is not on the message of batch \`${batch}\`, so nothing was changed.`);
          }
          if (what === 'approve') return approveBatch(st, b, user, now());
          return intendBatch(st, b, user, what as 'resume' | 'abort', now());
        });
        log.info({ audit: `batch ${what}`, user, batch, counted: res.changed, phase: res.batch.status?.phase }, `fleet update ${what}`);
        if (what === 'approve' && res.changed) deps.metrics?.approvals.inc({ decision: 'approve' });
        return undefined;
      } catch (err) {
        const text = userText(err, { log, what: `${what} the batch`, ctx: { user, batch }, gone: GONE });
        log.info({ audit: 'refuse', user, action: `batch ${what}`, batch, why: text }, 'batch click refused');
        return text;
      }
    }, (text) => (text && origin.channel ? ctx.ephemeral(client, origin.channel, user, `:warning: ${text}`) : Promise.resolve()));
    try {
      await w.inTime;
      await ack();
    } finally {
      w.acked();
    }
  });
}
