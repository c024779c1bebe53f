/**
 * One chaos run: the embedded cluster and Slack emulator, two replicas of the real bot as child
 * processes, people asking for and approving updates, and faults on a seeded schedule — SIGKILL of a
 * replica (restarted after a while, as Kubernetes restarts a container), SIGSTOP for longer than the
 * leader Lease then SIGCONT, a targeted split-brain (the leader frozen in the middle of a step until the
 * other replica has taken over, then thawed), a random rate of Kubernetes API faults, and Slack answers
 * lost after the message was stored. At the end every invariant of `invariants.ts` is checked.
 */
import { startEmbeddedCluster, worldConfig, USERS, CHANNEL } from '../world.js';
import { SlackEmulator } from '../slack/server.js';
import { writeBotFiles } from '../bot-process.js';
import { serviceAccountUser } from '../kube/rbac.js';
import { dbGvr, opsGvr, seedCluster } from '../kubedb/index.js';
import { findEngine } from '../../src/engines/table.js';
import type { KubeObject } from '../kube/api.js';
import { renderHash, renderParent } from '../../src/slack/render.js';
import type { Backend, DatabaseUpdate } from '../../src/api/v1alpha1/databaseupdate.js';
import { LABEL_RECORD, TERMINAL_PHASES } from '../../src/api/v1alpha1/databaseupdate.js';
import { Random } from './rng.js';
import { SlackLossProxy } from './slack-proxy.js';
import { Replicas } from './replicas.js';
import { People, RECORD_GVR, clickAnswered } from './users.js';
import { checkInvariants, type Snapshot, type Violation } from './invariants.js';

/** What a run does. Times in ms unless named otherwise. */
export interface ChaosPlan {
  backend: Backend;
  seed: number;
  /** Databases to update during the random faults (one request each). */
  updates: number;
  /** SIGKILLs of a replica during the random faults. */
  kills: number;
  /** SIGSTOPs longer than the Lease during the random faults. */
  stops: number;
  /** Run the targeted split-brain after the random faults (one more update). */
  splitBrain: boolean;
  /** Share of the bot's Kubernetes API requests that fail (500, 503, 429, 504 after 1 s). */
  apiFaultRate: number;
  /** Share of the bot's stored `chat.postMessage` calls whose answer is lost (500, 504, reset). */
  slackLossRate: number;
  /** Leader Lease duration, s. */
  leaseSeconds: number;
  /** Pause between two faults: uniform in [min, max] ms. */
  gapMs: [number, number];
  /** How long the updates may take to finish once the faults end. */
  settleTimeoutMs: number;
  /** How long people keep asking for a request to be posted and approved, from the first fault (default 240 s). */
  requestDeadlineMs?: number;
  /** A line of progress. */
  log: (line: string) => void;
}

/** Counts of a run. */
export interface ChaosCounts {
  kills: number;
  stops: number;
  splitBrains: number;
  restarts: number;
  apiFaults: Record<string, number>;
  apiFaultsTotal: number;
  apiRequests: number;
  /** Stored `chat.postMessage` answers lost by the proxy (rate) and by the emulator's `stored-*` faults. */
  slackLost: number;
  slackCalls: number;
  /** `stored-*` faults armed in the Slack emulator (one per random fault; counted in `slackLost` once consumed). */
  slackStoredArmed: number;
  records: number;
  succeeded: number;
  commandsSent: number;
  commandsNotAcked: number;
  commandsRefused: number;
  clicksSent: number;
  clicksNotAcked: number;
}

/** The outcome of a run. */
export interface ChaosResult {
  plan: Omit<ChaosPlan, 'log'>;
  counts: ChaosCounts;
  violations: Violation[];
  /** What the invariants were checked against (for diagnosis, and to show the checks catch a defect). */
  snapshot: Snapshot;
  durationMs: number;
}

