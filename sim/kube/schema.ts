/**
 * Structural-schema handling of custom resources, as the apiextensions API server applies a CRD
 * version's `openAPIV3Schema` to every write (create, update, patch, and the `/status` subresource):
 * 1. **pruning**: fields the schema does not specify are dropped (unless under
 *    `x-kubernetes-preserve-unknown-fields: true`); at the root (and in `x-kubernetes-embedded-resource`
 *    objects) `apiVersion`, `kind` and `metadata` are kept, and `metadata` keeps the `ObjectMeta` fields only;
 * 2. **defaulting**: a `default` is set where the field is missing; a `null` in a field that is not
 *    `nullable` is dropped first (replaced by the default if there is one);
 * 3. **validation** against the schema (types, enum, required, formats, bounds…), each failure a 422
 *    `Invalid` cause with the real message.
 * Source: "Extend the Kubernetes API with CustomResourceDefinitions", sections "Specifying a structural
 * schema", "Field pruning", "Defaulting" and "Validation"
 * (https://kubernetes.io/docs/tasks/extend-kubernetes/custom-resources/custom-resource-definitions/), and
 * the message mapping of `kubeOpenAPIResultToFieldErrors` (k8s.io/apiextensions-apiserver
 * pkg/apiserver/validation/validation.go): RequiredFail → `Required value`, EnumFail → `Unsupported value:
 * "x": supported values: "a", "b"`, InvalidType → `Invalid value: "string": spec.n in body must be of type
 * integer: "string"`, TooLong → `Too long: may not be more than N bytes`, others → `Invalid value: <v>:
 * <go-openapi message>`.
 *
 * Validation uses **ajv** (the maintained JSON-schema validator of the npm ecosystem) on a translation of
 * the OpenAPI v3.0 dialect to JSON Schema (`nullable`, boolean `exclusiveMinimum`, `x-kubernetes-int-or-string`,
 * the formats Kubernetes checks); ajv does the keyword semantics, this file only maps its errors to the
 * Kubernetes messages. Pruning and defaulting are the Kubernetes algorithms (ajv's `removeAdditional` /
 * `useDefaults` differ: they know neither the root `metadata` rule nor preserve-unknown-fields), so they
 * are written here.
 * Not simulated: CEL `x-kubernetes-validations`, list-type/map-type uniqueness, validation ratcheting.
 */
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';
import type { KubeObject, ResourceType, WriteOptions } from './api.js';
import { badRequest, invalid, type FieldError } from './status.js';
import { builtinSchema, decodeTypeError } from './builtin-schema.js';

/** A CRD version's `openAPIV3Schema` (or a node of it), as decoded JSON. */
export type JSONSchemaProps = Record<string, unknown> & {
  type?: string;
  properties?: Record<string, JSONSchemaProps>;
  additionalProperties?: JSONSchemaProps | boolean;
  items?: JSONSchemaProps;
  nullable?: boolean;
  default?: unknown;
  'x-kubernetes-preserve-unknown-fields'?: boolean;
  'x-kubernetes-embedded-resource'?: boolean;
  'x-kubernetes-int-or-string'?: boolean;
};

/** The `ObjectMeta` fields kept in `metadata` (k8s.io/apimachinery/pkg/apis/meta/v1 ObjectMeta). */
const OBJECT_META_FIELDS = new Set([
  'name',
  'generateName',
  'namespace',
  'selfLink',
  'uid',
  'resourceVersion',
  'generation',
  'creationTimestamp',
  'deletionTimestamp',
  'deletionGracePeriodSeconds',
  'labels',
  'annotations',
  'ownerReferences',
  'finalizers',
  'managedFields',
]);

type Json = unknown;
type Obj = Record<string, Json>;

