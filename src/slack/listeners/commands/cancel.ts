/**
 * `/dbupdate cancel <id>`: the cancel is written on the record (`state.cancel`) before the ack, and the
 * answer goes in the ack when that fits in the budget (`../../ack.ts`).
 */
import { ackWithAnswer, writeBeforeAck } from '../../ack.js';
import { isGone, userText } from '../../errors.js';
import { cancelBatch } from '../../../updates/batch-state.js';
import { BATCH_PREFIX } from '../../../api/v1alpha1/databaseupdatebatch.js';
import { escapeMrkdwn } from '../../render.js';
import { isRecordName } from '../../validate.js';
import { maySee } from '../../visibility.js';
import * as state from '../../../updates/state.js';
import type { ListenerContext } from '../context.js';
import type { CommandArgs } from './args.js';

/** Thrown inside a record mutation when the user may not see the record: answered as a missing one. */
class HiddenRecord extends Error {}

/** The answer to an id that names no request the user may see. Pure. */
export function noSuchRequest(id: string): string {
  return `There is no request \`${escapeMrkdwn(id)}\`: \`/dbupdate list --all\` shows the ids.`;
}

/**
 * Cancel batch `id` (`cancelBatch`: no more members start, running ones finish, the leader cancels those
 * not started). @returns the answer, or undefined when no batch has that name (then it is a request's id).
 */
async function cancelBatchById(ctx: ListenerContext, id: string, user: string): Promise<string | undefined> {
  const { deps, now } = ctx;
  const { log } = deps;
  try {
    const res = await deps.batches.mutateStatus(id, (st, b) => cancelBatch(st, b, user, now()));
    log.info({ audit: 'cancel', user, batch: id, changed: res.changed }, 'fleet update cancel');
    return `:wastebasket: Batch \`${id}\` is cancelled: no more of its databases will be started; members already running finish.`;
  } catch (err) {
    if (isGone(err)) return undefined;
    const text = userText(err, { log, what: 'cancel the batch', ctx: { user, batch: id } });
    log.info({ audit: 'refuse', user, action: 'cancel', batch: id, why: text }, 'cancel refused');
    return `:warning: ${text}`;
  }
}

/** Handle `/dbupdate cancel <id>`. Never throws (errors are answered and logged). */
export async function onCancel(ctx: ListenerContext, id: string, a: CommandArgs): Promise<void> {
  const { deps, now } = ctx;
  const { log } = deps;
  const user = a.command.user_id;
  if (!isRecordName(id)) {
    log.info({ audit: 'refuse', user, action: 'cancel', record: id, why: 'not a valid record name' }, 'cancel refused');
    await a.ack({ response_type: 'ephemeral', text: `:warning: \`${escapeMrkdwn(id)}\` is not a request id (ids look like \`orders-1a2b3c4d\`): \`/dbupdate list\` shows them.` });
    return;
  }
  const w = writeBeforeAck(ctx.queue, ctx.timing(a.arrivedAt), async (): Promise<string> => {
    // A fleet update's batch (`fleet-<engine>-<hex>`): cancelled as a whole; a name that is no batch is a request's.
    if (id.startsWith(BATCH_PREFIX)) {
      const text = await cancelBatchById(ctx, id, user);
      if (text !== undefined) return text;
    }
    try {
      const res = await deps.records.mutateStatus(id, (st, r) => {
        if (!maySee(r, deps.config, user, a.command.channel_id)) throw new HiddenRecord();
        return state.cancel(st, r, user, now());
      });
      log.info({ audit: 'cancel', user, record: id, changed: res.changed }, 'cancel');
      return `:wastebasket: Request \`${id}\` is cancelled; nothing was changed in the cluster.`;
    } catch (err) {
      const text = err instanceof HiddenRecord ? noSuchRequest(id) : userText(err, { log, what: 'cancel', ctx: { user, record: id }, gone: noSuchRequest(id) });
      log.info({ audit: 'refuse', user, action: 'cancel', record: id, why: text }, 'cancel refused');
      return `:warning: ${text}`;
    }
  }, (text) => ctx.answer(a.respond, text));
  await ackWithAnswer(w, a.ack, `:hourglass_flowing_sand: Cancelling \`${id}\`… (busy or slower than usual). The answer comes here; if none comes within a minute, ask again.`);
}
