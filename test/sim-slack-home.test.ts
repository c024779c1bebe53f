/**
 * The Slack emulator's shortcut, App Home and `views.publish` pieces, driven by a real `@slack/bolt`
 * App in Socket Mode and the real WebClient: what Bolt receives must be Slack's documented payloads
 * (https://api.slack.com/reference/interaction-payloads/shortcuts, https://api.slack.com/events/app_home_opened,
 * https://api.slack.com/methods/views.publish), and bad calls get Slack's errors.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { App, LogLevel, webApi } from '@slack/bolt';
import { SlackEmulator } from '../sim/slack/server.js';

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

async function setup(): Promise<{ emu: SlackEmulator; app: App; seen: { shortcuts: unknown[]; events: unknown[]; bodies: unknown[] } }> {
  const emu = await SlackEmulator.start();
  cleanups.push(() => emu.stop());
  const app = new App({ token: emu.botToken, appToken: emu.appToken, socketMode: true, clientOptions: { slackApiUrl: emu.apiUrl, retryConfig: { retries: 0 } }, logLevel: LogLevel.ERROR });
  const seen = { shortcuts: [] as unknown[], events: [] as unknown[], bodies: [] as unknown[] };
  app.shortcut('open_form', async ({ ack, shortcut, client }) => {
    await ack();
    seen.shortcuts.push(shortcut);
    await client.views.open({ trigger_id: shortcut.trigger_id, view: { type: 'modal', callback_id: 'form', title: { type: 'plain_text', text: 'Form' }, blocks: [{ type: 'input', block_id: 'b', label: { type: 'plain_text', text: 'L' }, element: { type: 'plain_text_input', action_id: 'a' } }] } });
  });
  app.event('app_home_opened', async ({ event, body, client }) => {
    seen.events.push(event);
    seen.bodies.push(body);
    await client.views.publish({ user_id: event.user, view: { type: 'home', blocks: [{ type: 'section', text: { type: 'mrkdwn', text: `hello <@${event.user}>` } }] } });
  });
  await app.start();
  cleanups.push(async () => {
    await app.stop();
  });
  return { emu, app, seen };
}

describe('Slack emulator: global shortcut, App Home, views.publish', () => {
  it('a global shortcut reaches app.shortcut as Slack documents it, and its trigger_id opens a modal', async () => {
    const { emu, seen } = await setup();
    await emu.triggerShortcut({ user: 'U_ALICE', callbackId: 'open_form' });
    const view = await emu.waitFor(() => emu.openViews()[0], { what: 'the modal' });
    expect(view.user).toBe('U_ALICE');
    const s = seen.shortcuts[0] as Record<string, unknown>;
    expect(s).toMatchObject({ type: 'shortcut', callback_id: 'open_form', user: { id: 'U_ALICE', username: 'alice' }, team: { id: 'T_EMU' }, is_enterprise_install: false });
    expect(typeof s.trigger_id).toBe('string');
    expect(typeof s.action_ts).toBe('string');
    expect(s).not.toHaveProperty('channel'); // a global shortcut has no channel
  });

  it('app_home_opened arrives as an event_callback; views.publish sets the Home view; reopening carries it', async () => {
    const { emu, seen } = await setup();
    await emu.openAppHome({ user: 'U_BOB' });
    const home = await emu.waitFor(() => emu.homeView('U_BOB'), { what: 'the Home view' });
    expect(home).toMatchObject({ type: 'home', blocks: [{ type: 'section', text: { text: 'hello <@U_BOB>' } }] });
    expect(seen.events[0]).toMatchObject({ type: 'app_home_opened', user: 'U_BOB', tab: 'home' });
    expect((seen.events[0] as Record<string, unknown>).view).toBeUndefined(); // nothing published before
    expect(seen.bodies[0]).toMatchObject({ type: 'event_callback', team_id: 'T_EMU', api_app_id: 'A_DBUPDATE' });
    expect(String((seen.bodies[0] as Record<string, unknown>).event_id)).toMatch(/^Ev/);
    await emu.openAppHome({ user: 'U_BOB' });
    await emu.waitFor(() => seen.events.length === 2, { what: 'the second event' });
    expect((seen.events[1] as { view?: { id?: string } }).view?.id).toBe(home.id);
    expect(emu.homeView('U_ALICE')).toBeUndefined();
  });

  it('views.publish answers Slack\'s errors: unknown user, a modal view, a stale hash, invalid blocks', async () => {
    const emu = await SlackEmulator.start();
    cleanups.push(() => emu.stop());
    const client = new webApi.WebClient(emu.botToken, { slackApiUrl: emu.apiUrl, retryConfig: { retries: 0 } });
    const home = { type: 'home' as const, blocks: [{ type: 'section', text: { type: 'mrkdwn', text: 'x' } }] };
    await expect(client.views.publish({ user_id: 'U_NOBODY', view: home })).rejects.toMatchObject({ data: { error: 'user_not_found' } });
    await expect(client.views.publish({ user_id: 'U_BOB', view: { type: 'modal', title: { type: 'plain_text', text: 'T' }, blocks: [] } as never })).rejects.toMatchObject({ data: { error: 'invalid_arguments' } });
    await expect(client.views.publish({ user_id: 'U_BOB', view: { type: 'home', blocks: [{ type: 'bogus' }] } as never })).rejects.toMatchObject({ data: { error: 'invalid_arguments' } });
    const first = await client.views.publish({ user_id: 'U_BOB', view: home });
    await expect(client.views.publish({ user_id: 'U_BOB', view: home, hash: 'stale' })).rejects.toMatchObject({ data: { error: 'hash_conflict' } });
    const second = await client.views.publish({ user_id: 'U_BOB', view: home, hash: first.view!.hash! });
    expect(second.view?.id).toBe(first.view?.id);
    expect(second.view?.hash).not.toBe(first.view?.hash);
  });
});