function isObj(x: Json): x is Obj {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

function child(path: string, key: string): string {
  return path ? `${path}.${key}` : key;
}

/**
 * Prune `x` in place to what `schema` specifies.
 * @returns the paths of the dropped fields, as the real server names them (`spec.x`, `status.steps[0].y`, `metadata.z`).
 */
export function prune(x: Json, schema: JSONSchemaProps | undefined, path = '', root = true): string[] {
  const dropped: string[] = [];
  pruneInto(x, schema, path, root, dropped);
  return dropped;
}

function pruneInto(x: Json, s: JSONSchemaProps | undefined, path: string, root: boolean, dropped: string[]): void {
  if (!s) return;
  if (Array.isArray(x)) {
    if (s.items) x.forEach((v, i) => pruneInto(v, s.items, `${path}[${i}]`, false, dropped));
    return;
  }
  if (!isObj(x)) return;
  const embedded = root || s['x-kubernetes-embedded-resource'] === true;
  const preserve = s['x-kubernetes-preserve-unknown-fields'] === true;
  const props = s.properties ?? {};
  const addl = s.additionalProperties;
  for (const key of Object.keys(x)) {
    const p = child(path, key);
    if (embedded && (key === 'apiVersion' || key === 'kind')) continue;
    if (embedded && key === 'metadata') {
      const m = x[key];
      if (isObj(m)) {
        for (const mk of Object.keys(m)) {
          if (!OBJECT_META_FIELDS.has(mk)) {
            delete m[mk];
            dropped.push(child(p, mk));
          }
        }
      }
      continue;
    }
    if (Object.prototype.hasOwnProperty.call(props, key)) pruneInto(x[key], props[key], p, false, dropped);
    else if (isObj(addl)) pruneInto(x[key], addl, p, false, dropped);
    else if (!preserve && addl !== true) {
      delete x[key];
      dropped.push(p);
    }
  }
}

/**
 * Apply the schema's defaults to `x` in place: a missing property with a `default` gets a copy of it; a
 * `null` in a non-`nullable` property is dropped, or replaced by its default.
 */
export function applyDefaults(x: Json, s: JSONSchemaProps | undefined): void {
  if (!s) return;
  if (Array.isArray(x)) {
    if (s.items) for (const v of x) applyDefaults(v, s.items);
    return;
  }
  if (!isObj(x)) return;
  for (const [key, ps] of Object.entries(s.properties ?? {})) {
    if (x[key] === null && ps.nullable !== true) {
      if (ps.default !== undefined) x[key] = structuredClone(ps.default);
      else delete x[key];
    } else if (x[key] === undefined && ps.default !== undefined) x[key] = structuredClone(ps.default);
    if (x[key] !== undefined) applyDefaults(x[key], ps);
  }
  if (isObj(s.additionalProperties)) {
    for (const [key, v] of Object.entries(x)) if (!(key in (s.properties ?? {}))) applyDefaults(v, s.additionalProperties);
  }
}

/** Formats the Kubernetes validator checks that ajv-formats implements with the same meaning (others are not checked here). */
const AJV_FORMATS = ['date-time', 'date', 'uuid', 'ipv4', 'ipv6', 'hostname', 'email', 'uri'] as const;
/** Kubernetes' names of formats for ajv's (`datetime` is accepted as `date-time`). */
const FORMAT_ALIASES: Record<string, string> = { datetime: 'date-time', byte: 'byte' };

/** Translate a node of OpenAPI v3.0 structural schema to the JSON Schema ajv validates. */
export function toJsonSchema(s: JSONSchemaProps): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const copy = ['enum', 'required', 'minimum', 'maximum', 'minLength', 'maxLength', 'pattern', 'minItems', 'maxItems', 'uniqueItems', 'multipleOf', 'minProperties', 'maxProperties'];
  for (const k of copy) if (s[k] !== undefined) out[k] = s[k];
  if (s['x-kubernetes-int-or-string']) out.type = ['integer', 'string'];
  else if (s.type) out.type = s.nullable ? [s.type, 'null'] : s.type;
  if (s.nullable && Array.isArray(out.enum)) out.enum = [...(out.enum as unknown[]), null];
  if (s.exclusiveMinimum === true && typeof s.minimum === 'number') {
    out.exclusiveMinimum = s.minimum;
    delete out.minimum;
  }
  if (s.exclusiveMaximum === true && typeof s.maximum === 'number') {
    out.exclusiveMaximum = s.maximum;
    delete out.maximum;
  }
  if (typeof s.format === 'string') {
    const f = FORMAT_ALIASES[s.format] ?? s.format;
    if ((AJV_FORMATS as readonly string[]).includes(f) || f === 'byte') out.format = f;
  }
  if (s.properties) out.properties = Object.fromEntries(Object.entries(s.properties).map(([k, v]) => [k, toJsonSchema(v)]));
  if (isObj(s.additionalProperties)) out.additionalProperties = toJsonSchema(s.additionalProperties as JSONSchemaProps);
  if (s.items && isObj(s.items)) out.items = toJsonSchema(s.items);
  for (const k of ['allOf', 'anyOf', 'oneOf'] as const) {
    if (Array.isArray(s[k])) out[k] = (s[k] as JSONSchemaProps[]).map(toJsonSchema);
  }
  if (isObj(s.not)) out.not = toJsonSchema(s.not as JSONSchemaProps);
  return out;
}

