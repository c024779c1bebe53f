/**
 * The direct pipeline's failure policy at the steps not covered by the image-pull cases: a database
 * paused by someone else fails the pause step with nothing changed; a database that does not come back
 * `Ready` after the roll fails the checks step, and the pods are rolled back and the database resumed.
 * The pause is asked for as KubeDB Ops Manager asks (`Paused`=`Unknown`, approved to `True` by the
 * provisioner); a provisioner that never approves it fails the pause step with the request withdrawn.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startWorld, USERS, CHANNEL, type World } from '../sim/world.js';
import { approve, pollUntil, request, settle } from '../sim/script.js';
import { getDatabase } from '../src/kube/kubedb.js';
import { findEngine } from '../src/engines/table.js';
import { dbGvr } from '../sim/kubedb/index.js';

let w: World;
const mysql = findEngine('mysql')!;
const mariadb = findEngine('mariadb')!;

beforeAll(async () => {
  w = await startWorld({
    sim: { podReadyDelayMs: 15, stepDelayMs: 15, opsManager: false },
    direct: { podTimeoutMs: 1500, settleMs: 1500, readyTimeoutMs: 800, pauseTimeoutMs: 1000 },
  });
});
afterAll(async () => {
  await w?.stop();
});

function thread(ts: string): string[] {
  return w.slack.replies(CHANNEL, ts).map((m) => m.text);
}

describe('direct pipeline failures at pause and checks', () => {
  it('pause: the database was paused by someone else after the request — Failed, nothing changed, not paused by us', async () => {
    const { record, parent } = await request(w.slack, w.bot.records, USERS.requester, CHANNEL, 'mysql orders 8.0.36');
    const db = await getDatabase(w.cluster.kube, mysql, 'demo', 'orders');
    const conditions = [...(db?.status?.conditions ?? []), { type: 'Paused', status: 'True', reason: 'PausedByKubeDBCLI', message: 'Paused by KubeDB CLI tool', lastTransitionTime: new Date().toISOString().replace(/\.\d{3}Z$/, 'Z') }];
    w.cluster.store.patch(dbGvr(mysql), 'demo', 'orders', { status: { conditions } }, 'application/merge-patch+json', { subresource: 'status' });
    await approve(w.slack, CHANNEL, parent, USERS.approver);
    const done = await settle(w.bot.records, record.metadata.name);
    expect(done.status?.phase).toBe('Failed');
    expect(done.status?.steps?.find((s) => s.state === 'Failed')?.name).toBe('paused');
    expect(done.status?.message).toMatch(/Nothing was changed/);
    expect(thread(parent.ts).some((l) => /Pausing failed/.test(l))).toBe(true);
    const after = await getDatabase(w.cluster.kube, mysql, 'demo', 'orders');
    expect(after?.spec.version).toBe('8.0.35');
    // only the other operator's Paused condition is there; the bot neither added nor removed one
    expect((after?.status?.conditions ?? []).filter((c) => c.type === 'Paused').map((c) => c.reason)).toEqual(['PausedByKubeDBCLI']);
  });

  it('checks: the database does not come back Ready after the roll — Failed at checks, pods rolled back, database resumed', async () => {
    const { record, parent } = await request(w.slack, w.bot.records, USERS.requester, CHANNEL, 'mariadb catalogdb 10.11.16');
    await approve(w.slack, CHANNEL, parent, USERS.approver);
    // once every pod runs the new image, the database reports Critical (the provisioner writes nothing while it is paused)
    await pollUntil(async () => (await w.bot.records.get(record.metadata.name))?.status?.steps?.find((s) => s.name === 'images')?.state === 'Succeeded', 15_000, () => 'images updated');
    w.cluster.store.patch(dbGvr(mariadb), 'demo', 'catalogdb', { status: { phase: 'Critical' } }, 'application/merge-patch+json', { subresource: 'status' });
    const done = await settle(w.bot.records, record.metadata.name, 30_000);
    expect(done.status?.phase).toBe('Failed');
    expect(done.status?.steps?.find((s) => s.state === 'Failed')?.name).toBe('checks');
    expect(thread(parent.ts).some((l) => /Checks failed/.test(l))).toBe(true);
    await pollUntil(
      async () => {
        const db = await getDatabase(w.cluster.kube, mariadb, 'demo', 'catalogdb');
        const pods = await w.cluster.kube.core.listNamespacedPod({ namespace: 'demo', labelSelector: 'app.kubernetes.io/instance=catalogdb' });
        const onOld = pods.items.every((p) => p.status?.containerStatuses?.find((c) => c.name === 'mariadb')?.image?.endsWith(':10.11.6-jammy'));
        return db?.spec.version === '10.11.6' && !(db.status?.conditions ?? []).some((c) => c.type === 'Paused') && onOld;
      },
      15_000,
      () => 'catalogdb back on 10.11.6 images, spec.version unchanged, not paused',
    );
  });

  it('pause handshake: the bot writes Paused=Unknown, the provisioner approves it (True), and the condition is gone at the end', async () => {
    // The first test left orders paused by the KubeDB CLI: resume it as `kubectl dba resume` does.
    const paused = await getDatabase(w.cluster.kube, mysql, 'demo', 'orders');
    const conditions = (paused?.status?.conditions ?? []).filter((c) => c.type !== 'Paused');
    w.cluster.store.patch(dbGvr(mysql), 'demo', 'orders', { status: { conditions } }, 'application/merge-patch+json', { subresource: 'status' });
    const seen: string[] = [];
    const stop = w.cluster.store.watch(dbGvr(mysql), { namespace: 'demo' }, (ev) => {
      if (ev.object.metadata.name !== 'orders') return;
      const p = ((ev.object.status as { conditions?: Array<{ type: string; status: string; reason?: string }> } | undefined)?.conditions ?? []).find((c) => c.type === 'Paused');
      const word = p ? `${p.status}/${p.reason}` : 'none';
      if (seen[seen.length - 1] !== word) seen.push(word);
    });
    try {
      const { record, parent } = await request(w.slack, w.bot.records, USERS.requester, CHANNEL, 'mysql orders 8.0.36');
      await approve(w.slack, CHANNEL, parent, USERS.approver);
      const done = await settle(w.bot.records, record.metadata.name, 30_000);
      expect(done.status?.phase, done.status?.message).toBe('Succeeded');
    } finally {
      stop();
    }
    expect(seen.filter((x) => x !== 'none')).toEqual(['Unknown/PausedByDBUpdate', 'True/PausedByDBUpdate']);
    expect(seen[seen.length - 1]).toBe('none');
  });

  it('pause not approved: a stalled provisioner never approves — Failed at pause within pauseTimeoutMs, request withdrawn, nothing changed', async () => {
    const before = await getDatabase(w.cluster.kube, mariadb, 'demo', 'catalogdb');
    const { record, parent } = await request(w.slack, w.bot.records, USERS.requester, CHANNEL, 'mariadb catalogdb 10.11.16');
    w.cluster.sim.faults.stallProvisioner(true);
    try {
      await approve(w.slack, CHANNEL, parent, USERS.approver);
      const done = await settle(w.bot.records, record.metadata.name, 30_000);
      expect(done.status?.phase).toBe('Failed');
      const failed = done.status?.steps?.find((s) => s.state === 'Failed');
      expect(failed?.name).toBe('paused');
      expect(failed?.reason).toBe('PauseNotApproved');
      expect(done.status?.message).toMatch(/did not approve the pause within 1(\.0)? ?s/);
      expect(done.status?.message).toMatch(/Nothing was changed/);
      expect(thread(parent.ts).some((l) => /Pausing failed/.test(l) && l.includes('PauseNotApproved'))).toBe(true);
      const after = await getDatabase(w.cluster.kube, mariadb, 'demo', 'catalogdb');
      expect((after?.status?.conditions ?? []).filter((c) => c.type === 'Paused')).toEqual([]);
      expect(after?.spec.version).toBe(before?.spec.version);
    } finally {
      w.cluster.sim.faults.stallProvisioner(false);
    }
  });
});
