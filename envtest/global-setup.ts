/**
 * vitest `globalSetup`: one real control plane for the whole test run (issue #18 item 5). It builds
 * nothing (npm test's `pretest` step runs scripts/build-control-plane.sh; a missing binary fails here
 * with that command), puts `.tools/bin` (kubectl, helm) first on the tests' PATH, starts the control
 * plane and publishes it in `$DBUPDATE_ENVTEST`. At teardown every process is stopped by PID; the
 * directory with the logs is kept when a test failed (`envtest/reporter.ts` marks it) and its path printed.
 */
import { existsSync, writeFileSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { REPO_ROOT, startControlPlane } from './control-plane.js';
import { ENVTEST_ENV, type ControlPlaneInfo } from './shared.js';

/** Marker file a failing run leaves in the control plane's directory. */
export const FAILED_MARKER = 'tests-failed';

export default async function setup(): Promise<() => Promise<void>> {
  process.env.PATH = [join(REPO_ROOT, '.tools', 'bin'), process.env.PATH].join(delimiter);
  const t0 = Date.now();
  const plane = await startControlPlane();
  const info: ControlPlaneInfo = {
    server: plane.server,
    dir: plane.dir,
    caFile: plane.caFile,
    kubeconfigPath: plane.kubeconfigPath,
    botKubeconfigPath: plane.botKubeconfigPath,
    auditLogPath: plane.auditLogPath,
    tokens: plane.tokens,
    pids: plane.pids,
  };
  const file = join(plane.dir, 'envtest.json');
  writeFileSync(file, JSON.stringify(info, null, 2));
  process.env[ENVTEST_ENV] = file;
  process.stderr.write(`envtest: kube-apiserver, etcd and kube-controller-manager ready in ${Date.now() - t0} ms at ${plane.server} (kubeconfig ${plane.kubeconfigPath})\n`);
  return async () => {
    const failed = existsSync(join(plane.dir, FAILED_MARKER));
    await plane.stop({ keep: failed });
    if (failed) process.stderr.write(`envtest: a test failed; the control plane's logs are kept in ${plane.dir}/logs\n`);
  };
}
