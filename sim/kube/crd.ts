/**
 * `CustomResourceDefinition` (apiextensions.k8s.io/v1) handling: the resource types a CRD serves, the
 * checks the real API server makes on a CRD's name, and the status it reports once the CRD is accepted.
 * Source: "Extend the Kubernetes API with CustomResourceDefinitions"
 * (https://kubernetes.io/docs/tasks/extend-kubernetes/custom-resources/custom-resource-definitions/).
 */
import type { KubeObject, PrinterColumn, ResourceType } from './api.js';
import { invalid } from './status.js';

interface CrdVersion {
  name: string;
  served?: boolean;
  storage?: boolean;
  subresources?: { status?: unknown; scale?: { specReplicasPath: string; statusReplicasPath: string; labelSelectorPath?: string } };
  additionalPrinterColumns?: PrinterColumn[];
  /** Fields a `?fieldSelector=` may name (Kubernetes 1.31+, GA 1.32): JSON paths such as `.status.phase`. */
  selectableFields?: Array<{ jsonPath?: string }>;
  schema?: { openAPIV3Schema?: Record<string, unknown> };
}

/** The schema node at a `.a.b` path of an openAPIV3Schema, if every step is a declared property. */
function schemaAt(schema: Record<string, unknown> | undefined, jsonPath: string): Record<string, unknown> | undefined {
  let cur = schema;
  for (const seg of jsonPath.replace(/^\./, '').split('.')) {
    const props = cur?.properties as Record<string, Record<string, unknown>> | undefined;
    cur = props?.[seg];
    if (!cur) return undefined;
  }
  return cur;
}

interface CrdSpec {
  group?: string;
  scope?: string;
  names?: { kind?: string; listKind?: string; plural?: string; singular?: string; shortNames?: string[]; categories?: string[] };
  versions?: CrdVersion[];
}

/**
 * Validate a CRD the way the apiextensions server does for the fields the emulator relies on.
 * @throws StatusError 422 Invalid (`metadata.name` must be `spec.names.plural+"."+spec.group`, required names, versions).
 */
export function validateCrd(obj: KubeObject): void {
  const spec = (obj.spec ?? {}) as CrdSpec;
  const errs: Array<{ field: string; reason: string; message: string }> = [];
  const name = obj.metadata.name;
  if (!spec.group) errs.push({ field: 'spec.group', reason: 'FieldValueRequired', message: 'Required value' });
  if (!spec.names?.plural) errs.push({ field: 'spec.names.plural', reason: 'FieldValueRequired', message: 'Required value' });
  if (!spec.names?.kind) errs.push({ field: 'spec.names.kind', reason: 'FieldValueRequired', message: 'Required value' });
  if (spec.scope !== 'Namespaced' && spec.scope !== 'Cluster') {
    errs.push({ field: 'spec.scope', reason: 'FieldValueNotSupported', message: `Unsupported value: "${spec.scope ?? ''}": supported values: "Cluster", "Namespaced"` });
  }
  if (spec.group && spec.names?.plural && name !== `${spec.names.plural}.${spec.group}`) {
    errs.push({ field: 'metadata.name', reason: 'FieldValueInvalid', message: `Invalid value: "${name}": must be spec.names.plural+"."+spec.group` });
  }
  const versions = spec.versions ?? [];
  if (versions.length === 0) errs.push({ field: 'spec.versions', reason: 'FieldValueInvalid', message: 'Invalid value: null: must have exactly one version marked as storage version' });
  else if (versions.filter((v) => v.storage).length !== 1) {
    errs.push({ field: 'spec.versions', reason: 'FieldValueInvalid', message: 'Invalid value: ...: must have exactly one version marked as storage version' });
  }
  // selectableFields (apiextensions validation.go, validateSelectableFields): at most 8, each a path to a
  // string, integer or boolean field of the version's schema, none twice.
  versions.forEach((v) => {
    const fields = v.selectableFields ?? [];
    if (fields.length > 8) errs.push({ field: `spec.selectableFields`, reason: 'FieldValueTooMany', message: `Too many: ${fields.length}: must have at most 8 items` });
    const seen = new Set<string>();
    fields.forEach((f, j) => {
      // The real server names the field without the version (`spec.selectableFields[j].jsonPath`; differential group `selectable`).
      const field = `spec.selectableFields[${j}].jsonPath`;
      const path = f.jsonPath ?? '';
      const node = path ? schemaAt(v.schema?.openAPIV3Schema, path) : undefined;
      if (!path) errs.push({ field, reason: 'FieldValueRequired', message: 'Required value' });
      else if (!node) errs.push({ field, reason: 'FieldValueInvalid', message: `Invalid value: "${path}": is an invalid path: does not refer to a field in the schema` });
      else if (!['string', 'integer', 'boolean'].includes(String(node.type))) {
        errs.push({ field, reason: 'FieldValueInvalid', message: `Invalid value: "${path}": selectable field must be one of: integer, string, boolean` });
      } else if (seen.has(path)) errs.push({ field, reason: 'FieldValueDuplicate', message: `Duplicate value: "${path}"` });
      seen.add(path);
    });
  });
  if (errs.length) throw invalid('CustomResourceDefinition', 'apiextensions.k8s.io', name, errs);
}

