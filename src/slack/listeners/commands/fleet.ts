/**
 * `/dbupdate <engine> -l SELECTOR | --all | a,b,ns/c <version>`: a fleet request. The request step of
 * `src/updates/batch-request.ts` (every member checked, the plan, the batch's approvers, one
 * `DatabaseUpdateBatch` written) runs before the ack when it fits in the budget (`../../ack.ts`), and the
 * requester's answer — the plan table: will update, nothing to do, refused — goes in the ack, or through
 * `response_url` past the budget. The approvers are asked by the batch's parent message, which the
 * leader's batch notifier posts (`../../batch-notifier.ts`).
 */
import type { Command } from '../../../command/parse.js';
import { requestBatch } from '../../../updates/batch-request.js';
import { ackWithAnswer, writeBeforeAck } from '../../ack.js';
import { userText } from '../../errors.js';
import { escapeMrkdwn } from '../../render.js';
import { batchAnswer } from '../../render-batch.js';
import type { ListenerContext } from '../context.js';
import type { CommandArgs } from './args.js';

/** Handle a fleet request typed as a command. Never throws. */
export async function onFleet(ctx: ListenerContext, cmd: Extract<Command, { kind: 'fleet' }>, a: CommandArgs): Promise<void> {
  const { deps, now } = ctx;
  const { config, log } = deps;
  const { command } = a;
  const namespace = cmd.namespace ?? config.channelNamespaces[command.channel_id] ?? config.defaultNamespace;
  const kube = ctx.clusterOf(cmd.cluster, command.channel_id);
  if (!kube) {
    await a.ack({ response_type: 'ephemeral', text: `:warning: Unknown cluster \`${escapeMrkdwn(cmd.cluster ?? '')}\`. This bot manages: ${deps.clusters.names().map((n) => `\`${n}\``).join(', ')}.` });
    return;
  }
  const w = writeBeforeAck(ctx.queue, ctx.timing(a.arrivedAt), () =>
    requestBatch(deps, kube, now(), {
      engine: cmd.engine,
      selection: cmd.selection,
      namespace,
      version: cmd.version,
      reason: cmd.reason,
      dryRun: cmd.dryRun,
      user: command.user_id,
      channel: command.channel_id,
      triggerId: command.trigger_id,
    }).then(batchAnswer, (err: unknown) => {
      deps.metrics?.requests.inc({ outcome: 'error' });
      return `:x: ${userText(err, { log, what: `check the fleet request against cluster \`${kube.name}\``, ctx: { user: command.user_id, fleet: command.text }, nothing: 'Nothing was requested; try again.' })}`;
    }),
    (text) => ctx.answer(a.respond, text),
  );
  await ackWithAnswer(w, a.ack, `:mag: Checking the ${cmd.engine.kind} databases of the fleet request… (several checks). The answer comes here; if none comes within a minute, nothing was requested: ask again.`);
}
