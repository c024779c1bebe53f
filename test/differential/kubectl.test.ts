/**
 * The real `kubectl` (v1.32) run the same way against the real kube-apiserver (envtest) and the
 * emulator, outputs compared: `kubectl explain` (field names and types, from `/openapi/v3`),
 * `kubectl apply -f` of a `kind: List`, `kubectl auth can-i --list` and `kubectl auth whoami` as the
 * bot's service account, and KubeDB's short names and `ops` category (`kubectl get ops`, `pxcops`,
 * `prxops`, `api-resources --categories=ops`) with the CRDs of sim/kubedb/crds.ts installed.
 * kubectl must be on PATH (or at /usr/bin/kubectl); the suite fails, not skips, without it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { KubeConfig } from '@kubernetes/client-node';
import { ADMIN_USER, KubeApiServer } from '../../sim/kube/server.js';
import { installKubeDBCrds } from '../../sim/kubedb/crds.js';
import { perform } from './harness.js';
import { realControlPlane } from './real.js';
import { applyAll } from '../../envtest/apply.js';

const BOT = 'system:serviceaccount:dbupdate:dbupdate';
const ROOT_DIR = new URL('../..', import.meta.url).pathname;

function findKubectl(): string {
  for (const d of [...(process.env.PATH ?? '').split(delimiter), '/usr/bin', '/usr/local/bin']) if (d && existsSync(join(d, 'kubectl'))) return join(d, 'kubectl');
  throw new Error('kubectl not found on PATH nor at /usr/bin/kubectl: install kubectl v1.32 to run this suite');
}

interface Side {
  kubeconfig: string;
  home: string;
}
type Run = { code: number; stdout: string; stderr: string };

function kubectl(side: Side, ...args: string[]): Promise<Run> {
  return new Promise((resolve) => {
    execFile(findKubectl(), ['--kubeconfig', side.kubeconfig, '--cache-dir', join(side.home, 'cache'), ...args], { env: { ...process.env, HOME: side.home, KUBECONFIG: '' }, timeout: 60_000 }, (err, stdout, stderr) =>
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

/** The `FIELDS:` of `kubectl explain` output as `name <type>` lines (descriptions left out: the emulator has none). */
function fields(out: string): string[] {
  return out
    .split('\n')
    .map((l) => l.match(/^ {2}(\S+)\t<([^>]+)>/))
    .filter((m): m is RegExpMatchArray => m !== null)
    .map((m) => `${m[1]} <${m[2]}>`);
}

const ns = `d-kubectl-${randomBytes(3).toString('hex')}`;
const sides: Record<'real' | 'emulator', Side> = {} as Record<'real' | 'emulator', Side>;
let emulator: KubeApiServer;
const dir = mkdtempSync(join(tmpdir(), 'diff-kubectl-'));

beforeAll(async () => {
  // kubectl sends no credentials to an http:// server: its requests are the admin's by `unauthenticatedUser`.
  emulator = await KubeApiServer.start({ rbac: true, unauthenticatedUser: ADMIN_USER });
  const ekc = new KubeConfig();
  ekc.loadFromString(emulator.kubeconfigYaml());
  const rkc = await realControlPlane();
  // The emulator's own kubeconfig text (client-node's export drops its token); the real one exported as loaded.
  for (const [name, kc, text] of [['real', rkc, rkc.exportConfig()], ['emulator', ekc, emulator.kubeconfigYaml()]] as const) {
    const home = join(dir, name);
    const kubeconfig = join(home, 'kubeconfig');
    mkdirSync(home, { recursive: true });
    writeFileSync(kubeconfig, text);
    sides[name] = { kubeconfig, home };
    const r = await perform({ name, kubeConfig: kc, saved: {} }, { id: 'ns', method: 'POST', path: '/api/v1/namespaces', body: { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } } }, { namespace: ns });
    if (r.code >= 300) throw new Error(`${name}: namespace ${ns}: ${r.code}`);
    await installKubeDBCrds(kc);
    // The bot's RBAC on both, from deploy/rbac.yaml, applied here: the real server is shared by the run's
    // test files, and what `can-i --list` answers must not depend on which of them ran first.
    await applyAll(kc, [{ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'dbupdate' } }]);
    await applyAll(kc, readFileSync(join(ROOT_DIR, 'deploy', 'rbac.yaml'), 'utf8'));
  }
}, 120_000);

