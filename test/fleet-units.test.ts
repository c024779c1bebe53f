/**
 * The pure parts of fleet updates (issue #19 item 1): the waves, the batch's approvers under the
 * strictest rule of any member, the batch state machine (a second click, a finished batch), and the
 * Block Kit table of a 200-member batch within Slack's limits.
 */
import { describe, expect, it } from 'vitest';
import { createLogger } from '../src/log.js';
import { validateConfig } from '../src/policy/config.js';
import { findEngine } from '../src/engines/table.js';
import { batchApprovers } from '../src/updates/batch-request.js';
import { approveBatch, batchHold, cancelBatch, intendBatch } from '../src/updates/batch-state.js';
import { RecordRefusal } from '../src/updates/records.js';
import { batchThreadPosts, renderBatchParent } from '../src/slack/render-batch.js';
import { LABEL_BATCH, batchWaves, type BatchMember, type DatabaseUpdateBatch } from '../src/api/v1alpha1/databaseupdatebatch.js';
import type { DatabaseUpdate } from '../src/api/v1alpha1/databaseupdate.js';
import type { RecordStore } from '../src/updates/records.js';
import type { ClusterSet } from '../src/kube/clusters.js';

const mysql = findEngine('mysql')!;
const member = (namespace: string, name: string, updateType: BatchMember['updateType'] = 'patch'): BatchMember => ({ namespace, name, fromVersion: '8.0.35', targetVersion: updateType === 'major' ? '8.4.8' : '8.0.36', updateType, backend: 'ops-request' });

describe('batchWaves', () => {
  it('a canary of one, then maxParallel at a time', () => {
    expect(batchWaves(5, 2)).toEqual([[0], [1, 2], [3, 4]]);
    expect(batchWaves(4, 2)).toEqual([[0], [1, 2], [3]]);
    expect(batchWaves(1, 2)).toEqual([[0]]);
    expect(batchWaves(0, 2)).toEqual([]);
    expect(batchWaves(3, 5)).toEqual([[0], [1, 2]]);
  });
});

describe('batchApprovers: the strictest rule of any member applies', () => {
  const config = validateConfig({
    approvers: ['U_BOB', 'U_CAROL', 'U_ERIN'],
    approvalsRequired: 1,
    majorExtraApprovals: 1,
    rules: [{ match: { namespace: ['payments'] }, approvers: ['U_BOB', 'U_CAROL'], approvalsRequired: 2, majorExtraApprovals: 0 }],
  });
  const deps = { config, log: createLogger('silent'), records: {} as RecordStore, clusters: {} as ClusterSet };

  it('patch members of the default rule: one approval from any approver', async () => {
    const a = await batchApprovers(deps, 'sim', mysql, [member('demo', 'a'), member('demo', 'b')]);
    expect([a.needed, a.users]).toEqual([1, ['U_BOB', 'U_CAROL', 'U_ERIN']]);
  });
  it('one major member brings the major approvals to the whole batch', async () => {
    const a = await batchApprovers(deps, 'sim', mysql, [member('demo', 'a'), member('demo', 'b', 'major')]);
    expect(a.needed).toBe(2);
  });
  it('a member under a stricter rule: its approvals, from the approvers every member allows', async () => {
    const a = await batchApprovers(deps, 'sim', mysql, [member('demo', 'a'), member('payments', 'p')]);
    expect([a.needed, a.users]).toEqual([2, ['U_BOB', 'U_CAROL']]);
  });
});

function batch(over: Partial<DatabaseUpdateBatch['status']> = {}, members = [member('demo', 'a'), member('demo', 'b'), member('demo', 'c')]): DatabaseUpdateBatch {
  return {
    apiVersion: 'dbupdate.dev/v1alpha1',
    kind: 'DatabaseUpdateBatch',
    metadata: { name: 'fleet-mysql-0123abcd', namespace: 'dbupdate' },
    spec: {
      engine: 'MySQL', cluster: 'sim', selection: '-l tier=staging in demo', requestedVersion: '8.0', requester: 'U_ALICE', channel: 'C1',
      expiresAt: '2030-01-01T00:00:00Z', approvers: ['U_BOB', 'U_CAROL'], approvalsRequired: 1, maxParallel: 2, soakSeconds: 300, members,
    },
    status: { ...over },
  };
}

