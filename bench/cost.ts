/**
 * Cost per update: Kubernetes API requests (served by the cluster emulator) and Slack Web API calls
 * (recorded by the Slack emulator) from the command to the parent message showing Succeeded, plus the
 * trailing writes until the API is quiet. The benchmark observes in-process, so every counted request is
 * the bot's. Lease renewals are counted apart: they are per replica and per second, not per update.
 * Compared in the same run: a 9-replica database vs a 3-replica one, and a slow update (pods and Ops
 * Manager steps 5× slower, a second world) vs a fast one. A watch-driven bot makes the same number of
 * Kubernetes requests however long the update takes (slow/fast ≈ 1.0); a poller would not.
 * A third world at 10× shows whether the count keeps growing with time (a poll) or levels off at the
 * number of cluster events (a watch: a slow update only coalesces fewer events per reconcile pass).
 * Each world first runs one warm-up update, so informers' first list and watch are not charged to an update.
 */
import { startWorld, type World } from '../src/sim/world.js';
import { seedCluster } from '../src/sim/kubedb/index.js';
import { quiescent, row, runUpdates, type Row } from './common.js';

/** Requests and calls of one update. */
interface Cost {
  kube: number;
  byVerb: Record<string, number>;
  lease: number;
  slack: number;
  durationMs: number;
  clean: boolean;
}

const isLease = (path: string) => path.includes('/leases');

async function measure(w: World, ns: string, db: string): Promise<Cost> {
  const nonLease = () => w.cluster.server.requests.filter((r) => !isLease(r.path)).length;
  await quiescent(nonLease);
  w.cluster.server.resetRequests();
  const slackBefore = w.slack.calls.length;
  const [o] = await runUpdates(w, ns, [db], 60_000);
  await quiescent(nonLease);
  const reqs = w.cluster.server.requests;
  const byVerb: Record<string, number> = {};
  for (const r of reqs) if (!isLease(r.path)) byVerb[r.verb] = (byVerb[r.verb] ?? 0) + 1;
  return {
    kube: reqs.filter((r) => !isLease(r.path)).length,
    byVerb,
    lease: reqs.filter((r) => isLease(r.path)).length,
    slack: w.slack.calls.length - slackBefore,
    durationMs: o.durationMs,
    clean: o.clean && o.phase === 'Succeeded',
  };
}

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

function summarise(costs: Cost[]) {
  return {
    kube: mean(costs.map((c) => c.kube)),
    slack: mean(costs.map((c) => c.slack)),
    lease: mean(costs.map((c) => c.lease)),
    durationMs: mean(costs.map((c) => c.durationMs)),
    clean: costs.every((c) => c.clean),
    samples: costs,
  };
}

/** Run `n` measured updates per case in a world with the given sim delays. */
async function inWorld(delayMs: number, cases: Array<{ ns: string; replicas: number }>, n: number) {
  const w = await startWorld({ sim: { podReadyDelayMs: delayMs, stepDelayMs: delayMs } });
  try {
    for (const c of cases) seedCluster(w.cluster.store, { extraDatabases: n + 1, extraNamespace: c.ns, extraReplicas: c.replicas });
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
    row({ bench: 'cost per update', figure: 'k8s requests, 3 replicas', value: f3.kube, unit: 'req', target: 'all updates clean', pass: clean }),
    row({ bench: 'cost per update', figure: 'k8s requests, 9 replicas', value: f9.kube, unit: 'req', baseline: f3.kube, baselineLabel: '3 replicas' }),
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
