/**
 * `/dbupdate resume <id>` and `/dbupdate retry <id>` (issue #14): the check and the record write of
 * `src/updates/recovery.ts` ({@link recover}) run before the ack when that fits in the budget, and the
 * answer goes in the ack (`../../ack.ts`); past the budget the ack says the answer is coming and it comes
 * through `response_url`. A request the user may not see (`../../visibility.ts`, as `list`, `status` and
 * the Home tab decide) is answered exactly as one that does not exist. Errors are answered with
 * `userText` (`../../errors.ts`): generic, with a log reference. Refusals are audit-logged.
 */
import { recover, type RecoveryOutcome } from '../../../updates/recovery.js';
import { ackWithAnswer, writeBeforeAck } from '../../ack.js';
import { userText } from '../../errors.js';
import { escapeMrkdwn } from '../../render.js';
import { requestAnswer } from '../../render-request.js';
import { maySee } from '../../visibility.js';
import type { ListenerContext } from '../context.js';
import type { CommandArgs } from './args.js';
import { noSuchRequest } from './cancel.js';

/** The answer to a recovery command, as Slack mrkdwn. Pure. */
export function recoveryAnswer(id: string, o: RecoveryOutcome): string {
  if (o.outcome === 'refused') return `:warning: ${o.code === 'not_found' ? noSuchRequest(id) : o.message}`;
  if (o.outcome === 'retry') return requestAnswer(o.request);
  const d = o.record.spec.database;
  return o.changed
    ? `:arrow_forward: Resume of ${o.record.spec.engine} \`${d.namespace}/${d.name}\` requested: the bot removes the \`Paused\` condition (reason \`${escapeMrkdwn(o.pauseReason ?? '?')}\`) and says so in the request's thread.`
    : `:hourglass_flowing_sand: A resume of \`${d.namespace}/${d.name}\` is already requested (by <@${o.record.status?.resume?.requestedBy ?? '?'}>); the bot is on it.`;
}

/** Handle `/dbupdate resume|retry <id>`. Never throws (errors are answered and logged). */
export async function onRecovery(ctx: ListenerContext, cmd: { kind: 'resume' | 'retry'; id: string }, a: CommandArgs): Promise<void> {
  const { deps, now } = ctx;
  const { log } = deps;
  const user = a.command.user_id;
  const channel = a.command.channel_id;
  const w = writeBeforeAck(ctx.queue, ctx.timing(a.arrivedAt), async (): Promise<string> => {
    try {
      // Hidden requests stay hidden: not even their requester and approvers are named.
      const record = await deps.records.get(cmd.id);
      if (!record || !maySee(record, deps.config, user, channel)) {
        log.info({ audit: 'refuse', action: cmd.kind, user, record: cmd.id, code: 'not_found', why: record ? 'not visible to the user' : 'no such record' }, `${cmd.kind} refused`);
        return `:warning: ${noSuchRequest(cmd.id)}`;
      }
      const outcome = await recover(deps, now, { kind: cmd.kind, id: cmd.id, user, channel, triggerId: a.command.trigger_id });
      return recoveryAnswer(cmd.id, outcome);
    } catch (err) {
      const text = userText(err, { log, what: `${cmd.kind} \`${cmd.id}\``, ctx: { user, record: cmd.id, action: cmd.kind }, gone: noSuchRequest(cmd.id) });
      log.info({ audit: 'refuse', action: cmd.kind, user, record: cmd.id, why: text }, `${cmd.kind} failed`);
      return `:warning: ${text}`;
    }
  }, (text) => ctx.answer(a.respond, text));
  const late = cmd.kind === 'resume'
    ? `:mag: Checking request \`${cmd.id}\` and its database… (busy or slower than usual). The answer comes here; if none comes within a minute, ask again.`
    : `:mag: Checking request \`${cmd.id}\` to ask for it again… (busy or slower than usual). The answer comes here; if none comes within a minute, nothing was requested: ask again.`;
  await ackWithAnswer(w, a.ack, late);
}
