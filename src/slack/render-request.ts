/**
 * The requester's answer to a request (`src/updates/request.ts` {@link RequestOutcome}) as Slack mrkdwn,
 * posted ephemerally by the slash command, the request form and `/dbupdate retry`. Pure.
 */
import type { RequestOutcome } from '../updates/request.js';
import { formatInZone } from '../policy/windows.js';

/** The answer to a request: recorded (or recorded already), a dry run's verdict, or the refusal. */
export function requestAnswer(o: RequestOutcome): string {
  if (o.outcome === 'refused') return o.message.startsWith(':warning:') ? o.message : `:warning: ${o.message}`;
  const warning = o.outcome !== 'recorded' || !o.duplicate ? (o.warning ? `\n:warning: ${o.warning}` : '') : '';
  if (o.outcome === 'dry_run') {
    return `:white_check_mark: Dry run: ${o.engine.kind} \`${o.namespace}/${o.name}\` ${o.from} → *${o.to}* (${o.updateType}, ${o.backend}) would be requested. Nothing was created.${warning}`;
  }
  const { metadata, spec } = o.record;
  if (o.duplicate) return `:inbox_tray: Request \`${metadata.name}\` is recorded: ${spec.fromVersion} → ${spec.targetVersion} (${spec.updateType}). Approvers have been asked in the channel.`;
  const when = spec.notBefore ? ` It will start at ${formatInZone(new Date(spec.notBefore), 'UTC')} once approved.` : '';
  return `:inbox_tray: Request \`${metadata.name}\` recorded: ${spec.fromVersion} → ${spec.targetVersion} (${spec.updateType}). Approvers have been asked in the channel.${when}${warning}`;
}
