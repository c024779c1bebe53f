/** What the `/dbupdate` listener hands each sub-command handler of this folder. */
import type { RespondFn, SlashCommand } from '@slack/bolt';

/** A slash command's ack: empty, or with the ephemeral answer (shown to the user by Slack). */
export type CommandAck = (msg?: { response_type: 'ephemeral'; text: string }) => Promise<void>;

/** One `/dbupdate` invocation: the command as Slack sent it, its ack and `respond`, and when it arrived. */
export interface CommandArgs {
  command: Pick<SlashCommand, 'user_id' | 'channel_id' | 'trigger_id' | 'text'>;
  ack: CommandAck;
  respond: RespondFn;
  /** `performance.now()` when the envelope reached the listener. */
  arrivedAt: number;
}
