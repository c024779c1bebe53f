/**
 * Cluster reads and writes of the direct pipeline, through `@kubernetes/client-node` 1.4 (promise API,
 * one object argument) by way of the typed accessors of `src/kube/resources.ts`. Custom resources (database
 * objects, PetSets) are changed with JSON merge patches
 * (`MERGE_PATCH`, RFC 7386: custom resources refuse strategic merge, docs/stack-notes.md) carrying
 * `metadata.resourceVersion`, so a concurrent change is a 409 Conflict instead of a lost update.
 * RBAC needed (deploy/rbac.yaml): `<databases>` patch, `<databases>/status` patch, `petsets` get/patch
 * (`statefulsets` for older kinds), `pods` list/delete, `<Kind>Version` list.
 */
import type { V1Pod } from '@kubernetes/client-node';
import type { Kube } from '../kube/client.js';
import { NotFoundError, isConflict } from '../kube/errors.js';
import { listCatalog } from '../kube/kubedb.js';
import { databases, petSets, pods, statefulSets, type DatabaseObject, type KubeCondition, type WorkloadObject } from '../kube/resources.js';
import type { Engine } from '../engines/table.js';
import { catalogEntryFromObject, type CatalogEntry } from '../engines/versions.js';
import { ROLE_LABEL, type PodView } from './direct-state.js';

export type { WorkloadObject } from '../kube/resources.js';

/** The workload's typed accessor: `PetSet` (`apps.k8s.appscode.com/v1`) or `StatefulSet` (`apps/v1`). */
const workloads = (kube: Kube, kind: 'PetSet' | 'StatefulSet') => (kind === 'StatefulSet' ? statefulSets(kube) : petSets(kube));

/** Read the workload (`PetSet` `apps.k8s.appscode.com/v1`, or `StatefulSet` `apps/v1`); undefined when missing. @throws ApiException. */
export async function getWorkload(kube: Kube, kind: 'PetSet' | 'StatefulSet', namespace: string, name: string): Promise<WorkloadObject | undefined> {
  return workloads(kube, kind).get(namespace, name);
}

/**
 * Merge-patch the workload's pod template containers and rolling-update partition, guarded by the
 * resourceVersion read. @throws ApiException (409 when the workload changed since it was read).
 */
export async function patchWorkload(
  kube: Kube,
  kind: 'PetSet' | 'StatefulSet',
  w: WorkloadObject,
  namespace: string,
  change: { containers?: unknown[]; initContainers?: unknown[]; partition: number },
): Promise<void> {
  const templateSpec: Record<string, unknown> = {};
  if (change.containers) templateSpec.containers = change.containers;
  if (change.initContainers) templateSpec.initContainers = change.initContainers;
  const body = {
    metadata: { resourceVersion: w.metadata.resourceVersion },
    spec: {
      ...(Object.keys(templateSpec).length ? { template: { spec: templateSpec } } : {}),
      updateStrategy: { type: 'RollingUpdate', rollingUpdate: { partition: change.partition } },
    },
  };
  await workloads(kube, kind).mergePatch(namespace, w.metadata.name, body);
}

function ordinalOf(name: string, setName: string): number {
  const m = /-(\d+)$/.exec(name);
  return m && name === `${setName}-${m[1]}` ? Number(m[1]) : -1;
}

/** A core v1 Pod as a {@link PodView}. */
function podView(p: V1Pod, setName: string): PodView {
  const images: Record<string, string> = {};
  for (const c of [...(p.spec?.initContainers ?? []), ...(p.spec?.containers ?? [])]) if (c.image) images[c.name] = c.image;
  return {
    name: p.metadata?.name ?? '',
    uid: p.metadata?.uid ?? '',
    ordinal: ordinalOf(p.metadata?.name ?? '', setName),
    role: p.metadata?.labels?.[ROLE_LABEL],
    phase: p.status?.phase ?? 'Unknown',
    ready: (p.status?.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True'),
    specImages: images,
    statuses: (p.status?.containerStatuses ?? []).map((s) => ({
      name: s.name,
      image: s.image ?? '',
      imageID: s.imageID ?? '',
      ready: s.ready === true,
      restartCount: s.restartCount ?? 0,
      ...(s.state?.waiting ? { waiting: { reason: s.state.waiting.reason, message: s.state.waiting.message } } : {}),
      ...(s.state?.terminated ? { terminated: { reason: s.state.terminated.reason, exitCode: s.state.terminated.exitCode } } : {}),
    })),
  };
}

/** The pods of workload `setName` of database `db` (KubeDB's labels; names `<set>-<ordinal>`), by ordinal. */
export async function listPods(kube: Kube, namespace: string, db: string, setName: string): Promise<PodView[]> {
  const items = await pods(kube).list(namespace, { labelSelector: `app.kubernetes.io/instance=${db},app.kubernetes.io/managed-by=kubedb.com` });
  return items
    .map((p) => podView(p, setName))
    .filter((p) => p.ordinal >= 0 && !(items.find((x) => x.metadata?.name === p.name)?.metadata?.deletionTimestamp))
    .sort((a, b) => a.ordinal - b.ordinal);
}

/** Delete a pod, only if it still has `uid` (delete precondition); a 404 or 409 (already replaced) is fine. */
export async function deletePod(kube: Kube, namespace: string, name: string, uid: string): Promise<void> {
  try {
    await pods(kube).delete(namespace, name, { preconditions: { uid } });
  } catch (err) {
    if (!isConflict(err)) throw err;
  }
}

/** The catalog entry named `name` (`<Kind>Version`), or undefined. @throws on API errors and a malformed entry. */
export async function getCatalogEntry(kube: Kube, engine: Engine, name: string, topology?: string): Promise<CatalogEntry | undefined> {
  const obj = (await listCatalog(kube, engine)).find((o) => o.metadata?.name === name);
  return obj ? catalogEntryFromObject(engine, obj, topology) : undefined;
}

/**
 * Read-modify-write of the database's `status.conditions` through the status subresource (merge patch
 * with the read resourceVersion; retried on 409 up to 5 times). `fn` returns the new list, or undefined
 * to write nothing. Returns the database read back after the write (or as read when nothing was written).
 * @throws ApiException on other errors; NotFoundError when the database does not exist.
 */
export async function updateConditions(
  kube: Kube,
  engine: Engine,
  namespace: string,
  name: string,
  fn: (db: DatabaseObject) => KubeCondition[] | undefined,
): Promise<DatabaseObject> {
  for (let attempt = 0; ; attempt++) {
    const db = await databases(kube, engine).get(namespace, name);
    if (!db) throw new NotFoundError(engine.kind, namespace, name);
    const next = fn(db);
    if (!next) return db;
    try {
      await databases(kube, engine).mergePatchStatus(namespace, name, { metadata: { resourceVersion: db.metadata.resourceVersion }, status: { conditions: next } });
    } catch (err) {
      if (isConflict(err) && attempt < 4) continue;
      throw err;
    }
    const back = await databases(kube, engine).get(namespace, name);
    if (!back) throw new NotFoundError(engine.kind, namespace, name);
    return back;
  }
}

/** Set the database object's `spec.version` (a catalog name) with a merge patch; returns the object as the patch left it. @throws ApiException (404, 422). */
export async function setDatabaseVersion(kube: Kube, engine: Engine, namespace: string, name: string, version: string): Promise<DatabaseObject> {
  return databases(kube, engine).mergePatch(namespace, name, { spec: { version } });
}
