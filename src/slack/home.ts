import type { App } from '@slack/bolt';
import type { HandlerDeps } from './handlers.js';
export function registerHomeTab(_app: App, _deps: HandlerDeps): void {}