/** The resource types (one per served version) a valid CRD defines. */
export function crdResourceTypes(obj: KubeObject): ResourceType[] {
  const spec = obj.spec as CrdSpec;
  const names = spec.names!;
  return (spec.versions ?? [])
    .filter((v) => v.served !== false)
    .map((v) => ({
      group: spec.group!,
      version: v.name,
      plural: names.plural!,
      singular: names.singular || names.kind!.toLowerCase(),
      kind: names.kind!,
      listKind: names.listKind || `${names.kind}List`,
      namespaced: spec.scope === 'Namespaced',
      ...(names.shortNames?.length ? { shortNames: names.shortNames } : {}),
      ...(names.categories?.length ? { categories: names.categories } : {}),
      hasStatus: v.subresources?.status !== undefined && v.subresources?.status !== null,
      custom: true,
      storageVersion: (spec.versions ?? []).find((x) => x.storage)?.name ?? v.name,
      ...(v.additionalPrinterColumns ? { printerColumns: v.additionalPrinterColumns } : {}),
      ...(v.schema?.openAPIV3Schema ? { schema: v.schema.openAPIV3Schema } : {}),
      ...(v.selectableFields?.length ? { selectableFields: v.selectableFields.map((f) => (f.jsonPath ?? '').replace(/^\./, '')) } : {}),
      ...(v.subresources?.scale ? { scale: v.subresources.scale } : {}),
    }));
}

/** The status the apiextensions server reports for an accepted CRD (`Established`, `NamesAccepted`, acceptedNames, storedVersions). */
export function crdStatus(obj: KubeObject, now: string): Record<string, unknown> {
  const spec = obj.spec as CrdSpec;
  const storage = (spec.versions ?? []).find((v) => v.storage)?.name;
  const prev = (obj.status ?? {}) as { storedVersions?: string[] };
  const stored = [...new Set([...(prev.storedVersions ?? []), ...(storage ? [storage] : [])])];
  return {
    acceptedNames: { ...spec.names, listKind: spec.names?.listKind || `${spec.names?.kind}List`, singular: spec.names?.singular || spec.names?.kind?.toLowerCase() },
    conditions: [
      { type: 'NamesAccepted', status: 'True', reason: 'NoConflicts', message: 'no conflicts found', lastTransitionTime: now },
      { type: 'Established', status: 'True', reason: 'InitialNamesAccepted', message: 'the initial names have been accepted', lastTransitionTime: now },
    ],
    storedVersions: stored,
  };
}
