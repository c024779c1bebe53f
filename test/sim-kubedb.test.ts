/**
 * The simulated KubeDB controllers (provisioner, PetSet controller, kubelet, Ops Manager, ops webhook)
 * talking to the Kubernetes API emulator over HTTP through client-node; the tests look at (and write)
 * the emulator's store directly.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { KubeConfig } from '@kubernetes/client-node';
import { Store } from '../sim/kube/store.js';
import { KubeApiServer } from '../sim/kube/server.js';
import { listenInPods } from '../sim/kube/portforward.js';
import type { KubeObject } from '../sim/kube/api.js';
import { findEngine } from '../src/engines/table.js';
import { catalogEntryFromObject, resolveTarget } from '../src/engines/versions.js';
import { CATALOG_FACTS } from '../sim/kubedb/catalog-facts.js';
import {
  installKubeDBCrds,
  seedCluster,
  startKubeDBSim,
  seedCatalog,
  dbGvr,
  opsGvr,
  catalogGvr,
  PETSET_GVR,
  POD_GVR,
  EVENT_GVR,
  SEED_ORDERS,
  type KubeDBSim,
  type KubeDBSimOptions,
} from '../sim/kubedb/index.js';

const CRD_GVR = { group: 'apiextensions.k8s.io', version: 'v1', plural: 'customresourcedefinitions' };
const mysql = findEngine('mysql')!;
const postgres = findEngine('postgres')!;
const pxc = findEngine('perconaxtradb')!;
const proxysql = findEngine('proxysql')!;

let cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.reverse()) await c();
  cleanups = [];
});

/** An emulator serving HTTP, KubeDB's CRDs and the seed installed over HTTP, the simulation started on it and settled. */
async function cluster(opts: KubeDBSimOptions = {}, opsManager = true) {
  const store = new Store();
  const server = await KubeApiServer.start({ store });
  cleanups.push(() => server.stop());
  const kubeConfig = new KubeConfig();
  kubeConfig.loadFromString(server.kubeconfigYaml());
  await installKubeDBCrds(kubeConfig, { opsManager });
  await seedCluster(kubeConfig);
  const sim: KubeDBSim = await startKubeDBSim(kubeConfig, { podReadyDelayMs: 15, stepDelayMs: 10, podNetwork: (l) => listenInPods(store, l), ...opts });
  cleanups.push(() => sim.stop());
  await sim.settled(20_000);
  return { store, sim, server, kubeConfig };
}

