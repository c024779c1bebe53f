/**
 * Preflight's topology preconditions, calling the real preflight with client-node against the emulated
 * cluster (simulated KubeDB with its ops webhook): MySQL SemiSync/RemoteReplica refused as KubeDB's webhook
 * refuses them, Redis in Sentinel mode needs its RedisSentinel on the target first, multi-PetSet
 * topologies refused on the direct backend.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startWorld, type World } from '../sim/world.js';
import { findEngine } from '../src/engines/table.js';
import { preflight } from '../src/updates/preflight.js';
import { dbGvr } from '../sim/kubedb/index.js';

let w: World;

beforeAll(async () => {
  w = await startWorld({ sim: { podReadyDelayMs: 15, stepDelayMs: 15 } });
});
afterAll(async () => {
  await w?.stop();
});

function check(engine: string, name: string, version: string, backend: 'auto' | 'direct' | 'ops-request' = 'auto') {
  return preflight({ kube: w.cluster.botKube, records: w.bot.records, engine: findEngine(engine)!, namespace: 'demo', name, version, backend });
}

function patchSpec(engine: string, name: string, spec: Record<string, unknown>): void {
  w.cluster.store.patch(dbGvr(findEngine(engine)!), 'demo', name, { spec }, 'application/merge-patch+json');
}

describe('topology preconditions', () => {
  // 8.0.36 by its exact name: the newest 8.0 runs on Debian where orders' 8.0.35 runs on Oracle Linux, which a
  // prefix would stop at to confirm the base-OS change (test/catalog-base-os.test.ts).
  it('MySQL SemiSync and RemoteReplica are refused; GroupReplication goes ahead', async () => {
    const first = await check('mysql', 'orders', '8.0.36');
    expect(first, JSON.stringify(first)).toMatchObject({ ok: true, backend: 'ops-request' });
    for (const mode of ['SemiSync', 'RemoteReplica']) {
      patchSpec('mysql', 'orders', { topology: { mode } });
      const r = await check('mysql', 'orders', '8.0.36');
      expect(r).toMatchObject({ ok: false, code: 'unsupported_topology' });
      expect(!r.ok && r.message).toContain(`topology \`${mode}\``);
    }
    patchSpec('mysql', 'orders', { topology: { mode: 'GroupReplication', group: { name: 'dc002fc3-c412-4d18-b1d4-66c1fbfbbc9b' } } });
    expect(await check('mysql', 'orders', '8.0.36')).toMatchObject({ ok: true });
  });

  it('Redis in Sentinel mode: refused until its RedisSentinel runs the target version', async () => {
    patchSpec('redis', 'cache', { mode: 'Sentinel', sentinelRef: { name: 'sen', namespace: 'demo' } });
    try {
      const missing = await check('redis', 'cache', '7.2');
      expect(missing).toMatchObject({ ok: false, code: 'sentinel_first' });
      expect(!missing.ok && missing.message).toContain('/dbupdate redissentinel demo/sen 7.2.6');
      const sentinel = findEngine('redissentinel')!;
      w.cluster.store.create(dbGvr(sentinel), { apiVersion: `${sentinel.group}/${sentinel.version}`, kind: sentinel.kind, metadata: { name: 'sen', namespace: 'demo' }, spec: { version: '7.2.4', replicas: 3 } });
      expect(await check('redis', 'cache', '7.2')).toMatchObject({ ok: false, code: 'sentinel_first' });
      w.cluster.store.patch(dbGvr(sentinel), 'demo', 'sen', { spec: { version: '7.2.6' } }, 'application/merge-patch+json');
      // the bot's own check passes; KubeDB's webhook (dry run) agrees
      expect(await check('redis', 'cache', '7.2', 'ops-request')).toMatchObject({ ok: true, target: { name: '7.2.6' } });
    } finally {
      w.cluster.store.patch(dbGvr(findEngine('redis')!), 'demo', 'cache', { spec: { mode: 'Standalone', sentinelRef: null } }, 'application/merge-patch+json');
    }
  });

  it('a sharded MongoDB is refused on the direct backend', async () => {
    patchSpec('mongodb', 'events', { shardTopology: { shard: { shards: 2, replicas: 3 }, configServer: { replicas: 3 }, mongos: { replicas: 2 } } });
    try {
      const r = await check('mongodb', 'events', '7.0.28', 'direct');
      expect(r).toMatchObject({ ok: false, code: 'multi_petset_direct' });
      expect(!r.ok && r.message).toContain('a sharded topology');
      expect(await check('mongodb', 'events', '7.0.28', 'ops-request')).toMatchObject({ ok: true });
    } finally {
      patchSpec('mongodb', 'events', { shardTopology: null });
    }
  });
});
