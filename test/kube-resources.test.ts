/**
 * The typed resource helpers (src/kube/resources.ts) against the Kubernetes API emulator, as the bot's
 * service account (RBAC from deploy/rbac.yaml): each kind's get/list/create/replace/patch/delete, the
 * conventions (404 → undefined / false) and the API server's own errors (409 on a stale resourceVersion,
 * AlreadyExists, a failed delete precondition; dryRun stores nothing).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmbeddedCluster, type EmbeddedCluster } from '../sim/world.js';
import { findEngine } from '../src/engines/table.js';
import { statusCode } from '../src/kube/errors.js';
import {
  catalogVersions,
  databases,
  databaseUpdates,
  events,
  leases,
  opsRequests,
  petSets,
  pods,
  servedResources,
  type KubeCondition,
  type OpsRequestObject,
} from '../src/kube/resources.js';
import { buildOpsRequest } from '../src/kube/kubedb.js';
import { RECORD_API_VERSION, RECORD_GROUP, RECORD_KIND, RECORD_PLURAL, RECORD_VERSION, type DatabaseUpdate } from '../src/api/v1alpha1/databaseupdate.js';
import { VALID_RECORD_SPEC } from './support/record-spec.js';
import { startInformer } from '../src/kube/informer.js';
import { pollUntil } from '../sim/script.js';

const mysql = findEngine('mysql')!;
let c: EmbeddedCluster;

/** The error a promise rejects with (fails the test when it resolves). */
async function rejection(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (err) {
    return err;
  }
  throw new Error('expected a rejection');
}

beforeAll(async () => {
  c = await startEmbeddedCluster({ podReadyDelayMs: 15, stepDelayMs: 15 });
});
afterAll(async () => {
  await c.botKube.cache.stop();
  await c?.stop();
});

describe('DatabaseUpdate records', () => {
  const record = (name: string, labels: Record<string, string> = {}): DatabaseUpdate => ({
    apiVersion: RECORD_API_VERSION,
    kind: RECORD_KIND,
    metadata: { name, namespace: 'dbupdate', labels },
    spec: structuredClone(VALID_RECORD_SPEC) as unknown as DatabaseUpdate['spec'],
  });

  it('uses the coordinates of src/api/v1alpha1/databaseupdate.ts', () => {
    const r = databaseUpdates(c.botKube);
    expect(r.kind).toMatchObject({ group: RECORD_GROUP, version: RECORD_VERSION, plural: RECORD_PLURAL, kind: RECORD_KIND });
    expect(r.path('dbupdate')).toBe(`/apis/${RECORD_GROUP}/${RECORD_VERSION}/namespaces/dbupdate/${RECORD_PLURAL}`);
  });

  it('create, get, list by label, a status merge patch guarded by resourceVersion, delete with a precondition', async () => {
    const r = databaseUpdates(c.botKube);
    const made = await r.create(record('res-a', { 'test/kind': 'a' }));
    await r.create(record('res-b', { 'test/kind': 'b' }));
    expect(made.metadata.resourceVersion).toBeTruthy();
    expect((await r.get('dbupdate', 'res-a'))?.spec.targetVersion).toBe('8.4.3');
    expect(await r.get('dbupdate', 'res-none')).toBeUndefined();
    expect((await r.list('dbupdate', { labelSelector: 'test/kind=a' })).map((x) => x.metadata.name)).toEqual(['res-a']);

    expect(statusCode(await rejection(r.create(record('res-a'))))).toBe(409); // AlreadyExists

    const guard = { resourceVersion: made.metadata.resourceVersion };
    const written = await r.mergePatchStatus('dbupdate', 'res-a', { metadata: guard, status: { phase: 'Approved' } });
    expect(written.status?.phase).toBe('Approved');
    expect(written.spec.targetVersion).toBe('8.4.3'); // a status patch leaves the spec alone
    // The resourceVersion first read is stale now: the API server refuses the patch.
    expect(statusCode(await rejection(r.mergePatchStatus('dbupdate', 'res-a', { metadata: guard, status: { phase: 'Rejected' } })))).toBe(409);
    expect((await r.get('dbupdate', 'res-a'))?.status?.phase).toBe('Approved');

    expect(statusCode(await rejection(r.delete('dbupdate', 'res-a', { preconditions: { resourceVersion: made.metadata.resourceVersion } })))).toBe(409);
    expect(await r.delete('dbupdate', 'res-a', { preconditions: { resourceVersion: written.metadata.resourceVersion } })).toBe(true);
    expect(await r.delete('dbupdate', 'res-a')).toBe(false); // already gone
    expect(await r.get('dbupdate', 'res-a')).toBeUndefined();
  });

  it('path() and listObject() feed an informer (list, then watch) with no cast', async () => {
    const r = databaseUpdates(c.botKube);
    const cache = startInformer<DatabaseUpdate>(c.botKube, r.path('dbupdate'), () => r.listObject('dbupdate'), () => undefined);
    try {
      await cache.synced;
      await r.create(record('res-watched'));
      await pollUntil(async () => cache.get('res-watched', 'dbupdate') ?? undefined, 5000, () => 'the created record in the informer');
      expect(cache.get('res-watched', 'dbupdate')?.spec.engine).toBe('MySQL');
    } finally {
      await cache.stop();
      await r.delete('dbupdate', 'res-watched');
    }
  });

  it('a create with dryRun stores nothing; one without a namespace is refused before any request', async () => {
    const r = databaseUpdates(c.botKube);
    const answer = await r.create(record('res-dry'), { dryRun: true });
    expect(answer.metadata.name).toBe('res-dry');
    expect(await r.get('dbupdate', 'res-dry')).toBeUndefined();
    const bad = record('res-nons');
    await expect(r.create({ ...bad, metadata: { ...bad.metadata, namespace: '' } })).rejects.toThrow(/metadata.namespace is required/);
  });
});

