/**
 * Typed access to KubeDB objects: database objects (`kubedb.com/v1`), the version catalog
 * (`catalog.kubedb.com/v1alpha1`, cluster-scoped) and OpsRequests (`ops.kubedb.com/v1alpha1`).
 * Shapes follow docs/kubedb-facts.md ("Confirmed since").
 */
import { compacted, isCompact } from './informer.js';
import type { Kube } from './client.js';
import { OPS_GROUP, OPS_VERSION, type Engine } from '../engines/table.js';
import { isNotFound } from './errors.js';
import { catalogVersions, databases, opsRequests, servedResources, type CatalogObject, type DatabaseObject, type OpsRequestObject } from './resources.js';

export type { DatabaseObject, KubeCondition, OpsRequestObject } from './resources.js';

/** OpsRequest phases after which it changes no more (KubeDB: Successful, Failed, Skipped, Denied). */
export const OPS_TERMINAL_PHASES = ['Successful', 'Failed', 'Skipped', 'Denied'];

/**
 * Whether the database carries KubeDB's `Paused` status condition with status `True` (set by
 * `kubectl dba pause` and approved for Ops Manager by the provisioner; docs/kubedb-facts.md).
 */
export function isPaused(db: DatabaseObject): boolean {
  return (db.status?.conditions ?? []).some((c) => c.type === 'Paused' && c.status === 'True');
}

/** Read a database object; undefined when it does not exist (404). @throws ApiException (403, 429/5xx…). */
export async function getDatabase(kube: Kube, engine: Engine, namespace: string, name: string): Promise<DatabaseObject | undefined> {
  return databases(kube, engine).get(namespace, name);
}

/**
 * All catalog objects (`<Kind>Version`) of an engine (cluster-scoped): from the cluster's catalog informer
 * once it has listed, else listed now (`src/kube/cache.ts`). Read-only: the objects may be the cache's.
 * @throws ApiException from the list (e.g. 404 when the engine's catalog CRD is not installed).
 */
export async function listCatalog(kube: Kube, engine: Engine): Promise<CatalogObject[]> {
  return catalogVersions(kube, engine).listCached();
}

/** List OpsRequests of an engine in a namespace. @throws ApiException (404 when Ops Manager's CRDs are not installed). */
export async function listOpsRequests(kube: Kube, engine: Engine, namespace: string): Promise<OpsRequestObject[]> {
  return opsRequests(kube, engine).list(namespace);
}

/** The name of the database an OpsRequest is for (`spec.databaseRef`, or `spec.proxyRef` for ProxySQL). */
export function opsRequestTarget(engine: Engine, ops: OpsRequestObject): string | undefined {
  return ops.spec[engine.opsRequestRefField]?.name;
}

/**
 * Whether the cluster serves the engine's OpsRequest kind, found by API discovery of
 * `ops.kubedb.com/v1alpha1` (present only where KubeDB Ops Manager is installed). The answer is reused
 * for `DISCOVERY_TTL_MS` (30 s, `src/kube/cache.ts`). @throws API errors other than 404.
 */
export async function servesOpsRequests(kube: Kube, engine: Engine): Promise<boolean> {
  const served = await kube.cache.servedResources(`${OPS_GROUP}/${OPS_VERSION}`, async () => {
    try {
      return await servedResources(kube, OPS_GROUP, OPS_VERSION);
    } catch (err) {
      if (isNotFound(err)) return []; // ops.kubedb.com not served: Ops Manager is not installed
      throw err;
    }
  });
  return served.includes(engine.opsRequestPlural);
}

/** A PetSet/StatefulSet-style deterministic OpsRequest name: `<db>-update-<target>-<suffix>`, DNS-1123, ≤ 63 chars. */
export function opsRequestName(database: string, targetVersion: string, suffix: string): string {
  const target = targetVersion.toLowerCase().replace(/[^a-z0-9-]+/g, '-');
  const raw = `${database}-update-${target}`.slice(0, 63 - suffix.length - 1).replace(/-+$/, '');
  return `${raw}-${suffix}`;
}

/**
 * Build an `UpdateVersion` OpsRequest (KubeDB ≥ v2023.04: `spec.type: UpdateVersion`,
 * `spec.updateVersion.targetVersion` = catalog object name; ProxySQL uses `spec.proxyRef`).
 */
export function buildOpsRequest(opts: {
  engine: Engine;
  namespace: string;
  name: string;
  database: string;
  targetVersion: string;
  labels: Record<string, string>;
  timeout?: string;
}): OpsRequestObject {
  const { engine } = opts;
  return {
    apiVersion: `${OPS_GROUP}/${OPS_VERSION}`,
    kind: engine.opsRequestKind,
    metadata: { name: opts.name, namespace: opts.namespace, labels: opts.labels },
    spec: {
      type: 'UpdateVersion',
      [engine.opsRequestRefField]: { name: opts.database },
      updateVersion: { targetVersion: opts.targetVersion },
      apply: 'IfReady',
      ...(opts.timeout ? { timeout: opts.timeout } : {}),
    },
  };
}

/** Create an OpsRequest. @throws ApiException (409 AlreadyExists when the name is taken; 400/403 from KubeDB's webhook). */
export async function createOpsRequest(kube: Kube, engine: Engine, ops: OpsRequestObject): Promise<OpsRequestObject> {
  return opsRequests(kube, engine).create(ops);
}

/** Read an OpsRequest; undefined when it does not exist. @throws ApiException (403, 429/5xx…). */
export async function getOpsRequest(kube: Kube, engine: Engine, namespace: string, name: string): Promise<OpsRequestObject | undefined> {
  return opsRequests(kube, engine).get(namespace, name);
}

/**
 * A finished OpsRequest (phase in {@link OPS_TERMINAL_PHASES}) cut down to what the watches still read
 * (name, labels, `spec.type`, the database ref, `status.phase`), for informers' `transform`: a cluster with
 * thousands of past OpsRequests then costs a few hundred bytes each in memory. An unfinished one is kept
 * whole. Marked with `compacted()` (src/kube/informer.ts): a reader that needs its conditions GETs it.
 */
export function compactOpsRequest(ops: OpsRequestObject): OpsRequestObject {
  if (isCompact(ops) || !OPS_TERMINAL_PHASES.includes(ops.status?.phase ?? 'Pending')) return ops;
  const { name, namespace, resourceVersion, uid, labels } = ops.metadata as OpsRequestObject['metadata'] & { uid?: string; resourceVersion?: string };
  const spec: Record<string, unknown> = { type: ops.spec.type };
  for (const [k, v] of Object.entries(ops.spec)) if (k.endsWith('Ref')) spec[k] = v;
  return compacted({ apiVersion: ops.apiVersion, kind: ops.kind, metadata: { name, namespace, resourceVersion, uid, labels }, spec, status: { phase: ops.status?.phase } } as OpsRequestObject);
}
