/**
 * The bot's manifests on a REAL kube-apiserver (issue #18 item 4): `kubectl apply -k deploy/` and
 * `helm install` of the chart succeed against the shared control plane, and the RBAC they grant is what
 * the real RBAC authorizer enforces on the bot's own identity (`system:serviceaccount:dbupdate:dbupdate`
 * by static token; the Helm release's service account by TokenRequest): the writes it needs are allowed,
 * what it does not need is refused with 403.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CustomObjectsApi, PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../envtest/control-plane.js';
import { installKubeDB } from '../envtest/kubedb.js';
import { sharedControlPlane } from '../envtest/shared.js';
import { VALID_RECORD_SPEC } from './support/record-spec.js';

const plane = sharedControlPlane();
const KUBECTL = join(REPO_ROOT, '.tools/bin/kubectl');
const HELM = join(REPO_ROOT, '.tools/bin/helm');
let dir: string;

/** Run a tool; resolves with exit code and output (never rejects on a non-zero exit). */
function run(bin: string, args: string[], env: Record<string, string> = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const p = spawn(bin, args, { env: { ...process.env, HOME: dir, ...env }, timeout: 120_000 });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    p.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    p.on('error', reject);
    p.on('close', (code) => resolve({ code: code ?? 1, stdout, stderr }));
  });
}

/** kubectl with a kubeconfig for `token` (default: the admin's). */
function kubectl(args: string[], token?: string) {
  const kubeconfig = join(dir, `kubeconfig-${token ? token.slice(0, 8) : 'admin'}`);
  writeFileSync(kubeconfig, plane.kubeconfigYaml(token));
  return run(KUBECTL, ['--kubeconfig', kubeconfig, '--cache-dir', join(dir, 'cache'), ...args]);
}

/** `kubectl auth can-i VERB RESOURCE -n NS` for `token`: the real RBAC authorizer's answer. */
async function canI(token: string, verb: string, resource: string, ns?: string): Promise<boolean> {
  const [res, sub] = resource.split('/');
  const r = await kubectl(['auth', 'can-i', verb, res, ...(sub ? [`--subresource=${sub}`] : []), ...(ns ? ['-n', ns] : [])], token);
  return r.stdout.trim() === 'yes';
}

/**
 * The answers of {@link canI} for every row of {@link GRANTS}, as `verb resource ns: allowed` lines, once
 * they agree with the table or after 15 s: the API server's RBAC authorizer reads roles and bindings from
 * an informer, so a grant made a moment ago may not be seen yet (real-server behaviour, not a race of ours).
 */
async function grantAnswers(token: string, recordsNs: string): Promise<{ got: string[]; want: string[] }> {
  const line = (v: string, r: string, ns: string | undefined, a: boolean) => `${v} ${r} ${ns ?? '(cluster)'}: ${a}`;
  const want = GRANTS.map(([v, r, ns, w]) => line(v, r, ns, w));
  const deadline = Date.now() + 15_000;
  for (;;) {
    const answers = await Promise.all(GRANTS.map(([verb, res, ns]) => canI(token, verb, res, ns === 'RECORDS' ? recordsNs : ns)));
    const got = GRANTS.map(([v, r, ns], i) => line(v, r, ns, answers[i]));
    if (got.join() === want.join() || Date.now() > deadline) return { got, want };
    await new Promise((r) => setTimeout(r, 500));
  }
}