describe('KubeDB kinds', () => {
  it('reads a database object of an engine, and merge-patches its status conditions guarded by resourceVersion', async () => {
    const dbs = databases(c.botKube, mysql);
    const db = await dbs.get('demo', 'orders');
    expect(db?.kind).toBe('MySQL');
    expect(db?.status?.phase).toBe('Ready');
    expect(await dbs.get('demo', 'nope')).toBeUndefined();
    const conditions: KubeCondition[] = [...(db!.status?.conditions ?? []), { type: 'TestMark', status: 'True', reason: 'Test', lastTransitionTime: new Date().toISOString() }];
    const patched = await dbs.mergePatchStatus('demo', 'orders', { metadata: { resourceVersion: db!.metadata.resourceVersion }, status: { conditions } });
    expect(patched.status?.conditions?.some((x) => x.type === 'TestMark')).toBe(true);
    const stale = dbs.mergePatchStatus('demo', 'orders', { metadata: { resourceVersion: db!.metadata.resourceVersion }, status: { conditions: db!.status?.conditions ?? [] } });
    expect(statusCode(await rejection(stale))).toBe(409);
    await dbs.mergePatchStatus('demo', 'orders', { status: { conditions: db!.status?.conditions ?? [] } });
  });

  it('an OpsRequest created with dryRun is judged by the webhook and not stored; a refused one is a 4xx', async () => {
    const ops = opsRequests(c.botKube, mysql);
    const body: OpsRequestObject = buildOpsRequest({ engine: mysql, namespace: 'demo', name: 'orders-res-dry', database: 'orders', targetVersion: '8.4.3', labels: {} });
    const judged = await ops.create(body, { dryRun: true });
    expect(judged.spec.updateVersion?.targetVersion).toBe('8.4.3');
    // Named by the API server from generateName (as preflight's dry run does).
    const generated = await ops.create({ ...body, metadata: { namespace: 'demo', generateName: 'orders-preflight-' } }, { dryRun: true });
    expect(generated.metadata.name).toMatch(/^orders-preflight-[a-z0-9]{5}$/);
    expect(await ops.get('demo', 'orders-res-dry')).toBeUndefined();
    expect(await ops.list('demo')).toEqual([]);
    const refused = buildOpsRequest({ engine: mysql, namespace: 'demo', name: 'orders-res-bad', database: 'orders', targetVersion: 'no-such-version', labels: {} });
    const code = statusCode(await rejection(ops.create(refused, { dryRun: true })));
    expect([400, 403, 422]).toContain(code);
  });

  it('lists the version catalog live and from the cache', async () => {
    const cat = catalogVersions(c.botKube, mysql);
    const live = (await cat.list()).map((o) => o.metadata.name);
    expect(live).toContain('8.4.3');
    expect((await cat.listCached()).map((o) => o.metadata.name).sort()).toEqual([...live].sort());
    expect((await cat.list()).find((o) => o.metadata.name === '8.4.3')?.spec?.version).toBe('8.4.3');
  });

  it('reads a PetSet and refuses a merge patch carrying a stale resourceVersion', async () => {
    const sets = petSets(c.botKube);
    const set = await sets.get('demo', 'orders');
    expect(set?.spec.template?.spec?.containers?.some((x) => x.name === 'mysql')).toBe(true);
    const partition = set!.spec.updateStrategy?.rollingUpdate?.partition ?? 0;
    const done = await sets.mergePatch('demo', 'orders', { metadata: { resourceVersion: set!.metadata.resourceVersion }, spec: { updateStrategy: { type: 'RollingUpdate', rollingUpdate: { partition } } } });
    expect(done.metadata.name).toBe('orders');
    const stale = sets.mergePatch('demo', 'orders', { metadata: { resourceVersion: '1' }, spec: { updateStrategy: { rollingUpdate: { partition } } } });
    expect(statusCode(await rejection(stale))).toBe(409);
  });

  it('lists pods by label selector', async () => {
    const list = await pods(c.botKube).list('demo', { labelSelector: 'app.kubernetes.io/instance=orders,app.kubernetes.io/managed-by=kubedb.com' });
    expect(list.length).toBeGreaterThan(0);
    expect(list.every((p) => p.metadata?.name?.startsWith('orders-'))).toBe(true);
    expect(await pods(c.botKube).delete('demo', 'orders-does-not-exist')).toBe(false);
    const all = await pods(c.botKube).listObject(undefined, { labelSelector: 'app.kubernetes.io/managed-by=kubedb.com' });
    expect(all.metadata?.resourceVersion).toBeTruthy();
    expect(all.items.length).toBeGreaterThan(list.length); // every seeded database's pods, in every namespace
  });
});

