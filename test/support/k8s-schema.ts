/**
 * Validates a Kubernetes object against the API's schema as @kubernetes/client-node's generated models
 * carry it (each model's `attributeTypeMap`, generated from the Kubernetes OpenAPI spec of the release the
 * client targets): every field must be one the schema defines (strict, like the API server's
 * `fieldValidation=Strict`), and every value of the type the schema gives (string, number, boolean,
 * list, map, nested object; `IntOrString` either; `any` anything).
 * Used by test/helm-chart.test.ts on the chart's rendered objects.
 */
import * as k8s from '@kubernetes/client-node';

type Attr = { name: string; baseName: string; type: string };
type Model = { getAttributeTypeMap(): Attr[] };

/** The model class for `apiVersion`/`kind` (e.g. `apps/v1` `Deployment` → `V1Deployment`), or undefined. */
export function modelFor(apiVersion: string, kind: string): string | undefined {
  const version = apiVersion.split('/').pop()!;
  const name = `${version.charAt(0).toUpperCase()}${version.slice(1)}${kind}`;
  return typeof (k8s as unknown as Record<string, Model | undefined>)[name]?.getAttributeTypeMap === 'function' ? name : undefined;
}

/**
 * Problems of `value` against the model type `type` (a model class name or a type expression such as
 * `Array<V1Container>`, `{ [key: string]: string; }`).
 * @returns one line per problem, `path: what is wrong`; empty when valid.
 */
export function validate(value: unknown, type: string, path = '$'): string[] {
  if (value === null || value === undefined) return [];
  const array = /^Array<(.+)>$/.exec(type);
  if (array) return Array.isArray(value) ? value.flatMap((v, i) => validate(v, array[1], `${path}[${i}]`)) : [`${path}: must be a list (${type})`];
  const map = /^\{ \[key: string\]: (.+); \}$/.exec(type);
  if (map) {
    if (typeof value !== 'object' || Array.isArray(value)) return [`${path}: must be a map (${type})`];
    return Object.entries(value).flatMap(([k, v]) => validate(v, map[1], `${path}.${k}`));
  }
  switch (type) {
    case 'any':
      return [];
    case 'string':
    case 'Date':
      return typeof value === 'string' ? [] : [`${path}: must be a string, got ${JSON.stringify(value)}`];
    case 'number':
      return typeof value === 'number' ? [] : [`${path}: must be a number, got ${JSON.stringify(value)}`];
    case 'boolean':
      return typeof value === 'boolean' ? [] : [`${path}: must be a boolean, got ${JSON.stringify(value)}`];
    case 'IntOrString':
      return typeof value === 'string' || typeof value === 'number' ? [] : [`${path}: must be an integer or a string`];
  }
  const model = (k8s as unknown as Record<string, Model | undefined>)[type];
  if (typeof model?.getAttributeTypeMap !== 'function') return [`${path}: unknown schema type ${type}`];
  if (typeof value !== 'object' || Array.isArray(value)) return [`${path}: must be an object (${type})`];
  const attrs = new Map(model.getAttributeTypeMap().map((a) => [a.baseName, a]));
  return Object.entries(value).flatMap(([k, v]) => {
    const a = attrs.get(k);
    return a ? validate(v, a.type, `${path}.${k}`) : [`${path}.${k}: unknown field (not in ${type})`];
  });
}
