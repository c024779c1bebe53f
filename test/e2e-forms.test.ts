/**
 * The request form and the App Home tab end to end (issue #14): the real Bolt app over the Slack
 * emulator's Socket Mode (a global `shortcut` payload, `views.open`, `view_submission` with select and
 * input state values, an `app_home_opened` events_api envelope, `views.publish`) and the real Kubernetes
 * client against the cluster emulator with simulated KubeDB.
 *
 * Policy: only alice may request (so dave, who has no part in any request, sees none on his Home tab);
 * bob and carol approve.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startWorld, USERS, CHANNEL, type World } from '../sim/world.js';
import { buttonValue, pollUntil } from '../sim/script.js';
import type { ViewValues } from '../sim/slack/payloads.js';
import { ACTION_APPROVE } from '../src/slack/render.js';
import { SHORTCUT_REQUEST, VIEW_REQUEST } from '../src/slack/render-forms.js';
import { blocksToLines } from '../sim/slack/blocks.js';
import type { DatabaseUpdate } from '../src/api/v1alpha1/databaseupdate.js';

let w: World;

beforeAll(async () => {
  w = await startWorld({ sim: { podReadyDelayMs: 15, stepDelayMs: 15 }, config: { requesters: { users: [USERS.requester], groups: [], channels: [] } } });
});
afterAll(async () => {
  await w?.stop();
});

/** Pick the shortcut as `user` and wait for the request modal to open. */
async function openForm(user: string) {
  const before = w.slack.openViews().length;
  await w.slack.triggerShortcut({ user, callbackId: SHORTCUT_REQUEST });
  return w.slack.waitFor(() => w.slack.openViews().slice(before).find((v) => v.user === user && v.view.callback_id === VIEW_REQUEST), { what: 'the request modal' });
}

function values(v: { engine?: string; database?: string; version?: string; channel?: string; reason?: string; at?: string }): ViewValues {
  return {
    engine: { engine: { type: 'static_select', selected_option: v.engine ? { text: { type: 'plain_text', text: v.engine, emoji: true }, value: v.engine } : null } },
    database: { database: { type: 'plain_text_input', value: v.database ?? null } },
    version: { version: { type: 'plain_text_input', value: v.version ?? null } },
    channel: { channel: { type: 'channels_select', selected_channel: v.channel ?? null } },
    reason: { reason: { type: 'plain_text_input', value: v.reason ?? null } },
    at: { at: { type: 'plain_text_input', value: v.at ?? null } },
  };
}

function homeLines(user: string): string[] {
  const view = w.slack.homeView(user) as { blocks?: unknown[] } | undefined;
  return view ? blocksToLines(view.blocks ?? []) : [];
}

/** Open the Home tab as `user` and wait for a publish newer than the last one. */
async function openHome(user: string): Promise<string[]> {
  const prev = (w.slack.homeView(user) as { hash?: string } | undefined)?.hash;
  await w.slack.openAppHome({ user });
  await w.slack.waitFor(() => {
    const v = w.slack.homeView(user) as { hash?: string } | undefined;
    return v && v.hash !== prev;
  }, { what: `the Home tab of ${user} to be published` });
  return homeLines(user);
}

