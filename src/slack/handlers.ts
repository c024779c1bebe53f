/**
 * Bolt handlers for `/dbupdate`, the Approve/Reject buttons and the reject-reason modal: Slack I/O (ack,
 * respond, views) and rendering. A request itself (policy, preflight, lock, record) is the request step of
 * `src/updates/request.ts`, resume/retry that of `src/updates/recovery.ts`; votes, rejections and cancels
 * are `RecordStore.mutateStatus` writes of `src/updates/state.ts` transitions. They never run the pipeline
 * (docs/architecture.md data flow). Errors only the user needs are ephemeral; unexpected errors are
 * answered generically with a reference to the log line.
 *
 * Nothing acked is lost: a request's record, a vote, a rejection or a cancel is written *before* the ack
 * when that fits in {@link ACK_BUDGET_MS} (2 s of Slack's 3 s, from the envelope's arrival). A process
 * killed before the ack never acks, and Slack tells the user it failed. Past the budget the ack says the
 * answer is still coming (and to ask again if none comes); every path of a request then answers through
 * `response_url` (recorded, refused, lost a same-database race, a Slack retry, an error).
 *
 * Clicks and modal submissions are checked before any API call (`./validate.ts`): the record name must be
 * a DNS-1123 name, the payload must be for this app and workspace, and a click must come from the
 * record's own parent message (`status.slack.channel`/`ts`).
 */
import { randomBytes } from 'node:crypto';
import type { AllMiddlewareArgs, App, BlockAction, ButtonAction, RespondFn, SlackActionMiddlewareArgs } from '@slack/bolt';
import type { WebClient } from '@slack/web-api';
import { parseCommand, helpText } from '../command/parse.js';
import type { Kube } from '../kube/client.js';
import { statusMessage } from '../kube/errors.js';
import { RecordRefusal } from '../updates/records.js';
import { requestUpdate, type RequestDeps } from '../updates/request.js';
import type { UserGroupResolver } from '../policy/usergroups.js';
import { renderList, renderStatus } from './queries.js';
import { answerVersions } from './versions.js';
import { FOLLOW_UP_DEFAULTS, FollowUpQueue, type FollowUpOptions } from './followup.js';
import { onRecoveryCommand } from './recovery.js';
import { registerRequestShortcut } from './shortcut.js';
import { registerHomeTab, visibleTo } from './home.js';
import * as state from '../updates/state.js';
import { requestAnswer } from './render-request.js';
import {
  ACTION_APPROVE,
  ACTION_REJECT,
  REJECT_REASON_ACTION,
  REJECT_REASON_BLOCK,
  VIEW_REJECT,
  escapeMrkdwn,
} from './render.js';
import { foreignApp, isRecordName, notFromParent, parseRejectMetadata, type AppIdentity, type ClickOrigin } from './validate.js';

/** What the handlers need: the request step's dependencies (`src/updates/request.ts`: clusters, records, config, log, metrics) and more. */
export interface HandlerDeps extends RequestDeps {
  /** The default cluster of a channel (config `channelClusters`), else the home cluster. */
  channelCluster?: (channel: string) => string | undefined;
  now?: () => Date;
  /** Resolves user groups (`usergroups.users.list`, cached) for requester and approver rules. */
  groups?: UserGroupResolver;
  /** Scheduling of follow-ups, the work after an ack (`src/slack/followup.ts`; defaults there). */
  followUps?: FollowUpOptions;
  /**
   * How long (ms, counted from the envelope's arrival) the ack waits for the durable write of a request
   * (its record) or a click (the approval/rejection on the record): default {@link ACK_BUDGET_MS}.
   */
  ackBudgetMs?: number;
  /** How long (ms from arrival) the ack waits for that write to start, if it waits: default {@link ACK_START_MS}. */
  ackStartMs?: number;
}

