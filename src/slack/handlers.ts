/**
 * Bolt handlers for `/dbupdate`, the Approve/Reject buttons and the reject-reason modal. They ack at
 * once (Slack's 3 s deadline), then validate and write `DatabaseUpdate` records; they never run the
 * pipeline (DESIGN.md data flow). Errors only the user needs are ephemeral.
 */
import { createHash } from 'node:crypto';
import type { AllMiddlewareArgs, App, BlockAction, ButtonAction, RespondFn, SlackActionMiddlewareArgs } from '@slack/bolt';
import type { WebClient } from '@slack/web-api';
import type { Logger } from 'pino';
import { parseCommand, helpText } from '../command/parse.js';
import type { Kube } from '../kube/client.js';
import type { ClusterSet } from '../kube/clusters.js';
import { statusMessage } from '../kube/client.js';
import { RecordRefusal, type RecordStore } from '../kube/records.js';
import type { Config } from '../policy/config.js';
import { parseDuration } from '../policy/config.js';
import { preflight } from '../updates/preflight.js';
import type { Metrics } from '../metrics.js';
import { approvable, approversFor, mayRequest, resolvePolicy, updateTypeAllowed } from '../policy/rules.js';
import { nextStart, formatInZone } from '../policy/windows.js';
import type { UserGroupResolver } from '../policy/usergroups.js';
import { renderList, renderStatus } from './queries.js';
import { answerVersions } from './versions.js';
import { FollowUpQueue, type FollowUpOptions } from './followup.js';
import { onRecoveryCommand } from './recovery.js';
import { registerRequestShortcut } from './shortcut.js';
import { registerHomeTab } from './home.js';
import * as state from '../updates/state.js';
import {
  LABEL_DATABASE,
  LABEL_DB_NAMESPACE,
  LABEL_ENGINE,
  LABEL_RETRY_OF,
  RECORD_API_VERSION,
  RECORD_KIND,
  isActive,
  type DatabaseUpdate,
} from '../updates/types.js';
import { isConflict } from '../kube/client.js';
import { acquireDatabaseLock, lockName, releaseDatabaseLock } from '../kube/locks.js';
import {
  ACTION_APPROVE,
  ACTION_REJECT,
  REJECT_REASON_ACTION,
  REJECT_REASON_BLOCK,
  VIEW_REJECT,
  escapeMrkdwn,
} from './render.js';

/** What the handlers need. */
export interface HandlerDeps {
  /** The clusters; records live in `clusters.home`. */
  clusters: ClusterSet;
  /** The default cluster of a channel (config `channelClusters`), else the home cluster. */
  channelCluster?: (channel: string) => string | undefined;
  records: RecordStore;
  config: Config;
  log: Logger;
  now?: () => Date;
  /** Prometheus metrics (requests by outcome, approvals by decision). */
  metrics?: Metrics;
  /** Resolves user groups (`usergroups.users.list`, cached) for requester and approver rules. */
  groups?: UserGroupResolver;
  /** Scheduling of follow-ups, the work after an ack (`src/slack/followup.ts`; defaults there). */
  followUps?: FollowUpOptions;
}

/**
 * The record name for a slash-command invocation: `<database>-<8 hex of sha256(trigger_id)>`.
 * Slack's retry of the same envelope carries the same `trigger_id`, so it maps to the same name and the
 * second create fails with 409 AlreadyExists instead of making a second request.
 */
