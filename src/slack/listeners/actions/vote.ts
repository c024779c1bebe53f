/**
 * The Approve and Reject buttons of a request's approval message: one listener for both (registered
 * through `../router.ts`). Clicks are checked before any
 * record is touched (`../../identity.ts`, `../../validate.ts`): a valid record name, a payload for this
 * app and workspace, and the record's own parent message (`status.slack.channel`/`ts`).
 *
 * Approve: the vote is written on the record (`state.approve`) before the ack when that fits in the
 * budget (`../../ack.ts`); a refusal is posted ephemerally after the ack (a click's ack carries no text).
 * Reject: opens the reason modal (`../../reject-modal.ts`) with the click's `trigger_id` (valid 3 s, so
 * not a queued follow-up); the rejection itself is written by `../views/reject.ts`.
 */
import type { BlockAction, ButtonAction } from '@slack/bolt';
import type { ButtonArgs, ListenerRouter } from '../router.js';
import type { WebClient } from '@slack/web-api';
import { RecordRefusal } from '../../../updates/records.js';
import * as state from '../../../updates/state.js';
import { writeBeforeAck } from '../../ack.js';
import type { Reply } from '../../deps.js';
import { userText } from '../../errors.js';
import { rejectModal } from '../../reject-modal.js';
import { ACTION_APPROVE, ACTION_REJECT } from '../../render.js';
import { notFromParent, type ClickOrigin } from '../../validate.js';
import type { ListenerContext } from '../context.js';


const GONE = 'This request no longer exists; nothing was changed.';

/** The click's origin as Slack describes it in a `block_actions` payload. Pure. */
export function clickOrigin(body: BlockAction<ButtonAction>): ClickOrigin {
  const b = body as BlockAction<ButtonAction> & { message?: { ts?: string }; container?: { channel_id?: string; message_ts?: string } };
  return {
    channel: b.container?.channel_id ?? b.channel?.id,
    containerTs: b.container?.message_ts,
    messageTs: b.message?.ts,
    appId: b.api_app_id,
    teamId: b.team?.id ?? b.user.team_id,
  };
}

/** Register the Approve/Reject button listener. */
export function registerVoteAction(router: ListenerRouter, ctx: ListenerContext): void {
  router.action(new RegExp(`^(${ACTION_APPROVE}|${ACTION_REJECT})$`), async (args) => {
    const arrivedAt = performance.now();
    ctx.queue.arrived();
    await (args.action.action_id === ACTION_APPROVE ? onApprove(ctx, args, arrivedAt) : onReject(ctx, args));
  });
}

/** Approve: count the click on the record (the state machine decides), or say why not. */
async function onApprove(ctx: ListenerContext, { ack, body, action, client }: ButtonArgs, arrivedAt: number): Promise<void> {
  const { deps, now } = ctx;
  const { log, config } = deps;
  const user = body.user.id;
  const origin = clickOrigin(body);
  const record = action.value;
  const w = writeBeforeAck(ctx.queue, ctx.timing(arrivedAt), async (): Promise<Reply | undefined> => {
    try {
      const bad = await ctx.identity.untrusted(client, user, 'approve', origin, record, { channel: origin.channel, ts: origin.containerTs });
      if (bad) return bad;
      const res = await deps.records.mutateStatus(record!, (st, r) => {
        const stray = notFromParent(origin, st.slack);
        if (stray) {
          log.warn({ audit: 'refuse', user, action: 'approve', record, why: stray }, 'click not on the request message');
          throw new RecordRefusal(`This button is not on the approval message of \`${record}\`, so it was not counted. Use the buttons on the request's own message in <#${st.slack?.channel ?? r.spec.channel}>.`);
        }
        return state.approve(st, r, user, now(), r.spec.allowSelfApproval ?? config.allowSelfApproval);
      });
      log.info({ audit: 'approve', user, record, counted: res.changed, phase: res.record.status?.phase }, 'approval');
      if (res.changed) deps.metrics?.approvals.inc({ decision: 'approve' });
      return undefined;
    } catch (err) {
      const text = userText(err, { log, what: 'record your approval', ctx: { user, record }, gone: GONE });
      log.info({ audit: 'refuse', user, action: 'approve', record, why: text }, 'approval refused');
      deps.metrics?.approvals.inc({ decision: 'refused' });
      return text;
    }
  }, (text) => (text && origin.channel ? ctx.ephemeral(client, origin.channel, user, `:warning: ${text}`) : Promise.resolve()));
  try {
    await w.inTime;
    await ack();
  } finally {
    w.acked();
  }
}

/** Reject: open the reason modal, or say why not. */
async function onReject(ctx: ListenerContext, { ack, body, action, client }: ButtonArgs): Promise<void> {
  await ack();
  try {
    await openRejectModal(ctx, body, action, client);
  } catch (err) {
    const text = userText(err, { log: ctx.deps.log, what: 'open the reject form', ctx: { user: body.user.id, record: action.value }, gone: GONE, nothing: 'Nothing was changed; click Reject again.' });
    const channel = body.channel?.id ?? body.container?.channel_id;
    if (channel) await ctx.ephemeral(client, channel, body.user.id, `:warning: ${text}`);
  }
}

async function openRejectModal(ctx: ListenerContext, body: BlockAction<ButtonAction>, action: ButtonAction, client: WebClient): Promise<void> {
  const { log } = ctx.deps;
  const user = body.user.id;
  const origin = clickOrigin(body);
  const channel = origin.channel ?? '';
  let refusal = await ctx.identity.untrusted(client, user, 'reject', origin, action.value, { channel: origin.channel, ts: origin.containerTs });
  const record = refusal ? undefined : await ctx.deps.records.get(action.value!);
  if (refusal) {
    /* said above */
  } else if (!record) refusal = GONE;
  else if (notFromParent(origin, record.status?.slack)) {
    log.warn({ audit: 'refuse', user, action: 'reject', record: action.value, why: notFromParent(origin, record.status?.slack) }, 'click not on the request message');
    refusal = `This button is not on the approval message of \`${record.metadata.name}\`, so nothing was changed. Use the buttons on the request's own message.`;
  } else if ((record.status?.phase ?? 'Pending') !== 'Pending') refusal = `This request is already ${record.status?.phase?.toLowerCase()}; nothing was changed.`;
  else if (!record.spec.approvers.includes(user)) refusal = `You are not an approver for this request, so you cannot reject it.`;
  if (refusal || !record) {
    log.info({ audit: 'refuse', user, action: 'reject', record: action.value, why: refusal }, 'reject refused');
    if (channel) await ctx.ephemeral(client, channel, user, `:warning: ${refusal}`);
    return;
  }
  await client.views.open({ trigger_id: body.trigger_id, view: rejectModal(record, { channel: record.status!.slack!.channel!, ts: record.status!.slack!.ts! }) as never });
}
