/**
 * The per-cluster read cache (`src/kube/cache.ts`) shares its informer's first list: reads made while
 * that list is under way are answered by it, so a collection is never listed twice at once (at 8,000
 * OpsRequests, a preflight's own list beside the informer's doubled the work in front of a new user's
 * first request: bench/fleetsize.ts). Judged on the emulator and on the REAL kube-apiserver, as the bot's
 * service account, through a recording proxy that counts the requests that reach the server.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KubeConfig } from '@kubernetes/client-node';
import { CLUSTER_KINDS, startCluster, type ClusterUnderTest } from '../sim/clusters.js';
import { CountingProxy, kubeconfigThroughProxy } from '../sim/counting-proxy.js';
import { pollUntil } from '../sim/script.js';
import { findEngine } from '../src/engines/table.js';
import { Kube } from '../src/kube/client.js';
import { listCatalog } from '../src/kube/kubedb.js';

const mysql = findEngine('mysql')!;
const CATALOG_PATH = '/apis/catalog.kubedb.com/v1alpha1/mysqlversions';
const names = (objs: unknown[]) => objs.map((o) => (o as { metadata: { name: string } }).metadata.name).sort();

describe.each(CLUSTER_KINDS)('the read cache shares its first list, on the %s', (kind) => {
  let c: ClusterUnderTest;
  let proxy: CountingProxy;
  let kube: Kube;
  const catalogRequests = (watch: boolean) => proxy.seen.filter((s) => s.method === 'GET' && new URL(s.url, 'http://x').pathname === CATALOG_PATH && s.url.includes('watch=true') === watch);

  beforeAll(async () => {
    c = await startCluster(kind);
    proxy = await CountingProxy.start(c.serverUrl, { ca: c.ca });
    const botKube = (c.cluster as { botKube: Kube }).botKube;
    const kc = new KubeConfig();
    kc.loadFromString(kubeconfigThroughProxy(botKube.kc.exportConfig(), proxy.url));
    kube = new Kube(kc, 'proxied');
  }, 120_000);
  afterAll(async () => {
    await kube?.cache.stop();
    await proxy?.stop();
    await c?.stop();
  });

  it('five reads at once make one list (the informer\'s), later reads none; all see the same catalog', async () => {
    const reads = await Promise.all(Array.from({ length: 5 }, () => listCatalog(kube, mysql)));
    expect(reads[0].length).toBeGreaterThan(10);
    for (const r of reads) expect(names(r)).toEqual(names(reads[0]));
    expect(catalogRequests(false)).toHaveLength(1);
    await pollUntil(async () => catalogRequests(true).some((w) => w.status === 200) || undefined, 10_000, () => 'the catalog watch answered');
    // The proxy sees the watch answered a moment before the client does and the informer counts as
    // current (until then a read is live, by design): give the answer time to arrive.
    await new Promise((r) => setTimeout(r, 300));
    expect(names(await listCatalog(kube, mysql))).toEqual(names(reads[0]));
    expect(catalogRequests(false)).toHaveLength(1);
  });
});
