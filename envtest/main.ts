/**
 * `npm run cluster`: a REAL control plane for a person (kube-apiserver v1.36.3, etcd, kube-controller-
 * manager, built by scripts/build-control-plane.sh), with KubeDB's CRDs, the bot's CRD, its namespace and
 * RBAC (deploy/rbac.yaml) installed. Writes an admin kubeconfig and the bot's own kubeconfig
 * (`system:serviceaccount:dbupdate:dbupdate`, RBAC-enforced) and prints their paths, as `npm run sim`
 * does for the emulator. Ctrl-C stops every process.
 */
import { copyFileSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { runCli } from '../src/startup/cli.js';
import { REPO_ROOT, startControlPlane } from './control-plane.js';
import { applyAll } from './apply.js';
import { installKubeDB } from './kubedb.js';

const USAGE = `Usage: npm run cluster [-- options]

Starts a real Kubernetes control plane (kube-apiserver, etcd, kube-controller-manager) on 127.0.0.1 with
KubeDB's CRDs and version catalog, the DatabaseUpdate CRD and the bot's RBAC (deploy/rbac.yaml), until
Ctrl-C. Writes an admin kubeconfig and the bot's kubeconfig.

Options:
  --kubeconfig <path>   where to write the admin kubeconfig (default .cluster/kubeconfig; the bot's is
                        written beside it as bot.kubeconfig)
  -h, --help            show this help
`;

const values = runCli(process.argv.slice(2), 'npm run cluster', USAGE, {
  kubeconfig: { type: 'string', default: '.cluster/kubeconfig' },
}) as { kubeconfig: string };

process.stderr.write('starting etcd, kube-apiserver and kube-controller-manager…\n');
const plane = await startControlPlane();
const stop = async () => {
  await plane.stop();
  process.exit(0);
};
process.on('SIGINT', () => void stop());
process.on('SIGTERM', () => void stop());
try {
  const kc = plane.kubeConfig();
  const installed = await installKubeDB(kc);
  await applyAll(kc, readFileSync(resolve(REPO_ROOT, 'deploy/crd-databaseupdate.yaml'), 'utf8'));
  await applyAll(kc, readFileSync(resolve(REPO_ROOT, 'deploy/crd-databaseupdatebatch.yaml'), 'utf8'));
  await applyAll(kc, [{ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'dbupdate' } }]);
  await applyAll(kc, readFileSync(resolve(REPO_ROOT, 'deploy/rbac.yaml'), 'utf8'));
  const path = resolve(values.kubeconfig);
  mkdirSync(dirname(path), { recursive: true });
  copyFileSync(plane.kubeconfigPath, path);
  const botPath = resolve(dirname(path), 'bot.kubeconfig');
  copyFileSync(plane.botKubeconfigPath, botPath);
  process.stdout.write(
    `real control plane at ${plane.server} (${installed.crds} KubeDB CRDs, ${installed.catalog} catalog entries)\n` +
      `admin kubeconfig: ${path}\nbot kubeconfig:   ${botPath}  (system:serviceaccount:dbupdate:dbupdate)\n\n` +
      `  KUBECONFIG=${path} .tools/bin/kubectl get crd\n  KUBECONFIG=${botPath} .tools/bin/kubectl auth can-i --list -n dbupdate\n\nCtrl-C stops it.\n`,
  );
} catch (err) {
  process.stderr.write(`npm run cluster: ${(err as Error).message}\n`);
  await plane.stop({ keep: true });
  process.exit(1);
}
