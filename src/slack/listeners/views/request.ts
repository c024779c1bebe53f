/**
 * Submission of the request form (opened by `../shortcuts/request.ts`). Before anything is written:
 * 1. the fields, validated like the slash command's words (`readRequestForm`): field errors go back with
 *    `response_action: "errors"` (https://api.slack.com/surfaces/modals#displaying_errors) and the form
 *    stays open;
 * 2. the form is one this bot opened for this user in this workspace (`../../form-binding.ts`: an HMAC in
 *    `private_metadata`, no in-memory state, so any replica can check it), the payload is for this app
 *    (`api_app_id` equals the view's `app_id` and, once known, this app's id) and this workspace
 *    (`team.id` equals `auth.test`'s); a forged or foreign form creates nothing;
 * 3. the channel: a channel id the bot can post in (`../../channel-check.ts`), else a field error.
 * Then the slash command's own request step (`requestUpdate`) runs before the ack when that fits in the
 * budget (`../../ack.ts`), and the answer goes in the ack: the form is replaced with it
 * (`response_action: "update"`). Past the budget the form says the answer is coming, and it comes as an
 * ephemeral message in the chosen channel. The form's nonce names the record, so the same form
 * submitted twice (a Slack retry) is one request.
 */
import type { ListenerRouter } from '../router.js';
import { FORM, readRequestForm, type FormElementState } from '../../../command/form.js';
import { requestUpdate } from '../../../updates/request.js';
import { writeBeforeAck } from '../../ack.js';
import { channelProblem } from '../../channel-check.js';
import { userText } from '../../errors.js';
import { formKey, verifyForm } from '../../form-binding.js';
import { UNTRUSTED_REPLY } from '../../identity.js';
import { escapeMrkdwn } from '../../render.js';
import { VIEW_REQUEST, formAnswerModal } from '../../render-forms.js';
import { requestAnswer } from '../../render-request.js';
import { batchAnswer } from '../../render-batch.js';
import { requestBatch } from '../../../updates/batch-request.js';
import type { ListenerContext } from '../context.js';

/** Register the request form's `view_submission` listener. */
export function registerRequestView(router: ListenerRouter, ctx: ListenerContext): void {
  const { deps, now } = ctx;
  const { log, config } = deps;
  router.view(VIEW_REQUEST, async ({ ack, view, body, client }) => {
    const arrivedAt = performance.now();
    ctx.queue.arrived();
    const user = body.user.id;
    const form = readRequestForm(view.state.values as Record<string, Record<string, FormElementState>>);
    if (!form.ok) {
      log.info({ audit: 'refuse', user, action: 'form', why: form.errors }, 'request form refused');
      await ack({ response_action: 'errors', errors: form.errors });
      return;
    }
    // Bound to a form this bot opened, for this user, app and workspace.
    const team = body.team?.id ?? body.user.team_id;
    let why: string | undefined;
    let nonce: string | undefined;
    try {
      const me = await ctx.identity.team(client);
      const known = await ctx.identity.whoAmI(client, {});
      const binding = verifyForm(formKey(client.token ?? ''), VIEW_REQUEST, view.private_metadata, { user, team, now: now().getTime() });
      if ('why' in binding) why = binding.why;
      else if (team !== me.teamId) why = `team ${String(team)} is not this app's workspace ${me.teamId}`;
      else if (body.api_app_id !== view.app_id || (known && body.api_app_id !== known.appId)) why = `api_app_id ${JSON.stringify(body.api_app_id)} is not this app's (view app_id ${JSON.stringify(view.app_id)}, known ${known?.appId ?? 'not yet'})`;
      else nonce = binding.nonce;
    } catch (err) {
      await ack({ response_action: 'errors', errors: { [FORM.engine]: userText(err, { log, what: 'check the form', ctx: { user }, nothing: 'Nothing was requested; submit again.' }).replace(/`/g, '') } });
      return;
    }
    if (why || !nonce) {
      log.warn({ audit: 'refuse', user, action: 'form', team, app: body.api_app_id, view: view.id, why }, 'untrusted request form refused');
      deps.metrics?.requests.inc({ outcome: 'refused' });
      await ack({ response_action: 'errors', errors: { [FORM.engine]: UNTRUSTED_REPLY } });
      return;
    }
    const req = form.request;
    const bad = await channelProblem(client, req.channel, log, user);
    if (bad) {
      log.info({ audit: 'refuse', user, action: 'form', channel: String(req.channel).slice(0, 64), why: bad }, 'request form refused: channel');
      await ack({ response_action: 'errors', errors: { [FORM.channel]: bad } });
      return;
    }
    const cluster = deps.channelCluster?.(req.channel) ?? deps.clusters.home.name;
    const kube = deps.clusters.get(cluster);
    if (!kube) {
      await ack({ response_action: 'errors', errors: { [FORM.channel]: `This channel's cluster (${cluster}) is not managed by this bot; choose another channel.` } });
      return;
    }
    const namespace = req.namespace ?? config.channelNamespaces[req.channel] ?? config.defaultNamespace;
    const w = writeBeforeAck(ctx.queue, { ...ctx.timing(arrivedAt), answerOnlyInAck: true }, () =>
      (req.fleet
        ? // Several databases (e.g. prefilled by a drift report's *Request update*): a fleet request, as `/dbupdate <engine> a,b <version>`.
          requestBatch(deps, kube, now(), { engine: req.engine, selection: { kind: 'names', refs: req.fleet }, namespace, version: req.version, reason: req.reason, dryRun: false, user, channel: req.channel, triggerId: `form-${nonce}` }).then(batchAnswer)
        : requestUpdate(deps, kube, now(), {
        engine: req.engine,
        namespace,
        name: req.name,
        version: req.version,
        reason: req.reason,
        at: req.at,
        dryRun: false,
        user,
        channel: req.channel,
        triggerId: `form-${nonce}`,
      }).then(requestAnswer)
      ).catch((err: unknown) => {
        deps.metrics?.requests.inc({ outcome: 'error' });
        return `:x: ${userText(err, { log, what: `check the request against cluster \`${kube.name}\``, ctx: { user, database: `${kube.name}/${namespace}/${req.name}`, surface: 'form' }, nothing: 'Nothing was requested; try again.' })}`;
      }),
      (text) => ctx.ephemeral(client, req.channel, user, text),
    );
    let inAck = false;
    try {
      if (await w.inTime) {
        const text = await w.outcome;
        inAck = true;
        await ack({ response_action: 'update', view: formAnswerModal(text) as never });
      } else {
        const what = req.fleet ? `${req.fleet.length} ${req.engine.kind} databases` : `${req.engine.kind} \`${namespace}/${req.name}\``;
        await ack({ response_action: 'update', view: formAnswerModal(`:mag: Checking ${what} → ${escapeMrkdwn(req.version)}… (busy or slower than usual). The answer comes in <#${req.channel}>; if none comes within a minute, nothing was requested: ask again.`) as never });
      }
    } finally {
      w.acked(inAck);
    }
  });
}