/**
 * Default of {@link HandlerDeps.ackBudgetMs}: 2 s of Slack's 3 s ack deadline
 * (https://api.slack.com/interactivity/handling#acknowledgment_response), leaving 1 s for the ack to travel.
 * An intent written before the ack is never lost: if the process dies before it, Slack never gets the ack
 * and tells the user the command failed (`operation_timeout`); a click is shown as failed.
 */
const ACK_BUDGET_MS = 2000;

/** The reply to a user: the text, posted ephemerally. */
type Reply = string;

/**
 * Default of {@link HandlerDeps.ackStartMs}: how long (ms from arrival) an ack waits for its follow-up to
 * *start* (the queue starts one after 5 ms without arrivals, at most 100 ms after it was queued:
 * `src/slack/followup.ts`), when the queue had a free slot as the envelope arrived. When it had none (a
 * burst, or slow follow-ups), the ack goes out at once, saying the answer is still to come (and to ask
 * again if it does not): holding every ack of a burst for the whole queue pushes acks towards Slack's
 * deadline (measured: a burst of 200 refused commands with every ack held, p50 ≈ 2.1 s on a loaded
 * machine).
 */
const ACK_START_MS = 150;

/**
 * Run `work` as a follow-up of `queue`. `inTime` resolves true once `work` has settled, if the queue had a
 * free slot (fewer than `concurrency` follow-ups running or waiting), `work` started within `startMs` and
 * settled within `budgetMs` (both ms since `arrivedAt`, a `performance.now()`); else false as soon as
 * one of these is missed: the moment to ack. `outcome` is `work`'s own result; once the caller has
 * acked and called `acked()`, `deliver` answers the user with it, still in the follow-up's slot.
 * `work` and `deliver` must not throw (a rejection of `work` skips `deliver`).
 */
function writeBeforeAck<T>(
  queue: FollowUpQueue,
  concurrency: number,
  arrivedAt: number,
  startMs: number,
  budgetMs: number,
  work: () => Promise<T>,
  deliver: (result: T) => Promise<void>,
): { outcome: Promise<T>; inTime: Promise<boolean>; acked: () => void } {
  const c = queue.counts();
  const hold = c.running + c.waiting < concurrency;
  let started: () => void = () => {};
  const start = new Promise<true>((resolve) => (started = () => resolve(true)));
  let acked: () => void = () => {};
  const ackSent = new Promise<void>((resolve) => (acked = resolve));
  const outcome = new Promise<T>((resolve, reject) => {
    void queue.run(async () => {
      started();
      let result: T;
      try {
        result = await work();
        resolve(result);
      } catch (err) {
        reject(err);
        return;
      }
      // The answer follows the ack, inside the follow-up (so a drain on shutdown waits for it too).
      await ackSent;
      await deliver(result);
    });
  });
  const until = (ms: number) => {
    let timer: NodeJS.Timeout | undefined;
    const p = new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), Math.max(0, arrivedAt + ms - performance.now()))));
    return { p, cancel: () => clearTimeout(timer) };
  };
  const inTime = (async () => {
    if (!hold) return false;
    const s = until(startMs);
    const ok = await Promise.race([start, s.p]);
    s.cancel();
    if (!ok) return false;
    const b = until(budgetMs);
    try {
      return await Promise.race([outcome.then(() => true, () => true), b.p]);
    } finally {
      b.cancel();
    }
  })();
  return { outcome, inTime, acked };
}

/** A short id tying a generic error shown to a user to the logged detail. */
function errorRef(): string {
  return randomBytes(4).toString('hex');
}

/** The click's origin as Slack describes it in a `block_actions` payload. */
function clickOrigin(body: BlockAction<ButtonAction>): ClickOrigin {
  const b = body as BlockAction<ButtonAction> & { message?: { ts?: string }; container?: { channel_id?: string; message_ts?: string } };
  return {
    channel: b.container?.channel_id ?? b.channel?.id,
    containerTs: b.container?.message_ts,
    messageTs: b.message?.ts,
    appId: b.api_app_id,
    teamId: b.team?.id ?? b.user.team_id,
  };
}

