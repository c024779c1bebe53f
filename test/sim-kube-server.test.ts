/**
 * The emulator's HTTP API spoken to by the real `@kubernetes/client-node` 1.4 (promise API, one object
 * argument; patch content type chosen per call with `setHeaderOptions`).
 */
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import {
  ApiException,
  ApiextensionsV1Api,
  CoreV1Api,
  CustomObjectsApi,
  KubeConfig,
  PatchStrategy,
  Watch,
  makeInformer,
  setHeaderOptions,
  type KubernetesObject,
  type V1CustomResourceDefinition,
} from '@kubernetes/client-node';
import { KubeApiServer } from '../sim/kube/server.js';
import { Store } from '../sim/kube/store.js';
import { VALID_RECORD_SPEC } from './support/record-spec.js';

const MERGE = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);
const JSONP = setHeaderOptions('Content-Type', PatchStrategy.JsonPatch);
const STRATEGIC = setHeaderOptions('Content-Type', PatchStrategy.StrategicMergePatch);
const DU = { group: 'dbupdate.dev', version: 'v1alpha1', plural: 'databaseupdates' };

function kubeConfig(server: KubeApiServer): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromString(server.kubeconfigYaml());
  return kc;
}

/** The ApiException a promise rejects with, and its Status body parsed (docs/stack-notes.md: body is a JSON string). */
async function apiError(p: Promise<unknown>): Promise<{ code: number; body: { kind: string; reason: string; message: string; code: number } }> {
  try {
    await p;
  } catch (err) {
    expect(err).toBeInstanceOf(ApiException);
    const e = err as ApiException<unknown>;
    return { code: e.code, body: typeof e.body === 'string' ? JSON.parse(e.body) : e.body };
  }
  throw new Error('expected an ApiException');
}

let server: KubeApiServer;
let core: CoreV1Api;
let custom: CustomObjectsApi;
let kc: KubeConfig;

beforeAll(async () => {
  server = await KubeApiServer.start({ store: new Store({ historySize: 50 }) });
  kc = kubeConfig(server);
  core = kc.makeApiClient(CoreV1Api);
  custom = kc.makeApiClient(CustomObjectsApi);
  const crd = parseYaml(readFileSync(new URL('../deploy/crd-databaseupdate.yaml', import.meta.url), 'utf8')) as V1CustomResourceDefinition;
  // Over plain HTTP: client-node's model serializer would drop the schema's raw `enum`, `default` and
  // `x-kubernetes-*` keys (its TypeScript names are `_enum`, `_default`, …), installing a weaker schema.
  const res = await fetch(`${server.url}/apis/apiextensions.k8s.io/v1/customresourcedefinitions`, { method: 'POST', headers: { 'Content-Type': 'application/json', Authorization: 'Bearer sim-token' }, body: JSON.stringify(crd) });
  expect(res.status).toBe(201);
  expect(((await kc.makeApiClient(ApiextensionsV1Api).readCustomResourceDefinition({ name: 'databaseupdates.dbupdate.dev' })).spec.versions[0].schema?.openAPIV3Schema?.properties?.spec?.properties?.updateType?._enum)).toEqual(['patch', 'minor', 'major']);
  await core.createNamespace({ body: { metadata: { name: 'demo' } } });
});
afterAll(async () => {
  await server.stop();
});

