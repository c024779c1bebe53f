/**
 * What goes wrong: a failing OpsRequest, and bad input of every kind — each with a clear reply and
 * nothing created in the cluster.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startWorld, USERS, CHANNEL, type World } from '../sim/world.js';
import { approve, request, settle, rejectWithReason, pollUntil } from '../sim/script.js';
import { listOpsRequests } from '../src/kube/kubedb.js';
import { ENGINES, findEngine } from '../src/engines/table.js';
import { ACTION_APPROVE } from '../src/slack/render.js';

let w: World;

beforeAll(async () => {
  w = await startWorld({ sim: { podReadyDelayMs: 15, stepDelayMs: 15 } });
});
afterAll(async () => {
  await w?.stop();
});
beforeEach(() => {
  w.cluster.sim.faults.clear();
});

/** Count of OpsRequests of all engines and of records: what "nothing created" is measured by. */
async function footprint(): Promise<{ records: number; ops: number }> {
  let ops = 0;
  for (const e of ENGINES) {
    for (const ns of ['demo', 'billing']) {
      try {
        ops += (await listOpsRequests(w.cluster.kube, e, ns)).length;
      } catch {
        /* engine without ops CRD */
      }
    }
  }
  return { records: (await w.bot.records.list()).length, ops };
}

/** Type a command and return the ephemeral replies alice sees for it. */
async function ask(text: string, user: string = USERS.requester): Promise<string> {
  const before = w.slack.messages(CHANNEL).filter((m) => m.ephemeralTo === user).length;
  await w.slack.typeCommand({ user, channel: CHANNEL, text });
  const replies = await w.slack.waitFor(
    () => {
      const eph = w.slack.messages(CHANNEL).filter((m) => m.ephemeralTo === user).slice(before);
      // the final reply: a refusal (:warning:) or a result; the ack's "Checking…" is not final
      return eph.some((m) => !m.text.startsWith(':mag:')) ? eph : undefined;
    },
    { timeoutMs: 10_000, what: `a reply to "/dbupdate ${text}"` },
  );
  return replies.map((m) => m.text).join('\n');
}

describe('a failing update', () => {
  it('posts the failing step with KubeDB reason, the database state and what to do next', async () => {
    w.cluster.sim.faults.failOpsAt('images');
    const { record, parent } = await request(w.slack, w.bot.records, USERS.requester, CHANNEL, 'perconaxtradb inventory 8.4.3');
    await approve(w.slack, CHANNEL, parent, USERS.approver);
    const done = await settle(w.bot.records, record.metadata.name);
    expect(done.status?.phase).toBe('Failed');
    const failed = done.status?.steps?.find((s) => s.state === 'Failed');
    expect(failed?.name).toBe('images');
    expect(failed?.reason).toBeTruthy();
    const lines = w.slack.replies(CHANNEL, parent.ts).map((m) => m.text);
    const failPost = lines.find((l) => /Updating images failed/.test(l));
    expect(failPost).toContain(failed!.reason!);
    const summary = lines.find((l) => /Update failed/.test(l))!;
    expect(summary).toMatch(/still paused/);
    expect(summary).toMatch(/kubectl dba resume perconaxtradb -n demo inventory/);
    expect(summary).toMatch(/kubectl describe perconaxtradbopsrequests/);
    expect(lines.some((l) => /Checks passed|Resumed/.test(l))).toBe(false);
    const parentNow = w.slack.message(CHANNEL, parent.ts)!;
    expect(JSON.stringify(parentNow.blocks)).toContain('Failed');
  });
});

