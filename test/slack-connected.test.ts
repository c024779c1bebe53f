/**
 * slackConnected() (src/health.ts), which /readyz requires: the real Bolt app against the Slack emulator,
 * in Socket Mode (the WebSocket's state) and in HTTP mode (the receiver's server listening).
 */
import { describe, expect, it } from 'vitest';
import pino from 'pino';
import { slackConnected } from '../src/health.js';
import { createSlackApp } from '../src/slack/app.js';
import { createHttpSlackApp } from '../src/slack/http.js';
import { SlackEmulator } from '../sim/slack/server.js';

const log = pino({ level: 'silent' });

describe('slackConnected', () => {
  it('Socket Mode: false before start, true once connected, false while Slack is gone and after stop', async () => {
    const slack = await SlackEmulator.start();
    const app = createSlackApp({ botToken: slack.botToken, appToken: slack.appToken, apiUrl: slack.apiUrl, retries: 0 }, log);
    let stopped = false;
    try {
      expect(slackConnected(app)).toBe(false);
      await app.init();
      await app.start();
      expect(slackConnected(app)).toBe(true);
      await slack.stop();
      stopped = true;
      await expect.poll(() => slackConnected(app), { timeout: 20_000 }).toBe(false);
    } finally {
      await app.stop().catch(() => undefined);
      if (!stopped) await slack.stop();
    }
    expect(slackConnected(app)).toBe(false);
  });

  it('HTTP mode: true while the server listens, false after stop', async () => {
    const slack = await SlackEmulator.start();
    try {
      const app = createHttpSlackApp({ botToken: slack.botToken, signingSecret: 'secret', apiUrl: slack.apiUrl, port: 0 }, log);
      expect(slackConnected(app)).toBe(false);
      await app.init();
      await app.start();
      expect(slackConnected(app)).toBe(true);
      await app.stop();
      expect(slackConnected(app)).toBe(false);
    } finally {
      await slack.stop();
    }
  });

  it('Slack unreachable: init() rejects with the Web API error (handled by the caller), and nothing is left unhandled', async () => {
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => void unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    try {
      // Port 9 (discard) is refused by fetch itself ("bad port"): no Slack answers there.
      const app = createHttpSlackApp({ botToken: 'xoxb-1', signingSecret: 'secret', apiUrl: 'http://127.0.0.1:9/api/', retries: 0, port: 0 }, log);
      await expect(app.init()).rejects.toThrow(/request error|fetch failed/);
      await new Promise((r) => setTimeout(r, 200));
      expect(unhandled).toEqual([]);
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
  });
});
