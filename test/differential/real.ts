/**
 * The real kube-apiserver of the differential suite: the kubeconfig named by `DIFF_REAL_KUBECONFIG`
 * (a control plane started by hand), else the run's envtest control plane.
 */
import { KubeConfig } from '@kubernetes/client-node';

/** The admin KubeConfig of the real control plane. @throws when none can be had. */
export async function realControlPlane(): Promise<KubeConfig> {
  const path = process.env.DIFF_REAL_KUBECONFIG;
  const kc = new KubeConfig();
  if (path) {
    kc.loadFromFile(path);
    return kc;
  }
  throw new Error('no real control plane: set DIFF_REAL_KUBECONFIG');
}
