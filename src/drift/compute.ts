/**
 * Version drift (issue #19 item 2), pure: which databases run a deprecated catalog entry, which are behind
 * the newest allowed patch, the newest allowed minor, and which have a major update available — grouped
 * and counted by engine and namespace.
 *
 * "Allowed" is the project's own resolution (`allowedTargets` of `src/engines/versions.ts`): not
 * deprecated, the same product and base OS, newer, and allowed by the current catalog entry's
 * `updateConstraints` (Masterminds). The kind of each target is `updateType` of the same module (MySQL
 * numbers a series `8.0` as the major, so a MySQL database is never "behind a minor"). No second resolver.
 *
 * Cost: the catalog is read once per engine and topology, and the allowed targets once per distinct
 * current version (memoised), so 10,000 databases on a few dozen versions cost a few dozen resolutions
 * (bench/drift.ts).
 */
import type { Engine } from '../engines/table.js';
import { allowedTargets, catalogEntryFromObject, type CatalogEntry } from '../engines/versions.js';

/** What a database is behind on: its entry is `deprecated`, or a newer allowed `patch`/`minor`/`major` exists. */
export type DriftKind = 'deprecated' | 'patch' | 'minor' | 'major';
/** The kinds in the order a report shows them (most urgent first). */
export const DRIFT_KINDS: readonly DriftKind[] = ['deprecated', 'major', 'minor', 'patch'];

/** The fields of a database object drift reads (a KubeDB `kubedb.com/v1` object, or a cache's cut-down copy). */
export interface DriftDatabaseInput {
  metadata: { name: string; namespace?: string };
  spec?: { version?: string; topology?: { mode?: string } };
}

/** The fields of a `<Kind>Version` catalog object drift reads (validated by `catalogEntryFromObject`). */
export interface DriftCatalogInput {
  metadata: { name: string };
  spec?: unknown;
}

/** One engine's databases and catalog, as read from the caches. */
export interface DriftEngineInput {
  engine: Engine;
  databases: readonly DriftDatabaseInput[];
  catalog: readonly DriftCatalogInput[];
}

/** One database in a group: its name, its catalog entry now and the newest allowed entry of the group's kind (absent for `deprecated` with no allowed target). */
export interface DriftMember {
  name: string;
  from: string;
  to?: string;
}

/** The databases of one engine and namespace that share a drift kind. */
export interface DriftGroup {
  /** Engine name as the command takes it (`mysql`, `postgres`). */
  engine: string;
  /** KubeDB kind (`MySQL`). */
  kind: string;
  namespace: string;
  drift: DriftKind;
  /** Sorted by name. */
  members: DriftMember[];
}

/** A drift report of one cluster. */
export interface DriftReport {
  cluster: string;
  /** Sorted by engine, namespace, then {@link DRIFT_KINDS} order. */
  groups: DriftGroup[];
  /** Databases looked at (after the namespace filter). */
  scanned: number;
  /** Databases behind on at least one kind. */
  behind: number;
  /** Databases per kind (a database may count in several: deprecated and behind a patch). */
  totals: Record<DriftKind, number>;
  /** Databases whose `spec.version` is not in the catalog (their constraints are unknown), as `engine ns/name (version)`. */
  unknown: string[];
}

/** Filter of a report: engines (names), namespaces; both empty = everything. */
export interface DriftFilter {
  engines?: readonly string[];
  namespaces?: readonly string[];
}

/** The newest allowed target of each update type from one catalog entry. */
interface Newest {
  patch?: string;
  minor?: string;
  major?: string;
}

/** The topology key `catalogEntryFromObject` distinguishes (MySQL's nested constraint lists). */
function topologyOf(db: DriftDatabaseInput): string {
  return db.spec?.topology?.mode ?? '';
}

/**
 * Compute the drift of every database in `input` (pure; never throws for malformed objects: a catalog
 * object that does not parse is no candidate, a database without `spec.version` is left out, one on a
 * version missing from the catalog is listed in `unknown`).
 */