// ajv-formats is CommonJS with a default export; under NodeNext the namespace may wrap it.
const addFormats = ((addFormatsModule as unknown as { default?: unknown }).default ?? addFormatsModule) as unknown as (a: Ajv, f: readonly string[]) => Ajv;

const ajv = new Ajv({ allErrors: true, strict: false, validateFormats: true });
addFormats(ajv, AJV_FORMATS);
// `byte`: base64-encoded data (kube-openapi strfmt "byte").
ajv.addFormat('byte', /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/);

const compiled = new Map<string, ValidateFunction>();

/** The ajv validator of a schema (compiled once per distinct schema). */
function validatorOf(schema: JSONSchemaProps): ValidateFunction {
  const key = JSON.stringify(schema);
  let v = compiled.get(key);
  if (!v) {
    v = ajv.compile(toJsonSchema(schema));
    if (compiled.size > 500) compiled.clear();
    compiled.set(key, v);
  }
  return v;
}

/** A value as `field.Error` prints it: strings quoted, numbers/booleans bare, null as `null`, objects as JSON. */
function show(v: unknown): string {
  if (v === null || v === undefined) return 'null';
  if (typeof v === 'string') return JSON.stringify(v);
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  return JSON.stringify(v);
}

/** The Kubernetes field path of an ajv instancePath (`/status/steps/0/name` → `status.steps[0].name`), walking the data to tell list indexes from map keys. */
function fieldPath(data: unknown, instancePath: string): { path: string; value: unknown } {
  let path = '';
  let cur: unknown = data;
  for (const raw of instancePath.split('/').slice(1)) {
    const seg = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (Array.isArray(cur)) {
      path += `[${seg}]`;
      cur = cur[Number(seg)];
    } else {
      path = child(path, seg);
      cur = isObj(cur) ? cur[seg] : undefined;
    }
  }
  return { path, value: cur };
}

function typeName(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'number') return Number.isInteger(v) ? 'integer' : 'number';
  return typeof v;
}

