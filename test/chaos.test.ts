/**
 * The quick chaos run inside `npm test` (the long one is `npm run chaos`): two replicas of the real bot
 * as child processes against the embedded cluster and Slack emulator; SIGKILLs, a SIGSTOP longer than
 * the Lease, a targeted split-brain (the leader frozen mid-step, thawed after the other took over), 5 %
 * of the bot's Kubernetes API requests failing, and Slack answers lost after the message was stored.
 * It ends by checking, from the emulators' own state, that every step was posted exactly once, one
 * OpsRequest per record, the databases on target and not paused, no process exit, every acked command
 * answered. The seed is fixed (replay a failure as is); `CHAOS_SEED=<n>` runs another schedule.
 *
 * The invariant checks are also shown to fail: each defect injected into the run's final state (a post
 * twice, a second OpsRequest, a paused database, …) is reported.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { runChaos, type ChaosResult } from '../sim/chaos/run.js';
import { checkInvariants, type Snapshot } from '../sim/chaos/invariants.js';
import { Random } from '../sim/chaos/rng.js';
import { answerInAck } from '../sim/chaos/users.js';
import { startEmbeddedCluster, BOT_SA_TOKEN } from '../sim/world.js';
import { serviceAccountUser } from '../sim/kube/rbac.js';

const SEED = Number(process.env.CHAOS_SEED ?? 20261201);

describe('the Kubernetes emulator’s random fault rate', () => {
  it("fails about the given share of one user's requests with the real Status body, and no one else's", async () => {
    const cluster = await startEmbeddedCluster();
    try {
      const rng = new Random(SEED, 9);
      cluster.server.faults.setRate({ rate: 0.3, random: () => rng.float(), kinds: [503, 429], users: [serviceAccountUser('dbupdate', 'dbupdate').user] });
      const url = `${cluster.server.url}/apis/dbupdate.dev/v1alpha1/namespaces/dbupdate/databaseupdates`;
      const statuses: number[] = [];
      let body: { kind?: string; code?: number; reason?: string } = {};
      let retryAfter: string | null = null;
      for (let i = 0; i < 200; i++) {
        const res = await fetch(url, { headers: { authorization: `Bearer ${BOT_SA_TOKEN}` } });
        statuses.push(res.status);
        const b = (await res.json()) as typeof body;
        if (res.status === 429) {
          body = b;
          retryAfter = res.headers.get('retry-after');
        }
      }
      const failed = statuses.filter((s) => s !== 200).length;
      expect(failed).toBeGreaterThan(30);
      expect(failed).toBeLessThan(90);
      expect(new Set(statuses.filter((s) => s !== 200))).toEqual(new Set([503, 429]));
      expect(body).toMatchObject({ kind: 'Status', code: 429, reason: 'TooManyRequests' });
      expect(retryAfter).toBe('1');
      expect((cluster.server.faults.rateInjected['503'] ?? 0) + (cluster.server.faults.rateInjected['429'] ?? 0)).toBe(failed);
      // the admin is not in `users`: never failed
      for (let i = 0; i < 30; i++) expect((await fetch(url, { headers: { authorization: 'Bearer sim-token' } })).status).toBe(200);
      cluster.server.faults.clear();
      for (let i = 0; i < 30; i++) expect((await fetch(url, { headers: { authorization: `Bearer ${BOT_SA_TOKEN}` } })).status).toBe(200);
    } finally {
      await cluster.stop();
    }
  }, 30_000);
});

describe(`chaos, quick (seed ${SEED}, ops-request backend)`, () => {
  let result: ChaosResult;
  const lines: string[] = [];

  beforeAll(async () => {
    result = await runChaos({
      backend: 'ops-request',
      seed: SEED,
      updates: 2,
      kills: 3,
      stops: 1,
      splitBrain: true,
      apiFaultRate: 0.05,
      slackLossRate: 0.15,
      leaseSeconds: 2,
      gapMs: [600, 1500],
      settleTimeoutMs: 60_000,
      requestDeadlineMs: 150_000,
      log: (l) => lines.push(l),
    });
  }, 600_000); // above the harness's own bounds (start ≤ 90 s, requests ≤ 150 s, split-brain, settle ≤ 60 s): a slow run reports its violations

  it('injected every fault it planned', () => {
    expect(result.counts.kills, lines.join('\n')).toBe(3);
    expect(result.counts.stops).toBe(1);
    expect(result.counts.splitBrains, lines.join('\n')).toBe(1);
    expect(result.counts.apiFaultsTotal).toBeGreaterThan(0);
    expect(result.counts.slackLost).toBeGreaterThan(0);
  });

  it('ends with every invariant held: each step posted once, one OpsRequest per record, databases on target and resumed, no process exit, acked commands answered', () => {
    const report = result.violations.map((v) => `[${v.invariant}] ${v.detail}`).join('\n');
    expect(result.violations, `seed ${SEED} (replay: CHAOS_SEED=${SEED}):\n${report}\n--- run log ---\n${lines.join('\n')}`).toEqual([]);
    expect(result.counts.records).toBe(3);
    expect(result.counts.succeeded).toBe(3);
  });

  it('the checks catch each defect injected into the final state', () => {
    const s: Snapshot = result.snapshot;
    const base = checkInvariants(s).length;
    const count = (t: Snapshot, name: string) => checkInvariants(t).filter((v) => v.invariant === name).length - checkInvariants(s).filter((v) => v.invariant === name).length;
    const record = s.records.find((r) => r.status?.phase === 'Succeeded' && r.status.slack?.ts);
    expect(record, 'a Succeeded record to tamper with').toBeDefined();
    const parentTs = record!.status!.slack!.ts!;
    const paused = s.messages.find((m) => m.thread_ts === parentTs && /\*Paused\*/.test(m.text))!;
    expect(paused).toBeDefined();
    expect(count({ ...s, messages: [...s.messages, { ...paused, ts: `${paused.ts}1` }] }, 'posted-once')).toBeGreaterThan(0);
    const parent = s.messages.find((m) => m.ts === parentTs)!;
    expect(count({ ...s, messages: [...s.messages, { ...parent, ts: `${parent.ts}1` }] }, 'posted-once')).toBe(1);
    const db = `${record!.spec.database.namespace}/${record!.spec.database.name}`;
    expect(count({ ...s, opsRequests: [...s.opsRequests, { name: 'again', database: db, record: record!.metadata.name }] }, 'one-opsrequest')).toBe(2);
    expect(count({ ...s, databases: s.databases.map((d) => (`${d.namespace}/${d.name}` === db ? { ...d, paused: true } : d)) }, 'not-paused')).toBe(1);
    expect(count({ ...s, databases: s.databases.map((d) => (`${d.namespace}/${d.name}` === db ? { ...d, version: record!.spec.fromVersion } : d)) }, 'on-target')).toBe(1);
    expect(count({ ...s, records: s.records.map((r) => (r === record ? { ...r, status: { ...r.status, phase: 'Failed' as const } } : r)) }, 'succeeded')).toBe(1);
    expect(count({ ...s, unexpectedExits: [...s.unexpectedExits, { identity: 'r9-9', code: 1, signal: null, tail: 'TypeError' }] }, 'no-exit')).toBe(1);
    expect(count({ ...s, ackedCommands: [...s.ackedCommands, { database: db, text: 'mysql x 8.4', answered: false }] }, 'acked-answered')).toBe(1);
    expect(checkInvariants(s)).toHaveLength(base);
  });

  it('counts an answer carried in the ack (a refusal shown at once), not an ack saying the answer is still coming', () => {
    const refusal = ':warning: MySQL `demo/orders` is `Provisioning`, not `Ready`. KubeDB updates only Ready databases.';
    expect(answerInAck({ response_type: 'ephemeral', text: refusal })).toBe(refusal);
    expect(answerInAck({ response_type: 'ephemeral', text: ':mag: Checking MySQL `demo/orders` → 8.4… (busy or slower than usual). The answer comes here; if none comes within a minute, nothing was requested: ask again.' })).toBeUndefined();
    expect(answerInAck(undefined)).toBeUndefined();
    expect(answerInAck({})).toBeUndefined();
  });
});
