/**
 * Every Slack path as safe as the request path (issue #21 item 7): the findings of the issue, each as a
 * probe driving the real Bolt app over the Slack emulator (Socket Mode, Slack's documented payloads:
 * `slash_commands`, `shortcut`, `view_submission` with `response_action: "errors"`/`"update"`,
 * `app_home_opened`) and the real Kubernetes client against the cluster emulator, with its fault
 * injection standing in for RBAC refusals (a 403 with the real server's Status message).
 *
 * Policy: only alice may request, bob and carol approve; dave has no part in any request and may not
 * request, so he may not see any.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startWorld, USERS, CHANNEL, type World } from '../sim/world.js';
import { approve, pollUntil, request, settle } from '../sim/script.js';
import type { ViewValues } from '../sim/slack/payloads.js';
import { blocksToLines } from '../sim/slack/blocks.js';
import { SHORTCUT_REQUEST, VIEW_REQUEST } from '../src/slack/render-forms.js';
import { UNTRUSTED_REPLY } from '../src/slack/identity.js';
import { answersOf } from './support/answers.js';

/** What the real API server says to a service account without the grant (the leak the issue found). */
const FORBIDDEN = 'databaseupdates.dbupdate.dev "x" is forbidden: User "system:serviceaccount:dbupdate:dbupdate" cannot get resource "databaseupdates" in API group "dbupdate.dev" in the namespace "dbupdate"';
const GENERIC = /an error on the bot's side, reference `[0-9a-f]{8}` in its log/;
const RAW = /system:serviceaccount|forbidden|cannot get|HTTP 403/i;

let w: World;
beforeAll(async () => {
  w = await startWorld({ sim: { podReadyDelayMs: 15, stepDelayMs: 15 }, config: { requesters: { users: [USERS.requester], groups: [], channels: [] } } });
});
afterAll(async () => {
  await w?.stop();
});

async function openForm(user: string) {
  const before = w.slack.openViews().length;
  await w.slack.triggerShortcut({ user, callbackId: SHORTCUT_REQUEST });
  return w.slack.waitFor(() => w.slack.openViews().slice(before).find((v) => v.user === user && v.view.callback_id === VIEW_REQUEST), { what: 'the request modal' });
}

function values(v: { engine?: string; database?: string; version?: string; channel?: string }): ViewValues {
  return {
    engine: { engine: { type: 'static_select', selected_option: v.engine ? { text: { type: 'plain_text', text: v.engine, emoji: true }, value: v.engine } : null } },
    database: { database: { type: 'plain_text_input', value: v.database ?? null } },
    version: { version: { type: 'plain_text_input', value: v.version ?? null } },
    channel: { channel: { type: 'channels_select', selected_channel: v.channel ?? null } },
    reason: { reason: { type: 'plain_text_input', value: null } },
    at: { at: { type: 'plain_text_input', value: null } },
  };
}

const formText = (ack: unknown) => blocksToLines(((ack as { view?: { blocks?: unknown[] } }).view?.blocks ?? [])).join('\n');
const recordsFor = async (db: string) => (await w.bot.records.list()).filter((r) => r.spec.database.name === db);
async function cancelAll(): Promise<void> {
  for (const r of await w.bot.records.list()) {
    if (['Pending', 'Approved', 'Scheduled'].includes(r.status?.phase ?? 'Pending')) await w.bot.records.mutateStatus(r.metadata.name, (st) => void (st.phase = 'Cancelled'));
  }
}