/** Map one ajv error to the Kubernetes field error (see the file comment for the mapping). */
function toFieldError(data: unknown, e: ErrorObject): FieldError | undefined {
  const { path, value } = fieldPath(data, e.instancePath);
  const p = e.params as Record<string, unknown>;
  switch (e.keyword) {
    case 'required':
      return { field: child(path, String(p.missingProperty)), reason: 'FieldValueRequired', message: 'Required value' };
    case 'enum': {
      const values = (p.allowedValues as unknown[]).filter((v) => v !== null).map((v) => (typeof v === 'string' ? `"${v}"` : `"${JSON.stringify(v)}"`));
      return { field: path, reason: 'FieldValueNotSupported', message: `Unsupported value: ${show(value)}: supported values: ${values.join(', ')}` };
    }
    case 'type': {
      const want = Array.isArray(p.type) ? (p.type as string[]).filter((t) => t !== 'null').join(',') : String(p.type);
      const actual = typeName(value);
      return { field: path, reason: 'FieldValueTypeInvalid', message: `Invalid value: "${actual}": ${path} in body must be of type ${want}: "${actual}"` };
    }
    case 'maxLength':
      return { field: path, reason: 'FieldValueTooLong', message: `Too long: may not be more than ${p.limit} bytes` };
    case 'maxItems':
      return { field: path, reason: 'FieldValueTooMany', message: `Too many: ${Array.isArray(value) ? value.length : 0}: must have at most ${p.limit} items` };
    case 'format':
      return { field: path, reason: 'FieldValueInvalid', message: `Invalid value: ${show(value)}: ${path} in body must be of type ${p.format}: ${show(value)}` };
    case 'minimum':
      return { field: path, reason: 'FieldValueInvalid', message: `Invalid value: ${show(value)}: ${path} in body should be greater than or equal to ${p.limit}` };
    case 'exclusiveMinimum':
      return { field: path, reason: 'FieldValueInvalid', message: `Invalid value: ${show(value)}: ${path} in body should be greater than ${p.limit}` };
    case 'maximum':
      return { field: path, reason: 'FieldValueInvalid', message: `Invalid value: ${show(value)}: ${path} in body should be less than or equal to ${p.limit}` };
    case 'exclusiveMaximum':
      return { field: path, reason: 'FieldValueInvalid', message: `Invalid value: ${show(value)}: ${path} in body should be less than ${p.limit}` };
    case 'minLength':
      return { field: path, reason: 'FieldValueInvalid', message: `Invalid value: ${show(value)}: ${path} in body should be at least ${p.limit} chars long` };
    case 'pattern':
      return { field: path, reason: 'FieldValueInvalid', message: `Invalid value: ${show(value)}: ${path} in body should match '${p.pattern}'` };
    case 'minItems':
      return { field: path, reason: 'FieldValueInvalid', message: `Invalid value: ${show(value)}: ${path} in body should have at least ${p.limit} items` };
    case 'uniqueItems':
      return { field: path, reason: 'FieldValueDuplicate', message: `Duplicate value: ${show(Array.isArray(value) ? value[Number(p.j)] : value)}` };
    case 'multipleOf':
      return { field: path, reason: 'FieldValueInvalid', message: `Invalid value: ${show(value)}: ${path} in body should be a multiple of ${p.multipleOf}` };
    case 'minProperties':
      return { field: path, reason: 'FieldValueInvalid', message: `Invalid value: ${show(value)}: ${path} in body should have at least ${p.limit} properties` };
    case 'maxProperties':
      return { field: path, reason: 'FieldValueInvalid', message: `Invalid value: ${show(value)}: ${path} in body should have at most ${p.limit} properties` };
    case 'if':
      return undefined;
    default:
      return { field: path, reason: 'FieldValueInvalid', message: `Invalid value: ${show(value)}: ${e.message ?? e.keyword}` };
  }
}

/** Validate `x` against the schema; the Kubernetes field errors (empty when valid). */
export function validateAgainst(x: Json, schema: JSONSchemaProps): FieldError[] {
  const v = validatorOf(schema);
  if (v(x)) return [];
  const out: FieldError[] = [];
  const seen = new Set<string>();
  for (const e of v.errors ?? []) {
    const fe = toFieldError(x, e);
    if (!fe) continue;
    if (e.keyword === 'type' && fe.message.includes('"number"') && /\binteger\b/.test(String((e.params as { type?: unknown }).type))) {
      // go-openapi also checks the default int format and reports it without a field path.
      out.push({ field: '<nil>', reason: 'FieldValueInvalid', message: `Invalid value: "": Checked value must be of type integer (default format) in ${fe.field}` });
    }
    const k = `${fe.field}\n${fe.message}`;
    if (!seen.has(k)) {
      seen.add(k);
      out.push(fe);
    }
  }
  return out;
}

/** How unknown fields are answered (`fieldValidation` query parameter, https://kubernetes.io/docs/reference/using-api/api-concepts/#field-validation). */
export type FieldValidation = 'Strict' | 'Warn' | 'Ignore';

/**
 * Prune and default a body about to be written (in place): a custom resource by its CRD version's schema
 * (pruning and defaults), a built-in kind by its client-node model (builtin-schema.ts: the decoder's type
 * errors and unknown fields, no defaults); a type with neither is left alone.
 * @param opts.fieldValidation `Strict` throws on a pruned field; `Warn` (the server's default) pushes
 *   `unknown field "<path>"` to `opts.warnings`; `Ignore` drops silently.
 * @param decoding true for create/update (the error is then prefixed `<Kind> in version "<v>" cannot be
 *   handled as a <Kind>: `, as the real handlers wrap decode errors), false for patches.
 * @throws StatusError 400 BadRequest `… strict decoding error: unknown field "spec.x"[, unknown field …]`
 *   (Strict, create/update) or a built-in's type error (`json: cannot unmarshal number into Go struct
 *   field .data of type string`); 422 Invalid with cause `patch` (Strict, patch: the real patcher reports
 *   `patch: Invalid value: "<patched object>": strict decoding error: …`).
 */
