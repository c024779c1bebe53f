/**
 * Typed resource helpers, one accessor per kind the bot touches, over the clients of a {@link Kube}
 * (`@kubernetes/client-node` 1.4): instead of `kube.custom.getNamespacedCustomObject({group, version,
 * plural, …}) as X` at every call site, e.g.
 *
 * ```ts
 * const db = await databases(kube, engine).get('demo', 'orders');          // DatabaseObject | undefined
 * await opsRequests(kube, engine).create(body, { dryRun: true });          // KubeDB's webhook judges it
 * await petSets(kube).mergePatch('demo', 'orders', { spec: { updateStrategy: … } });
 * ```
 *
 * Kinds (docs/architecture.md "State", "Pipelines"; API coordinates in `src/engines/table.ts`):
 * - `DatabaseUpdate` records (`dbupdate.dev/v1alpha1`, namespaced; CRD `deploy/crd-databaseupdate.yaml`): {@link databaseUpdates};
 * - `DatabaseUpdateBatch` fleet requests (same group; CRD `deploy/crd-databaseupdatebatch.yaml`): {@link databaseUpdateBatches};
 * - KubeDB database objects, per engine (`kubedb.com/v1`, or `v1alpha2` for MSSQLServer/Singlestore): {@link databases};
 * - `<Kind>OpsRequest` (`ops.kubedb.com/v1alpha1`, namespaced): {@link opsRequests};
 * - `<Kind>Version` catalogs (`catalog.kubedb.com/v1alpha1`, cluster-scoped): {@link catalogVersions};
 * - PetSets (`apps.k8s.appscode.com/v1`), StatefulSets (`apps/v1`), Pods: {@link petSets}, {@link statefulSets}, {@link pods};
 * - Leases (`coordination.k8s.io/v1`, the leader Lease and the per-database locks): {@link leases};
 * - Events (core/v1): {@link events}; API discovery: {@link servedResources}.
 *
 * Errors: every method rejects with client-node's `ApiException` (`.code` = HTTP status, `.body` = the
 * Kubernetes `Status` as JSON; read them with `statusCode`/`statusMessage` of `./errors.ts`). The codes
 * the API server answers (https://kubernetes.io/docs/reference/using-api/api-concepts/): 404 NotFound
 * (turned into `undefined` by `get`, into `false` by `delete`), 409 Conflict (a stale
 * `metadata.resourceVersion` on a patch (or a Lease replace), a failed delete precondition) or AlreadyExists (create),
 * 422 Invalid (schema or field validation), 400/403 from an admission webhook (KubeDB's), 403 Forbidden
 * (RBAC, `deploy/rbac.yaml`), 415 for a patch type the resource does not take, 429/5xx when the server is
 * overloaded. A write through a fenced `Kube` that no longer holds the Lease rejects with `FencedError`
 * before anything is sent; a request past its time limit with an `AbortError` (`./client.ts`).
 *
 * Writes never retry: the caller decides (records: `src/updates/records.ts`).
 */
import type { CoreV1Event, V1Lease, V1Pod, V1PodList } from '@kubernetes/client-node';
import { DATABASE_UPDATE, type DatabaseUpdate } from '../api/v1alpha1/databaseupdate.js';
import { DATABASE_UPDATE_BATCH, type DatabaseUpdateBatch } from '../api/v1alpha1/databaseupdatebatch.js';
import type { Kube } from './client.js';
import { MERGE_PATCH } from './client.js';
import { isNotFound, orUndefined } from './errors.js';
import { CATALOG_GROUP, CATALOG_VERSION, OPS_GROUP, OPS_VERSION, PETSET_GROUP, PETSET_PLURAL, PETSET_VERSION, type Engine } from '../engines/table.js';

// ---------------------------------------------------------------------------------------------------
// Shapes

