/**
 * The inputs of a drift report, read from the cluster's shared read cache (`src/kube/cache.ts`): one
 * informer per database kind (cluster-wide list in pages of 500 + watch; RBAC `list`/`watch` on the
 * database kinds) and the catalog informers preflight already uses. After the first report, a report
 * costs no API request: no LIST per report (issue #19 item 2).
 *
 * Database objects are kept cut down to what drift reads (name, namespace, `spec.version`,
 * `spec.topology.mode`), so 10,000 databases cost a few hundred bytes each in memory.
 * Engines whose kind the cluster does not serve (API discovery of `kubedb.com/v1`, cached 30 s) are
 * skipped.
 */
import type { Kube } from '../kube/client.js';
import { isNotFound } from '../kube/errors.js';
import { listInPages, compacted } from '../kube/informer.js';
import { listCatalog } from '../kube/kubedb.js';
import { databases, servedResources, type DatabaseObject } from '../kube/resources.js';
import { ENGINES, type Engine } from '../engines/table.js';
import { computeDrift, type DriftEngineInput, type DriftFilter, type DriftReport } from './compute.js';

/** A database object cut down to the fields drift reads (an informer transform). */
export function compactDatabase(db: DatabaseObject): DatabaseObject {
  const { name, namespace, resourceVersion, uid } = db.metadata;
  const spec: DatabaseObject['spec'] = { version: db.spec?.version };
  if (db.spec?.topology?.mode) spec.topology = { mode: db.spec.topology.mode };
  return compacted({ apiVersion: db.apiVersion, kind: db.kind, metadata: { name, namespace, resourceVersion, uid }, spec });
}

/** The plurals a cluster serves in an API group/version (cached), [] when the group is not served (404). */
async function served(kube: Kube, group: string, version: string): Promise<string[]> {
  return kube.cache.servedResources(`${group}/${version}`, async () => {
    try {
      return await servedResources(kube, group, version);
    } catch (err) {
      if (isNotFound(err)) return [];
      throw err;
    }
  });
}

/**
 * Every served engine's databases (cut down, from the cache) and catalog objects. `engines` narrows the
 * read (default: every engine of `src/engines/table.ts`). The objects are the caches' own: read only.
 * @throws API errors (403 without `list`/`watch` on a database kind or catalog; 5xx) — an engine whose
 *   catalog CRD is missing is reported with an empty catalog (its databases then count as unknown).
 */
export async function readDriftInputs(kube: Kube, engines: readonly Engine[] = ENGINES): Promise<DriftEngineInput[]> {
  const byGroup = new Map<string, string[]>();
  const out: DriftEngineInput[] = [];
  for (const engine of engines) {
    const gv = `${engine.group}/${engine.version}`;
    let plurals = byGroup.get(gv);
    if (!plurals) {
      plurals = await served(kube, engine.group, engine.version);
      byGroup.set(gv, plurals);
    }
    if (!plurals.includes(engine.plural)) continue;
    const resource = databases(kube, engine);
    const [dbs, catalog] = await Promise.all([
      kube.cache.list(resource.path(), () => listInPages((page) => resource.listObject(undefined, page), compactDatabase) as never, compactDatabase as never) as unknown as Promise<DatabaseObject[]>,
      listCatalog(kube, engine).catch((err) => {
        if (isNotFound(err)) return [];
        throw err;
      }),
    ]);
    out.push({ engine, databases: dbs, catalog });
  }
  return out;
}

/**
 * A drift report of one cluster from its caches (see {@link readDriftInputs}), narrowed by `filter`.
 * @throws what {@link readDriftInputs} throws.
 */
export async function driftReport(kube: Kube, filter: DriftFilter = {}): Promise<DriftReport> {
  const engines = filter.engines?.length ? ENGINES.filter((e) => filter.engines!.includes(e.name)) : ENGINES;
  return computeDrift(kube.name, await readDriftInputs(kube, engines), filter);
}
