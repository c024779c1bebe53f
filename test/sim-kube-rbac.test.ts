/**
 * RBAC enforcement of the Kubernetes API emulator (sim/kube/rbac.ts), through real HTTP with
 * `@kubernetes/client-node` using a service account's token kubeconfig. Semantics checked against
 * https://kubernetes.io/docs/reference/access-authn-authz/rbac/ (Role vs ClusterRole, RoleBinding to a
 * ClusterRole, resourceNames, wildcards, subresources, default discovery roles) and the real 403 Status.
 */
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { readFileSync } from 'node:fs';
import {
  ApiException,
  CoordinationV1Api,
  CoreV1Api,
  CustomObjectsApi,
  KubeConfig,
  PatchStrategy,
  setHeaderOptions,
} from '@kubernetes/client-node';
import { KubeApiServer } from '../sim/kube/server.js';
import { Store } from '../sim/kube/store.js';
import { requestAttributes, serviceAccountUser } from '../sim/kube/rbac.js';
import { applyManifests } from '../sim/kube/apply.js';
import { kubedbCrds } from '../sim/kubedb/crds.js';
import { VALID_RECORD_SPEC } from './support/record-spec.js';

const MERGE = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);
const SA = serviceAccountUser('dbupdate', 'dbupdate');
const SA_TOKEN = 'sa-dbupdate-token';
const OTHER_TOKEN = 'sa-other-token';
const DU = { group: 'dbupdate.dev', version: 'v1alpha1', plural: 'databaseupdates' };

const RBAC = `
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: { name: cm-reader, namespace: demo }
rules:
  - { apiGroups: [""], resources: [configmaps], verbs: [get, list, watch] }
  - { apiGroups: [""], resources: [secrets], resourceNames: [allowed], verbs: [get, list, watch, create, delete, deletecollection] }
  - { apiGroups: [""], resources: [namespaces], verbs: [get] }
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: { name: cm-reader, namespace: demo }
roleRef: { apiGroup: rbac.authorization.k8s.io, kind: Role, name: cm-reader }
subjects: [{ kind: ServiceAccount, name: dbupdate, namespace: dbupdate }]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: { name: pod-reader }
rules: [{ apiGroups: [""], resources: [pods], verbs: [get, list] }]
---
# A RoleBinding to a ClusterRole grants it in the binding's namespace only.
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: { name: pod-reader, namespace: other }
roleRef: { apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: pod-reader }
subjects: [{ kind: User, name: "system:serviceaccount:dbupdate:dbupdate", apiGroup: rbac.authorization.k8s.io }]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: { name: du-status }
rules:
  - { apiGroups: [dbupdate.dev], resources: [databaseupdates/status], verbs: [update] }
  - { apiGroups: [dbupdate.dev], resources: [databaseupdates], verbs: [get, list] }
  - { apiGroups: [kubedb.com], resources: ["*/status"], verbs: [get] }
---
# Bound to a group: every service account of the namespace dbupdate.
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: { name: du-status }
roleRef: { apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: du-status }
subjects: [{ kind: Group, name: "system:serviceaccounts:dbupdate", apiGroup: rbac.authorization.k8s.io }]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: { name: leases-all }
rules: [{ apiGroups: ["coordination.k8s.io"], resources: ["*"], verbs: ["*"] }]
---
# A service account subject without a namespace takes the RoleBinding's.
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: { name: leases-all, namespace: dbupdate }
roleRef: { apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: leases-all }
subjects: [{ kind: ServiceAccount, name: dbupdate }]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: { name: dangling, namespace: kube-public }
roleRef: { apiGroup: rbac.authorization.k8s.io, kind: Role, name: does-not-exist }
subjects: [{ kind: ServiceAccount, name: dbupdate, namespace: dbupdate }]
`;

/** The ApiException a promise rejects with, and its Status body. */
async function apiError(p: Promise<unknown>): Promise<{ code: number; body: Record<string, unknown> & { message: string; reason: string } }> {
  try {
    await p;
  } catch (err) {
    expect(err).toBeInstanceOf(ApiException);
    const e = err as ApiException<unknown>;
    return { code: e.code, body: typeof e.body === 'string' ? JSON.parse(e.body) : (e.body as never) };
  }
  throw new Error('expected an ApiException');
}

let server: KubeApiServer;
let store: Store;
let sa: KubeConfig;
let admin: KubeConfig;

