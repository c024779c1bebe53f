/**
 * One Bolt registration for every listener of `commands/`, `actions/`, `views/`, `shortcuts/` and
 * `events/`: each file still registers its own listener with the same calls as Bolt's (`router.command`,
 * `router.action`, `router.view`, `router.shortcut`, `router.event`, each with Bolt's constraint: the
 * command name, `action_id`, `callback_id` or event type), and {@link ListenerRouter.mount} gives Bolt a
 * single global middleware (`app.use`) that hands each envelope to the listener registered for it, with
 * the arguments Bolt built for it (`ack`, `respond`, `command`, `action`, `view`, `shortcut`, `event`,
 * `client`, …), and passes every other envelope on (`next()`: Bolt then runs no listener).
 *
 * Why: Bolt runs the middleware chain of *every* registration for *every* envelope (`App.processEvent`:
 * `this.listeners.map(…)`, `@slack/bolt` 5.1), whether it matches or not. Measured with Bolt 5.1 on Node
 * 20 (`App.processEvent` of a slash command, 20 000 times): 38 µs per envelope with one registration,
 * 70 µs with eight, about 4.6 µs for each registration that does not match; and with the bot's five
 * registrations against this single one, a burst of 200 refused commands through `App.processEvent`
 * took 115–125 µs against 102–106 µs per envelope. In a burst the last ack waits for the ones before it,
 * so the bot's ack p99 against a bare Bolt app (`npm run bench -- --only ack`, #21 item 9) pays that
 * cost 200 times.
 *
 * Matching is Bolt's (`@slack/bolt` 5.1 `middleware/builtin.ts`): a command by `command.command`; a
 * button by the `action_id` of a `block_actions` payload; a view by the `callback_id` of a
 * `view_submission`; a shortcut by the `callback_id` of a global (`shortcut`) or message
 * (`message_action`) shortcut; an event by `event.type` (Bolt acks events itself before any middleware).
 */
import type {
  AllMiddlewareArgs,
  App,
  BlockAction,
  ButtonAction,
  SlackCommandMiddlewareArgs,
  SlackEventMiddlewareArgs,
  SlackShortcut,
  SlackShortcutMiddlewareArgs,
  SlackActionMiddlewareArgs,
  SlackViewMiddlewareArgs,
  ViewSubmitAction,
} from '@slack/bolt';

/** What Bolt passes a slash command listener. */
export type CommandListenerArgs = SlackCommandMiddlewareArgs & AllMiddlewareArgs;
/** What Bolt passes a button listener (`block_actions` with a button element). */
export type ButtonArgs = SlackActionMiddlewareArgs<BlockAction<ButtonAction>> & AllMiddlewareArgs;
/** What Bolt passes a `view_submission` listener. */
export type ViewArgs = SlackViewMiddlewareArgs<ViewSubmitAction> & AllMiddlewareArgs;
/** What Bolt passes a shortcut listener (global or message shortcut). */
export type ShortcutArgs = SlackShortcutMiddlewareArgs<SlackShortcut> & AllMiddlewareArgs;
/** What Bolt passes a listener of the Events API event `E`. */
export type EventArgs<E extends string> = SlackEventMiddlewareArgs<E> & AllMiddlewareArgs;

/** An `action_id`, `callback_id` or command constraint, as Bolt takes it: the exact id, or a pattern. */
export type IdMatcher = string | RegExp;

/** One registered listener and its constraint. */
export interface Route<A> {
  id: IdMatcher;
  listener: (args: A) => Promise<void>;
}

const matches = (m: IdMatcher, id: string): boolean => (typeof m === 'string' ? m === id : m.test(id));

/** The first route whose id matches `id`, if any. Pure. */
export function routeFor<A>(routes: ReadonlyArray<Route<A>>, id: string): Route<A> | undefined {
  return routes.find((r) => matches(r.id, id));
}

