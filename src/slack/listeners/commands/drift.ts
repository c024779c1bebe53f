/**
 * `/dbupdate drift [<engine>] [-n NS] [-c NAME]`: the version-drift report of a cluster (`src/drift/`),
 * computed from the read caches and answered to the asker through `response_url` (ephemeral) with a
 * *Request update* button per group (`../actions/drift-request.ts`). Read-only: acked at once.
 * Without `-n`, every namespace is reported (drift is a fleet view; the channel's default namespace is
 * not applied).
 */
import type { Command } from '../../../command/parse.js';
import { driftMessage } from '../../../drift/render.js';
import { driftReport } from '../../../drift/source.js';
import { userText } from '../../errors.js';
import { escapeMrkdwn } from '../../render.js';
import type { ListenerContext } from '../context.js';
import type { CommandArgs } from './args.js';

/** Handle `drift`. Never throws. */
export async function onDrift(ctx: ListenerContext, cmd: Extract<Command, { kind: 'drift' }>, a: CommandArgs): Promise<void> {
  const { deps } = ctx;
  const kube = ctx.clusterOf(cmd.cluster, a.command.channel_id);
  if (!kube) {
    await a.ack({ response_type: 'ephemeral', text: `:warning: Unknown cluster \`${escapeMrkdwn(cmd.cluster ?? '')}\`. This bot manages: ${deps.clusters.names().join(', ')}.` });
    return;
  }
  await a.ack();
  await ctx.queue.run(async () => {
    try {
      const report = await driftReport(kube, { ...(cmd.engine ? { engines: [cmd.engine.name] } : {}), ...(cmd.namespace ? { namespaces: [cmd.namespace] } : {}) });
      const scope = [cmd.engine?.name, cmd.namespace ? `namespace ${cmd.namespace}` : undefined].filter(Boolean).join(', ') || undefined;
      const msg = driftMessage(report, scope);
      deps.log.info({ audit: 'drift', user: a.command.user_id, cluster: kube.name, behind: report.behind, scanned: report.scanned }, 'drift report');
      try {
        await a.respond({ response_type: 'ephemeral', text: msg.text, blocks: msg.blocks as never });
      } catch (err) {
        deps.log.warn({ err: (err as Error).message }, 'could not answer through response_url');
      }
    } catch (err) {
      await ctx.answer(a.respond, `:x: ${userText(err, { log: deps.log, what: 'compute the version drift', ctx: { user: a.command.user_id }, nothing: 'Try again.' })}`);
    }
  });
}