/** The `metadata` fields the bot reads or writes on any object (Kubernetes `ObjectMeta`, RFC 3339 times). */
export interface ObjectMeta {
  name: string;
  namespace?: string;
  /** Set by the API server on create when `name` is empty: `generateName` + 5 random characters. */
  generateName?: string;
  uid?: string;
  resourceVersion?: string;
  generation?: number;
  creationTimestamp?: string;
  deletionTimestamp?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

/** Any object of the API: `apiVersion`, `kind` and {@link ObjectMeta}. */
export interface KubeObject {
  apiVersion?: string;
  kind?: string;
  metadata: ObjectMeta;
}

/** A list as the API server returns it (`<Kind>List`): `items` and the list's `metadata.resourceVersion`. */
export interface ObjectList<T> {
  apiVersion?: string;
  kind?: string;
  metadata?: { resourceVersion?: string; continue?: string };
  items: T[];
}

/**
 * A JSON merge patch of `T` (RFC 7386, `application/merge-patch+json`): any subset of the fields; objects
 * merge recursively, arrays and scalars replace, `null` deletes. Custom resources take merge patches but
 * refuse strategic merge (415). Put `metadata.resourceVersion` in the patch to make it conditional (409
 * when the object changed since).
 */
export type MergePatch<T> = T extends readonly unknown[]
  ? T
  : T extends object
    ? { [K in keyof T]?: MergePatch<T[K]> | null }
    : T;

/** A condition as KubeDB writes it on database objects and OpsRequests (`kmodules.xyz/client-go/api/v1.Condition`). */
export interface KubeCondition {
  type: string;
  status: string;
  reason?: string;
  message?: string;
  lastTransitionTime?: string;
  observedGeneration?: number;
}

/** The fields of a KubeDB database object the bot reads (`kubedb.com/v1` `<Kind>`; docs/kubedb-facts.md). */
export interface DatabaseObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace: string; uid?: string; resourceVersion?: string; generation?: number; labels?: Record<string, string> };
  spec: { version: string; replicas?: number; topology?: { mode?: string }; halted?: boolean; [k: string]: unknown };
  status?: { phase?: string; conditions?: KubeCondition[]; observedGeneration?: number };
}

/** The fields of a KubeDB OpsRequest the bot reads and writes (`ops.kubedb.com/v1alpha1` `<Kind>OpsRequest`). */
export interface OpsRequestObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace: string; generateName?: string; uid?: string; resourceVersion?: string; labels?: Record<string, string> };
  spec: {
    type: string;
    databaseRef?: { name: string };
    proxyRef?: { name: string };
    updateVersion?: { targetVersion: string };
    timeout?: string;
    apply?: 'IfReady' | 'Always';
  };
  status?: { phase?: string; conditions?: KubeCondition[]; observedGeneration?: number };
}

/**
 * A `<Kind>Version` catalog object (`catalog.kubedb.com/v1alpha1`, cluster-scoped). `spec` is left open:
 * `catalogEntryFromObject` (`src/engines/versions.ts`) validates it field by field.
 */
export interface CatalogObject {
  apiVersion?: string;
  kind?: string;
  metadata: { name: string; resourceVersion?: string; labels?: Record<string, string> };
  spec?: Record<string, unknown> & { version?: string; deprecated?: boolean };
}

/** A PetSet (`apps.k8s.appscode.com/v1`) or StatefulSet (`apps/v1`), reduced to what the direct pipeline reads and writes. */
export interface WorkloadObject {
  apiVersion?: string;
  kind?: string;
  metadata: { name: string; namespace?: string; resourceVersion?: string; generation?: number; labels?: Record<string, string> };
  spec: {
    replicas?: number;
    template?: {
      metadata?: { labels?: Record<string, string>; annotations?: Record<string, string> };
      spec?: { containers?: Array<{ name: string; image?: string; [k: string]: unknown }>; initContainers?: Array<{ name: string; image?: string; [k: string]: unknown }> };
    };
    updateStrategy?: { type?: string; rollingUpdate?: { partition?: number } };
  };
  status?: { updateRevision?: string; currentRevision?: string; readyReplicas?: number; observedGeneration?: number };
}

/**
 * An object to create: `metadata.name`, or `metadata.generateName` for the API server to complete (the
 * answer carries the name it chose). Any `T` is one.
 */
export type NewObject<T extends KubeObject> = Omit<T, 'metadata'> & { metadata: Omit<T['metadata'], 'name'> & { name?: string; generateName?: string } };