const NS = 'chaos';
const RECORDS_NS = 'dbupdate';
const MYSQL = findEngine('mysql')!;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The command that updates database `name` on a backend: major 8.4 through an OpsRequest, patch 8.0.36 directly. */
function commandFor(backend: Backend, name: string): string {
  return backend === 'ops-request' ? `mysql ${NS}/${name} 8.4` : `mysql ${NS}/${name} 8.0.36`;
}

/** Run one chaos run and check its invariants. Never throws for what the bot does: that is a violation. */
export async function runChaos(plan: ChaosPlan): Promise<ChaosResult> {
  const t0 = Date.now();
  const log = (line: string) => plan.log(`${((Date.now() - t0) / 1000).toFixed(1).padStart(6)} s ${line}`);
  const schedule = new Random(plan.seed, 0);
  const apiRandom = new Random(plan.seed, 1);
  const harness: Violation[] = [];
  const extra = plan.updates + (plan.splitBrain ? 1 : 0);

  const cluster = await startEmbeddedCluster({ podReadyDelayMs: 200, stepDelayMs: 200, opsManager: plan.backend === 'ops-request' });
  await seedCluster(cluster.kubeConfig, { extraDatabases: extra, extraNamespace: NS });
  await cluster.sim.settled();
  const slack = await SlackEmulator.start({ channels: [{ id: CHANNEL, name: 'db-ops' }] });
  const proxy = await SlackLossProxy.start({ upstreamApiUrl: slack.apiUrl, rate: plan.slackLossRate, random: new Random(plan.seed, 2) });
  const files = writeBotFiles(cluster, worldConfig({ leaseDurationSeconds: plan.leaseSeconds, backend: plan.backend, defaultNamespace: NS }));
  const replicas = new Replicas({
    cluster,
    slack,
    files,
    namespace: RECORDS_NS,
    env: { SLACK_API_URL: proxy.apiUrl, LOG_LEVEL: 'info' },
    ...(plan.backend === 'direct' ? { entry: 'sim/chaos/bot-main.ts' } : {}),
    log,
  });
  const people = new People({ slack, store: cluster.store, recordsNamespace: RECORDS_NS, channel: CHANNEL, requester: USERS.requester, approver: USERS.approver, answerTimeoutMs: 30_000, log });
  const counts: ChaosCounts = {
    kills: 0, stops: 0, splitBrains: 0, restarts: 0, apiFaults: {}, apiFaultsTotal: 0, apiRequests: 0, slackLost: 0, slackCalls: 0, slackStoredArmed: 0,
    records: 0, succeeded: 0, commandsSent: 0, commandsNotAcked: 0, commandsRefused: 0, clicksSent: 0, clicksNotAcked: 0,
  };
  const restarts = new Set<Promise<void>>();
  /** Restart slot `i` after `ms`, as the kubelet restarts a killed container. */
  const restartLater = (i: number, ms: number) => {
    const p = sleep(ms).then(() => {
      if (replicas.slots[i].state === 'exited') {
        replicas.start(i);
        counts.restarts++;
      }
    });
    restarts.add(p);
    void p.finally(() => restarts.delete(p));
  };

  try {
    log(`run: backend ${plan.backend}, seed ${plan.seed}, ${plan.updates} updates, ${plan.kills} kills, ${plan.stops} stops, split-brain ${plan.splitBrain ? 'yes' : 'no'}, API faults ${(plan.apiFaultRate * 100).toFixed(0)} %, Slack answers lost ${(plan.slackLossRate * 100).toFixed(0)} %`);
    replicas.startAll();
    await waitFor(() => replicas.leader() !== undefined && slack.socketConnections() >= 2, 90_000, 'both replicas connected and one leading', replicas);
    log(`   replicas ${replicas.slots.map((r) => r.identity).join(', ')} up; leader ${replicas.leader()?.identity}`);
    cluster.server.faults.setRate({ rate: plan.apiFaultRate, random: () => apiRandom.float(), users: [serviceAccountUser(RECORDS_NS, 'dbupdate').user] });
    const requestsFrom = cluster.server.requests.length;

    // Random phase: people ask while faults happen.
    const deadline = Date.now() + (plan.requestDeadlineMs ?? 240_000);
    const window = (plan.kills + plan.stops) * (plan.gapMs[0] + plan.gapMs[1]) / 2;
    const asks = Array.from({ length: plan.updates }, (_, i) => {
      const at = schedule.int(0, Math.max(0, Math.floor(window * 0.6)));
      return sleep(at).then(() => people.requestAndApprove(NS, `bench-${i}`, commandFor(plan.backend, `bench-${i}`), deadline)).catch((err: Error) => {
        harness.push({ invariant: 'harness', detail: err.message });
      });
    });
    const actions: Array<'kill' | 'stop'> = Array.from({ length: plan.kills + plan.stops }, (_, i) => (i < plan.kills ? 'kill' : 'stop'));
    for (let i = actions.length - 1; i > 0; i--) {
      const j = schedule.int(0, i);
      [actions[i], actions[j]] = [actions[j], actions[i]];
    }
    for (const action of actions) {
      const gap = schedule.int(plan.gapMs[0], plan.gapMs[1]);
      const preferLeader = schedule.chance(0.6);
      const pickIndex = schedule.int(0, 1000);
      // Each fault hits a working system: a leader that has started (a process killed while it still
      // boots tests little), then the gap.
      await waitFor(() => { const l = replicas.leader(); return !!l && replicas.up(replicas.slots.indexOf(l)); }, 90_000, 'a started leader before the next fault', replicas);
      await sleep(gap);
      const leader = replicas.leader();
      const leaderSlot = leader ? replicas.slots.indexOf(leader) : -1;
      const running = replicas.running();
      if (running.length === 0) {
        log('   (no replica running: fault skipped)');
        continue;
      }
      const started = running.filter((i) => replicas.up(i));
      const pool = started.length > 0 ? started : running;
      const slot = preferLeader && running.includes(leaderSlot) ? leaderSlot : pool[pickIndex % pool.length];
      const who = replicas.slots[slot].identity;
      // And the Slack emulator's own fault: the next chat.postMessage is stored, then its answer is lost.
      slack.faults.add({ method: 'chat.postMessage', kind: schedule.pick(['stored-http500', 'stored-http504', 'stored-reset'] as const), times: 1 });
      counts.slackStoredArmed++;
      if (action === 'kill') {
        const restartMs = schedule.int(200, 2000);
        await replicas.kill(slot);
        counts.kills++;
        log(`   SIGKILL ${who}${slot === leaderSlot ? ' (leader)' : ''}; restart in ${restartMs} ms`);
        restartLater(slot, restartMs);
      } else {
        const frozenMs = plan.leaseSeconds * 1000 + schedule.int(500, 2500);
        replicas.freeze(slot);
        counts.stops++;
        log(`   SIGSTOP ${who}${slot === leaderSlot ? ' (leader)' : ''} for ${frozenMs} ms (Lease ${plan.leaseSeconds} s)`);
        await sleep(frozenMs);
        replicas.thaw(slot);
        log(`   SIGCONT ${who}`);
      }
    }
    await Promise.all(restarts);
    await Promise.all(asks);

    // Targeted split-brain: freeze the leader in the middle of a step, let the other replica take over, thaw.
    if (plan.splitBrain) {
      const db = `bench-${plan.updates}`;
      const hold = schedule.int(500, 2000);
      const r = await splitBrain(plan, cluster, replicas, people, db, hold, deadline, log);
      if (r) harness.push(r);
      else counts.splitBrains++;
    }

    // Settle: every replica running, every record terminal and rendered.
    replicas.ensureAllRunning();
    const settled = await waitFor(() => allSettled(cluster.store), plan.settleTimeoutMs, 'every record to settle', replicas).then(
      () => true,
      () => false,
    );
    if (!settled) log(`   not every record settled within ${plan.settleTimeoutMs} ms`);
    await sleep(3000); // late duplicates (a thawed replica, a retried post) would land now
    counts.apiRequests = cluster.server.requests.length - requestsFrom;
  } catch (err) {
    harness.push({ invariant: 'harness', detail: (err as Error).message });
  }

  cluster.server.faults.setRate(undefined);
  const records = cluster.store.list(RECORD_GVR, RECORDS_NS).items as unknown as DatabaseUpdate[];
  const snapshot: Snapshot = {
    backend: plan.backend,
    records,
    databases: cluster.store.list(dbGvr(MYSQL), NS).items.map((d: KubeObject) => ({
      namespace: NS,
      name: d.metadata.name!,
      version: String((d.spec as { version?: string }).version),
      paused: ((d.status as { conditions?: Array<{ type: string; status: string }> })?.conditions ?? []).some((c) => c.type === 'Paused' && c.status === 'True'),
    })),
    opsRequests: plan.backend === 'ops-request'
      ? cluster.store.list(opsGvr(MYSQL), NS).items.map((o: KubeObject) => ({
          name: o.metadata.name!,
          database: `${o.metadata.namespace}/${(o.spec as { databaseRef?: { name?: string } }).databaseRef?.name}`,
          record: o.metadata.labels?.[LABEL_RECORD],
        }))
      : [],
    messages: slack.messages(CHANNEL).filter((m) => !m.ephemeralTo),
    ackedCommands: people.ackedCommands.map((c) => ({
      database: c.database,
      text: c.text,
      answered: c.responses().length > 0 || c.answerInAck !== undefined || (!!c.record && !!records.find((r) => r.metadata.name === c.record)?.status?.slack?.ts),
    })),
    ackedClicks: people.ackedClicks.map((c, i, all) => {
      const next = all.slice(i + 1).find((x) => x.record === c.record && x.user === c.user);
      const votes = records.find((r) => r.metadata.name === c.record)?.status?.approvals ?? [];
      const ephemerals = slack.messages(CHANNEL).filter((m) => m.ephemeralTo === c.user).map((m) => Number(m.ts) * 1000);
      return { record: c.record, answered: clickAnswered(c, next?.sentAt, votes, ephemerals) };
    }),
    unexpectedExits: [],
  };
  await replicas.stopAll();
  snapshot.unexpectedExits = replicas.unexpectedExits;
  const violations = [...harness, ...checkInvariants(snapshot)];

  counts.apiFaults = { ...cluster.server.faults.rateInjected };
  counts.apiFaultsTotal = Object.values(counts.apiFaults).reduce((a, b) => a + b, 0);
  const storedLeft = slack.faults.pending.filter((f) => f.kind.startsWith('stored-')).reduce((n, f) => n + f.times, 0);
  counts.slackLost = proxy.totalLost + counts.slackStoredArmed - storedLeft;
  counts.slackCalls = proxy.forwarded;
  counts.restarts += replicas.crashRestarts;
  counts.records = records.length;
  counts.succeeded = records.filter((r) => r.status?.phase === 'Succeeded').length;
  Object.assign(counts, people.counts);
  await proxy.stop();
  await slack.stop();
  await cluster.stop();
  const { log: _log, ...rest } = plan;
  return { plan: rest, counts, violations, snapshot, durationMs: Date.now() - t0 };
}

