/**
 * Scale: many updates at once in a big cluster — `updates` concurrent requests (alice) and approvals
 * (bob) on as many MySQL databases, with `databases` database objects (3 replicas each, so 3× as many
 * pods) and `versions` extra catalog versions in the cluster. All must reach Succeeded, each with every
 * step posted exactly once, one record and one OpsRequest per database (none lost, none duplicated).
 * Reported: wall time, peak RSS (sampled every 20 ms) against an idle default world's RSS, and the
 * event-loop delay during the updates (`perf_hooks.monitorEventLoopDelay`).
 *
 * RSS only grows within a process, so the idle world and the scale world each run in a child process
 * (this file, forked with the parent's tsx loader and `--expose-gc`); `benchScale` forks both, one after
 * the other, in the same `npm run bench` run, and kills a child that overruns its time limit.
 */
import { fork } from 'node:child_process';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { startWorld } from '../src/sim/world.js';
import { seedCluster, opsGvr, catalogGvr, dbGvr } from '../src/sim/kubedb/index.js';
import { findEngine, ENGINES } from '../src/engines/table.js';
import { LABEL_RECORD } from '../src/updates/types.js';
import { row, runUpdates, storeRecords, type Row } from './common.js';

/** Sizes of a scale run. */
export interface ScaleOptions {
  updates: number;
  databases: number;
  versions: number;
}

const MB = 1024 * 1024;

/** Sample RSS every 20 ms; `stop()` returns the peak in MB. */
function rssSampler(): { stop(): number } {
  let peak = process.memoryUsage().rss;
  const t = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 20);
  return {
    stop() {
      clearInterval(t);
      return Math.max(peak, process.memoryUsage().rss) / MB;
    },
  };
}

async function gcAndSettle(): Promise<void> {
  (globalThis as { gc?: () => void }).gc?.();
  await new Promise((r) => setTimeout(r, 500));
  (globalThis as { gc?: () => void }).gc?.();
}

/** Child: an idle default world's RSS after start and a GC. */
async function idleChild(): Promise<Record<string, unknown>> {
  const w = await startWorld();
  try {
    await gcAndSettle();
    const s = rssSampler();
    await new Promise((r) => setTimeout(r, 1000));
    return { rssMb: s.stop(), heapUsedMb: process.memoryUsage().heapUsed / MB };
  } finally {
    await w.stop();
  }
}

/** Child: the scale run. */
async function scaleChild(o: ScaleOptions): Promise<Record<string, unknown>> {
  const sampler = rssSampler();
  const w = await startWorld({ sim: { podReadyDelayMs: 15, stepDelayMs: 15 } });
  try {
    const t0 = Date.now();
    const seeded = 5; // SEED_DATABASES
    seedCluster(w.cluster.store, { extraDatabases: Math.max(o.updates, o.databases - seeded), extraNamespace: 'bench', extraVersions: o.versions });
    await w.cluster.sim.settled(180_000);
    const seedMs = Date.now() - t0;
    const store = w.cluster.store;
    const databases = ENGINES.reduce((n, e) => n + (store.resourceType(dbGvr(e)) ? store.list(dbGvr(e), undefined).items.length : 0), 0);
    const versions = ENGINES.reduce((n, e) => n + (store.resourceType(catalogGvr(e)) ? store.list(catalogGvr(e), undefined).items.length : 0), 0);
    const pods = store.list({ group: '', version: 'v1', plural: 'pods' }, undefined).items.length;
    await gcAndSettle();
    const rssBeforeMb = process.memoryUsage().rss / MB;
    const eld = monitorEventLoopDelay({ resolution: 10 });
    eld.enable();
    const t1 = Date.now();
    const names = Array.from({ length: o.updates }, (_, i) => `bench-${i}`);
    const outcomes = await runUpdates(w, 'bench', names, 120_000);
    const updatesMs = Date.now() - t1;
    eld.disable();
    const mysql = findEngine('mysql')!;
    const records = storeRecords(store).filter((r) => r.spec.database.namespace === 'bench');
    const ops = store.list(opsGvr(mysql), 'bench').items;
    const perDb = new Map<string, number>();
    for (const r of records) perDb.set(r.spec.database.name, (perDb.get(r.spec.database.name) ?? 0) + 1);
    const perRecord = new Map<string, number>();
    for (const op of ops) perRecord.set(op.metadata.labels?.[LABEL_RECORD] ?? '', (perRecord.get(op.metadata.labels?.[LABEL_RECORD] ?? '') ?? 0) + 1);
    const succeeded = outcomes.filter((x) => x.phase === 'Succeeded').length;
    const clean = outcomes.filter((x) => x.clean).length;
    const duplicates = [...perDb.values()].filter((n) => n > 1).length + [...perRecord.values()].filter((n) => n > 1).length;
    const lost = names.filter((n) => !perDb.has(n)).length + records.filter((r) => !perRecord.has(r.metadata.name)).length;
    return {
      databases,
      versions,
      pods,
      seedMs,
      updatesMs,
      succeeded,
      clean,
      duplicates,
      lost,
      rssBeforeUpdatesMb: rssBeforeMb,
      peakRssMb: sampler.stop(),
      maxRssKb: process.resourceUsage().maxRSS,
      eldMs: { p50: eld.percentile(50) / 1e6, p99: eld.percentile(99) / 1e6, max: eld.max / 1e6, mean: eld.mean / 1e6 },
      slowestUpdateMs: Math.max(...outcomes.map((x) => x.durationMs)),
    };
  } finally {
    await w.stop();
  }
}

