/**
 * Differential group `discovery`: the discovery documents (`/api`, `/apis`, `/api/v1`, `/apis/<g>`,
 * `/apis/<g>/<v>`) for built-in kinds and a CRD (names, kinds, verbs, short names, categories,
 * subresources), `/version`, and OpenAPI: `/openapi/v2` and `/openapi/v3` (the index, a group/version's
 * document with the component schemas `kubectl explain` reads, a CRD's schema). Entries are compared
 * for the resources the emulator serves, found by name (the real server serves more kinds).
 */
import type { Op } from './harness.js';
import { CR_GROUP, crdSetup, crdTeardown } from './kinds.js';
import { defineGroup } from './runner.js';

type Res = { name: string; namespaced: boolean; kind: string; verbs: string[]; shortNames?: string[]; categories?: string[]; singularName?: string };
const entry = (b: { resources: Res[] }, name: string) => {
  const r = b.resources.find((x) => x.name === name);
  return r ? { name: r.name, namespaced: r.namespaced, kind: r.kind, verbs: [...r.verbs].sort(), shortNames: r.shortNames, categories: r.categories, singularName: r.singularName } : 'absent';
};
const entries = (names: string[]) => Object.fromEntries(names.map((n) => [n, (b: { resources: Res[] }) => entry(b, n)]));
type Schema = { type?: string; properties?: Record<string, Schema>; required?: string[]; items?: Schema; 'x-kubernetes-group-version-kind'?: unknown; $ref?: string; allOf?: Schema[] };
const propsOf = (s: Schema | undefined) => Object.keys(s?.properties ?? {}).sort();
const v2def = (name: string) => (b: { definitions: Record<string, Schema> }) => {
  const d = b.definitions[name];
  return d ? { properties: propsOf(d), gvk: d['x-kubernetes-group-version-kind'] } : 'absent';
};
const v3schema = (match: (key: string) => boolean) => (b: { components: { schemas: Record<string, Schema> } }) => {
  const key = Object.keys(b.components?.schemas ?? {}).find(match);
  if (!key) return 'absent';
  const s = b.components.schemas[key];
  return { properties: propsOf(s), gvk: s['x-kubernetes-group-version-kind'] };
};

