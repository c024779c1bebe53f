/**
 * A minimal OpenAPI v3 discovery (`/openapi/v3` and `/openapi/v3/<api|apis/g>/<v>`), just enough for
 * kubectl (1.27+): before `create`/`apply`/`replace` with the default `--validate=strict`, kubectl asks
 * whether the server supports the `fieldValidation` query parameter on the kind's PATCH operation
 * (`k8s.io/cli-runtime/pkg/resource/query_param_verifier_v3.go`: the PATCH operation tagged with
 * `x-kubernetes-group-version-kind` lists a query parameter `fieldValidation`). Without OpenAPI, kubectl
 * falls back to client-side validation, which needs `/openapi/v2`, and fails ("failed to download openapi").
 * With it, kubectl sends `fieldValidation=Strict` and leaves validation to the server.
 *
 * Not served: component schemas. PATCH operations do not list `application/strategic-merge-patch+json`,
 * so kubectl computes strategic merge patches of built-in kinds from its compiled-in types.
 * Source of the format: "OpenAPI V3" in https://kubernetes.io/docs/concepts/overview/kubernetes-api/.
 */
import { createHash } from 'node:crypto';
import type { ResourceType } from './api.js';

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
  return { openapi: '3.0.0', info: { title: 'Kubernetes', version: 'v1.32.0' }, paths, components: { schemas: {} } };
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
