/**
 * Load manifests (e.g. the output of `kubectl kustomize deploy/`) into the emulator's {@link Store}
 * in-process: create what is missing, replace what exists.
 *
 * Order: as Helm's install order (`InstallOrder` in helm/pkg/release/util/kind_sorter.go), which puts
 * Namespaces, then policies and ServiceAccounts, Secrets/ConfigMaps, CRDs, RBAC, Services, workloads;
 * unknown kinds (custom resources) go last, after the CRDs that serve them. Here CRDs come right after
 * Namespaces (nothing earlier depends on them).
 * Multi-document YAML as kubectl reads it (`---` separators, empty documents skipped, `kind: List`
 * flattened: https://kubernetes.io/docs/reference/using-api/api-concepts/#collections).
 */
import { parseAllDocuments } from 'yaml';
import type { GVR, KubeObject, ResourceType } from './api.js';
import type { Store } from './store.js';

/** One object written by {@link applyManifests}. */
export interface AppliedObject {
  apiVersion: string;
  kind: string;
  name: string;
  namespace?: string;
  /** `created`, `configured` (replaced with changes) or `unchanged`, as kubectl prints. */
  action: 'created' | 'configured' | 'unchanged';
}

/** Options of {@link applyManifests}. */
export interface ApplyOptions {
  /** Namespace of namespaced objects that name none (default `default`, as kubectl with a default context). */
  namespace?: string;
}

const ORDER = [
  'Namespace',
  'CustomResourceDefinition',
  'NetworkPolicy',
  'ResourceQuota',
  'LimitRange',
  'PodSecurityPolicy',
  'PodDisruptionBudget',
  'ServiceAccount',
  'Secret',
  'SecretList',
  'ConfigMap',
  'StorageClass',
  'PersistentVolume',
  'PersistentVolumeClaim',
  'ClusterRole',
  'ClusterRoleList',
  'ClusterRoleBinding',
  'ClusterRoleBindingList',
  'Role',
  'RoleList',
  'RoleBinding',
  'RoleBindingList',
  'Service',
  'DaemonSet',
  'Pod',
  'ReplicationController',
  'ReplicaSet',
  'Deployment',
  'HorizontalPodAutoscaler',
  'StatefulSet',
  'Job',
  'CronJob',
  'IngressClass',
  'Ingress',
  'APIService',
];

function rank(kind: string): number {
  const i = ORDER.indexOf(kind);
  return i < 0 ? ORDER.length : i;
}

/** The documents of a multi-document YAML text, `List`s flattened and empty documents dropped. @throws on a YAML error. */
export function parseManifests(yamlText: string): KubeObject[] {
  const out: KubeObject[] = [];
  const add = (o: unknown): void => {
    if (o === null || o === undefined) return;
    if (typeof o !== 'object' || Array.isArray(o)) throw new Error(`manifest is not an object: ${JSON.stringify(o).slice(0, 80)}`);
    const obj = o as KubeObject;
    if (typeof obj.kind === 'string' && obj.kind.endsWith('List') && Array.isArray(obj.items)) {
      for (const item of obj.items as unknown[]) add(item);
      return;
    }
    if (!obj.apiVersion || !obj.kind || !obj.metadata?.name) throw new Error(`manifest lacks apiVersion, kind or metadata.name: ${JSON.stringify(o).slice(0, 120)}`);
    out.push(obj);
  };
  for (const doc of parseAllDocuments(yamlText)) {
    if (doc.errors.length) throw new Error(`invalid YAML: ${doc.errors[0].message}`);
    add(doc.toJS());
  }
  return out;
}

/** Whether `have` already holds everything `want` sets (objects: every key of `want`; arrays and scalars: equal). */
function contains(have: unknown, want: unknown): boolean {
  if (Array.isArray(want)) return Array.isArray(have) && have.length === want.length && want.every((w, i) => contains(have[i], w));
  if (want !== null && typeof want === 'object') {
    if (have === null || typeof have !== 'object' || Array.isArray(have)) return false;
    return Object.entries(want).every(([k, v]) => contains((have as Record<string, unknown>)[k], v));
  }
  return have === want;
}

function typeFor(store: Store, obj: KubeObject): ResourceType {
  const [group, version] = obj.apiVersion.includes('/') ? obj.apiVersion.split('/', 2) : ['', obj.apiVersion];
  const t = store.resourceTypes().find((x) => x.group === group && x.version === version && x.kind === obj.kind);
  if (!t) throw new Error(`no resource type for ${obj.kind} in ${obj.apiVersion} is served by the emulator (${obj.kind}/${obj.metadata.name})`);
  return t;
}

/**
 * Apply a multi-document YAML to the store: Namespaces first, then CRDs (so that the custom resources
 * after them are served), then the other kinds in Helm's install order; each object is created, or
 * replaced when it exists and differs from it (its resourceVersion taken from the stored object; status
 * is kept for types with a status subresource, as a PUT of the main resource does). An existing object
 * that already holds every field of the manifest is left alone (`unchanged`), so server-set defaults
 * survive a re-apply; a replaced Namespace keeps its `kubernetes.io/metadata.name` label, as the real
 * server sets it on every write.
 * @returns what was done to each object, in the order applied.
 * @throws an Error for a kind the store does not serve, or the store's StatusError (e.g. 422 Invalid).
 */
export function applyManifests(store: Store, yamlText: string, opts: ApplyOptions = {}): AppliedObject[] {
  const objs = parseManifests(yamlText)
    .map((o, i) => ({ o, i }))
    .sort((a, b) => rank(a.o.kind) - rank(b.o.kind) || a.i - b.i)
    .map((x) => x.o);
  const done: AppliedObject[] = [];
  for (const obj of objs) {
    const t = typeFor(store, obj);
    const gvr: GVR = { group: t.group, version: t.version, plural: t.plural };
    const namespace = t.namespaced ? obj.metadata.namespace || opts.namespace || 'default' : undefined;
    const body: KubeObject = { ...obj, metadata: { ...obj.metadata, ...(namespace ? { namespace } : {}) } };
    const existing = store.tryGet(gvr, namespace, obj.metadata.name);
    const rec = { apiVersion: obj.apiVersion, kind: obj.kind, name: obj.metadata.name, ...(namespace ? { namespace } : {}) };
    if (!existing) {
      store.create(gvr, body);
      done.push({ ...rec, action: 'created' });
      continue;
    }
    const { status: _s, ...wanted } = body;
    if (contains(existing, t.hasStatus ? wanted : body)) {
      done.push({ ...rec, action: 'unchanged' });
      continue;
    }
    if (t.group === '' && t.plural === 'namespaces') body.metadata.labels = { ...(body.metadata.labels ?? {}), 'kubernetes.io/metadata.name': body.metadata.name };
    body.metadata.resourceVersion = existing.metadata.resourceVersion;
    const updated = store.update(gvr, body);
    done.push({ ...rec, action: updated.metadata.resourceVersion === existing.metadata.resourceVersion ? 'unchanged' : 'configured' });
  }
  return done;
}
