import type { App } from '@slack/bolt';
import type { HandlerDeps } from './handlers.js';
import type { FollowUpQueue } from './followup.js';
export function registerRequestShortcut(_app: App, _deps: HandlerDeps, _queue: FollowUpQueue, _now: () => Date): void {}
