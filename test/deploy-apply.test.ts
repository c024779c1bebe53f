/**
 * `deploy/` rendered by the real `kubectl kustomize deploy/` and applied to the Kubernetes API emulator:
 * in-process with `applyManifests` (then the bot's service account is checked against RBAC enforced from
 * those very manifests), and with the real `kubectl apply -f -` as admin.
 * kubectl must be at /usr/bin/kubectl or on PATH; the suite fails, not skips, without it.
 */
import { MERGE_PATCH } from '../src/kube/client.js';
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  ApiException,
  CoordinationV1Api,
  CoreV1Api,
  CustomObjectsApi,
  KubeConfig,
  PatchStrategy,
  makeInformer,
  setHeaderOptions,
  type KubernetesObject,
} from '@kubernetes/client-node';
import { ADMIN_USER, KubeApiServer } from '../sim/kube/server.js';
import { Store } from '../sim/kube/store.js';
import { applyManifests, parseManifests } from '../sim/kube/apply.js';
import { serviceAccountUser } from '../sim/kube/rbac.js';
import { kubedbCrds } from '../sim/kubedb/crds.js';
import { VALID_RECORD_SPEC } from './support/record-spec.js';

const DEPLOY_DIR = fileURLToPath(new URL('../deploy/', import.meta.url));
const MERGE = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);
const BOT = serviceAccountUser('dbupdate', 'dbupdate');
const BOT_TOKEN = 'dbupdate-sa-token';
const DU = { group: 'dbupdate.dev', version: 'v1alpha1', plural: 'databaseupdates' };
const MYSQL = { group: 'kubedb.com', version: 'v1', plural: 'mysqls' };
const MYSQL_OPS = { group: 'ops.kubedb.com', version: 'v1alpha1', plural: 'mysqlopsrequests' };

function findKubectl(): string | undefined {
  for (const dir of ['/usr/bin', ...(process.env.PATH ?? '').split(delimiter), '/usr/local/bin']) {
    if (dir && existsSync(join(dir, 'kubectl'))) return join(dir, 'kubectl');
  }
  return undefined;
}

const kubectlPath = findKubectl();
let dir: string;

/** Run kubectl (stdin optional); resolves with exit code and output, never rejects on a non-zero exit. */
function kubectl(args: string[], stdin?: string): Promise<{ code: number; stdout: string; stderr: string }> {
  if (!kubectlPath) throw new Error('kubectl not found at /usr/bin/kubectl nor on PATH: install kubectl v1.32 to run this suite');
  return new Promise((resolve, reject) => {
    const p = spawn(kubectlPath, args, { env: { ...process.env, HOME: dir, KUBECONFIG: '' }, timeout: 60_000 });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    p.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    p.on('error', reject);
    p.on('close', (code) => resolve({ code: code ?? 1, stdout, stderr }));
    p.stdin.end(stdin ?? '');
  });
}

/** The Status of a rejected client-node call. */
async function apiError(p: Promise<unknown>): Promise<{ code: number; message: string; reason: string }> {
  try {
    await p;
  } catch (err) {
    expect(err).toBeInstanceOf(ApiException);
    const e = err as ApiException<unknown>;
    const body = (typeof e.body === 'string' ? JSON.parse(e.body) : e.body) as { message: string; reason: string };
    return { code: e.code, message: body.message, reason: body.reason };
  }
  throw new Error('expected an ApiException');
}

let rendered: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'deploy-apply-'));
  const out = await kubectl(['kustomize', DEPLOY_DIR]);
  if (out.code !== 0) throw new Error(`kubectl kustomize deploy/ failed (${out.code}): ${out.stderr}`);
  rendered = out.stdout;
});
afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('kubectl kustomize deploy/', () => {
  it('renders the namespace, CRD, RBAC, config, service, deployment and PDB', () => {
    const kinds = parseManifests(rendered).map((o) => `${o.kind}/${o.metadata.name}`);
    expect(kinds).toEqual(
      expect.arrayContaining([
        'Namespace/dbupdate',
        'CustomResourceDefinition/databaseupdates.dbupdate.dev',
        'ServiceAccount/dbupdate',
        'Role/dbupdate',
        'RoleBinding/dbupdate',
        'ClusterRole/dbupdate',
        'ClusterRoleBinding/dbupdate',
        'Deployment/dbupdate',
        'PodDisruptionBudget/dbupdate',
        'Service/dbupdate-metrics',
      ]),
    );
    expect(kinds.some((k) => k.startsWith('ConfigMap/dbupdate-config-'))).toBe(true);
  });
});

