/**
 * The cap on concurrent API requests and sockets of `src/kube/client.ts` (issue #13: with a socket per
 * request, 50 concurrent updates over 10,000 records died with EMFILE), driven through the real
 * client-node against the Kubernetes API emulator, whose server counts the requests it is serving at once
 * and the TCP connections it accepted (`KubeApiServer.concurrency`) and can answer slowly (`latencyMs`)
 * so that a client's requests overlap.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { CoreV1Api, KubeConfig, Watch } from '@kubernetes/client-node';
import { KubeApiServer } from '../sim/kube/server.js';
import { Store } from '../sim/kube/store.js';
import { Kube, MAX_IN_FLIGHT, maxInFlightFromEnv } from '../src/kube/client.js';
import { isTimeout, isFenced } from '../src/kube/errors.js';
import { pollUntil } from '../sim/script.js';

const NS = 'cap';
let server: KubeApiServer;
let kc: KubeConfig;

beforeAll(async () => {
  server = await KubeApiServer.start({ store: new Store() });
  kc = new KubeConfig();
  kc.loadFromString(server.kubeconfigYaml());
  await new Kube(kc, 'sim').core.createNamespace({ body: { metadata: { name: NS } } });
});
afterEach(() => {
  server.latencyMs = 0;
});
afterAll(async () => {
  await server.stop();
});

const configMap = (name: string) => ({ metadata: { name, namespace: NS }, data: { k: name } });
const stored = (prefix: string) => server.store.list({ group: '', version: 'v1', plural: 'configmaps' }, NS).items.filter((o) => o.metadata.name.startsWith(prefix));

describe('cap on requests in flight', () => {
  it('client-node alone sends every request at once, each on a socket of its own (what the cap is for)', async () => {
    const raw = kc.makeApiClient(CoreV1Api);
    server.latencyMs = 50;
    server.resetRequests();
    await Promise.all(Array.from({ length: 20 }, () => raw.listNamespacedConfigMap({ namespace: NS })));
    expect(server.concurrency.max).toBe(20);
    expect(server.concurrency.connections).toBe(20);
  });

  it('never more than maxInFlight requests at once nor sockets, and every request completes', async () => {
    const kube = new Kube(kc, 'sim', { maxInFlight: 4 });
    server.latencyMs = 20;
    server.resetRequests();
    const writes = Array.from({ length: 30 }, (_, i) => kube.core.createNamespacedConfigMap({ namespace: NS, body: configMap(`w-${i}`) }));
    const reads = Array.from({ length: 30 }, () => kube.core.listNamespacedConfigMap({ namespace: NS }));
    const results = await Promise.allSettled([...writes, ...reads]);
    expect(results.filter((r) => r.status === 'rejected')).toEqual([]);
    expect(server.requests).toHaveLength(60);
    expect(server.concurrency.max).toBe(4); // reached (they overlap) and never exceeded
    expect(server.concurrency.connections).toBeLessThanOrEqual(4); // keep-alive sockets, reused
    expect(stored('w-')).toHaveLength(30);
    expect(kube.gate.active + kube.gate.pending).toBe(0);
  });

  it('a fenced view shares its cluster’s cap (one cap per cluster, not per client object)', async () => {
    const kube = new Kube(kc, 'sim', { maxInFlight: 3 });
    const leader = kube.fenced({ held: () => true });
    server.latencyMs = 20;
    server.resetRequests();
    await Promise.all([
      ...Array.from({ length: 10 }, () => kube.core.listNamespacedConfigMap({ namespace: NS })),
      ...Array.from({ length: 10 }, (_, i) => leader.core.createNamespacedConfigMap({ namespace: NS, body: configMap(`f-${i}`) })),
    ]);
    expect(server.concurrency.max).toBe(3);
    expect(stored('f-')).toHaveLength(10);
  });

  it('watches neither count against the cap nor starve it', async () => {
    const kube = new Kube(kc, 'sim', { maxInFlight: 2 });
    const before = server.openWatches();
    const streams = await Promise.all(
      Array.from({ length: 5 }, () => new Watch(kc).watch(`/api/v1/namespaces/${NS}/configmaps`, {}, () => undefined, () => undefined)),
    );
    try {
      await pollUntil(async () => (server.openWatches() === before + 5 ? true : undefined), 5000, () => `5 open watches (have ${server.openWatches() - before})`);
      server.latencyMs = 20;
      server.resetRequests();
      const results = await Promise.allSettled(Array.from({ length: 10 }, (_, i) => kube.core.createNamespacedConfigMap({ namespace: NS, body: configMap(`x-${i}`) })));
      expect(results.filter((r) => r.status === 'rejected')).toEqual([]);
      expect(server.concurrency.max).toBe(2);
      expect(server.openWatches()).toBe(before + 5);
    } finally {
      for (const s of streams) s.abort();
    }
  });

  it('a request still waiting for a slot when its time limit runs out rejects with a timeout and is never sent', async () => {
    const kube = new Kube(kc, 'sim', { maxInFlight: 1, requestTimeoutMs: 1000 });
    server.latencyMs = 400;
    server.resetRequests();
    const results = await Promise.allSettled(Array.from({ length: 6 }, (_, i) => kube.core.createNamespacedConfigMap({ namespace: NS, body: configMap(`t-${i}`) })));
    const rejected = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    expect(results[0].status).toBe('fulfilled');
    expect(rejected.length).toBeGreaterThan(0);
    for (const r of rejected) expect(isTimeout(r.reason), String(r.reason)).toBe(true);
    // One at a time, 400 ms each, within 1000 ms: at most three were sent; the others timed out queued.
    expect(server.requests.length).toBeLessThan(6);
    expect(server.requests.length).toBeLessThanOrEqual(3);
    // The slot of a request aborted in flight is given back once its fetch has settled.
    await pollUntil(async () => (kube.gate.active + kube.gate.pending === 0 ? true : undefined), 5000, () => `the gate drained (active ${kube.gate.active}, pending ${kube.gate.pending})`);
  });

  it('a write queued while the fence was held is refused if the fence has dropped when its slot comes', async () => {
    await pollUntil(async () => (server.concurrency.inFlight === 0 ? true : undefined), 5000, () => 'the server idle');
    let held = true;
    const kube = new Kube(kc, 'sim', { maxInFlight: 1 }).fenced({ held: () => held });
    server.latencyMs = 300;
    server.resetRequests();
    const read = kube.core.listNamespacedConfigMap({ namespace: NS }); // takes the only slot
    const write = kube.core.createNamespacedConfigMap({ namespace: NS, body: configMap('late-write') }); // queued, fence held
    await pollUntil(async () => (kube.gate.active === 1 && kube.gate.pending === 1 ? true : undefined), 5000, () => 'the read sent and the write queued behind it');
    held = false; // the Lease is lost while the write waits
    await read;
    const err = await write.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(isFenced(err), String(err)).toBe(true);
    expect(server.requests.filter((r) => r.method === 'POST')).toEqual([]);
    expect(stored('late-write')).toEqual([]);
  });
});

describe('KUBE_MAX_IN_FLIGHT', () => {
  it('defaults to MAX_IN_FLIGHT, takes a whole number, refuses anything else naming the variable', () => {
    expect(maxInFlightFromEnv({})).toBe(MAX_IN_FLIGHT);
    expect(maxInFlightFromEnv({ KUBE_MAX_IN_FLIGHT: '8' })).toBe(8);
    for (const bad of ['0', '-1', '2.5', 'many', '1001']) expect(() => maxInFlightFromEnv({ KUBE_MAX_IN_FLIGHT: bad })).toThrow(/KUBE_MAX_IN_FLIGHT must be a whole number from 1 to 1000/);
  });
});