describe('shortcut → request modal → request', () => {
  let recorded: DatabaseUpdate;
  let answerText: string;

  it('the shortcut opens the form with engine, database, version, channel, reason and when', async () => {
    const v = await openForm(USERS.requester);
    const blocks = v.view.blocks as Array<{ block_id?: string; type: string; optional?: boolean; element?: { type: string } }>;
    const inputs = blocks.filter((b) => b.type === 'input').map((b) => [b.block_id, b.element?.type, b.optional ?? false]);
    expect(inputs).toEqual([
      ['engine', 'static_select', false],
      ['database', 'plain_text_input', false],
      ['version', 'plain_text_input', false],
      ['channel', 'channels_select', false],
      ['reason', 'plain_text_input', true],
      ['at', 'plain_text_input', true],
    ]);
  });

  it('bad fields come back as field errors, the modal stays open, nothing is recorded', async () => {
    const v = await openForm(USERS.requester);
    const before = (await w.bot.records.list()).length;
    const res = await w.slack.submitView({ user: USERS.requester, viewId: v.id, values: values({ engine: 'mysql', database: 'Orders_DB', version: 'latest' }) });
    expect(res.ackPayload).toMatchObject({ response_action: 'errors' });
    const errors = (res.ackPayload as { errors: Record<string, string> }).errors;
    expect(Object.keys(errors).sort()).toEqual(['channel', 'database', 'version']);
    expect(errors.database).toContain('Orders_DB is not a valid database name');
    expect(errors.database).toContain('e.g. orders-db');
    expect(errors.version).toContain('latest is not a valid version: it must start with a digit');
    expect(w.slack.openViews().some((o) => o.id === v.id)).toBe(true);
    expect((await w.bot.records.list()).length).toBe(before);
    // the same modal, corrected, goes through
    const before2 = new Set((await w.bot.records.list()).map((r) => r.metadata.name));
    const ok = await w.slack.submitView({ user: USERS.requester, viewId: v.id, values: values({ engine: 'mysql', database: 'demo/orders', version: '8.0.36', channel: CHANNEL, reason: 'CVE-2026-1234' }) });
    // written before the ack, and answered in it: the form is replaced with the answer
    expect(ok.ackPayload).toMatchObject({ response_action: 'update' });
    answerText = blocksToLines((ok.ackPayload as { view: { blocks: unknown[] } }).view.blocks).join('\n');
    recorded = await pollUntil(async () => (await w.bot.records.list()).find((r) => !before2.has(r.metadata.name) && r.status?.slack?.ts), 10_000, () => 'the request from the form to be recorded and posted');
  });

  it('the submission ran the slash command request path: preflight, approvers, parent message with buttons', async () => {
    expect(recorded.spec).toMatchObject({
      engine: 'MySQL',
      database: { cluster: 'sim', namespace: 'demo', name: 'orders' },
      requestedVersion: '8.0.36',
      targetVersion: '8.0.36',
      requester: USERS.requester,
      channel: CHANNEL,
      reason: 'CVE-2026-1234',
      approvers: [USERS.approver, USERS.approver2],
    });
    expect(recorded.status?.phase ?? 'Pending').toBe('Pending');
    const parent = w.slack.message(CHANNEL, recorded.status!.slack!.ts!)!;
    expect(buttonValue(parent, ACTION_APPROVE)).toBe(recorded.metadata.name);
    expect(answerText).toContain(`Request \`${recorded.metadata.name}\` recorded`);
    expect(answerText).toContain('8.0.35 → 8.0.36');
  });

  it('a request the policy refuses is answered in the form, nothing recorded', async () => {
    const v = await openForm(USERS.outsider);
    const before = (await w.bot.records.list()).length;
    const res = await w.slack.submitView({ user: USERS.outsider, viewId: v.id, values: values({ engine: 'postgres', database: 'billing/ledger', version: '15', channel: CHANNEL }) });
    expect(res.ackPayload).toMatchObject({ response_action: 'update' });
    const text = blocksToLines((res.ackPayload as { view: { blocks: unknown[] } }).view.blocks).join('\n');
    expect(text).toContain('You may not request');
    expect(text).toContain('Who may: <@U_ALICE>');
    expect((await w.bot.records.list()).length).toBe(before);
  });

  it('the Home tab lists the requests in flight each user may see', async () => {
    const alice = await openHome(USERS.requester);
    expect(alice[0]).toBe('# Database updates in flight');
    expect(alice.some((l) => l.includes(`\`${recorded.metadata.name}\``) && l.includes('*Pending*'))).toBe(true);
    const bob = await openHome(USERS.approver);
    expect(bob.some((l) => l.includes(`\`${recorded.metadata.name}\``))).toBe(true);
    // dave neither requested nor approves, and may not request: he sees nothing of it
    const dave = await openHome(USERS.outsider);
    expect(dave.some((l) => l.includes(recorded.metadata.name))).toBe(false);
    expect(dave).toContain('No update requests in flight. (`/dbupdate list --all` shows finished ones.)');
  });

  it('a finished request leaves the Home tab when it is opened again', async () => {
    await w.slack.typeCommand({ user: USERS.requester, channel: CHANNEL, text: `cancel ${recorded.metadata.name}` });
    await pollUntil(async () => (await w.bot.records.get(recorded.metadata.name))?.status?.phase === 'Cancelled', 10_000, () => 'the cancel');
    const alice = await openHome(USERS.requester);
    expect(alice.some((l) => l.includes(recorded.metadata.name))).toBe(false);
  });
});
