/**
 * The `/dbupdate` slash command listener: parse, then hand over to the sub-command's handler in this
 * folder. A command that does not parse, and `help`, are answered in the ack.
 */
import { helpText, parseCommand } from '../../../command/parse.js';
import type { ListenerContext } from '../context.js';
import type { ListenerRouter } from '../router.js';
import type { CommandArgs } from './args.js';
import { onCancel } from './cancel.js';
import { onQuery, onVersions } from './queries.js';
import { onRecovery } from './recovery.js';
import { onRequest } from './request.js';
import { onDrift } from './drift.js';
import { onFleet } from './fleet.js';

/** Register the `/dbupdate` listener. */
export function registerDbupdateCommand(router: ListenerRouter, ctx: ListenerContext): void {
  const { log, metrics } = ctx.deps;
  router.command('/dbupdate', async ({ command, ack, respond }) => {
    const arrivedAt = performance.now();
    ctx.queue.arrived();
    const parsed = parseCommand(command.text ?? '');
    if (!parsed.ok) {
      log.info({ audit: 'refuse', user: command.user_id, text: command.text, why: parsed.error }, 'command refused');
      metrics?.requests.inc({ outcome: 'refused' });
      await ack({ response_type: 'ephemeral', text: `:warning: ${parsed.error}\nUsage: ${parsed.usage.includes('`') ? parsed.usage : `\`${parsed.usage}\``}` });
      return;
    }
    const cmd = parsed.command;
    const a: CommandArgs = { command, ack, respond, arrivedAt };
    switch (cmd.kind) {
      case 'help':
        await ack({ response_type: 'ephemeral', text: helpText() });
        return;
      case 'resume':
      case 'retry':
        return onRecovery(ctx, cmd, a);
      case 'status':
      case 'list':
        return onQuery(ctx, cmd, a);
      case 'cancel':
        return onCancel(ctx, cmd.id, a);
      case 'versions':
        return onVersions(ctx, cmd, a);
      case 'drift':
        return onDrift(ctx, cmd, a);
      case 'update':
        return onRequest(ctx, cmd, a);
      case 'fleet':
        return onFleet(ctx, cmd, a);
    }
  });
}
