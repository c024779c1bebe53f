/**
 * `/dbupdate status`, `list` and `versions`: read-only, acked at once, answered through `response_url`
 * in a follow-up. Only requests the asker may see are shown (`../../visibility.ts`). `list` and `status`
 * read no finished record they do not show (`src/updates/in-flight.ts`; `status` by the database's labels);
 * `list --all` reads them all.
 */
import type { Command } from '../../../command/parse.js';
import { LABEL_DATABASE, LABEL_DB_NAMESPACE } from '../../../api/v1alpha1/databaseupdate.js';
import type { DatabaseUpdateBatch } from '../../../api/v1alpha1/databaseupdatebatch.js';
import { readInFlight } from '../../../updates/in-flight.js';
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
      const { user_id: user, channel_id: channel } = a.command;
      const seen = (b: DatabaseUpdateBatch) => maySeeBatch(b, deps.config, user, channel);
      let text: string;
      if (cmd.kind === 'status') {
        // The database's own records, by label (finished ones included: status shows the newest and up to 4 before it).
        const selector = `${LABEL_DATABASE}=${cmd.name}${cmd.namespace ? `,${LABEL_DB_NAMESPACE}=${cmd.namespace}` : ''}`;
        text = renderStatus(cmd.name, cmd.namespace, visibleTo(await deps.records.list(selector), deps.config, user, channel));
      } else if (cmd.all) {
        // --all: every record and batch (the one answer that reads the whole collection).
        const all = visibleTo(await deps.records.list(), deps.config, user, channel);
        text = renderList(all, true, (await deps.batches.list()).filter(seen));
      } else {
        const f = await readInFlight(deps.records, deps.batches);
        text = renderList(visibleTo(f.records, deps.config, user, channel), false, f.batches.filter(seen), f.members);
      }
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