/** Write options: `dryRun` sends `?dryRun=All` (validated and admitted, webhooks included, nothing stored). */
export interface WriteOptions {
  dryRun?: boolean;
}

/** Delete options: preconditions (409 Conflict when the object's `uid`/`resourceVersion` differ) and propagation. */
export interface DeleteOptions {
  preconditions?: { uid?: string; resourceVersion?: string };
  propagationPolicy?: 'Foreground' | 'Background' | 'Orphan';
}

/** List options: a label selector (`a=b,c`), a field selector (`metadata.name=x`). */
export interface ListOptions {
  labelSelector?: string;
  fieldSelector?: string;
  /** Page size (API chunking, https://kubernetes.io/docs/reference/using-api/api-concepts/#retrieving-large-results-sets-in-chunks). */
  limit?: number;
  /** The `metadata.continue` token of the previous page. */
  _continue?: string;
}

// ---------------------------------------------------------------------------------------------------
// Custom resources (CustomObjectsApi)

/** API coordinates of a custom resource kind. */
export interface CustomKind {
  group: string;
  version: string;
  plural: string;
  kind: string;
}


/** `?dryRun=All` when asked for. */
const dry = (o?: WriteOptions) => (o?.dryRun ? { dryRun: 'All' } : {});
/** A V1DeleteOptions body (`preconditions`, `propagationPolicy`), or none. */
const deleteBody = (o?: DeleteOptions) =>
  o?.preconditions || o?.propagationPolicy ? { body: { ...(o.preconditions ? { preconditions: o.preconditions } : {}), ...(o.propagationPolicy ? { propagationPolicy: o.propagationPolicy } : {}) } } : {};

/** Await a DELETE: true when it deleted, false on 404 NotFound (already gone); any other error is thrown. */
async function deleted(request: Promise<unknown>): Promise<boolean> {
  try {
    await request;
    return true;
  } catch (err) {
    if (isNotFound(err)) return false;
    throw err;
  }
}

/**
 * Typed access to one namespaced custom resource kind in one cluster. Every method sends one request
 * (none retries; see the module comment for the errors). Objects returned are fresh from the API server
 * (not shared with any cache): the caller may change them.
 */
export class NamespacedResource<T extends KubeObject> {
  /** @param kube the cluster (its fence, if any, guards the writes); @param kind API coordinates. */
  constructor(
    readonly kube: Kube,
    readonly kind: CustomKind,
  ) {}

  /** `<group>/<version>`, the `apiVersion` of the kind's objects. */
  get apiVersion(): string {
    return `${this.kind.group}/${this.kind.version}`;
  }

  /** The API path of the kind in `namespace`, or across all namespaces (for informers: `src/kube/informer.ts`). */
  path(namespace?: string): string {
    const { group, version, plural } = this.kind;
    return namespace ? `/apis/${group}/${version}/namespaces/${namespace}/${plural}` : `/apis/${group}/${version}/${plural}`;
  }

  /** GET one object. @returns undefined on 404 NotFound. @throws ApiException (403, 429/5xx…). */
  async get(namespace: string, name: string): Promise<T | undefined> {
    return (await orUndefined(this.kube.custom.getNamespacedCustomObject({ ...this.coords(namespace), name }))) as T | undefined;
  }

  /** LIST the objects in `namespace` (all of them: no pagination). @throws ApiException (404 when the CRD is not installed, 403). */
  async list(namespace: string, opts: ListOptions = {}): Promise<T[]> {
    return (await this.listObject(namespace, opts)).items;
  }

  /** LIST across all namespaces (cluster-wide RBAC needed). @throws ApiException. */
  async listAll(opts: ListOptions = {}): Promise<T[]> {
    return (await this.listObject(undefined, opts)).items;
  }

  /**
   * The whole list answer (items and the list's resourceVersion) of `namespace`, or of all namespaces
   * when undefined: the `list` function an informer needs (`startInformer(kube, r.path(ns), () => r.listObject(ns))`).
   * @throws ApiException.
   */
  async listObject(namespace?: string, opts: ListOptions = {}): Promise<ObjectList<T>> {
    const { group, version, plural } = this.kind;
    const res = namespace
      ? await this.kube.custom.listNamespacedCustomObject({ group, version, plural, namespace, ...opts })
      : await this.kube.custom.listClusterCustomObject({ group, version, plural, ...opts });
    return res as ObjectList<T>;
  }