describe('deploy/ RBAC enforced by the emulator for the bot service account', () => {
  let server: KubeApiServer;
  let store: Store;
  let bot: KubeConfig;
  let admin: KubeConfig;

  beforeAll(async () => {
    store = new Store();
    for (const crd of kubedbCrds()) store.create({ group: 'apiextensions.k8s.io', version: 'v1', plural: 'customresourcedefinitions' }, crd);
    const applied = applyManifests(store, rendered);
    expect(applied.every((a) => a.action === 'created')).toBe(true);
    expect(applied[0]).toMatchObject({ kind: 'Namespace', name: 'dbupdate' });
    expect(applied[1]).toMatchObject({ kind: 'CustomResourceDefinition' });
    // Applying again changes nothing.
    expect(applyManifests(store, rendered).map((a) => a.action)).toEqual(applied.map(() => 'unchanged'));
    store.create({ group: '', version: 'v1', plural: 'namespaces' }, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'demo' } });
    store.create(MYSQL, { apiVersion: 'kubedb.com/v1', kind: 'MySQL', metadata: { name: 'orders', namespace: 'demo' }, spec: { version: '8.0.35' } });
    store.create({ group: '', version: 'v1', plural: 'secrets' }, { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'orders-auth', namespace: 'demo' }, data: {} });
    server = await KubeApiServer.start({ store, rbac: true, users: { [BOT_TOKEN]: BOT } });
    bot = new KubeConfig();
    bot.loadFromString(server.kubeconfigYaml({ token: BOT_TOKEN, namespace: 'dbupdate' }));
    admin = new KubeConfig();
    admin.loadFromString(server.kubeconfigYaml());
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('the bot creates, lists and watches databaseupdates and updates their status in dbupdate', async () => {
    const custom = bot.makeApiClient(CustomObjectsApi);
    const body = {
      apiVersion: 'dbupdate.dev/v1alpha1',
      kind: 'DatabaseUpdate',
      metadata: { name: 'orders-84', labels: { engine: 'mysql' } },
      spec: { ...VALID_RECORD_SPEC, updateType: 'major', expiresAt: '2026-12-02T00:00:00Z' },
    };
    await custom.createNamespacedCustomObject({ ...DU, namespace: 'dbupdate', body });
    const informer = makeInformer<KubernetesObject>(
      bot,
      '/apis/dbupdate.dev/v1alpha1/namespaces/dbupdate/databaseupdates',
      async () => (await custom.listNamespacedCustomObject({ ...DU, namespace: 'dbupdate' })) as never,
    );
    const seen: string[] = [];
    informer.on('add', (o) => seen.push(`add ${o.metadata?.name}`));
    informer.on('update', (o) => seen.push(`update ${o.metadata?.name}`));
    await informer.start();
    try {
      const got = (await custom.getNamespacedCustomObject({ ...DU, namespace: 'dbupdate', name: 'orders-84' })) as Record<string, unknown>;
      // As src/updates/records.ts writes: a merge patch of /status with the resourceVersion it was computed from.
      const rv = (got.metadata as { resourceVersion: string }).resourceVersion;
      const updated = (await custom.patchNamespacedCustomObjectStatus({ ...DU, namespace: 'dbupdate', name: 'orders-84', body: { metadata: { resourceVersion: rv }, status: { phase: 'Approved' } } }, MERGE_PATCH)) as { status: { phase: string } };
      expect(updated.status.phase).toBe('Approved');
      await expect.poll(() => seen).toEqual(['add orders-84', 'update orders-84']);
    } finally {
      await informer.stop();
    }
    expect(server.denials, server.formatDenials()).toEqual([]);
  });

  it('the bot creates, reads and renews its Leases (leader and per-database locks) in its own namespace only', async () => {
    const coord = bot.makeApiClient(CoordinationV1Api);
    await coord.createNamespacedLease({ namespace: 'dbupdate', body: { metadata: { name: 'dbupdate-leader' }, spec: { holderIdentity: 'pod-a', leaseDurationSeconds: 15 } } });
    const lease = await coord.readNamespacedLease({ namespace: 'dbupdate', name: 'dbupdate-leader' });
    lease.spec!.holderIdentity = 'pod-b';
    expect((await coord.replaceNamespacedLease({ namespace: 'dbupdate', name: 'dbupdate-leader', body: lease })).spec?.holderIdentity).toBe('pod-b');
    // per-database locks (src/kube/locks.ts) have hashed names: any Lease in dbupdate may be read and updated…
    expect((await apiError(coord.readNamespacedLease({ namespace: 'dbupdate', name: 'dbu-0123456789abcdef' }))).code).toBe(404);
    // …but not listed, and none outside the bot's namespace
    expect((await apiError(coord.listNamespacedLease({ namespace: 'dbupdate' }))).code).toBe(403);
    expect((await apiError(coord.readNamespacedLease({ namespace: 'kube-system', name: 'kube-controller-manager' }))).code).toBe(403);
    server.resetRequests();
  });

  it('the bot reads the database and catalog, creates events in demo and OpsRequests', async () => {
    const custom = bot.makeApiClient(CustomObjectsApi);
    expect(((await custom.getNamespacedCustomObject({ ...MYSQL, namespace: 'demo', name: 'orders' })) as { spec: { version: string } }).spec.version).toBe('8.0.35');
    await custom.listClusterCustomObject({ group: 'catalog.kubedb.com', version: 'v1alpha1', plural: 'mysqlversions' });
    await bot.makeApiClient(CoreV1Api).createNamespacedEvent({
      namespace: 'demo',
      body: {
        metadata: { generateName: 'orders.' },
        involvedObject: { apiVersion: 'kubedb.com/v1', kind: 'MySQL', name: 'orders', namespace: 'demo' },
        reason: 'UpdateRequested',
        message: 'x',
        type: 'Normal',
      },
    });
    await custom.createNamespacedCustomObject({
      ...MYSQL_OPS,
      namespace: 'demo',
      body: { apiVersion: 'ops.kubedb.com/v1alpha1', kind: 'MySQLOpsRequest', metadata: { name: 'orders-update' }, spec: { type: 'UpdateVersion', databaseRef: { name: 'orders' } } },
    });
    expect(((await custom.listClusterCustomObject(MYSQL_OPS)) as { items: unknown[] }).items.length).toBe(1);
    await custom.getNamespacedCustomObject({ ...MYSQL_OPS, namespace: 'demo', name: 'orders-update' });
    const w = await fetch(`${server.url}/apis/ops.kubedb.com/v1alpha1/mysqlopsrequests?watch=1&timeoutSeconds=1`, { headers: { Authorization: `Bearer ${BOT_TOKEN}` } });
    expect(w.status).toBe(200);
    await w.text();
    // Discovery of the OpsRequest API (servesOpsRequests) is a non-resource URL.
    expect(((await custom.getAPIResources({ group: 'ops.kubedb.com', version: 'v1alpha1' })) as { resources: unknown[] }).resources.length).toBeGreaterThan(0);
    expect(server.denials, server.formatDenials()).toEqual([]);
  });

  it('the bot may NOT read a Secret (that grant is opt-in: deploy/components/read-secrets), list secrets, delete databaseupdates outside its namespace or patch a KubeDB database', async () => {
    const core = bot.makeApiClient(CoreV1Api);
    const custom = bot.makeApiClient(CustomObjectsApi);
    expect((await apiError(core.readNamespacedSecret({ namespace: 'demo', name: 'orders-auth' }))).message).toBe(
      'secrets "orders-auth" is forbidden: User "system:serviceaccount:dbupdate:dbupdate" cannot get resource "secrets" in API group "" in the namespace "demo"',
    );
    expect((await apiError(core.listSecretForAllNamespaces())).message).toBe(
      'secrets is forbidden: User "system:serviceaccount:dbupdate:dbupdate" cannot list resource "secrets" in API group "" at the cluster scope',
    );
    // Retention deletes finished records in the bot's own namespace (Role), nowhere else.
    expect((await apiError(custom.deleteNamespacedCustomObject({ ...DU, namespace: 'demo', name: 'orders-84' }))).message).toBe(
      'databaseupdates.dbupdate.dev "orders-84" is forbidden: User "system:serviceaccount:dbupdate:dbupdate" cannot delete resource "databaseupdates" in API group "dbupdate.dev" in the namespace "demo"',
    );
    // The direct pipeline patches databases, but the bot never deletes one.
    const del = await apiError(custom.deleteNamespacedCustomObject({ ...MYSQL, namespace: 'demo', name: 'orders' }));
    expect(del.message).toBe(
      'mysqls.kubedb.com "orders" is forbidden: User "system:serviceaccount:dbupdate:dbupdate" cannot delete resource "mysqls" in API group "kubedb.com" in the namespace "demo"',
    );
    expect((await apiError(custom.patchNamespacedCustomObject({ ...DU, namespace: 'dbupdate', name: 'orders-84', body: { spec: { reason: 'x' } } }, MERGE))).code).toBe(403);
    expect(server.denials.map((d) => `${d.verb} ${d.apiGroup}/${d.resource}`)).toEqual([
      'get /secrets',
      'list /secrets',
      'delete dbupdate.dev/databaseupdates',
      'delete kubedb.com/mysqls',
      'patch dbupdate.dev/databaseupdates',
    ]);
    // The admin still can.
    expect((await admin.makeApiClient(CoreV1Api).readNamespacedSecret({ namespace: 'demo', name: 'orders-auth' })).metadata?.name).toBe('orders-auth');
  });
});

