/**
 * Per-resource facts of the real API server's registry strategies that the emulator's store follows
 * (k8s.io/kubernetes pkg/registry/<group>/<resource>/strategy.go and the apiextensions custom resource
 * strategy), checked against kube-apiserver v1.36 by the differential suite (test/differential/):
 * - `metadata.generation` is kept only by kinds whose strategy sets it (custom resources, pods, the apps
 *   workloads, PodDisruptionBudgets, CRDs); a ConfigMap, Role or Lease has none;
 * - `AllowCreateOnUpdate`: a PUT of a missing Role, RoleBinding, ClusterRole(Binding) or Lease creates it (201);
 * - `AllowUnconditionalUpdate` is false for custom resources, Leases, PodDisruptionBudgets and CRDs: a PUT
 *   without `metadata.resourceVersion` is 422 `metadata.resourceVersion: Invalid value: 0: must be specified for an update`.
 */
import type { ResourceType } from './api.js';

type Res = Pick<ResourceType, 'group' | 'plural' | 'custom'>;

const GENERATION = new Set(['/pods', 'policy/poddisruptionbudgets', 'apiextensions.k8s.io/customresourcedefinitions']);
const CREATE_ON_UPDATE = new Set([
  'rbac.authorization.k8s.io/roles',
  'rbac.authorization.k8s.io/rolebindings',
  'rbac.authorization.k8s.io/clusterroles',
  'rbac.authorization.k8s.io/clusterrolebindings',
  'coordination.k8s.io/leases',
  '/events',
  'events.k8s.io/events',
]);
const CONDITIONAL_UPDATE_ONLY = new Set(['coordination.k8s.io/leases', 'policy/poddisruptionbudgets', 'apiextensions.k8s.io/customresourcedefinitions']);

const key = (t: Res) => `${t.group}/${t.plural}`;

/** Whether objects of the type carry `metadata.generation`. */
export function tracksGeneration(t: Res): boolean {
  return t.custom === true || t.group === 'apps' || GENERATION.has(key(t));
}

/** Whether a PUT of a missing object creates it (`AllowCreateOnUpdate`). */
export function createsOnUpdate(t: Res): boolean {
  return t.custom !== true && CREATE_ON_UPDATE.has(key(t));
}

/** Whether a PUT must carry `metadata.resourceVersion` (`AllowUnconditionalUpdate` false). */
export function requiresResourceVersionOnUpdate(t: Res): boolean {
  return t.custom === true || CONDITIONAL_UPDATE_ONLY.has(key(t));
}