  /**
   * POST an object into `body.metadata.namespace` (`apiVersion`/`kind` filled in when absent), named by
   * `metadata.name` or, when that is empty, by the API server from `metadata.generateName`.
   * `opts.dryRun`: admitted and validated (KubeDB's webhook included), nothing stored; the answer is
   * the object as it would have been stored.
   * @throws ApiException 409 AlreadyExists (name taken), 422 Invalid, 400/403 from an admission webhook.
   */
  async create(body: NewObject<T>, opts: WriteOptions = {}): Promise<T> {
    const namespace = body.metadata.namespace;
    if (!namespace) throw new Error(`${this.kind.kind} ${body.metadata.name || body.metadata.generateName}: metadata.namespace is required to create it`);
    const full = { apiVersion: this.apiVersion, kind: this.kind.kind, ...body };
    return (await this.kube.custom.createNamespacedCustomObject({ ...this.coords(namespace), body: full, ...dry(opts) })) as T;
  }

  /**
   * PATCH with a JSON merge patch (RFC 7386) of the main resource (changes to `status` are ignored where
   * the CRD has a status subresource). @returns the object after the patch.
   * @throws ApiException 404, 409 Conflict (when the patch carries a stale `metadata.resourceVersion`), 422.
   */
  async mergePatch(namespace: string, name: string, patch: MergePatch<T>, opts: WriteOptions = {}): Promise<T> {
    return (await this.kube.custom.patchNamespacedCustomObject({ ...this.coords(namespace), name, body: patch, ...dry(opts) }, MERGE_PATCH)) as T;
  }

  /**
   * PATCH the status subresource with a JSON merge patch (only `status` changes; e.g. `{status: {slack: …}}`).
   * @returns the object after the patch. @throws ApiException 404, 409 Conflict (stale `metadata.resourceVersion` in the patch), 422.
   */
  async mergePatchStatus(namespace: string, name: string, patch: MergePatch<T>, opts: WriteOptions = {}): Promise<T> {
    return (await this.kube.custom.patchNamespacedCustomObjectStatus({ ...this.coords(namespace), name, body: patch, ...dry(opts) }, MERGE_PATCH)) as T;
  }

  /**
   * DELETE one object, optionally only if it is still the one read (`preconditions.uid` /
   * `preconditions.resourceVersion`). @returns true when deleted, false when it did not exist (404).
   * @throws ApiException 409 Conflict when a precondition fails (the object changed or was replaced).
   */
  async delete(namespace: string, name: string, opts: DeleteOptions = {}): Promise<boolean> {
    return deleted(this.kube.custom.deleteNamespacedCustomObject({ ...this.coords(namespace), name, ...deleteBody(opts) }));
  }

  private coords(namespace: string) {
    const { group, version, plural } = this.kind;
    return { group, version, plural, namespace };
  }
}

/**
 * Typed access to one cluster-scoped custom resource kind: lists only (the bot's RBAC grants `list`/`watch`
 * on the catalogs, not `get`, and it never writes one).
 */
export class ClusterResource<T extends KubeObject> {
  constructor(
    readonly kube: Kube,
    readonly kind: CustomKind,
  ) {}

  /** The kind's API path (for informers and `kube.cache`). */
  path(): string {
    return `/apis/${this.kind.group}/${this.kind.version}/${this.kind.plural}`;
  }

  /** LIST live (no cache). @throws ApiException (404 when the CRD is not installed). */
  async list(opts: ListOptions = {}): Promise<T[]> {
    return (await this.listObject(opts)).items;
  }

  /** The whole list answer (for informers). @throws ApiException. */
  async listObject(opts: ListOptions = {}): Promise<ObjectList<T>> {
    const { group, version, plural } = this.kind;
    return (await this.kube.custom.listClusterCustomObject({ group, version, plural, ...opts })) as ObjectList<T>;
  }

