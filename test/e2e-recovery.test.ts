/**
 * Chat recovery end to end (issue #14): the real Bolt app over the Slack emulator's Socket Mode, the
 * real Kubernetes client (the bot's service account under deploy/rbac.yaml) against the cluster
 * emulator with simulated KubeDB without Ops Manager (direct backend).
 *
 * A direct update fails and cannot resume (the database's status subresource answers 500), so it ends
 * Failed with the database STILL PAUSED by the bot. Then: a stranger's `/dbupdate resume <id>` is refused
 * and changes nothing; the requester's removes the bot's `Paused` condition (done by the leader), posts
 * a thread line and an Event; `/dbupdate retry <id>` makes a new Pending record with approval buttons,
 * linked to the old one.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startWorld, USERS, CHANNEL, type World } from '../sim/world.js';
import { approve, pollUntil, request, settle } from '../sim/script.js';
import { getDatabase } from '../src/kube/kubedb.js';
import { findEngine } from '../src/engines/table.js';
import type { DirectState } from '../src/pipeline/direct-state.js';
import { LABEL_RETRY_OF, type DatabaseUpdate } from '../src/api/v1alpha1/databaseupdate.js';
import { ACTION_APPROVE } from '../src/slack/render.js';
import { RESUME_MAX_ATTEMPTS } from '../src/updates/resume.js';
import { buttonValue } from '../sim/script.js';
import { answersOf } from './support/answers.js';

let w: World;
const pxc = findEngine('perconaxtradb')!;
const mariadb = findEngine('mariadb')!;

beforeAll(async () => {
  w = await startWorld({ sim: { podReadyDelayMs: 15, stepDelayMs: 15, opsManager: false }, direct: { podTimeoutMs: 1500, settleMs: 100, readyTimeoutMs: 5000 } });
});
afterAll(async () => {
  await w?.stop();
});

function thread(ts: string): string[] {
  return w.slack.replies(CHANNEL, ts).map((m) => m.text);
}

/** Type a command and wait for the bot's first answer (in the ack or on its response_url; ephemeral text). */
async function answer(user: string, text: string): Promise<string> {
  const cmd = await w.slack.typeCommand({ user, channel: CHANNEL, text });
  return pollUntil(async () => answersOf(cmd)[0], 10_000, () => `an answer to "${text}"`);
}

async function pausedReasons(): Promise<string[]> {
  const db = await getDatabase(w.cluster.kube, mariadb, 'demo', 'catalogdb');
  return (db?.status?.conditions ?? []).filter((c) => c.type === 'Paused').map((c) => c.reason ?? '');
}

async function resumeEvents(): Promise<string[]> {
  const ev = await w.cluster.kube.core.listNamespacedEvent({ namespace: 'demo' });
  return ev.items.filter((e) => e.reason === 'DBUpdateResumed' && e.involvedObject.name === 'catalogdb').map((e) => e.message ?? '');
}

