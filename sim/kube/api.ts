/**
 * The in-process interface of the Kubernetes API emulator's object store.
 *
 * The HTTP server (`server.ts`) is a thin wire layer over a {@link ClusterStore}; the simulated
 * controllers (`sim/kubedb/`) talk to the same store in-process, the way a real controller talks to
 * the API server (they see the same resourceVersions, conflicts and watch events as HTTP clients do).
 *
 * Wire facts followed (Kubernetes API concepts, https://kubernetes.io/docs/reference/using-api/api-concepts/):
 * - `metadata.resourceVersion` is an opaque string; here it is a decimal counter shared by all objects,
 *   growing on every write (create, update, patch, delete).
 * - A write that carries a `metadata.resourceVersion` different from the stored one fails with 409 Conflict.
 * - Errors are `Status` objects: `{kind:"Status", apiVersion:"v1", status:"Failure", message, reason, code, details}`.
 */

/** Object metadata as the API server stores it (subset of `ObjectMeta`). */
export interface ObjectMeta {
  name: string;
  namespace?: string;
  uid?: string;
  resourceVersion?: string;
  generation?: number;
  creationTimestamp?: string;
  deletionTimestamp?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  ownerReferences?: Array<{ apiVersion: string; kind: string; name: string; uid: string; controller?: boolean }>;
  finalizers?: string[];
  [key: string]: unknown;
}

/** Any Kubernetes object: `apiVersion`, `kind`, `metadata` and free-form body (`spec`, `status`, `data`…). */
export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: ObjectMeta;
  [key: string]: unknown;
}

/** A resource type served by the emulator, as discovery describes it (`APIResource`). */
export interface ResourceType {
  /** API group; `""` for the core group (served under `/api/v1`). */
  group: string;
  version: string;
  /** Lower-case plural used in URLs, e.g. `mysqls`, `mysqlopsrequests`, `pods`. */
  plural: string;
  singular: string;
  kind: string;
  listKind: string;
  namespaced: boolean;
  shortNames?: string[];
  categories?: string[];
  /** Whether a `/status` subresource exists (writes to the main resource then ignore `status`). */
  hasStatus: boolean;
  /** True for types served from a `CustomResourceDefinition` (strategic merge then answers 415). */
  custom?: boolean;
  /** A custom resource's storage version (the CRD version marked `storage`): discovery's storageVersionHash names it. */
  storageVersion?: string;
  /** The CRD version's `additionalPrinterColumns` (server-side `kubectl get` table columns). */
  printerColumns?: PrinterColumn[];
  /** Verbs served (discovery's `verbs`); default: all of create, delete, deletecollection, get, list, patch, update, watch. */
  verbs?: string[];
  /** The CRD version's `schema.openAPIV3Schema`: writes are pruned, defaulted and validated by it (schema.ts). */
  schema?: Record<string, unknown>;
  /** The CRD version's `selectableFields`, as field-selector paths (`status.phase`): served besides `metadata.name`/`metadata.namespace`. */
  selectableFields?: string[];
  /** The CRD version's `subresources.scale` (JSON paths like `.spec.replicas`): the `/scale` subresource is served. */
  scale?: { specReplicasPath: string; statusReplicasPath: string; labelSelectorPath?: string };
}

/** One `additionalPrinterColumns` entry of a CRD version (`jsonPath` is a simple path like `.spec.x`). */
export interface PrinterColumn {
  name: string;
  /** `string`, `integer`, `number`, `boolean` or `date`. */
  type: string;
  jsonPath: string;
  format?: string;
  description?: string;
  /** 0 shows by default; higher only with `-o wide`. */
  priority?: number;
}

/** Identifies a resource type: group, version and plural. */
export interface GVR {
  group: string;
  version: string;
  plural: string;
}

/** A watch event, as on the wire (`{"type":"ADDED","object":{…}}`). */
export interface WatchEvent {
  /** `BOOKMARK`: only a resourceVersion (and annotations) in `object.metadata`, sent when the watch asked for bookmarks. */
  type: 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK';
  object: KubeObject;
}

/** Patch content types the emulator accepts (`Content-Type` header of a PATCH). */
export type PatchType =
  | 'application/merge-patch+json'
  | 'application/json-patch+json'
  | 'application/strategic-merge-patch+json'
  | 'application/apply-patch+yaml';

