/**
 * The request cost of one update on the REAL kube-apiserver (issue #18 item 5, the #13 target): one
 * 3-replica MySQL update through the real bot costs at most 30 Kubernetes requests, counted by the real
 * server's own audit log (envtest writes one at level Metadata) for the bot's service account — the
 * leader-election Lease apart (per replica and per 10 s, not per update). The emulator's count of the same
 * update is test/controller-cost.test.ts; `npm run bench` prints both side by side.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditRequests } from '../envtest/shared.js';
import { startRealWorld, type RealWorld } from '../sim/world-real.js';
import { approve, request, settle } from '../sim/script.js';
import { seedCluster } from '../sim/kubedb/index.js';
import { USERS, CHANNEL } from '../sim/world.js';
import { LEASE_NAME } from '../src/bot.js';
import { RecordStore } from '../src/updates/records.js';

let w: RealWorld;

beforeAll(async () => {
  w = await startRealWorld({ sim: { podReadyDelayMs: 15, stepDelayMs: 15 } });
  // As the emulator's cost test: two more 3-replica MySQL (`bench-0`, `bench-1`, 8.0.35) in this world's
  // `demo` namespace, one to warm up with and one to count.
  await seedCluster(w.cluster.kubeConfig, { namespacePrefix: `w${w.cluster.id}-`, extraDatabases: 2, extraNamespace: 'demo', extraReplicas: 3 });
  await w.cluster.sim.settled(60_000);
}, 120_000);
afterAll(async () => {
  await w?.stop();
});

/** Request, approve and settle one update, watching the records as the admin (not the bot's identity, whose requests are counted). */
async function update(text: string) {
  const records = new RecordStore(w.cluster.kube, w.cluster.recordsNamespace);
  const { record, parent } = await request(w.slack, records, USERS.requester, CHANNEL, text, 30_000);
  await approve(w.slack, CHANNEL, parent, USERS.approver);
  const done = await settle(records, record.metadata.name, 60_000);
  return { done, parent };
}

/** The audit log's line count once the bot has made no request for 1.5 s. */
async function quietLines(): Promise<number> {
  let last = -1;
  for (;;) {
    const a = auditRequests(w.cluster.plane, w.cluster.botUser);
    if (a.count === last) return a.lines;
    last = a.count;
    await new Promise((r) => setTimeout(r, 1500));
  }
}

describe('cost of one update on the real API server (3 replicas, ops-request backend)', () => {
  it('≤ 30 Kubernetes requests by the bot, by the audit log; each thread line once', async () => {
    // Warm-up, as the emulator's cost test does: the informers' first list and watch, and the cached API
    // discovery (is KubeStash installed? asked before a major update, kept 30 s), are not an update's cost.
    const warm = await update('mysql bench-0 8.4');
    expect(warm.done.status?.phase, warm.done.status?.message).toBe('Succeeded');
    const from = await quietLines();
    const { done, parent } = await update('mysql bench-1 8.4');
    expect(done.status?.phase, done.status?.message).toBe('Succeeded');
    for (const re of [/Paused/, /Images updated/, /Checks passed/, /Resumed/, /Done/]) {
      expect(w.slack.replies(CHANNEL, parent.ts).filter((m) => re.test(m.text)), `${re} once`).toHaveLength(1);
    }
    await quietLines();
    const all = auditRequests(w.cluster.plane, w.cluster.botUser, from, (ev) => !(ev.objectRef?.resource === 'leases' && ev.objectRef?.name === LEASE_NAME));
    const summary = Object.entries(all.verbs).map(([k, n]) => `${n} × ${k}`).join('\n');
    expect(all.count, summary).toBeGreaterThan(5);
    expect(all.count, summary).toBeLessThanOrEqual(30);
    expect(all.verbs['create mysqlopsrequests'] ?? 0, summary).toBe(2); // the dry run at preflight, then the real one
    expect(all.codes['409'] ?? 0, summary).toBe(0);
  }, 150_000);
});