describe('a Kubernetes error reaches the user as the generic answer with a log reference, never raw', () => {
  for (const verb of ['resume', 'retry'] as const) {
    it(`/dbupdate ${verb} against a 403`, async () => {
      w.cluster.server.faults.add({ verb: 'get', pathIncludes: '/databaseupdates/', status: 403, message: FORBIDDEN });
      const cmd = await w.slack.typeCommand({ user: USERS.requester, channel: CHANNEL, text: `${verb} orders-1a2b3c4d` });
      const [text] = await pollUntil(async () => answersOf(cmd).length > 0 && answersOf(cmd), 10_000, () => 'the answer');
      expect(text).toMatch(GENERIC);
      expect(text).not.toMatch(RAW);
      w.cluster.server.faults.clear();
    });
  }

  it('the request form against a 403: answered in the form, generically; nothing recorded', async () => {
    const v = await openForm(USERS.requester);
    w.cluster.server.faults.add({ verb: 'get', pathIncludes: '/mysqls/orders', status: 403, message: FORBIDDEN.replace(/databaseupdates/g, 'mysqls'), times: 20 });
    const res = await w.slack.submitView({ user: USERS.requester, viewId: v.id, values: values({ engine: 'mysql', database: 'orders', version: '8.0.36', channel: CHANNEL }) });
    w.cluster.server.faults.clear();
    const text = formText(res.ackPayload);
    expect(text).toMatch(GENERIC);
    expect(text).not.toMatch(RAW);
    expect(w.slack.messages(CHANNEL).filter((m) => m.ephemeralTo === USERS.requester && RAW.test(m.text))).toEqual([]);
    expect(await recordsFor('orders')).toEqual([]);
  });
});

describe('the request form: a bad or unreachable channel is a field error, nothing written', () => {
  for (const [what, channel] of [
    ['a channel that does not exist (C_NOPE)', 'C_NOPE'],
    ['a mention instead of a channel id (<!channel>)', '<!channel>'],
    ['300 characters', 'C'.repeat(300)],
  ] as const) {
    it(what, async () => {
      const v = await openForm(USERS.requester);
      const res = await w.slack.submitView({ user: USERS.requester, viewId: v.id, values: values({ engine: 'mysql', database: 'orders', version: '8.0.36', channel }) });
      expect(res.ackPayload).toMatchObject({ response_action: 'errors', errors: { channel: expect.any(String) } });
      expect(Object.keys((res.ackPayload as { errors: object }).errors)).toEqual(['channel']);
      expect(w.slack.openViews().some((o) => o.id === v.id)).toBe(true); // the form stays open
      expect(await recordsFor('orders')).toEqual([]);
    });
  }

  it('a channel the bot is not in (Slack answers not_in_channel): the field error says to invite it', async () => {
    const v = await openForm(USERS.requester);
    w.slack.faults.add({ method: 'conversations.history', kind: 'error', error: 'not_in_channel', times: 1 });
    const res = await w.slack.submitView({ user: USERS.requester, viewId: v.id, values: values({ engine: 'mysql', database: 'orders', version: '8.0.36', channel: CHANNEL }) });
    expect(res.ackPayload).toMatchObject({ response_action: 'errors', errors: { channel: expect.stringContaining('/invite @dbupdate') } });
    expect(await recordsFor('orders')).toEqual([]);
  });
});