  /**
   * All objects, from the cluster's shared read cache once its informer has listed, else listed now
   * (`kube.cache`, `src/kube/cache.ts`). The objects may be the cache's own: read them, do not change them.
   * @throws ApiException from the live list.
   */
  async listCached(): Promise<T[]> {
    return (await this.kube.cache.list(this.path(), () => this.listObject() as never)) as unknown as T[];
  }
}

/**
 * `DatabaseUpdate` records (`src/api/v1alpha1/databaseupdate.ts`). Status: subresource
 * (`mergePatchStatus`; RBAC grants `patch` on `databaseupdates/status`).
 */
export function databaseUpdates(kube: Kube): NamespacedResource<DatabaseUpdate> {
  return new NamespacedResource<DatabaseUpdate>(kube, DATABASE_UPDATE);
}

/**
 * `DatabaseUpdateBatch` fleet requests (`src/api/v1alpha1/databaseupdatebatch.ts`). Status: subresource
 * (RBAC grants `patch` on `databaseupdatebatches/status`).
 */
export function databaseUpdateBatches(kube: Kube): NamespacedResource<DatabaseUpdateBatch> {
  return new NamespacedResource<DatabaseUpdateBatch>(kube, DATABASE_UPDATE_BATCH);
}

/** The KubeDB database objects of `engine` (e.g. `mysqls.kubedb.com/v1`). Status: subresource. */
export function databases(kube: Kube, engine: Engine): NamespacedResource<DatabaseObject> {
  return new NamespacedResource<DatabaseObject>(kube, { group: engine.group, version: engine.version, plural: engine.plural, kind: engine.kind });
}

/** The `<Kind>OpsRequest` objects of `engine` (`ops.kubedb.com/v1alpha1`; served only where KubeDB Ops Manager is installed). */
export function opsRequests(kube: Kube, engine: Engine): NamespacedResource<OpsRequestObject> {
  return new NamespacedResource<OpsRequestObject>(kube, { group: OPS_GROUP, version: OPS_VERSION, plural: engine.opsRequestPlural, kind: engine.opsRequestKind });
}

/** The `<Kind>Version` catalog of `engine` (cluster-scoped; RedisSentinel reads `RedisVersion`). */
export function catalogVersions(kube: Kube, engine: Engine): ClusterResource<CatalogObject> {
  return new ClusterResource<CatalogObject>(kube, { group: CATALOG_GROUP, version: CATALOG_VERSION, plural: engine.catalogPlural, kind: engine.catalogKind });
}

/** PetSets (`apps.k8s.appscode.com/v1`, the workloads KubeDB's provisioner creates). */
export function petSets(kube: Kube): NamespacedResource<WorkloadObject> {
  return new NamespacedResource<WorkloadObject>(kube, { group: PETSET_GROUP, version: PETSET_VERSION, plural: PETSET_PLURAL, kind: 'PetSet' });
}

// ---------------------------------------------------------------------------------------------------
// Built-in kinds (typed clients of client-node; thin, for the same 404/precondition conventions)

/** StatefulSets (`apps/v1`), the workloads of older KubeDB releases: get and merge patch. */
export function statefulSets(kube: Kube) {
  return {
    /** GET. @returns undefined on 404. @throws ApiException. */
    async get(namespace: string, name: string): Promise<WorkloadObject | undefined> {
      return (await orUndefined(kube.apps.readNamespacedStatefulSet({ name, namespace }))) as unknown as WorkloadObject | undefined;
    },
    /** PATCH (JSON merge patch). @throws ApiException 404, 409 Conflict (stale `metadata.resourceVersion` in the patch), 422. */
    async mergePatch(namespace: string, name: string, patch: MergePatch<WorkloadObject>): Promise<WorkloadObject> {
      return (await kube.apps.patchNamespacedStatefulSet({ name, namespace, body: patch }, MERGE_PATCH)) as unknown as WorkloadObject;
    },
  };
}