async function ephemeral(client: WebClient, channel: string, user: string, text: string): Promise<void> {
  await client.chat.postEphemeral({ channel, user, text });
}

/** What Bolt passes a button listener. */
type ButtonArgs = SlackActionMiddlewareArgs<BlockAction<ButtonAction>> & AllMiddlewareArgs;

/** What {@link registerHandlers} gives back. */
export interface Handlers {
  /**
   * Wait for the follow-ups of envelopes already acked (call after the app has stopped taking new ones),
   * at most `timeoutMs` (ms). @returns how many were still running then (0: all done).
   */
  drain(timeoutMs: number): Promise<number>;
}

/** Register all handlers on a Bolt app. */
export function registerHandlers(app: App, deps: HandlerDeps): Handlers {
  const now = deps.now ?? (() => new Date());
  const { log, config } = deps;
  const budgetMs = deps.ackBudgetMs ?? ACK_BUDGET_MS;
  const startMs = deps.ackStartMs ?? ACK_START_MS;
  const concurrency = deps.followUps?.concurrency ?? FOLLOW_UP_DEFAULTS.concurrency;
  /** Answer through `response_url`; a failure (expired URL, Slack down) is logged, never thrown from a follow-up. */
  const answer = async (respond: RespondFn, text: Reply): Promise<void> => {
    try {
      await respond({ response_type: 'ephemeral', text });
    } catch (err) {
      log.warn({ err: statusMessage(err) }, 'could not answer through response_url');
    }
  };
  /** Generic answer to an unexpected error (its detail is logged under the reference). */
  const internalError = (what: string, err: unknown, ctx: Record<string, unknown>): Reply => {
    const ref = errorRef();
    log.error({ err: statusMessage(err), ref, ...ctx }, `${what} failed`);
    return `Could not ${what} (an error on the bot's side, reference \`${ref}\` in its log). Nothing was changed; try again.`;
  };

  const queue = new FollowUpQueue({ onDetachedError: (err) => log.error({ err: statusMessage(err) }, 'follow-up failed after giving up its slot'), ...deps.followUps });
  // Three listeners, each first noting the envelope's arrival (follow-ups wait for the acks of a burst,
  // src/slack/followup.ts). Bolt runs every listener's middleware chain for every envelope (≈ 7 µs each,
  // measured), hence one listener for both buttons and no global middleware.

  app.command('/dbupdate', async ({ command, ack, respond }) => {
    const arrivedAt = performance.now();
    queue.arrived();
    const parsed = parseCommand(command.text ?? '');
    if (!parsed.ok) {
      log.info({ audit: 'refuse', user: command.user_id, text: command.text, why: parsed.error }, 'command refused');
      deps.metrics?.requests.inc({ outcome: 'refused' });
      await ack({ response_type: 'ephemeral', text: `:warning: ${parsed.error}\nUsage: ${parsed.usage.includes('`') ? parsed.usage : `\`${parsed.usage}\``}` });
      return;
    }
    const cmd = parsed.command;
    if (cmd.kind === 'help') {
      await ack({ response_type: 'ephemeral', text: helpText() });
      return;
    }
    if (cmd.kind === 'resume' || cmd.kind === 'retry') return onRecoveryCommand(deps, queue, now, { cmd, command, ack, respond }); // src/slack/recovery.ts
    if (cmd.kind === 'status' || cmd.kind === 'list') {
      await ack();
      await queue.run(async () => {
        try {
          // Only requests the asker has a part in, or could have made under the policy, are shown.
          const all = visibleTo(await deps.records.list(), config, command.user_id, command.channel_id);
          const text = cmd.kind === 'status' ? renderStatus(cmd.name, cmd.namespace, all) : renderList(all, cmd.all);
          await answer(respond, text);
        } catch (err) {
          await answer(respond, `:x: ${internalError('read the requests', err, { user: command.user_id })}`);
        }
      });
      return;
    }
    if (cmd.kind === 'cancel') {
      const user = command.user_id;
      if (!isRecordName(cmd.id)) {
        log.info({ audit: 'refuse', user, action: 'cancel', record: cmd.id, why: 'not a valid record name' }, 'cancel refused');
        await ack({ response_type: 'ephemeral', text: `:warning: \`${escapeMrkdwn(cmd.id)}\` is not a request id (ids look like \`orders-1a2b3c4d\`): \`/dbupdate list\` shows them.` });
        return;
      }
      // Written before the ack when that fits in the budget (see ACK_BUDGET_MS), as a request is.
      const { inTime, acked } = writeBeforeAck(queue, concurrency, arrivedAt, startMs, budgetMs, async (): Promise<Reply> => {
        try {
          const res = await deps.records.mutateStatus(cmd.id, (st, r) => state.cancel(st, r, user, now()));
          log.info({ audit: 'cancel', user, record: cmd.id, changed: res.changed }, 'cancel');
          return `:wastebasket: Request \`${cmd.id}\` is cancelled; nothing was changed in the cluster.`;
        } catch (err) {
          const text = err instanceof RecordRefusal || /not found$/.test((err as Error).message ?? '')
            ? (err as Error).message.replace(/^DatabaseUpdate \S+ not found$/, `There is no request \`${cmd.id}\`: \`/dbupdate list\` shows the ids.`)
            : internalError('cancel', err, { user, record: cmd.id });
          log.info({ audit: 'refuse', user, action: 'cancel', record: cmd.id, why: text }, 'cancel refused');
          return `:warning: ${text}`;
        }
      }, (text) => answer(respond, text));
      try {
        if (await inTime) await ack();
        else await ack({ response_type: 'ephemeral', text: `:hourglass_flowing_sand: Cancelling \`${cmd.id}\`… (busy or slower than usual). The answer comes here; if none comes within a minute, ask again.` });
      } finally {
        acked();
      }
      return;
    }
    if (cmd.kind === 'versions') {
      await ack();
      const ns = cmd.namespace ?? config.channelNamespaces[command.channel_id] ?? config.defaultNamespace;
      const kube = clusterOf(deps, cmd.cluster, command.channel_id);
      if (!kube) {
        await respond({ response_type: 'ephemeral', text: `:warning: Unknown cluster \`${escapeMrkdwn(cmd.cluster ?? '')}\`. This bot manages: ${deps.clusters.names().join(', ')}.` });
        return;
      }
      await queue.run(async () => {
        try {
          await answer(respond, await answerVersions(kube, cmd.engine, ns, cmd.name));
        } catch (err) {
          await answer(respond, `:x: ${internalError(`read the ${cmd.engine.catalogKind} catalog`, err, { user: command.user_id })}`);
        }
      });
      return;
    }
    const namespace = cmd.namespace ?? config.channelNamespaces[command.channel_id] ?? config.defaultNamespace;
    const kube = clusterOf(deps, cmd.cluster, command.channel_id);
    if (!kube) {
      await ack({ response_type: 'ephemeral', text: `:warning: Unknown cluster \`${escapeMrkdwn(cmd.cluster ?? '')}\`. This bot manages: ${deps.clusters.names().map((n) => `\`${n}\``).join(', ')}.` });
      return;
    }
    // The record is written before the ack when that fits in the budget: a process killed before the ack
    // leaves Slack without one, and Slack tells the user the command failed; nothing is acked and lost.
    const { inTime, acked } = writeBeforeAck(queue, concurrency, arrivedAt, startMs, budgetMs, () =>
      requestUpdate(deps, kube, now(), {
        engine: cmd.engine,
        namespace,
        name: cmd.name,
        version: cmd.version,
        reason: cmd.reason,
        at: cmd.at,
        dryRun: cmd.dryRun,
        user: command.user_id,
        channel: command.channel_id,
        triggerId: command.trigger_id,
      }).then(requestAnswer, (err: unknown) => {
        const ref = errorRef();
        log.error({ err: statusMessage(err), ref, user: command.user_id, database: `${kube.name}/${namespace}/${cmd.name}` }, 'request failed');
        deps.metrics?.requests.inc({ outcome: 'error' });
        return `:x: Could not check the request against cluster \`${kube.name}\` (an error on the bot's side, reference \`${ref}\` in its log). Nothing was requested; try again.`;
      }),
      (text) => answer(respond, text),
    );
    try {
      if (await inTime) await ack();
      else {
        await ack({
          response_type: 'ephemeral',
          text: `:mag: Checking ${cmd.engine.kind} \`${namespace}/${cmd.name}\` → ${escapeMrkdwn(cmd.version)}… (busy or slower than usual). The answer comes here; if none comes within a minute, nothing was requested: ask again.`,
        });
      }
    } finally {
      acked();
    }
  });

  app.action<BlockAction<ButtonAction>>(new RegExp(`^(${ACTION_APPROVE}|${ACTION_REJECT})$`), async (args) => {
    const arrivedAt = performance.now();
    queue.arrived();
    await (args.action.action_id === ACTION_APPROVE ? onApprove(args, arrivedAt) : onReject(args));
  });

  /**
   * This app's identity. `team_id` and `bot_id` come from `auth.test` (no scope; Bolt calls it at start too).
   * A bot token's `auth.test` has no `app_id` (https://api.slack.com/methods/auth.test), and `bots.info`
   * would need `users:read`, which the manifest does not ask for; so the `app_id` is learnt once from a
   * message Slack itself says this bot posted: `conversations.replies` (channels:history / groups:history,
   * granted) of a request's parent message returns it with `bot_id` and `app_id`
   * (https://api.slack.com/methods/conversations.replies), and only a message whose `bot_id` is this
   * bot's is believed. @returns undefined while the app id is not known and `at` is not this bot's message.
   */
  let auth: Promise<{ teamId: string; botId: string }> | undefined;
  let appId: string | undefined;
  async function whoAmI(client: WebClient, at: { channel?: string; ts?: string }): Promise<AppIdentity | undefined> {
    auth ??= client.auth.test().then(
      (r) => {
        if (!r.team_id || !r.bot_id) throw new Error('auth.test gave no team_id/bot_id (not a bot token?)');
        return { teamId: r.team_id, botId: r.bot_id };
      },
      (err: unknown) => {
        auth = undefined;
        throw err;
      },
    );
    const me = await auth;
    if (!appId && at.channel && at.ts) {
      // A message that does not exist or cannot be read (a forged ts) teaches nothing: not an error.
      const res = await client.conversations.replies({ channel: at.channel, ts: at.ts, limit: 1 }).catch((err: unknown) => {
        log.info({ err: statusMessage(err), channel: at.channel, ts: at.ts }, 'could not read a message to learn the app id');
        return undefined;
      });
      const m = (res?.messages ?? [])[0] as { ts?: string; bot_id?: string; app_id?: string } | undefined;
      if (m?.ts === at.ts && m.bot_id === me.botId && m.app_id) appId = m.app_id;
    }
    return appId ? { teamId: me.teamId, appId } : undefined;
  }

  /**
   * Checks every click and submission passes before a record is touched: a record name that is a valid
   * Kubernetes name, and a payload for this app in this workspace (`at`: the request's parent message the
   * click or form claims to come from).
   * @returns undefined, or the refusal for the user (the detail is audited).
   */
  async function untrusted(client: WebClient, user: string, action: string, origin: Pick<ClickOrigin, 'appId' | 'teamId'>, record: unknown, at: { channel?: string; ts?: string }): Promise<Reply | undefined> {
    let why: string | undefined;
    if (!isRecordName(record)) why = `the record name ${JSON.stringify(record)} is not a valid Kubernetes name`;
    else {
      const self = await whoAmI(client, at);
      why = self ? foreignApp(origin, self) : `message ${at.channel}/${at.ts} was not posted by this bot, so this app's id is not known yet`;
    }
    if (!why) return undefined;
    log.warn({ audit: 'refuse', user, action, record, why }, 'untrusted interaction refused');
    deps.metrics?.approvals.inc({ decision: 'refused' });
    return `This button or form is not one of this bot's requests (it did not come from this app's approval message), so nothing was changed.`;
  }

  /** Approve: count the click on the record (the state machine decides), or say why not. */
  async function onApprove({ ack, body, action, client }: ButtonArgs, arrivedAt: number): Promise<void> {
    const user = body.user.id;
    const origin = clickOrigin(body);
    const record = action.value;
    // The approval is written before the ack when that fits in the budget (see ACK_BUDGET_MS).
    const { inTime, acked } = writeBeforeAck(queue, concurrency, arrivedAt, startMs, budgetMs, async (): Promise<Reply | undefined> => {
      try {
        const bad = await untrusted(client, user, 'approve', origin, record, { channel: origin.channel, ts: origin.containerTs });
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
        const text = err instanceof RecordRefusal
          ? err.message
          : /not found$/.test((err as Error).message ?? '')
            ? 'This request no longer exists; nothing was changed.'
            : internalError('record your approval', err, { user, record });
        log.info({ audit: 'refuse', user, action: 'approve', record, why: text }, 'approval refused');
        deps.metrics?.approvals.inc({ decision: 'refused' });
        return text;
      }
    }, (text) => (text && origin.channel ? ephemeral(client, origin.channel, user, `:warning: ${text}`).catch((err) => log.warn({ err: statusMessage(err) }, 'could not post the refusal')) : Promise.resolve()));
    try {
      await inTime;
      await ack();
    } finally {
      acked();
    }
  }

  /** Reject: open the reason modal (needs the click's trigger_id, valid 3 s, so not a queued follow-up). */
  async function onReject({ ack, body, action, client }: ButtonArgs): Promise<void> {
    await ack();
    try {
      await openRejectModal(body, action, client);
    } catch (err) {
      const text = internalError('open the reject form', err, { user: body.user.id, record: action.value });
      const channel = body.channel?.id ?? body.container?.channel_id;
      if (channel) await ephemeral(client, channel, body.user.id, `:warning: ${text.replace('try again', 'click Reject again')}`).catch(() => undefined);
    }
  }

  async function openRejectModal(body: BlockAction<ButtonAction>, action: ButtonAction, client: WebClient): Promise<void> {
    const user = body.user.id;
    const origin = clickOrigin(body);
    const channel = origin.channel ?? '';
    let refusal = await untrusted(client, user, 'reject', origin, action.value, { channel: origin.channel, ts: origin.containerTs });
    const record = refusal ? undefined : await deps.records.get(action.value!);
    if (refusal) {
      /* said above */
    } else if (!record) refusal = 'This request no longer exists.';
    else if (notFromParent(origin, record.status?.slack)) {
      log.warn({ audit: 'refuse', user, action: 'reject', record: action.value, why: notFromParent(origin, record.status?.slack) }, 'click not on the request message');
      refusal = `This button is not on the approval message of \`${record.metadata.name}\`, so nothing was changed. Use the buttons on the request's own message.`;
    } else if ((record.status?.phase ?? 'Pending') !== 'Pending') refusal = `This request is already ${record.status?.phase?.toLowerCase()}; nothing was changed.`;
    else if (!record.spec.approvers.includes(user)) refusal = `You are not an approver for this request, so you cannot reject it.`;
    if (refusal) {
      log.info({ audit: 'refuse', user, action: 'reject', record: action.value, why: refusal }, 'reject refused');
      if (channel) await ephemeral(client, channel, user, `:warning: ${refusal}`);
      return;
    }
    await client.views.open({
      trigger_id: body.trigger_id,
      view: {
        type: 'modal',
        callback_id: VIEW_REJECT,
        private_metadata: JSON.stringify({ record: record!.metadata.name, channel: record!.status!.slack!.channel, ts: record!.status!.slack!.ts }),
        title: { type: 'plain_text', text: 'Reject update' },
        submit: { type: 'plain_text', text: 'Reject' },
        close: { type: 'plain_text', text: 'Cancel' },
        blocks: [
          { type: 'section', text: { type: 'mrkdwn', text: `Reject \`${record!.metadata.name}\` (${record!.spec.fromVersion} → ${record!.spec.targetVersion})?` } },
          {
            type: 'input',
            block_id: REJECT_REASON_BLOCK,
            label: { type: 'plain_text', text: 'Reason' },
            element: { type: 'plain_text_input', action_id: REJECT_REASON_ACTION, multiline: true, max_length: 500 },
          },
        ],
      },
    });
  }

  app.view(VIEW_REJECT, async ({ ack, view, body, client }) => {
    const arrivedAt = performance.now();
    queue.arrived();
    const reason = (view.state.values[REJECT_REASON_BLOCK]?.[REJECT_REASON_ACTION]?.value ?? '').trim();
    if (!reason) {
      await ack({ response_action: 'errors', errors: { [REJECT_REASON_BLOCK]: 'Say why, so the requester knows what to change.' } });
      return;
    }
    const user = body.user.id;
    const meta = parseRejectMetadata(view.private_metadata);
    const origin = { appId: body.api_app_id, teamId: body.team?.id ?? body.user.team_id };
    // The rejection is written before the ack when that fits in the budget (see ACK_BUDGET_MS).
    const { outcome, inTime, acked } = writeBeforeAck(queue, concurrency, arrivedAt, startMs, budgetMs, async (): Promise<Reply | undefined> => {
      try {
        const bad = await untrusted(client, user, 'reject', origin, meta ? meta.record : view.private_metadata, { channel: meta?.channel, ts: meta?.ts });
        if (bad || !meta) return bad ?? 'This form is not one of this bot\'s requests, so nothing was changed.';
        await deps.records.mutateStatus(meta.record, (st, r) => {
          const stray = notFromParent({ channel: meta.channel, containerTs: meta.ts }, st.slack);
          if (stray) {
            log.warn({ audit: 'refuse', user, action: 'reject', record: meta.record, why: stray }, 'rejection not for the request message');
            throw new RecordRefusal(`This form is not for the approval message of \`${meta.record}\`, so nothing was changed.`);
          }
          return state.reject(st, r, user, reason.slice(0, 500), now());
        });
        log.info({ audit: 'reject', user, record: meta.record, reason }, 'rejection');
        deps.metrics?.approvals.inc({ decision: 'reject' });
        return undefined;
      } catch (err) {
        const text = err instanceof RecordRefusal
          ? err.message
          : /not found$/.test((err as Error).message ?? '')
            ? 'This request no longer exists; nothing was changed.'
            : internalError('record your rejection', err, { user, record: meta?.record });
        log.info({ audit: 'refuse', user, action: 'reject', record: meta?.record, why: text }, 'reject refused');
        return text;
      }
    }, (text) => (text && meta?.channel ? ephemeral(client, meta.channel, user, `:warning: ${text}`).catch((err) => log.warn({ err: statusMessage(err) }, 'could not post the refusal')) : Promise.resolve()));
    try {
      const early = (await inTime) ? await outcome : undefined;
      // Without trustworthy metadata there is no channel to answer in: the refusal is shown in the form.
      if (early && !meta) await ack({ response_action: 'errors', errors: { [REJECT_REASON_BLOCK]: early } });
      else await ack();
    } finally {
      acked();
    }
  });

  registerRequestShortcut(app, deps, queue, now); // src/slack/shortcut.ts: shortcut → request modal
  registerHomeTab(app, deps); // src/slack/home.ts: App Home tab
  return { drain: (timeoutMs) => queue.drain(timeoutMs) };
}

/** The cluster a command is for: `-c` if given, else the channel's default, else home. Undefined when unknown. */
function clusterOf(deps: HandlerDeps, named: string | undefined, channel: string): Kube | undefined {
  const name = named ?? deps.channelCluster?.(channel) ?? deps.clusters.home.name;
  return deps.clusters.get(name);
}
