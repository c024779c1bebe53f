/**
 * `/dbupdate resume <id>` and `/dbupdate retry <id>`: chat recovery after a failed request (issue #14).
 *
 * - resume: the requester or an approver of the request asks to resume the database a finished request
 *   left paused. The handler checks (record finished, database paused by this request, user allowed),
 *   then writes only the intent on the record (`status.resume`); the leader performs it
 *   (`src/pipeline/resume.ts`) and the notifier posts the outcome in the request's thread.
 * - retry: the requester or an approver asks again for what a Failed request asked (same database and
 *   target catalog version): a new record through the very same request path as the slash command
 *   (`requestUpdate`: policy, preflight, approvers, lock), linked to the old one by `spec.retryOf` and
 *   the label `dbupdate.dev/retry-of`.
 *
 * Every decision is audit-logged (`audit: resume-request | retry | refuse`); refusals are ephemeral.
 */
import type { RespondFn, SlashCommand } from '@slack/bolt';
import { statusMessage } from '../kube/client.js';
import { engineByKind } from '../engines/table.js';
import { approversFor, resolvePolicy } from '../policy/rules.js';
import { inspectPause, requestResume } from '../pipeline/resume.js';
import { RecordRefusal } from '../kube/records.js';
import { TERMINAL_PHASES, type DatabaseUpdate } from '../updates/types.js';
import type { HandlerDeps } from './handlers.js';
import { requestUpdate } from './handlers.js';
import type { FollowUpQueue } from './followup.js';
import { escapeMrkdwn } from './render.js';

/** What the slash-command listener hands over for a `resume`/`retry` command (already parsed). */
export interface RecoveryCommand {
  cmd: { kind: 'resume' | 'retry'; id: string };
  command: Pick<SlashCommand, 'user_id' | 'channel_id' | 'trigger_id'>;
  ack: (msg?: { response_type: 'ephemeral'; text: string }) => Promise<void>;
  respond: RespondFn;
}

/**
 * Who may resume or retry a request: its requester, an approver recorded on it (`spec.approvers`), or an
 * approver under the current policy for its database (users and members of approver groups,
 * `approversFor` in `src/policy/rules.ts`).
 * @returns a refusal sentence, or undefined when allowed.
 * @throws whatever resolving a user group throws (Slack API errors).
 */
export async function recoveryRefusal(deps: HandlerDeps, record: DatabaseUpdate, user: string, verb: 'resume' | 'retry'): Promise<string | undefined> {
  if (user === record.spec.requester || record.spec.approvers.includes(user)) return undefined;
  const d = record.spec.database;
  const policy = resolvePolicy(deps.config, { cluster: d.cluster, namespace: d.namespace, engine: record.spec.engine.toLowerCase() });
  const groupsOf = (g: string) => (deps.groups ? deps.groups.members(g) : Promise.resolve([] as string[]));
  const approvers = await approversFor(policy, record.spec.updateType, groupsOf);
  if (approvers.users.includes(user)) return undefined;
  return `Only the requester (<@${record.spec.requester}>) or an approver (${approvers.mention || record.spec.approvers.map((u) => `<@${u}>`).join(', ') || 'none configured'}) may ${verb} request \`${record.metadata.name}\`. Nothing was changed.`;
}

/**
 * Handle `/dbupdate resume <id>` or `/dbupdate retry <id>`: ack at once, then check and act in a
 * follow-up of `queue`. Never throws (errors are answered ephemerally and logged).
 */
