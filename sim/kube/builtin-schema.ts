/**
 * Structural schemas of the built-in kinds, derived from `@kubernetes/client-node`'s generated models
 * (each `V1*` class lists its fields with `getAttributeTypeMap()`: JSON name, TypeScript type, OpenAPI
 * format; the models are generated from the Kubernetes OpenAPI document, so they are that document's
 * field tree). They serve two purposes:
 * - unknown-field detection for built-in kinds (the real server's strict decoder: `unknown field
 *   "spec.nope"`, dropped with a warning under `fieldValidation=Warn`), via the same pruning as CRDs
 *   (schema.ts), and the decoder's type errors (`json: cannot unmarshal number into Go struct field …`);
 * - the component schemas of `/openapi/v2` and `/openapi/v3` (openapi.ts), which `kubectl explain` reads.
 * Not carried by the models: descriptions, `required`, enums, list types; so neither is here.
 */
import * as k8s from '@kubernetes/client-node';
import type { JSONSchemaProps } from './schema.js';

interface Attribute {
  name: string;
  baseName: string;
  type: string;
  format: string;
}
type ModelClass = { getAttributeTypeMap(): Attribute[] };

const models = k8s as unknown as Record<string, ModelClass | undefined>;

/** The client-node model class of a built-in kind: `V1ConfigMap` for core/v1 ConfigMap, `V1StatefulSet` for apps/v1… */
export function modelName(version: string, kind: string): string {
  return `${version.charAt(0).toUpperCase()}${version.slice(1)}${kind}`;
}

/** Whether client-node has a model for the kind. */
export function hasModel(version: string, kind: string): boolean {
  return typeof models[modelName(version, kind)]?.getAttributeTypeMap === 'function';
}

const cache = new Map<string, JSONSchemaProps>();

/** Quantity maps and fields (`resources.limits`, `sizeLimit`…) accept numbers as well as strings. */
const QUANTITY_KEYS = new Set(['limits', 'requests', 'overhead', 'capacity', 'allocatable', 'hard', 'used', 'sizeLimit', 'storage']);

function typeSchema(type: string, format: string, depth: number, key: string): JSONSchemaProps {
  const map = type.match(/^\{ \[key: string\]: (.+); \}$/);
  if (map) return { type: 'object', additionalProperties: typeSchema(map[1], format, depth, key) };
  const arr = type.match(/^Array<(.+)>$/);
  if (arr) return { type: 'array', items: typeSchema(arr[1], format, depth, key) };
  switch (type) {
    case 'string':
      return QUANTITY_KEYS.has(key) ? { 'x-kubernetes-int-or-string': true } : { type: 'string', ...(format ? { format } : {}) };
    case 'number':
      return { type: format === 'double' ? 'number' : 'integer', ...(format ? { format } : {}) };
    case 'boolean':
      return { type: 'boolean' };
    case 'Date':
    case 'V1MicroTime':
      return { type: 'string', format: format || 'date-time' };
    case 'IntOrString':
      return { 'x-kubernetes-int-or-string': true };
    case 'any':
    case 'object':
      return { 'x-kubernetes-preserve-unknown-fields': true };
    default:
      return classSchema(type, depth + 1);
  }
}

function classSchema(cls: string, depth: number): JSONSchemaProps {
  const hit = cache.get(cls);
  if (hit) return hit;
  const m = models[cls];
  if (!m || typeof m.getAttributeTypeMap !== 'function' || depth > 40) return { type: 'object', 'x-kubernetes-preserve-unknown-fields': true };
  const schema: JSONSchemaProps = { type: 'object', properties: {} };
  cache.set(cls, schema); // recursive types (JSONSchemaProps) refer back to the same object
  for (const a of m.getAttributeTypeMap()) schema.properties![a.baseName] = typeSchema(a.type, a.format, depth, a.baseName);
  return schema;
}

/** The structural schema of a built-in kind (root object), or undefined when client-node has no model of it. */
export function builtinSchema(version: string, kind: string): JSONSchemaProps | undefined {
  return hasModel(version, kind) ? classSchema(modelName(version, kind), 0) : undefined;
}

/** The Go type name the decoder would print for a JSON value (`number`, `bool`, `string`, `array`, `object`). */
function goJsonType(v: unknown): string {
  if (Array.isArray(v)) return 'array';
  if (v === null) return 'null';
  if (typeof v === 'boolean') return 'bool';
  return typeof v;
}

