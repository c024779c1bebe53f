/**
 * The global shortcut `dbupdate_request` (manifest.json `features.shortcuts`): opens the request form
 * (`requestModal`) with the shortcut's `trigger_id` (valid 3 s, so not a queued follow-up;
 * https://api.slack.com/reference/interaction-payloads/shortcuts). The form carries a signed binding to
 * this user and workspace in `private_metadata` (`../../form-binding.ts`), checked on submission.
 *
 * When the form cannot be opened — the trigger expired (`expired_trigger_id`: the bot took longer than
 * 3 s, e.g. busy or restarting) or any other error — the user is told by a direct message from the app
 * (`chat.postMessage` to the user id, which Slack delivers in the app's DM: https://api.slack.com/methods/chat.postMessage#app_home),
 * a global shortcut having no channel to answer in.
 */
import type { WebClient } from '@slack/web-api';
import { statusMessage } from '../../../kube/errors.js';
import { formKey, signForm } from '../../form-binding.js';
import { slackErrorCode, userText } from '../../errors.js';
import { SHORTCUT_REQUEST, VIEW_REQUEST, requestModal } from '../../render-forms.js';
import type { ListenerContext } from '../context.js';
import type { ListenerRouter } from '../router.js';

/** Slack errors of `views.open` that mean the shortcut's `trigger_id` was no longer usable. */
const TRIGGER_GONE = new Set(['expired_trigger_id', 'invalid_trigger_id', 'exchanged_trigger_id']);

/** Register the shortcut listener. */
export function registerRequestShortcut(router: ListenerRouter, ctx: ListenerContext): void {
  const { log } = ctx.deps;
  router.shortcut(SHORTCUT_REQUEST, async ({ ack, shortcut, client }) => {
    ctx.queue.arrived();
    await ack();
    const user = shortcut.user.id;
    try {
      const me = await ctx.identity.team(client);
      const view = { ...requestModal(), private_metadata: signForm(formKey(client.token ?? ''), VIEW_REQUEST, user, me.teamId, ctx.now().getTime()) };
      const res = await client.views.open({ trigger_id: shortcut.trigger_id, view: view as never });
      ctx.identity.learnFromView(res.view as never, me.botId);
      log.info({ audit: 'form', user }, 'request form opened');
    } catch (err) {
      const code = slackErrorCode(err);
      const text = code && TRIGGER_GONE.has(code)
        ? `:warning: The request form could not be opened: Slack said the shortcut had expired before the bot answered (busy or restarting). Nothing was requested; pick *Request a database update* again.`
        : `:warning: ${userText(err, { log, what: 'open the request form', ctx: { user }, nothing: 'Nothing was requested; pick the shortcut again.' })}`;
      if (code && TRIGGER_GONE.has(code)) log.warn({ user, err: code }, 'could not open the request form: trigger expired');
      await dm(client, user, text, ctx);
    }
  });
}

/** Tell `user` in the app's DM; a failure is logged. */
async function dm(client: WebClient, user: string, text: string, ctx: ListenerContext): Promise<void> {
  try {
    await client.chat.postMessage({ channel: user, text });
  } catch (err) {
    ctx.deps.log.warn({ err: statusMessage(err), user }, 'could not tell the user by direct message');
  }
}
