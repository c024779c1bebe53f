/**
 * `/dbupdate status`, `list` and `versions`: read-only, acked at once, answered through `response_url`
 * in a follow-up. Only requests the asker may see are shown (`../../visibility.ts`).
 */
import type { Command } from '../../../command/parse.js';
import { userText } from '../../errors.js';
import { renderList, renderStatus } from '../../queries.js';
import { escapeMrkdwn } from '../../render.js';
import { answerVersions } from '../../versions.js';
import { maySeeBatch, visibleTo } from '../../visibility.js';
import type { ListenerContext } from '../context.js';
import type { CommandArgs } from './args.js';

/** Handle `status` and `list`. Never throws. */
export async function onQuery(ctx: ListenerContext, cmd: Extract<Command, { kind: 'status' | 'list' }>, a: CommandArgs): Promise<void> {
  const { deps } = ctx;
  await a.ack();
  await ctx.queue.run(async () => {
    try {
      const all = visibleTo(await deps.records.list(), deps.config, a.command.user_id, a.command.channel_id);
      const batches = cmd.kind === 'list' ? (await deps.batches.list()).filter((b) => maySeeBatch(b, deps.config, a.command.user_id, a.command.channel_id)) : [];
      const text = cmd.kind === 'status' ? renderStatus(cmd.name, cmd.namespace, all) : renderList(all, cmd.all, batches);
      await ctx.answer(a.respond, text);
    } catch (err) {
      await ctx.answer(a.respond, `:x: ${userText(err, { log: deps.log, what: 'read the requests', ctx: { user: a.command.user_id }, nothing: 'Try again.' })}`);
    }
  });
}

/** Handle `versions`. Never throws. */
export async function onVersions(ctx: ListenerContext, cmd: Extract<Command, { kind: 'versions' }>, a: CommandArgs): Promise<void> {
  const { deps } = ctx;
  const ns = cmd.namespace ?? deps.config.channelNamespaces[a.command.channel_id] ?? deps.config.defaultNamespace;
  const kube = ctx.clusterOf(cmd.cluster, a.command.channel_id);
  if (!kube) {
    await a.ack({ response_type: 'ephemeral', text: `:warning: Unknown cluster \`${escapeMrkdwn(cmd.cluster ?? '')}\`. This bot manages: ${deps.clusters.names().join(', ')}.` });
    return;
  }
  await a.ack();
  await ctx.queue.run(async () => {
    try {
      await ctx.answer(a.respond, await answerVersions(kube, cmd.engine, ns, cmd.name));
    } catch (err) {
      await ctx.answer(a.respond, `:x: ${userText(err, { log: deps.log, what: `read the ${cmd.engine.catalogKind} catalog`, ctx: { user: a.command.user_id }, nothing: 'Try again.' })}`);
    }
  });
}
