/**
 * The record's life after an update, on the REAL kube-apiserver (issue #18 item 5), through the bot's own
 * service account under the real RBAC authorizer:
 * - resume and retry: an OpsRequest that fails at its images step leaves the database paused (KubeDB Ops
 *   Manager's `Paused` condition); an approver's `/dbupdate resume <id>` has the leader remove it (thread
 *   line, Event); a stranger may not retry; the requester's `/dbupdate retry <id>` makes a new Pending
 *   request linked to the failed one.
 * - retention: a finished record past `recordRetention` is deleted with its OpsRequest and its lock
 *   Lease; a pending one is kept with its lock.
 * The same scenarios on the emulator: test/e2e-recovery.test.ts and test/retention.test.ts.
 */
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRealWorld, type RealWorld } from '../sim/world-real.js';
import { approve, pollUntil, request, settle } from '../sim/script.js';
import { USERS, CHANNEL } from '../sim/world.js';
import { getDatabase, getOpsRequest } from '../src/kube/kubedb.js';
import { findEngine } from '../src/engines/table.js';
import { lockName } from '../src/kube/locks.js';
import { RecordStore } from '../src/updates/records.js';
import { ClusterSet } from '../src/kube/clusters.js';
import { sweepRetention } from '../src/updates/retention.js';
import { LABEL_RETRY_OF } from '../src/api/v1alpha1/databaseupdate.js';
import { answersOf } from './support/answers.js';

const DAY = 86_400_000;
let w: RealWorld;
const pxc = findEngine('perconaxtradb')!;
const mysql = findEngine('mysql')!;

beforeAll(async () => {
  w = await startRealWorld({ sim: { podReadyDelayMs: 15, stepDelayMs: 15 } });
}, 120_000);
afterAll(async () => {
  await w?.stop();
});

/** Type a command and wait for the bot's first answer (in the ack or on its response_url). */
async function answer(user: string, text: string): Promise<string> {
  const cmd = await w.slack.typeCommand({ user, channel: CHANNEL, text });
  return pollUntil(async () => answersOf(cmd)[0], 20_000, () => `an answer to "${text}"`);
}

describe('resume and retry on the real API server (ops-request backend)', () => {
  it("an approver resumes the pause Ops Manager left; a stranger cannot retry; the requester's retry is a new linked request", async () => {
    const demo = w.cluster.ns('demo');
    w.cluster.sim.faults.failOpsAt('images');
    const { record, parent } = await request(w.slack, w.bot.records, USERS.requester, CHANNEL, 'perconaxtradb inventory 8.4.3', 30_000);
    await approve(w.slack, CHANNEL, parent, USERS.approver);
    const failed = await settle(w.bot.records, record.metadata.name, 60_000);
    w.cluster.sim.faults.clear();
    expect(failed.status?.phase).toBe('Failed');
    const before = await getDatabase(w.cluster.kube, pxc, demo, 'inventory');
    expect((before?.status?.conditions ?? []).filter((c) => c.type === 'Paused').map((c) => c.reason)).toEqual(['Paused']);

    expect(await answer(USERS.approver, `resume ${record.metadata.name}`)).toContain('requested');
    const resumed = await pollUntil(async () => {
      const x = await w.bot.records.get(record.metadata.name);
      return x?.status?.resume?.state === 'Succeeded' && x.status.slack?.posted?.includes(`resume:${x.status.resume.at}`) ? x : undefined;
    }, 30_000, () => 'the resume to be done and posted');
    expect(resumed.status?.resume?.requestedBy).toBe(USERS.approver);
    const after = await getDatabase(w.cluster.kube, pxc, demo, 'inventory');
    expect((after?.status?.conditions ?? []).some((c) => c.type === 'Paused')).toBe(false);
    expect(w.slack.replies(CHANNEL, parent.ts).map((m) => m.text).find((l) => l.includes('*Resumed*'))).toContain('removed the `Paused` condition KubeDB Ops Manager left');
    const ev = await w.cluster.kube.core.listNamespacedEvent({ namespace: demo });
    expect(ev.items.filter((e) => e.reason === 'DBUpdateResumed' && e.involvedObject.name === 'inventory')).toHaveLength(1);

    const n = (await w.bot.records.list()).length;
    expect(await answer(USERS.outsider, `retry ${record.metadata.name}`)).toContain(`may retry request \`${record.metadata.name}\``);
    expect((await w.bot.records.list()).length).toBe(n);

    const known = new Set((await w.bot.records.list()).map((r) => r.metadata.name));
    await w.slack.typeCommand({ user: USERS.requester, channel: CHANNEL, text: `retry ${record.metadata.name}` });
    const fresh = await pollUntil(async () => (await w.bot.records.list()).find((r) => !known.has(r.metadata.name) && r.status?.slack?.ts), 20_000, () => 'the retry request');
    expect(fresh.status?.phase ?? 'Pending').toBe('Pending');
    expect(fresh.spec).toMatchObject({ retryOf: record.metadata.name, targetVersion: record.spec.targetVersion, requester: USERS.requester });
    expect(fresh.metadata.labels?.[LABEL_RETRY_OF]).toBe(record.metadata.name);
  }, 150_000);
});