describe('KubeApiServer with client-node: core resources', () => {
  it('serves a kubeconfig on 127.0.0.1 and discovery documents', async () => {
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(server.kubeconfigYaml()).toContain('current-context: sim');
    const groups = (await (await fetch(`${server.url}/apis`)).json()) as { kind: string; groups: Array<{ name: string; preferredVersion: { version: string } }> };
    expect(groups.kind).toBe('APIGroupList');
    expect(groups.groups.find((g) => g.name === 'dbupdate.dev')?.preferredVersion.version).toBe('v1alpha1');
    const rl = (await (await fetch(`${server.url}/api/v1`)).json()) as { resources: Array<{ name: string; verbs: string[]; shortNames?: string[] }> };
    expect(rl.resources.find((r) => r.name === 'pods')?.shortNames).toEqual(['po']);
    expect(rl.resources.find((r) => r.name === 'pods/status')?.verbs).toEqual(['get', 'patch', 'update']);
    expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
    expect(((await (await fetch(`${server.url}/version`)).json()) as { major: string }).major).toBe('1');
  });

  it('creates, reads and lists with a label selector', async () => {
    await core.createNamespacedConfigMap({ namespace: 'demo', body: { metadata: { name: 'a', labels: { app: 'x' } }, data: { k: '1' } } });
    await core.createNamespacedConfigMap({ namespace: 'demo', body: { metadata: { name: 'b', labels: { app: 'y' } } } });
    const a = await core.readNamespacedConfigMap({ name: 'a', namespace: 'demo' });
    expect(a.data).toEqual({ k: '1' });
    expect(a.metadata?.uid).toBeTruthy();
    const list = await core.listNamespacedConfigMap({ namespace: 'demo', labelSelector: 'app in (x)' });
    expect(list.items.map((i) => i.metadata?.name)).toEqual(['a']);
    expect(list.metadata?.resourceVersion).toMatch(/^\d+$/);
    const raw = (await (await fetch(`${server.url}/api/v1/namespaces/demo/configmaps`)).json()) as { kind: string; apiVersion: string };
    expect(raw).toMatchObject({ kind: 'ConfigMapList', apiVersion: 'v1' });
  });

  it('patches with merge, JSON and strategic merge patches', async () => {
    await core.createNamespacedPod({
      namespace: 'demo',
      body: { metadata: { name: 'p' }, spec: { containers: [{ name: 'db', image: 'mysql:8.0' }, { name: 'sidecar', image: 's:1' }] } },
    });
    const merged = await core.patchNamespacedConfigMap({ name: 'a', namespace: 'demo', body: { data: { k: null, j: '2' } } }, MERGE);
    expect(merged.data).toEqual({ j: '2' });
    const jp = await core.patchNamespacedConfigMap({ name: 'a', namespace: 'demo', body: [{ op: 'add', path: '/data/z', value: '3' }] }, JSONP);
    expect(jp.data).toEqual({ j: '2', z: '3' });
    const pod = await core.patchNamespacedPod({ name: 'p', namespace: 'demo', body: { spec: { containers: [{ name: 'db', image: 'mysql:8.4' }] } } }, STRATEGIC);
    expect(pod.spec?.containers.map((c) => `${c.name}=${c.image}`)).toEqual(['db=mysql:8.4', 'sidecar=s:1']);
    expect(pod.status?.phase).toBe('Pending');
  });

  it('answers 409 Conflict, 404 NotFound and 409 AlreadyExists as Status bodies', async () => {
    const a = await core.readNamespacedConfigMap({ name: 'a', namespace: 'demo' });
    await core.replaceNamespacedConfigMap({ name: 'a', namespace: 'demo', body: { ...a, data: { v: '1' } } });
    const stale = await apiError(core.replaceNamespacedConfigMap({ name: 'a', namespace: 'demo', body: { ...a, data: { v: '2' } } }));
    expect(stale.code).toBe(409);
    expect(stale.body).toMatchObject({ kind: 'Status', reason: 'Conflict', code: 409 });
    expect(stale.body.message).toContain('Operation cannot be fulfilled on configmaps "a": the object has been modified');
    const missing = await apiError(core.readNamespacedConfigMap({ name: 'nope', namespace: 'demo' }));
    expect(missing).toMatchObject({ code: 404, body: { reason: 'NotFound', message: 'configmaps "nope" not found' } });
    const dup = await apiError(core.createNamespacedConfigMap({ namespace: 'demo', body: { metadata: { name: 'a' } } }));
    expect(dup.body.reason).toBe('AlreadyExists');
    const noNs = await apiError(core.createNamespacedConfigMap({ namespace: 'ghost', body: { metadata: { name: 'a' } } }));
    expect(noNs).toMatchObject({ code: 404, body: { message: 'namespaces "ghost" not found' } });
    const invalid = await apiError(core.createNamespacedConfigMap({ namespace: 'demo', body: { metadata: { name: 'Not_OK' } } }));
    expect(invalid).toMatchObject({ code: 422, body: { reason: 'Invalid' } });
  });

  it('deletes: Status Success for configmaps, the object for pods', async () => {
    const st = await core.deleteNamespacedConfigMap({ name: 'b', namespace: 'demo' });
    expect(st).toMatchObject({ kind: 'Status', status: 'Success', details: { name: 'b', kind: 'configmaps' } });
    const pod = await core.deleteNamespacedPod({ name: 'p', namespace: 'demo' });
    expect(pod.metadata?.name).toBe('p');
    expect(pod.kind).toBe('Pod');
  });
});

