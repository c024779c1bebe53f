/**
 * Durable requests: one pipeline per approved request whatever the duplicates (double clicks, Slack
 * retries of the same envelope, two replicas), the record as the audit trail (`kubectl get`), Events on
 * the database, status/list/cancel from the records, and expiry by the node-cron task.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startWorld, USERS, CHANNEL, type World } from '../sim/world.js';
import { approve, request, settle, buttonValue, pollUntil } from '../sim/script.js';
import { listOpsRequests } from '../src/kube/kubedb.js';
import { findEngine } from '../src/engines/table.js';
import { ACTION_APPROVE } from '../src/slack/render.js';
import type { Bot } from '../src/bot.js';

const KUBECTL = '/usr/bin/kubectl';
/** kubectl runs asynchronously: the emulator it talks to serves from this very process. */
const kubectl = async (args: string[]) => (await promisify(execFile)(KUBECTL, args, { encoding: 'utf8' })).stdout;

function replies(w: World, ts: string): string[] {
  return w.slack.replies(CHANNEL, ts).map((m) => m.text);
}

function expectEachOnce(lines: string[]) {
  for (const re of [/Paused/, /Images updated/, /Checks passed/, /Resumed/, /Done/]) {
    expect(lines.filter((l) => re.test(l)), `${re} once in:\n${lines.join('\n')}`).toHaveLength(1);
  }
}

async function ephemeralReply(w: World, user: string, text: string, match: RegExp): Promise<string> {
  await w.slack.typeCommand({ user, channel: CHANNEL, text });
  const m = await w.slack.waitFor(() => w.slack.messages(CHANNEL).find((x) => x.ephemeralTo === user && match.test(x.text)), {
    timeoutMs: 5000,
    what: `a reply matching ${match} to "${text}"`,
  });
  return m.text;
}

