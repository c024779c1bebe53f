/**
 * The real `kubectl` (v1.32) against the Kubernetes API emulator: discovery, client-side apply of a CRD
 * and of custom objects, server-side printing (`get` tables with the CRD's printer columns), `-o json`,
 * `patch --type merge`, strategic-merge apply of a pod, and error messages.
 * kubectl must be on PATH (or at /usr/bin/kubectl); the suite fails, not skips, without it.
 */
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { KubeApiServer } from '../sim/kube/server.js';
import { startEmbeddedCluster, type EmbeddedCluster } from '../sim/world.js';

const CRD_FILE = fileURLToPath(new URL('../deploy/crd-databaseupdate.yaml', import.meta.url));

function findKubectl(): string | undefined {
  for (const dir of [...(process.env.PATH ?? '').split(delimiter), '/usr/bin', '/usr/local/bin']) {
    if (dir && existsSync(join(dir, 'kubectl'))) return join(dir, 'kubectl');
  }
  return undefined;
}

let server: KubeApiServer;
let dir: string;
let kubectlPath: string | undefined;

/** Run kubectl against the emulator; resolves with exit code and output (never rejects on a non-zero exit). */
function kubectl(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return kubectlWith(join(dir, 'kubeconfig'), ...args);
}

/** Run kubectl with the given kubeconfig file. */
function kubectlWith(kubeconfig: string, ...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  if (!kubectlPath) throw new Error('kubectl not found on PATH nor at /usr/bin/kubectl: install kubectl v1.32 to run this suite');
  return new Promise((resolve) => {
    execFile(
      kubectlPath!,
      ['--kubeconfig', kubeconfig, '--cache-dir', join(dir, 'cache'), ...args],
      { env: { ...process.env, HOME: dir, KUBECONFIG: '' }, timeout: 30_000 },
      (err, stdout, stderr) => resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

const DU_YAML = (approvals: number) => `apiVersion: v1
kind: Namespace
metadata:
  name: dbupdate
---
apiVersion: dbupdate.dev/v1alpha1
kind: DatabaseUpdate
metadata:
  name: orders-84
  namespace: dbupdate
  labels: { engine: mysql }
spec:
  engine: MySQL
  database: { cluster: sim, namespace: demo, name: orders }
  requestedVersion: "8.4"
  fromVersion: "8.0.35"
  targetVersion: "8.4.3"
  updateType: minor
  backend: ops-request
  requester: U_ALICE
  channel: C_DBOPS
  expiresAt: "2026-11-24T00:00:00Z"
  approvers: [U_BOB]
  approvalsRequired: ${approvals}
`;

const POD_YAML = (image: string) => `apiVersion: v1
kind: Pod
metadata: { name: orders-0, namespace: default, labels: { app: orders } }
spec:
  containers:
  - name: mysql
    image: ${image}
    env: [{ name: MYSQL_ROOT_PASSWORD, value: secret }]
  - name: exporter
    image: exporter:1
`;

beforeAll(async () => {
  kubectlPath = findKubectl();
  server = await KubeApiServer.start();
  dir = mkdtempSync(join(tmpdir(), 'sim-kubectl-'));
  server.writeKubeconfig(join(dir, 'kubeconfig'));
});
afterAll(async () => {
  await server?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('kubectl against the emulator', () => {
  it('finds kubectl', () => {
    expect(kubectlPath, 'kubectl not found on PATH nor at /usr/bin/kubectl: install kubectl v1.32 to run this suite').toBeTruthy();
  });

  it('applies the CRD and discovers the new resource with its short names', async () => {
    const applied = await kubectl('apply', '-f', CRD_FILE);
    expect(applied.stderr).toBe('');
    expect(applied.stdout.trim()).toBe('customresourcedefinition.apiextensions.k8s.io/databaseupdates.dbupdate.dev created');
    const res = await kubectl('api-resources', '--api-group=dbupdate.dev');
    expect(res.stdout).toMatch(/databaseupdates\s+dbupdates,dbu\s+dbupdate\.dev\/v1alpha1\s+true\s+DatabaseUpdate/);
    const wait = await kubectl('wait', '--for=condition=established', 'crd/databaseupdates.dbupdate.dev', '--timeout=5s');
    expect(wait.stdout).toContain('condition met');
  });

  it('applies a custom object and prints it with the CRD printer columns', async () => {
    writeFileSync(join(dir, 'du.yaml'), DU_YAML(1));
    const applied = await kubectl('apply', '-f', join(dir, 'du.yaml'));
    expect(applied.stdout).toContain('namespace/dbupdate created');
    expect(applied.stdout).toContain('databaseupdate.dbupdate.dev/orders-84 created');
    const all = await kubectl('get', 'dbupdates', '-A');
    const [header, row] = all.stdout.trim().split('\n');
    expect(header.split(/\s+/)).toEqual(['NAMESPACE', 'NAME', 'ENGINE', 'DATABASE', 'FROM', 'TO', 'PHASE', 'REQUESTER', 'AGE']);
    expect(row).toMatch(/^dbupdate\s+orders-84\s+MySQL\s+orders\s+8\.0\.35\s+8\.4\.3\s+U_ALICE\s+\d+s$/);
    const wide = await kubectl('get', 'databaseupdates', '-n', 'dbupdate', '-o', 'wide');
    expect(wide.stdout.split('\n')[0]).toContain('NAMESPACE'); // priority-1 printer column shows with -o wide
  });

  it('prints -o json, patches with --type merge, and re-applies with a merge patch', async () => {
    const json = await kubectl('get', 'databaseupdates', '-n', 'dbupdate', '-o', 'json');
    const list = JSON.parse(json.stdout) as { kind: string; items: Array<{ spec: { engine: string }; metadata: { annotations: Record<string, string>; generation: number } }> };
    expect(list.kind).toBe('List');
    expect(list.items[0].spec.engine).toBe('MySQL');
    expect(list.items[0].metadata.annotations['kubectl.kubernetes.io/last-applied-configuration']).toContain('"approvalsRequired":1');
    const patched = await kubectl('patch', 'dbu', 'orders-84', '-n', 'dbupdate', '--type', 'merge', '-p', '{"spec":{"reason":"CVE-2026-1234"}}');
    expect(patched.stdout.trim()).toBe('databaseupdate.dbupdate.dev/orders-84 patched');
    const again = await kubectl('patch', 'dbu', 'orders-84', '-n', 'dbupdate', '--type', 'merge', '-p', '{"spec":{"reason":"CVE-2026-1234"}}');
    expect(again.stdout.trim()).toBe('databaseupdate.dbupdate.dev/orders-84 patched (no change)');
    writeFileSync(join(dir, 'du.yaml'), DU_YAML(2));
    const reapplied = await kubectl('apply', '-f', join(dir, 'du.yaml'));
    expect(reapplied.stdout).toContain('databaseupdate.dbupdate.dev/orders-84 configured');
    const fields = await kubectl('get', 'dbu', 'orders-84', '-n', 'dbupdate', '-o', 'jsonpath={.spec.approvalsRequired} {.spec.reason} {.metadata.generation}');
    expect(fields.stdout).toBe('2 CVE-2026-1234 3');
  });

  it('applies a pod with a strategic merge patch and prints it in get pods', async () => {
    writeFileSync(join(dir, 'pod.yaml'), POD_YAML('mysql:8.0.35'));
    expect((await kubectl('apply', '-f', join(dir, 'pod.yaml'))).stdout.trim()).toBe('pod/orders-0 created');
    writeFileSync(join(dir, 'pod.yaml'), POD_YAML('mysql:8.4.3'));
    expect((await kubectl('apply', '-f', join(dir, 'pod.yaml'))).stdout.trim()).toBe('pod/orders-0 configured');
    server.store.patch(
      { group: '', version: 'v1', plural: 'pods' },
      'default',
      'orders-0',
      { status: { phase: 'Running', containerStatuses: [{ name: 'mysql', ready: true, restartCount: 1 }, { name: 'exporter', ready: true, restartCount: 0 }] } },
      'application/merge-patch+json',
      { subresource: 'status' },
    );
    const pods = await kubectl('get', 'pods');
    const [header, row] = pods.stdout.trim().split('\n');
    expect(header.split(/\s+/)).toEqual(['NAME', 'READY', 'STATUS', 'RESTARTS', 'AGE']);
    expect(row).toMatch(/^orders-0\s+2\/2\s+Running\s+1\s+\d+s$/);
    const images = await kubectl('get', 'pod', 'orders-0', '-o', 'jsonpath={.spec.containers[*].image}');
    expect(images.stdout).toBe('mysql:8.4.3 exporter:1');
    const byLabel = await kubectl('get', 'pods', '-l', 'app in (orders)', '-o', 'name');
    expect(byLabel.stdout.trim()).toBe('pod/orders-0');
  });

  it('reports server errors as kubectl does for a real cluster', async () => {
    const missing = await kubectl('get', 'dbu', 'nope', '-n', 'dbupdate');
    expect(missing.code).not.toBe(0);
    expect(missing.stderr.trim()).toBe('Error from server (NotFound): databaseupdates.dbupdate.dev "nope" not found');
    const badNs = await kubectl('get', 'pods', '-n', 'ghost');
    expect(badNs.stderr.trim()).toBe('No resources found in ghost namespace.');
    const deleted = await kubectl('delete', 'dbu', 'orders-84', '-n', 'dbupdate');
    expect(deleted.stdout.trim()).toBe('databaseupdate.dbupdate.dev "orders-84" deleted');
    expect((await kubectl('get', 'dbu', '-A')).stderr.trim()).toBe('No resources found');
  });
});

describe("kubectl against `npm run sim`'s cluster (seeded KubeDB, RBAC from deploy/rbac.yaml)", () => {
  let cluster: EmbeddedCluster;
  let cfg: string;
  const SA = 'system:serviceaccount:dbupdate:dbupdate';
  beforeAll(async () => {
    // What `npm run sim` starts (sim/main.ts), with its kubeconfig.
    cluster = await startEmbeddedCluster({ podReadyDelayMs: 50, stepDelayMs: 50 });
    cfg = join(dir, 'sim-kubeconfig');
    cluster.server.writeKubeconfig(cfg);
  });
  afterAll(async () => {
    await cluster?.stop();
  });

  it('kubectl create secret generic --from-literal (a protobuf request body): stringData semantics, base64 data', async () => {
    const created = await kubectlWith(cfg, 'create', 'secret', 'generic', 'db-creds', '-n', 'demo', '--from-literal=user=admin', '--from-literal=password=p@ss w0rd');
    expect(created.stderr).toBe('');
    expect(created.stdout.trim()).toBe('secret/db-creds created');
    const data = await kubectlWith(cfg, 'get', 'secret', 'db-creds', '-n', 'demo', '-o', 'jsonpath={.type} {.data.user} {.data.password}');
    expect(data.stdout).toBe(`Opaque ${Buffer.from('admin').toString('base64')} ${Buffer.from('p@ss w0rd').toString('base64')}`);
    const again = await kubectlWith(cfg, 'create', 'secret', 'generic', 'db-creds', '-n', 'demo', '--from-literal=user=x');
    expect(again.code).not.toBe(0);
    expect(again.stderr.trim()).toBe('error: failed to create secret secrets "db-creds" already exists');
  });

  it('kubectl auth can-i --as the bot\'s service account answers from deploy/rbac.yaml', async () => {
    const can = (...args: string[]) => kubectlWith(cfg, 'auth', 'can-i', `--as=${SA}`, ...args);
    const get = await can('get', 'databaseupdates.dbupdate.dev', '-n', 'dbupdate');
    expect([get.stdout.trim(), get.code]).toEqual(['yes', 0]);
    const del = await can('delete', 'namespaces');
    expect([del.stdout.trim(), del.code]).toEqual(['no', 1]);
    const otherNs = await can('create', 'databaseupdates.dbupdate.dev', '-n', 'demo');
    expect([otherNs.stdout.trim(), otherNs.code]).toEqual(['no', 1]);
    const patchDb = await can('patch', 'mysqls.kubedb.com', '-n', 'demo');
    expect([patchDb.stdout.trim(), patchDb.code]).toEqual(['yes', 0]);
    // No Secret at all by default: `get` by name is the opt-in component (deploy/components/read-secrets, docs/secrets.md).
    const secrets = await can('get', 'secrets', '-n', 'demo');
    expect([secrets.stdout.trim(), secrets.code]).toEqual(['no', 1]);
    const listSecrets = await can('list', 'secrets', '-n', 'demo');
    expect([listSecrets.stdout.trim(), listSecrets.code]).toEqual(['no', 1]);
    const portForward = await can('create', 'pods', '--subresource=portforward', '-n', 'billing');
    expect([portForward.stdout.trim(), portForward.code]).toEqual(['yes', 0]);
    // An impersonated request is really served as the service account.
    const list = await kubectlWith(cfg, `--as=${SA}`, 'get', 'secrets', '-n', 'demo');
    expect(list.code).not.toBe(0);
    expect(list.stderr.trim()).toBe(`Error from server (Forbidden): secrets is forbidden: User "${SA}" cannot list resource "secrets" in API group "" in the namespace "demo"`);
  });

  it('kubectl apply of a DatabaseUpdate with a field its CRD does not define fails with the strict decoding error', async () => {
    writeFileSync(join(dir, 'bogus.yaml'), DU_YAML(1).split('---\n')[1].replace('  approvers: [U_BOB]', '  approvers: [U_BOB]\n  bogus: true'));
    const res = await kubectlWith(cfg, 'apply', '-f', join(dir, 'bogus.yaml'));
    expect(res.code).not.toBe(0);
    expect(res.stderr.trim()).toBe(
      `Error from server (BadRequest): error when creating "${join(dir, 'bogus.yaml')}": DatabaseUpdate in version "v1alpha1" cannot be handled as a DatabaseUpdate: strict decoding error: unknown field "spec.bogus"`,
    );
    const enumBad = DU_YAML(1).split('---\n')[1].replace('updateType: minor', 'updateType: huge');
    writeFileSync(join(dir, 'enum.yaml'), enumBad);
    const inv = await kubectlWith(cfg, 'apply', '-f', join(dir, 'enum.yaml'));
    expect(inv.stderr).toContain('The DatabaseUpdate "orders-84" is invalid: spec.updateType: Unsupported value: "huge": supported values: "patch", "minor", "major"');
  });
});
