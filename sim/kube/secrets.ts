/**
 * What the API server's Secret strategy does to a Secret on every write (k8s.io/kubernetes
 * pkg/registry/core/secret and pkg/apis/core/v1 conversion), per "Secrets"
 * (https://kubernetes.io/docs/concepts/configuration/secret/) and the API reference
 * (https://kubernetes.io/docs/reference/kubernetes-api/config-and-storage-resources/secret-v1/):
 * - `stringData` is write-only: each entry is merged into `data` (base64-encoded, overriding a `data`
 *   entry of the same key) and `stringData` is never stored nor returned;
 * - `type` defaults to `Opaque`;
 * - every `data` value must be base64 (the JSON decoder of `[]byte` fails otherwise: 400 BadRequest);
 * - keys must be valid config keys (`[-._a-zA-Z0-9]+`), else 422 Invalid.
 */
import type { KubeObject } from './api.js';
import { badRequest, invalid, type FieldError } from './status.js';

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
const CONFIG_KEY = /^[-._a-zA-Z0-9]+$/;

/** The offset Go's base64 decoder reports: the first byte outside the alphabet, else the start of the short final quantum. */
function badByte(v: string): number {
  const i = v.search(/[^A-Za-z0-9+/=]/);
  if (i >= 0) return i;
  const pad = v.indexOf('=');
  return pad >= 0 && pad < v.length - 2 ? pad : Math.floor(v.length / 4) * 4;
}

/**
 * Normalize a Secret body in place (stringData → data, default type) and check it.
 * @throws StatusError 400 when a `data` value is not base64; 422 for a bad key or a total size over 1 MiB.
 */
export function normalizeSecret(o: KubeObject): void {
  const data = { ...((o.data as Record<string, unknown> | undefined) ?? {}) };
  for (const v of Object.values(data)) {
    if (typeof v !== 'string' || !BASE64.test(v)) {
      throw badRequest(`Secret in version "v1" cannot be handled as a Secret: illegal base64 data at input byte ${badByte(String(v))}`);
    }
  }
  const stringData = (o.stringData as Record<string, unknown> | undefined) ?? {};
  for (const [k, v] of Object.entries(stringData)) data[k] = Buffer.from(String(v ?? ''), 'utf8').toString('base64');
  delete o.stringData;
  if (Object.keys(data).length > 0) o.data = data;
  else delete o.data;
  if (!o.type) o.type = 'Opaque';
  const errs: FieldError[] = [];
  let size = 0;
  for (const [k, v] of Object.entries(data)) {
    if (!CONFIG_KEY.test(k)) {
      errs.push({ field: `data[${k}]`, reason: 'FieldValueInvalid', message: `Invalid value: "${k}": a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')` });
    }
    size += Buffer.from(String(v), 'base64').length;
  }
  if (size > 1024 * 1024) errs.push({ field: 'data', reason: 'FieldValueTooLong', message: 'Too long: may not be more than 1048576 bytes' });
  if (errs.length) throw invalid('Secret', '', o.metadata?.name ?? '', errs);
}
