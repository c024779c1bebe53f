/**
 * The listener router (src/slack/listeners/router.ts) on a real Bolt app: envelopes built as Slack sends
 * them (the emulator's payload builders, sim/slack/payloads.ts) go through `App.processEvent`, and each
 * reaches exactly the listener Bolt's own `app.command`/`action`/`view`/`shortcut`/`event` would have
 * called, with Bolt's arguments; everything else passes on to Bolt's own listeners.
 */
import { App, LogLevel } from '@slack/bolt';
import { describe, expect, it } from 'vitest';
import { ListenerRouter, envelopeKey, routeFor } from '../src/slack/listeners/router.js';
import { appHomeOpenedEvent, blockActionsPayload, eventCallbackPayload, globalShortcutPayload, slashCommandPayload, viewSubmissionPayload, type PayloadContext } from '../sim/slack/payloads.js';

const ctx: PayloadContext = { team: { id: 'T0001', domain: 'acme' }, apiAppId: 'A0001', verificationToken: 'legacy' };
const user = { id: 'U0001', name: 'ana', real_name: 'Ana' };
const channel = { id: 'C0001', name: 'db-ops' };

const command = (name: string) => slashCommandPayload(ctx, { user, channel, command: name, text: 'help', responseUrl: 'https://hooks.slack.test/r/1', triggerId: 't1' });
const click = (actionId: string) =>
  blockActionsPayload(ctx, {
    user,
    channel,
    message: { ts: '1700000000.000100', channel: channel.id, text: 'x', blocks: [], history: [] },
    found: { element: { type: 'button', action_id: actionId, value: 'v' }, blockId: 'b1' },
    responseUrl: 'https://hooks.slack.test/r/2',
    triggerId: 't2',
    actionTs: '1700000001.000200',
  });
const submit = (callbackId: string) => viewSubmissionPayload(ctx, { user, view: { id: 'V1', type: 'modal', callback_id: callbackId, private_metadata: '', blocks: [] }, values: {}, triggerId: 't3' });
const shortcut = (callbackId: string) => globalShortcutPayload(ctx, { user, callbackId, triggerId: 't4', actionTs: '1700000002.000300' });
const event = (type: 'app_home_opened' | 'member_joined_channel') =>
  eventCallbackPayload(ctx, {
    event: type === 'app_home_opened' ? appHomeOpenedEvent({ user: user.id, channel: 'D0001', tab: 'home', eventTs: '1700000003.000400' }) : { type, user: user.id, channel: channel.id, event_ts: '1700000003.000500' },
    eventId: 'Ev1',
    eventTime: 1700000003,
    botUserId: 'U0BOT',
  });

/** A Bolt app (its receiver never started) with a router of one listener per kind, recording what ran. */
function rig() {
  const app = new App({ token: 'xoxb-test', botId: 'B0BOT', botUserId: 'U0BOT', signingSecret: 'secret', tokenVerificationEnabled: false, logLevel: LogLevel.ERROR });
  const seen: string[] = [];
  const router = new ListenerRouter();
  router.command('/dbupdate', async ({ command: c, ack, respond }) => {
    expect(typeof respond).toBe('function');
    seen.push(`command:${c.command}:${c.text}`);
    await ack();
  });
  router.action(/^vote_(approve|reject)$/, async ({ action, ack }) => {
    seen.push(`action:${action.action_id}:${action.value}`);
    await ack();
  });
  router.action('vote_approve', async () => void seen.push('shadowed'));
  router.view('reject_modal', async ({ view, ack }) => {
    seen.push(`view:${view.callback_id}`);
    await ack();
  });
  router.shortcut('request_update', async ({ shortcut: s, ack }) => {
    seen.push(`shortcut:${s.callback_id}`);
    await ack();
  });
  router.event('app_home_opened', async ({ event: e }) => void seen.push(`event:${e.type}:${e.tab}`));
  router.mount(app);
  // A Bolt listener registered beside the router still gets what the router does not take.
  app.command('/other', async ({ ack }) => {
    seen.push('bolt:/other');
    await ack();
  });
  let acks = 0;
  const send = (body: Record<string, unknown>) => app.processEvent({ body, ack: async () => void acks++ } as never);
  return { seen, send, acks: () => acks };
}

describe('listener router (one Bolt registration for every listener)', () => {
  it('hands each kind of envelope to the listener Bolt would have called, once', async () => {
    const r = rig();
    await r.send(command('/dbupdate'));
    await r.send(click('vote_approve'));
    await r.send(click('vote_reject'));
    await r.send(submit('reject_modal'));
    await r.send(shortcut('request_update'));
    await r.send(event('app_home_opened'));
    expect(r.seen).toEqual(['command:/dbupdate:help', 'action:vote_approve:v', 'action:vote_reject:v', 'view:reject_modal', 'shortcut:request_update', 'event:app_home_opened:home']);
    expect(r.acks()).toBe(6); // five listeners acked; Bolt acked the event itself
  });

  it('runs no listener of its own for an id nobody registered, and lets Bolt listeners have it', async () => {
    const r = rig();
    await r.send(command('/other'));
    await r.send(click('vote_approved')); // the registered pattern is anchored (Bolt tests a RegExp as given)
    await r.send(click('xvote_approve'));
    await r.send(submit('other_modal'));
    await r.send(shortcut('other_shortcut'));
    await r.send(event('member_joined_channel'));
    await r.send({ ...submit('reject_modal'), type: 'view_closed' }); // Bolt's app.view takes submissions only
    expect(r.seen).toEqual(['bolt:/other']);
  });

  it('keys envelopes as Bolt matches them, and nothing else', () => {
    expect(envelopeKey({ body: command('/dbupdate'), command: command('/dbupdate') })).toEqual({ kind: 'command', id: '/dbupdate' });
    const c = click('vote_approve');
    expect(envelopeKey({ body: c, action: (c.actions as Array<{ action_id?: unknown }>)[0] })).toEqual({ kind: 'action', id: 'vote_approve' });
    const messageShortcut = { ...shortcut('s'), type: 'message_action' };
    expect(envelopeKey({ body: messageShortcut, shortcut: messageShortcut as { callback_id?: unknown } })).toEqual({ kind: 'shortcut', id: 's' });
    expect(envelopeKey({ body: { type: 'block_suggestion', action_id: 'x' } })).toBeUndefined();
    expect(envelopeKey({ body: { type: 'interactive_message', callback_id: 'x' } })).toBeUndefined();
    expect(envelopeKey({ body: { type: 'block_actions' } })).toBeUndefined(); // no action: nothing to match on
  });

  it('picks the first listener registered for an id', async () => {
    const seen: string[] = [];
    const routes = [
      { id: 'a', listener: async (id: string) => void seen.push(`a:${id}`) },
      { id: /^b/, listener: async (id: string) => void seen.push(`b:${id}`) },
      { id: 'bb', listener: async (id: string) => void seen.push(`bb:${id}`) },
    ];
    await routeFor(routes, 'a')?.listener('a');
    await routeFor(routes, 'bb')?.listener('bb');
    expect(routeFor(routes, 'c')).toBeUndefined();
    expect(seen).toEqual(['a:a', 'b:bb']);
  });
});