/** Whether every record is terminal with its final post made and its parent message up to date. */
function allSettled(store: import('../kube/store.js').Store): boolean {
  const records = store.list(RECORD_GVR, RECORDS_NS).items as unknown as DatabaseUpdate[];
  return records.every((r) => {
    const phase = r.status?.phase ?? 'Pending';
    if (!TERMINAL_PHASES.includes(phase)) return false;
    const posted = r.status?.slack?.posted ?? [];
    const final = phase === 'Succeeded' ? 'done' : phase === 'Failed' ? 'failed' : undefined;
    if (final && !posted.includes(final)) return false;
    return r.status?.slack?.parentHash === renderHash(renderParent(r));
  });
}

async function waitFor(fn: () => boolean, timeoutMs: number, what: string, replicas: Replicas): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!fn()) {
    if (Date.now() > end) {
      const out = replicas.slots.map((r) => `--- ${r.identity} (${r.state}) ---\n${r.proc.output().trimEnd().split('\n').slice(-8).join('\n')}`).join('\n');
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}\n${out}`);
    }
    await sleep(100);
  }
}

/**
 * The targeted split-brain: request and approve an update of `db`; the moment the leader makes the
 * step's first write (ops-request: the OpsRequest is created; direct: the database gets its Paused
 * condition), freeze the leader with SIGSTOP; once the other replica holds the Lease and `holdMs` more
 * have passed, thaw it. The thawed process believes it leads until its next renewal: fencing must stop
 * it from writing or posting. Resolves with a harness violation if the step never came.
 */
async function splitBrain(
  plan: ChaosPlan,
  cluster: Awaited<ReturnType<typeof startEmbeddedCluster>>,
  replicas: Replicas,
  people: People,
  db: string,
  holdMs: number,
  deadline: number,
  log: (line: string) => void,
): Promise<Violation | undefined> {
  replicas.ensureAllRunning();
  await waitFor(() => replicas.leader() !== undefined && replicas.running().length === replicas.slots.length, 60_000, 'a leader before the split-brain', replicas);
  let frozen = -1;
  let frozenAt = 0;
  const onStep = (what: string) => {
    if (frozen >= 0) return;
    const leader = replicas.leader();
    if (!leader || leader.state !== 'running') return;
    frozen = replicas.slots.indexOf(leader);
    replicas.freeze(frozen);
    frozenAt = Date.now();
    log(`   split-brain: ${what}; SIGSTOP the leader ${leader.identity} mid-step`);
  };
  const stopWatch = plan.backend === 'ops-request'
    ? cluster.store.watch(opsGvr(MYSQL), { namespace: NS }, (ev) => {
        if (ev.type === 'ADDED' && (ev.object.spec as { databaseRef?: { name?: string } }).databaseRef?.name === db) onStep(`OpsRequest ${ev.object.metadata.name} created`);
      })
    : cluster.store.watch(dbGvr(MYSQL), { namespace: NS }, (ev) => {
        const conds = (ev.object.status as { conditions?: Array<{ type: string; status: string }> } | undefined)?.conditions ?? [];
        if (ev.object.metadata.name === db && conds.some((c) => c.type === 'Paused' && c.status === 'True')) onStep(`${db} got its Paused condition`);
      });
  try {
    await people.requestAndApprove(NS, db, commandFor(plan.backend, db), deadline);
    const end = Date.now() + 60_000;
    while (frozen < 0 && Date.now() < end) await sleep(20);
    if (frozen < 0) return { invariant: 'harness', detail: `split-brain: the step of ${db} was never seen, nobody was frozen` };
    const old = replicas.slots[frozen].identity;
    await waitFor(() => {
      const l = replicas.leader();
      return l !== undefined && l.identity !== old;
    }, plan.leaseSeconds * 1000 + 30_000, `another replica to take the Lease from ${old}`, replicas);
    log(`   split-brain: ${replicas.leader()?.identity} took over after ${Date.now() - frozenAt} ms; thaw ${old} in ${holdMs} ms`);
    await sleep(holdMs);
    replicas.thaw(frozen);
    log(`   split-brain: SIGCONT ${old}`);
    return undefined;
  } catch (err) {
    if (frozen >= 0) replicas.thaw(frozen);
    return { invariant: 'harness', detail: `split-brain: ${(err as Error).message}` };
  } finally {
    stopWatch();
  }
}
