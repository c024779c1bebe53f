/**
 * KubeDB's API on a real control plane: the CRDs (sim/kubedb/crds.ts, following kubedb/installer's) and
 * the version catalog (sim/kubedb/catalog.ts, KubeDB's real catalog entries), applied server-side.
 * Idempotent, so every test file of a run may call it on the shared control plane.
 */
import type { KubeConfig, KubernetesObject } from '@kubernetes/client-node';
import { kubedbCrds } from '../sim/kubedb/crds.js';
import { seedCatalog } from '../sim/kubedb/catalog.js';
import { applyAll } from './apply.js';

/**
 * Apply KubeDB's CRDs (with Ops Manager's OpsRequest CRDs unless `opsManager: false`) and the seeded
 * version catalog. @returns how many of each were applied. @throws the API server's refusal.
 */
export async function installKubeDB(kc: KubeConfig, opts: { opsManager?: boolean } = {}): Promise<{ crds: number; catalog: number }> {
  const crds = kubedbCrds({ opsManager: opts.opsManager ?? true }) as unknown as KubernetesObject[];
  await applyAll(kc, crds);
  const catalog = seedCatalog() as unknown as KubernetesObject[];
  // Created (not applied server-side): the API server prunes what our catalog CRDs do not declare, as a
  // \`kubectl create\` of KubeDB's catalog would be pruned by an older CRD.
  await applyAll(kc, catalog, { mode: 'create' });
  return { crds: crds.length, catalog: catalog.length };
}
