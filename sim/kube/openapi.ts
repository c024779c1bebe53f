/**
 * A minimal OpenAPI v3 discovery (`/openapi/v3` and `/openapi/v3/<api|apis/g>/<v>`), just enough for
 * kubectl (1.27+): before `create`/`apply`/`replace` with the default `--validate=strict`, kubectl asks
 * whether the server supports the `fieldValidation` query parameter on the kind's PATCH operation
 * (`k8s.io/cli-runtime/pkg/resource/query_param_verifier_v3.go`: the PATCH operation tagged with
 * `x-kubernetes-group-version-kind` lists a query parameter `fieldValidation`). Without OpenAPI, kubectl
 * falls back to client-side validation, which needs `/openapi/v2`, and fails ("failed to download openapi").
 * With it, kubectl sends `fieldValidation=Strict` and leaves validation to the server.
 *
 * Component schemas (what `kubectl explain` reads) come from {@link kindSchema}; `/openapi/v2` serves the
 * same as Swagger 2.0 definitions (kubectl's client-side validation and `kind: List` handling read it).
 * PATCH operations do not list `application/strategic-merge-patch+json`, so kubectl computes strategic
 * merge patches of built-in kinds from its compiled-in types.
 * Source of the format: "OpenAPI V3" in https://kubernetes.io/docs/concepts/overview/kubernetes-api/.
 */
import { createHash } from 'node:crypto';
import type { ResourceType } from './api.js';
import { builtinDefinitions, builtinSchema } from './builtin-schema.js';
import type { JSONSchemaProps } from './schema.js';

function gvPath(group: string, version: string): string {
  return group ? `apis/${group}/${version}` : `api/${version}`;
}

/** The OpenAPI v3 document of one group/version, or undefined when it is not served. */
export function openApiV3Doc(types: ResourceType[], group: string, version: string): Record<string, unknown> | undefined {
  const served = types.filter((t) => t.group === group && t.version === version);
  if (served.length === 0) return undefined;
  const paths: Record<string, unknown> = {};
  const param = (name: string) => ({ name, in: 'query', schema: { type: 'string', uniqueItems: true } });
  for (const t of served) {
    const base = `/${gvPath(group, version)}${t.namespaced ? '/namespaces/{namespace}' : ''}/${t.plural}`;
    const gvk = { group, version, kind: t.kind };
    const content = Object.fromEntries(
      ['application/json-patch+json', 'application/merge-patch+json', 'application/apply-patch+yaml'].map((c) => [c, { schema: { type: 'object' } }]),
    );
    paths[`${base}/{name}`] = {
      patch: {
        description: `partially update the specified ${t.kind}`,
        operationId: `patch${t.kind}`,
        parameters: [param('dryRun'), param('fieldManager'), param('fieldValidation'), param('force')],
        requestBody: { content, required: true },
        responses: { '200': { description: 'OK' }, '201': { description: 'Created' } },
        'x-kubernetes-action': 'patch',
        'x-kubernetes-group-version-kind': gvk,
      },
    };
    paths[base] = {
      post: {
        description: `create a ${t.kind}`,
        operationId: `create${t.kind}`,
        parameters: [param('dryRun'), param('fieldManager'), param('fieldValidation')],
        responses: { '201': { description: 'Created' } },
        'x-kubernetes-action': 'post',
        'x-kubernetes-group-version-kind': gvk,
      },
    };
  }
  const schemas: Record<string, unknown> = {};
  for (const t of served) if (!t.verbs) Object.assign(schemas, kindDefinitions(t, '#/components/schemas/'));
  return { openapi: '3.0.0', info: { title: 'Kubernetes', version: 'v1.32.0' }, paths, components: { schemas } };
}

/**
 * The definition name of a kind in the OpenAPI documents: `io.k8s.api.<group's first label|core>.<v>.<Kind>`
 * for built-ins (`io.k8s.api.apps.v1.Deployment`), the CRD apiextensions package for CRDs, the reversed
 * group for custom resources (`dev.example.v1.Widget`), as kube-apiserver names them.
 */
export function definitionName(t: ResourceType): string {
  if (t.custom) return `${t.group.split('.').reverse().join('.')}.${t.version}.${t.kind}`;
  if (t.group === 'apiextensions.k8s.io') return `io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.${t.version}.${t.kind}`;
  return `io.k8s.api.${t.group ? t.group.split('.')[0] : 'core'}.${t.version}.${t.kind}`;
}

