/**
 * Cost per update: Kubernetes API requests (served by the cluster emulator) and Slack Web API calls
 * (recorded by the Slack emulator) from the command to the parent message showing Succeeded, plus the
 * trailing writes until the API is quiet. The benchmark observes in-process, so every counted request is
 * the bot's. Only the leader-election Lease's renewals (`leases/dbupdate-leader`) are left out: they are
 * per replica and per renew period, not per update. The per-database lock Lease (`leases/dbu-…`,
 * src/kube/locks.ts) is taken for this update and is counted in it.
 * Judged (issue #13): ≤ 30 requests per update of a 3-replica database, ≤ 40 of a 9-replica one, each
 * beside the **minimum** a controller needs for the same update, counted from the same run's events
 * ({@link minimumRequests}). Also compared in the same run: a 9-replica database vs a 3-replica one,
 * and a slow update (pods and Ops Manager steps 5× slower, a second world) vs a fast one. A watch-driven
 * bot makes the same number of Kubernetes requests however long the update takes (slow/fast ≈ 1.0); a
 * poller would not. A third world at 10× shows whether the count keeps growing with time (a poll) or
 * levels off at the number of cluster events (a watch: a slow update only coalesces fewer events per
 * reconcile pass). Each world first runs one warm-up update, so informers' first list and watch are not
 * charged to an update. Every sample keeps its requests by verb, resource and status code (`byRequest`
 * in bench/results.json), so a regression says where it is.
 */
import { startWorld, type World } from '../sim/world.js';
import { seedCluster } from '../sim/kubedb/index.js';
import { breakdown, electionLeasePath, quiescent, row, runUpdates, storeRecords, type Row } from './common.js';
import { RECORD_GROUP, RECORD_PLURAL, RECORD_VERSION, type DatabaseUpdate } from '../src/api/v1alpha1/databaseupdate.js';
import { CHANNEL } from '../sim/world.js';

/** Requests and calls of one update. */
interface Cost {
  kube: number;
  byVerb: Record<string, number>;
  /** Requests by `verb resource[/subresource][ dryRun] status` ({@link breakdown}). */
  byRequest: Record<string, number>;
  /** Leader-election Lease requests in the same window (not counted in `kube`). */
  electionLease: number;
  /** The least a controller needs for this same update ({@link minimumRequests}), and what it is made of. */
  minimum: number;
  minimumParts: Record<string, number>;
  /** The record's phases in the order it went through them. */
  phases: string[];
  slack: number;
  durationMs: number;
  clean: boolean;
}

/**
 * The fewest Kubernetes requests any controller needs for the update observed, from the run's own
 * events: preflight's 2 (GET the database, the OpsRequest's server-side dry run; catalog and discovery
 * come from caches), 1 lock Lease create, 1 record create, 1 OpsRequest create, 1 write of the parent
 * message's ts, 1 status write per phase change the record went through (Pending → Approved → Running →
 * Succeeded: 3), 1 per progress line shown (a pod done, edited into one reply), and per thread reply 2
 * (the step's status write by the reconciler, the "posted" mark by the notifier, a merge-patch each).
 */
export function minimumRequests(o: { phaseChanges: number; progressChanges: number; replies: number }): { total: number; parts: Record<string, number> } {
  const parts = { preflight: 2, lock: 1, recordCreate: 1, opsRequestCreate: 1, parentTs: 1, phaseChanges: o.phaseChanges, progressChanges: o.progressChanges, threadReplies: 2 * o.replies };
  return { total: Object.values(parts).reduce((a, b) => a + b, 0), parts };
}

const RECORD_GVR = { group: RECORD_GROUP, version: RECORD_VERSION, plural: RECORD_PLURAL };

async function measure(w: World, ns: string, db: string): Promise<Cost> {
  const election = electionLeasePath(w.config.recordsNamespace);
  const isElection = (path: string) => path === election;
  const counted = () => w.cluster.server.requests.filter((r) => !isElection(r.path)).length;
  await quiescent(counted);
  w.cluster.server.resetRequests();
  const slackBefore = w.slack.calls.length;
  // The record's phases and progress lines as they change, from the store's own watch (in-process).
  const known = new Set(storeRecords(w.cluster.store, w.config.recordsNamespace).map((r) => r.metadata.name));
  const phases: string[] = [];
  const progress = new Set<string>();
  const unwatch = w.cluster.store.watch(RECORD_GVR, { namespace: w.config.recordsNamespace }, (ev) => {
    const r = ev.object as unknown as DatabaseUpdate;
    if (known.has(r.metadata.name) || r.spec.database.name !== db || r.spec.database.namespace !== ns) return;
    const phase = r.status?.phase ?? 'Pending';
    if (phases[phases.length - 1] !== phase) phases.push(phase);
    for (const [step, line] of Object.entries(r.status?.progress ?? {})) progress.add(`${step}: ${line}`);
  });
  let o: Awaited<ReturnType<typeof runUpdates>>[number];
  try {
    [o] = await runUpdates(w, ns, [db], 60_000);
    await quiescent(counted);
  } finally {
    unwatch();
  }
  const reqs = w.cluster.server.requests;
  const mine = reqs.filter((r) => !isElection(r.path));
  const byVerb: Record<string, number> = {};
  for (const r of mine) byVerb[r.verb] = (byVerb[r.verb] ?? 0) + 1;
  const replies = w.slack.replies(CHANNEL, o.parentTs).length;
  const min = minimumRequests({ phaseChanges: Math.max(0, phases.length - 1), progressChanges: progress.size, replies });
  return {
    kube: mine.length,
    byVerb,
    byRequest: breakdown(w.cluster.store, mine),
    electionLease: reqs.length - mine.length,
    minimum: min.total,
    minimumParts: min.parts,
    phases,
    slack: w.slack.calls.length - slackBefore,
    durationMs: o.durationMs,
    clean: o.clean && o.phase === 'Succeeded',
  };
}

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