/**
 * The first type mismatch of a built-in object against its schema, as the JSON decoder reports it
 * (`cannot unmarshal number into Go struct field .data of type string`), or undefined. `null` is always
 * accepted (the decoder leaves the zero value).
 */
export function decodeTypeError(x: unknown, s: JSONSchemaProps | undefined, path = ''): string | undefined {
  if (!s || x === null || x === undefined) return undefined;
  if (s['x-kubernetes-preserve-unknown-fields'] && !s.properties) return undefined;
  if (s['x-kubernetes-int-or-string']) {
    return typeof x === 'string' || typeof x === 'number' ? undefined : `cannot unmarshal ${goJsonType(x)} into Go struct field ${path} of type string`;
  }
  const want = s.type;
  const got = goJsonType(x);
  const ok =
    (want === 'string' && got === 'string') ||
    ((want === 'integer' || want === 'number') && got === 'number') ||
    (want === 'boolean' && got === 'bool') ||
    (want === 'array' && got === 'array') ||
    (want === 'object' && got === 'object');
  if (!ok) return `cannot unmarshal ${got} into Go struct field ${path} of type ${want === 'integer' ? 'int' : want === 'boolean' ? 'bool' : want === 'object' ? 'map' : want}`;
  if (Array.isArray(x)) {
    for (let i = 0; i < x.length; i++) {
      const e = decodeTypeError(x[i], s.items, path);
      if (e) return e;
    }
    return undefined;
  }
  if (got === 'object') {
    for (const [k, v] of Object.entries(x as Record<string, unknown>)) {
      const sub = s.properties?.[k] ?? (typeof s.additionalProperties === 'object' ? s.additionalProperties : undefined);
      const e = decodeTypeError(v, sub, `${path}.${k}`);
      if (e) return e;
    }
  }
  return undefined;
}

/** Meta types of k8s.io/apimachinery, named `io.k8s.apimachinery.pkg.apis.meta.v1.<Name>` in the OpenAPI documents. */
const META_TYPES = new Set(['ObjectMeta', 'ListMeta', 'LabelSelector', 'LabelSelectorRequirement', 'OwnerReference', 'ManagedFieldsEntry', 'Condition', 'Status', 'StatusDetails', 'StatusCause']);

/**
 * The definitions of a built-in kind as the OpenAPI documents publish them: one definition per model
 * class, nested classes by `$ref` (`<refPrefix><name>`), so that `kubectl explain` names a field's type
 * (`<[]EnvVar>`, `<ObjectMeta>`). Names are `io.k8s.api.<pkg>.<version>.<Type>` with the root kind's
 * package (client-node's models do not say which package a nested type comes from; kubectl shows only the
 * last segment), meta types under `io.k8s.apimachinery.pkg.apis.meta.v1`.
 * @returns the root definition's name and every definition, or undefined without a model.
 */
export function builtinDefinitions(version: string, kind: string, pkg: string, refPrefix: string): { root: string; definitions: Record<string, JSONSchemaProps> } | undefined {
  if (!hasModel(version, kind)) return undefined;
  const definitions: Record<string, JSONSchemaProps> = {};
  const nameOf = (cls: string) => {
    const type = cls.replace(/^V\d+(?:(?:alpha|beta)\d+)?/, '');
    return META_TYPES.has(type) ? `io.k8s.apimachinery.pkg.apis.meta.v1.${type}` : `io.k8s.api.${pkg}.${version}.${type}`;
  };
  const ref = (type: string, format: string, key: string): JSONSchemaProps => {
    const map = type.match(/^\{ \[key: string\]: (.+); \}$/);
    if (map) return { type: 'object', additionalProperties: ref(map[1], format, key) };
    const arr = type.match(/^Array<(.+)>$/);
    if (arr) return { type: 'array', items: ref(arr[1], format, key) };
    const m = models[type];
    if (!m || typeof m.getAttributeTypeMap !== 'function') return typeSchema(type, format, 0, key);
    define(type);
    return { $ref: `${refPrefix}${nameOf(type)}` } as JSONSchemaProps;
  };
  const define = (cls: string) => {
    const name = nameOf(cls);
    if (definitions[name]) return;
    const d: JSONSchemaProps = { type: 'object', properties: {} };
    definitions[name] = d;
    for (const a of models[cls]!.getAttributeTypeMap()) d.properties![a.baseName] = ref(a.type, a.format, a.baseName);
  };
  const root = modelName(version, kind);
  define(root);
  return { root: nameOf(root), definitions };
}