describe('bad input gets a clear reply and changes nothing', () => {
  const cases: Array<[string, string, RegExp]> = [
    ['unknown engine', 'oracle orders 19', /Unknown engine|not a supported engine|oracle/i],
    ['malformed name', 'mysql Orders_DB 8.4', /not a valid/i],
    ['missing database', 'mysql nosuchdb 8.4', /was not found/],
    ['database not Ready', 'mysql legacy 8.4', /not `Ready`/],
    ['unknown version', 'mysql orders 7.1', /7\.1/],
    ['deprecated version', 'mysql orders 8.0.32', /deprecated/i],
    ['version not allowed by updateConstraints', 'mysql orders 9.4', /not allow|constraint|allowed/i],
    ['downgrade', 'mysql orders 5.7', /downgrade/i],
    ['same version', 'mysql orders 8.0.35', /already|same|no-op/i],
  ];
  for (const [what, text, expected] of cases) {
    it(`${what}: /dbupdate ${text}`, async () => {
      const before = await footprint();
      const reply = await ask(text);
      expect(reply).toMatch(expected);
      expect(reply).toMatch(/:warning:/);
      expect(await footprint()).toEqual(before);
    });
  }

  it('a second request while one is in flight is refused', async () => {
    const { record, parent } = await request(w.slack, w.bot.records, USERS.requester, CHANNEL, 'proxysql gateway 2.7');
    const before = await footprint();
    const reply = await ask('proxysql gateway 2.7');
    expect(reply).toMatch(/already has an update in flight/);
    expect(reply).toContain(record.metadata.name);
    expect(await footprint()).toEqual(before);
    await rejectWithReason(w.slack, CHANNEL, parent, USERS.approver, 'testing in-flight refusal');
    const done = await settle(w.bot.records, record.metadata.name);
    expect(done.status?.phase).toBe('Rejected');
    expect(done.status?.rejection?.reason).toBe('testing in-flight refusal');
  });

  it('self-approval and approval by a non-approver are refused, ephemerally, and change nothing', async () => {
    const { record, parent } = await request(w.slack, w.bot.records, USERS.approver2, CHANNEL, 'mysql orders 8.0.36');
    const value = record.metadata.name;
    for (const [user, why] of [[USERS.approver2, /own request/], [USERS.outsider, /not an approver/]] as const) {
      await w.slack.clickButton({ user, channel: CHANNEL, messageTs: parent.ts, actionId: ACTION_APPROVE, value });
      const eph = await w.slack.waitFor(
        () => w.slack.messages(CHANNEL).find((m) => m.ephemeralTo === user && why.test(m.text)),
        { timeoutMs: 5000, what: `an ephemeral refusal for ${user}` },
      );
      expect(eph.text).toMatch(/:warning:/);
    }
    const fresh = await w.bot.records.get(record.metadata.name);
    expect(fresh?.status?.phase ?? 'Pending').toBe('Pending');
    expect(fresh?.status?.approvals ?? []).toEqual([]);
    // clean up: cancel by the requester
    const reply = await ask(`cancel ${record.metadata.name}`, USERS.approver2);
    expect(reply).toMatch(/cancelled/);
    const done = await pollUntil(async () => {
      const r = await w.bot.records.get(record.metadata.name);
      return r?.status?.phase === 'Cancelled' && r.status.slack?.posted?.includes('cancelled') ? r : undefined;
    }, 5000, () => 'the cancel to be posted');
    expect(done.status?.cancellation?.user).toBe(USERS.approver2);
    // the notifier edits the parent after the thread post it just recorded: wait for that edit
    const parentNow = await w.slack.waitFor(() => {
      const m = w.slack.message(CHANNEL, parent.ts)!;
      return !JSON.stringify(m.blocks).includes(ACTION_APPROVE) && m;
    }, { timeoutMs: 5000, what: 'the parent message without buttons' });
    expect(JSON.stringify(parentNow.blocks)).not.toContain(ACTION_APPROVE);
  });

  it('a database changed by someone else between request and approval is not touched', async () => {
    const { record, parent } = await request(w.slack, w.bot.records, USERS.requester, CHANNEL, 'proxysql gateway 2.7');
    const proxysql = findEngine('proxysql')!;
    w.cluster.store.patch({ group: proxysql.group, version: proxysql.version, plural: proxysql.plural }, 'demo', 'gateway', { spec: { version: '2.7.3-debian' } }, 'application/merge-patch+json');
    const before = await footprint();
    await approve(w.slack, CHANNEL, parent, USERS.approver);
    const done = await settle(w.bot.records, record.metadata.name);
    expect(done.status?.phase).toBe('Failed');
    expect(done.status?.message).toMatch(/now runs `2\.7\.3-debian`.*nothing was changed/);
    expect((await footprint()).ops).toBe(before.ops);
  });

  it('help and an empty command answer with usage', async () => {
    const reply = await ask('help');
    expect(reply).toMatch(/\/dbupdate/);
    for (const e of ENGINES) expect(reply).toContain(e.name);
    expect(findEngine('pg')?.kind).toBe('Postgres');
  });
});
