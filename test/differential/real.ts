/**
 * The real kube-apiserver of the differential suite: the run's shared envtest control plane
 * (envtest/global-setup.ts: kube-apiserver, etcd and kube-controller-manager built from the Go modules),
 * or the kubeconfig named by `DIFF_REAL_KUBECONFIG` (a control plane started by hand).
 */
import { readFileSync } from 'node:fs';
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

/**
 * Compact the real control plane's etcd up to its current revision (what kube-apiserver does every
 * 5 minutes), through etcd's gRPC gateway (`POST /v3/kv/range` for the revision, `POST
 * /v3/kv/compaction`). The etcd URL is kube-apiserver's `--etcd-servers` flag, read from its command line.
 * @throws Error when the run has no envtest control plane or etcd refuses.
 */
export async function compactRealEtcd(): Promise<void> {
  const pid = sharedControlPlane().pids['kube-apiserver'];
  const args = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
  const etcd = args.find((a) => a.startsWith('--etcd-servers='))?.slice('--etcd-servers='.length).split(',')[0];
  if (!etcd) throw new Error(`kube-apiserver (pid ${pid}) has no --etcd-servers flag`);
  const post = async (path: string, body: unknown) => {
    const res = await fetch(`${etcd}${path}`, { method: 'POST', body: JSON.stringify(body), headers: { 'Content-Type': 'application/json' } });
    if (!res.ok) throw new Error(`etcd ${path}: ${res.status} ${await res.text()}`);
    return (await res.json()) as { header?: { revision?: string } };
  };
  const rev = (await post('/v3/kv/range', { key: Buffer.from('/').toString('base64') })).header?.revision;
  if (!rev) throw new Error('etcd answered no revision');
  await post('/v3/kv/compaction', { revision: rev, physical: true });
}
