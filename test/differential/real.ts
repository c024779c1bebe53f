/**
 * The real kube-apiserver of the differential suite: the run's shared envtest control plane
 * (envtest/global-setup.ts: kube-apiserver, etcd and kube-controller-manager built from the Go modules),
 * or the kubeconfig named by `DIFF_REAL_KUBECONFIG` (a control plane started by hand).
 */
import { KubeConfig } from '@kubernetes/client-node';
import { sharedControlPlane } from '../../envtest/shared.js';

/** The admin KubeConfig of the real control plane. @throws when the run has none. */
export async function realControlPlane(): Promise<KubeConfig> {
  const path = process.env.DIFF_REAL_KUBECONFIG;
  if (path) {
    const kc = new KubeConfig();
    kc.loadFromFile(path);
    return kc;
  }
  return sharedControlPlane().kubeConfig();
}