function summarise(costs: Cost[]) {
  return {
    kube: mean(costs.map((c) => c.kube)),
    minimum: mean(costs.map((c) => c.minimum)),
    slack: mean(costs.map((c) => c.slack)),
    electionLease: mean(costs.map((c) => c.electionLease)),
    durationMs: mean(costs.map((c) => c.durationMs)),
    clean: costs.every((c) => c.clean),
    samples: costs,
  };
}

/** Run `n` measured updates per case in a world with the given sim delays. */
async function inWorld(delayMs: number, cases: Array<{ ns: string; replicas: number }>, n: number) {
  const w = await startWorld({ sim: { podReadyDelayMs: delayMs, stepDelayMs: delayMs } });
  try {
    for (const c of cases) await seedCluster(w.cluster.kubeConfig, { extraDatabases: n + 1, extraNamespace: c.ns, extraReplicas: c.replicas });
    await w.cluster.sim.settled(60_000);
    await runUpdates(w, cases[0].ns, ['bench-0'], 60_000); // warm-up: informers list and watch
    const out: Record<string, ReturnType<typeof summarise>> = {};
    for (const c of cases) {
      const costs: Cost[] = [];
      for (let i = c === cases[0] ? 1 : 0; costs.length < n; i++) costs.push(await measure(w, c.ns, `bench-${i}`));
      out[c.ns] = summarise(costs);
    }
    return out;
  } finally {
    await w.stop();
  }
}

/** Run the cost-per-update benchmark with `n` updates per case. */
export async function benchCost(opts: { n: number }): Promise<{ rows: Row[]; detail: Record<string, unknown> }> {
  const fast = await inWorld(15, [{ ns: 'cost3', replicas: 3 }, { ns: 'cost9', replicas: 9 }], opts.n);
  const slow = await inWorld(75, [{ ns: 'slow3', replicas: 3 }], opts.n);
  const slower = await inWorld(150, [{ ns: 'slower3', replicas: 3 }], opts.n);
  const f3 = fast.cost3;
  const f9 = fast.cost9;
  const s3 = slow.slow3;
  const x3 = slower.slower3;
  const clean = f3.clean && f9.clean && s3.clean && x3.clean;
  const rows = [
    row({
      bench: 'cost per update',
      figure: 'k8s requests, 3 replicas (lock Lease included, election Lease not)',
      value: f3.kube,
      unit: 'req',
      baseline: f3.minimum,
      baselineLabel: 'minimum for the same update, from its events',
      target: '≤ 30, all updates clean',
      pass: clean && f3.kube <= 30,
    }),
    row({
      bench: 'cost per update',
      figure: 'k8s requests, 9 replicas (lock Lease included, election Lease not)',
      value: f9.kube,
      unit: 'req',
      baseline: f9.minimum,
      baselineLabel: 'minimum for the same update, from its events',
      target: '≤ 40',
      pass: f9.kube <= 40,
    }),
    row({ bench: 'cost per update', figure: 'k8s requests, 9 vs 3 replicas', value: f9.kube, unit: 'req', baseline: f3.kube, baselineLabel: '3 replicas' }),
    row({
      bench: 'cost per update',
      figure: `k8s requests, 3 replicas, 5× slower (${Math.round(s3.durationMs)} vs ${Math.round(f3.durationMs)} ms)`,
      value: s3.kube,
      unit: 'req',
      baseline: f3.kube,
      baselineLabel: '3 replicas, fast',
      target: 'ratio ≤ 1.2 (watch, not poll)',
      pass: s3.kube / f3.kube <= 1.2,
    }),
    row({
      bench: 'cost per update',
      figure: `k8s requests, 3 replicas, 10× slower (${Math.round(x3.durationMs)} ms)`,
      value: x3.kube,
      unit: 'req',
      baseline: s3.kube,
      baselineLabel: '3 replicas, 5× slower',
      target: 'ratio ≤ 1.2 (watch, not poll)',
      pass: x3.kube / s3.kube <= 1.2,
    }),
    row({ bench: 'cost per update', figure: 'Slack calls, 3 replicas', value: f3.slack, unit: 'call' }),
    row({ bench: 'cost per update', figure: 'Slack calls, 9 replicas', value: f9.slack, unit: 'call', baseline: f3.slack, baselineLabel: '3 replicas' }),
    row({ bench: 'cost per update', figure: 'Slack calls, 3 replicas, 5× slower', value: s3.slack, unit: 'call', baseline: f3.slack, baselineLabel: '3 replicas, fast' }),
  ];
  return { rows, detail: { n: opts.n, fast3: f3, fast9: f9, slow3: s3, slower3: x3 } };
}