export function recordName(database: string, triggerId: string): string {
  const h = createHash('sha256').update(triggerId).digest('hex').slice(0, 8);
  return `${database.slice(0, 63 - 9)}-${h}`;
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
  const queue = new FollowUpQueue({ onDetachedError: (err) => log.error({ err: statusMessage(err) }, 'follow-up failed after giving up its slot'), ...deps.followUps });
  // Three listeners, each first noting the envelope's arrival (follow-ups wait for the acks of a burst,
  // src/slack/followup.ts). Bolt runs every listener's middleware chain for every envelope (≈ 7 µs each,
  // measured), hence one listener for both buttons and no global middleware.

  app.command('/dbupdate', async ({ command, ack, respond }) => {
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
          const user = command.user_id;
          // Only requests the asker has a part in, or could have made under the policy, are shown.
          const all = (await deps.records.list()).filter((r) => {
            if (r.spec.requester === user || r.spec.approvers.includes(user)) return true;
            const d = r.spec.database;
            const policy = resolvePolicy(config, { cluster: d.cluster, namespace: d.namespace, engine: r.spec.engine.toLowerCase() });
            return mayRequest(policy, { user, userGroups: [], channel: command.channel_id }).ok;
          });
          const text = cmd.kind === 'status' ? renderStatus(cmd.name, cmd.namespace, all) : renderList(all, cmd.all);
          await respond({ response_type: 'ephemeral', text });
        } catch (err) {
          await respond({ response_type: 'ephemeral', text: `:x: Could not read the requests: ${statusMessage(err)}. Try again.` });
        }
      });
      return;
    }
    if (cmd.kind === 'cancel') {
      await ack();
      const user = command.user_id;
      await queue.run(async () => {
        try {
          const res = await deps.records.mutateStatus(cmd.id, (st, r) => state.cancel(st, r, user, now()));
          log.info({ audit: 'cancel', user, record: cmd.id, changed: res.changed }, 'cancel');
          await respond({ response_type: 'ephemeral', text: `:wastebasket: Request \`${cmd.id}\` is cancelled; nothing was changed in the cluster.` });
        } catch (err) {
          const text = err instanceof RecordRefusal || /not found/.test((err as Error).message)
            ? (err as Error).message.replace(/^DatabaseUpdate \S+ not found$/, `There is no request \`${cmd.id}\`: \`/dbupdate list\` shows the ids.`)
            : `Could not cancel: ${statusMessage(err)}`;
          log.info({ audit: 'refuse', user, action: 'cancel', record: cmd.id, why: text }, 'cancel refused');
          await respond({ response_type: 'ephemeral', text: `:warning: ${text}` });
        }
      });
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
          await respond({ response_type: 'ephemeral', text: await answerVersions(kube, cmd.engine, ns, cmd.name) });
        } catch (err) {
          await respond({ response_type: 'ephemeral', text: `:x: Could not read the ${cmd.engine.catalogKind} catalog: ${statusMessage(err)}` });
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
    await ack({ response_type: 'ephemeral', text: `:mag: Checking ${cmd.engine.kind} \`${namespace}/${cmd.name}\` → ${escapeMrkdwn(cmd.version)}…` });
    await queue.run(async () => {
      try {
        await requestUpdate(deps, kube, now(), respond, {
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
        });
      } catch (err) {
        log.error({ err: statusMessage(err), user: command.user_id }, 'request failed');
        deps.metrics?.requests.inc({ outcome: 'error' });
        await respond({ response_type: 'ephemeral', text: `:x: Could not check the request against cluster \`${kube.name}\`: ${statusMessage(err)}. Nothing was changed; try again.` });
      }
    });
  });

  app.action<BlockAction<ButtonAction>>(new RegExp(`^(${ACTION_APPROVE}|${ACTION_REJECT})$`), async (args) => {
    queue.arrived();
    await (args.action.action_id === ACTION_APPROVE ? onApprove(args) : onReject(args));
  });

  /** Approve: count the click on the record (the state machine decides), or say why not. */
  async function onApprove({ ack, body, action, client }: ButtonArgs): Promise<void> {
    await ack();
    const user = body.user.id;
    const channel = body.channel?.id ?? body.container?.channel_id;
    await queue.run(async () => {
      try {
        const res = await deps.records.mutateStatus(action.value ?? '', (st, r) =>
          state.approve(st, r, user, now(), r.spec.allowSelfApproval ?? config.allowSelfApproval),
        );
        log.info({ audit: 'approve', user, record: action.value, counted: res.changed, phase: res.record.status?.phase }, 'approval');
        if (res.changed) deps.metrics?.approvals.inc({ decision: 'approve' });
      } catch (err) {
        const text = err instanceof RecordRefusal || (err as Error).message?.includes('not found') ? (err as Error).message : `Could not record your approval: ${statusMessage(err)}`;
        log.info({ audit: 'refuse', user, action: 'approve', record: action.value, why: text }, 'approval refused');
        deps.metrics?.approvals.inc({ decision: 'refused' });
        if (channel) await ephemeral(client, channel, user, `:warning: ${text}`);
      }
    });
  }

  /** Reject: open the reason modal (needs the click's trigger_id, valid 3 s, so not a queued follow-up). */
  async function onReject({ ack, body, action, client }: ButtonArgs): Promise<void> {
    await ack();
    try {
      await openRejectModal(body, action, client);
    } catch (err) {
      log.warn({ err: statusMessage(err), user: body.user.id, record: action.value }, 'could not open the reject modal');
      const channel = body.channel?.id ?? body.container?.channel_id;
      if (channel) await ephemeral(client, channel, body.user.id, `:warning: Could not open the reject form (${statusMessage(err)}); click Reject again.`).catch(() => undefined);
    }
  }

  async function openRejectModal(body: BlockAction<ButtonAction>, action: ButtonAction, client: WebClient): Promise<void> {
    const user = body.user.id;
    const channel = body.channel?.id ?? body.container?.channel_id ?? '';
    const record = await deps.records.get(action.value ?? '');
    let refusal: string | undefined;
    if (!record) refusal = 'This request no longer exists.';
    else if ((record.status?.phase ?? 'Pending') !== 'Pending') refusal = `This request is already ${record.status?.phase?.toLowerCase()}; nothing was changed.`;
    else if (!record.spec.approvers.includes(user)) refusal = `You are not an approver for this request, so you cannot reject it.`;
    if (refusal) {
      log.info({ audit: 'refuse', user, action: 'reject', record: action.value, why: refusal }, 'reject refused');
      await ephemeral(client, channel, user, `:warning: ${refusal}`);
      return;
    }
    await client.views.open({
      trigger_id: body.trigger_id,
      view: {
        type: 'modal',
        callback_id: VIEW_REJECT,
        private_metadata: JSON.stringify({ record: record!.metadata.name, channel }),
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
    queue.arrived();
    const reason = (view.state.values[REJECT_REASON_BLOCK]?.[REJECT_REASON_ACTION]?.value ?? '').trim();
    if (!reason) {
      await ack({ response_action: 'errors', errors: { [REJECT_REASON_BLOCK]: 'Say why, so the requester knows what to change.' } });
      return;
    }
    await ack();
    let meta: { record?: string; channel?: string } = {};
    try {
      meta = JSON.parse(view.private_metadata || '{}');
    } catch {
      /* hostile or broken metadata: handled below */
    }
    const user = body.user.id;
    const record = typeof meta.record === 'string' ? meta.record : undefined;
    if (!record) return;
    await queue.run(async () => {
      try {
        await deps.records.mutateStatus(record, (st, r) => state.reject(st, r, user, reason.slice(0, 500), now()));
        log.info({ audit: 'reject', user, record: meta.record, reason }, 'rejection');
        deps.metrics?.approvals.inc({ decision: 'reject' });
      } catch (err) {
        log.info({ audit: 'refuse', user, action: 'reject', record: meta.record, why: (err as Error).message }, 'reject refused');
        if (meta.channel) await ephemeral(client, meta.channel, user, `:warning: ${(err as Error).message}`);
      }
    });
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

/**
 * Preflight a request and, when it passes, write its record. Replies to the requester through `respond`.
 * Also the request path of `/dbupdate retry` (`retryOf`: the record retried) and of the request modal.
 */
export async function requestUpdate(
  deps: HandlerDeps,
  kube: Kube,
  now: Date,
  respond: RespondFn,
  req: {
    engine: import('../engines/table.js').Engine;
    namespace: string;
    name: string;
    version: string;
    reason?: string;
    at?: string;
    dryRun: boolean;
    user: string;
    channel: string;
    triggerId: string;
    retryOf?: string;
  },
): Promise<void> {
  const { config, log } = deps;
  const refuse = async (code: string, why: string) => {
    log.info({ audit: 'refuse', user: req.user, database: `${kube.name}/${req.namespace}/${req.name}`, code, why }, 'request refused');
    deps.metrics?.requests.inc({ outcome: 'refused' });
    await respond({ response_type: 'ephemeral', text: `:warning: ${why}` });
  };
  const policy = resolvePolicy(config, { cluster: kube.name, namespace: req.namespace, engine: req.engine.name });
  const groupsOf = (g: string) => (deps.groups ? deps.groups.members(g) : Promise.reject(new Error(`user group ${g} cannot be resolved: no Slack client`)));
  const userGroups = policy.requesters.groups.length ? await Promise.all(policy.requesters.groups.map(async (g) => ((await groupsOf(g)).includes(req.user) ? g : undefined))) : [];
  const may = mayRequest(policy, { user: req.user, userGroups: userGroups.filter((g): g is string => !!g), channel: req.channel });
  if (!may.ok) return refuse('not_allowed', may.reason);
  const pf = await preflight({
    kube,
    records: deps.records,
    engine: req.engine,
    namespace: req.namespace,
    name: req.name,
    version: req.version,
    backend: config.backend,
  });
  if (!pf.ok) return refuse(pf.code, pf.message);
  const typeOk = updateTypeAllowed(policy, pf.updateType);
  if (!typeOk.ok) return refuse('update_type', typeOk.reason);
  const approvers = await approversFor(policy, pf.updateType, groupsOf);
  const canApprove = approvable(approvers, req.user, policy.allowSelfApproval);
  if (!canApprove.ok) return refuse('no_approvers', canApprove.reason);
  let notBefore: string | undefined;
  if (req.at) {
    const start = nextStart(policy.windows, now, req.at);
    if (!start.ok) return refuse('bad_at', start.reason);
    notBefore = start.startAt.toISOString();
  }
  if (req.dryRun) {
    deps.metrics?.requests.inc({ outcome: 'dry_run' });
    await respond({
      response_type: 'ephemeral',
      text: `:white_check_mark: Dry run: ${req.engine.kind} \`${req.namespace}/${req.name}\` ${pf.current.name} → *${pf.target.name}* (${pf.updateType}, ${pf.backend}) would be requested. Nothing was created.`,
    });
    return;
  }
  const name = recordName(req.name, req.triggerId);
  // The atomic half of "no other update of this database is in flight" (preflight's check is a read).
  const lockKey = lockName(kube.name, req.namespace, req.engine.kind, req.name);
  const lock = await acquireDatabaseLock(deps.clusters.home, deps.records.namespace, lockKey, name, async (holder) => {
    const r = await deps.records.get(holder);
    return r === undefined ? 'missing' : isActive(r.status?.phase) ? 'active' : 'finished';
  });
  if (!lock.ok) {
    return refuse('in_flight', `${req.engine.kind} \`${req.namespace}/${req.name}\` already has an update in flight: \`${lock.holder}\`. Wait for it to finish or cancel it with \`/dbupdate cancel ${lock.holder}\`.`);
  }
  const record: DatabaseUpdate = {
    apiVersion: RECORD_API_VERSION,
    kind: RECORD_KIND,
    metadata: {
      name,
      namespace: deps.records.namespace,
      labels: { [LABEL_ENGINE]: req.engine.name, [LABEL_DATABASE]: req.name, [LABEL_DB_NAMESPACE]: req.namespace, ...(req.retryOf ? { [LABEL_RETRY_OF]: req.retryOf } : {}) },
    },
    spec: {
      engine: req.engine.kind,
      database: { cluster: kube.name, namespace: req.namespace, name: req.name, ...(pf.db.metadata.uid ? { uid: pf.db.metadata.uid } : {}) },
      requestedVersion: req.version,
      fromVersion: pf.current.name,
      targetVersion: pf.target.name,
      updateType: pf.updateType,
      backend: pf.backend,
      requester: req.user,
      ...(req.reason ? { reason: req.reason } : {}),
      channel: req.channel,
      expiresAt: new Date(now.getTime() + parseDuration(config.requestTtl)).toISOString(),
      approvers: approvers.users,
      approvalsRequired: approvers.needed,
      approverMention: approvers.mention,
      allowSelfApproval: policy.allowSelfApproval,
      ...(notBefore ? { notBefore } : {}),
      replicas: pf.db.spec.replicas,
      ...(req.retryOf ? { retryOf: req.retryOf } : {}),
    },
  };
  try {
    await deps.records.create(record);
  } catch (err) {
    if (!isConflict(err)) {
      await releaseDatabaseLock(deps.clusters.home, deps.records.namespace, lockKey, name);
      throw err;
    }
    // The same invocation again (a Slack retry, or a create that landed before a transient error): already recorded.
    const existing = await deps.records.get(name);
    if (existing && existing.spec.requester === req.user && existing.spec.targetVersion === record.spec.targetVersion) return;
    await respond({ response_type: 'ephemeral', text: `:warning: Could not record the request: the name \`${name}\` is taken by another request. Nothing was changed; please ask again.` });
    return;
  }
  deps.metrics?.requests.inc({ outcome: 'requested' });
  log.info({ audit: 'request', user: req.user, record: name, database: record.spec.database, from: pf.current.name, to: pf.target.name, rules: policy.matched }, 'update requested');
  const when = notBefore ? ` It will start at ${formatInZone(new Date(notBefore), 'UTC')} once approved.` : '';
  await respond({ response_type: 'ephemeral', text: `:inbox_tray: Request \`${name}\` recorded: ${pf.current.name} → ${pf.target.name} (${pf.updateType}). Approvers have been asked in the channel.${when}` });
}
