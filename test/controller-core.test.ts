/**
 * Issue #13, the controller core's pure parts: the mutation cache (client-go's `MutationCache`), the work
 * queue's requeue-after, the reconciler's and the notifier's predicates, and how a backend's pass result
 * becomes one status write. The whole controller, over the real clients and emulators, is measured by
 * test/controller-cost.test.ts and `npm run bench`.
 */
import { describe, expect, it } from 'vitest';
import type { KubernetesObject } from '@kubernetes/client-node';
import { MutationCache, resourceVersionNumber } from '../src/kube/mutation-cache.js';
import { KeyedQueue } from '../src/kube/queue.js';
import { applyPass, reconcilerInterest } from '../src/updates/reconciler.js';
import { notifierInterest, threadComplete } from '../src/slack/notifier.js';
import { renderHash, renderParent, threadPosts } from '../src/slack/render.js';
import type { DatabaseUpdate, RecordStatus } from '../src/api/v1alpha1/databaseupdate.js';
import { VALID_RECORD_SPEC } from './support/record-spec.js';

const obj = (name: string, rv: string, extra: Record<string, unknown> = {}): KubernetesObject & Record<string, unknown> => ({ metadata: { name, namespace: 'ns', resourceVersion: rv }, ...extra });

function fakeInformer(objs: KubernetesObject[]) {
  const m = new Map(objs.map((o) => [`${o.metadata!.namespace}/${o.metadata!.name}`, o]));
  return {
    set: (o: KubernetesObject) => m.set(`${o.metadata!.namespace}/${o.metadata!.name}`, o),
    get: (name: string, ns?: string) => m.get(`${ns}/${name}`),
    list: () => [...m.values()],
  };
}

describe('MutationCache', () => {
  it('answers its own write until the watch delivers that resourceVersion, then the watch', () => {
    const inf = fakeInformer([obj('a', '10', { v: 'cached' })]);
    const mc = new MutationCache(inf);
    expect(mc.get('a', 'ns')).toMatchObject({ v: 'cached' });
    mc.mutated(obj('a', '12', { v: 'mine' }));
    expect(mc.get('a', 'ns')).toMatchObject({ v: 'mine' });
    // An older event still in flight does not hide the write.
    inf.set(obj('a', '11', { v: 'older' }));
    mc.observed(obj('a', '11'), 'update');
    expect(mc.get('a', 'ns')).toMatchObject({ v: 'mine' });
    // The echo of the write, then someone else's newer write: the watch wins.
    inf.set(obj('a', '12', { v: 'echo' }));
    mc.observed(obj('a', '12'), 'update');
    inf.set(obj('a', '13', { v: 'theirs' }));
    expect(mc.get('a', 'ns')).toMatchObject({ v: 'theirs' });
  });

  it('sees an object created here before the watch does, drops it on delete, and ignores an older write', () => {
    const inf = fakeInformer([]);
    const mc = new MutationCache(inf);
    mc.mutated(obj('b', '5'));
    expect(mc.get('b', 'ns')?.metadata?.resourceVersion).toBe('5');
    expect(mc.list('ns').map((o) => o.metadata?.name)).toEqual(['b']);
    mc.mutated(obj('b', '4'));
    expect(mc.get('b', 'ns')?.metadata?.resourceVersion).toBe('5');
    mc.observed(obj('b', '6'), 'delete');
    expect(mc.get('b', 'ns')).toBeUndefined();
  });

  it('trusts the watch when resourceVersions are not integers (they are opaque by contract)', () => {
    expect(resourceVersionNumber('123')).toBe(123n);
    expect(resourceVersionNumber('abc')).toBeUndefined();
    const inf = fakeInformer([obj('c', 'x1', { v: 'cached' })]);
    const mc = new MutationCache(inf);
    mc.mutated(obj('c', 'x2', { v: 'mine' }));
    expect(mc.get('c', 'ns')).toMatchObject({ v: 'cached' });
  });

  it('forgets a write the watch never delivered after its time to live', async () => {
    const inf = fakeInformer([obj('d', '1', { v: 'cached' })]);
    const mc = new MutationCache(inf, 20);
    mc.mutated(obj('d', '2', { v: 'mine' }));
    await new Promise((r) => setTimeout(r, 40));
    expect(mc.get('d', 'ns')).toMatchObject({ v: 'cached' });
  });
});

describe('KeyedQueue requeue-after', () => {
  it('runs a key again after the delay its reconcile asked for, and an earlier ask wins', async () => {
    const runs: string[] = [];
    let first = true;
    const q = new KeyedQueue(async (k) => {
      runs.push(k);
      if (first) {
        first = false;
        return { requeueAfterMs: 30 };
      }
    }, () => undefined);
    q.add('x');
    q.addAfter('y', 10_000);
    q.addAfter('y', 20);
    await new Promise((r) => setTimeout(r, 150));
    expect(runs).toEqual(['x', 'y', 'x']);
    await q.close();
  });
});

