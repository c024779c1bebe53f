/**
 * The `/scale` subresource (autoscaling/v1 `Scale`) of Deployments, StatefulSets and custom resources
 * whose CRD declares `subresources.scale` ("Scale subresource" in the CRD docs,
 * https://kubernetes.io/docs/tasks/extend-kubernetes/custom-resources/custom-resource-definitions/#scale-subresource):
 * - GET answers `{kind: Scale, apiVersion: autoscaling/v1, metadata (name, namespace, uid, resourceVersion,
 *   creationTimestamp), spec: {replicas}, status: {replicas (0 when unset), selector}}`; the selector is
 *   the built-in's `spec.selector` as a label selector string, or the value at a CRD's `labelSelectorPath`;
 * - PUT/PATCH write `spec.replicas` into the object at `specReplicasPath` (a spec change: generation +1);
 *   a negative count is 422 (custom resources: the Scale's and the schema's causes, as kube-apiserver 1.36).
 */
import type { KubeObject, ResourceType } from './api.js';
import { invalid } from './status.js';

type Json = Record<string, unknown>;

function at(obj: unknown, path: string | undefined): unknown {
  if (!path) return undefined;
  let cur: unknown = obj;
  for (const seg of path.replace(/^\./, '').split('.')) cur = cur && typeof cur === 'object' ? (cur as Json)[seg] : undefined;
  return cur;
}

/** A label selector object as its string form (`app=d,tier in (a,b)`). */
function selectorString(sel: unknown): string | undefined {
  if (!sel || typeof sel !== 'object') return undefined;
  const s = sel as { matchLabels?: Record<string, string>; matchExpressions?: Array<{ key: string; operator: string; values?: string[] }> };
  const parts = Object.entries(s.matchLabels ?? {}).map(([k, v]) => `${k}=${v}`);
  for (const e of s.matchExpressions ?? []) {
    const op = e.operator === 'In' ? 'in' : e.operator === 'NotIn' ? 'notin' : e.operator;
    parts.push(op === 'Exists' ? e.key : op === 'DoesNotExist' ? `!${e.key}` : `${e.key} ${op} (${(e.values ?? []).join(',')})`);
  }
  return parts.join(',');
}

/** The Scale of an object of a type with a scale subresource. */
export function scaleOf(t: ResourceType, o: KubeObject): KubeObject {
  const sc = t.scale!;
  const selector = t.custom ? at(o, sc.labelSelectorPath) : selectorString(at(o, '.spec.selector'));
  const { name, namespace, uid, resourceVersion, creationTimestamp } = o.metadata;
  return {
    kind: 'Scale',
    apiVersion: 'autoscaling/v1',
    metadata: { name, namespace, uid, resourceVersion, creationTimestamp } as KubeObject['metadata'],
    spec: { replicas: at(o, sc.specReplicasPath) ?? (t.custom ? undefined : 1) },
    status: { replicas: at(o, sc.statusReplicasPath) ?? 0, ...(typeof selector === 'string' && selector ? { selector } : {}) },
  };
}

/**
 * The merge patch that writes a Scale's `spec.replicas` into the object.
 * @throws StatusError 422 when the count is not a non-negative integer.
 */
export function scalePatch(t: ResourceType, scale: KubeObject, name: string): Json {
  const replicas = (scale.spec as { replicas?: unknown } | undefined)?.replicas ?? 0;
  if (typeof replicas !== 'number' || !Number.isInteger(replicas) || replicas < 0) {
    const msg = `Invalid value: ${JSON.stringify(replicas)}: must be greater than or equal to 0`;
    const causes = [{ field: 'spec.replicas', reason: 'FieldValueInvalid', message: msg }];
    if (t.custom) causes.push({ field: t.scale!.specReplicasPath, reason: 'FieldValueInvalid', message: msg });
    throw invalid('Scale', 'autoscaling', name, causes);
  }
  const segs = t.scale!.specReplicasPath.replace(/^\./, '').split('.');
  let patch: unknown = replicas;
  for (const seg of segs.reverse()) patch = { [seg]: patch };
  return patch as Json;
}