/** A spec valid against deploy/crd-databaseupdate.yaml (test/support/record-spec.ts). */
const SPEC = VALID_RECORD_SPEC;

describe('KubeApiServer with client-node: custom resources', () => {
  const body = (name: string) => ({
    apiVersion: 'dbupdate.dev/v1alpha1',
    kind: 'DatabaseUpdate',
    metadata: { name, labels: { engine: 'mysql' } },
    spec: SPEC,
  });

  it('creates, lists, patches (merge and JSON) and refuses strategic merge with 415', async () => {
    const created = (await custom.createNamespacedCustomObject({ ...DU, namespace: 'demo', body: body('orders') })) as { metadata: { generation: number } };
    expect(created.metadata.generation).toBe(1);
    const list = (await custom.listNamespacedCustomObject({ ...DU, namespace: 'demo', labelSelector: 'engine=mysql' })) as { kind: string; items: unknown[] };
    expect(list.kind).toBe('DatabaseUpdateList');
    expect(list.items).toHaveLength(1);
    const patched = (await custom.patchNamespacedCustomObject({ ...DU, namespace: 'demo', name: 'orders', body: { spec: { reason: 'CVE' } } }, MERGE)) as {
      spec: Record<string, string>;
      metadata: { generation: number };
    };
    expect(patched.spec.reason).toBe('CVE');
    expect(patched.metadata.generation).toBe(2);
    const jp = (await custom.patchNamespacedCustomObject({ ...DU, namespace: 'demo', name: 'orders', body: [{ op: 'replace', path: '/spec/reason', value: 'CVE-2' }] }, JSONP)) as {
      spec: Record<string, string>;
    };
    expect(jp.spec.reason).toBe('CVE-2');
    const smp = await apiError(custom.patchNamespacedCustomObject({ ...DU, namespace: 'demo', name: 'orders', body: { spec: {} } }, STRATEGIC));
    expect(smp).toMatchObject({ code: 415, body: { reason: 'UnsupportedMediaType' } });
  });

  it('writes status only through the status subresource', async () => {
    const st = (await custom.patchNamespacedCustomObjectStatus({ ...DU, namespace: 'demo', name: 'orders', body: { status: { phase: 'Pending' }, spec: { engine: 'x' } } }, MERGE)) as {
      status: { phase: string };
      spec: { engine: string };
    };
    expect(st.status.phase).toBe('Pending');
    expect(st.spec.engine).toBe('MySQL');
    const main = (await custom.patchNamespacedCustomObject({ ...DU, namespace: 'demo', name: 'orders', body: { status: { phase: 'Hacked' } } }, MERGE)) as {
      status: { phase: string };
    };
    expect(main.status.phase).toBe('Pending');
  });

  it('answers 409 on a stale resourceVersion in a replace of a custom object', async () => {
    const cur = (await custom.getNamespacedCustomObject({ ...DU, namespace: 'demo', name: 'orders' })) as { metadata: { resourceVersion: string } };
    await custom.patchNamespacedCustomObject({ ...DU, namespace: 'demo', name: 'orders', body: { metadata: { labels: { touched: 'yes' } } } }, MERGE);
    const err = await apiError(custom.replaceNamespacedCustomObject({ ...DU, namespace: 'demo', name: 'orders', body: { ...body('orders'), metadata: { name: 'orders', resourceVersion: cur.metadata.resourceVersion } } }));
    expect(err.code).toBe(409);
    expect(err.body.message).toBe(
      'Operation cannot be fulfilled on databaseupdates.dbupdate.dev "orders": the object has been modified; please apply your changes to the latest version and try again',
    );
  });

  it('DELETE of a custom object answers a Success Status (kube-apiserver 1.36)', async () => {
    await custom.createNamespacedCustomObject({ ...DU, namespace: 'demo', body: body('gone') });
    const deleted = (await custom.deleteNamespacedCustomObject({ ...DU, namespace: 'demo', name: 'gone' })) as Record<string, unknown>;
    expect(deleted).toMatchObject({ kind: 'Status', status: 'Success', details: { name: 'gone', group: 'dbupdate.dev', kind: 'databaseupdates' } });
  });
});

