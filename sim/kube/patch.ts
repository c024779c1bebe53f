/**
 * The patch formats of the Kubernetes API (api-concepts, "Patch operations";
 * https://kubernetes.io/docs/tasks/manage-kubernetes-objects/update-api-object-kubectl-patch/):
 * - `application/merge-patch+json`: RFC 7386 JSON merge patch (null deletes a key, lists are replaced).
 * - `application/json-patch+json`: RFC 6902 JSON patch (list of operations).
 * - `application/strategic-merge-patch+json`: merge patch whose lists of objects are merged by a key
 *   (`patchMergeKey` in the Go types, e.g. containers by `name`), with `$patch: delete|replace` directives.
 *   Built-in kinds only; custom resources answer 415.
 * - `application/apply-patch+yaml`: server-side apply. Approximated as create-or-merge (no field ownership).
 */
import mergePatch from 'json-merge-patch';
import jsonPatch from 'fast-json-patch';
import type { Operation } from 'fast-json-patch';
import { badRequest, StatusError, statusObject } from './status.js';

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
type JsonMap = { [k: string]: Json };

const isMap = (v: unknown): v is JsonMap => v !== null && typeof v === 'object' && !Array.isArray(v);

/** Deep copy through JSON (objects in the emulator are plain JSON). */
export function clone<T>(v: T): T {
  return v === undefined ? v : (JSON.parse(JSON.stringify(v)) as T);
}

/** RFC 7386 merge patch; `target` is not modified. @throws 400 when the patch is not a JSON object. */
export function applyMergePatch<T>(target: T, patch: unknown): T {
  if (!isMap(patch)) throw badRequest('error decoding patch: the merge patch must be a JSON object');
  return mergePatch.apply(clone(target), clone(patch)) as T;
}

/**
 * RFC 6902 JSON patch; `target` is not modified.
 * @throws 400 when the body is not a list of operations; 422 (as `NewGenericServerResponse(422…)` does)
 *   when an operation cannot be applied (missing path, failed `test`).
 */
export function applyJsonPatch<T>(target: T, ops: unknown): T {
  if (!Array.isArray(ops)) throw badRequest('json: cannot unmarshal object into Go value of type jsonpatch.Patch');
  try {
    return jsonPatch.applyPatch(clone(target), ops as Operation[], true, true).newDocument as T;
  } catch {
    throw new StatusError(
      // The real server answers a patch it cannot apply with an empty details (the cause stays in its log).
      statusObject(422, 'Invalid', 'the server rejected our request due to an error in our request', {}),
    );
  }
}

/**
 * Merge keys of lists in built-in kinds (`patchMergeKey` tags in k8s.io/api): the list field name, and the
 * key its items are matched by. `ports` is matched by `containerPort` in containers and `port` in services.
 */
const MERGE_KEYS: Record<string, string | ((item: JsonMap) => string)> = {
  containers: 'name',
  initContainers: 'name',
  ephemeralContainers: 'name',
  volumes: 'name',
  env: 'name',
  volumeMounts: 'mountPath',
  volumeDevices: 'devicePath',
  imagePullSecrets: 'name',
  conditions: 'type',
  hostAliases: 'ip',
  topologySpreadConstraints: 'topologyKey',
  ownerReferences: 'uid',
  ports: (item) => ('containerPort' in item ? 'containerPort' : 'port'),
};

/** Lists of primitives merged as sets (patchStrategy merge without a key). */
const MERGE_PRIMITIVE_LISTS = new Set(['finalizers']);

function mergeKeyFor(field: string, sample: JsonMap | undefined): string | undefined {
  const k = MERGE_KEYS[field];
  if (k === undefined) return undefined;
  return typeof k === 'string' ? k : sample ? k(sample) : undefined;
}

function mergeList(field: string, target: Json[] | undefined, patch: Json[]): Json[] {
  if (MERGE_PRIMITIVE_LISTS.has(field)) {
    const out = [...(target ?? [])];
    for (const p of patch) if (!out.some((t) => JSON.stringify(t) === JSON.stringify(p))) out.push(p);
    return out;
  }
  const firstMap = patch.find(isMap) as JsonMap | undefined;
  const key = mergeKeyFor(field, firstMap);
  if (!key || !patch.every(isMap)) {
    return patch.filter((p) => !(isMap(p) && p.$patch === 'delete')).map((p) => (isMap(p) ? stripDirectives(p) : p));
  }
  if (patch.length === 1 && isMap(patch[0]) && patch[0].$patch === 'replace') return [];
  const out = clone(target ?? []) as Json[];
  for (const p of patch as JsonMap[]) {
    const idx = out.findIndex((t) => isMap(t) && t[key] === p[key]);
    if (p.$patch === 'delete') {
      if (idx >= 0) out.splice(idx, 1);
      continue;
    }
    if (idx >= 0) out[idx] = strategicMerge(out[idx], p);
    else out.push(stripDirectives(p));
  }
  return out;
}

function stripDirectives(v: JsonMap): JsonMap {
  const out: JsonMap = {};
  for (const [k, val] of Object.entries(v)) {
    if (k.startsWith('$')) continue;
    out[k] = isMap(val) ? stripDirectives(val) : val;
  }
  return out;
}

/**
 * Strategic merge patch of a built-in kind (see module doc). Supports `$patch: delete` (map or list item),
 * `$patch: replace` (map), `$deleteFromPrimitiveList/<field>`; `$setElementOrder/<field>` and `$retainKeys`
 * (sent by kubectl's client-side apply) are accepted and ignored. `target` is not modified.
 * @throws 400 when the patch is not a JSON object.
 */
export function applyStrategicMergePatch<T>(target: T, patch: unknown): T {
  if (!isMap(patch)) throw badRequest('error decoding patch: the strategic merge patch must be a JSON object');
  return strategicMerge(clone(target) as unknown as Json, patch) as unknown as T;
}

function strategicMerge(target: Json | undefined, patch: JsonMap): Json {
  if (patch.$patch === 'replace') return stripDirectives(patch);
  if (patch.$patch === 'delete') return {};
  const out: JsonMap = isMap(target) ? { ...target } : {};
  for (const [k, v] of Object.entries(patch)) {
    if (k === '$patch' || k === '$retainKeys' || k.startsWith('$setElementOrder/')) continue;
    if (k.startsWith('$deleteFromPrimitiveList/')) {
      const field = k.slice('$deleteFromPrimitiveList/'.length);
      const cur = out[field];
      if (Array.isArray(cur) && Array.isArray(v)) out[field] = cur.filter((x) => !v.some((d) => JSON.stringify(d) === JSON.stringify(x)));
      continue;
    }
    if (v === null) delete out[k];
    else if (isMap(v)) {
      if (v.$patch === 'delete') delete out[k];
      else out[k] = strategicMerge(out[k], v);
    } else if (Array.isArray(v)) out[k] = mergeList(k, Array.isArray(out[k]) ? (out[k] as Json[]) : undefined, v);
    else out[k] = v;
  }
  return out;
}

/**
 * Server-side apply, approximated: the applied configuration is merged into the live object (maps
 * recursively; lists by merge key for built-in kinds, replaced for custom resources). No managedFields,
 * no conflict detection between field managers.
 */
export function applyApplyPatch<T>(target: T, applied: unknown, builtIn: boolean): T {
  if (!isMap(applied)) throw badRequest('error decoding YAML: the applied configuration must be an object');
  return (builtIn ? applyStrategicMergePatch(target, applied) : applyMergePatch(target, applied)) as T;
}