export function computeDrift(cluster: string, input: readonly DriftEngineInput[], filter: DriftFilter = {}): DriftReport {
  const wantNs = filter.namespaces && filter.namespaces.length ? new Set(filter.namespaces) : undefined;
  const wantEngine = filter.engines && filter.engines.length ? new Set(filter.engines) : undefined;
  const totals: Record<DriftKind, number> = { deprecated: 0, patch: 0, minor: 0, major: 0 };
  const groups = new Map<string, DriftGroup>();
  const unknown: string[] = [];
  let scanned = 0;
  let behind = 0;

  for (const { engine, databases, catalog } of input) {
    if (wantEngine && !wantEngine.has(engine.name)) continue;
    const entriesByTopology = new Map<string, { list: CatalogEntry[]; byName: Map<string, CatalogEntry> }>();
    const newestByVersion = new Map<string, Newest>();
    const entries = (topology: string) => {
      let e = entriesByTopology.get(topology);
      if (!e) {
        const list: CatalogEntry[] = [];
        for (const obj of catalog) {
          try {
            list.push(catalogEntryFromObject(engine, obj, topology || undefined));
          } catch {
            /* a malformed catalog object is no candidate (as in preflight) */
          }
        }
        e = { list, byName: new Map(list.map((x) => [x.name, x])) };
        entriesByTopology.set(topology, e);
      }
      return e;
    };
    for (const db of databases) {
      const ns = db.metadata.namespace ?? '';
      if (wantNs && !wantNs.has(ns)) continue;
      const version = db.spec?.version;
      if (typeof version !== 'string' || version === '') continue;
      scanned++;
      const topology = topologyOf(db);
      const cat = entries(topology);
      const current = cat.byName.get(version);
      if (!current) {
        unknown.push(`${engine.name} ${ns}/${db.metadata.name} (${version})`);
        continue;
      }
      const memo = `${topology}\u0000${version}`;
      let newest = newestByVersion.get(memo);
      if (!newest) {
        newest = {};
        for (const t of allowedTargets(engine, current, cat.list)) newest[t.updateType] ??= t.entry.name; // newest first
        newestByVersion.set(memo, newest);
      }
      const kinds: Array<[DriftKind, string | undefined]> = [];
      if (current.deprecated) kinds.push(['deprecated', newest.patch ?? newest.minor ?? newest.major]);
      if (newest.major) kinds.push(['major', newest.major]);
      if (newest.minor) kinds.push(['minor', newest.minor]);
      if (newest.patch) kinds.push(['patch', newest.patch]);
      if (kinds.length) behind++;
      for (const [kind, to] of kinds) {
        totals[kind]++;
        const key = `${engine.name}\u0000${ns}\u0000${kind}`;
        let g = groups.get(key);
        if (!g) {
          g = { engine: engine.name, kind: engine.kind, namespace: ns, drift: kind, members: [] };
          groups.set(key, g);
        }
        g.members.push(to ? { name: db.metadata.name, from: version, to } : { name: db.metadata.name, from: version });
      }
    }
  }
  const order = (k: DriftKind) => DRIFT_KINDS.indexOf(k);
  const sorted = [...groups.values()].sort((a, b) => a.engine.localeCompare(b.engine) || a.namespace.localeCompare(b.namespace) || order(a.drift) - order(b.drift));
  for (const g of sorted) g.members.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  unknown.sort();
  return { cluster, groups: sorted, scanned, behind, totals, unknown };
}

/**
 * The newest target most members of a group move to (the prefill of a fleet request: one target per
 * request). Ties: the first in member order. Undefined when no member has a target.
 */
export function commonTarget(group: DriftGroup): string | undefined {
  const count = new Map<string, number>();
  for (const m of group.members) if (m.to) count.set(m.to, (count.get(m.to) ?? 0) + 1);
  let best: string | undefined;
  let n = 0;
  for (const [to, c] of count) {
    if (c > n) {
      best = to;
      n = c;
    }
  }
  return best;
}

/**
 * Rows for the `dbupdate_databases_behind{engine,namespace,kind}` gauge: one per group (count of members).
 */
export function driftGaugeRows(report: DriftReport): Array<{ engine: string; namespace: string; kind: DriftKind; count: number }> {
  return report.groups.map((g) => ({ engine: g.engine, namespace: g.namespace, kind: g.drift, count: g.members.length }));
}
