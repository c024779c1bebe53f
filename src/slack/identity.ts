/**
 * Who this app is, and whether a click or a form submission is for it: the identity checks every
 * listener runs before a record is touched (`./listeners/`). One {@link AppIdentity} per Bolt app.
 */
import type { WebClient } from '@slack/web-api';
import type { Logger } from 'pino';
import { statusMessage } from '../kube/errors.js';
import type { Metrics } from '../metrics.js';
import type { Reply } from './deps.js';
import { foreignApp, isRecordName, type AppIdentity as Self, type ClickOrigin } from './validate.js';

/** A message the request claims to come from (the request's parent message): channel id and ts. */
export interface MessageRef {
  channel?: string;
  ts?: string;
}

/** The refusal shown for any untrusted click or form (the detail is audited, not shown). */
export const UNTRUSTED_REPLY: Reply = `This button or form is not one of this bot's requests (it did not come from this app's approval message), so nothing was changed.`;

/** This app's identity, learnt from Slack, and the checks built on it. */
export class AppIdentity {
  private auth: Promise<{ teamId: string; botId: string }> | undefined;
  private appId: string | undefined;

  constructor(private readonly o: { log: Logger; metrics?: Metrics }) {}

  /**
   * `team_id` and `bot_id` of this bot, from `auth.test` (no scope; Bolt calls it at start too), cached
   * once it succeeded. @throws the Slack API error of `auth.test`.
   */
  async team(client: WebClient): Promise<{ teamId: string; botId: string }> {
    this.auth ??= client.auth.test().then(
      (r) => {
        if (!r.team_id || !r.bot_id) throw new Error('auth.test gave no team_id/bot_id (not a bot token?)');
        return { teamId: r.team_id, botId: r.bot_id };
      },
      (err: unknown) => {
        this.auth = undefined;
        throw err;
      },
    );
    return this.auth;
  }

  /** Learn the app id from a view this bot just opened (`views.open` answers with `view.app_id`). */
  learnFromView(view: { app_id?: unknown; bot_id?: unknown } | undefined, botId: string): void {
    if (!this.appId && typeof view?.app_id === 'string' && view.bot_id === botId) this.appId = view.app_id;
  }

  /**
   * This app's identity. A bot token's `auth.test` has no `app_id` (https://api.slack.com/methods/auth.test),
   * and `bots.info` would need `users:read`, which the manifest does not ask for; so the `app_id` is learnt
   * once from a message Slack itself says this bot posted: `conversations.replies` (channels:history /
   * groups:history, granted) of a request's parent message returns it with `bot_id` and `app_id`
   * (https://api.slack.com/methods/conversations.replies), and only a message whose `bot_id` is this
   * bot's is believed (or from a view this bot opened, {@link learnFromView}).
   * @returns undefined while the app id is not known and `at` is not this bot's message.
   */
  async whoAmI(client: WebClient, at: MessageRef): Promise<Self | undefined> {
    const me = await this.team(client);
    if (!this.appId && at.channel && at.ts) {
      // A message that does not exist or cannot be read (a forged ts) teaches nothing: not an error.
      const res = await client.conversations.replies({ channel: at.channel, ts: at.ts, limit: 1 }).catch((err: unknown) => {
        this.o.log.info({ err: statusMessage(err), channel: at.channel, ts: at.ts }, 'could not read a message to learn the app id');
        return undefined;
      });
      const m = (res?.messages ?? [])[0] as { ts?: string; bot_id?: string; app_id?: string } | undefined;
      if (m?.ts === at.ts && m.bot_id === me.botId && m.app_id) this.appId = m.app_id;
    }
    return this.appId ? { teamId: me.teamId, appId: this.appId } : undefined;
  }

  /**
   * Checks every click and submission passes before a record is touched: a record name that is a valid
   * Kubernetes name, and a payload for this app in this workspace (`at`: the request's parent message the
   * click or form claims to come from).
   * @returns undefined, or the refusal for the user (the detail is audited).
   * @throws the Slack API error of `auth.test`.
   */
  async untrusted(client: WebClient, user: string, action: string, origin: Pick<ClickOrigin, 'appId' | 'teamId'>, record: unknown, at: MessageRef): Promise<Reply | undefined> {
    let why: string | undefined;
    if (!isRecordName(record)) why = `the record name ${JSON.stringify(record)} is not a valid Kubernetes name`;
    else {
      const self = await this.whoAmI(client, at);
      why = self ? foreignApp(origin, self) : `message ${at.channel}/${at.ts} was not posted by this bot, so this app's id is not known yet`;
    }
    if (!why) return undefined;
    this.o.log.warn({ audit: 'refuse', user, action, record, why }, 'untrusted interaction refused');
    this.o.metrics?.approvals.inc({ decision: 'refused' });
    return UNTRUSTED_REPLY;
  }
}
