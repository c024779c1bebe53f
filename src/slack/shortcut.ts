/**
 * The global shortcut → request modal (issue #14). Picking the shortcut `dbupdate_request` (manifest.json
 * `features.shortcuts`) opens the request form (`requestModal`); its submission is validated like the
 * slash command's words (`readRequestForm`: field errors go back with `response_action: "errors"` and the
 * modal stays open), then runs the slash command's own request step (`requestUpdate` of `src/updates/request.ts`: policy, preflight,
 * approvers, lock, record). Answers the requester with ephemeral messages in the chosen channel.
 *
 * Slack: global shortcut payloads https://api.slack.com/reference/interaction-payloads/shortcuts ;
 * `views.open` needs the shortcut's `trigger_id` within 3 s (so it is not a queued follow-up);
 * view_submission acks within 3 s, so preflight runs after the ack.
 */
import type { App, RespondArguments } from '@slack/bolt';
import { statusMessage } from '../kube/errors.js';
import { readRequestForm, type FormElementState } from '../command/form.js';
import type { HandlerDeps } from './handlers.js';
import { requestUpdate } from '../updates/request.js';
import { requestAnswer } from './render-request.js';
import type { FollowUpQueue } from './followup.js';
import { SHORTCUT_REQUEST, VIEW_REQUEST, requestModal } from './render-forms.js';
import { escapeMrkdwn } from './render.js';

/** Register the shortcut and the modal's submission on a Bolt app. */
export function registerRequestShortcut(app: App, deps: HandlerDeps, queue: FollowUpQueue, now: () => Date): void {
  const { log, config } = deps;

  app.shortcut(SHORTCUT_REQUEST, async ({ ack, shortcut, client }) => {
    queue.arrived();
    await ack();
    try {
      await client.views.open({ trigger_id: shortcut.trigger_id, view: requestModal() as never });
      log.info({ audit: 'form', user: shortcut.user.id }, 'request form opened');
    } catch (err) {
      log.warn({ err: statusMessage(err), user: shortcut.user.id }, 'could not open the request form');
    }
  });

  app.view(VIEW_REQUEST, async ({ ack, view, body, client }) => {
    queue.arrived();
    const user = body.user.id;
    const form = readRequestForm(view.state.values as Record<string, Record<string, FormElementState>>);
    if (!form.ok) {
      log.info({ audit: 'refuse', user, action: 'form', why: form.errors }, 'request form refused');
      await ack({ response_action: 'errors', errors: form.errors });
      return;
    }
    const req = form.request;
    const cluster = deps.channelCluster?.(req.channel) ?? deps.clusters.home.name;
    const kube = deps.clusters.get(cluster);
    if (!kube) {
      await ack({ response_action: 'errors', errors: { channel: `This channel's cluster (${cluster}) is not managed by this bot; choose another channel.` } });
      return;
    }
    await ack();
    const namespace = req.namespace ?? config.channelNamespaces[req.channel] ?? config.defaultNamespace;
    const respond = async (m: string | RespondArguments) => {
      const text = typeof m === 'string' ? m : (m.text ?? '');
      await client.chat.postEphemeral({ channel: req.channel, user, text });
    };
    await queue.run(async () => {
      try {
        await respond(`:mag: Checking ${req.engine.kind} \`${namespace}/${req.name}\` → ${escapeMrkdwn(req.version)}…`);
        const answer = await requestUpdate(deps, kube, now(), {
          engine: req.engine,
          namespace,
          name: req.name,
          version: req.version,
          reason: req.reason,
          at: req.at,
          dryRun: false,
          user,
          channel: req.channel,
          // The same submission retried by Slack carries the same trigger_id → the same record name.
          triggerId: (body as { trigger_id?: string }).trigger_id ?? view.id,
        });
        await respond(requestAnswer(answer));
      } catch (err) {
        log.error({ err: statusMessage(err), user }, 'request from the form failed');
        await respond(`:x: Could not check the request against cluster \`${kube.name}\`: ${statusMessage(err)}. Nothing was changed; try again.`).catch(() => undefined);
      }
    });
  });
}
