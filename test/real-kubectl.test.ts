/**
 * The project's kubectl scenario (test/support/kubectl-scenario.ts) against the REAL kube-apiserver of the
 * run (envtest/): what test/sim-kubectl.test.ts expects of the emulator, the real server answers too.
 */
import { CoreV1Api, PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import { randomBytes } from 'node:crypto';
import { kubectlScenario } from './support/kubectl-scenario.js';
import { sharedControlPlane } from '../envtest/shared.js';

kubectlScenario('the real kube-apiserver', async () => {
  const plane = sharedControlPlane();
  const id = randomBytes(3).toString('hex');
  const core = plane.kubeConfig().makeApiClient(CoreV1Api);
  return {
    kubeconfigYaml: () => plane.kubeconfigYaml(),
    recordsNamespace: `kubectl-${id}-dbupdate`,
    podNamespace: `kubectl-${id}-pods`,
    crdPreinstalled: true,
    async setPodStatus(namespace, name, status) {
      await core.patchNamespacedPodStatus({ namespace, name, body: { status } }, setHeaderOptions('Content-Type', PatchStrategy.MergePatch));
    },
  };
});
