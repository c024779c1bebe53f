/**
 * Retention (src/updates/retention.ts): a finished record older than `recordRetention` is deleted with its
 * OpsRequest and its database lock, through the bot's own service account (RBAC from deploy/rbac.yaml
 * enforced by the emulator); a record still in flight, or finished more recently, is kept.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pino from 'pino';
import { startWorld, USERS, CHANNEL, type World } from '../sim/world.js';
import { approve, request, settle } from '../sim/script.js';
import { RecordStore } from '../src/updates/records.js';
import { ClusterSet } from '../src/kube/clusters.js';
import { findEngine } from '../src/engines/table.js';
import { getOpsRequest } from '../src/kube/kubedb.js';
import { lockName } from '../src/kube/locks.js';
import { isExpiredRecord, sweepRetention } from '../src/updates/retention.js';
import { validateConfig } from '../src/policy/config.js';
import type { DatabaseUpdate } from '../src/api/v1alpha1/databaseupdate.js';

const DAY = 86_400_000;
const log = pino({ level: 'silent' });
let w: World;

beforeAll(async () => {
  w = await startWorld({ sim: { podReadyDelayMs: 15, stepDelayMs: 15 } });
});
afterAll(async () => {
  await w?.stop();
});

describe('retention of finished records', () => {
  it('deletes a finished record past the retention with its OpsRequest and lock; keeps a pending one and a recent one', async () => {
    const mysql = findEngine('mysql')!;
    const done = await request(w.slack, w.bot.records, USERS.requester, CHANNEL, 'mysql orders 8.4');
    await approve(w.slack, CHANNEL, done.parent, USERS.approver);
    const finished = await settle(w.bot.records, done.record.metadata.name, 30_000);
    expect(finished.status?.phase).toBe('Succeeded');
    const ref = finished.status!.opsRequest!;
    const lock = lockName('sim', 'demo', 'MySQL', 'orders');
    expect((await w.cluster.kube.coordination.readNamespacedLease({ name: lock, namespace: 'dbupdate' })).spec?.holderIdentity).toBe(finished.metadata.name);
    const pending = await request(w.slack, w.bot.records, USERS.requester, CHANNEL, 'postgres billing/ledger 16');
    expect(pending.record.status?.phase ?? 'Pending').toBe('Pending');

    // The bot's own service account: RBAC must allow each delete.
    const records = new RecordStore(w.cluster.botKube, 'dbupdate');
    const clusters = new ClusterSet(w.cluster.botKube, []);
    const finishedAt = Date.parse(finished.status!.finishedAt!);

    const early = await sweepRetention({ records, clusters, retentionMs: 30 * DAY, log, now: () => new Date(finishedAt + 29 * DAY) });
    expect(early).toEqual({ records: 0, opsRequests: 0, locks: 0, errors: 0 });
    expect(await records.get(finished.metadata.name)).toBeDefined();

    const late = await sweepRetention({ records, clusters, retentionMs: 30 * DAY, log, now: () => new Date(finishedAt + 31 * DAY) });
    expect(late).toEqual({ records: 1, opsRequests: 1, locks: 1, errors: 0 });
    expect(await records.get(finished.metadata.name)).toBeUndefined();
    expect(await getOpsRequest(w.cluster.kube, mysql, ref.namespace, ref.name)).toBeUndefined();
    await expect(w.cluster.kube.coordination.readNamespacedLease({ name: lock, namespace: 'dbupdate' })).rejects.toMatchObject({ code: 404 });
    // The request still waiting for approval is kept, and so is its lock.
    expect((await records.get(pending.record.metadata.name))?.status?.phase ?? 'Pending').toBe('Pending');
    expect((await w.cluster.kube.coordination.readNamespacedLease({ name: lockName('sim', 'billing', 'Postgres', 'ledger'), namespace: 'dbupdate' })).spec?.holderIdentity).toBe(pending.record.metadata.name);
  });

  it('stops as soon as this replica is no longer the leader', async () => {
    const records = new RecordStore(w.cluster.botKube, 'dbupdate');
    const before = (await records.list()).length;
    const res = await sweepRetention({ records, clusters: new ClusterSet(w.cluster.botKube, []), retentionMs: 0, log, now: () => new Date(Date.now() + 365 * DAY), stillLeading: () => false });
    expect(res.records).toBe(0);
    expect((await records.list()).length).toBe(before);
  });

  it('only finished records count, from finishedAt; the retention and its schedule are configurable (default 30 d, daily)', () => {
    const rec = (phase: string | undefined, finishedAt?: string) => ({ metadata: { name: 'x', creationTimestamp: '2026-01-01T00:00:00Z' }, status: { phase, finishedAt } }) as unknown as DatabaseUpdate;
    const now = new Date('2026-03-01T00:00:00Z');
    expect(isExpiredRecord(rec('Succeeded', '2026-01-15T00:00:00Z'), now, 30 * DAY)).toBe(true);
    expect(isExpiredRecord(rec('Failed', '2026-02-15T00:00:00Z'), now, 30 * DAY)).toBe(false);
    expect(isExpiredRecord(rec('Running'), now, 30 * DAY)).toBe(false);
    expect(isExpiredRecord(rec(undefined), now, 30 * DAY)).toBe(false);
    expect(isExpiredRecord(rec('Cancelled'), now, 30 * DAY)).toBe(true); // no finishedAt: counted from creation
    const base = { approvers: ['U0AAAAAAA'] };
    const c = validateConfig(base);
    expect(c.recordRetention).toBe('30d');
    expect(c.retentionCheck).toBe('17 3 * * *');
    expect(() => validateConfig({ ...base, retentionCheck: 'every day' })).toThrow(/retentionCheck/);
    expect(() => validateConfig({ ...base, recordRetention: 'forever' })).toThrow(/recordRetention/);
  });
});
