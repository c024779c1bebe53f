/**
 * The `fieldValidation` query parameter of writes and the `Warning` response headers it leads to.
 * Source: api-concepts, "Field validation" (https://kubernetes.io/docs/reference/using-api/api-concepts/#field-validation):
 * `Ignore` drops unknown fields silently, `Warn` (the default when the parameter is absent) drops them
 * and sends one `Warning` header per field, `Strict` fails the request with 400 BadRequest listing them.
 * Warning header format: RFC 7234 `299 - "<text>"` (https://kubernetes.io/blog/2020/09/03/warnings/).
 */
import type { WriteOptions } from './api.js';
import { invalid } from './status.js';

/**
 * The write options of a request's query: `fieldValidation` (default `Warn`) and an empty `warnings` list.
 * @param optionsKind `CreateOptions` (POST), `UpdateOptions` (PUT) or `PatchOptions` (PATCH).
 * @throws StatusError 422 for a value other than `Ignore`, `Warn`, `Strict`, as `ValidateFieldValidation`
 *   (k8s.io/apimachinery/pkg/apis/meta/v1/validation) answers: `CreateOptions.meta.k8s.io "" is invalid:
 *   fieldValidation: Unsupported value: "x": supported values: "", "Ignore", "Strict", "Warn"`.
 */
export function writeOptions(q: URLSearchParams, optionsKind: 'CreateOptions' | 'UpdateOptions' | 'PatchOptions'): { fieldValidation: NonNullable<WriteOptions['fieldValidation']>; warnings: string[] } {
  const v = q.get('fieldValidation');
  if (v === null || v === '') return { fieldValidation: 'Warn', warnings: [] };
  if (v !== 'Ignore' && v !== 'Warn' && v !== 'Strict') {
    throw invalid(optionsKind, 'meta.k8s.io', '', [
      { field: 'fieldValidation', reason: 'FieldValueNotSupported', message: `Unsupported value: ${JSON.stringify(v)}: supported values: "", "Ignore", "Strict", "Warn"` },
    ]);
  }
  return { fieldValidation: v, warnings: [] };
}

/** `Warning` headers (`299 - "<text>"`, quotes and backslashes escaped) for a write's warnings; `{}` when none. */
export function warningHeaders(warnings: string[] | undefined): Record<string, string[]> {
  if (!warnings?.length) return {};
  return { Warning: warnings.map((w) => `299 - "${w.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`) };
}
