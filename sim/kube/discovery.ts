/**
 * Discovery documents (`/api`, `/apis`, `/apis/<g>`, `/api/v1`, `/apis/<g>/<v>`) and the built-in
 * resource types of the emulator.
 *
 * Shapes: `APIVersions`, `APIGroupList`, `APIGroup`, `APIResourceList` of meta/v1 (Kubernetes API
 * reference, "Discovery API", https://kubernetes.io/docs/concepts/overview/kubernetes-api/#discovery-api).
 * Aggregated discovery (`as=APIGroupDiscoveryList`, apidiscovery.k8s.io/v2) is served for `/api` and
 * `/apis` ({@link aggregatedDiscovery}); other Accept values get the plain documents.
 * Version order: Kubernetes version priority (GA > beta > alpha, then by number; CRD docs,
 * "Version priority").
 */
import { createHash } from 'node:crypto';
import type { ResourceType } from './api.js';

const ALL_VERBS = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'];

function t(group: string, version: string, kind: string, plural: string, namespaced: boolean, hasStatus: boolean, shortNames?: string[], categories?: string[]): ResourceType {
  return {
    group,
    version,
    plural,
    singular: kind.toLowerCase(),
    kind,
    listKind: `${kind}List`,
    namespaced,
    hasStatus,
    ...(shortNames ? { shortNames } : {}),
    ...(categories ? { categories } : {}),
  };
}

/** The built-in resource types the store registers at construction (short names and categories as in Kubernetes 1.32). */
export function builtinTypes(): ResourceType[] {
  return [
    { ...t('', 'v1', 'Namespace', 'namespaces', false, true, ['ns']), verbs: ['create', 'delete', 'get', 'list', 'patch', 'update', 'watch'] },
    t('', 'v1', 'Node', 'nodes', false, true, ['no']),
    t('', 'v1', 'Pod', 'pods', true, true, ['po'], ['all']),
    t('', 'v1', 'Service', 'services', true, true, ['svc'], ['all']),
    t('', 'v1', 'Secret', 'secrets', true, false),
    t('', 'v1', 'ConfigMap', 'configmaps', true, false, ['cm']),
    t('', 'v1', 'Event', 'events', true, false, ['ev']),
    t('', 'v1', 'ServiceAccount', 'serviceaccounts', true, false, ['sa']),
    { ...t('apps', 'v1', 'StatefulSet', 'statefulsets', true, true, ['sts'], ['all']), scale: { specReplicasPath: '.spec.replicas', statusReplicasPath: '.status.replicas' } },
    { ...t('apps', 'v1', 'Deployment', 'deployments', true, true, ['deploy'], ['all']), scale: { specReplicasPath: '.spec.replicas', statusReplicasPath: '.status.replicas' } },
    t('events.k8s.io', 'v1', 'Event', 'events', true, false, ['ev']),
    t('coordination.k8s.io', 'v1', 'Lease', 'leases', true, false),
    t('apiextensions.k8s.io', 'v1', 'CustomResourceDefinition', 'customresourcedefinitions', false, true, ['crd', 'crds'], ['api-extensions']),
    t('rbac.authorization.k8s.io', 'v1', 'Role', 'roles', true, false),
    t('rbac.authorization.k8s.io', 'v1', 'RoleBinding', 'rolebindings', true, false),
    t('rbac.authorization.k8s.io', 'v1', 'ClusterRole', 'clusterroles', false, false),
    t('rbac.authorization.k8s.io', 'v1', 'ClusterRoleBinding', 'clusterrolebindings', false, false),
    t('policy', 'v1', 'PodDisruptionBudget', 'poddisruptionbudgets', true, true, ['pdb']),
    // Registered webhooks are called over HTTPS by the server (admission.ts).
    t('admissionregistration.k8s.io', 'v1', 'ValidatingWebhookConfiguration', 'validatingwebhookconfigurations', false, false),
    // Served by access.ts (`kubectl auth can-i`), never stored.
    { ...t('authorization.k8s.io', 'v1', 'SelfSubjectAccessReview', 'selfsubjectaccessreviews', false, false), verbs: ['create'] },
    { ...t('authorization.k8s.io', 'v1', 'SelfSubjectRulesReview', 'selfsubjectrulesreviews', false, false), verbs: ['create'] },
    { ...t('authentication.k8s.io', 'v1', 'SelfSubjectReview', 'selfsubjectreviews', false, false), verbs: ['create'] },
  ];
}

