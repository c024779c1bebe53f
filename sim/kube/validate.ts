/**
 * Object-metadata validation the API server applies to every write (`ValidateObjectMeta` in
 * k8s.io/apimachinery/pkg/api/validation): the name format of the kind, label keys and values.
 * Messages are the real ones (k8s.io/apimachinery/pkg/util/validation).
 */
import type { KubeObject, ResourceType } from './api.js';
import { invalid, type FieldError } from './status.js';

const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;
const QUALIFIED_NAME = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;

const SUBDOMAIN_MSG =
  "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";
const LABEL_MSG =
  "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')";
const LABEL_VALUE_MSG =
  "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')";

/** Kinds whose names are DNS-1123 labels (max 63) rather than subdomains (max 253). */
const LABEL_NAMED = new Set(['namespaces', 'services']);
/** Kinds whose names only have to be valid path segments (RBAC allows `system:…`). */
const PATH_SEGMENT_NAMED = new Set(['roles', 'rolebindings', 'clusterroles', 'clusterrolebindings']);

/** Field errors for a name of the given resource type (empty when valid). */
export function nameErrors(type: ResourceType, name: string): FieldError[] {
  const bad = (detail: string): FieldError[] => [{ field: 'metadata.name', reason: 'FieldValueInvalid', message: `Invalid value: "${name}": ${detail}` }];
  if (!type.custom && type.group === 'rbac.authorization.k8s.io' && PATH_SEGMENT_NAMED.has(type.plural)) {
    if (name === '.' || name === '..') return bad(`may not be '${name}'`);
    if (/[/%]/.test(name)) return bad(`may not contain '/' or '%'`);
    return [];
  }
  if (!type.custom && type.group === '' && LABEL_NAMED.has(type.plural)) {
    if (name.length > 63) return bad('must be no more than 63 characters');
    return DNS1123_LABEL.test(name) ? [] : bad(LABEL_MSG);
  }
  if (name.length > 253) return bad('must be no more than 253 characters');
  return DNS1123_SUBDOMAIN.test(name) ? [] : bad(SUBDOMAIN_MSG);
}

/** Field errors for `metadata.labels` (keys: qualified names with optional DNS prefix; values: ≤63, label value syntax). */
export function labelErrors(labels: Record<string, string> | undefined): FieldError[] {
  const errs: FieldError[] = [];
  for (const [k, v] of Object.entries(labels ?? {})) {
    const [prefix, name] = k.includes('/') ? [k.slice(0, k.indexOf('/')), k.slice(k.indexOf('/') + 1)] : ['', k];
    if ((prefix && !DNS1123_SUBDOMAIN.test(prefix)) || !QUALIFIED_NAME.test(name) || name.length > 63) {
      errs.push({ field: 'metadata.labels', reason: 'FieldValueInvalid', message: `Invalid value: "${k}": name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character` });
    }
    if (typeof v !== 'string' || v.length > 63 || !LABEL_VALUE.test(v)) {
      errs.push({ field: 'metadata.labels', reason: 'FieldValueInvalid', message: `Invalid value: "${String(v)}": ${LABEL_VALUE_MSG}` });
    }
  }
  return errs;
}

const STANDARD_FINALIZERS = new Set(['kubernetes', 'orphan', 'foregroundDeletion']);
const QUALIFIED_NAME_MSG =
  "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')";

/** Field errors for `metadata.finalizers` (`ValidateFinalizers`: qualified names; without a `/`, a standard name). */
export function finalizerErrors(finalizers: string[] | undefined): FieldError[] {
  const errs: FieldError[] = [];
  (finalizers ?? []).forEach((f, i) => {
    const slash = f.indexOf('/');
    const [prefix, name] = slash >= 0 ? [f.slice(0, slash), f.slice(slash + 1)] : ['', f];
    if ((slash >= 0 && !DNS1123_SUBDOMAIN.test(prefix)) || !QUALIFIED_NAME.test(name) || name.length > 63) {
      errs.push({ field: 'metadata.finalizers', reason: 'FieldValueInvalid', message: `Invalid value: ${JSON.stringify(f)}: ${QUALIFIED_NAME_MSG}` });
    }
    if (slash < 0 && !STANDARD_FINALIZERS.has(f)) {
      errs.push({ field: `metadata.finalizers[${i}]`, reason: 'FieldValueInvalid', message: `Invalid value: ${JSON.stringify(f)}: name is neither a standard finalizer name nor is it fully qualified` });
    }
  });
  return errs;
}

/**
 * Validate the metadata of an object about to be written.
 * @throws StatusError 422 Invalid listing every field error.
 */
export function validateMeta(type: ResourceType, obj: KubeObject): void {
  const name = obj.metadata.name;
  const errs = [
    ...(name ? nameErrors(type, name) : [{ field: 'metadata.name', reason: 'FieldValueRequired', message: 'Required value: name or generateName is required' }]),
    ...labelErrors(obj.metadata.labels),
    ...finalizerErrors(obj.metadata.finalizers),
  ];
  if (errs.length) throw invalid(type.kind, type.group, name ?? '', errs);
}

const CONFIG_KEY = /^[-._a-zA-Z0-9]+$/;
const CONFIG_KEY_MSG = "a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')";
const IMMUTABLE_MSG = 'Forbidden: field is immutable when `immutable` is set';

/**
 * The kind-specific validation of the few built-in kinds whose rules clients meet (pkg/apis/core/validation):
 * ConfigMap and Secret keys (`data[a b]: Invalid value: "a b": a valid config key must consist of …`),
 * their `immutable` flag (`data: Forbidden: field is immutable when \`immutable\` is set`), and a Pod's
 * `spec.containers: Required value`. Other kinds' Go validation is not simulated.
 * @throws StatusError 422 Invalid.
 */
export function validateBuiltin(type: ResourceType, obj: KubeObject, old?: KubeObject): void {
  if (type.custom || type.group !== '') return;
  const errs: FieldError[] = [];
  if (type.plural === 'configmaps' || type.plural === 'secrets') {
    const fields = type.plural === 'configmaps' ? ['data', 'binaryData'] : ['data'];
    for (const f of fields) {
      for (const k of Object.keys((obj[f] as Record<string, unknown> | undefined) ?? {})) {
        if (!CONFIG_KEY.test(k) || k.length > 253) errs.push({ field: `${f}[${k}]`, reason: 'FieldValueInvalid', message: `Invalid value: ${JSON.stringify(k)}: ${CONFIG_KEY_MSG}` });
      }
    }
    if (old?.immutable === true) {
      if (obj.immutable !== true) errs.push({ field: 'immutable', reason: 'FieldValueForbidden', message: IMMUTABLE_MSG });
      for (const f of fields) {
        if (JSON.stringify(obj[f] ?? {}) !== JSON.stringify(old[f] ?? {})) errs.push({ field: f, reason: 'FieldValueForbidden', message: IMMUTABLE_MSG });
      }
    }
  }
  if (type.plural === 'pods' && !old) {
    const containers = (obj.spec as { containers?: unknown[] } | undefined)?.containers;
    if (!Array.isArray(containers) || containers.length === 0) errs.push({ field: 'spec.containers', reason: 'FieldValueRequired', message: 'Required value' });
  }
  if (errs.length) throw invalid(type.kind, type.group, obj.metadata.name ?? '', errs);
}
