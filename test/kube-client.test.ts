/**
 * The cluster client against the Kubernetes API emulator, as the bot's service account: the per-cluster
 * read cache (`src/kube/cache.ts`: version catalogs from an informer whose first list answers the first
 * reads, changes by watch, live reads when its list fails; discovery answers reused), and the time limit of
 * every request.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmbeddedCluster, type EmbeddedCluster } from '../sim/world.js';
import { catalogGvr } from '../sim/kubedb/index.js';
import { findEngine } from '../src/engines/table.js';
import { getDatabase, listCatalog, servesOpsRequests } from '../src/kube/kubedb.js';
import { Kube } from '../src/kube/client.js';
import { isTimeout, statusMessage } from '../src/kube/errors.js';
import { pollUntil } from '../sim/script.js';

const mysql = findEngine('mysql')!;
const CATALOG_PATH = '/apis/catalog.kubedb.com/v1alpha1/mysqlversions';
let c: EmbeddedCluster;

const BOT = 'system:serviceaccount:dbupdate:dbupdate';
/** The bot's requests only: the simulated KubeDB is a client of the same server (its own informers list too). */
const botRequests = () => c.server.requests.filter((r) => r.user === BOT);
const lists = () => botRequests().filter((r) => r.path === CATALOG_PATH && r.verb === 'list').length;
const names = (objs: unknown[]) => objs.map((o) => (o as { metadata: { name: string } }).metadata.name);

beforeAll(async () => {
  c = await startEmbeddedCluster({ podReadyDelayMs: 15, stepDelayMs: 15 });
});
afterAll(async () => {
  await c.botKube.cache.stop();
  await c?.stop();
});

describe('version catalog', () => {
  it('the first read is answered by the informer\'s first list, later ones from the informer, which follows changes by watch', async () => {
    const first = await listCatalog(c.botKube, mysql);
    expect(names(first)).toContain('8.0.36');
    await pollUntil(async () => botRequests().some((r) => r.path === CATALOG_PATH && r.verb === 'watch') || undefined, 5000, () => 'the catalog watch');
    const before = lists();
    for (let i = 0; i < 5; i++) expect(names(await listCatalog(c.botKube, mysql)).sort()).toEqual(names(first).sort());
    expect(lists()).toBe(before); // no list request: served by the informer

    const template = c.store.list(catalogGvr(mysql), undefined).items.find((o) => o.metadata.name === '8.0.36')!;
    c.store.create(catalogGvr(mysql), { ...structuredClone(template), metadata: { name: '8.0.99' } });
    await pollUntil(async () => names(await listCatalog(c.botKube, mysql)).includes('8.0.99') || undefined, 5000, () => 'the new catalog entry');
    c.store.delete(catalogGvr(mysql), undefined, '8.0.99');
    await pollUntil(async () => !names(await listCatalog(c.botKube, mysql)).includes('8.0.99') || undefined, 5000, () => 'the deleted entry gone');
    expect(lists()).toBe(before);
  });

  it('a failing first list is the caller’s error; that path is then read live, without a new informer', async () => {
    const pg = findEngine('postgres')!;
    const path = '/apis/catalog.kubedb.com/v1alpha1/postgresversions';
    const pgLists = () => botRequests().filter((r) => r.path === path && r.verb === 'list').length;
    c.server.faults.add({ verb: 'list', pathIncludes: path, user: BOT, status: 500, times: 2 }); // the informer's first list, then the caller's live read after it
    await expect(listCatalog(c.botKube, pg)).rejects.toThrow();
    await pollUntil(async () => (c.server.faults.remaining() === 0 ? true : undefined), 5000, () => "the informer's failed list");
    await new Promise((r) => setTimeout(r, 50)); // let the failed informer be dropped
    const before = pgLists();
    expect(names(await listCatalog(c.botKube, pg))).toContain('15.8');
    expect(names(await listCatalog(c.botKube, pg))).toContain('15.8');
    expect(pgLists()).toBe(before + 2); // live reads
    await new Promise((r) => setTimeout(r, 100));
    expect(botRequests().filter((r) => r.path === path && r.verb === 'watch')).toHaveLength(0);
  });

  it('after stop() every read is live, and no informer is started', async () => {
    const k = new Kube(c.botKube.kc, 'sim');
    await listCatalog(k, mysql);
    await k.cache.stop();
    const before = lists();
    await listCatalog(k, mysql);
    await listCatalog(k, mysql);
    expect(lists()).toBe(before + 2);
  });
});

describe('discovery', () => {
  it('whether Ops Manager is installed is asked once per TTL, simultaneous misses share one call, errors are not kept', async () => {
    const k = new Kube(c.botKube.kc, 'sim');
    const asked = () => botRequests().filter((r) => r.url.startsWith('/apis/ops.kubedb.com/v1alpha1') && r.verb === 'discovery').length;
    c.server.faults.add({ pathIncludes: '/apis/ops.kubedb.com/v1alpha1', verb: 'discovery', user: BOT, status: 503 });
    await expect(servesOpsRequests(k, mysql)).rejects.toThrow();
    const n = asked();
    const answers = await Promise.all([servesOpsRequests(k, mysql), servesOpsRequests(k, findEngine('postgres')!), servesOpsRequests(k, mysql)]);
    expect(answers).toEqual([true, true, true]);
    expect(await servesOpsRequests(k, mysql)).toBe(true);
    expect(asked()).toBe(n + 1);
    await k.cache.stop();
  });
});

describe('request time limit', () => {
  it('a request the server does not answer in time rejects with a timeout, and the next one is served', async () => {
    const k = new Kube(c.botKube.kc, 'sim', { requestTimeoutMs: 200 });
    c.server.faults.add({ verb: 'get', pathIncludes: '/mysqls/orders', user: BOT, status: 500, delayMs: 3000 });
    const started = Date.now();
    const err = await getDatabase(k, mysql, 'demo', 'orders').then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(Date.now() - started).toBeLessThan(2500); // gave up before the server answered
    expect(isTimeout(err)).toBe(true);
    expect(statusMessage(err)).toMatch(/did not answer in time/);
    expect((await getDatabase(k, mysql, 'demo', 'orders'))?.metadata.name).toBe('orders');
  });
});

