/**
 * End to end through the real Bolt app (Socket Mode) and the real Kubernetes client, against the
 * embedded Slack and cluster emulators with simulated KubeDB Ops Manager.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startWorld, USERS, CHANNEL, type World } from '../sim/world.js';
import { approve, request, settle } from '../sim/script.js';
import { getDatabase, listOpsRequests } from '../src/kube/kubedb.js';
import { findEngine } from '../src/engines/table.js';
import { DEMO_SCENARIOS } from '../sim/scenarios.js';

let w: World;

beforeAll(async () => {
  w = await startWorld({ sim: { podReadyDelayMs: 15, stepDelayMs: 15 } });
});
afterAll(async () => {
  await w?.stop();
});

/** The thread's replies as plain text, in order. */
function thread(ts: string): string[] {
  return w.slack.replies(CHANNEL, ts).map((m) => m.text);
}

/** Index of the first reply matching `re`, asserting it exists. */
function at(lines: string[], re: RegExp): number {
  const i = lines.findIndex((l) => re.test(l));
  expect(i, `thread has a reply matching ${re}:\n${lines.join('\n')}`).toBeGreaterThanOrEqual(0);
  return i;
}

const STEPS = [/Paused/, /Images updated/, /Checks passed/, /Resumed/];

async function runUpdate(text: string, engineWord: string, namespace: string, name: string, expectTarget: RegExp) {
  const { record, parent } = await request(w.slack, w.bot.records, USERS.requester, CHANNEL, text);
  expect(record.spec.targetVersion).toMatch(expectTarget);
  await approve(w.slack, CHANNEL, parent, USERS.approver);
  const done = await settle(w.bot.records, record.metadata.name);
  expect(done.status?.phase).toBe('Succeeded');
  const engine = findEngine(engineWord)!;
  const db = await getDatabase(w.cluster.kube, engine, namespace, name);
  expect(db?.spec.version).toBe(record.spec.targetVersion);
  const lines = thread(parent.ts);
  const idx = STEPS.map((re) => at(lines, re));
  expect([...idx].sort((a, b) => a - b)).toEqual(idx);
  for (const re of [...STEPS, /Done/]) expect(lines.filter((l) => re.test(l))).toHaveLength(1);
  expect(at(lines, /Done/)).toBeGreaterThan(idx[3]);
  const final = w.slack.message(CHANNEL, parent.ts)!;
  expect(JSON.stringify(final.blocks)).toContain('Succeeded');
  expect(JSON.stringify(final.blocks)).not.toContain('dbupdate_approve');
  const ops = await listOpsRequests(w.cluster.kube, engine, namespace);
  const mine = ops.filter((o) => o.metadata.labels?.['dbupdate.dev/record'] === record.metadata.name);
  expect(mine).toHaveLength(1);
  expect(mine[0].spec.type).toBe('UpdateVersion');
  expect(mine[0].spec.updateVersion?.targetVersion).toBe(record.spec.targetVersion);
  return { record: done, lines };
}

describe('/dbupdate end to end on the ops-request backend', () => {
  for (const key of ['postgres', 'perconaxtradb', 'proxysql']) {
    const sc = DEMO_SCENARIOS[key];
    it(`${sc.command}: ends on the resolved version with every step in order`, async () => {
      const { record, lines } = await runUpdate(sc.command, sc.engine, sc.namespace, sc.name, sc.target);
      if (key === 'postgres') {
        expect(record.spec.updateType).toBe('major');
        const pre = at(lines, /Pre-update done/);
        expect(pre).toBeGreaterThan(at(lines, /Paused/));
        expect(pre).toBeLessThan(at(lines, /Images updated/));
      } else {
        expect(lines.some((l) => /Pre-update/.test(l))).toBe(false);
      }
    });
  }

  it('mysql orders 8.4: typed by alice, approved by bob, ends on 8.4.x with every step in the thread', async () => {
    const { record } = await runUpdate('mysql orders 8.4', 'mysql', 'demo', 'orders', /^8\.4\.\d+/);
    expect(record.spec.requester).toBe(USERS.requester);
    expect(record.status?.approvals?.map((v) => v.user)).toEqual([USERS.approver]);
  });
});
