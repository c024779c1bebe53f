/**
 * The App Home tab (issue #14): when a user opens the app's Home tab (`app_home_opened`,
 * https://api.slack.com/events/app_home_opened, `tab: "home"`), publish (`views.publish`,
 * https://api.slack.com/methods/views.publish) the requests in flight that user may see — the same rule
 * as `/dbupdate list` (`../../visibility.ts`), read as `list` reads them (`src/updates/in-flight.ts`: no
 * finished record is read). When the requests cannot be read, the tab says so with the
 * log reference of the error (`homeErrorView`) instead of showing nothing or an empty list.
 */
import { statusMessage } from '../../../kube/errors.js';
import { readInFlight } from '../../../updates/in-flight.js';
import { userText } from '../../errors.js';
import { homeErrorView, homeView } from '../../render-forms.js';
import { maySeeBatch, visibleTo } from '../../visibility.js';
import type { ListenerContext } from '../context.js';
import type { ListenerRouter } from '../router.js';

/** Register the `app_home_opened` listener. */
export function registerAppHomeOpened(router: ListenerRouter, ctx: ListenerContext): void {
  const { deps, now } = ctx;
  router.event('app_home_opened', async ({ event, client }) => {
    if (event.tab !== 'home') return;
    let view: Record<string, unknown>;
    try {
      const f = await readInFlight(deps.records, deps.batches);
      const fleets = f.batches.filter((b) => maySeeBatch(b, deps.config, event.user));
      view = homeView(visibleTo(f.records, deps.config, event.user), now(), fleets, f.members);
    } catch (err) {
      view = homeErrorView(userText(err, { log: deps.log, what: 'read the requests', ctx: { user: event.user, surface: 'home' }, nothing: 'Nothing is shown until they can be read.' }), now());
    }
    try {
      await client.views.publish({ user_id: event.user, view: view as never });
      deps.log.debug({ user: event.user }, 'home tab published');
    } catch (err) {
      deps.log.warn({ err: statusMessage(err), user: event.user }, 'could not publish the home tab');
    }
  });
}