/** Pods (core/v1): list by label selector, delete with preconditions. */
export function pods(kube: Kube) {
  return {
    /** LIST in `namespace`. @throws ApiException. */
    async list(namespace: string, opts: ListOptions = {}): Promise<V1Pod[]> {
      return (await kube.core.listNamespacedPod({ namespace, ...opts })).items;
    },
    /** The API path of pods in `namespace`, or of all namespaces (for informers). */
    path(namespace?: string): string {
      return namespace ? `/api/v1/namespaces/${namespace}/pods` : '/api/v1/pods';
    },
    /** The whole list answer of `namespace`, or of all namespaces when undefined (an informer's `list`). @throws ApiException. */
    async listObject(namespace?: string, opts: ListOptions = {}): Promise<V1PodList> {
      return namespace ? kube.core.listNamespacedPod({ namespace, ...opts }) : kube.core.listPodForAllNamespaces(opts);
    },
    /** DELETE. @returns false when it did not exist (404). @throws ApiException 409 when a precondition fails. */
    async delete(namespace: string, name: string, opts: DeleteOptions = {}): Promise<boolean> {
      return deleted(kube.core.deleteNamespacedPod({ name, namespace, ...deleteBody(opts) }));
    },
  };
}

/**
 * Leases (`coordination.k8s.io/v1`): the leader Lease and the per-database locks (`src/kube/locks.ts`).
 * Times in a Lease spec are `MicroTime` strings (`microTime` of `./lease.ts`).
 */
export function leases(kube: Kube) {
  return {
    /** GET. @returns undefined on 404. @throws ApiException. */
    async get(namespace: string, name: string): Promise<V1Lease | undefined> {
      return orUndefined(kube.coordination.readNamespacedLease({ name, namespace }));
    },
    /** POST into `body.metadata.namespace`. @throws ApiException 409 AlreadyExists (someone else made it first). */
    async create(body: V1Lease): Promise<V1Lease> {
      const namespace = body.metadata?.namespace;
      if (!namespace) throw new Error(`Lease ${body.metadata?.name}: metadata.namespace is required to create it`);
      return kube.coordination.createNamespacedLease({ namespace, body });
    },
    /** PUT, guarded by `body.metadata.resourceVersion`. @throws ApiException 409 Conflict (changed since read), 404. */
    async replace(body: V1Lease): Promise<V1Lease> {
      const { name, namespace } = body.metadata ?? {};
      if (!name || !namespace) throw new Error('Lease: metadata.name and metadata.namespace are required to replace it');
      return kube.coordination.replaceNamespacedLease({ name, namespace, body });
    },
    /** DELETE. @returns false when it did not exist (404). @throws ApiException 409 when a precondition fails. */
    async delete(namespace: string, name: string, opts: DeleteOptions = {}): Promise<boolean> {
      return deleted(kube.coordination.deleteNamespacedLease({ name, namespace, ...deleteBody(opts) }));
    },
  };
}

/** Events (core/v1 `Event`; `kubectl describe` shows those whose `involvedObject` is the object). */
export function events(kube: Kube) {
  return {
    /** POST into `body.metadata.namespace` (use `generateName`). @throws ApiException (403 without `events` create). */
    async create(body: CoreV1Event): Promise<CoreV1Event> {
      const namespace = body.metadata?.namespace ?? body.involvedObject?.namespace;
      if (!namespace) throw new Error('Event: metadata.namespace is required to create it');
      return kube.core.createNamespacedEvent({ namespace, body });
    },
  };
}

// ---------------------------------------------------------------------------------------------------
// Discovery

/**
 * The resource names (plurals and subresources, e.g. `databaseupdates`, `databaseupdates/status`) the
 * cluster serves in `group/version` (`GET /apis/<group>/<version>`, API discovery; every authenticated
 * user may read it through the default `system:discovery` ClusterRole). Live, not cached (cached:
 * `kube.cache.servedResources`).
 * @throws ApiException 404 when the group/version is not served at all (its CRDs are not installed), 401, 403.
 */
export async function servedResources(kube: Kube, group: string, version: string): Promise<string[]> {
  const res = (await kube.custom.getAPIResources({ group, version })) as { resources?: Array<{ name: string }> };
  return (res.resources ?? []).map((r) => r.name);
}
