/**
 * The App Home tab (issue #14): when a user opens the app's Home tab (`app_home_opened`,
 * https://api.slack.com/events/app_home_opened, `tab: "home"`), publish (`views.publish`,
 * https://api.slack.com/methods/views.publish) the requests in flight that user may see — the same
 * filter as `/dbupdate list` ({@link visibleTo}) — rendered by `homeView` (`render-forms.ts`).
 */
import type { App } from '@slack/bolt';
import { statusMessage } from '../kube/errors.js';
import { mayRequest, resolvePolicy } from '../policy/rules.js';
import type { Config } from '../policy/config.js';
import { isActive, type DatabaseUpdate } from '../api/v1alpha1/databaseupdate.js';
import type { HandlerDeps } from './handlers.js';
import { homeView } from './render-forms.js';

/**
 * The records `user` may see, as `/dbupdate list` decides: those they requested or may approve, and those
 * they could have requested under the policy. The Home tab has no channel, so a policy that allows
 * requests only in some channels shows its requests only to those who have a part in them. Pure.
 */
export function visibleTo(records: DatabaseUpdate[], config: Config, user: string, channel = ''): DatabaseUpdate[] {
  return records.filter((r) => {
    if (r.spec.requester === user || r.spec.approvers.includes(user)) return true;
    const d = r.spec.database;
    const policy = resolvePolicy(config, { cluster: d.cluster, namespace: d.namespace, engine: r.spec.engine.toLowerCase() });
    return mayRequest(policy, { user, userGroups: [], channel }).ok;
  });
}

/** Register the `app_home_opened` listener on a Bolt app. */
export function registerHomeTab(app: App, deps: HandlerDeps): void {
  const now = deps.now ?? (() => new Date());
  app.event('app_home_opened', async ({ event, client }) => {
    if (event.tab !== 'home') return;
    try {
      const inFlight = visibleTo(await deps.records.list(), deps.config, event.user).filter((r) => isActive(r.status?.phase));
      await client.views.publish({ user_id: event.user, view: homeView(inFlight, now()) as never });
      deps.log.debug({ user: event.user, shown: inFlight.length }, 'home tab published');
    } catch (err) {
      deps.log.warn({ err: statusMessage(err), user: event.user }, 'could not publish the home tab');
    }
  });
}