describe('/dbupdate resume and retry after a direct update left the database paused', () => {
  let failed: DatabaseUpdate;
  let parentTs: string;

  beforeAll(async () => {
    w.cluster.sim.faults.podNeverReady('demo', 'catalogdb-2', 'ImagePullBackOff');
    const { record, parent } = await request(w.slack, w.bot.records, USERS.requester, CHANNEL, 'mariadb catalogdb 10.11');
    parentTs = parent.ts;
    await approve(w.slack, CHANNEL, parent, USERS.approver);
    await pollUntil(async () => ((await w.bot.records.get(record.metadata.name))?.status?.direct as unknown as DirectState | undefined)?.stage === 'rollback', 15_000, () => 'the rollback to start');
    w.cluster.server.faults.add({ method: 'PATCH', pathIncludes: '/mariadbs/catalogdb/status', status: 500, times: 1000, message: 'etcdserver: request timed out' });
    failed = await settle(w.bot.records, record.metadata.name, 40_000);
    w.cluster.server.faults.clear();
    w.cluster.sim.faults.clear();
  }, 60_000);

  it('the failed update left the database paused by the bot', async () => {
    expect(failed.status?.phase).toBe('Failed');
    expect(failed.status?.message).toContain('STILL PAUSED');
    expect(await pausedReasons()).toEqual(['PausedByDBUpdate']);
  });

  it('the thread names the chat commands; retry is refused while the database is still paused', async () => {
    const failedLine = thread(parentTs).find((l) => l.includes('*Update failed*'));
    expect(failedLine).toContain(`\`/dbupdate resume ${failed.metadata.name}\``);
    expect(failedLine).toContain(`\`/dbupdate retry ${failed.metadata.name}\``);
    const n = (await w.bot.records.list()).length;
    expect(await answer(USERS.requester, `retry ${failed.metadata.name}`)).toContain(`resume it first with \`/dbupdate resume ${failed.metadata.name}\``);
    expect((await w.bot.records.list()).length).toBe(n);
  });

  it('a stranger is refused and nothing changes', async () => {
    const text = await answer(USERS.outsider, `resume ${failed.metadata.name}`);
    expect(text).toContain(`may resume request \`${failed.metadata.name}\``);
    expect(text).toContain('Nothing was changed');
    const r = await w.bot.records.get(failed.metadata.name);
    expect(r?.status?.resume).toBeUndefined();
    expect(await pausedReasons()).toEqual(['PausedByDBUpdate']);
    expect(await resumeEvents()).toEqual([]);
  });

  it('the requester resumes it: the leader removes the condition, posts in the thread and an Event', async () => {
    const text = await answer(USERS.requester, `resume ${failed.metadata.name}`);
    expect(text).toContain('Resume of MariaDB `demo/catalogdb` requested');
    const done = await pollUntil(async () => {
      const r = await w.bot.records.get(failed.metadata.name);
      return r?.status?.resume?.state === 'Succeeded' && r.status.slack?.posted?.includes(`resume:${r.status.resume.at}`) ? r : undefined;
    }, 10_000, () => 'the resume to be done and posted');
    expect(done.status?.resume).toMatchObject({ requestedBy: USERS.requester, state: 'Succeeded' });
    expect(await pausedReasons()).toEqual([]);
    const line = thread(parentTs).find((l) => l.includes('*Resumed*'));
    expect(line).toContain(`asked by <@${USERS.requester}>`);
    expect(line).toContain('removed the `Paused` condition the bot left (reason `PausedByDBUpdate`)');
    const events = await resumeEvents();
    expect(events).toHaveLength(1);
    expect(events[0]).toContain(`${failed.metadata.name}: resumed on request of Slack user ${USERS.requester}`);
    // the provisioner manages the database again: it comes back Ready
    await pollUntil(async () => (await getDatabase(w.cluster.kube, mariadb, 'demo', 'catalogdb'))?.status?.phase === 'Ready', 10_000, () => 'catalogdb Ready again');
  });

  it('a second resume is refused: the database is not paused any more', async () => {
    const text = await answer(USERS.approver, `resume ${failed.metadata.name}`);
    expect(text).toContain('is not paused');
    expect(text).toContain('Nothing was changed');
    expect(await resumeEvents()).toHaveLength(1);
  });

  it('retry by the requester makes a new Pending record with approval buttons, linked to the failed one', async () => {
    const before = new Set((await w.bot.records.list()).map((r) => r.metadata.name));
    const cmd = await w.slack.typeCommand({ user: USERS.requester, channel: CHANNEL, text: `retry ${failed.metadata.name}` });
    const fresh = await pollUntil(async () => (await w.bot.records.list()).find((r) => !before.has(r.metadata.name) && r.status?.slack?.ts), 10_000, () => `a new request (answers: ${JSON.stringify(answersOf(cmd))})`);
    expect(fresh.status?.phase ?? 'Pending').toBe('Pending');
    expect(fresh.spec).toMatchObject({ retryOf: failed.metadata.name, targetVersion: failed.spec.targetVersion, requester: USERS.requester, approvers: [USERS.approver, USERS.approver2] });
    expect(fresh.spec.reason).toContain(`Retry of ${failed.metadata.name}`);
    expect(fresh.metadata.labels?.[LABEL_RETRY_OF]).toBe(failed.metadata.name);
    const parent = w.slack.message(CHANNEL, fresh.status!.slack!.ts!)!;
    expect(buttonValue(parent, ACTION_APPROVE)).toBe(fresh.metadata.name);
    // the new record is not finished: resume is refused; a retry of a non-failed request is refused
    expect(await answer(USERS.requester, `resume ${fresh.metadata.name}`)).toContain('is Pending, not finished');
    expect(await answer(USERS.requester, `retry ${fresh.metadata.name}`)).toContain('Only a Failed request can be retried');
    expect(await answer(USERS.requester, 'retry nope-123')).toContain('There is no request `nope-123`');
  });

  it('a stranger cannot retry', async () => {
    const n = (await w.bot.records.list()).length;
    expect(await answer(USERS.outsider, `retry ${failed.metadata.name}`)).toContain(`may retry request \`${failed.metadata.name}\``);
    expect((await w.bot.records.list()).length).toBe(n);
  });
});

