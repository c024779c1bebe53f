/**
 * The Slack emulator driven by the real `@slack/bolt` App in Socket Mode (and by the real WebClient):
 * commands, buttons, modals, response_url, ack deadline, faults, reconnects, errors and the transcript.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { App, LogLevel, SocketModeReceiver, verifySlackRequest, webApi, type types } from '@slack/bolt';
import { SlackEmulator, AckTimeoutError, type SlackEmulatorOptions } from '../sim/slack/server.js';
import { renderTranscript } from '../sim/slack/transcript.js';
import { validateBlocks } from '../sim/slack/blocks.js';
import type { SlackMessage, SlackUser } from '../sim/slack/store.js';

const CH = 'C_DBOPS';
const cleanups: Array<() => Promise<void>> = [];

afterEach(async () => {
  // apps first (their sockets would otherwise try to reconnect to a stopped emulator), then emulators
  while (cleanups.length) await cleanups.pop()!();
});

async function emulator(opts?: SlackEmulatorOptions): Promise<SlackEmulator> {
  const emu = await SlackEmulator.start(opts);
  cleanups.push(() => emu.stop());
  return emu;
}

function requestBlocks(text: string, value: string): types.KnownBlock[] {
  return [
    { type: 'header', text: { type: 'plain_text', text: 'Update request' } },
    { type: 'section', text: { type: 'mrkdwn', text } },
    {
      type: 'actions',
      block_id: 'decide',
      elements: [
        { type: 'button', action_id: 'approve', text: { type: 'plain_text', text: 'Approve' }, style: 'primary', value },
        { type: 'button', action_id: 'reject', text: { type: 'plain_text', text: 'Reject' }, style: 'danger', value },
      ],
    },
    { type: 'context', elements: [{ type: 'mrkdwn', text: 'approvers: <!subteam^S_DBA>' }] },
  ];
}

/** Seen by handlers, for assertions. */
interface Seen {
  commands: Array<Record<string, unknown>>;
  actions: Array<Record<string, unknown>>;
  views: Array<Record<string, unknown>>;
  retries: Array<number | undefined>;
}

/** Register the bot-like handlers used across tests. */
function wire(app: App, seen: Seen): void {
  app.command('/dbupdate', async ({ ack, command, client, respond, context }) => {
    await ack();
    seen.commands.push(command as unknown as Record<string, unknown>);
    seen.retries.push(context.retryNum);
    if (command.text === 'help') {
      await respond({ text: 'Usage: /dbupdate <db> <version>' });
      return;
    }
    await client.chat.postMessage({ channel: command.channel_id, text: `<@${command.user_id}> asks: ${command.text}`, blocks: requestBlocks(`<@${command.user_id}> asks: *${command.text}*`, 'req-1') });
  });
  app.command('/never-acks', async () => {
    /* forgets to ack */
  });
  app.action('approve', async ({ ack, body, client }) => {
    await ack();
    seen.actions.push(body as unknown as Record<string, unknown>);
    const b = body as unknown as { channel: { id: string }; message: { ts: string }; user: { id: string } };
    await client.chat.update({ channel: b.channel.id, ts: b.message.ts, text: `Approved by <@${b.user.id}>`, blocks: [{ type: 'section', text: { type: 'mrkdwn', text: `Approved by <@${b.user.id}>` } }] });
    await client.chat.postMessage({ channel: b.channel.id, thread_ts: b.message.ts, text: `Starting, approved by <@${b.user.id}>` });
  });
  app.action('reject', async ({ ack, body, client }) => {
    await ack();
    seen.actions.push(body as unknown as Record<string, unknown>);
    const b = body as unknown as { trigger_id: string; channel: { id: string }; message: { ts: string } };
    await client.views.open({
      trigger_id: b.trigger_id,
      view: {
        type: 'modal',
        callback_id: 'reject_modal',
        private_metadata: JSON.stringify({ channel: b.channel.id, ts: b.message.ts }),
        title: { type: 'plain_text', text: 'Reject' },
        submit: { type: 'plain_text', text: 'Reject' },
        blocks: [{ type: 'input', block_id: 'reason', label: { type: 'plain_text', text: 'Reason' }, element: { type: 'plain_text_input', action_id: 'reason_input' } }],
      },
    });
  });
  app.view('reject_modal', async ({ ack, view, client }) => {
    const reason = view.state.values.reason?.reason_input?.value ?? '';
    if (reason.length < 3) {
      await ack({ response_action: 'errors', errors: { reason: 'Say why, please' } });
      return;
    }
    await ack();
    seen.views.push(view as unknown as Record<string, unknown>);
    const meta = JSON.parse(view.private_metadata) as { channel: string; ts: string };
    await client.chat.postMessage({ channel: meta.channel, thread_ts: meta.ts, text: `Rejected: ${reason}` });
  });
}