/** The kind of listener an envelope is for, and the id its listener is chosen by. */
export type EnvelopeKey = { kind: 'command' | 'action' | 'view' | 'shortcut' | 'event'; id: string };

/**
 * The part of Bolt's middleware arguments {@link envelopeKey} reads: `body` as Slack sent it, and the
 * alias Bolt sets for the payload of the type it detected (`App.processEvent`: `command` for a slash
 * command, `action` for an action, `view` for a view submission or closing, `shortcut` for a global or
 * message shortcut, `event` for an Events API event).
 */
export type EnvelopeArgs = { body: unknown; command?: { command?: unknown }; action?: { action_id?: unknown }; view?: { callback_id?: unknown }; shortcut?: { callback_id?: unknown }; event?: { type?: unknown } };

/**
 * Which kind of listener, and which id, an envelope's Bolt arguments are for. The kind is the one Bolt
 * detected (its payload alias), narrowed as Bolt's `app.action`/`app.view` narrow it: buttons of
 * `block_actions` only, `view_submission` only. Undefined for anything no listener of this router can
 * take (an `options` load, a `view_closed`, a legacy `interactive_message`, a workflow step…). Pure.
 */
export function envelopeKey(args: EnvelopeArgs): EnvelopeKey | undefined {
  const type = (args.body as { type?: unknown } | undefined)?.type;
  const key = (kind: EnvelopeKey['kind'], id: unknown): EnvelopeKey | undefined => (typeof id === 'string' ? { kind, id } : undefined);
  if (args.command) return key('command', args.command.command);
  if (args.action) return type === 'block_actions' ? key('action', args.action.action_id) : undefined;
  if (args.view) return type === 'view_submission' ? key('view', args.view.callback_id) : undefined;
  if (args.shortcut) return key('shortcut', args.shortcut.callback_id);
  if (args.event) return key('event', args.event.type);
  return undefined;
}

/** Collects the bot's listeners; see the module comment. */
export class ListenerRouter {
  private readonly routes: { [K in EnvelopeKey['kind']]: Array<Route<never>> } = { command: [], action: [], view: [], shortcut: [], event: [] };

  /** Register a slash command listener (Bolt's `app.command(name, listener)`). */
  command(name: IdMatcher, listener: (args: CommandListenerArgs) => Promise<void>): void {
    this.routes.command.push({ id: name, listener });
  }

  /** Register a button listener for `actionId` (Bolt's `app.action(actionId, listener)`). */
  action(actionId: IdMatcher, listener: (args: ButtonArgs) => Promise<void>): void {
    this.routes.action.push({ id: actionId, listener });
  }

  /** Register a `view_submission` listener for `callbackId` (Bolt's `app.view(callbackId, listener)`). */
  view(callbackId: IdMatcher, listener: (args: ViewArgs) => Promise<void>): void {
    this.routes.view.push({ id: callbackId, listener });
  }

  /** Register a shortcut listener for `callbackId` (Bolt's `app.shortcut(callbackId, listener)`). */
  shortcut(callbackId: IdMatcher, listener: (args: ShortcutArgs) => Promise<void>): void {
    this.routes.shortcut.push({ id: callbackId, listener });
  }

  /** Register a listener of the Events API event `type` (Bolt's `app.event(type, listener)`). */
  event<E extends string>(type: E, listener: (args: EventArgs<E>) => Promise<void>): void {
    this.routes.event.push({ id: type, listener });
  }

  /** Give Bolt one global middleware for the listeners registered (before or after this call). Call once. */
  mount(app: App): void {
    const routes = this.routes;
    app.use(async (args) => {
      const key = envelopeKey(args as EnvelopeArgs);
      const route = key && routeFor(routes[key.kind], key.id);
      if (!route) return args.next();
      // Bolt gives a listener the middleware's arguments with a no-op `next` (App.processEvent); the
      // route was registered for this kind, so the arguments are the ones its listener takes.
      await (route.listener as (a: object) => Promise<void>)({ ...args, next: async () => {} });
    });
  }
}