function raw(path: string, init: RequestInit & { token?: string | null } = {}): Promise<Response> {
  const token = init.token === undefined ? SA_TOKEN : init.token;
  return fetch(`${server.url}${path}`, { ...init, headers: { ...(token ? { Authorization: `Bearer ${token}` } : {}), ...((init.headers as Record<string, string>) ?? {}) } });
}

beforeAll(async () => {
  store = new Store();
  for (const name of ['demo', 'other', 'dbupdate']) store.create({ group: '', version: 'v1', plural: 'namespaces' }, { apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
  applyManifests(store, readFileSync(new URL('../deploy/crd-databaseupdate.yaml', import.meta.url), 'utf8'));
  for (const crd of kubedbCrds()) store.create({ group: 'apiextensions.k8s.io', version: 'v1', plural: 'customresourcedefinitions' }, crd);
  applyManifests(store, RBAC);
  server = await KubeApiServer.start({
    store,
    rbac: true,
    users: { [SA_TOKEN]: SA, [OTHER_TOKEN]: serviceAccountUser('other', 'default') },
  });
  sa = new KubeConfig();
  sa.loadFromString(server.kubeconfigYaml({ token: SA_TOKEN }));
  admin = new KubeConfig();
  admin.loadFromString(server.kubeconfigYaml());
  const core = admin.makeApiClient(CoreV1Api);
  for (const [ns, name] of [['demo', 'cm'], ['other', 'cm']]) await core.createNamespacedConfigMap({ namespace: ns, body: { metadata: { name }, data: { a: '1' } } });
  for (const name of ['allowed', 'hidden']) await core.createNamespacedSecret({ namespace: 'demo', body: { metadata: { name }, stringData: { k: 'v' } } });
  for (const ns of ['demo', 'other']) await core.createNamespacedPod({ namespace: ns, body: { metadata: { name: 'p' }, spec: { containers: [{ name: 'c', image: 'x' }] } } });
  await admin.makeApiClient(CustomObjectsApi).createNamespacedCustomObject({
    ...DU,
    namespace: 'dbupdate',
    body: { apiVersion: 'dbupdate.dev/v1alpha1', kind: 'DatabaseUpdate', metadata: { name: 'du1' },
      spec: VALID_RECORD_SPEC, // valid against deploy/crd-databaseupdate.yaml (custom resources are validated by their CRD's schema)
    },
  });
  await admin.makeApiClient(CustomObjectsApi).createNamespacedCustomObject({
    group: 'kubedb.com',
    version: 'v1',
    plural: 'mysqls',
    namespace: 'demo',
    body: { apiVersion: 'kubedb.com/v1', kind: 'MySQL', metadata: { name: 'orders' }, spec: { version: '8.0.35' } },
  });
  server.resetRequests();
});
afterAll(async () => {
  await server?.stop();
});

describe('request attributes (RequestInfoFactory)', () => {
  const at = (method: string, path: string) => requestAttributes(method, new URL(path, 'http://x'));
  it('parses resource requests, verbs and scopes', () => {
    expect(at('GET', '/apis/kubedb.com/v1/namespaces/demo/mysqls/orders')).toMatchObject({ resourceRequest: true, verb: 'get', apiGroup: 'kubedb.com', resource: 'mysqls', namespace: 'demo', name: 'orders' });
    expect(at('GET', '/apis/kubedb.com/v1/mysqls')).toMatchObject({ verb: 'list', namespace: '', name: '' });
    expect(at('GET', '/api/v1/namespaces/demo/pods?watch=true')).toMatchObject({ verb: 'watch', namespace: 'demo' });
    expect(at('GET', '/api/v1/watch/namespaces/demo/pods')).toMatchObject({ verb: 'watch', resource: 'pods', namespace: 'demo' });
    expect(at('GET', '/api/v1/namespaces/demo/secrets?fieldSelector=metadata.name%3Dx')).toMatchObject({ verb: 'list', name: 'x' });
    expect(at('DELETE', '/api/v1/namespaces/demo/secrets')).toMatchObject({ verb: 'deletecollection' });
    expect(at('PUT', '/apis/dbupdate.dev/v1alpha1/namespaces/dbupdate/databaseupdates/a/status')).toMatchObject({ verb: 'update', resource: 'databaseupdates', subresource: 'status', name: 'a' });
    // A namespace is in its own namespace; its status is a subresource.
    expect(at('GET', '/api/v1/namespaces/demo')).toMatchObject({ resource: 'namespaces', name: 'demo', namespace: 'demo' });
    expect(at('PUT', '/api/v1/namespaces/demo/status')).toMatchObject({ resource: 'namespaces', name: 'demo', subresource: 'status' });
    expect(at('POST', '/api/v1/namespaces')).toMatchObject({ verb: 'create', resource: 'namespaces', namespace: '' });
  });
  it('treats discovery, version and openapi as non-resource URLs', () => {
    for (const p of ['/api', '/api/v1', '/apis', '/apis/kubedb.com', '/apis/kubedb.com/v1', '/version', '/openapi/v3', '/healthz']) {
      expect(at('GET', p)).toMatchObject({ resourceRequest: false, verb: 'get', path: p });
    }
  });
});

describe('RBAC through client-node with a service-account token', () => {
  it('the admin token is in system:masters and may do anything', async () => {
    const core = admin.makeApiClient(CoreV1Api);
    expect((await core.listNamespacedSecret({ namespace: 'demo' })).items.length).toBe(2);
    expect(server.denials).toEqual([]);
  });

  it('a Role grants in its namespace only', async () => {
    const core = sa.makeApiClient(CoreV1Api);
    expect((await core.readNamespacedConfigMap({ namespace: 'demo', name: 'cm' })).data).toEqual({ a: '1' });
    expect((await core.listNamespacedConfigMap({ namespace: 'demo' })).items.length).toBe(1);
    const e = await apiError(core.readNamespacedConfigMap({ namespace: 'other', name: 'cm' }));
    expect(e.code).toBe(403);
    expect(e.body).toEqual({
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: 'configmaps "cm" is forbidden: User "system:serviceaccount:dbupdate:dbupdate" cannot get resource "configmaps" in API group "" in the namespace "other"',
      reason: 'Forbidden',
      details: { name: 'cm', kind: 'configmaps' },
      code: 403,
    });
    // All namespaces is a cluster-scope request: a RoleBinding does not grant it.
    const all = await apiError(core.listConfigMapForAllNamespaces());
    expect(all.body.message).toBe('configmaps is forbidden: User "system:serviceaccount:dbupdate:dbupdate" cannot list resource "configmaps" in API group "" at the cluster scope');
    expect(all.body.details).toEqual({ kind: 'configmaps' });
  });

  it('a RoleBinding to a ClusterRole grants it in the binding namespace only', async () => {
    const core = sa.makeApiClient(CoreV1Api);
    expect((await core.readNamespacedPod({ namespace: 'other', name: 'p' })).metadata?.name).toBe('p');
    expect((await apiError(core.readNamespacedPod({ namespace: 'demo', name: 'p' }))).code).toBe(403);
    expect((await apiError(core.listPodForAllNamespaces())).code).toBe(403);
    // get and list only: delete is not granted.
    expect((await apiError(core.deleteNamespacedPod({ namespace: 'other', name: 'p' }))).body.message).toContain('cannot delete resource "pods"');
  });

  it('resourceNames: get by name; list/watch only with a metadata.name field selector; never create or deletecollection', async () => {
    const core = sa.makeApiClient(CoreV1Api);
    expect((await core.readNamespacedSecret({ namespace: 'demo', name: 'allowed' })).metadata?.name).toBe('allowed');
    expect((await apiError(core.readNamespacedSecret({ namespace: 'demo', name: 'hidden' }))).body.message).toBe(
      'secrets "hidden" is forbidden: User "system:serviceaccount:dbupdate:dbupdate" cannot get resource "secrets" in API group "" in the namespace "demo"',
    );
    expect((await apiError(core.listNamespacedSecret({ namespace: 'demo' }))).code).toBe(403);
    const one = await core.listNamespacedSecret({ namespace: 'demo', fieldSelector: 'metadata.name=allowed' });
    expect(one.items.map((s) => s.metadata?.name)).toEqual(['allowed']);
    const listHidden = await apiError(core.listNamespacedSecret({ namespace: 'demo', fieldSelector: 'metadata.name=hidden' }));
    expect(listHidden.body.message).toBe('secrets "hidden" is forbidden: User "system:serviceaccount:dbupdate:dbupdate" cannot list resource "secrets" in API group "" in the namespace "demo"');
    const w = await raw('/api/v1/namespaces/demo/secrets?watch=1&timeoutSeconds=1&fieldSelector=metadata.name%3Dallowed');
    expect(w.status).toBe(200);
    expect((await w.text()).trim().split('\n').map((l) => (JSON.parse(l) as { type: string }).type)).toEqual(['ADDED']);
    expect((await raw('/api/v1/namespaces/demo/secrets?watch=1&timeoutSeconds=1')).status).toBe(403);
    const create = await apiError(core.createNamespacedSecret({ namespace: 'demo', body: { metadata: { name: 'allowed2' } } }));
    expect(create.body.message).toBe('secrets is forbidden: User "system:serviceaccount:dbupdate:dbupdate" cannot create resource "secrets" in API group "" in the namespace "demo"');
    expect((await apiError(core.deleteCollectionNamespacedSecret({ namespace: 'demo' }))).body.message).toContain('cannot deletecollection resource "secrets"');
    expect(store.list({ group: '', version: 'v1', plural: 'secrets' }, 'demo').items.length).toBe(2);
  });

  it('a namespace is authorized in its own namespace (get namespaces in a Role)', async () => {
    const core = sa.makeApiClient(CoreV1Api);
    expect((await core.readNamespace({ name: 'demo' })).metadata?.name).toBe('demo');
    expect((await apiError(core.readNamespace({ name: 'other' }))).body.message).toBe(
      'namespaces "other" is forbidden: User "system:serviceaccount:dbupdate:dbupdate" cannot get resource "namespaces" in API group "" in the namespace "other"',
    );
  });

  it('subresources: databaseupdates/status is separate from databaseupdates; */status matches any status', async () => {
    const custom = sa.makeApiClient(CustomObjectsApi);
    const du = (await custom.getNamespacedCustomObject({ ...DU, namespace: 'dbupdate', name: 'du1' })) as { metadata: { resourceVersion: string } };
    const out = (await custom.replaceNamespacedCustomObjectStatus({ ...DU, namespace: 'dbupdate', name: 'du1', body: { ...du, status: { phase: 'Approved' } } })) as { status: { phase: string } };
    expect(out.status.phase).toBe('Approved');
    const main = await apiError(custom.replaceNamespacedCustomObject({ ...DU, namespace: 'dbupdate', name: 'du1', body: du }));
    expect(main.body.message).toBe(
      'databaseupdates.dbupdate.dev "du1" is forbidden: User "system:serviceaccount:dbupdate:dbupdate" cannot update resource "databaseupdates" in API group "dbupdate.dev" in the namespace "dbupdate"',
    );
    expect(main.body.details).toEqual({ name: 'du1', group: 'dbupdate.dev', kind: 'databaseupdates' });
    const statusPatch = await apiError(custom.patchNamespacedCustomObjectStatus({ ...DU, namespace: 'dbupdate', name: 'du1', body: { status: { phase: 'Running' } } }, MERGE));
    expect(statusPatch.body.message).toBe(
      'databaseupdates.dbupdate.dev "du1" is forbidden: User "system:serviceaccount:dbupdate:dbupdate" cannot patch resource "databaseupdates/status" in API group "dbupdate.dev" in the namespace "dbupdate"',
    );
    expect((await custom.getNamespacedCustomObjectStatus({ group: 'kubedb.com', version: 'v1', plural: 'mysqls', namespace: 'demo', name: 'orders' })) as object).toBeTruthy();
    const patch = await apiError(custom.patchNamespacedCustomObject({ group: 'kubedb.com', version: 'v1', plural: 'mysqls', namespace: 'demo', name: 'orders', body: { spec: { halted: true } } }, MERGE));
    expect(patch.code).toBe(403);
    expect(patch.body).toEqual({
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: 'mysqls.kubedb.com "orders" is forbidden: User "system:serviceaccount:dbupdate:dbupdate" cannot patch resource "mysqls" in API group "kubedb.com" in the namespace "demo"',
      reason: 'Forbidden',
      details: { name: 'orders', group: 'kubedb.com', kind: 'mysqls' },
      code: 403,
    });
  });

  it('group subjects: another namespace service account is not in system:serviceaccounts:dbupdate', async () => {
    const other = new KubeConfig();
    other.loadFromString(server.kubeconfigYaml({ token: OTHER_TOKEN }));
    const e = await apiError(other.makeApiClient(CustomObjectsApi).listNamespacedCustomObject({ ...DU, namespace: 'dbupdate' }));
    expect(e.body.message).toBe(
      'databaseupdates.dbupdate.dev is forbidden: User "system:serviceaccount:other:default" cannot list resource "databaseupdates" in API group "dbupdate.dev" in the namespace "dbupdate"',
    );
  });

  it('wildcards: * resources and * verbs in a group', async () => {
    const coord = sa.makeApiClient(CoordinationV1Api);
    const now = new Date();
    await coord.createNamespacedLease({ namespace: 'dbupdate', body: { metadata: { name: 'l' }, spec: { holderIdentity: 'me', renewTime: now as never } } });
    const l = await coord.readNamespacedLease({ namespace: 'dbupdate', name: 'l' });
    await coord.replaceNamespacedLease({ namespace: 'dbupdate', name: 'l', body: l });
    await coord.deleteNamespacedLease({ namespace: 'dbupdate', name: 'l' });
    expect((await apiError(coord.listNamespacedLease({ namespace: 'demo' }))).code).toBe(403);
  });

  it('a binding to a missing role adds the RBAC reason to the message', async () => {
    const e = await apiError(sa.makeApiClient(CoreV1Api).listNamespacedConfigMap({ namespace: 'kube-public' }));
    expect(e.body.message).toBe(
      'configmaps is forbidden: User "system:serviceaccount:dbupdate:dbupdate" cannot list resource "configmaps" in API group "" in the namespace "kube-public": RBAC: role.rbac.authorization.k8s.io "does-not-exist" not found',
    );
  });

  it('non-resource URLs: discovery and version for authenticated users; public info for anonymous; 401 for an unknown token', async () => {
    for (const p of ['/api', '/api/v1', '/apis', '/apis/kubedb.com/v1', '/version', '/openapi/v3', '/healthz']) expect((await raw(p)).status, p).toBe(200);
    const metrics = await raw('/metrics');
    expect(metrics.status).toBe(403);
    expect(await metrics.json()).toEqual({
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: 'forbidden: User "system:serviceaccount:dbupdate:dbupdate" cannot get path "/metrics"',
      reason: 'Forbidden',
      details: {},
      code: 403,
    });
    expect((await raw('/version', { token: null })).status).toBe(200);
    const anon = await raw('/apis', { token: null });
    expect(anon.status).toBe(403);
    expect(((await anon.json()) as { message: string }).message).toBe('forbidden: User "system:anonymous" cannot get path "/apis"');
    expect((await raw('/api/v1/namespaces/demo/pods', { token: null })).status).toBe(403);
    expect((await raw('/version', { token: 'nope' })).status).toBe(401);
  });

  it('changes to RBAC objects take effect at once', async () => {
    const core = sa.makeApiClient(CoreV1Api);
    expect((await apiError(core.listNamespacedPod({ namespace: 'demo' }))).code).toBe(403);
    applyManifests(
      store,
      `apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: { name: pods, namespace: demo }
roleRef: { apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: pod-reader }
subjects: [{ kind: ServiceAccount, name: dbupdate, namespace: dbupdate }]
`,
    );
    expect((await core.listNamespacedPod({ namespace: 'demo' })).items.length).toBe(1);
    store.delete({ group: 'rbac.authorization.k8s.io', version: 'v1', plural: 'rolebindings' }, 'demo', 'pods');
    expect((await apiError(core.listNamespacedPod({ namespace: 'demo' }))).code).toBe(403);
  });

  it('records every denial with user, verb, resource, namespace and name', () => {
    expect(server.denials.length).toBeGreaterThan(10);
    expect(server.denials).toContainEqual(
      expect.objectContaining({ user: SA.user, verb: 'patch', apiGroup: 'kubedb.com', resource: 'mysqls', namespace: 'demo', name: 'orders' }),
    );
    expect(server.denials).toContainEqual(expect.objectContaining({ user: SA.user, verb: 'patch', resource: 'databaseupdates/status', namespace: 'dbupdate', name: 'du1' }));
    expect(server.formatDenials()).toContain('system:serviceaccount:dbupdate:dbupdate patch kubedb.com/mysqls -n demo orders');
    expect(server.requests.filter((r) => r.status === 403).length).toBe(server.denials.length);
  });
});

describe('servers without rbac', () => {
  it('keep serving every request as the admin, and users authenticate', async () => {
    const s = await KubeApiServer.start({ store: new Store() });
    try {
      expect((await fetch(`${s.url}/api/v1/namespaces/default/secrets`)).status).toBe(200);
      expect(s.requests[0].user).toBe('kubernetes-admin');
    } finally {
      await s.stop();
    }
    const s2 = await KubeApiServer.start({ store: new Store(), users: { t: { user: 'alice' } } });
    try {
      expect((await fetch(`${s2.url}/api/v1/namespaces/default/secrets`, { headers: { Authorization: 'Bearer t' } })).status).toBe(200);
      expect(s2.requests[0].user).toBe('alice');
      expect((await fetch(`${s2.url}/api/v1/namespaces/default/secrets`, { headers: { Authorization: 'Bearer bad' } })).status).toBe(401);
    } finally {
      await s2.stop();
    }
  });
});