function record(status: RecordStatus): DatabaseUpdate {
  return { apiVersion: 'dbupdate.dev/v1alpha1', kind: 'DatabaseUpdate', metadata: { name: 'r1', namespace: 'dbupdate', resourceVersion: '7', uid: 'u' }, spec: structuredClone(VALID_RECORD_SPEC) as unknown as DatabaseUpdate['spec'], status };
}

describe('predicates: who is woken by what', () => {
  it('the reconciler ignores Slack refs and its own progress while Running, and finished records', () => {
    const running = record({ phase: 'Running', steps: [{ name: 'paused', state: 'Running' }] });
    const moved = record({ phase: 'Running', steps: [{ name: 'paused', state: 'Succeeded' }], slack: { ts: '1.2' } });
    expect(reconcilerInterest(running)).toBe(reconcilerInterest(moved));
    expect(reconcilerInterest(record({ phase: 'Approved' }))).not.toBe(reconcilerInterest(running));
    expect(reconcilerInterest(record({ phase: 'Succeeded' }))).toBeUndefined();
    expect(reconcilerInterest(record({ phase: 'Succeeded', resume: { state: 'Requested', requestedBy: 'U1', at: 'now' } as never }))).toBeDefined();
  });

  it('the notifier ignores its own status.slack writes, and a finished record only when its thread is complete', () => {
    const a = record({ phase: 'Running', steps: [{ name: 'paused', state: 'Succeeded' }] });
    const b = record({ phase: 'Running', steps: [{ name: 'paused', state: 'Succeeded' }], slack: { ts: '1.2', posted: ['step:paused'] } });
    expect(notifierInterest(a)).toBe(notifierInterest(b));
    const done = record({ phase: 'Succeeded', steps: [], message: 'ok' });
    expect(threadComplete(done)).toBe(false);
    expect(notifierInterest(done)).toBeDefined();
    const keys = threadPosts(done).map((p) => p.key);
    const complete = record({ ...done.status, slack: { channel: 'C1', ts: '1.2', posted: keys, parentHash: renderHash(renderParent(done)) } });
    expect(threadComplete(complete)).toBe(true);
    expect(notifierInterest(complete)).toBeUndefined();
  });
});

describe('applyPass: a pass result becomes at most one write', () => {
  const steps = [{ name: 'paused' as const, state: 'Succeeded' as const }];
  it('writes nothing when only a quiet field changed, and carries it along with a real change', () => {
    const st: RecordStatus = { phase: 'Running', steps };
    expect(applyPass(st, { steps, fields: { lastClusterCondition: { type: 'X' } }, quiet: ['lastClusterCondition'] }, 'now')).toBe(false);
    expect(st.lastClusterCondition).toBeUndefined();
    const next = [...steps, { name: 'images' as const, state: 'Running' as const }];
    expect(applyPass(st, { steps: next, fields: { lastClusterCondition: { type: 'X' } }, quiet: ['lastClusterCondition'] }, 'now')).toBe(true);
    expect(st).toMatchObject({ steps: next, lastClusterCondition: { type: 'X' } });
  });

  it('ends the record with the outcome, and never touches a record that is not Running', () => {
    const st: RecordStatus = { phase: 'Running', steps };
    expect(applyPass(st, { steps, outcome: 'Succeeded', message: 'orders runs 8.4.3' }, '2026-12-01T00:00:00Z')).toBe(true);
    expect(st).toMatchObject({ phase: 'Succeeded', finishedAt: '2026-12-01T00:00:00Z', message: 'orders runs 8.4.3' });
    const cancelled: RecordStatus = { phase: 'Cancelled' };
    expect(applyPass(cancelled, { steps, outcome: 'Failed', message: 'x' }, 'now')).toBe(false);
    expect(cancelled.phase).toBe('Cancelled');
  });
});

describe('informer lists in pages', () => {
  it('reads every page of a chunked list (the continue token of custom resources and of built-in kinds) and transforms each page', async () => {
    const { listInPages, LIST_PAGE_SIZE } = await import('../src/kube/informer.js');
    const all = Array.from({ length: LIST_PAGE_SIZE * 2 + 7 }, (_, i) => obj(`o${i}`, String(i + 1)));
    for (const field of ['continue', '_continue']) {
      const asked: Array<string | undefined> = [];
      const out = await listInPages(async ({ limit, _continue }) => {
        asked.push(_continue);
        const from = _continue ? Number(_continue) : 0;
        const next = from + limit < all.length ? String(from + limit) : undefined;
        return { metadata: { resourceVersion: '99', ...(next ? { [field]: next } : {}) }, items: all.slice(from, from + limit) } as never;
      }, (o) => ({ ...o, cut: true }));
      expect(asked).toEqual([undefined, String(LIST_PAGE_SIZE), String(LIST_PAGE_SIZE * 2)]);
      expect(out.items).toHaveLength(all.length);
      expect(out.items.every((o) => (o as { cut?: boolean }).cut)).toBe(true);
      expect(out.metadata?.resourceVersion).toBe('99');
    }
  });
});
