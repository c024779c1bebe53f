/**
 * MariaDB, MongoDB and Redis end to end on the ops-request backend: seeded from KubeDB's real catalogs,
 * requested in Slack, approved, run by the simulated Ops Manager, through the real Bolt app and client-node.
 * Also Redis Official → Valkey by name (KubeDB's webhook allows it within a major).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startWorld, USERS, CHANNEL, type World } from '../sim/world.js';
import { approve, request, settle } from '../sim/script.js';
import { getDatabase, listOpsRequests } from '../src/kube/kubedb.js';
import { findEngine } from '../src/engines/table.js';
import { DEMO_SCENARIOS } from '../sim/scenarios.js';
import { PETSET_GVR } from '../sim/kubedb/index.js';

let w: World;

beforeAll(async () => {
  w = await startWorld({ sim: { podReadyDelayMs: 15, stepDelayMs: 15 } });
});
afterAll(async () => {
  await w?.stop();
});

async function runUpdate(text: string, engineWord: string, namespace: string, name: string, expectTarget: RegExp) {
  const { record, parent } = await request(w.slack, w.bot.records, USERS.requester, CHANNEL, text);
  expect(record.spec.targetVersion).toMatch(expectTarget);
  expect(record.spec.backend).toBe('ops-request');
  await approve(w.slack, CHANNEL, parent, USERS.approver);
  const done = await settle(w.bot.records, record.metadata.name);
  expect(done.status?.phase, JSON.stringify(done.status)).toBe('Succeeded');
  const engine = findEngine(engineWord)!;
  const db = await getDatabase(w.cluster.kube, engine, namespace, name);
  expect(db?.spec.version).toBe(record.spec.targetVersion);
  const lines = w.slack.replies(CHANNEL, parent.ts).map((m) => m.text);
  for (const re of [/Paused/, /Images updated/, /Resumed/, /Done/]) expect(lines.some((l) => re.test(l)), `${re} in\n${lines.join('\n')}`).toBe(true);
  const ops = (await listOpsRequests(w.cluster.kube, engine, namespace)).filter((o) => o.metadata.labels?.['dbupdate.dev/record'] === record.metadata.name);
  expect(ops).toHaveLength(1);
  expect(ops[0].kind).toBe(engine.opsRequestKind);
  expect(ops[0].spec.updateVersion?.targetVersion).toBe(record.spec.targetVersion);
  return { record, lines };
}

describe('new engines on the ops-request backend', () => {
  for (const key of ['mariadb', 'mongodb', 'redis']) {
    const sc = DEMO_SCENARIOS[key];
    it(`${sc.command}: resolved from the real catalog, updated by Ops Manager`, async () => {
      await runUpdate(sc.command, sc.engine, sc.namespace, sc.name, sc.target);
      // the workload runs the target's image from the real catalog
      const set = w.cluster.store.get(PETSET_GVR, sc.namespace, sc.name);
      const containers = ((set.spec as any).template.spec.containers as Array<{ name: string; image: string }>);
      const engine = findEngine(sc.engine)!;
      expect(containers.find((c) => c.name === engine.container)?.image).toContain(sc.target.source.replace(/[\^$\\]/g, ''));
    });
  }

  it('KubeDB\'s Redis webhook: Official → Valkey within a major is accepted, across majors refused (dry runs)', async () => {
    const dry = (target: string) =>
      fetch(`${w.cluster.server.url}/apis/ops.kubedb.com/v1alpha1/namespaces/demo/redisopsrequests?dryRun=All`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ apiVersion: 'ops.kubedb.com/v1alpha1', kind: 'RedisOpsRequest', metadata: { name: 'cache-valkey' }, spec: { type: 'UpdateVersion', databaseRef: { name: 'cache' }, updateVersion: { targetVersion: target } } }),
      });
    const redis = findEngine('redis')!;
    const gvr = { group: redis.group, version: redis.version, plural: redis.plural };
    const from = (w.cluster.store.get(gvr, 'demo', 'cache').spec as { version: string }).version;
    try {
      w.cluster.store.patch(gvr, 'demo', 'cache', { spec: { version: '7.4.6' } }, 'application/merge-patch+json');
      const across = await dry('valkey-8.0.3');
      expect(across.status).toBe(422);
      expect(((await across.json()) as { message: string }).message).toContain("RedisOpsRequest demo/cache-valkey: can't upgrade Official to Valkey with a different major version");
      w.cluster.store.patch(gvr, 'demo', 'cache', { spec: { version: '7.2.4' } }, 'application/merge-patch+json');
      expect((await dry('valkey-7.2.9')).status).toBe(201);
      expect(w.cluster.store.tryGet({ group: 'ops.kubedb.com', version: 'v1alpha1', plural: 'redisopsrequests' }, 'demo', 'cache-valkey')).toBeUndefined();
    } finally {
      w.cluster.store.patch(gvr, 'demo', 'cache', { spec: { version: from } }, 'application/merge-patch+json');
    }
  });
});