describe("the request form's view_submission is bound to this app, this workspace and a view the bot opened", () => {
  /** A `view_submission` payload as Slack documents it (https://api.slack.com/reference/interaction-payloads/views), from an open view, with `over` applied. */
  function submission(view: Record<string, unknown>, user: string, over: { team?: string; view?: Record<string, unknown> } = {}) {
    const team = over.team ?? 'T_EMU';
    return {
      type: 'view_submission',
      team: { id: team, domain: 'emulated' },
      user: { id: user, username: user, name: user, team_id: team },
      api_app_id: 'A_DBUPDATE',
      token: 'ignored-in-socket-mode',
      trigger_id: '1.2.abc',
      view: { ...view, ...over.view, state: { values: values({ engine: 'mysql', database: 'orders', version: '8.0.36', channel: CHANNEL }) } },
      response_urls: [],
      is_enterprise_install: false,
      enterprise: null,
    };
  }
  async function refused(payload: Record<string, unknown>): Promise<void> {
    const res = await w.slack.sendEnvelope('interactive', payload, true);
    expect(res.ackPayload).toMatchObject({ response_action: 'errors', errors: { engine: UNTRUSTED_REPLY } });
    await new Promise((r) => setTimeout(r, 300)); // nothing is written late either
    expect(await recordsFor('orders')).toEqual([]);
  }

  it('a forged view (an id the bot never opened, no metadata of the bot) creates nothing', async () => {
    const v = await openForm(USERS.requester);
    await refused(submission(v.view, USERS.requester, { view: { id: 'V0FORGED01', private_metadata: '' } }));
  });

  it("a forged view carrying tampered metadata (another user's name in it) creates nothing", async () => {
    const v = await openForm(USERS.requester);
    const meta = JSON.parse(String(v.view.private_metadata)) as Record<string, unknown>;
    await refused(submission(v.view, USERS.approver, { view: { id: 'V0FORGED02', private_metadata: JSON.stringify({ ...meta, u: USERS.approver }) } }));
  });

  it("another user submitting alice's form creates nothing", async () => {
    const v = await openForm(USERS.requester);
    await refused(submission(v.view, USERS.approver));
  });

  it('a submission from a foreign team creates nothing', async () => {
    const v = await openForm(USERS.requester);
    await refused(submission(v.view, USERS.requester, { team: 'T_FOREIGN' }));
  });

  it('the genuine form, submitted twice (a Slack retry), is one request', async () => {
    const v = await openForm(USERS.requester);
    const payload = submission(v.view, USERS.requester);
    // A person fills the form in for seconds: the submission does not come within the shortcut's burst
    // (src/slack/ack.ts answers in the ack only for an envelope after a quiet moment, FollowUpQueue.quietMs).
    await new Promise((r) => setTimeout(r, 50));
    const [a, b] = [await w.slack.sendEnvelope('interactive', payload, true), await w.slack.sendEnvelope('interactive', payload, true)];
    expect(formText(a.ackPayload)).toMatch(/Request `orders-[0-9a-f]{8}` recorded/);
    expect(formText(b.ackPayload)).toMatch(/Request `orders-[0-9a-f]{8}` is recorded/);
    expect(await recordsFor('orders')).toHaveLength(1);
    await cancelAll();
  });
});

describe('resume and retry keep hidden requests hidden', () => {
  it('dave, who may not see a request, gets the very answer of a request that does not exist', async () => {
    const { record } = await request(w.slack, w.bot.records, USERS.requester, CHANNEL, 'perconaxtradb inventory 8.4.3');
    const id = record.metadata.name;
    for (const verb of ['resume', 'retry']) {
      const hidden = answersOf(await w.slack.typeCommand({ user: USERS.outsider, channel: CHANNEL, text: `${verb} ${id}` }));
      const missing = answersOf(await w.slack.typeCommand({ user: USERS.outsider, channel: CHANNEL, text: `${verb} inventory-00000000` }));
      expect(hidden).toHaveLength(1);
      expect(hidden[0].replace(id, '<id>')).toBe(missing[0].replace('inventory-00000000', '<id>'));
      expect(hidden[0]).not.toContain(USERS.requester);
      expect(hidden[0]).not.toContain(USERS.approver);
    }
    // list and status hide it too, and the requester still sees it
    expect(answersOf(await w.slack.typeCommand({ user: USERS.requester, channel: CHANNEL, text: `retry ${id}` }))[0]).toContain('Only a Failed request can be retried');
    await cancelAll();
  });
});

