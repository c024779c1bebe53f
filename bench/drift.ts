/**
 * A version-drift report over a fleet-sized cache (issue #19 item 5: "a drift report over 10,000
 * databases is computed from the cache in < 1 s"). The input is what `readDriftInputs` hands
 * `computeDrift` from the bot's read caches: cut-down database objects (name, namespace, spec.version) and
 * KubeDB's real catalog (sim/kubedb/catalog-facts.ts). The databases — MySQL, Postgres and MongoDB over 40
 * namespaces, on versions drawn from each engine's catalog entries (deprecated ones included), seeded —
 * are the cache; the report is computed and rendered as the Slack message (`driftMessage`), as
 * `/dbupdate drift` does after its cache reads.
 *
 * Baseline in the same run: one pass over the same objects that groups them by engine, namespace and
 * version (a Map, no resolution) — the least any report must do.
 */
import { computeDrift, type DriftEngineInput } from '../src/drift/compute.js';
import { driftMessage } from '../src/drift/render.js';
import { findEngine } from '../src/engines/table.js';
import { realCatalog } from '../sim/kubedb/catalog.js';
import { Random } from '../sim/chaos/rng.js';
import { nowNs, nsToMs, percentile, row, type Row } from './common.js';

/** The cache's content: `databases` spread over engines and 40 namespaces, seeded. */
function fleetInput(databases: number): DriftEngineInput[] {
  const rng = new Random(20261207, 3);
  const shares: Array<[string, number]> = [['mysql', 0.6], ['postgres', 0.3], ['mongodb', 0.1]];
  return shares.map(([name, share]) => {
    const engine = findEngine(name)!;
    const catalog = realCatalog(engine.catalogKind);
    const versions = catalog.map((c) => c.metadata.name!);
    const n = Math.round(databases * share);
    const dbs = Array.from({ length: n }, (_, i) => ({
      metadata: { name: `${name}-${i}`, namespace: `team-${rng.int(0, 39)}` },
      spec: { version: versions[rng.int(0, versions.length - 1)] },
    }));
    return { engine, databases: dbs, catalog: catalog as DriftEngineInput['catalog'] };
  });
}

/** Run the drift benchmark over `databases` (10,000 in the full run), `rounds` times each. */
export async function benchDrift(o: { databases: number; rounds: number }): Promise<{ rows: Row[]; detail: Record<string, unknown> }> {
  const input = fleetInput(o.databases);
  const report = (): number => {
    const t = nowNs();
    const r = computeDrift('bench', input);
    driftMessage(r);
    return nsToMs(nowNs() - t);
  };
  const baseline = (): number => {
    const t = nowNs();
    const groups = new Map<string, number>();
    for (const { engine, databases } of input) for (const d of databases) {
      const k = `${engine.name}\u0000${d.metadata.namespace}\u0000${d.spec?.version}`;
      groups.set(k, (groups.get(k) ?? 0) + 1);
    }
    return nsToMs(nowNs() - t);
  };
  const first = report(); // cold: the first report of a process (nothing compiled or memoised yet)
  const times: number[] = [];
  const base: number[] = [];
  for (let i = 0; i < o.rounds; i++) {
    times.push(report());
    base.push(baseline());
  }
  const r = computeDrift('bench', input);
  const p50 = percentile(times, 50);
  const b50 = percentile(base, 50);
  return {
    rows: [
      row({ bench: 'drift', figure: `report over ${o.databases} databases, first in the process`, value: first, unit: 'ms', target: '< 1000 ms', pass: first < 1000 }),
      row({ bench: 'drift', figure: `report over ${o.databases} databases, p50 of ${o.rounds}`, value: p50, unit: 'ms', baseline: b50, baselineLabel: 'group by engine/ns/version', target: '< 1000 ms', pass: p50 < 1000 }),
    ],
    detail: { databases: o.databases, scanned: r.scanned, behind: r.behind, groups: r.groups.length, totals: r.totals, unknown: r.unknown.length, firstMs: first, p50Ms: p50, baselineP50Ms: b50, timesMs: times },
  };
}
