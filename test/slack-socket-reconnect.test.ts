/**
 * The bot survives the Socket Mode client's reconnect defect (src/slack/socket-guard.ts,
 * slackapi/node-slack-sdk#2656): the real Bolt app connected to the Slack emulator loses its socket, its
 * reconnect is refused (403 on the upgrade), and the app is stopped while that reconnect waits. Without
 * the guard the waiting `start()` rejects with `undefined` and nothing handles it (Node ends the process);
 * with it, the rejection is logged and nothing escapes.
 */
import { describe, expect, it } from 'vitest';
import { createSlackApp } from '../src/slack/app.js';
import { createLogger } from '../src/log.js';
import { SlackEmulator } from '../sim/slack/server.js';

describe('Socket Mode reconnect stopped while it waits', () => {
  it('leaves no unhandled rejection, and logs the ended attempt', async () => {
    const lines: string[] = [];
    const log = createLogger('warn', { write: (l: string) => void lines.push(l) });
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => void unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    const slack = await SlackEmulator.start();
    const app = createSlackApp({ botToken: slack.botToken, appToken: slack.appToken, apiUrl: slack.apiUrl, retries: 0 }, log);
    try {
      await app.init();
      await app.start();
      await expect.poll(() => slack.socketConnections()).toBe(1);
      slack.refuseWebSockets(403);
      slack.dropSockets();
      // The drop is the first WebSocket error; the client retries after its ping timeout (5 s), and the
      // refused upgrade is the second, leaving that attempt's start() waiting.
      await expect.poll(() => lines.filter((l) => /WebSocket error occurred/.test(l)).length, { timeout: 15_000, interval: 100 }).toBe(2);
      await app.stop();
      await new Promise((r) => setTimeout(r, 200)); // unhandled rejections are reported after the microtasks
      expect(unhandled).toEqual([]);
      expect(lines.some((l) => /a reconnect attempt ended without a connection/.test(l)), lines.join('')).toBe(true);
    } finally {
      process.off('unhandledRejection', onUnhandled);
      await app.stop().catch(() => undefined);
      await slack.stop();
    }
  }, 30_000);
});