/** What the bot needs and what it must not have, as (verb, resource, namespace) → allowed. */
const GRANTS: Array<[string, string, string | undefined, boolean]> = [
  ['create', 'databaseupdates.dbupdate.dev', 'RECORDS', true],
  ['watch', 'databaseupdates.dbupdate.dev', 'RECORDS', true],
  ['patch', 'databaseupdates.dbupdate.dev/status', 'RECORDS', true],
  ['update', 'databaseupdates.dbupdate.dev/status', 'RECORDS', false],
  ['create', 'databaseupdates.dbupdate.dev', 'demo', false],
  ['create', 'leases.coordination.k8s.io', 'RECORDS', true],
  ['list', 'leases.coordination.k8s.io', 'RECORDS', false],
  ['get', 'mysqls.kubedb.com', 'demo', true],
  ['delete', 'mysqls.kubedb.com', 'demo', false],
  ['list', 'mysqlversions.catalog.kubedb.com', undefined, true],
  ['create', 'mysqlopsrequests.ops.kubedb.com', 'demo', true],
  ['create', 'events', 'demo', true],
  ['list', 'secrets', 'demo', false],
  ['create', 'pods', 'demo', false],
  ['list', 'namespaces', undefined, false],
];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'dbupdate-real-deploy-'));
  await installKubeDB(plane.kubeConfig());
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('kubectl apply -k deploy/ on the real API server', { timeout: 180_000 }, () => {
  it('creates every object, and a second apply changes nothing', async () => {
    const first = await kubectl(['apply', '-k', join(REPO_ROOT, 'deploy')]);
    expect(first.code, first.stderr).toBe(0);
    const lines = first.stdout.trim().split('\n');
    for (const kind of ['namespace/dbupdate', 'customresourcedefinition.apiextensions.k8s.io/databaseupdates.dbupdate.dev', 'serviceaccount/dbupdate', 'role.rbac.authorization.k8s.io/dbupdate', 'clusterrole.rbac.authorization.k8s.io/dbupdate', 'deployment.apps/dbupdate']) {
      expect(lines.some((l) => l.startsWith(`${kind} `)), `${kind} in:\n${first.stdout}`).toBe(true);
    }
    const again = await kubectl(['apply', '-k', join(REPO_ROOT, 'deploy')]);
    expect(again.code, again.stderr).toBe(0);
    // The real server reports the PodDisruptionBudget "configured" on every client-side apply, as the
    // emulator's own kubectl tests expect (the last-applied annotation differs from the defaulted object).
    expect(again.stdout.trim().split('\n').filter((l) => !l.endsWith(' unchanged')), again.stdout).toEqual(['poddisruptionbudget.policy/dbupdate configured']);
  });

  it("enforces deploy/rbac.yaml on the bot's identity (system:serviceaccount:dbupdate:dbupdate)", async () => {
    const who = await kubectl(['auth', 'whoami', '-o', 'jsonpath={.status.userInfo.username}'], plane.tokens.bot);
    expect(who.stdout).toBe('system:serviceaccount:dbupdate:dbupdate');
    const { got, want } = await grantAnswers(plane.tokens.bot, 'dbupdate');
    expect(got).toEqual(want);
    // And a real write: the bot creates a record and merge-patches its status; it may not delete a database.
    const bot = plane.kubeConfig(plane.tokens.bot).makeApiClient(CustomObjectsApi);
    const body = { apiVersion: 'dbupdate.dev/v1alpha1', kind: 'DatabaseUpdate', metadata: { name: 'real-rbac-probe' }, spec: VALID_RECORD_SPEC };
    await bot.createNamespacedCustomObject({ group: 'dbupdate.dev', version: 'v1alpha1', namespace: 'dbupdate', plural: 'databaseupdates', body });
    const patched = (await bot.patchNamespacedCustomObjectStatus(
      { group: 'dbupdate.dev', version: 'v1alpha1', namespace: 'dbupdate', plural: 'databaseupdates', name: 'real-rbac-probe', body: { status: { phase: 'Pending' } } },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    )) as { status?: { phase?: string } };
    expect(patched.status?.phase).toBe('Pending');
    const denied = await bot.deleteNamespacedCustomObject({ group: 'kubedb.com', version: 'v1', namespace: 'demo', plural: 'mysqls', name: 'orders' }).catch((e: { code?: number }) => e);
    expect((denied as { code?: number }).code).toBe(403);
  });
});

describe('helm install of the chart on the real API server', { timeout: 240_000 }, () => {
  it('installs a release whose service account gets exactly the grants it needs', async () => {
    const ns = `helm-${Date.now().toString(36)}`;
    const kubeconfig = join(dir, 'kubeconfig-helm');
    writeFileSync(kubeconfig, plane.kubeconfigYaml());
    const values = join(dir, 'values.yaml');
    writeFileSync(values, 'config:\n  approvers: [U07ALICE01, U07BOB0002]\n  clusterName: real\n');
    const install = await run(HELM, ['install', 'dbu', join(REPO_ROOT, 'deploy/helm/dbupdate'), '-n', ns, '--create-namespace', '--kubeconfig', kubeconfig, '-f', values, '--wait=false']);
    expect(install.code, install.stderr + install.stdout).toBe(0);
    expect(install.stdout).toMatch(/STATUS: deployed/);
    const status = await run(HELM, ['status', 'dbu', '-n', ns, '--kubeconfig', kubeconfig, '-o', 'json']);
    expect(JSON.parse(status.stdout).info.status).toBe('deployed');
    // The release's own service account, by TokenRequest, against the real RBAC authorizer.
    const sa = (await kubectl(['get', 'serviceaccount', '-n', ns, '-o', 'jsonpath={.items[*].metadata.name}'])).stdout.split(' ').find((n) => n !== 'default')!;
    const token = await plane.serviceAccountToken(ns, sa);
    const { got, want } = await grantAnswers(token, ns);
    expect(got).toEqual(want);
    const uninstall = await run(HELM, ['uninstall', 'dbu', '-n', ns, '--kubeconfig', kubeconfig]);
    expect(uninstall.code, uninstall.stderr).toBe(0);
  });
});