describe('the batch state machine', () => {
  const now = new Date('2029-01-01T00:00:00Z');
  it('an approval approves the batch; the same approver again is a no-op; another approver is told it is approved already', () => {
    const b = batch();
    const st = structuredClone(b.status!);
    expect(approveBatch(st, b, 'U_BOB', now)).toBe(true);
    expect(st.phase).toBe('Approved');
    expect(approveBatch(st, b, 'U_BOB', now)).toBe(false);
    expect(() => approveBatch(st, b, 'U_CAROL', now)).toThrow(/already approved/);
  });
  it('the requester and strangers cannot approve', () => {
    const b = batch();
    expect(() => approveBatch(structuredClone(b.status!), b, 'U_ALICE', now)).toThrow(RecordRefusal);
    expect(() => approveBatch(structuredClone(b.status!), b, 'U_DAVE', now)).toThrow(/not an approver of every database/);
  });
  it('a finished batch cannot be cancelled; a running one can, by the requester', () => {
    const done = batch({ phase: 'Succeeded' });
    expect(() => cancelBatch(structuredClone(done.status!), done, 'U_ALICE', now)).toThrow(/already succeeded; nothing was changed/);
    const running = batch({ phase: 'Running', wave: 1 });
    const st = structuredClone(running.status!);
    expect(cancelBatch(st, running, 'U_ALICE', now)).toBe(true);
    expect(st.phase).toBe('Cancelled');
  });
  it('Resume and Abort only on a halted batch, only by an approver', () => {
    const running = batch({ phase: 'Running' });
    expect(() => intendBatch(structuredClone(running.status!), running, 'U_BOB', 'resume', now)).toThrow(/not halted/);
    const halted = batch({ phase: 'Halted' });
    expect(() => intendBatch(structuredClone(halted.status!), halted, 'U_ALICE', 'abort', now)).toThrow(/Only an approver/);
    const st = structuredClone(halted.status!);
    expect(intendBatch(st, halted, 'U_BOB', 'abort', now)).toBe(true);
    expect(intendBatch(st, halted, 'U_BOB', 'abort', now)).toBe(false);
  });
});

describe('the batch parent of 200 members stays within Slack limits', () => {
  const members = Array.from({ length: 200 }, (_, i) => member('demo', `db-${String(i).padStart(3, '0')}`));
  const running = batch({ phase: 'Running', wave: 3, approvals: [{ user: 'U_BOB', at: '2029-01-01T00:00:00Z' }] }, members);
  const records = new Map<string, DatabaseUpdate>();
  for (const m of members.slice(0, 7)) {
    records.set(`${m.namespace}/${m.name}`, {
      apiVersion: 'dbupdate.dev/v1alpha1', kind: 'DatabaseUpdate', metadata: { name: `${m.name}-x`, namespace: 'dbupdate' },
      spec: {} as DatabaseUpdate['spec'],
      status: m.name === 'db-006' ? { phase: 'Running', steps: [{ name: 'paused', state: 'Succeeded' }, { name: 'images', state: 'Running' }] } : { phase: 'Succeeded' },
    });
  }
  const r = renderBatchParent(running, records);
  it('≤ 50 blocks, every section text ≤ 3,000 characters, the rest counted', () => {
    expect(r.blocks.length).toBeLessThanOrEqual(50);
    for (const b of r.blocks as Array<{ text?: { text: string } }>) expect((b.text?.text ?? '').length).toBeLessThanOrEqual(3000);
    const all = JSON.stringify(r.blocks);
    expect(all).toContain('200 members · 6 succeeded · 1 running · 193 waiting');
    expect(all).toContain('db-006');
    expect(all).toContain('updating images…');
    expect(all).toContain('…and 140 more');
  });
  it('the thread is one post per wave started, not one per member step', () => {
    expect(batchThreadPosts(running).map((p) => p.key)).toEqual(['approved', 'wave:0', 'wave:1', 'wave:2', 'wave:3']);
  });
});

describe('a warning several members share is one note, not a line on each', () => {
  const os = 'the update changes the base OS of the database\'s image (KubeDB allows it)';
  const members = [
    { ...member('demo', 'a'), warning: os },
    { ...member('demo', 'b'), warning: os },
    { ...member('demo', 'c'), warning: 'only this one' },
    member('demo', 'd'),
  ];
  const text = JSON.stringify(renderBatchParent(batch({ phase: 'Pending' }, members), new Map()).blocks);
  it('names the shared warning once, numbered, with how many members it concerns; a lone warning stays on its line', () => {
    expect(text.split('changes the base OS').length - 1).toBe(1);
    expect(text).toContain('*Note 1* (2 members): the update changes the base OS');
    expect(text).toMatch(/`demo\/a` 8\.0\.35 → \*8\.0\.36\* \(patch\) — see \*Note 1\*/);
    expect(text).toMatch(/`demo\/b`[^"]*see \*Note 1\*/);
    expect(text).toContain('`demo/c` 8.0.35 → *8.0.36* (patch) — only this one');
    expect(text).not.toMatch(/`demo\/d`[^"\\]*Note/);
  });
});

describe('batchHold: a member starts only while its batch runs', () => {
  const member = { metadata: { labels: { [LABEL_BATCH]: 'fleet-mysql-0123abcd' } } };
  it.each([
    ['Running', undefined],
    ['Approved', undefined],
    ['Halted', 'its fleet batch `fleet-mysql-0123abcd` is halted'],
    ['Aborted', 'its fleet batch `fleet-mysql-0123abcd` is aborted'],
    ['Cancelled', 'its fleet batch `fleet-mysql-0123abcd` is cancelled'],
  ] as const)('batch %s → %s', (phase, want) => {
    expect(batchHold(member, batch({ phase }))).toBe(want);
  });
  it('a record of no batch, or of a batch not known, is not held', () => {
    expect(batchHold({ metadata: {} }, batch({ phase: 'Halted' }))).toBeUndefined();
    expect(batchHold(member, undefined)).toBeUndefined();
  });
});
