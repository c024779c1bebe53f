/**
 * Issue #13: the controllers read from the cache and write once per change. One whole update through the
 * real bot (Bolt over Socket Mode, client-node over HTTP, the bot's RBAC) costs at most 30 Kubernetes
 * requests for a 3-replica MySQL (the leader-election Lease apart: it is per replica and per 10 s),
 * reads the record by GET only where a handler must (the request's existence check and the click), and
 * every thread line is posted once. `npm run bench` prints the same figures against baselines.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startWorld, type World } from '../sim/world.js';
import { seedCluster } from '../sim/kubedb/index.js';
// The benchmark's driver: it observes the store and the Slack emulator in-process, so every request
// counted is the bot's.
import { runUpdates } from '../bench/common.js';

const NS = 'costns';
let w: World;

beforeAll(async () => {
  w = await startWorld({ sim: { podReadyDelayMs: 15, stepDelayMs: 15 } });
  await seedCluster(w.cluster.kubeConfig, { extraDatabases: 3, extraNamespace: NS, extraReplicas: 3 });
  await w.cluster.sim.settled(60_000);
  // Warm-up: the informers' first list and watch are not an update's cost.
  await runUpdates(w, NS, ['bench-0'], 60_000);
}, 90_000);
afterAll(async () => {
  await w?.stop();
});

const BOT = 'system:serviceaccount:dbupdate:dbupdate';
/** The bot's requests so far (the simulated KubeDB is another client of the same emulator, over HTTP). */
const botCount = () => w.cluster.server.requests.filter((r) => r.user === BOT).length;
const quiet = async () => {
  let last = -1;
  while (last !== botCount()) {
    last = botCount();
    await new Promise((r) => setTimeout(r, 300));
  }
};

describe('cost of one update (3 replicas, ops-request backend)', () => {
  it('≤ 30 Kubernetes requests, no record GET by the controllers, each thread line once', async () => {
    await quiet();
    w.cluster.server.resetRequests();
    const [o] = await runUpdates(w, NS, ['bench-1'], 60_000);
    expect(o.phase).toBe('Succeeded');
    expect(o.clean, 'each step posted once, the parent final').toBe(true);
    await quiet();
    const mine = (u: string | undefined) => u === BOT;
    const reqs = w.cluster.server.requests.filter((r) => mine(r.user) && !r.path.endsWith('/leases/dbupdate-leader'));
    const summary = reqs.map((r) => `${r.verb} ${r.path} ${r.status}`).join('\n');
    expect(reqs.length, summary).toBeLessThanOrEqual(30);
    const recordGets = reqs.filter((r) => r.verb === 'get' && r.path.includes('/databaseupdates/'));
    expect(recordGets.length, summary).toBeLessThanOrEqual(2);
    expect(reqs.filter((r) => r.status === 409).length, summary).toBe(0);
    const opsCreates = reqs.filter((r) => r.verb === 'create' && r.path.endsWith('opsrequests'));
    expect(opsCreates.filter((r) => r.url.includes('dryRun=All')).length, 'KubeDB asked once, at preflight').toBe(1);
    expect(opsCreates.filter((r) => !r.url.includes('dryRun')).length, summary).toBe(1);
  }, 60_000);
});