describe('one pipeline per approved request', () => {
  let w: World;
  let second: Bot;
  beforeAll(async () => {
    w = await startWorld({ sim: { podReadyDelayMs: 30, stepDelayMs: 30 } });
    second = await w.startBot(); // a second replica: Slack hands each envelope to one of the two sockets
  });
  afterAll(async () => {
    await w?.stop();
  });

  it('two replicas, Approve clicked twice and the click replayed as a Slack retry: one OpsRequest, each step once', async () => {
    expect([w.bot.isLeader(), second.isLeader()].filter(Boolean)).toHaveLength(1);
    const { record, parent } = await request(w.slack, w.bot.records, USERS.requester, CHANNEL, 'mysql orders 8.0.36');
    const value = buttonValue(parent, ACTION_APPROVE);
    const click = () => w.slack.clickButton({ user: USERS.approver, channel: CHANNEL, messageTs: parent.ts, actionId: ACTION_APPROVE, value });
    const [a] = await Promise.all([click(), click()]);
    await w.slack.replayEnvelope(a.envelopeId);
    const done = await settle(w.bot.records, record.metadata.name);
    expect(done.status?.phase).toBe('Succeeded');
    expect(done.status?.approvals).toHaveLength(1);
    const ops = (await listOpsRequests(w.cluster.kube, findEngine('mysql')!, 'demo')).filter(
      (o) => o.metadata.labels?.['dbupdate.dev/record'] === record.metadata.name,
    );
    expect(ops).toHaveLength(1);
    const lines = replies(w, parent.ts);
    expectEachOnce(lines);
    expect(lines.filter((l) => /approved/.test(l))).toHaveLength(1);
  });

  it('a replayed slash command (Slack retry of the same envelope) makes one request, not two', async () => {
    const before = (await w.bot.records.list()).length;
    const cmd = await w.slack.typeCommand({ user: USERS.requester, channel: CHANNEL, text: 'proxysql gateway 2.7' });
    await w.slack.replayEnvelope(cmd.envelopeId);
    await pollUntil(async () => (await w.bot.records.list()).length > before, 5000, () => 'a record');
    await new Promise((r) => setTimeout(r, 300));
    const created = (await w.bot.records.list()).filter((r) => r.spec.database.name === 'gateway' && r.status?.phase !== 'Succeeded');
    expect(created).toHaveLength(1);
    const text = await ephemeralReply(w, USERS.requester, `cancel ${created[0].metadata.name}`, /cancelled/);
    expect(text).toContain(created[0].metadata.name);
  });

  it('two people asking for the same database at the same instant: one request, the other is told it is in flight', async () => {
    const before = (await w.bot.records.list()).filter((r) => r.spec.database.name === 'inventory').length;
    await Promise.all([
      w.slack.typeCommand({ user: USERS.requester, channel: CHANNEL, text: 'perconaxtradb inventory 8.4.3' }),
      w.slack.typeCommand({ user: USERS.approver2, channel: CHANNEL, text: 'perconaxtradb inventory 8.4' }),
    ]);
    const refusal = await w.slack.waitFor(
      () => w.slack.messages(CHANNEL).find((m) => (m.ephemeralTo === USERS.requester || m.ephemeralTo === USERS.approver2) && /already has an update in flight/.test(m.text)),
      { timeoutMs: 5000, what: 'the in-flight refusal' },
    );
    expect(refusal.text).toMatch(/cancel inventory-/);
    await new Promise((r) => setTimeout(r, 300));
    const mine = (await w.bot.records.list()).filter((r) => r.spec.database.name === 'inventory');
    expect(mine.length - before).toBe(1);
    const winner = mine.find((r) => r.status?.phase !== 'Succeeded' && r.status?.phase !== 'Cancelled')!;
    const text = await ephemeralReply(w, winner.spec.requester, `cancel ${winner.metadata.name}`, new RegExp(`${winner.metadata.name}\` is cancelled`));
    expect(text).toContain(winner.metadata.name);
  });

  it('each step is an Event on the database object, and kubectl shows the history', async () => {
    const events = await w.cluster.kube.core.listNamespacedEvent({ namespace: 'demo' });
    const mine = events.items.filter((e) => e.involvedObject.kind === 'MySQL' && e.involvedObject.name === 'orders' && e.source?.component === 'dbupdate');
    const reasons = mine.map((e) => e.reason);
    for (const r of ['DBUpdatePaused', 'DBUpdateImages', 'DBUpdateChecks', 'DBUpdateResumed']) expect(reasons).toContain(r);

    const dir = mkdtempSync(join(tmpdir(), 'kc-'));
    const kubeconfig = join(dir, 'config');
    writeFileSync(kubeconfig, w.cluster.server.kubeconfigYaml());
    const out = await kubectl(['--kubeconfig', kubeconfig, 'get', 'dbupdates', '-A']);
    expect(out).toMatch(/NAMESPACE\s+NAME\s+ENGINE\s+DATABASE\s+FROM\s+TO\s+PHASE\s+REQUESTER\s+AGE/);
    expect(out).toMatch(/orders-\w+\s+MySQL\s+orders\s+8\.0\.35\s+8\.0\.36\s+Succeeded\s+U_ALICE/);
    expect(out).toMatch(/gateway-\w+\s+ProxySQL\s+gateway\s+2\.4\.4-debian\s+2\.7\.3-debian\s+Cancelled/);
    const describe = await kubectl(['--kubeconfig', kubeconfig, 'describe', 'mysqls.kubedb.com', '-n', 'demo', 'orders']);
    expect(describe).toMatch(/DBUpdatePaused/);
  });

  it('status and list answer from the records, ephemerally', async () => {
    const status = await ephemeralReply(w, USERS.outsider, 'status orders', /orders/);
    expect(status).toMatch(/8\.0\.35 → 8\.0\.36/);
    expect(status).toMatch(/Succeeded/);
    const list = await ephemeralReply(w, USERS.outsider, 'list --all', /request\(s\)/);
    expect(list).toMatch(/orders/);
    expect(list).toMatch(/gateway/);
    const active = await ephemeralReply(w, USERS.outsider, 'list', /in flight/);
    expect(active).toMatch(/No update requests in flight/);
  });

  it('versions lists what a database may move to, grouped by update type', async () => {
    const text = await ephemeralReply(w, USERS.outsider, 'versions postgres billing/ledger', /may be updated to/);
    expect(text).toMatch(/runs \*15\.8\*/);
    // KubeDB's real catalog: 15.8 allows `>= 15.8` (kubedb/installer 0c6e2459 postgres/postgres-15.8-official.yaml)
    expect(text).toMatch(/\*minor\*: .*`15\.17`/);
    expect(text).toMatch(/\*major\*: .*`16\.13`/);
    expect(text).toMatch(/\*major\*: .*`17\.9`/);
    expect(text).not.toMatch(/`15\.5`/); // a downgrade
    expect(text).not.toMatch(/bookworm/); // another baseOS
    expect(text).not.toMatch(/timescaledb/); // another distribution
    const catalog = await ephemeralReply(w, USERS.outsider, 'versions mysql', /MySQLVersion catalog/);
    expect(catalog).toMatch(/`8\.0\.32` \(deprecated\)/);
  });

  it('cancel is refused for someone who is neither requester nor approver, and for a running or finished request', async () => {
    const { record, parent } = await request(w.slack, w.bot.records, USERS.requester, CHANNEL, 'perconaxtradb inventory 8.4.3');
    const refused = await ephemeralReply(w, USERS.outsider, `cancel ${record.metadata.name}`, /Only the requester/);
    expect(refused).toMatch(/:warning:/);
    expect((await w.bot.records.get(record.metadata.name))?.status?.phase ?? 'Pending').toBe('Pending');
    await approve(w.slack, CHANNEL, parent, USERS.approver2);
    await settle(w.bot.records, record.metadata.name);
    const late = await ephemeralReply(w, USERS.requester, `cancel ${record.metadata.name}`, /already succeeded/);
    expect(late).toMatch(/nothing was changed/);
    const unknown = await ephemeralReply(w, USERS.requester, 'cancel no-such-request', /There is no request/);
    expect(unknown).toMatch(/list/);
  });
});

describe('expiry', () => {
  let w: World;
  beforeAll(async () => {
    w = await startWorld({ sim: { podReadyDelayMs: 15, stepDelayMs: 15 }, config: { requestTtl: '1s', expiryCheck: '* * * * * *' } });
  });
  afterAll(async () => {
    await w?.stop();
  });

  it('a pending request expires on the node-cron check: its message loses its buttons and says so', async () => {
    const { record, parent } = await request(w.slack, w.bot.records, USERS.requester, CHANNEL, 'mysql orders 8.0.36');
    expect(JSON.stringify(parent.blocks)).toContain(ACTION_APPROVE);
    const done = await settle(w.bot.records, record.metadata.name, 10_000);
    expect(done.status?.phase).toBe('Expired');
    const msg = w.slack.message(CHANNEL, parent.ts)!;
    expect(JSON.stringify(msg.blocks)).not.toContain(ACTION_APPROVE);
    expect(JSON.stringify(msg.blocks)).toContain('Expired');
    expect(replies(w, parent.ts).some((l) => /expired/.test(l))).toBe(true);
    expect((await w.bot.records.get(record.metadata.name))?.status?.phase).toBe('Expired');
  });
});
