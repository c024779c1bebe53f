/**
 * Whether the bot can post a request in the channel a request form names: the form's `channels_select`
 * is filled in by Slack's client, but a payload is only as trustworthy as the client that sent it, and a
 * user may pick a channel the bot is not in. Checked before anything is written, so a bad channel is a
 * field error in the form (`response_action: "errors"`) rather than a request nobody can approve.
 */
import type { WebClient } from '@slack/web-api';
import type { Logger } from 'pino';
import { slackErrorCode, userText } from './errors.js';
import { isSlackId } from './validate.js';

/**
 * A conversation id of a channel (`C…` public, `G…` private): `isSlackId`'s alphabet (the emulator's
 * ids contain `_`), at most 32 characters.
 */
export function isChannelId(v: unknown): v is string {
  return isSlackId(v) && /^[CG]/.test(v);
}

/**
 * Check `channel` for a request: its id's shape, then Slack: `conversations.history` with `limit: 1`
 * (channels:history / groups:history, already granted; https://api.slack.com/methods/conversations.history)
 * answers `channel_not_found` for a channel that does not exist or is private to others and
 * `not_in_channel` when the bot is not a member.
 * @returns undefined when the bot can post there, else the field error for the user (plain text).
 *   Never throws: an unexpected Slack error is answered generically with a log reference.
 */
export async function channelProblem(client: WebClient, channel: unknown, log: Pick<Logger, 'error'>, user: string): Promise<string | undefined> {
  if (!isChannelId(channel)) return 'Choose a channel from the list (that is not a channel id).';
  try {
    await client.conversations.history({ channel, limit: 1 });
    return undefined;
  } catch (err) {
    const code = slackErrorCode(err);
    if (code === 'channel_not_found') return 'The bot cannot see this channel (it does not exist, or it is private and the bot is not in it). Choose another channel, or invite the bot there first.';
    if (code === 'not_in_channel') return 'The bot is not in this channel, so nobody could approve the request there: invite it (/invite @dbupdate) or choose another channel.';
    if (code === 'is_archived') return 'This channel is archived. Choose another channel.';
    return userText(err, { log, what: 'check the channel', ctx: { user, channel }, nothing: 'Nothing was requested; submit again.' }).replace(/`/g, '');
  }
}