/** Fork this file as a child in `mode` and return what it sends; kill it after `timeoutMs`. */
function runChild(mode: 'idle' | 'scale', o: ScaleOptions, timeoutMs: number): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    const child = fork(fileURLToPath(import.meta.url), ['--child', mode, JSON.stringify(o)], {
      execArgv: [...process.execArgv, '--expose-gc'],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    let result: Record<string, unknown> | undefined;
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`bench: scale child (${mode}) did not finish within ${timeoutMs} ms`));
    }, timeoutMs);
    child.on('message', (m) => (result = m as Record<string, unknown>));
    child.on('exit', (code) => {
      clearTimeout(timer);
      if (result && !('error' in result)) resolve(result);
      else reject(new Error(`bench: scale child (${mode}) exited with ${code}: ${String(result?.error ?? 'no result')}`));
    });
  });
}

/** Run the scale benchmark: the idle world, then the scale world, each in its own child process. */
export async function benchScale(o: ScaleOptions): Promise<{ rows: Row[]; detail: Record<string, unknown> }> {
  const idle = await runChild('idle', o, 60_000);
  const scale = await runChild('scale', o, 300_000);
  const eld = scale.eldMs as { p50: number; p99: number; max: number };
  const peak = scale.peakRssMb as number;
  const ok = scale.succeeded === o.updates && scale.clean === o.updates && scale.duplicates === 0 && scale.lost === 0;
  const rows = [
    row({
      bench: 'scale',
      figure: `${o.updates} updates at once, ${String(scale.databases)} DBs, ${String(scale.versions)} catalog versions: clean`,
      value: scale.clean as number,
      unit: 'updates',
      target: `${o.updates}, none lost or duplicated`,
      pass: ok,
    }),
    row({ bench: 'scale', figure: `time for ${o.updates} updates (slowest)`, value: scale.updatesMs as number, unit: 'ms' }),
    row({ bench: 'scale', figure: 'peak RSS', value: peak, unit: 'MB', baseline: idle.rssMb as number, baselineLabel: 'idle world RSS', target: '< 200 MB', pass: peak < 200 }),
    row({ bench: 'scale', figure: 'event-loop delay p99 during updates', value: eld.p99, unit: 'ms' }),
    row({ bench: 'scale', figure: 'event-loop delay max during updates', value: eld.max, unit: 'ms' }),
  ];
  return { rows, detail: { options: o, idle, scale } };
}

// ---- child entry ----
if (process.argv[2] === '--child' && import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const mode = process.argv[3];
  const o = JSON.parse(process.argv[4] ?? '{}') as ScaleOptions;
  (mode === 'idle' ? idleChild() : scaleChild(o))
    .then((r) => process.send?.(r))
    .catch((err: unknown) => process.send?.({ error: err instanceof Error ? err.stack ?? err.message : String(err) }))
    .finally(() => setTimeout(() => process.exit(0), 100));
}
