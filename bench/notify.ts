/**
 * Notification latency: from the cluster emulator recording a step's OpsRequest condition (Ops Manager's
 * write, seen by an in-process store watch) to the matching thread reply arriving at the Slack emulator
 * (`RecordedCall.atNs` of the `chat.postMessage`). Steps: DatabasePauseSucceeded → "Paused",
 * UpdatePetSetsSucceeded → "Images updated", VersionUpdateSucceeded → "Checks passed",
 * DatabaseResumeSucceeded → "Resumed", Successful → "Done"; five per update, updates one after another.
 * Baseline: the raw emulator watch latency of the same condition writes — from the same store event to
 * a client-node `Watch` on the OpsRequests (over HTTP, in the same process) receiving it. The ratio is
 * the bot's overhead over the wire: informer, reconcile, status write, record watch, notifier, Slack call.
 */
import { Watch } from '@kubernetes/client-node';
import { startWorld } from '../sim/world.js';
import { seedCluster, opsGvr } from '../sim/kubedb/index.js';
import { findEngine } from '../src/engines/table.js';
import { LABEL_RECORD } from '../src/api/v1alpha1/databaseupdate.js';
import { nowNs, nsToMs, percentile, row, runUpdates, type Row } from './common.js';

/** Condition type → the thread reply it must produce. */
const STEP_OF: Array<[string, RegExp]> = [
  ['DatabasePauseSucceeded', /Paused/],
  ['UpdatePetSetsSucceeded', /Images updated/],
  ['VersionUpdateSucceeded', /Checks passed/],
  ['DatabaseResumeSucceeded', /Resumed/],
  ['Successful', /Done/],
];

type Seen = Map<string, Map<string, bigint>>;
/** Remember the first time each condition type of each OpsRequest was seen. */
function see(seen: Seen, obj: { metadata?: { name?: string }; status?: { conditions?: Array<{ type: string }> } }): void {
  const at = nowNs();
  const name = obj.metadata?.name ?? '';
  const m = seen.get(name) ?? new Map<string, bigint>();
  seen.set(name, m);
  for (const c of obj.status?.conditions ?? []) if (!m.has(c.type)) m.set(c.type, at);
}

/** Run the notification-latency benchmark over `steps` steps (five per update). */
export async function benchNotify(opts: { steps: number }): Promise<{ rows: Row[]; detail: Record<string, unknown> }> {
  const updates = Math.ceil(opts.steps / STEP_OF.length);
  const w = await startWorld({ sim: { podReadyDelayMs: 40, stepDelayMs: 40 } });
  const ns = 'notify';
  await seedCluster(w.cluster.kubeConfig, { extraDatabases: updates, extraNamespace: ns });
  await w.cluster.sim.settled(60_000);
  const mysql = findEngine('mysql')!;
  const atStore: Seen = new Map();
  const atWatch: Seen = new Map();
  const unwatch = w.cluster.store.watch(opsGvr(mysql), { resourceVersion: w.cluster.store.currentResourceVersion() }, (ev) => see(atStore, ev.object as never));
  const watchAbort = await new Watch(w.cluster.kube.kc).watch(
    `/apis/ops.kubedb.com/v1alpha1/${mysql.opsRequestPlural}`,
    { resourceVersion: w.cluster.store.currentResourceVersion() },
    (_type, obj) => see(atWatch, obj),
    () => undefined,
  );
  try {
    const outcomes = [];
    for (let i = 0; i < updates; i++) outcomes.push(...(await runUpdates(w, ns, [`bench-${i}`], 30_000)));
    const notify: number[] = [];
    const raw: number[] = [];
    let missing = 0;
    const opsByRecord = new Map(
      w.cluster.store.list(opsGvr(mysql), undefined).items.map((o) => [o.metadata.labels?.[LABEL_RECORD] ?? '', o.metadata.name]),
    );
    for (const o of outcomes) {
      const ops = opsByRecord.get(o.record);
      const posts = w.slack.calls.filter((c) => c.method === 'chat.postMessage' && c.ok && c.params.thread_ts === o.parentTs);
      for (const [cond, re] of STEP_OF) {
        const t0 = ops ? atStore.get(ops)?.get(cond) : undefined;
        const tw = ops ? atWatch.get(ops)?.get(cond) : undefined;
        const post = posts.find((c) => re.test(String(c.params.text ?? '')));
        if (t0 === undefined || tw === undefined || post?.atNs === undefined) {
          missing++;
          continue;
        }
        notify.push(nsToMs(post.atNs - t0));
        raw.push(nsToMs(tw - t0));
      }
    }
    const p50 = percentile(notify, 50);
    const p99 = percentile(notify, 99);
    const r50 = percentile(raw, 50);
    const r99 = percentile(raw, 99);
    const rows = [
      row({ bench: 'notification latency', figure: `p50 condition → thread post (${notify.length} steps)`, value: p50, unit: 'ms', baseline: r50, baselineLabel: 'raw watch event p50' }),
      row({
        bench: 'notification latency',
        figure: `p99 condition → thread post (${notify.length} steps)`,
        value: p99,
        unit: 'ms',
        baseline: r99,
        baselineLabel: 'raw watch event p99',
        target: '< 250 ms',
        pass: p99 < 250 && missing === 0 && outcomes.every((o) => o.clean),
      }),
    ];
    return { rows, detail: { updates, steps: notify.length, missing, clean: outcomes.filter((o) => o.clean).length, notifyMs: { p50, p99, max: Math.max(...notify) }, rawWatchMs: { p50: r50, p99: r99, max: Math.max(...raw) } } };
  } finally {
    unwatch();
    watchAbort.abort();
    await w.stop();
  }
}