describe('kubectl apply -f - of the kustomize output against the emulator', () => {
  let server: KubeApiServer;
  let kubeconfig: string;

  beforeAll(async () => {
    // kubectl sends no token to an http:// server: its requests are the admin's through unauthenticatedUser.
    server = await KubeApiServer.start({ store: new Store(), rbac: true, unauthenticatedUser: ADMIN_USER });
    kubeconfig = join(dir, 'kubeconfig');
    server.writeKubeconfig(kubeconfig);
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('creates every object, and lists the deployment, role and clusterrole', async () => {
    const applied = await kubectl(['--kubeconfig', kubeconfig, '--cache-dir', join(dir, 'cache'), 'apply', '-f', '-'], rendered);
    expect(applied.stderr).toBe('');
    expect(applied.code).toBe(0);
    const lines = applied.stdout.trim().split('\n');
    expect(lines).toEqual(
      expect.arrayContaining([
        'namespace/dbupdate created',
        'customresourcedefinition.apiextensions.k8s.io/databaseupdates.dbupdate.dev created',
        'serviceaccount/dbupdate created',
        'role.rbac.authorization.k8s.io/dbupdate created',
        'clusterrole.rbac.authorization.k8s.io/dbupdate created',
        'rolebinding.rbac.authorization.k8s.io/dbupdate created',
        'clusterrolebinding.rbac.authorization.k8s.io/dbupdate created',
        'service/dbupdate-metrics created',
        'deployment.apps/dbupdate created',
        'poddisruptionbudget.policy/dbupdate created',
      ]),
    );
    expect(lines.some((l) => /^configmap\/dbupdate-config-\S+ created$/.test(l))).toBe(true);
    const got = await kubectl(['--kubeconfig', kubeconfig, '--cache-dir', join(dir, 'cache'), 'get', 'deployment,role,clusterrole', '-n', 'dbupdate', '-o', 'name']);
    expect(got.stderr).toBe('');
    expect(got.stdout.trim().split('\n').sort()).toEqual(['clusterrole.rbac.authorization.k8s.io/dbupdate', 'deployment.apps/dbupdate', 'role.rbac.authorization.k8s.io/dbupdate']);
    const table = await kubectl(['--kubeconfig', kubeconfig, '--cache-dir', join(dir, 'cache'), 'get', 'deployment,role,clusterrole', '-n', 'dbupdate']);
    expect(table.code, table.stderr).toBe(0);
    expect(table.stdout).toMatch(/deployment\.apps\/dbupdate/);
    expect(table.stdout).toMatch(/role\.rbac\.authorization\.k8s\.io\/dbupdate/);
    expect(table.stdout).toMatch(/clusterrole\.rbac\.authorization\.k8s\.io\/dbupdate/);
    // Re-applying writes nothing. kubectl prints the PodDisruptionBudget "configured": the emulator's minimal
    // /openapi/v3 has no PDB schema, so kubectl sends a (no-op) patch of spec.selector, which has
    // patchStrategy "replace" in the Go types it falls back to.
    const rv = server.store.currentResourceVersion();
    const again = await kubectl(['--kubeconfig', kubeconfig, '--cache-dir', join(dir, 'cache'), 'apply', '-f', '-'], rendered);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout.trim().split('\n').filter((l) => !l.endsWith(' unchanged')), again.stdout).toEqual(['poddisruptionbudget.policy/dbupdate configured']);
    expect(server.store.currentResourceVersion()).toBe(rv);
  });
});