describe('KubeApiServer with client-node: watch', () => {
  const path = '/apis/dbupdate.dev/v1alpha1/namespaces/demo/databaseupdates';

  it('streams ADDED, MODIFIED and DELETED', async () => {
    const list = (await custom.listNamespacedCustomObject({ ...DU, namespace: 'demo' })) as { metadata: { resourceVersion: string } };
    const events: string[] = [];
    let done: unknown = 'not yet';
    const ctl = await new Watch(kc).watch(path, { resourceVersion: list.metadata.resourceVersion }, (type, obj) => events.push(`${type} ${obj.metadata.name}`), (err) => (done = err));
    await custom.createNamespacedCustomObject({ ...DU, namespace: 'demo', body: { apiVersion: 'dbupdate.dev/v1alpha1', kind: 'DatabaseUpdate', metadata: { name: 'w' }, spec: SPEC } });
    await custom.patchNamespacedCustomObject({ ...DU, namespace: 'demo', name: 'w', body: { spec: { engine: 'Postgres' } } }, MERGE);
    await custom.deleteNamespacedCustomObject({ ...DU, namespace: 'demo', name: 'w' });
    await expect.poll(() => events).toEqual(['ADDED w', 'MODIFIED w', 'DELETED w']);
    expect(server.openWatches()).toBe(1);
    server.closeWatches();
    await expect.poll(() => done).toBeNull();
    ctl.abort();
  });

  it('a resourceVersion older than the history gives an ERROR event with a 410 Status', async () => {
    const first = await core.createNamespacedConfigMap({ namespace: 'demo', body: { metadata: { name: 'churn' } } });
    for (let i = 0; i < 60; i++) await core.patchNamespacedConfigMap({ name: 'churn', namespace: 'demo', body: { data: { i: String(i) } } }, MERGE);
    const events: Array<{ type: string; obj: { code?: number; reason?: string } }> = [];
    let done: unknown = 'not yet';
    await new Watch(kc).watch('/api/v1/namespaces/demo/configmaps', { resourceVersion: first.metadata!.resourceVersion }, (type, obj) => events.push({ type, obj }), (err) => (done = err));
    await expect.poll(() => done).toBeNull();
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ type: 'ERROR', obj: { code: 410, reason: 'Expired' } });
  });

  it('honours timeoutSeconds', async () => {
    let done: unknown = 'not yet';
    await new Watch(kc).watch('/api/v1/namespaces/demo/configmaps', { timeoutSeconds: 1 }, () => {}, (err) => (done = err));
    await expect.poll(() => done, { timeout: 3000 }).toBeNull();
  });
});

describe('KubeApiServer with client-node: informer', () => {
  it('lists, watches, and re-watches after the server drops its watches', async () => {
    const path = '/apis/dbupdate.dev/v1alpha1/namespaces/demo/databaseupdates';
    const informer = makeInformer<KubernetesObject>(kc, path, () =>
      custom.listNamespacedCustomObject({ ...DU, namespace: 'demo' }) as never,
    );
    const seen: string[] = [];
    informer.on('add', (o) => seen.push(`add ${o.metadata?.name}`));
    informer.on('update', (o) => seen.push(`update ${o.metadata?.name}`));
    informer.on('delete', (o) => seen.push(`delete ${o.metadata?.name}`));
    await informer.start();
    const mk = (name: string) => custom.createNamespacedCustomObject({ ...DU, namespace: 'demo', body: { apiVersion: 'dbupdate.dev/v1alpha1', kind: 'DatabaseUpdate', metadata: { name }, spec: SPEC } });
    await mk('inf-1');
    await expect.poll(() => seen).toContain('add inf-1');
    server.closeWatches();
    await expect.poll(() => server.openWatches()).toBe(1); // the informer watched again
    await custom.patchNamespacedCustomObject({ ...DU, namespace: 'demo', name: 'inf-1', body: { spec: { engine: 'Postgres' } } }, MERGE);
    await custom.deleteNamespacedCustomObject({ ...DU, namespace: 'demo', name: 'inf-1' });
    await expect.poll(() => seen.filter((x) => x.endsWith('inf-1'))).toEqual(['add inf-1', 'update inf-1', 'delete inf-1']);
    await informer.stop();
  });
});

