/**
 * One Bolt registration per kind of interaction for the listeners of `actions/` and `views/`: each file
 * still registers its own listener (`router.action(id, fn)`, `router.view(callbackId, fn)`, the same
 * calls as Bolt's `app.action`/`app.view`), and {@link ListenerRouter.mount} gives Bolt one `app.action`
 * and one `app.view` whose constraint matches exactly the ids registered, and which hands each envelope to
 * the listener registered for its id.
 *
 * Why: Bolt runs the middleware chain of *every* registration for *every* envelope (`App.processEvent`:
 * `this.listeners.map(…)`, `@slack/bolt` 5.1), whether it matches or not. Measured with Bolt 5.1 on Node
 * 20 (`App.processEvent` of a slash command, 20 000 times): 38 µs per envelope with one registration,
 * 70 µs with eight, about 4.6 µs for each registration that does not match. In a burst of 200 commands the
 * last ack waits for the 199 before it, so the bot's ack p99 against a bare Bolt app
 * (`npm run bench -- --only ack`, #21 item 9) pays that cost 200 times.
 */
import type { AllMiddlewareArgs, App, BlockAction, ButtonAction, SlackActionMiddlewareArgs, SlackViewMiddlewareArgs, ViewSubmitAction } from '@slack/bolt';

/** What Bolt passes a button listener (`block_actions` with a button element). */
export type ButtonArgs = SlackActionMiddlewareArgs<BlockAction<ButtonAction>> & AllMiddlewareArgs;
/** What Bolt passes a `view_submission` listener. */
export type ViewArgs = SlackViewMiddlewareArgs<ViewSubmitAction> & AllMiddlewareArgs;

/** An `action_id` or `callback_id` constraint, as Bolt takes it: the exact id, or a pattern. */
export type IdMatcher = string | RegExp;

interface Route<A> {
  id: IdMatcher;
  listener: (args: A) => Promise<void>;
}

const matches = (m: IdMatcher, id: string): boolean => (typeof m === 'string' ? m === id : m.test(id));
const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** One pattern matching exactly what any of `ids` matches (Bolt's constraint for the single registration). Pure. */
export function unionPattern(ids: IdMatcher[]): RegExp {
  return new RegExp(ids.map((m) => (typeof m === 'string' ? `^${escape(m)}$` : `(?:${m.source})`)).join('|'));
}

/** The first route whose id matches `id`, if any. Pure. */
export function routeFor<A>(routes: Array<Route<A>>, id: string): Route<A> | undefined {
  return routes.find((r) => matches(r.id, id));
}

/** Collects the listeners of `actions/` and `views/`; see the module comment. */
export class ListenerRouter {
  private readonly actions: Array<Route<ButtonArgs>> = [];
  private readonly views: Array<Route<ViewArgs>> = [];

  /** Register a button listener for `actionId` (Bolt's `app.action(actionId, listener)`). */
  action(actionId: IdMatcher, listener: (args: ButtonArgs) => Promise<void>): void {
    this.actions.push({ id: actionId, listener });
  }

  /** Register a `view_submission` listener for `callbackId` (Bolt's `app.view(callbackId, listener)`). */
  view(callbackId: IdMatcher, listener: (args: ViewArgs) => Promise<void>): void {
    this.views.push({ id: callbackId, listener });
  }

  /** Give Bolt one registration for the actions and one for the views registered so far. Call once. */
  mount(app: App): void {
    const actions = [...this.actions];
    const views = [...this.views];
    if (actions.length > 0)
      app.action<BlockAction<ButtonAction>>(unionPattern(actions.map((r) => r.id)), async (args) => {
        await routeFor(actions, args.action.action_id)?.listener(args);
      });
    if (views.length > 0)
      app.view<ViewSubmitAction>(unionPattern(views.map((r) => r.id)), async (args) => {
        await routeFor(views, args.view.callback_id)?.listener(args);
      });
  }
}