export function pruneAndDefault(t: ResourceType, obj: KubeObject, opts: WriteOptions, decoding = true): void {
  const crd = t.schema as JSONSchemaProps | undefined;
  const schema = crd ?? (t.custom ? undefined : builtinSchema(t.version, t.kind));
  if (!schema) return;
  const wrap = (m: string) => (decoding ? `${t.kind} in version "${t.version}" cannot be handled as a ${t.kind}: ${m}` : m);
  if (!crd) {
    const typeErr = decodeTypeError(obj, schema);
    if (typeErr) throw badRequest(wrap(`json: ${typeErr}`));
  }
  const before = opts.fieldValidation === 'Strict' && !decoding ? JSON.stringify(obj) : '';
  const dropped = prune(obj, schema);
  if (dropped.length) {
    const msgs = dropped.map((p) => `unknown field "${p}"`);
    if (opts.fieldValidation === 'Strict') {
      const strict = `strict decoding error: ${msgs.join(', ')}`;
      if (decoding) throw badRequest(wrap(strict));
      throw invalid('', '', '', [{ field: 'patch', reason: 'FieldValueInvalid', message: `Invalid value: ${JSON.stringify(before)}: ${strict}` }]);
    }
    if (opts.fieldValidation !== 'Ignore') opts.warnings?.push(...msgs);
  }
  if (crd) applyDefaults(obj, schema);
}

/**
 * Validate a custom resource against its type's schema (no-op without one).
 * @throws StatusError 422 Invalid `<Kind>.<group> "<name>" is invalid: <field>: <message>` with `details.causes`.
 */
export function validateCustomResource(t: ResourceType, obj: KubeObject, subresource?: string): void {
  const schema = t.schema as JSONSchemaProps | undefined;
  let errs = schema ? validateAgainst(obj, schema) : [];
  // A /status write is validated against the status schema: its messages name paths below `status`
  // (`replicas in body must be of type integer`), the fields stay rooted (`status.replicas`).
  if (subresource === 'status') errs = errs.map((e) => (e.field.startsWith('status.') ? { ...e, message: e.message.replace(` ${e.field} in body`, ` ${e.field.slice('status.'.length)} in body`) } : e));
  // kube-openapi walks properties in sorted order; the scale subresource's checks come after the schema's.
  // go-openapi: an object's required fields first, then its properties in sorted order.
  const key = (e: FieldError) =>
    e.field === '<nil>' ? `${e.message.replace(/^.* in /, '')}\u0001` : e.reason === 'FieldValueRequired' ? e.field.replace(/\.([^.]*)$/, '\u0000$1') : e.field;
  errs.sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
  // The scale subresource's accessor checks: specReplicasPath on main writes, statusReplicasPath on /status writes.
  if (t.scale) errs.push(...scaleErrors(obj, subresource === 'status' ? t.scale.statusReplicasPath : t.scale.specReplicasPath));
  if (errs.length) throw invalid(t.kind, t.group, obj.metadata?.name ?? '', errs);
}

/**
 * The checks a CRD's scale subresource adds on the main resource (apiextensions-apiserver
 * customresource validator `ValidateScaleSpec`): the value at `specReplicasPath` must be a non-negative int64.
 */
function scaleErrors(obj: KubeObject, specReplicasPath: string): FieldError[] {
  // (also used for statusReplicasPath: apiextensions' ValidateScaleStatus makes the same checks)
  let v: unknown = obj;
  for (const k of specReplicasPath.replace(/^\./, '').split('.')) v = v && typeof v === 'object' ? (v as Record<string, unknown>)[k] : undefined;
  if (v === undefined || v === null) return [];
  if (typeof v !== 'number' || !Number.isInteger(v)) {
    const go = typeof v === 'number' ? 'float64' : typeof v === 'boolean' ? 'bool' : Array.isArray(v) ? '[]interface {}' : typeof v === 'object' ? 'map[string]interface {}' : 'string';
    return [{ field: specReplicasPath, reason: 'FieldValueInvalid', message: `Invalid value: 0: ${specReplicasPath} accessor error: ${typeof v === 'object' ? JSON.stringify(v) : String(v)} is of the type ${go}, expected int64` }];
  }
  if (v < 0) return [{ field: specReplicasPath, reason: 'FieldValueInvalid', message: `Invalid value: ${v}: should be a non-negative integer` }];
  return [];
}