describe('KubeApiServer: tables, faults, counters, auth', () => {
  it('answers a Table with the CRD printer columns when asked', async () => {
    await custom.createNamespacedCustomObject({ ...DU, namespace: 'demo', body: { apiVersion: 'dbupdate.dev/v1alpha1', kind: 'DatabaseUpdate', metadata: { name: 'tbl' }, spec: { ...SPEC, engine: 'Postgres' } } });
    const res = await fetch(`${server.url}/apis/dbupdate.dev/v1alpha1/namespaces/demo/databaseupdates`, {
      headers: { Accept: 'application/json;as=Table;v=v1;g=meta.k8s.io,application/json' },
    });
    const table = (await res.json()) as { kind: string; columnDefinitions: Array<{ name: string }>; rows: Array<{ cells: unknown[] }> };
    expect(table.kind).toBe('Table');
    expect(table.columnDefinitions.map((c) => c.name).slice(0, 3)).toEqual(['Name', 'Engine', 'Database']);
    expect(table.rows.find((r) => r.cells[0] === 'tbl')?.cells[1]).toBe('Postgres');
    const watch = await fetch(`${server.url}/apis/dbupdate.dev/v1alpha1/namespaces/demo/databaseupdates?watch=1&timeoutSeconds=1&fieldSelector=metadata.name%3Dtbl`, {
      headers: { Accept: 'application/json;as=Table;v=v1;g=meta.k8s.io,application/json' },
    });
    const lines = (await watch.text()).trim().split('\n').map((l) => JSON.parse(l) as { type: string; object: { kind: string; rows: Array<{ cells: unknown[] }> } });
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ type: 'ADDED', object: { kind: 'Table' } });
    expect(lines[0].object.rows[0].cells[0]).toBe('tbl');
  });

  it('injects faults (500, then 429 with Retry-After) and counts requests by verb', async () => {
    server.resetRequests();
    server.faults.add({ method: 'PATCH', pathIncludes: '/configmaps/a', status: 500, times: 1 });
    const e500 = await apiError(core.patchNamespacedConfigMap({ name: 'a', namespace: 'demo', body: { data: { f: '1' } } }, MERGE));
    expect(e500).toMatchObject({ code: 500, body: { reason: 'InternalError' } });
    expect(server.faults.remaining()).toBe(0);
    const ok = await core.patchNamespacedConfigMap({ name: 'a', namespace: 'demo', body: { data: { f: '1' } } }, MERGE);
    expect(ok.data?.f).toBe('1');
    server.faults.add({ verb: 'get', status: 429, retryAfterSeconds: 2 });
    const res = await fetch(`${server.url}/api/v1/namespaces/demo/configmaps/a`);
    expect(res.status).toBe(429);
    expect(res.headers.get('retry-after')).toBe('2');
    expect(((await res.json()) as { reason: string }).reason).toBe('TooManyRequests');
    expect(server.requestCounts()).toMatchObject({ patch: 2, get: 1 });
    expect(server.requests.map((r) => r.status)).toEqual([500, 200, 429]);
  });

  it('requires the bearer token when one is configured', async () => {
    const guarded = await KubeApiServer.start({ token: 's3cret' });
    try {
      const bad = await fetch(`${guarded.url}/api/v1/namespaces`, { headers: { Authorization: 'Bearer wrong' } });
      expect(bad.status).toBe(401);
      const kc2 = kubeConfig(guarded);
      const ns = await kc2.makeApiClient(CoreV1Api).listNamespace();
      expect(ns.items.map((n) => n.metadata?.name)).toContain('default');
    } finally {
      await guarded.stop();
    }
  });
});
