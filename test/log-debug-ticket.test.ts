/**
 * At debug level the Socket Mode client and the Web API client log the WebSocket URL Slack hands out
 * (`wss://…/link/?ticket=…`): a one-time credential for a connection of this app. The logger
 * (src/log.ts) must hide its value. The real Bolt app is started in Socket Mode against the Slack
 * emulator with a pino logger at debug, capturing every line.
 */
import { Writable } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { createLogger } from '../src/log.js';
import { createSlackApp } from '../src/slack/app.js';
import { SlackEmulator } from '../sim/slack/server.js';

let slack: SlackEmulator | undefined;
afterAll(async () => {
  await slack?.stop();
});

describe('Socket Mode at debug level', () => {
  it('logs the connection URL without its ticket', async () => {
    slack = await SlackEmulator.start();
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk, _enc, cb) {
        lines.push(String(chunk));
        cb();
      },
    });
    const app = createSlackApp({ botToken: slack.botToken, appToken: slack.appToken, apiUrl: slack.apiUrl, retries: 0 }, createLogger('debug', sink));
    await app.init();
      await app.start();
    await slack.waitFor(() => slack!.socketConnections() > 0, { what: 'the app to connect' });
    await app.stop();
    const out = lines.join('');
    // The URL was logged (else this test would check nothing) …
    expect(out).toMatch(/\/link\/?\?ticket=/);
    // … and every ticket value in it is hidden.
    const tickets = [...out.matchAll(/ticket=([^&"\\\s]*)/g)].map((m) => m[1]);
    expect(tickets.length).toBeGreaterThan(0);
    for (const t of tickets) expect(t).toBe('[Redacted]');
  });
});
