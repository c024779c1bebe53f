/**
 * Leader election as client-go does it (issue #11 item 5, issue #13): the leader renews with one PUT of
 * the Lease it holds, keeps the Lease through isolated failed renewals, steps down only after the renew
 * deadline (and its fence drops then), and idle Lease traffic stays within one request per renew period
 * per replica. Real client-node against the Kubernetes emulator; requests counted by the emulator.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import pino from 'pino';
import { startEmbeddedCluster, type EmbeddedCluster } from '../sim/world.js';
import { LeaderElector, leaseTimings } from '../src/kube/lease.js';
import { pollUntil } from '../sim/script.js';
import { FencedError, isFenced } from '../src/kube/errors.js';
import { RecordStore } from '../src/updates/records.js';

const NS = 'dbupdate';
const log = pino({ level: 'silent' });
let cluster: EmbeddedCluster;
let n = 0;
const electors: LeaderElector[] = [];

beforeAll(async () => {
  cluster = await startEmbeddedCluster({});
});
afterEach(async () => {
  cluster.server.faults.clear();
  await Promise.all(electors.splice(0).map((e) => e.stop()));
});
afterAll(async () => {
  await cluster?.stop();
});

/** An elector on its own Lease (3 s: renew every 1 s, deadline 2 s, retries every 200 ms), counting its transitions. */
function elector(lease: string, identity: string) {
  const events: string[] = [];
  const e = new LeaderElector({
    kube: cluster.botKube,
    namespace: NS,
    name: lease,
    identity,
    leaseDurationSeconds: 3,
    log,
    onStartedLeading: () => void events.push('started'),
    onStoppedLeading: () => void events.push('stopped'),
  });
  electors.push(e);
  e.start();
  return { e, events };
}

/** Requests to one Lease: `[verb, status]` of each, since the emulator's request log was last read at `from`. */
function leaseRequests(lease: string, from = 0) {
  return cluster.server.requests.slice(from).filter((r) => r.path.endsWith(`/leases/${lease}`));
}

