/**
 * `/dbupdate resume <id>` and `/dbupdate retry <id>` in Slack (issue #14): ack at once, then, in a
 * follow-up, the check and the record write of `src/updates/recovery.ts` ({@link recover}), and the
 * answer to the user, ephemeral. Refusals are audit-logged there.
 */
import type { RespondFn, SlashCommand } from '@slack/bolt';
import { statusMessage } from '../kube/errors.js';
import { RecordRefusal } from '../updates/records.js';
import { recover, type RecoveryOutcome } from '../updates/recovery.js';
import type { HandlerDeps } from './handlers.js';
import type { FollowUpQueue } from './followup.js';
import { escapeMrkdwn } from './render.js';
import { requestAnswer } from './render-request.js';

/** What the slash-command listener hands over for a `resume`/`retry` command (already parsed). */
export interface RecoveryCommand {
  cmd: { kind: 'resume' | 'retry'; id: string };
  command: Pick<SlashCommand, 'user_id' | 'channel_id' | 'trigger_id'>;
  ack: (msg?: { response_type: 'ephemeral'; text: string }) => Promise<void>;
  respond: RespondFn;
}

/** The answer to a recovery command, as Slack mrkdwn. Pure. */
function recoveryAnswer(o: RecoveryOutcome): string {
  if (o.outcome === 'refused') return `:warning: ${o.message}`;
  if (o.outcome === 'retry') return requestAnswer(o.request);
  const d = o.record.spec.database;
  return o.changed
    ? `:arrow_forward: Resume of ${o.record.spec.engine} \`${d.namespace}/${d.name}\` requested: the bot removes the \`Paused\` condition (reason \`${escapeMrkdwn(o.pauseReason ?? '?')}\`) and says so in the request's thread.`
    : `:hourglass_flowing_sand: A resume of \`${d.namespace}/${d.name}\` is already requested (by <@${o.record.status?.resume?.requestedBy ?? '?'}>); the bot is on it.`;
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
  await queue.run(async () => {
    try {
      const outcome = await recover(deps, now, { kind: cmd.kind, id: cmd.id, user, channel: command.channel_id, triggerId: command.trigger_id });
      await respond({ response_type: 'ephemeral', text: recoveryAnswer(outcome) });
    } catch (err) {
      const text = err instanceof RecordRefusal || (err as Error)?.message?.includes('not found') ? (err as Error).message : `Could not ${cmd.kind} \`${cmd.id}\`: ${statusMessage(err)}. Nothing was changed; try again.`;
      log.info({ audit: 'refuse', action: cmd.kind, user, record: cmd.id, why: text }, `${cmd.kind} failed`);
      await respond({ response_type: 'ephemeral', text: `:warning: ${text}` }).catch(() => undefined);
    }
  });
}
