/**
 * The project's kubectl scenario, run by the real `kubectl` (v1.32, `.tools/bin`) against any API server:
 * the emulator (test/sim-kubectl.test.ts) and the real kube-apiserver (test/real-kubectl.test.ts) answer
 * it alike. Client-side apply of the CRD and of a custom object, server-side printing with the CRD's
 * printer columns, `-o json`, `patch --type merge`, a strategic-merge apply of a pod and `get pods`,
 * server errors as kubectl prints them, strict field validation and enum validation.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const CRD_FILE = join(ROOT, 'deploy/crd-databaseupdate.yaml');

/** kubectl from .tools/bin (npm test installs it there), else PATH or /usr/bin. */
export function findKubectl(): string | undefined {
  for (const dir of [join(ROOT, '.tools/bin'), ...(process.env.PATH ?? '').split(delimiter), '/usr/bin', '/usr/local/bin']) {
    if (dir && existsSync(join(dir, 'kubectl'))) return join(dir, 'kubectl');
  }
  return undefined;
}

/** What the scenario needs from a server under test. */
export interface KubectlTarget {
  /** Admin kubeconfig YAML. */
  kubeconfigYaml(): string;
  /** A namespace of the scenario's own for the records (created by kubectl apply if missing). */
  recordsNamespace: string;
  /** A namespace of the scenario's own for the pod. */
  podNamespace: string;
  /** Write a pod's status as a kubelet would (`pods/status`), as the admin. */
  setPodStatus(namespace: string, name: string, status: Record<string, unknown>): Promise<void>;
  /** Whether the CRD is already installed (the shared real server has it from other tests). */
  crdPreinstalled?: boolean;
}

/** A DatabaseUpdate manifest (with its Namespace) in `ns`. */
export const DU_YAML = (ns: string, approvals: number) => `apiVersion: v1
kind: Namespace
metadata:
  name: ${ns}
---
apiVersion: dbupdate.dev/v1alpha1
kind: DatabaseUpdate
metadata:
  name: orders-84
  namespace: ${ns}
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

const POD_YAML = (ns: string, image: string) => `apiVersion: v1
kind: Pod
metadata: { name: orders-0, namespace: ${ns}, labels: { app: orders } }
spec:
  containers:
  - name: mysql
    image: ${image}
    env: [{ name: MYSQL_ROOT_PASSWORD, value: secret }]
  - name: exporter
    image: exporter:1