describe('leader election', () => {
  it('defaults: a 30 s Lease renews every 10 s (one request per 10 s per replica), deadline 20 s, retries every 2 s', () => {
    expect(leaseTimings(30)).toEqual({ leaseDurationMs: 30_000, renewPeriodMs: 10_000, renewDeadlineMs: 20_000, retryPeriodMs: 2000 });
    expect(() => leaseTimings(30, { renewDeadlineMs: 30_000 })).toThrow(/renewDeadline/);
  });

  it('keeps the Lease through two failed renewals, renewing with a PUT only (no GET while it holds it)', async () => {
    const lease = `lease-${n++}`;
    const { e, events } = elector(lease, 'a');
    await pollUntil(async () => e.held() || undefined, 10_000, () => 'a to lead');
    const from = cluster.server.requests.length;
    cluster.server.faults.add({ method: 'PUT', pathIncludes: `/leases/${lease}`, status: 500, times: 2 });
    // Wait for the two failures and then two successful renewals after them.
    await pollUntil(async () => {
      const puts = leaseRequests(lease, from).filter((r) => r.verb === 'update');
      return puts.filter((r) => r.status === 500).length === 2 && puts.filter((r) => r.status === 200).length >= 2 || undefined;
    }, 15_000, () => 'two failed and two good renewals');
    expect(cluster.server.faults.remaining()).toBe(0);
    expect(events, 'never stepped down').toEqual(['started']);
    expect(e.isLeader).toBe(true);
    expect(leaseRequests(lease, from).filter((r) => r.verb === 'get'), 'no GET: a 500 is retried with the same PUT').toHaveLength(0);
  }, 30_000);

  it('steps down only after the renew deadline: several failed renewals first, then the fence drops', async () => {
    const lease = `lease-${n++}`;
    const { e, events } = elector(lease, 'b');
    await pollUntil(async () => e.held() || undefined, 10_000, () => 'b to lead');
    const from = cluster.server.requests.length;
    cluster.server.faults.add({ method: 'PUT', pathIncludes: `/leases/${lease}`, status: 503, times: 1000 });
    await pollUntil(async () => !e.isLeader || undefined, 15_000, () => 'b to step down');
    const failed = leaseRequests(lease, from).filter((r) => r.verb === 'update' && r.status === 503).length;
    // renew every 1 s, deadline 2 s, retries every 200 ms: well over one failure before stepping down.
    expect(failed, 'failed renewals before stepping down').toBeGreaterThanOrEqual(3);
    expect(e.held()).toBe(false);
    expect(events).toEqual(['started', 'stopped']);
    // The faults gone, it campaigns again and takes its own (unexpired or free) Lease back.
    cluster.server.faults.clear();
    await pollUntil(async () => e.held() || undefined, 15_000, () => 'b to lead again');
  }, 40_000);

  it('a 409 (another replica wrote the Lease) makes the leader read it, and it steps down at once when another holds it', async () => {
    const lease = `lease-${n++}`;
    const { e, events } = elector(lease, 'c');
    await pollUntil(async () => e.held() || undefined, 10_000, () => 'c to lead');
    const held = await cluster.kube.coordination.readNamespacedLease({ name: lease, namespace: NS });
    await cluster.kube.coordination.replaceNamespacedLease({ name: lease, namespace: NS, body: { ...held, spec: { ...held.spec, holderIdentity: 'intruder', renewTime: undefined, acquireTime: undefined } } });
    await pollUntil(async () => !e.isLeader || undefined, 10_000, () => 'c to step down');
    expect(e.held()).toBe(false);
    expect(events).toEqual(['started', 'stopped']);
  }, 30_000);

  it('idle Lease traffic: at most one request per renew period per replica (leader PUTs, candidate GETs)', async () => {
    const lease = `lease-${n++}`;
    const a = elector(lease, 'idle-a');
    await pollUntil(async () => a.e.held() || undefined, 10_000, () => 'idle-a to lead');
    const b = elector(lease, 'idle-b');
    const from = cluster.server.requests.length;
    const t0 = Date.now();
    await pollUntil(async () => leaseRequests(lease, from).filter((r) => r.verb === 'update').length >= 6 || undefined, 20_000, () => 'six renewals');
    const windowMs = Date.now() - t0;
    const reqs = leaseRequests(lease, from);
    const budget = Math.floor(windowMs / a.e.timings.renewPeriodMs) + 1;
    const puts = reqs.filter((r) => r.verb === 'update').length;
    const gets = reqs.filter((r) => r.verb === 'get').length;
    expect(puts, `leader PUTs in ${windowMs} ms`).toBeLessThanOrEqual(budget);
    expect(gets, `candidate GETs in ${windowMs} ms`).toBeLessThanOrEqual(budget);
    expect(reqs.length, 'nothing but renewals and candidate reads').toBe(puts + gets);
    expect(b.e.isLeader).toBe(false);
  }, 40_000);
});

describe('fenced clients (Kube.fenced)', () => {
  it('refuse every write before it is sent while the fence is not held, and let reads and later writes through', async () => {
    let held = false;
    const kube = cluster.kube.fenced({ held: () => held });
    const from = cluster.server.requests.length;
    const event = { metadata: { generateName: 'fence-test.' }, involvedObject: { kind: 'Namespace', name: NS }, reason: 'Test', message: 'm' };
    const refused = await kube.core.createNamespacedEvent({ namespace: NS, body: event }).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(FencedError);
    expect(String((refused as Error).message)).toMatch(/not the leader.*POST \/api\/v1\/namespaces\/dbupdate\/events/);
    // Through the record store's retries too: a fenced write is not retried as a transient error.
    const store = new RecordStore(kube, NS);
    const viaStore = await store.mutateStatus('no-such-record', (st) => { st.message = 'changed'; }, { from: { apiVersion: 'dbupdate.dev/v1alpha1', kind: 'DatabaseUpdate', metadata: { name: 'no-such-record', namespace: NS }, spec: {} } as never }).catch((e: unknown) => e);
    expect(isFenced(viaStore)).toBe(true);
    expect(cluster.server.requests.slice(from).filter((r) => r.verb !== 'get' && r.verb !== 'list'), 'no write reached the server').toEqual([]);
    await kube.core.listNamespacedEvent({ namespace: NS });
    held = true;
    await kube.core.createNamespacedEvent({ namespace: NS, body: event });
    expect(cluster.server.requests.slice(from).filter((r) => r.verb === 'create')).toHaveLength(1);
  });
});