describe('Leases, Events, discovery', () => {
  it('a Lease: create, 409 AlreadyExists, replace guarded, delete with a stale precondition refused', async () => {
    const l = leases(c.botKube);
    const made = await l.create({ metadata: { name: 'res-lock', namespace: 'dbupdate' }, spec: { holderIdentity: 'a' } });
    expect(statusCode(await rejection(l.create({ metadata: { name: 'res-lock', namespace: 'dbupdate' }, spec: { holderIdentity: 'b' } })))).toBe(409);
    const taken = await l.replace({ ...made, spec: { holderIdentity: 'b' } });
    expect((await l.get('dbupdate', 'res-lock'))?.spec?.holderIdentity).toBe('b');
    expect(statusCode(await rejection(l.replace({ ...made, spec: { holderIdentity: 'c' } })))).toBe(409);
    expect(statusCode(await rejection(l.delete('dbupdate', 'res-lock', { preconditions: { resourceVersion: made.metadata!.resourceVersion } })))).toBe(409);
    expect(await l.delete('dbupdate', 'res-lock', { preconditions: { resourceVersion: taken.metadata!.resourceVersion } })).toBe(true);
    expect(await l.get('dbupdate', 'res-lock')).toBeUndefined();
    expect(await l.delete('dbupdate', 'res-lock')).toBe(false);
  });

  it('an Event on a database object', async () => {
    const e = await events(c.botKube).create({
      metadata: { generateName: 'orders.', namespace: 'demo' },
      involvedObject: { apiVersion: 'kubedb.com/v1', kind: 'MySQL', name: 'orders', namespace: 'demo' },
      reason: 'ResourcesTest',
      message: 'typed helper',
      type: 'Normal',
    });
    expect(e.metadata?.name).toMatch(/^orders\./);
    expect((await c.kube.core.listNamespacedEvent({ namespace: 'demo' })).items.some((x) => x.reason === 'ResourcesTest')).toBe(true);
  });

  it('discovery names the served resources; a group not served is a 404', async () => {
    expect(await servedResources(c.botKube, RECORD_GROUP, RECORD_VERSION)).toContain('databaseupdates');
    expect(await servedResources(c.botKube, 'ops.kubedb.com', 'v1alpha1')).toContain(mysql.opsRequestPlural);
    expect(statusCode(await rejection(servedResources(c.botKube, 'nothing.example.com', 'v1')))).toBe(404);
  });
});