export async function onRecoveryCommand(deps: HandlerDeps, queue: FollowUpQueue, now: () => Date, c: RecoveryCommand): Promise<void> {
  const { cmd, command, respond } = c;
  const user = command.user_id;
  const { log } = deps;
  await c.ack({ response_type: 'ephemeral', text: cmd.kind === 'resume' ? `:mag: Checking request \`${cmd.id}\` and its database…` : `:mag: Checking request \`${cmd.id}\` to ask for it again…` });
  const refuse = async (code: string, why: string) => {
    log.info({ audit: 'refuse', action: cmd.kind, user, record: cmd.id, code, why }, `${cmd.kind} refused`);
    await respond({ response_type: 'ephemeral', text: `:warning: ${why}` });
  };
  await queue.run(async () => {
    try {
      const record = await deps.records.get(cmd.id);
      if (!record) return await refuse('not_found', `There is no request \`${cmd.id}\`: \`/dbupdate list --all\` shows the ids.`);
      const notAllowed = await recoveryRefusal(deps, record, user, cmd.kind);
      if (notAllowed) return await refuse('not_allowed', notAllowed);
      const phase = record.status?.phase ?? 'Pending';
      const engine = engineByKind(record.spec.engine);
      const kube = deps.clusters.get(record.spec.database.cluster);
      if (!engine || !kube) return await refuse('unknown_target', `Request \`${cmd.id}\` is for ${record.spec.engine} on cluster \`${record.spec.database.cluster}\`, which this bot does not manage (any more).`);
      if (cmd.kind === 'retry') {
        if (phase !== 'Failed') return await refuse('not_failed', `Only a Failed request can be retried; \`${cmd.id}\` is ${phase}.${phase === 'Running' || phase === 'Pending' ? ' Follow its thread.' : ' Ask for a new update with `/dbupdate <engine> <database> <version>`.'} Nothing was changed.`);
        const stillPaused = await inspectPause(kube, engine, record);
        if (stillPaused.ok) return await refuse('paused', `${record.spec.engine} \`${record.spec.database.namespace}/${record.spec.database.name}\` is still paused by request \`${cmd.id}\`: resume it first with \`/dbupdate resume ${cmd.id}\`, then retry. Nothing was changed.`);
        const d = record.spec.database;
        log.info({ audit: 'retry', user, record: cmd.id, database: d, target: record.spec.targetVersion }, 'retry asked');
        const answer = await requestUpdate(deps, kube, now(), {
          engine,
          namespace: d.namespace,
          name: d.name,
          version: record.spec.targetVersion,
          reason: `Retry of ${cmd.id}${record.spec.reason ? `: ${record.spec.reason}` : ''}`.slice(0, 500),
          dryRun: false,
          user,
          channel: command.channel_id,
          triggerId: command.trigger_id,
          retryOf: cmd.id,
        });
        await respond({ response_type: 'ephemeral', text: answer });
        return;
      }
      if (!TERMINAL_PHASES.includes(phase)) {
        return await refuse('not_finished', `Request \`${cmd.id}\` is ${phase}, not finished: ${phase === 'Running' ? 'the running update resumes the database itself when it ends' : 'nothing has paused the database yet'}. Nothing was changed.`);
      }
      const seen = await inspectPause(kube, engine, record);
      if (!seen.ok) return await refuse(seen.code, `${seen.message} Nothing was changed.`);
      const res = await deps.records.mutateStatus(cmd.id, (st, r) => requestResume(st, r, user, now()));
      log.info({ audit: 'resume-request', user, record: cmd.id, database: record.spec.database, condition: seen.condition.reason, owner: seen.owner, changed: res.changed }, 'resume requested');
      const d = record.spec.database;
      await respond({
        response_type: 'ephemeral',
        text: res.changed
          ? `:arrow_forward: Resume of ${record.spec.engine} \`${d.namespace}/${d.name}\` requested: the bot removes the \`Paused\` condition (reason \`${escapeMrkdwn(seen.condition.reason ?? '?')}\`) and says so in the request's thread.`
          : `:hourglass_flowing_sand: A resume of \`${d.namespace}/${d.name}\` is already requested (by <@${res.record.status?.resume?.requestedBy ?? '?'}>); the bot is on it.`,
      });
    } catch (err) {
      const text = err instanceof RecordRefusal || (err as Error)?.message?.includes('not found') ? (err as Error).message : `Could not ${cmd.kind} \`${cmd.id}\`: ${statusMessage(err)}. Nothing was changed; try again.`;
      log.info({ audit: 'refuse', action: cmd.kind, user, record: cmd.id, why: text }, `${cmd.kind} failed`);
      await respond({ response_type: 'ephemeral', text: `:warning: ${text}` }).catch(() => undefined);
    }
  });
}