describe('/dbupdate resume on the ops-request backend: the pause KubeDB Ops Manager left', () => {
  let wo: World;
  beforeAll(async () => {
    wo = await startWorld({ sim: { podReadyDelayMs: 15, stepDelayMs: 15 } });
  });
  afterAll(async () => {
    await wo?.stop();
  });

  it('an approver resumes it: the leader removes Ops Manager\'s Paused condition, thread line and Event', async () => {
    wo.cluster.sim.faults.failOpsAt('images');
    const { record, parent } = await request(wo.slack, wo.bot.records, USERS.requester, CHANNEL, 'perconaxtradb inventory 8.4.3');
    await approve(wo.slack, CHANNEL, parent, USERS.approver);
    const done = await settle(wo.bot.records, record.metadata.name);
    wo.cluster.sim.faults.clear();
    expect(done.spec.backend).toBe('ops-request');
    expect(done.status?.phase).toBe('Failed');
    const before = await getDatabase(wo.cluster.kube, pxc, 'demo', 'inventory');
    expect((before?.status?.conditions ?? []).filter((c) => c.type === 'Paused').map((c) => c.reason)).toEqual(['Paused']);

    const cmd = await wo.slack.typeCommand({ user: USERS.approver, channel: CHANNEL, text: `resume ${record.metadata.name}` });
    const body = await pollUntil(async () => answersOf(cmd)[0], 10_000, () => 'the answer');
    expect(body).toContain('requested');
    const r = await pollUntil(async () => {
      const x = await wo.bot.records.get(record.metadata.name);
      return x?.status?.resume?.state === 'Succeeded' && x.status.slack?.posted?.includes(`resume:${x.status.resume.at}`) ? x : undefined;
    }, 10_000, () => 'the resume to be done and posted');
    expect(r.status?.resume?.requestedBy).toBe(USERS.approver);
    const after = await getDatabase(wo.cluster.kube, pxc, 'demo', 'inventory');
    expect((after?.status?.conditions ?? []).some((c) => c.type === 'Paused')).toBe(false);
    const line = wo.slack.replies(CHANNEL, parent.ts).map((m) => m.text).find((l) => l.includes('*Resumed*'));
    expect(line).toContain('removed the `Paused` condition KubeDB Ops Manager left (reason `Paused`)');
    const ev = await wo.cluster.kube.core.listNamespacedEvent({ namespace: 'demo' });
    expect(ev.items.filter((e) => e.reason === 'DBUpdateResumed' && e.involvedObject.name === 'inventory' && e.involvedObject.kind === 'PerconaXtraDB')).toHaveLength(1);
  });

  it('a resume the API keeps refusing ends Failed after its attempts, says so in the thread, and leaves the pause as it was', async () => {
    const mysql = findEngine('mysql')!;
    wo.cluster.sim.faults.failOpsAt('images');
    const { record, parent } = await request(wo.slack, wo.bot.records, USERS.requester, CHANNEL, 'mysql orders 8.0.36');
    await approve(wo.slack, CHANNEL, parent, USERS.approver);
    const done = await settle(wo.bot.records, record.metadata.name);
    wo.cluster.sim.faults.clear();
    expect(done.status?.phase).toBe('Failed');
    wo.cluster.server.faults.add({ method: 'PATCH', pathIncludes: '/mysqls/orders/status', status: 500, times: 1000, message: 'etcdserver: request timed out' });
    const cmd = await wo.slack.typeCommand({ user: USERS.requester, channel: CHANNEL, text: `resume ${record.metadata.name}` });
    await pollUntil(async () => answersOf(cmd)[0], 10_000, () => 'the answer');
    const r = await pollUntil(async () => {
      const x = await wo.bot.records.get(record.metadata.name);
      return x?.status?.resume?.state === 'Failed' && x.status.slack?.posted?.includes(`resume:${x.status.resume.at}`) ? x : undefined;
    }, 20_000, () => 'the resume to fail and be posted');
    wo.cluster.server.faults.clear();
    expect(r.status?.resume?.attempts).toBe(RESUME_MAX_ATTEMPTS);
    expect(r.status?.resume?.message).toContain('etcdserver: request timed out');
    const line = wo.slack.replies(CHANNEL, parent.ts).map((m) => m.text).find((l) => l.includes('*Resume failed*'));
    expect(line).toContain('`kubectl dba resume mysql -n demo orders`');
    const db = await getDatabase(wo.cluster.kube, mysql, 'demo', 'orders');
    expect((db?.status?.conditions ?? []).filter((c) => c.type === 'Paused').map((c) => c.reason)).toEqual(['Paused']);
  });
});