`;

/** Define the kubectl scenario's tests against `target()` (called in beforeAll). */
export function kubectlScenario(label: string, target: () => Promise<KubectlTarget>): void {
  const kubectlPath = findKubectl();
  let dir: string;
  let t: KubectlTarget;
  const kubectl = (...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> => {
    if (!kubectlPath) throw new Error('kubectl not found in .tools/bin, on PATH nor at /usr/bin/kubectl: run scripts/install-tools.sh (npm test does)');
    return new Promise((resolve) => {
      execFile(kubectlPath, ['--kubeconfig', join(dir, 'kubeconfig'), '--cache-dir', join(dir, 'cache'), ...args], { env: { ...process.env, HOME: dir, KUBECONFIG: '' }, timeout: 30_000 }, (err, stdout, stderr) =>
        resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
      );
    });
  };

  describe(`kubectl against ${label}`, () => {
    beforeAll(async () => {
      t = await target();
      dir = mkdtempSync(join(tmpdir(), 'kubectl-scenario-'));
      writeFileSync(join(dir, 'kubeconfig'), t.kubeconfigYaml());
    });
    afterAll(() => {
      if (dir) rmSync(dir, { recursive: true, force: true });
    });

    it('applies the CRD and discovers the new resource with its short names', async () => {
      const applied = await kubectl('apply', '-f', CRD_FILE);
      expect(applied.stderr).toBe('');
      expect(applied.stdout.trim()).toMatch(/^customresourcedefinition\.apiextensions\.k8s\.io\/databaseupdates\.dbupdate\.dev (created|configured|unchanged)$/);
      if (!t.crdPreinstalled) expect(applied.stdout.trim()).toMatch(/ created$/);
      const wait = await kubectl('wait', '--for=condition=established', 'crd/databaseupdates.dbupdate.dev', '--timeout=10s');
      expect(wait.stdout).toContain('condition met');
      const res = await kubectl('api-resources', '--api-group=dbupdate.dev');
      expect(res.stdout).toMatch(/databaseupdates\s+dbupdates,dbu\s+dbupdate\.dev\/v1alpha1\s+true\s+DatabaseUpdate/);
    });

    it('applies a custom object and prints it with the CRD printer columns', async () => {
      const ns = t.recordsNamespace;
      writeFileSync(join(dir, 'du.yaml'), DU_YAML(ns, 1));
      const applied = await kubectl('apply', '-f', join(dir, 'du.yaml'));
      expect(applied.stdout).toContain(`namespace/${ns} `);
      expect(applied.stdout).toContain('databaseupdate.dbupdate.dev/orders-84 created');
      const all = await kubectl('get', 'dbupdates', '-A');
      const lines = all.stdout.trim().split('\n');
      expect(lines[0].split(/\s+/)).toEqual(['NAMESPACE', 'NAME', 'ENGINE', 'DATABASE', 'FROM', 'TO', 'PHASE', 'REQUESTER', 'AGE']);
      const row = lines.find((l) => l.startsWith(`${ns} `));
      expect(row).toMatch(new RegExp(`^${ns}\\s+orders-84\\s+MySQL\\s+orders\\s+8\\.0\\.35\\s+8\\.4\\.3\\s+U_ALICE\\s+\\d+s$`));
      const wide = await kubectl('get', 'databaseupdates', '-n', ns, '-o', 'wide');
      expect(wide.stdout.split('\n')[0]).toContain('NAMESPACE'); // priority-1 printer column shows with -o wide
    });

    it('prints -o json, patches with --type merge, and re-applies with a merge patch', async () => {
      const ns = t.recordsNamespace;
      const json = await kubectl('get', 'databaseupdates', '-n', ns, '-o', 'json');
      const list = JSON.parse(json.stdout) as { kind: string; items: Array<{ spec: { engine: string }; metadata: { annotations: Record<string, string> } }> };
      expect(list.kind).toBe('List');
      expect(list.items[0].spec.engine).toBe('MySQL');
      expect(list.items[0].metadata.annotations['kubectl.kubernetes.io/last-applied-configuration']).toContain('"approvalsRequired":1');
      const patched = await kubectl('patch', 'dbu', 'orders-84', '-n', ns, '--type', 'merge', '-p', '{"spec":{"reason":"CVE-2026-1234"}}');
      expect(patched.stdout.trim()).toBe('databaseupdate.dbupdate.dev/orders-84 patched');
      const again = await kubectl('patch', 'dbu', 'orders-84', '-n', ns, '--type', 'merge', '-p', '{"spec":{"reason":"CVE-2026-1234"}}');
      expect(again.stdout.trim()).toBe('databaseupdate.dbupdate.dev/orders-84 patched (no change)');
      writeFileSync(join(dir, 'du.yaml'), DU_YAML(ns, 2));
      const reapplied = await kubectl('apply', '-f', join(dir, 'du.yaml'));
      expect(reapplied.stdout).toContain('databaseupdate.dbupdate.dev/orders-84 configured');
      const fields = await kubectl('get', 'dbu', 'orders-84', '-n', ns, '-o', 'jsonpath={.spec.approvalsRequired} {.spec.reason} {.metadata.generation}');
      expect(fields.stdout).toBe('2 CVE-2026-1234 3');
    });

    it('applies a pod with a strategic merge patch and prints it in get pods', async () => {
      const ns = t.podNamespace;
      writeFileSync(join(dir, 'ns.yaml'), `apiVersion: v1\nkind: Namespace\nmetadata: { name: ${ns} }\n`);
      await kubectl('apply', '-f', join(dir, 'ns.yaml'));
      writeFileSync(join(dir, 'pod.yaml'), POD_YAML(ns, 'mysql:8.0.35'));
      expect((await kubectl('apply', '-f', join(dir, 'pod.yaml'))).stdout.trim()).toBe('pod/orders-0 created');
      writeFileSync(join(dir, 'pod.yaml'), POD_YAML(ns, 'mysql:8.4.3'));
      expect((await kubectl('apply', '-f', join(dir, 'pod.yaml'))).stdout.trim()).toBe('pod/orders-0 configured');
      await t.setPodStatus(ns, 'orders-0', { phase: 'Running', containerStatuses: [{ name: 'mysql', image: 'mysql:8.4.3', imageID: '', ready: true, restartCount: 1, state: { running: {} } }, { name: 'exporter', image: 'exporter:1', imageID: '', ready: true, restartCount: 0, state: { running: {} } }] });
      const pods = await kubectl('get', 'pods', '-n', ns);
      const [header, row] = pods.stdout.trim().split('\n');
      expect(header.split(/\s+/)).toEqual(['NAME', 'READY', 'STATUS', 'RESTARTS', 'AGE']);
      expect(row).toMatch(/^orders-0\s+2\/2\s+Running\s+1\s+\d+s$/);
      const images = await kubectl('get', 'pod', 'orders-0', '-n', ns, '-o', 'jsonpath={.spec.containers[*].image}');
      expect(images.stdout).toBe('mysql:8.4.3 exporter:1');
      const byLabel = await kubectl('get', 'pods', '-n', ns, '-l', 'app in (orders)', '-o', 'name');
      expect(byLabel.stdout.trim()).toBe('pod/orders-0');
    });

    it('reports server errors as kubectl does for a real cluster', async () => {
      const ns = t.recordsNamespace;
      const missing = await kubectl('get', 'dbu', 'nope', '-n', ns);
      expect(missing.code).not.toBe(0);
      expect(missing.stderr.trim()).toBe('Error from server (NotFound): databaseupdates.dbupdate.dev "nope" not found');
      const badNs = await kubectl('get', 'pods', '-n', 'ghost');
      expect(badNs.stderr.trim()).toBe('No resources found in ghost namespace.');
      const deleted = await kubectl('delete', 'dbu', 'orders-84', '-n', ns);
      expect(deleted.stdout.trim()).toBe('databaseupdate.dbupdate.dev "orders-84" deleted');
      expect((await kubectl('get', 'dbu', '-n', ns)).stderr.trim()).toBe(`No resources found in ${ns} namespace.`);
    });

    it('refuses a field the CRD does not define with the strict decoding error, and an enum value it does not allow', async () => {
      const ns = t.recordsNamespace;
      writeFileSync(join(dir, 'bogus.yaml'), DU_YAML(ns, 1).split('---\n')[1].replace('  approvers: [U_BOB]', '  approvers: [U_BOB]\n  bogus: true'));
      const res = await kubectl('apply', '-f', join(dir, 'bogus.yaml'));
      expect(res.code).not.toBe(0);
      expect(res.stderr.trim()).toBe(
        `Error from server (BadRequest): error when creating "${join(dir, 'bogus.yaml')}": DatabaseUpdate in version "v1alpha1" cannot be handled as a DatabaseUpdate: strict decoding error: unknown field "spec.bogus"`,
      );
      writeFileSync(join(dir, 'enum.yaml'), DU_YAML(ns, 1).split('---\n')[1].replace('updateType: minor', 'updateType: huge'));
      const inv = await kubectl('apply', '-f', join(dir, 'enum.yaml'));
      expect(inv.stderr).toContain('The DatabaseUpdate "orders-84" is invalid: spec.updateType: Unsupported value: "huge": supported values: "patch", "minor", "major"');
    });
  });
}