async function waitFor<T>(what: string, fn: () => T | undefined | false, timeoutMs = 8000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

const phaseOf = (o: KubeObject | undefined) => (o?.status as { phase?: string } | undefined)?.phase;
const conds = (o: KubeObject | undefined) => ((o?.status as { conditions?: Array<{ type: string; status: string; reason?: string; message?: string }> })?.conditions ?? []);
const image = (pod: KubeObject | undefined, c: string) => ((pod?.spec as { containers: Array<{ name: string; image: string }> }).containers.find((x) => x.name === c)?.image);
const ready = (pod: KubeObject | undefined) => conds(pod).some((c) => c.type === 'Ready' && c.status === 'True');

function opsRequest(e: typeof mysql, ns: string, name: string, db: string, target: string, extra: Record<string, unknown> = {}): KubeObject {
  return {
    apiVersion: 'ops.kubedb.com/v1alpha1',
    kind: e.opsRequestKind,
    metadata: { name, namespace: ns },
    spec: { type: 'UpdateVersion', [e.opsRequestRefField]: { name: db }, updateVersion: { targetVersion: target }, ...extra },
  };
}

async function finished(store: Store, e: typeof mysql, ns: string, name: string): Promise<KubeObject> {
  return waitFor(`${name} to finish`, () => {
    const o = store.tryGet(opsGvr(e), ns, name);
    return o && ['Successful', 'Failed'].includes(phaseOf(o) ?? '') ? o : undefined;
  });
}

describe('seeded cluster', () => {
  it('provisions every seed: PetSets, pods with KubeDB labels, roles and catalog images; legacy never Ready', async () => {
    const { store } = await cluster();
    const orders = store.get(dbGvr(mysql), 'demo', 'orders');
    expect(phaseOf(orders)).toBe('Ready');
    expect(conds(orders).map((c) => c.type)).toEqual(expect.arrayContaining(['ProvisioningStarted', 'ReplicaReady', 'AcceptingConnection', 'Ready', 'Provisioned']));
    expect((orders.status as { observedGeneration?: number }).observedGeneration).toBe(orders.metadata.generation);

    const set = store.get(PETSET_GVR, 'demo', 'orders');
    expect(set.metadata.ownerReferences?.[0]).toMatchObject({ kind: 'MySQL', name: 'orders', uid: orders.metadata.uid, controller: true });
    expect(set.status).toMatchObject({ replicas: 3, readyReplicas: 3, updatedReplicas: 3 });
    const pods = store.list(POD_GVR, 'demo', 'app.kubernetes.io/instance=orders').items;
    expect(pods.map((p) => p.metadata.name)).toEqual(['orders-0', 'orders-1', 'orders-2']);
    expect(pods.map((p) => p.metadata.labels?.['kubedb.com/role'])).toEqual(['primary', 'standby', 'standby']);
    for (const p of pods) {
      expect(p.metadata.labels).toMatchObject({ 'app.kubernetes.io/name': 'mysqls.kubedb.com', 'app.kubernetes.io/managed-by': 'kubedb.com', 'app.kubernetes.io/component': 'database' });
      expect(image(p, 'mysql')).toBe('ghcr.io/appscode-images/mysql:8.0.35-oracle');
      expect(p.status).toMatchObject({ phase: 'Running' });
      expect(ready(p)).toBe(true);
      const cs = (p.status as { containerStatuses: Array<{ name: string; ready: boolean; imageID: string }> }).containerStatuses;
      expect(cs.find((c) => c.name === 'mysql')).toMatchObject({ ready: true, imageID: expect.stringContaining('@sha256:') });
    }

    const ledgerPods = store.list(POD_GVR, 'billing', 'app.kubernetes.io/instance=ledger').items;
    expect(ledgerPods.map((p) => image(p, 'postgres'))).toEqual(Array(3).fill('ghcr.io/appscode-images/postgres:15.8-alpine'));
    const gw = store.list(POD_GVR, 'demo', 'app.kubernetes.io/instance=gateway').items;
    expect(gw.map((p) => image(p, 'proxysql'))).toEqual(['ghcr.io/kubedb/proxysql:2.4.4-debian', 'ghcr.io/kubedb/proxysql:2.4.4-debian']);
    expect(gw[0].metadata.labels?.['kubedb.com/role']).toBeUndefined();
    expect(phaseOf(store.get(dbGvr(pxc), 'demo', 'inventory'))).toBe('Ready');

    const legacy = store.get(dbGvr(mysql), 'demo', 'legacy');
    expect(phaseOf(legacy)).toBe('Provisioning');
    const legacyPod = await waitFor('legacy-0 crash looping', () => {
      const p = store.tryGet(POD_GVR, 'demo', 'legacy-0');
      const cs = (p?.status as { containerStatuses?: Array<{ name: string; restartCount: number; state: { waiting?: { reason: string } } }> })?.containerStatuses;
      return cs?.[0]?.state.waiting?.reason === 'CrashLoopBackOff' && cs[0].restartCount >= 2 ? p : undefined;
    });
    expect(ready(legacyPod)).toBe(false);
  });

  it('ships KubeDB\'s real catalogs, which the bot’s version logic reads: orders 8.4 → 8.4.8, 9.1.0 allowed, 9.4.0 refused, 8.0.32 deprecated', () => {
    const objs = seedCatalog().filter((o) => o.kind === 'MySQLVersion');
    expect(objs).toHaveLength(CATALOG_FACTS.MySQLVersion.length);
    const catalog = objs.map((o) => catalogEntryFromObject(mysql, o, 'GroupReplication'));
    const current = catalog.find((c) => c.name === '8.0.35')!;
    // kubedb/installer 0c6e2459 charts/kubedb-catalog/templates/mysql/mysql-8.0.35-official.yaml
    expect(current.allowlist).toEqual(['>= 8.0.35, <= 9.1.0']);
    expect(current.denylist).toEqual(['< 8.0.35']);
    expect(current.images.replicationModeDetector).toBe('ghcr.io/kubedb/replication-mode-detector:v0.54.0-rc.0');
    const r = resolveTarget(mysql, current, '8.4', catalog);
    expect(r).toMatchObject({ ok: true, updateType: 'major', target: { name: '8.4.8' } });
    expect(resolveTarget(mysql, current, '9.1.0', catalog)).toMatchObject({ ok: true, target: { name: '9.1.0' } });
    expect(resolveTarget(mysql, current, '9.4.0', catalog)).toMatchObject({ ok: false, code: 'not_allowed' });
    expect(resolveTarget(mysql, current, '8.0.32', catalog)).toMatchObject({ ok: false, code: 'deprecated' });
    const pg = seedCatalog().filter((o) => o.kind === 'PostgresVersion').map((o) => catalogEntryFromObject(postgres, o));
    const ledger = pg.find((c) => c.name === '15.8')!;
    expect(resolveTarget(postgres, ledger, '16', pg)).toMatchObject({ ok: true, updateType: 'major', target: { name: '16.13', baseOS: 'alpine' } });
    expect(resolveTarget(postgres, ledger, '15', pg)).toMatchObject({ ok: true, updateType: 'minor', target: { name: '15.17', baseOS: 'alpine' } });
    const px = seedCatalog().filter((o) => o.kind === 'ProxySQLVersion').map((o) => catalogEntryFromObject(proxysql, o));
    expect(px.find((c) => c.name === '2.4.4-debian')?.dbImage).toBe('ghcr.io/kubedb/proxysql:2.4.4-debian');
    // Every kind of the facts is seeded, each entry once.
    expect(seedCatalog()).toHaveLength(Object.values(CATALOG_FACTS).reduce((n, l) => n + l.length, 0));
  });

  it('opsManager:false installs no ops.kubedb.com CRDs, but databases still provision', async () => {
    const { store } = await cluster({}, false);
    const crds = store.list(CRD_GVR, undefined).items.map((c) => c.metadata.name);
    expect(crds.filter((n) => n.endsWith('.ops.kubedb.com'))).toEqual([]);
    expect(crds).toEqual(expect.arrayContaining(['mysqls.kubedb.com', 'mysqlversions.catalog.kubedb.com', 'petsets.apps.k8s.appscode.com']));
    expect(store.resourceType(opsGvr(mysql))).toBeUndefined();
    expect(store.resourceType(dbGvr(mysql))?.shortNames).toEqual(['my']);
    expect(phaseOf(store.get(dbGvr(mysql), 'demo', 'orders'))).toBe('Ready');
  });
});

describe('PetSet controller', () => {
  it('rolls only ordinals ≥ partition, highest first, one at a time', async () => {
    const { store } = await cluster();
    const labels = { app: 'web' };
    const template = (img: string) => ({ metadata: { labels }, spec: { containers: [{ name: 'web', image: img }] } });
    store.create(PETSET_GVR, {
      apiVersion: 'apps.k8s.appscode.com/v1',
      kind: 'PetSet',
      metadata: { name: 'web', namespace: 'demo' },
      spec: { replicas: 4, serviceName: 'web', selector: { matchLabels: labels }, template: template('nginx:1'), updateStrategy: { type: 'RollingUpdate', rollingUpdate: { partition: 2 } } },
    });
    await waitFor('web ready', () => (store.get(PETSET_GVR, 'demo', 'web').status as { readyReplicas?: number })?.readyReplicas === 4);

    const deleted: string[] = [];
    let maxUnready = 0;
    const stop = store.watch(POD_GVR, { namespace: 'demo', labelSelector: 'app=web', resourceVersion: store.currentResourceVersion() }, (ev) => {
      if (ev.type === 'DELETED') deleted.push(ev.object.metadata.name);
      const unready = store.list(POD_GVR, 'demo', 'app=web').items.filter((p) => !ready(p)).length;
      maxUnready = Math.max(maxUnready, unready);
    });
    const cur = store.get(PETSET_GVR, 'demo', 'web');
    (cur.spec as { template: unknown }).template = template('nginx:2');
    store.update(PETSET_GVR, cur);

    await waitFor('web-2 and web-3 on nginx:2', () => ['web-2', 'web-3'].every((n) => {
      const p = store.tryGet(POD_GVR, 'demo', n);
      return p !== undefined && image(p, 'web') === 'nginx:2' && ready(p);
    }));
    await new Promise((r) => setTimeout(r, 80));
    stop();
    expect(deleted).toEqual(['web-3', 'web-2']);
    expect(maxUnready).toBe(1);
    expect(['web-0', 'web-1'].map((n) => image(store.get(POD_GVR, 'demo', n), 'web'))).toEqual(['nginx:1', 'nginx:1']);
    const st = store.get(PETSET_GVR, 'demo', 'web').status as Record<string, unknown>;
    expect(st).toMatchObject({ replicas: 4, readyReplicas: 4, updatedReplicas: 2, currentReplicas: 2 });
    expect(st.updateRevision).not.toBe(st.currentRevision);
  });
});

describe('Ops Manager UpdateVersion', () => {
  it('MySQL orders 8.0.35 → 8.0.36: Successful, paused during and resumed after, pods and spec.version updated', async () => {
    const { store } = await cluster();
    // Ops Manager asks for the pause (Paused=Unknown, "<Kind>OpsRequest <name> is in process"); the provisioner approves it (True).
    const pauses: string[] = [];
    const stop = store.watch(dbGvr(mysql), { namespace: 'demo', resourceVersion: store.currentResourceVersion() }, (ev) => {
      const p = ev.object.metadata.name === 'orders' ? conds(ev.object).find((c) => c.type === 'Paused') : undefined;
      const word = p ? `${p.status}: ${p.message}` : '';
      if (word && pauses[pauses.length - 1] !== word) pauses.push(word);
    });
    store.create(opsGvr(mysql), opsRequest(mysql, 'demo', 'orders-upd', 'orders', '8.0.36'));
    const ops = await finished(store, mysql, 'demo', 'orders-upd');
    stop();
    expect(phaseOf(ops)).toBe('Successful');
    const types = conds(ops).map((c) => c.type);
    expect(types.filter((t) => !t.includes('--'))).toEqual(['Progressing', 'DatabasePauseSucceeded', 'UpdatePetSetsSucceeded', 'VersionUpdateSucceeded', 'DatabaseResumeSucceeded', 'Successful']);
    expect(types.filter((t) => t.startsWith('CheckPodReady--'))).toEqual(['CheckPodReady--orders-2', 'CheckPodReady--orders-1', 'CheckPodReady--orders-0']);
    expect((ops.status as { observedGeneration?: number }).observedGeneration).toBe(ops.metadata.generation);

    const db = store.get(dbGvr(mysql), 'demo', 'orders');
    expect((db.spec as { version: string }).version).toBe('8.0.36');
    expect(pauses).toEqual(['Unknown: MySQLOpsRequest orders-upd is in process', 'True: MySQLOpsRequest orders-upd is in process']);
    expect(conds(db).some((c) => c.type === 'Paused')).toBe(false);
    const pods = store.list(POD_GVR, 'demo', 'app.kubernetes.io/instance=orders').items;
    expect(pods.map((p) => image(p, 'mysql'))).toEqual(Array(3).fill('ghcr.io/appscode-images/mysql:8.0.36-debian'));
    expect(pods.every(ready)).toBe(true);
    await waitFor('orders Ready again', () => phaseOf(store.get(dbGvr(mysql), 'demo', 'orders')) === 'Ready');

    // Ops Manager records its Events over HTTP after the status writes: wait for them.
    const want = ['DatabasePauseSucceeded', 'UpdatePetSetsSucceeded', 'DatabaseResumeSucceeded', 'Successful'];
    const opsEvents = () => store.list(EVENT_GVR, 'demo').items.filter((ev) => (ev.involvedObject as { name: string }).name === 'orders-upd');
    await waitFor('the OpsRequest Events', () => want.every((r) => opsEvents().some((ev) => ev.reason === r)));
    const events = opsEvents();
    expect(events.map((ev) => ev.reason)).toEqual(expect.arrayContaining(want));
    expect(events[0].source).toEqual({ component: 'KubeDB Ops-manager Operator' });
  });

  it('Postgres ledger 15.8 → 16.13 (major) copies the old binaries before the images', async () => {
    const { store } = await cluster();
    store.create(opsGvr(postgres), opsRequest(postgres, 'billing', 'ledger-major', 'ledger', '16.13'));
    const ops = await finished(store, postgres, 'billing', 'ledger-major');
    expect(phaseOf(ops)).toBe('Successful');
    const types = conds(ops).map((c) => c.type);
    expect(types.indexOf('CopiedOldBinaries')).toBeGreaterThan(types.indexOf('DatabasePauseSucceeded'));
    expect(types.indexOf('CopiedOldBinaries')).toBeLessThan(types.indexOf('UpdatePetSetsSucceeded'));
    expect(store.list(POD_GVR, 'billing', 'app.kubernetes.io/instance=ledger').items.map((p) => image(p, 'postgres'))).toEqual(Array(3).fill('ghcr.io/appscode-images/postgres:16.13-alpine'));
  });

  it('PerconaXtraDB checks each pod after its image update, stepping the partition down', async () => {
    const { store } = await cluster();
    store.create(opsGvr(pxc), opsRequest(pxc, 'demo', 'inv-upd', 'inventory', '8.4.3'));
    const ops = await finished(store, pxc, 'demo', 'inv-upd');
    expect(phaseOf(ops)).toBe('Successful');
    const perPod = conds(ops).map((c) => c.type).filter((t) => t.includes('--'));
    expect(perPod).toEqual([
      'CheckPodReady--inventory-2', 'CheckReplicationInSync--inventory-2',
      'CheckPodReady--inventory-1', 'CheckReplicationInSync--inventory-1',
      'CheckPodReady--inventory-0', 'CheckReplicationInSync--inventory-0',
    ]);
    expect((store.get(PETSET_GVR, 'demo', 'inventory').spec as { updateStrategy: unknown }).updateStrategy).toEqual({ type: 'RollingUpdate', rollingUpdate: { partition: 0 } });
  });

  it('ProxySQL uses proxyRef and refuses a deprecated target', async () => {
    const { store } = await cluster();
    store.create(opsGvr(proxysql), opsRequest(proxysql, 'demo', 'gw-dep', 'gateway', '2.3.2'));
    const bad = await finished(store, proxysql, 'demo', 'gw-dep');
    expect(phaseOf(bad)).toBe('Failed');
    expect(conds(bad).at(-1)).toMatchObject({ type: 'Failed', reason: 'DeprecatedVersion' });
    store.create(opsGvr(proxysql), opsRequest(proxysql, 'demo', 'gw-upd', 'gateway', '2.7.3-debian'));
    const good = await finished(store, proxysql, 'demo', 'gw-upd');
    expect(phaseOf(good)).toBe('Successful');
    expect(conds(good).map((c) => c.type)).toContain('CheckProxySQLInSync--gateway-0');
    expect((store.get(dbGvr(proxysql), 'demo', 'gateway').spec as { version: string }).version).toBe('2.7.3-debian');
  });

  it('refuses a database that is not Ready (apply: IfReady)', async () => {
    const { store } = await cluster();
    store.create(opsGvr(mysql), opsRequest(mysql, 'demo', 'legacy-upd', 'legacy', '8.0.36'));
    const ops = await finished(store, mysql, 'demo', 'legacy-upd');
    expect(conds(ops).at(-1)).toMatchObject({ type: 'Failed', reason: 'DatabaseNotReady' });
    expect(conds(store.get(dbGvr(mysql), 'demo', 'legacy')).some((c) => c.type === 'Paused')).toBe(false);
  });

  it('an injected images failure ends Failed with the reason, the database left paused on its old version', async () => {
    const { store, sim } = await cluster();
    sim.faults.failOpsAt('images');
    store.create(opsGvr(mysql), opsRequest(mysql, 'demo', 'orders-fail', 'orders', '8.0.36'));
    const ops = await finished(store, mysql, 'demo', 'orders-fail');
    expect(phaseOf(ops)).toBe('Failed');
    const last = conds(ops).slice(-2);
    expect(last[0]).toMatchObject({ type: 'UpdatePetSetsFailed', status: 'False', reason: 'UpdatePetSetsFailed' });
    expect(last[1]).toMatchObject({ type: 'Failed', status: 'True', reason: 'UpdatePetSetsFailed', message: expect.stringContaining('PetSet demo/orders') });
    const db = store.get(dbGvr(mysql), 'demo', 'orders');
    expect((db.spec as { version: string }).version).toBe(SEED_ORDERS.version);
    expect(conds(db).find((c) => c.type === 'Paused')?.status).toBe('True');
    const warn = store.list(EVENT_GVR, 'demo').items.find((ev) => ev.reason === 'UpdatePetSetsFailed');
    expect(warn?.type).toBe('Warning');
  });

  it('a pod that never becomes Ready fails the update at images after the timeout, with the kubelet reason', async () => {
    const { store, sim } = await cluster({ opsTimeoutMs: 400 });
    sim.faults.podNeverReady('demo', 'orders-2', 'ImagePullBackOff');
    store.create(opsGvr(mysql), opsRequest(mysql, 'demo', 'orders-stuck', 'orders', '8.0.36'));
    const ops = await finished(store, mysql, 'demo', 'orders-stuck');
    expect(phaseOf(ops)).toBe('Failed');
    expect(conds(ops).at(-1)).toMatchObject({
      type: 'Failed',
      reason: 'UpdatePetSetsFailed',
      message: expect.stringMatching(/orders-2 .*ImagePullBackOff: Back-off pulling image "ghcr.io\/appscode-images\/mysql:8.0.36-debian"/),
    });
    const pod = store.get(POD_GVR, 'demo', 'orders-2');
    expect(pod.status).toMatchObject({ phase: 'Pending' });
    expect(image(store.get(POD_GVR, 'demo', 'orders-1'), 'mysql')).toBe('ghcr.io/appscode-images/mysql:8.0.35-oracle');
    expect(store.tryGet(catalogGvr(mysql), undefined, '8.0.36')).toBeDefined();
  });
});
