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

/** What a Reject click needs of the request or fleet batch it names. */
export interface RejectTarget {
  /** `request` or `batch`, for the user's text. */
  noun: string;
  phase: string;
  approvers: string[];
  /** Its approval message (`status.slack`). */
  parent?: { channel?: string; ts?: string };
  /** Refusal when the click is not on its approval message. */
  stray: string;
  /** The reason modal for it, bound to `parent`. */
  modal: (parent: { channel: string; ts: string }) => Record<string, unknown>;
}

/** Reject on a request's approval message: the reason modal for the record. */
function onReject(ctx: ListenerContext, args: ButtonArgs): Promise<void> {
  return onRejectClick(ctx, args, GONE, async (name) => {
    const r = await ctx.deps.records.get(name);
    return r && rejectTarget(r, 'request', `This button is not on the approval message of \`${name}\`, so nothing was changed. Use the buttons on the request's own message.`, (p) => rejectModal(r, p));
  });
}

/** The {@link RejectTarget} of a request or a batch (both carry `spec.approvers`, `status.phase` and `status.slack`). */
export function rejectTarget(
  o: { spec: { approvers: string[] }; status?: { phase?: string; slack?: { channel?: string; ts?: string } } },
  noun: string,
  stray: string,
  modal: RejectTarget['modal'],
): RejectTarget {
  return { noun, phase: o.status?.phase ?? 'Pending', approvers: o.spec.approvers, parent: o.status?.slack, stray, modal };
}

/**
 * A Reject click (a request's or a fleet batch's): ack, then open the reason modal (`../../reject-modal.ts`)
 * with the click's `trigger_id` (valid 3 s, so not a queued follow-up), or say ephemerally why not: the
 * click's identity (`../../identity.ts`), the target gone (`gone`), not on its approval message, no longer
 * Pending, or the user not an approver. The rejection itself is written by `../views/reject.ts`. Never throws.
 */
export async function onRejectClick(ctx: ListenerContext, { ack, body, action, client }: ButtonArgs, gone: string, load: (name: string) => Promise<RejectTarget | undefined>): Promise<void> {
  await ack();
  const { log } = ctx.deps;
  const user = body.user.id;
  const origin = clickOrigin(body);
  const channel = origin.channel ?? '';
  try {
    let refusal = await ctx.identity.untrusted(client, user, 'reject', origin, action.value, { channel: origin.channel, ts: origin.containerTs });
    const t = refusal ? undefined : await load(action.value!);
    if (refusal) {
      /* said above */
    } else if (!t) refusal = gone;
    else if (notFromParent(origin, t.parent)) {
      log.warn({ audit: 'refuse', user, action: 'reject', target: action.value, why: notFromParent(origin, t.parent) }, `click not on the ${t.noun} message`);
      refusal = t.stray;
    } else if (t.phase !== 'Pending') refusal = `This ${t.noun} is already ${t.phase.toLowerCase()}; nothing was changed.`;
    else if (!t.approvers.includes(user)) refusal = `You are not an approver for this ${t.noun}, so you cannot reject it.`;
    if (refusal || !t) {
      log.info({ audit: 'refuse', user, action: 'reject', target: action.value, why: refusal }, 'reject refused');
      if (channel) await ctx.ephemeral(client, channel, user, `:warning: ${refusal}`);
      return;
    }
    await client.views.open({ trigger_id: body.trigger_id, view: t.modal({ channel: t.parent!.channel!, ts: t.parent!.ts! }) as never });
  } catch (err) {
    const text = userText(err, { log, what: 'open the reject form', ctx: { user, target: action.value }, gone, nothing: 'Nothing was changed; click Reject again.' });
    if (channel) await ctx.ephemeral(client, channel, user, `:warning: ${text}`);
  }
}