/** Options common to writes. `subresource: 'status'` writes only `.status`; a main write ignores `.status` when the type has a status subresource. */
export interface WriteOptions {
  subresource?: 'status';
  /** The `fieldManager` query parameter (required for server-side apply, `application/apply-patch+yaml`). */
  fieldManager?: string;
  /**
   * The manager recorded in `metadata.managedFields` (managedfields.ts: `fieldManager`, else the
   * User-Agent's product). Without it (in-process writes) managedFields are left as they are.
   */
  manager?: string;
  /** `force=true` of an apply: take the fields other managers own instead of answering 409 Conflict. */
  force?: boolean;
  /** @internal The applied configuration of a server-side apply (set by the store's patch). */
  applied?: KubeObject;
  /**
   * How fields a custom resource's schema does not know are answered (`fieldValidation` query parameter):
   * `Strict` → 400 `strict decoding error: unknown field "spec.x"`, `Warn` (default) → pruned with a
   * warning pushed to {@link warnings}, `Ignore` → pruned silently.
   */
  fieldValidation?: 'Strict' | 'Warn' | 'Ignore';
  /** Out: warnings of the write (`unknown field "spec.x"`), for the HTTP layer's `Warning` headers. */
  warnings?: string[];
  /**
   * `?dryRun=All`: validate and admit as usual, persist nothing, emit no watch event, do not advance the
   * resourceVersion (https://kubernetes.io/docs/reference/using-api/api-concepts/#dry-run).
   */
  dryRun?: boolean;
  /**
   * Validating admission: called with the object about to be stored (undefined on delete) and the stored
   * one (undefined on create) after the object is built, before it is stored; throws to deny (admission.ts).
   */
  admit?: (object: KubeObject | undefined, old: KubeObject | undefined) => void;
}

/**
 * The error the store throws; `status` is the wire `Status` object the HTTP layer sends with `code`.
 * Reasons used: `NotFound` (404), `AlreadyExists` (409), `Conflict` (409), `Invalid` (422),
 * `BadRequest` (400), `Expired`/`Gone` (410), `UnsupportedMediaType` (415), `Forbidden` (403),
 * `TooManyRequests` (429), `InternalError` (500).
 */
export interface StatusObject {
  kind: 'Status';
  apiVersion: 'v1';
  metadata: Record<string, unknown>;
  status: 'Failure';
  message: string;
  reason: string;
  details?: { name?: string; group?: string; kind?: string; causes?: Array<{ reason?: string; message: string; field?: string }>; retryAfterSeconds?: number };
  code: number;
}

/** The in-process store of the Kubernetes API emulator. All methods are synchronous; objects returned are deep copies. */
export interface ClusterStore {
  /** Register a resource type (idempotent). Built-in kinds are registered by the store's constructor. */
  register(type: ResourceType): void;
  /** The resource type for `gvr`, or undefined when not served. */
  resourceType(gvr: GVR): ResourceType | undefined;
  /** All served resource types. */
  resourceTypes(): ResourceType[];

  /** The object, or throws a 404 `StatusError`. `namespace` is ignored for cluster-scoped types. */
  get(gvr: GVR, namespace: string | undefined, name: string): KubeObject;
  /** The object or undefined (no throw). */
  tryGet(gvr: GVR, namespace: string | undefined, name: string): KubeObject | undefined;
  /** List, optionally in one namespace (undefined: all), filtered by a label selector string (`a=b,c!=d,e`, `k in (x,y)`). Returns items and the list's resourceVersion. */
  list(gvr: GVR, namespace: string | undefined, labelSelector?: string): { items: KubeObject[]; resourceVersion: string };
  /** Create; fills uid, resourceVersion, generation=1, creationTimestamp; `generateName` honoured. 409 AlreadyExists, 422 Invalid (bad name). */
  create(gvr: GVR, obj: KubeObject, opts?: WriteOptions): KubeObject;
  /** Replace (PUT). 409 Conflict when `metadata.resourceVersion` is set and stale; 404 when missing. Bumps generation when spec changes. */
  update(gvr: GVR, obj: KubeObject, opts?: WriteOptions): KubeObject;
  /** Patch with the given content type; 415 for strategic merge on custom resources. A `metadata.resourceVersion` inside the patch is a precondition (409 when stale). */
  patch(gvr: GVR, namespace: string | undefined, name: string, patch: unknown, type: PatchType, opts?: WriteOptions): KubeObject;
  /**
   * Delete; returns the deleted object, or the object now being deleted (finalizers pending, or a pod in
   * its grace period: it carries `metadata.deletionTimestamp`). Without `opts`, a pod is deleted at once.
   * 409 Conflict when a precondition of `opts` fails. `opts.dryRun`: nothing deleted; `opts.admit` may deny.
   */
  delete(gvr: GVR, namespace: string | undefined, name: string, opts?: import('./deletion.js').DeleteOptions & Pick<WriteOptions, 'dryRun' | 'admit'>): KubeObject;

  /** Current resourceVersion of the store (the newest write). */
  currentResourceVersion(): string;
  /**
   * Watch a resource type (optionally one namespace, label selector), starting after `resourceVersion`
   * (events newer than it are replayed from a bounded history; too old → throws 410 `Expired`).
   * Without resourceVersion: synthetic ADDED for every existing object first, then live events.
   * Returns a function that stops the watch.
   */
  watch(
    gvr: GVR,
    opts: { namespace?: string; labelSelector?: string; resourceVersion?: string },
    onEvent: (ev: WatchEvent) => void,
  ): () => void;
}