/** Start a Socket Mode Bolt app against the emulator, the way `src/slack/app.ts` does. */
async function startApp(emu: SlackEmulator, o: { retries?: number; clientPingTimeout?: number } = {}): Promise<{ app: App; seen: Seen }> {
  const clientOptions = { slackApiUrl: emu.apiUrl, retryConfig: { retries: o.retries ?? 0, minTimeout: 10, maxTimeout: 50 } };
  const app =
    o.clientPingTimeout === undefined
      ? new App({ token: emu.botToken, appToken: emu.appToken, socketMode: true, clientOptions, logLevel: LogLevel.ERROR })
      : new App({
          token: emu.botToken,
          receiver: new SocketModeReceiver({ appToken: emu.appToken, clientPingTimeout: o.clientPingTimeout, installerOptions: { clientOptions }, logLevel: LogLevel.ERROR }),
          clientOptions,
          logLevel: LogLevel.ERROR,
        });
  const seen: Seen = { commands: [], actions: [], views: [], retries: [] };
  wire(app, seen);
  await app.start();
  cleanups.push(async () => {
    await app.stop();
  });
  return { app, seen };
}

function botMessages(emu: SlackEmulator): SlackMessage[] {
  return emu.messages(CH).filter((m) => m.bot_id && !m.ephemeralTo && !m.thread_ts);
}

