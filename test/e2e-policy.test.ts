/**
 * Policy end to end: approver groups resolved through `usergroups.users.list`, extra approvals for a
 * major update ("1 of 2 approvals"), who may request, maintenance windows (Approved → Scheduled), and
 * the bot served in HTTP mode with signed requests.
 */
import { createServer } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startWorld, startEmbeddedCluster, worldConfig, USERS, CHANNEL, type World, type EmbeddedCluster } from '../sim/world.js';
import { approve, request, settle, pollUntil } from '../sim/script.js';
import { listOpsRequests } from '../src/kube/kubedb.js';
import { findEngine } from '../src/engines/table.js';
import { SlackEmulator } from '../sim/slack/server.js';
import { startBot, type Bot } from '../src/bot.js';
import { createLogger } from '../src/log.js';

const POLICY = {
  approvers: [],
  approverGroups: ['S_DBA'], // bob and carol in the emulator
  approvalsRequired: 1,
  majorExtraApprovals: 1,
  rules: [
    { name: 'proxies', match: { engine: 'proxysql' }, requesters: { users: [USERS.approver2], groups: [], channels: [] } },
    { name: 'billing-window', match: { namespace: 'billing' }, windows: [{ cron: '0 2 29 2 *', duration: '4h', timezone: 'UTC' }] }, // Feb 29: never open while the suite runs
  ],
};

async function ephemeral(w: { slack: SlackEmulator }, user: string, re: RegExp): Promise<string> {
  const m = await w.slack.waitFor(() => w.slack.messages(CHANNEL).find((x) => x.ephemeralTo === user && re.test(x.text)), { timeoutMs: 5000, what: `reply ${re}` });
  return m.text;
}