function discovery(): Op[] {
  const ops: Op[] = [...crdSetup('discovery')];
  const W_GV = `/apis/${CR_GROUP}/v1`;
  ops.push(
    { id: 'discovery/api', method: 'GET', path: '/api', pick: ['kind', 'versions'] },
    { id: 'discovery/apis', method: 'GET', path: '/apis', pick: ['kind', 'apiVersion'], probe: { apps: (b) => b.groups.find((g: { name: string }) => g.name === 'apps'), rbac: (b) => b.groups.find((g: { name: string }) => g.name === 'rbac.authorization.k8s.io'), crGroup: (b) => b.groups.find((g: { name: string }) => g.name.endsWith('.diff.dev') && g.name.includes('discovery')) } },
    { id: 'discovery/core-v1', method: 'GET', path: '/api/v1', pick: ['kind', 'groupVersion'], probe: entries(['configmaps', 'secrets', 'pods', 'pods/status', 'pods/log', 'pods/eviction', 'namespaces', 'namespaces/status', 'serviceaccounts', 'serviceaccounts/token', 'services', 'events', 'nodes']) },
    { id: 'discovery/apps', method: 'GET', path: '/apis/apps', pick: ['kind', 'name', 'versions', 'preferredVersion'] },
    { id: 'discovery/apps-v1', method: 'GET', path: '/apis/apps/v1', pick: ['kind', 'groupVersion'], probe: entries(['deployments', 'deployments/status', 'deployments/scale', 'statefulsets', 'statefulsets/status', 'statefulsets/scale']) },
    { id: 'discovery/coordination-v1', method: 'GET', path: '/apis/coordination.k8s.io/v1', pick: ['kind', 'groupVersion', 'resources'] },
    { id: 'discovery/rbac-v1', method: 'GET', path: '/apis/rbac.authorization.k8s.io/v1', pick: ['kind', 'groupVersion'], probe: entries(['roles', 'rolebindings', 'clusterroles', 'clusterrolebindings']) },
    { id: 'discovery/authorization-v1', method: 'GET', path: '/apis/authorization.k8s.io/v1', pick: ['kind'], probe: entries(['selfsubjectaccessreviews', 'selfsubjectrulesreviews']) },
    { id: 'discovery/authentication-v1', method: 'GET', path: '/apis/authentication.k8s.io/v1', pick: ['kind'], probe: entries(['selfsubjectreviews']) },
    { id: 'discovery/apiextensions-v1', method: 'GET', path: '/apis/apiextensions.k8s.io/v1', pick: ['kind'], probe: entries(['customresourcedefinitions', 'customresourcedefinitions/status']) },
    { id: 'discovery/cr-group', method: 'GET', path: `/apis/${CR_GROUP}`, pick: ['kind', 'name', 'versions', 'preferredVersion'] },
    { id: 'discovery/cr-group-version', method: 'GET', path: W_GV, pick: ['kind', 'groupVersion'], probe: { ...entries(['widgets', 'widgets/status', 'widgets/scale']), names: (b: { resources: Res[] }) => b.resources.map((r) => r.name).sort() } },
    { id: 'discovery/unknown-group', method: 'GET', path: '/apis/nope.diff.dev' },
    { id: 'discovery/unknown-group-version', method: 'GET', path: '/apis/apps/v9' },
    { id: 'discovery/version', method: 'GET', path: '/version', probe: { major: (b) => b.major, fields: (b) => Object.keys(b).sort() } },
    {
      id: 'discovery/aggregated',
      method: 'GET',
      path: '/apis',
      headers: { Accept: 'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json' },
      probe: {
        kind: (b) => b.kind,
        deployments: (b) => (b.kind === 'APIGroupDiscoveryList' ? b.items.find((g: { metadata: { name: string } }) => g.metadata.name === 'apps')?.versions?.[0]?.resources?.find((r: { resource: string }) => r.resource === 'deployments') : 'absent'),
        appsVersions: (b) => (b.kind === 'APIGroupDiscoveryList' ? b.items.find((g: { metadata: { name: string } }) => g.metadata.name === 'apps')?.versions?.map((v: { version: string; freshness: string }) => `${v.version} ${v.freshness}`) : 'absent'),
      },
    },
    {
      id: 'discovery/aggregated-core',
      method: 'GET',
      path: '/api',
      headers: { Accept: 'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json' },
      probe: {
        kind: (b) => b.kind,
        metadata: (b) => b.items?.[0]?.metadata,
        configmaps: (b) => b.items?.[0]?.versions?.[0]?.resources?.find((r: { resource: string }) => r.resource === 'configmaps'),
        namespaces: (b) => b.items?.[0]?.versions?.[0]?.resources?.find((r: { resource: string }) => r.resource === 'namespaces'),
      },
    },
    {
      id: 'discovery/aggregated-cr',
      method: 'GET',
      path: '/apis',
      headers: { Accept: 'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json' },
      probe: { widgets: (b) => b.items?.find((g: { metadata: { name: string } }) => g.metadata.name.endsWith('.diff.dev') && g.metadata.name.includes('discovery'))?.versions },
    },
    { id: 'discovery/openapi-v2', method: 'GET', path: '/openapi/v2', probe: { swagger: (b) => b.swagger, configMap: v2def('io.k8s.api.core.v1.ConfigMap'), deployment: v2def('io.k8s.api.apps.v1.Deployment') } },
    { id: 'discovery/openapi-v3-index', method: 'GET', path: '/openapi/v3', probe: { core: (b) => typeof b.paths['api/v1']?.serverRelativeURL, apps: (b) => typeof b.paths['apis/apps/v1']?.serverRelativeURL } },
    { id: 'discovery/openapi-v3-core', method: 'GET', path: '/openapi/v3/api/v1', probe: { openapi: (b) => b.openapi, configMap: v3schema((k) => k === 'io.k8s.api.core.v1.ConfigMap'), pod: v3schema((k) => k === 'io.k8s.api.core.v1.Pod') } },
    { id: 'discovery/openapi-v3-apps', method: 'GET', path: '/openapi/v3/apis/apps/v1', probe: { statefulSet: v3schema((k) => k === 'io.k8s.api.apps.v1.StatefulSet') } },
    {
      id: 'discovery/openapi-v3-cr',
      method: 'GET',
      path: `/openapi/v3${W_GV}`,
      // The real server publishes a new CRD's OpenAPI a moment after it is served.
      until: { code: 200, ms: 20_000 },
      probe: {
        widget: v3schema((k) => k.endsWith('.v1.Widget')),
        spec: (b) => {
          const key = Object.keys(b.components?.schemas ?? {}).find((k) => k.endsWith('.v1.Widget'));
          const spec = key ? (b.components.schemas[key] as Schema).properties?.spec : undefined;
          return spec ? { properties: propsOf(spec), required: spec.required, size: spec.properties?.size } : 'absent';
        },
      },
    },
    { id: 'discovery/openapi-v3-unknown', method: 'GET', path: '/openapi/v3/apis/nope.diff.dev/v1' },
    ...crdTeardown('discovery'),
  );
  return ops;
}

defineGroup('discovery', discovery());