afterAll(async () => {
  await kubectl(sides.real, 'delete', 'namespace', ns, '--wait=false').catch(() => undefined);
  // The bot's RBAC applied above, gone again from the shared real server: the differential group `rbac`
  // asks what service account dbupdate/dbupdate may do, and must not see this file's grants (it did when
  // the files ran in another order).
  await kubectl(sides.real, 'delete', '--ignore-not-found', '--wait=false', '-f', join(ROOT_DIR, 'deploy', 'rbac.yaml')).catch(() => undefined);
  await emulator?.stop();
  rmSync(dir, { recursive: true, force: true });
});

/** Run the same kubectl command on both sides. */
async function both(...args: string[]): Promise<{ real: Run; emulator: Run }> {
  const [real, emu] = await Promise.all([kubectl(sides.real, ...args), kubectl(sides.emulator, ...args)]);
  return { real, emulator: emu };
}

describe('kubectl against the real kube-apiserver and the emulator', () => {
  it.each([['configmaps'], ['pods.spec.containers'], ['deployments.spec'], ['mysqlversions.spec'], ['mysqls.spec'], ['perconaxtradbopsrequests.spec']])('kubectl explain %s lists the same fields', async (what) => {
    const r = await both('explain', what);
    expect([r.real.code, r.emulator.code], r.emulator.stderr + r.real.stderr).toEqual([0, 0]);
    expect(fields(r.real.stdout).length).toBeGreaterThan(2);
    expect(fields(r.emulator.stdout).join('\n')).toBe(fields(r.real.stdout).join('\n'));
  });

  it('kubectl apply -f of a kind: List creates its items on both', async () => {
    const file = join(dir, 'list.yaml');
    writeFileSync(
      file,
      `apiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: ConfigMap\n  metadata: {name: l1, namespace: ${ns}}\n  data: {a: "1"}\n- apiVersion: v1\n  kind: ConfigMap\n  metadata: {name: l2, namespace: ${ns}}\n`,
    );
    const r = await both('apply', '-f', file);
    expect([r.real.code, r.emulator.code], r.emulator.stderr + r.real.stderr).toEqual([0, 0]);
    expect(r.emulator.stdout).toBe(r.real.stdout);
    expect(r.real.stdout).toContain('configmap/l1 created');
    const again = await both('apply', '-f', file);
    expect(again.emulator.stdout).toBe(again.real.stdout);
  });

  it('kubectl auth can-i --list and kubectl auth whoami as the bot answer the same', async () => {
    const list = await both('auth', 'can-i', '--list', `--as=${BOT}`, '-n', ns);
    expect([list.real.code, list.emulator.code], list.emulator.stderr + list.real.stderr).toEqual([0, 0]);
    const lines = (s: string) => s.split('\n').map((l) => l.trim().replace(/\s+/g, ' ')).filter(Boolean).sort();
    expect(lines(list.emulator.stdout)).toEqual(lines(list.real.stdout));
    const who = await both('auth', 'whoami', `--as=${BOT}`, '-o', 'json');
    expect([who.real.code, who.emulator.code]).toEqual([0, 0]);
    const info = (s: string) => {
      const u = (JSON.parse(s) as { status: { userInfo: { username: string; groups: string[] } } }).status.userInfo;
      return { username: u.username, groups: [...u.groups].sort() };
    };
    expect(info(who.emulator.stdout)).toEqual(info(who.real.stdout));
    expect(info(who.real.stdout).username).toBe(BOT);
  });

  it('KubeDB short names pxcops and prxops and the ops category resolve on both', async () => {
    const cat = await both('api-resources', '--categories=ops', '-o', 'name');
    expect([cat.real.code, cat.emulator.code]).toEqual([0, 0]);
    const names = (s: string) => s.split('\n').filter(Boolean).sort();
    expect(names(cat.emulator.stdout)).toEqual(names(cat.real.stdout));
    expect(names(cat.real.stdout)).toContain('perconaxtradbopsrequests.ops.kubedb.com');
    for (const args of [['get', 'ops', '-n', ns], ['get', 'pxcops', '-n', ns], ['get', 'prxops', '-n', ns], ['get', 'myversion', '8.0.35', '--ignore-not-found']]) {
      const r = await both(...args);
      expect([r.real.code, r.emulator.code], `${args.join(' ')}: ${r.emulator.stderr} | ${r.real.stderr}`).toEqual([0, 0]);
      expect(r.emulator.stderr.trim()).toBe(r.real.stderr.trim().split(ns).join(ns));
    }
  });
});