/** Sort key of a Kubernetes version string: GA before beta before alpha, higher numbers first, others last. */
export function versionPriority(a: string, b: string): number {
  const parse = (v: string): [number, number, number] | undefined => {
    const m = v.match(/^v(\d+)(?:(alpha|beta)(\d+))?$/);
    if (!m) return undefined;
    return [m[2] === undefined ? 3 : m[2] === 'beta' ? 2 : 1, Number(m[1]), Number(m[3] ?? 0)];
  };
  const pa = parse(a);
  const pb = parse(b);
  if (pa && !pb) return -1;
  if (!pa && pb) return 1;
  if (!pa || !pb) return a.localeCompare(b);
  return pb[0] - pa[0] || pb[1] - pa[1] || pb[2] - pa[2];
}

/**
 * Subresources of built-in kinds the discovery document lists besides `status` and `scale` (kube-apiserver
 * 1.36 `/api/v1`); the emulator serves `portforward` only (portforward.ts), the others answer 404.
 */
const EXTRA_SUBRESOURCES: Record<string, Array<{ name: string; kind: string; verbs: string[]; group?: string; version?: string }>> = {
  '/pods': [
    { name: 'log', kind: 'Pod', verbs: ['get'] },
    { name: 'eviction', kind: 'Eviction', verbs: ['create'], group: 'policy', version: 'v1' },
  ],
  '/serviceaccounts': [{ name: 'token', kind: 'TokenRequest', verbs: ['create'], group: 'authentication.k8s.io', version: 'v1' }],
  '/namespaces': [{ name: 'finalize', kind: 'Namespace', verbs: ['update'] }],
};

/** The verbs of a custom resource in the order the apiextensions server lists them. */
const CR_VERBS = ['delete', 'deletecollection', 'get', 'list', 'patch', 'create', 'update', 'watch'];

/**
 * A resource's `storageVersionHash` as kube-apiserver computes it (k8s.io/apiserver
 * `discovery.StorageVersionHash`): base64 of the first 8 bytes of sha256(`<group>/<version>/<kind>`).
 */
export function storageVersionHash(group: string, version: string, kind: string): string {
  return createHash('sha256').update(`${group}/${version}/${kind}`).digest().subarray(0, 8).toString('base64');
}

/** `GET /api`: the core group's versions. */
export function apiVersions(serverAddress: string): Record<string, unknown> {
  return { kind: 'APIVersions', versions: ['v1'], serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress }] };
}

/** One `APIGroup` (named groups only) built from the served types. */
export function apiGroup(types: ResourceType[], group: string): Record<string, unknown> | undefined {
  const versions = [...new Set(types.filter((x) => x.group === group).map((x) => x.version))].sort(versionPriority);
  if (!group || versions.length === 0) return undefined;
  const gv = versions.map((v) => ({ groupVersion: `${group}/${v}`, version: v }));
  return { kind: 'APIGroup', apiVersion: 'v1', name: group, versions: gv, preferredVersion: gv[0] };
}

/** `GET /apis`: every named group with its versions and preferred version. */
export function apiGroupList(types: ResourceType[]): Record<string, unknown> {
  const groups = [...new Set(types.map((x) => x.group).filter((g) => g !== ''))];
  return {
    kind: 'APIGroupList',
    apiVersion: 'v1',
    groups: groups.map((g) => {
      const { kind: _k, apiVersion: _a, ...rest } = apiGroup(types, g)!;
      return rest;
    }),
  };
}

/**
 * `GET /api/v1` or `/apis/<g>/<v>`: an `APIResourceList` with each resource (verbs, shortNames,
 * categories, singularName) and a `<plural>/status` entry for types with a status subresource.
 * @returns undefined when the group/version is not served.
 */