describe('retention on the real API server', () => {
  it('deletes a finished record past the retention with its OpsRequest and lock, as the bot; keeps a pending one', async () => {
    const demo = w.cluster.ns('demo');
    const rec = w.cluster.recordsNamespace;
    const done = await request(w.slack, w.bot.records, USERS.requester, CHANNEL, 'mysql orders 8.4', 30_000);
    await approve(w.slack, CHANNEL, done.parent, USERS.approver);
    const finished = await settle(w.bot.records, done.record.metadata.name, 60_000);
    expect(finished.status?.phase).toBe('Succeeded');
    const ref = finished.status!.opsRequest!;
    const lock = lockName('real', demo, 'MySQL', 'orders');
    expect((await w.cluster.kube.coordination.readNamespacedLease({ name: lock, namespace: rec })).spec?.holderIdentity).toBe(finished.metadata.name);
    const pending = await request(w.slack, w.bot.records, USERS.requester, CHANNEL, `postgres ${w.cluster.ns('billing')}/ledger 16`, 30_000);

    // The bot's own service account: the real RBAC authorizer must allow each delete.
    const records = new RecordStore(w.cluster.botKube, rec);
    const clusters = new ClusterSet(w.cluster.botKube, []);
    const finishedAt = Date.parse(finished.status!.finishedAt!);
    const log = pino({ level: 'silent' });
    expect(await sweepRetention({ records, clusters, retentionMs: 30 * DAY, log, now: () => new Date(finishedAt + 29 * DAY) })).toEqual({ records: 0, opsRequests: 0, locks: 0, errors: 0 });
    // Every record finished by then goes (the resume/retry test above left finished ones too), each with
    // the OpsRequest it names; the pending request and its database lock stay.
    const finishedBefore = (await records.list()).filter((r) => r.status?.finishedAt && Date.parse(r.status.finishedAt) <= finishedAt);
    const swept = await sweepRetention({ records, clusters, retentionMs: 30 * DAY, log, now: () => new Date(finishedAt + 31 * DAY) });
    expect(swept).toMatchObject({ records: finishedBefore.length, opsRequests: finishedBefore.filter((r) => r.status?.opsRequest).length, errors: 0 });
    expect(swept.locks).toBeGreaterThanOrEqual(1);
    expect(await records.get(finished.metadata.name)).toBeUndefined();
    expect(await getOpsRequest(w.cluster.kube, mysql, ref.namespace, ref.name)).toBeUndefined();
    await expect(w.cluster.kube.coordination.readNamespacedLease({ name: lock, namespace: rec })).rejects.toMatchObject({ code: 404 });
    expect((await records.get(pending.record.metadata.name))?.status?.phase ?? 'Pending').toBe('Pending');
  }, 150_000);
});
