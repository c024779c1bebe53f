/**
 * A drift report's *Request update* button (action_id `drift_request`, value: `DriftRequestValue` JSON of
 * `src/drift/render.ts`): opens the request form (`requestModal`) prefilled with the group's engine, its
 * databases as `namespace/name` joined by commas, and the target most of them move to, with the click's
 * `trigger_id` (valid 3 s). The form is bound to the clicking user like the shortcut's
 * (`../../form-binding.ts`); its submission is checked and approved as any request. The click itself
 * changes nothing, so its value is only parsed strictly; a value that does not parse opens nothing.
 *
 * Submitted with several databases, the form makes a fleet request (`../views/request.ts` → the batch
 * request step of `src/updates/batch-request.ts`): checked member by member, approved once, run in waves.
 */
import type { ListenerRouter } from '../router.js';
import { DRIFT_LABEL, DRIFT_REQUEST_ACTION, parseRequestValue } from '../../../drift/render.js';
import { formKey, signForm } from '../../form-binding.js';
import { userText } from '../../errors.js';
import { VIEW_REQUEST, requestModal } from '../../render-forms.js';
import type { ListenerContext } from '../context.js';

/** Register the button listener. */
export function registerDriftRequestAction(router: ListenerRouter, ctx: ListenerContext): void {
  const { log } = ctx.deps;
  router.action(DRIFT_REQUEST_ACTION, async ({ ack, body, action, client }) => {
    ctx.queue.arrived();
    await ack();
    const user = body.user.id;
    const value = parseRequestValue(action.value);
    const channel = body.channel?.id ?? (body as { container?: { channel_id?: string } }).container?.channel_id;
    if (!value) {
      log.warn({ audit: 'refuse', user, action: DRIFT_REQUEST_ACTION, value: action.value?.slice(0, 200) }, 'drift button with an unreadable value');
      if (channel) await ctx.ephemeral(client, channel, user, ':warning: This button is not one of this bot\'s drift reports, so nothing was opened.');
      return;
    }
    try {
      const me = await ctx.identity.team(client);
      const reason = `Version drift: ${value.d.length + (value.m ?? 0)} ${value.e} database(s) in ${value.n} ${DRIFT_LABEL[value.k]}${value.m ? ` (${value.m} more not listed here)` : ''}`;
      const initial = { engine: value.e, database: value.d.map((d) => `${value.n}/${d}`).join(','), ...(value.v ? { version: value.v } : {}), reason };
      const view = { ...requestModal({ ...(channel ? { channel } : {}), initial }), private_metadata: signForm(formKey(client.token ?? ''), VIEW_REQUEST, user, me.teamId, ctx.now().getTime()) };
      await client.views.open({ trigger_id: body.trigger_id, view: view as never });
      log.info({ audit: 'form', user, from: 'drift', engine: value.e, namespace: value.n, databases: value.d.length }, 'request form opened from a drift report');
    } catch (err) {
      if (channel) await ctx.ephemeral(client, channel, user, `:warning: ${userText(err, { log, what: 'open the request form', ctx: { user }, nothing: 'Nothing was requested; click again.' })}`);
    }
  });
}