export function apiResourceList(types: ResourceType[], group: string, version: string): Record<string, unknown> | undefined {
  const served = types.filter((x) => x.group === group && x.version === version);
  if (served.length === 0) return undefined;
  const resources: Array<Record<string, unknown>> = [];
  for (const r of served) {
    resources.push({
      name: r.plural,
      singularName: r.singular,
      ...(r.verbs ? {} : { storageVersionHash: storageVersionHash(group, r.storageVersion ?? version, r.kind) }),
      namespaced: r.namespaced,
      kind: r.kind,
      verbs: r.verbs ?? ALL_VERBS,
      ...(r.shortNames?.length ? { shortNames: r.shortNames } : {}),
      ...(r.categories?.length ? { categories: r.categories } : {}),
    });
    if (r.hasStatus) {
      resources.push({ name: `${r.plural}/status`, singularName: '', namespaced: r.namespaced, kind: r.kind, verbs: ['get', 'patch', 'update'] });
    }
    if (r.scale) {
      resources.push({ name: `${r.plural}/scale`, group: 'autoscaling', version: 'v1', singularName: '', namespaced: r.namespaced, kind: 'Scale', verbs: ['get', 'patch', 'update'] });
    }
    for (const sub of EXTRA_SUBRESOURCES[`${group}/${r.plural}`] ?? []) resources.push({ singularName: '', namespaced: r.namespaced, ...sub, name: `${r.plural}/${sub.name}` });
  }
  return { kind: 'APIResourceList', apiVersion: 'v1', groupVersion: group ? `${group}/${version}` : version, resources };
}

/** The media type of aggregated discovery (apidiscovery.k8s.io/v2), as kube-apiserver answers it. */
export const AGGREGATED_DISCOVERY = 'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList';

/** Whether an Accept header asks for aggregated discovery v2 (kubectl and client-go ask it first). */
export function wantsAggregated(accept: string | undefined): boolean {
  return (accept ?? '').split(',').some((p) => /g=apidiscovery\.k8s\.io/.test(p) && /v=v2(?!beta)/.test(p) && /as=APIGroupDiscoveryList/.test(p));
}

/**
 * Aggregated discovery (`GET /api` or `/apis` with {@link AGGREGATED_DISCOVERY} accepted): an
 * `APIGroupDiscoveryList` of the core group (`/api`) or the named groups (`/apis`), each version with its
 * resources (scope, singular, verbs, short names, categories, `responseKind` with empty group/version for the
 * resource's own kind) and subresources (status, scale), versions by priority, resources by name, freshness
 * `Current` (KEP-3352; shape checked against kube-apiserver 1.36 by the differential group `discovery`).
 */
export function aggregatedDiscovery(types: ResourceType[], core: boolean): Record<string, unknown> {
  const groups = core ? [''] : [...new Set(types.map((x) => x.group).filter((g) => g !== ''))];
  const items = groups.map((g) => {
    const versions = [...new Set(types.filter((x) => x.group === g).map((x) => x.version))].sort(versionPriority);
    return {
      metadata: g ? { name: g } : {},
      versions: versions.map((v) => ({
        version: v,
        resources: types
          .filter((x) => x.group === g && x.version === v)
          .sort((a, b) => a.plural.localeCompare(b.plural))
          .map((r) => {
            // Custom resources name their own kind with group and version, and list status before scale.
            const own = r.custom ? { group: r.group, version: r.version, kind: r.kind } : { group: '', version: '', kind: r.kind };
            const status = r.hasStatus ? [{ subresource: 'status', responseKind: own, verbs: ['get', 'patch', 'update'] }] : [];
            const scale = r.scale ? [{ subresource: 'scale', responseKind: { group: 'autoscaling', version: 'v1', kind: 'Scale' }, verbs: ['get', 'patch', 'update'] }] : [];
            const extra = (EXTRA_SUBRESOURCES[`${g}/${r.plural}`] ?? []).map((x) => ({ subresource: x.name, responseKind: { group: x.group ?? '', version: x.version ?? '', kind: x.kind }, verbs: x.verbs }));
            const subresources = r.custom ? [...status, ...scale] : [...status, ...scale, ...extra].sort((a, b) => a.subresource.localeCompare(b.subresource));
            return {
              resource: r.plural,
              responseKind: own,
              scope: r.namespaced ? 'Namespaced' : 'Cluster',
              singularResource: r.singular,
              verbs: r.verbs ?? (r.custom ? CR_VERBS : ALL_VERBS),
              ...(r.shortNames?.length ? { shortNames: r.shortNames } : {}),
              ...(r.categories?.length ? { categories: r.categories } : {}),
              ...(subresources.length ? { subresources } : {}),
            };
          }),
        freshness: 'Current',
      })),
    };
  });
  return { kind: 'APIGroupDiscoveryList', apiVersion: 'apidiscovery.k8s.io/v2', metadata: {}, items };
}
