/**
 * HTTP mode: the real Bolt app from `createHttpSlackApp` listening on port 0 with a `/dbupdate` handler,
 * driven by real signed requests (`fetch`) and by the Slack emulator's HTTP delivery. A good request is
 * served; a forged signature, a stale timestamp or a missing header is answered 401 and no handler runs.
 */
import { createHmac } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import type { App } from '@slack/bolt';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { SlackEmulator } from '../sim/slack/server.js';
import { createHttpSlackApp, SLACK_EVENTS_PATH } from '../src/slack/http.js';
import { createLogger } from '../src/log.js';

let slack: SlackEmulator;
let app: App;
let url: string;
const seen: Array<{ user: string; text: string }> = [];

beforeAll(async () => {
  slack = await SlackEmulator.start();
  app = createHttpSlackApp(
    { botToken: slack.botToken, signingSecret: slack.signingSecret, apiUrl: slack.apiUrl, retries: 0, port: 0 },
    createLogger('silent'),
  );
  app.command('/dbupdate', async ({ command, ack }) => {
    seen.push({ user: command.user_id, text: command.text });
    await ack({ response_type: 'ephemeral', text: `got: ${command.text}` });
  });
  await app.init();
  const server = (await app.start()) as Server;
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}${SLACK_EVENTS_PATH}`;
});

afterAll(async () => {
  slack?.setHttpEndpoint(undefined);
  await app?.stop();
  await slack?.stop();
});

beforeEach(() => {
  seen.length = 0;
});

function commandBody(text: string): string {
  return new URLSearchParams({
    token: 'legacy-verification-token',
    team_id: 'T_EMU',
    team_domain: 'emulated',
    channel_id: 'C_DBOPS',
    channel_name: 'db-ops',
    user_id: 'U_ALICE',
    user_name: 'alice',
    command: '/dbupdate',
    text,
    api_app_id: 'A_DBUPDATE',
    response_url: `${slack.apiUrl.replace(/api\/$/, '')}response/none`,
    trigger_id: '1.2.3',
  }).toString();
}

async function post(body: string, headers: Record<string, string>): Promise<{ status: number; text: string }> {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers }, body });
  return { status: res.status, text: await res.text() };
}

const now = () => Math.floor(Date.now() / 1000);

describe('HTTP mode with signature verification', () => {
  it('serves a correctly signed request: 200, the handler ran, the ack is the body', async () => {
    const body = commandBody('help');
    const res = await post(body, slack.signRequest(body));
    expect(res.status).toBe(200);
    expect(JSON.parse(res.text)).toMatchObject({ text: 'got: help' });
    expect(seen).toEqual([{ user: 'U_ALICE', text: 'help' }]);
  });

  it('refuses a forged signature (another secret) with 401 and runs nothing', async () => {
    const body = commandBody('mysql orders 8.4');
    const ts = now();
    const forged = `v0=${createHmac('sha256', 'not-the-secret').update(`v0:${ts}:${body}`).digest('hex')}`;
    const res = await post(body, { 'x-slack-signature': forged, 'x-slack-request-timestamp': String(ts) });
    expect(res.status).toBe(401);
    expect(seen).toEqual([]);
  });

  it('refuses a body changed after signing with 401', async () => {
    const body = commandBody('help');
    const res = await post(commandBody('mysql orders 9.0'), slack.signRequest(body));
    expect(res.status).toBe(401);
    expect(seen).toEqual([]);
  });

  it('refuses a stale timestamp (> 5 minutes old), even correctly signed, with 401', async () => {
    const body = commandBody('help');
    const res = await post(body, slack.signRequest(body, now() - 5 * 60 - 30));
    expect(res.status).toBe(401);
    expect(seen).toEqual([]);
  });

  it('refuses a timestamp more than 5 minutes in the future, even correctly signed, with 401', async () => {
    const body = commandBody('help');
    const res = await post(body, slack.signRequest(body, now() + 5 * 60 + 30));
    expect(res.status).toBe(401);
    expect(seen).toEqual([]);
  });

  it('serves a timestamp a little ahead (a clock 1 minute fast is within the 5 minutes)', async () => {
    const body = commandBody('help');
    const res = await post(body, slack.signRequest(body, now() + 60));
    expect(res.status).toBe(200);
    expect(seen).toEqual([{ user: 'U_ALICE', text: 'help' }]);
  });

  it('refuses a missing signature header with 401', async () => {
    const body = commandBody('help');
    const { 'x-slack-request-timestamp': ts } = slack.signRequest(body);
    const res = await post(body, { 'x-slack-request-timestamp': ts });
    expect(res.status).toBe(401);
    expect(seen).toEqual([]);
  });

  it('refuses a missing timestamp header with 401', async () => {
    const body = commandBody('help');
    const { 'x-slack-signature': sig } = slack.signRequest(body);
    const res = await post(body, { 'x-slack-signature': sig });
    expect(res.status).toBe(401);
    expect(seen).toEqual([]);
  });

  it('refuses an unsigned request with 401', async () => {
    const res = await post(commandBody('help'), {});
    expect(res.status).toBe(401);
    expect(seen).toEqual([]);
  });

  it('serves the Slack emulator delivering over HTTP (setHttpEndpoint + typeCommand)', async () => {
    slack.setHttpEndpoint(url);
    try {
      const r = await slack.typeCommand({ user: 'U_BOB', channel: 'C_DBOPS', text: 'status orders' });
      expect(r.ackPayload).toMatchObject({ text: 'got: status orders' });
      expect(seen).toEqual([{ user: 'U_BOB', text: 'status orders' }]);
      const shown = slack.messages('C_DBOPS').filter((m) => m.ephemeralTo === 'U_BOB');
      expect(shown.map((m) => m.text)).toContain('got: status orders');
    } finally {
      slack.setHttpEndpoint(undefined);
    }
  });
});