describe('resume, retry and the form write their intent before the ack and answer in it', () => {
  it('the form: acked with the answer once the record exists', async () => {
    const v = await openForm(USERS.requester);
    const res = await w.slack.submitView({ user: USERS.requester, viewId: v.id, values: values({ engine: 'mysql', database: 'orders', version: '8.0.36', channel: CHANNEL }) });
    const name = /`(orders-[0-9a-f]{8})`/.exec(formText(res.ackPayload))?.[1];
    expect(name).toBeDefined();
    expect(await w.bot.records.get(name!)).toBeDefined(); // written when the ack went out
    await cancelAll();
  });

  it('resume: the intent is on the record when the ack carrying the answer goes out; retry: the new record exists', async () => {
    w.cluster.sim.faults.failOpsAt('images');
    const { record, parent } = await request(w.slack, w.bot.records, USERS.requester, CHANNEL, 'perconaxtradb inventory 8.4.3');
    await approve(w.slack, CHANNEL, parent, USERS.approver);
    const failed = await settle(w.bot.records, record.metadata.name);
    w.cluster.sim.faults.clear();
    expect(failed.status?.phase).toBe('Failed');
    // Each command comes apart from the previous envelope, as a person types them: the ack carries the
    // answer only for an envelope after a quiet moment (src/slack/ack.ts; within a burst it says it follows).
    const apart = () => new Promise((r) => setTimeout(r, 50));
    // retry while the database is still paused is refused, in the ack
    await apart();
    const early = await w.slack.typeCommand({ user: USERS.requester, channel: CHANNEL, text: `retry ${record.metadata.name}` });
    expect(String((early.ackPayload as { text?: string }).text)).toContain('still paused');
    await apart();
    const resume = await w.slack.typeCommand({ user: USERS.approver, channel: CHANNEL, text: `resume ${record.metadata.name}` });
    expect(String((resume.ackPayload as { text?: string }).text)).toContain('Resume of PerconaXtraDB `demo/inventory` requested');
    expect((await w.bot.records.get(record.metadata.name))?.status?.resume?.requestedBy).toBe(USERS.approver);
    await pollUntil(async () => (await w.bot.records.get(record.metadata.name))?.status?.resume?.state === 'Succeeded' || undefined, 20_000, () => 'the resume');
    const before = new Set((await w.bot.records.list()).map((r) => r.metadata.name));
    await apart();
    const retry = await w.slack.typeCommand({ user: USERS.requester, channel: CHANNEL, text: `retry ${record.metadata.name}` });
    const name = /`(inventory-[0-9a-f]{8})`/.exec(String((retry.ackPayload as { text?: string }).text))?.[1];
    expect(name && !before.has(name)).toBe(true);
    expect((await w.bot.records.get(name!))?.spec.retryOf).toBe(record.metadata.name);
    expect(retry.responses()).toEqual([]);
    await cancelAll();
  }, 60_000);
});

describe('a shortcut whose trigger expired, and a Home tab whose list failed, tell the user', () => {
  it('the shortcut: views.open answers expired_trigger_id, the user gets a direct message saying to pick it again', async () => {
    w.slack.faults.add({ method: 'views.open', kind: 'error', error: 'expired_trigger_id', times: 1 });
    await w.slack.triggerShortcut({ user: USERS.requester, callbackId: SHORTCUT_REQUEST });
    const dm = await w.slack.waitFor(() => w.slack.messages('D_ALICE').find((m) => /shortcut had expired/.test(m.text)), { what: 'the direct message' });
    expect(dm.text).toContain('pick *Request a database update* again');
  });

  it('the Home tab: the list answers 403, the tab says what failed with a log reference', async () => {
    w.cluster.server.faults.add({ verb: 'list', pathIncludes: '/databaseupdates', status: 403, message: FORBIDDEN });
    await w.slack.openAppHome({ user: USERS.approver });
    const view = await w.slack.waitFor(() => w.slack.homeView(USERS.approver), { what: 'the Home view' });
    const lines = blocksToLines((view as { blocks: unknown[] }).blocks).join('\n');
    expect(lines).toMatch(/Could not read the requests \(an error on the bot's side, reference `[0-9a-f]{8}` in its log\)/);
    expect(lines).not.toMatch(RAW);
    w.cluster.server.faults.clear();
  });
});