describe('Slack emulator with the real Bolt app (Socket Mode)', () => {
  it('connects: auth.test with the bot token, apps.connections.open with the app token, then hello', async () => {
    const emu = await emulator();
    await startApp(emu);
    expect(emu.calls.map((c) => [c.method, c.ok])).toEqual([
      ['auth.test', true],
      ['apps.connections.open', true],
    ]);
    expect(emu.socketConnections()).toBe(1);
  });

  it('delivers a slash command, gets the ack, and stores the posted message with its button', async () => {
    const emu = await emulator();
    const { seen } = await startApp(emu);
    const r = await emu.typeCommand({ user: 'U_ALICE', channel: CH, text: 'mysql demo/orders 8.0.36' });
    expect(r.ackPayload).toEqual({});
    const cmd = seen.commands[0];
    expect(cmd).toMatchObject({ command: '/dbupdate', text: 'mysql demo/orders 8.0.36', user_id: 'U_ALICE', user_name: 'alice', channel_id: CH, channel_name: 'db-ops', team_id: 'T_EMU', api_app_id: 'A_DBUPDATE' });
    expect(String(cmd.response_url)).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/response\//);
    expect(cmd.trigger_id).toEqual(expect.any(String));
    const msg = await emu.waitFor(() => botMessages(emu)[0], { what: 'the request message' });
    expect(msg.ts).toMatch(/^\d{10}\.\d{6}$/);
    expect(msg.text).toContain('mysql demo/orders 8.0.36');
    const post = emu.calls.find((c) => c.method === 'chat.postMessage')!;
    expect(Array.isArray(post.params.blocks)).toBe(true); // sent form-encoded as a JSON string, decoded
    // Slack assigns block_ids to blocks sent without one; the given one is kept
    const blocks = msg.blocks as Array<{ block_id?: string }>;
    expect(blocks.every((b) => typeof b.block_id === 'string')).toBe(true);
    expect(blocks[2].block_id).toBe('decide');
  });

  it('clickButton sends block_actions built from the stored message; chat.update edits it and keeps history', async () => {
    const emu = await emulator();
    const { seen } = await startApp(emu);
    await emu.typeCommand({ user: 'U_ALICE', channel: CH, text: 'pg 16.4' });
    const parent = await emu.waitFor(() => botMessages(emu)[0], { what: 'request' });
    await emu.clickButton({ user: 'U_BOB', channel: CH, messageTs: parent.ts, actionId: 'approve' });
    const reply = await emu.waitFor(() => emu.replies(CH, parent.ts)[0], { what: 'thread reply' });
    expect(reply.text).toBe('Starting, approved by <@U_BOB>');
    const body = seen.actions[0];
    expect(body).toMatchObject({
      type: 'block_actions',
      user: { id: 'U_BOB', username: 'bob', name: 'bob', team_id: 'T_EMU' },
      api_app_id: 'A_DBUPDATE',
      container: { type: 'message', message_ts: parent.ts, channel_id: CH, is_ephemeral: false },
      channel: { id: CH, name: 'db-ops' },
      message: { ts: parent.ts, text: parent.text },
      actions: [{ action_id: 'approve', block_id: 'decide', value: 'req-1', type: 'button', text: { type: 'plain_text', text: 'Approve' } }],
    });
    const edited = emu.message(CH, parent.ts)!;
    expect(edited.text).toBe('Approved by <@U_BOB>');
    expect(edited.edited?.ts).toBeDefined();
    expect(edited.history).toHaveLength(1);
    expect(edited.history[0].text).toContain('pg 16.4');
    await expect(emu.clickButton({ user: 'U_BOB', channel: CH, messageTs: parent.ts, actionId: 'approve' })).rejects.toThrow(/action_id approve/);
  });

  it('opens a modal with the trigger_id and submits it; errors keep it open; the trigger is single-use', async () => {
    const emu = await emulator();
    const { seen } = await startApp(emu);
    await emu.typeCommand({ user: 'U_ALICE', channel: CH, text: 'mysql 8.4' });
    const parent = await emu.waitFor(() => botMessages(emu)[0], { what: 'request' });
    await emu.clickButton({ user: 'U_CAROL', channel: CH, messageTs: parent.ts, actionId: 'reject' });
    const v = await emu.waitFor(() => emu.openViews()[0], { what: 'modal' });
    expect(v.user).toBe('U_CAROL');
    expect(v.view).toMatchObject({ id: v.id, type: 'modal', callback_id: 'reject_modal', title: { text: 'Reject' } });

    const bad = await emu.submitView({ user: 'U_CAROL', viewId: v.id, values: { reason: { reason_input: { type: 'plain_text_input', value: 'no' } } } });
    expect(bad.ackPayload).toMatchObject({ response_action: 'errors', errors: { reason: 'Say why, please' } });
    expect(emu.openViews().map((x) => x.id)).toEqual([v.id]);

    await emu.submitView({ user: 'U_CAROL', viewId: v.id, values: { reason: { reason_input: { type: 'plain_text_input', value: 'maintenance freeze' } } } });
    expect(emu.openViews()).toEqual([]);
    const reply = await emu.waitFor(() => emu.replies(CH, parent.ts)[0], { what: 'rejection reply' });
    expect(reply.text).toBe('Rejected: maintenance freeze');
    expect(seen.views[0]).toMatchObject({ callback_id: 'reject_modal', private_metadata: JSON.stringify({ channel: CH, ts: parent.ts }) });

    const client = new webApi.WebClient(emu.botToken, { slackApiUrl: emu.apiUrl, retryConfig: { retries: 0 } });
    const view = { type: 'modal' as const, title: { type: 'plain_text' as const, text: 'x' }, blocks: [] };
    await expect(client.views.open({ trigger_id: v.triggerId, view })).rejects.toMatchObject({ data: { error: 'expired_trigger_id' } });
    await expect(client.views.open({ trigger_id: 'nope', view })).rejects.toMatchObject({ data: { error: 'invalid_trigger_id' } });
  });

  it('response_url: respond() lands as an ephemeral message visible to the typist', async () => {
    const emu = await emulator();
    await startApp(emu);
    const r = await emu.typeCommand({ user: 'U_DAVE', channel: CH, text: 'help' });
    const eph = await emu.waitFor(() => emu.messages(CH).find((m) => m.ephemeralTo === 'U_DAVE'), { what: 'ephemeral help' });
    expect(eph.text).toMatch(/^Usage/);
    expect(r.responses()).toEqual([{ text: 'Usage: /dbupdate <db> <version>' }]);
    const res = await fetch(`${emu.apiUrl.replace(/api\/$/, '')}response/unknown`, { method: 'POST', body: '{}', headers: { 'content-type': 'application/json' } });
    expect(res.status).toBe(404);
  });

  it('rejects typeCommand when the app never acks, and records the timeout', async () => {
    const emu = await emulator({ ackTimeoutMs: 300 });
    await startApp(emu);
    const t0 = Date.now();
    const err = await emu.typeCommand({ user: 'U_ALICE', channel: CH, text: 'x', command: '/never-acks' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AckTimeoutError);
    expect(String(err)).toMatch(/not acknowledged within 300 ms/);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(290);
    expect(emu.envelopes().at(-1)).toMatchObject({ timedOut: true, envelope: { type: 'slash_commands' } });
  });

  it('rejects at once when no socket client is connected', async () => {
    const emu = await emulator();
    await expect(emu.typeCommand({ user: 'U_ALICE', channel: CH, text: 'x' })).rejects.toThrow(/no Socket Mode client is connected/);
  });

  it('replays an envelope as a Slack retry: same envelope_id, retry_attempt+1, reason timeout', async () => {
    const emu = await emulator();
    const { seen } = await startApp(emu);
    const r = await emu.typeCommand({ user: 'U_ALICE', channel: CH, text: 'help' });
    await emu.replayEnvelope(r.envelopeId);
    expect(seen.retries).toEqual([0, 1]);
    await emu.waitFor(() => r.responses().length === 2, { what: 'both help responses' });
    const two = emu.envelopes().filter((d) => d.envelope.envelope_id === r.envelopeId);
    expect(two.map((d) => [d.envelope.retry_attempt, d.envelope.retry_reason])).toEqual([
      [0, ''],
      [1, 'timeout'],
    ]);
  });

  it('429 fault: the WebClient waits Retry-After, retries once, and the message lands once', async () => {
    const emu = await emulator();
    await startApp(emu, { retries: 1 });
    emu.faults.add({ method: 'chat.postMessage', kind: 'ratelimit', retryAfterSeconds: 1, times: 1 });
    await emu.typeCommand({ user: 'U_ALICE', channel: CH, text: 'redis 7.2' });
    await emu.waitFor(() => botMessages(emu)[0], { what: 'message after retry', timeoutMs: 5000 });
    const posts = emu.calls.filter((c) => c.method === 'chat.postMessage');
    expect(posts.map((c) => [c.status, c.ok, c.error])).toEqual([
      [429, false, 'ratelimited'],
      [200, true, undefined],
    ]);
    expect(posts[1].at - posts[0].at).toBeGreaterThanOrEqual(950);
    expect(botMessages(emu)).toHaveLength(1);
  });

  it('per-channel rate limit answers 429 with Retry-After; http500 and error faults', async () => {
    const emu = await emulator();
    emu.setRateLimit({ postMessagePerChannelPerSecond: 1 });
    const client = new webApi.WebClient(emu.botToken, { slackApiUrl: emu.apiUrl, retryConfig: { retries: 0 }, rejectRateLimitedCalls: true });
    await client.chat.postMessage({ channel: CH, text: 'one' });
    await client.chat.postMessage({ channel: 'C_GENERAL', text: 'other channel is fine' });
    await expect(client.chat.postMessage({ channel: CH, text: 'two' })).rejects.toMatchObject({ code: 'slack_webapi_rate_limited_error', retryAfter: 1 });
    const raw = await fetch(`${emu.apiUrl}chat.postMessage`, { method: 'POST', headers: { authorization: `Bearer ${emu.botToken}`, 'content-type': 'application/json' }, body: JSON.stringify({ channel: CH, text: 'three' }) });
    expect(raw.status).toBe(429);
    expect(raw.headers.get('retry-after')).toBe('1');
    emu.setRateLimit({});
    emu.faults.add({ method: 'users.info', kind: 'http500', times: 1 });
    emu.faults.add({ method: '*', kind: 'error', error: 'fatal_error', times: 1 });
    await expect(client.users.info({ user: 'U_BOB' })).rejects.toMatchObject({ code: 'slack_webapi_http_error', statusCode: 500 });
    await expect(client.users.info({ user: 'U_BOB' })).rejects.toMatchObject({ data: { error: 'fatal_error' } });
    await expect(client.users.info({ user: 'U_BOB' })).resolves.toMatchObject({ user: { id: 'U_BOB', name: 'bob' } });
    expect(emu.faults.pending).toHaveLength(0);
  });

  it('disconnect message → the client reconnects and the next command works; so does a dropped TCP connection', async () => {
    const emu = await emulator();
    const { seen } = await startApp(emu, { clientPingTimeout: 1000 });
    emu.disconnectSockets();
    await emu.waitFor(() => emu.calls.filter((c) => c.method === 'apps.connections.open').length === 2 && emu.socketConnections() === 1, { what: 'reconnect after disconnect', timeoutMs: 8000 });
    await emu.typeCommand({ user: 'U_ALICE', channel: CH, text: 'help' });
    await emu.waitFor(() => emu.responsePosts.length === 1, { what: 'first help response' });
    emu.dropSockets();
    await emu.waitFor(() => emu.calls.filter((c) => c.method === 'apps.connections.open').length === 3 && emu.socketConnections() === 1, { what: 'reconnect after drop', timeoutMs: 8000 });
    await emu.typeCommand({ user: 'U_ALICE', channel: CH, text: 'help' });
    expect(seen.commands).toHaveLength(2);
    await emu.waitFor(() => emu.responsePosts.length === 2, { what: 'second help response' });
  });

  it('hands each envelope to one connection, round-robin across replicas', async () => {
    const emu = await emulator();
    const a = await startApp(emu);
    const b = await startApp(emu);
    expect(emu.socketConnections()).toBe(2);
    for (let i = 0; i < 4; i++) await emu.typeCommand({ user: 'U_ALICE', channel: CH, text: 'help' });
    expect([a.seen.commands.length, b.seen.commands.length]).toEqual([2, 2]);
    expect(new Set(emu.envelopes().map((d) => d.connection)).size).toBe(2);
    await emu.waitFor(() => emu.messages(CH).filter((m) => m.ephemeralTo === 'U_ALICE').length === 4, { what: 'four help responses' });
  });
});

describe('Slack emulator delivering over HTTP (signed requests)', () => {
  it('drives a Bolt app in HTTP mode: command, button, modal; ack bodies are the ack payloads', async () => {
    const emu = await emulator();
    const app = new App({ token: emu.botToken, signingSecret: emu.signingSecret, clientOptions: { slackApiUrl: emu.apiUrl, retryConfig: { retries: 0 } }, logLevel: LogLevel.ERROR });
    const seen: Seen = { commands: [], actions: [], views: [], retries: [] };
    wire(app, seen);
    app.command('/ack-text', async ({ ack }) => {
      await ack({ text: 'Got it' });
    });
    const server = (await app.start(0)) as unknown as import('node:http').Server;
    cleanups.push(async () => {
      await app.stop();
    });
    const port = (server.address() as import('node:net').AddressInfo).port;
    emu.setHttpEndpoint(`http://127.0.0.1:${port}/slack/events`);

    await emu.typeCommand({ user: 'U_ALICE', channel: CH, text: 'mongo 7.0' });
    const parent = await emu.waitFor(() => botMessages(emu)[0], { what: 'request over HTTP' });
    await emu.clickButton({ user: 'U_BOB', channel: CH, messageTs: parent.ts, actionId: 'reject' });
    const v = await emu.waitFor(() => emu.openViews()[0], { what: 'modal over HTTP' });
    await emu.submitView({ user: 'U_BOB', viewId: v.id, values: { reason: { reason_input: { type: 'plain_text_input', value: 'not today' } } } });
    await emu.waitFor(() => emu.replies(CH, parent.ts)[0]?.text === 'Rejected: not today', { what: 'rejection reply' });
    const r = await emu.typeCommand({ user: 'U_DAVE', channel: CH, text: '', command: '/ack-text' });
    expect(r.ackPayload).toEqual({ text: 'Got it' });
    expect(emu.messages(CH).find((m) => m.ephemeralTo === 'U_DAVE')?.text).toBe('Got it');
    expect(seen.commands[0]).toMatchObject({ user_id: 'U_ALICE', text: 'mongo 7.0' });
    expect(emu.socketConnections()).toBe(0);
  });
});

describe('Slack emulator Web API errors and lookups', () => {
  it('auth errors, token types and unknown methods', async () => {
    const emu = await emulator();
    const opts = { slackApiUrl: emu.apiUrl, retryConfig: { retries: 0 } };
    await expect(new webApi.WebClient('xoxb-wrong', opts).auth.test()).rejects.toMatchObject({ data: { error: 'invalid_auth' } });
    await expect(new webApi.WebClient(emu.appToken, opts).auth.test()).rejects.toMatchObject({ data: { error: 'not_allowed_token_type' } });
    await expect(new webApi.WebClient(emu.botToken, opts).apps.connections.open()).rejects.toMatchObject({ data: { error: 'not_allowed_token_type' } });
    await expect(new webApi.WebClient(emu.botToken, opts).apiCall('dbupdate.frobnicate')).rejects.toMatchObject({ data: { error: 'unknown_method' } });
    const none = await fetch(`${emu.apiUrl}auth.test`, { method: 'POST' });
    expect(none.status).toBe(200);
    expect(await none.json()).toEqual({ ok: false, error: 'not_authed' });
    const viaParam = await fetch(`${emu.apiUrl}auth.test`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: `token=${emu.botToken}` });
    expect(await viaParam.json()).toMatchObject({ ok: true, user_id: 'U_DBUPDATE', bot_id: 'B_DBUPDATE', team_id: 'T_EMU' });
    expect(emu.calls.map((c) => c.error ?? 'ok')).toEqual(['invalid_auth', 'not_allowed_token_type', 'not_allowed_token_type', 'unknown_method', 'not_authed', 'ok']);
    expect(emu.calls.every((c) => !('token' in c.params))).toBe(true);
  });

  it('message errors: channel_not_found, no_text, invalid_blocks, message_not_found, cant_update_message, thread_not_found', async () => {
    const emu = await emulator();
    const c = new webApi.WebClient(emu.botToken, { slackApiUrl: emu.apiUrl, retryConfig: { retries: 0 } });
    const section = (text: string) => ({ type: 'section', text: { type: 'mrkdwn', text } });
    await expect(c.chat.postMessage({ channel: 'C_NOPE', text: 'x' })).rejects.toMatchObject({ data: { error: 'channel_not_found' } });
    await expect(c.chat.postMessage({ channel: CH } as never)).rejects.toMatchObject({ data: { error: 'no_text' } });
    await expect(c.chat.postMessage({ channel: CH, text: 'x', blocks: Array.from({ length: 51 }, () => section('a')) })).rejects.toMatchObject({ data: { error: 'invalid_blocks' } });
    const long = await c.chat.postMessage({ channel: CH, text: 'x', blocks: [section('a'.repeat(3001))] }).catch((e: { data: { error: string; response_metadata: { messages: string[] } } }) => e.data);
    expect(long).toMatchObject({ error: 'invalid_blocks', response_metadata: { messages: [expect.stringContaining('json-pointer:/blocks/0/text/text')] } });
    await expect(c.chat.update({ channel: CH, ts: '1.000001', text: 'x' })).rejects.toMatchObject({ data: { error: 'message_not_found' } });
    const human = emu.postAsUser({ user: 'U_ALICE', channel: CH, text: 'hi' });
    await expect(c.chat.update({ channel: CH, ts: human.ts, text: 'x' })).rejects.toMatchObject({ data: { error: 'cant_update_message' } });
    await expect(c.chat.postMessage({ channel: CH, text: 'r', thread_ts: '1.000001' })).rejects.toMatchObject({ data: { error: 'thread_not_found' } });
    const ok1 = await c.chat.postMessage({ channel: '#db-ops', text: 'by name' });
    const ok2 = await c.chat.postMessage({ channel: CH, text: 'second' });
    expect(ok1.channel).toBe(CH);
    expect(Number(ok2.ts)).toBeGreaterThan(Number(ok1.ts));
    expect(ok1.message).toMatchObject({ type: 'message', text: 'by name', bot_id: 'B_DBUPDATE', user: 'U_DBUPDATE' });
    const eph = await c.chat.postEphemeral({ channel: CH, user: 'U_BOB', text: 'psst' });
    expect(emu.message(CH, eph.message_ts!)).toMatchObject({ ephemeralTo: 'U_BOB', text: 'psst' });
  });

  it('users.info, conversations.info, usergroups.users.list and permalinks', async () => {
    const emu = await emulator({ channels: [{ id: 'C_X', name: 'extra' }] });
    const c = new webApi.WebClient(emu.botToken, { slackApiUrl: emu.apiUrl, retryConfig: { retries: 0 } });
    expect(emu.users().filter((u) => !u.is_bot).map((u) => `${u.id}:${u.name}`)).toEqual(['U_ALICE:alice', 'U_BOB:bob', 'U_CAROL:carol', 'U_DAVE:dave']);
    await expect(c.users.info({ user: 'U_CAROL' })).resolves.toMatchObject({ user: { id: 'U_CAROL', name: 'carol', real_name: 'Carol Chen', is_bot: false } });
    await expect(c.users.info({ user: 'U_NOBODY' })).rejects.toMatchObject({ data: { error: 'user_not_found' } });
    await expect(c.conversations.info({ channel: 'C_X' })).resolves.toMatchObject({ channel: { id: 'C_X', name: 'extra' } });
    await expect(c.conversations.info({ channel: 'C_NOPE' })).rejects.toMatchObject({ data: { error: 'channel_not_found' } });
    await expect(c.usergroups.users.list({ usergroup: 'S_DBA' })).resolves.toMatchObject({ users: ['U_BOB', 'U_CAROL'] });
    const p = await c.chat.postMessage({ channel: CH, text: 'x' });
    await expect(c.chat.getPermalink({ channel: CH, message_ts: p.ts! })).resolves.toMatchObject({ permalink: expect.stringContaining(`/archives/${CH}/p${p.ts!.replace('.', '')}`) });
  });

  it('signRequest produces a signature Bolt verifies', async () => {
    const emu = await emulator();
    const body = 'command=%2Fdbupdate&text=help';
    const h = emu.signRequest(body);
    expect(() => verifySlackRequest({ signingSecret: emu.signingSecret, body, headers: { 'x-slack-signature': h['x-slack-signature'], 'x-slack-request-timestamp': Number(h['x-slack-request-timestamp']) } })).not.toThrow();
    expect(() => verifySlackRequest({ signingSecret: 'other', body, headers: { 'x-slack-signature': h['x-slack-signature'], 'x-slack-request-timestamp': Number(h['x-slack-request-timestamp']) } })).toThrow();
  });

  it('waitFor rejects naming what it waited for, with a transcript snippet', async () => {
    const emu = await emulator();
    emu.postAsUser({ user: 'U_ALICE', channel: CH, text: 'anyone there?' });
    await expect(emu.waitFor(() => false, { timeoutMs: 100, what: 'a reply from the bot' })).rejects.toThrow(/a reply from the bot[\s\S]*alice:\n {2}anyone there\?/);
  });
});

