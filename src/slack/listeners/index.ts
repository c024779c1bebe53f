/**
 * All of the bot's Slack listeners, in bolt-js's layout: one listener per file under `commands/`,
 * `actions/`, `views/`, `events/` and `shortcuts/`, registered here on a Bolt app through `./router.ts`
 * (one Bolt registration for all of them). They share one
 * {@link ListenerContext} (`./context.ts`): the dependencies (`../deps.ts`), the follow-up queue
 * (`../followup.ts`) and this app's identity (`../identity.ts`).
 *
 * Every listener that changes something writes before it acks (`../ack.ts`); every error a user sees
 * goes through `userText` (`../errors.ts`). A request itself (policy, preflight, lock, record) is the
 * request step of `src/updates/request.ts`, resume/retry that of `src/updates/recovery.ts`; votes,
 * rejections and cancels are `RecordStore.mutateStatus` writes of `src/updates/state.ts` transitions.
 * The listeners never run the pipeline (docs/architecture.md data flow).
 */
import type { App } from '@slack/bolt';
import { statusMessage } from '../../kube/errors.js';
import type { HandlerDeps } from '../deps.js';
import { FollowUpQueue } from '../followup.js';
import { AppIdentity } from '../identity.js';
import { ListenerRouter } from './router.js';
import { registerVoteAction } from './actions/vote.js';
import { registerDriftRequestAction } from './actions/drift-request.js';
import { registerBatchActions } from './actions/batch.js';
import { registerDbupdateCommand } from './commands/dbupdate.js';
import { listenerContext } from './context.js';
import { registerAppHomeOpened } from './events/app-home-opened.js';
import { registerRequestShortcut } from './shortcuts/request.js';
import { registerRejectView } from './views/reject.js';
import { registerRequestView } from './views/request.js';

/** What {@link registerListeners} gives back. */
export interface Listeners {
  /**
   * Wait for the follow-ups of envelopes already acked (call after the app has stopped taking new ones),
   * at most `timeoutMs` (ms). @returns how many were still running then (0: all done).
   */
  drain(timeoutMs: number): Promise<number>;
}

/** Register every listener on a Bolt app. */
export function registerListeners(app: App, deps: HandlerDeps): Listeners {
  const queue = new FollowUpQueue({ onDetachedError: (err) => deps.log.error({ err: statusMessage(err) }, 'follow-up failed after giving up its slot'), ...deps.followUps });
  const ctx = listenerContext(deps, queue, new AppIdentity({ log: deps.log, metrics: deps.metrics }));
  // Each listener first notes the envelope's arrival (follow-ups wait for the acks of a burst,
  // ../followup.ts). Bolt runs every registration's middleware chain for every envelope (≈ 4.6 µs each,
  // measured: ./router.ts), hence one Bolt registration in all: the router's global middleware.
  const router = new ListenerRouter();
  registerDbupdateCommand(router, ctx);
  registerVoteAction(router, ctx);
  registerDriftRequestAction(router, ctx);
  registerBatchActions(router, ctx);
  registerRejectView(router, ctx);
  registerRequestView(router, ctx);
  registerRequestShortcut(router, ctx);
  registerAppHomeOpened(router, ctx);
  router.mount(app);
  return { drain: (timeoutMs) => queue.drain(timeoutMs) };
}