describe('policy through the real flow', () => {
  let w: World;
  beforeAll(async () => {
    w = await startWorld({ sim: { podReadyDelayMs: 15, stepDelayMs: 15 }, config: POLICY });
  });
  afterAll(async () => {
    await w?.stop();
  });

  it('a major update needs one more approval: "1 of 2 approvals", then the second approver starts it', async () => {
    const { record, parent } = await request(w.slack, w.bot.records, USERS.requester, CHANNEL, 'mysql orders 8.4');
    expect(record.spec.updateType).toBe('major');
    expect(record.spec.approvalsRequired).toBe(2);
    expect(record.spec.approvers.sort()).toEqual([USERS.approver, USERS.approver2].sort());
    expect(JSON.stringify(parent.blocks)).toContain('0 of 2 approvals');
    expect(JSON.stringify(parent.blocks)).toContain('<!subteam^S_DBA>');
    await approve(w.slack, CHANNEL, parent, USERS.approver);
    await w.slack.waitFor(() => JSON.stringify(w.slack.message(CHANNEL, parent.ts)?.blocks).includes('1 of 2 approvals') || undefined, { timeoutMs: 5000, what: '1 of 2' });
    const ops = async () => (await listOpsRequests(w.cluster.kube, findEngine('mysql')!, 'demo')).filter((o) => o.metadata.labels?.['dbupdate.dev/record'] === record.metadata.name);
    expect(await ops()).toHaveLength(0);
    await approve(w.slack, CHANNEL, parent, USERS.approver2);
    const done = await settle(w.bot.records, record.metadata.name);
    expect(done.status?.phase).toBe('Succeeded');
    expect(await ops()).toHaveLength(1);
    const lines = w.slack.replies(CHANNEL, parent.ts).map((m) => m.text);
    expect(lines.some((l) => /approved \(1 of 2 approvals\)/.test(l))).toBe(true);
    expect(lines.some((l) => /approved \(2 of 2 approvals\)/.test(l))).toBe(true);
  });

  it('only the users a rule names may request: others are refused and nothing is created', async () => {
    const before = (await w.bot.records.list()).length;
    await w.slack.typeCommand({ user: USERS.requester, channel: CHANNEL, text: 'proxysql gateway 2.7' });
    const text = await ephemeral(w, USERS.requester, /:warning:/);
    expect(text).toMatch(/may not request|not allowed|only/i);
    expect((await w.bot.records.list()).length).toBe(before);
  });

  it('list shows only requests the asker has a part in or could have made', async () => {
    // alice may not request proxysql (only carol may): carol's proxysql request is hidden from alice, shown to carol
    const { record } = await request(w.slack, w.bot.records, USERS.approver2, CHANNEL, 'proxysql gateway 2.7');
    await w.slack.typeCommand({ user: USERS.requester, channel: CHANNEL, text: 'list' });
    const forAlice = await ephemeral(w, USERS.requester, /in flight/);
    expect(forAlice).not.toContain(record.metadata.name);
    await w.slack.typeCommand({ user: USERS.approver2, channel: CHANNEL, text: 'list' });
    const forCarol = await ephemeral(w, USERS.approver2, /in flight/);
    expect(forCarol).toContain(record.metadata.name);
    await w.slack.typeCommand({ user: USERS.approver2, channel: CHANNEL, text: `cancel ${record.metadata.name}` });
    await ephemeral(w, USERS.approver2, /cancelled/);
  });

  it('approved outside the maintenance window: waits as Scheduled with the opening time, no OpsRequest yet', async () => {
    const { record, parent } = await request(w.slack, w.bot.records, USERS.requester, CHANNEL, 'postgres billing/ledger 16');
    await approve(w.slack, CHANNEL, parent, USERS.approver);
    await approve(w.slack, CHANNEL, parent, USERS.approver2);
    const scheduled = await settle(w.bot.records, record.metadata.name, 10_000, ['Scheduled']);
    const at = new Date(scheduled.status!.scheduledFor!);
    expect([at.getUTCMonth(), at.getUTCDate(), at.getUTCHours()]).toEqual([1, 29, 2]);
    expect(at.getTime()).toBeGreaterThan(Date.now());
    const msg = JSON.stringify(w.slack.message(CHANNEL, parent.ts)?.blocks);
    expect(msg).toContain('Scheduled');
    expect(msg).toContain(' 02:00 UTC');
    await pollUntil(async () => w.slack.replies(CHANNEL, parent.ts).some((m) => /maintenance window/.test(m.text)), 5000, () => 'the scheduled post');
    expect((await listOpsRequests(w.cluster.kube, findEngine('postgres')!, 'billing')).length).toBe(0);
    // cancel it so the database is free again
    await w.slack.typeCommand({ user: USERS.requester, channel: CHANNEL, text: `cancel ${record.metadata.name}` });
    await ephemeral(w, USERS.requester, /cancelled/);
  });

  it('--at outside every window is refused with the next opening', async () => {
    await w.slack.typeCommand({ user: USERS.requester, channel: CHANNEL, text: 'postgres billing/ledger 16 --at "2030-01-01T12:00Z"' });
    const text = await ephemeral(w, USERS.requester, /window/);
    expect(text).toMatch(/:warning:/);
  });
});

describe('HTTP mode (signed requests on /slack/events)', () => {
  let cluster: EmbeddedCluster;
  let slack: SlackEmulator;
  let bot: Bot;
  beforeAll(async () => {
    cluster = await startEmbeddedCluster({ podReadyDelayMs: 15, stepDelayMs: 15 });
    slack = await SlackEmulator.start({ channels: [{ id: CHANNEL, name: 'db-ops' }] });
    const port = await new Promise<number>((resolve) => {
      const s = createServer().listen(0, '127.0.0.1', () => {
        const p = (s.address() as { port: number }).port;
        s.close(() => resolve(p));
      });
    });
    bot = await startBot({
      kube: cluster.botKube,
      config: worldConfig(),
      log: createLogger('silent'),
      slack: { botToken: slack.botToken, signingSecret: slack.signingSecret, port, apiUrl: slack.apiUrl, retries: 2 },
    });
    slack.setHttpEndpoint(`http://127.0.0.1:${port}/slack/events`);
  });
  afterAll(async () => {
    await bot?.stop();
    await slack?.stop();
    await cluster?.stop();
  });

  it('a request and its approval over HTTP run the update to the end', async () => {
    const { record, parent } = await request(slack, bot.records, USERS.requester, CHANNEL, 'perconaxtradb inventory 8.4.3');
    await approve(slack, CHANNEL, parent, USERS.approver);
    const done = await settle(bot.records, record.metadata.name);
    expect(done.status?.phase).toBe('Succeeded');
  });
});
