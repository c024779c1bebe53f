/**
 * The two clusters a scenario runs on (issue #18 item 5): the embedded emulator (`sim/world.ts`) and one
 * world's share of the run's REAL kube-apiserver (`sim/world-real.ts`). Both carry the simulated KubeDB
 * with the seed databases, the record CRD and the bot's RBAC; a scenario reaches them through this one
 * shape, so the same test body judges both.
 */
import { readFileSync } from 'node:fs';
import { startEmbeddedCluster, worldConfig, type EmbeddedCluster } from './world.js';
import { startRealCluster, type RealCluster, type RealClusterOptions } from './world-real.js';
import type { Kube } from '../src/kube/client.js';
import type { Config } from '../src/policy/config.js';

/** Which server a scenario runs on. */
export type ClusterKind = 'emulator' | 'real';
/** Both, in the order scenarios run them. */
export const CLUSTER_KINDS: readonly ClusterKind[] = ['emulator', 'real'];

/** A cluster under test, whichever server it is. */
export interface ClusterUnderTest {
  kind: ClusterKind;
  /** What bot-process.ts points a bot process at. */
  cluster: EmbeddedCluster | RealCluster;
  /** Admin client. */
  kube: Kube;
  /** The bot's records and Lease namespace. */
  recordsNamespace: string;
  /** The namespace of seed namespace `name` (`demo` → `demo`, or `w<id>-demo` on the real server). */
  ns(name: string): string;
  /** The API server's URL (what a proxy in front of it forwards to) and, for HTTPS, its CA (PEM). */
  serverUrl: string;
  ca?: string;
  /** The bot's configuration for this cluster (records and default namespaces), with overrides. */
  config(over?: Partial<Record<string, unknown>>): Config;
  stop(): Promise<void>;
}

/** Start a cluster of `kind` with the simulated KubeDB settled (`readSecrets`: the opt-in Secrets grant applied too). */
export async function startCluster(kind: ClusterKind, sim: RealClusterOptions = {}): Promise<ClusterUnderTest> {
  if (kind === 'emulator') {
    const c = await startEmbeddedCluster(sim);
    return { kind, cluster: c, kube: c.kube, recordsNamespace: 'dbupdate', ns: (n) => n, serverUrl: c.server.url, config: (over = {}) => worldConfig(over), stop: () => c.stop() };
  }
  const c = await startRealCluster(sim);
  return {
    kind,
    cluster: c,
    kube: c.kube,
    recordsNamespace: c.recordsNamespace,
    ns: c.ns,
    serverUrl: c.plane.server,
    ca: readFileSync(c.plane.caFile, 'utf8'),
    config: (over = {}) => worldConfig({ clusterName: 'real', recordsNamespace: c.recordsNamespace, defaultNamespace: c.ns('demo'), ...over }),
    stop: () => c.stop(),
  };
}
