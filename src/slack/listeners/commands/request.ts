/**
 * `/dbupdate <engine> <database> <version>`: the request step of `src/updates/request.ts` (policy,
 * preflight, lock, record) runs before the ack when that fits in the budget, and its answer goes in the
 * ack (`../../ack.ts`): a process killed before the ack leaves Slack without one, and Slack tells the user
 * the command failed; nothing is acked and lost. Past the budget the ack says the answer is still coming,
 * and every path of a request then answers through `response_url` (recorded, refused, lost a
 * same-database race, a Slack retry, an error).
 */
import type { Command } from '../../../command/parse.js';
import { requestUpdate } from '../../../updates/request.js';
import { ackWithAnswer, writeBeforeAck } from '../../ack.js';
import { userText } from '../../errors.js';
import { escapeMrkdwn } from '../../render.js';
import { requestAnswer } from '../../render-request.js';
import type { ListenerContext } from '../context.js';
import type { CommandArgs } from './args.js';

/** Handle an update request typed as a command. Never throws. */
export async function onRequest(ctx: ListenerContext, cmd: Extract<Command, { kind: 'update' }>, a: CommandArgs): Promise<void> {
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
      deps.metrics?.requests.inc({ outcome: 'error' });
      return `:x: ${userText(err, { log, what: `check the request against cluster \`${kube.name}\``, ctx: { user: command.user_id, database: `${kube.name}/${namespace}/${cmd.name}` }, nothing: 'Nothing was requested; try again.' })}`;
    }),
    (text) => ctx.answer(a.respond, text),
  );
  await ackWithAnswer(
    w,
    a.ack,
    `:mag: Checking ${cmd.engine.kind} \`${namespace}/${cmd.name}\` → ${escapeMrkdwn(cmd.version)}… (busy or slower than usual). The answer comes here; if none comes within a minute, nothing was requested: ask again.`,
  );
}