describe('transcript', () => {
  it('renders a live conversation: command, blocks, buttons, edits, threads and ephemerals', async () => {
    const emu = await emulator();
    await startApp(emu);
    await emu.typeCommand({ user: 'U_ALICE', channel: CH, text: 'mysql 8.0.36' });
    const parent = await emu.waitFor(() => botMessages(emu)[0], { what: 'request' });
    const before = emu.transcript(CH);
    expect(before).toContain('alice: /dbupdate mysql 8.0.36   (slash command)');
    expect(before).toContain('# Update request');
    expect(before).toContain('[Approve] [Reject]');
    expect(before).toContain('(approvers: @dba)');
    expect(before).toContain('@alice asks: *mysql 8.0.36*');
    await emu.clickButton({ user: 'U_BOB', channel: CH, messageTs: parent.ts, actionId: 'approve' });
    await emu.waitFor(() => emu.replies(CH, parent.ts).length === 1, { what: 'reply' });
    await emu.typeCommand({ user: 'U_DAVE', channel: CH, text: 'help' });
    await emu.waitFor(() => emu.messages(CH).some((m) => m.ephemeralTo), { what: 'ephemeral' });
    const t = emu.transcript(CH);
    expect(t).not.toContain('[Approve]');
    expect(t).toContain('dbupdate [APP]: (edited)\n  Approved by @bob\n  └ thread (1 reply)\n      dbupdate [APP]:\n        Starting, approved by @bob');
    expect(t).toContain('dbupdate [APP]: (only visible to @dave)\n  Usage: /dbupdate <db> <version>');
  });

  it('renderTranscript is a pure function of the messages', () => {
    const users = new Map<string, SlackUser>([
      ['U_ALICE', { id: 'U_ALICE', name: 'alice', real_name: 'Alice' }],
      ['U_BOT', { id: 'U_BOT', name: 'bot', real_name: 'Bot', is_bot: true }],
    ]);
    const msg = (ts: string, extra: Partial<SlackMessage>): SlackMessage => ({ ts, channel: 'C', text: '', history: [], ...extra });
    const out = renderTranscript({
      channelName: 'ops',
      users,
      commands: [{ ts: '100.000001', channel: 'C', user: 'U_ALICE', command: '/do', text: 'it' }],
      messages: [
        msg('100.000002', { user: 'U_BOT', bot_id: 'B', text: 'fallback', blocks: [{ type: 'section', text: { type: 'mrkdwn', text: 'Hi <@U_ALICE>' }, accessory: { type: 'button', text: { type: 'plain_text', text: 'Go' } } }, { type: 'divider' }] }),
        msg('100.000004', { user: 'U_ALICE', text: 'thanks', thread_ts: '100.000002' }),
        msg('100.000003', { user: 'U_BOT', bot_id: 'B', text: 'only you', ephemeralTo: 'U_ALICE' }),
      ],
    });
    expect(out).toBe(
      ['#ops', 'alice: /do it   (slash command)', 'bot [APP]:', '  Hi @alice [Go]', '  ────', '  └ thread (1 reply)', '      alice:', '        thanks', 'bot [APP]: (only visible to @alice)', '  only you', ''].join('\n'),
    );
  });

  it('validateBlocks reports Slack-style errors', () => {
    expect(validateBlocks([{ type: 'section', text: { type: 'mrkdwn', text: 'ok' } }])).toEqual([]);
    expect(validateBlocks([{ type: 'bogus' }])).toEqual(['[ERROR] unsupported type: bogus [json-pointer:/blocks/0/type]']);
    expect(validateBlocks([{ type: 'actions', elements: [{ type: 'button', action_id: 'a', text: { type: 'plain_text', text: 'x' }, value: 'v'.repeat(2001) }] }])[0]).toMatch(/\/blocks\/0\/elements\/0\/value/);
  });
});