/** A copy of a schema cut at `depth` levels and at cycles (the built-in schemas share recursive nodes). */
function bounded(s: JSONSchemaProps | undefined, depth: number, seen: Set<unknown> = new Set()): JSONSchemaProps {
  if (!s) return {};
  if (depth <= 0 || seen.has(s)) return { type: 'object' };
  const next = new Set(seen).add(s);
  const out: JSONSchemaProps = {};
  for (const [k, v] of Object.entries(s)) {
    if (k === 'properties' && v && typeof v === 'object') out.properties = Object.fromEntries(Object.entries(v as Record<string, JSONSchemaProps>).map(([pk, pv]) => [pk, bounded(pv, depth - 1, next)]));
    else if ((k === 'items' || k === 'additionalProperties') && v && typeof v === 'object') out[k] = bounded(v as JSONSchemaProps, depth - 1, next);
    else out[k] = v;
  }
  return out;
}

/**
 * The schema of a kind as the OpenAPI documents publish it (what `kubectl explain` reads): the
 * built-in kind's field tree from client-node's models (builtin-schema.ts, 8 levels deep, without
 * descriptions), or the CRD's `openAPIV3Schema` with `apiVersion`, `kind` and `metadata` added; with
 * `x-kubernetes-group-version-kind`. Undefined when neither is known.
 */
export function kindSchema(t: ResourceType): JSONSchemaProps | undefined {
  const base = t.custom ? (t.schema as JSONSchemaProps | undefined) : builtinSchema(t.version, t.kind);
  if (!base) return undefined;
  const s = bounded(base, 8);
  if (t.custom) {
    s.type = 'object';
    s.properties = {
      apiVersion: { type: 'string' },
      kind: { type: 'string' },
      metadata: { type: 'object' },
      ...(s.properties ?? {}),
    };
  }
  s['x-kubernetes-group-version-kind'] = [{ group: t.group, kind: t.kind, version: t.version }];
  return s;
}

/**
 * The definitions a kind brings to an OpenAPI document: a built-in kind's definition and those of its
 * nested types by `$ref` (builtin-schema.ts `builtinDefinitions`), or a custom resource's {@link kindSchema};
 * the kind's own definition carries `x-kubernetes-group-version-kind`.
 */
export function kindDefinitions(t: ResourceType, refPrefix: string): Record<string, JSONSchemaProps> {
  if (t.custom) {
    const sc = kindSchema(t);
    return sc ? { [definitionName(t)]: sc } : {};
  }
  const pkg = t.group === 'apiextensions.k8s.io' ? '' : t.group ? t.group.split('.')[0] : 'core';
  const defs = pkg ? builtinDefinitions(t.version, t.kind, pkg, refPrefix) : undefined;
  if (!defs) {
    const sc = kindSchema(t);
    return sc ? { [definitionName(t)]: sc } : {};
  }
  const root = { ...defs.definitions[defs.root], 'x-kubernetes-group-version-kind': [{ group: t.group, kind: t.kind, version: t.version }] };
  return { ...defs.definitions, [defs.root]: root };
}

/** `GET /openapi/v2`: a Swagger 2.0 document with the definitions of every served kind (no paths: clients here read definitions). */
export function openApiV2(types: ResourceType[]): Record<string, unknown> {
  const definitions: Record<string, unknown> = {};
  for (const t of types) if (!t.verbs) Object.assign(definitions, kindDefinitions(t, '#/definitions/'));
  return { swagger: '2.0', info: { title: 'Kubernetes', version: 'v1.32.0' }, paths: {}, definitions };
}

/** `GET /openapi/v3`: each served group/version with the URL (and content hash) of its document. */
export function openApiV3Root(types: ResourceType[]): Record<string, unknown> {
  const gvs = [...new Map(types.map((t) => [`${t.group}/${t.version}`, t])).values()];
  const paths: Record<string, unknown> = {};
  for (const t of gvs) {
    const p = gvPath(t.group, t.version);
    const hash = createHash('sha512').update(JSON.stringify(openApiV3Doc(types, t.group, t.version))).digest('hex').slice(0, 128).toUpperCase();
    paths[p] = { serverRelativeURL: `/openapi/v3/${p}?hash=${hash}` };
  }
  return { paths };
}
