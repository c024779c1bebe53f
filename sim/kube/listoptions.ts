/**
 * Validation of a list's or watch's options as kube-apiserver does before serving them
 * (k8s.io/apimachinery `pkg/apis/meta/internalversion/validation.ValidateListOptions`, with the
 * WatchList feature on, as in 1.36), answered as 422 `ListOptions.meta.k8s.io "" is invalid: …`:
 * - list: `resourceVersionMatch` needs `resourceVersion`, is forbidden with `continue`, is `Exact` or
 *   `NotOlderThan`, and `Exact` is forbidden for `resourceVersion=0`; `sendInitialEvents` is forbidden;
 * - watch: `sendInitialEvents` needs `resourceVersionMatch=NotOlderThan`; `resourceVersionMatch` needs
 *   `sendInitialEvents`, is `NotOlderThan` only, and is forbidden with `continue`.
 * And a `resourceVersion` that is not a number: for a watch a bare 500 `resourceVersion: Invalid value:
 * "abc": strconv.ParseUint: parsing "abc": invalid syntax` (the storage layer's error), for a list 400
 * `invalid resource version: …` (checked against kube-apiserver 1.36 by the differential group `watch`).
 */
import { badRequest, invalid, serverError, type FieldError } from './status.js';

const forbidden = (field: string, message: string): FieldError => ({ field, reason: 'FieldValueForbidden', message: `Forbidden: ${message}` });
const notSupported = (field: string, value: string, supported: string[]): FieldError => ({
  field,
  reason: 'FieldValueNotSupported',
  message: `Unsupported value: ${JSON.stringify(value)}: supported values: ${supported.map((s) => JSON.stringify(s)).join(', ')}`,
});

/**
 * Check the list options of a list (`watch` false) or watch request.
 * @throws StatusError 422 Invalid (kind ListOptions, group meta.k8s.io) with a cause per error; 500 for a non-numeric resourceVersion.
 */
export function validateListOptions(q: URLSearchParams, watch: boolean): void {
  const match = q.get('resourceVersionMatch') ?? '';
  const rv = q.get('resourceVersion') ?? '';
  const cont = q.get('continue') ?? '';
  const sendInitial = q.has('sendInitialEvents');
  const errs: FieldError[] = [];
  if (watch) {
    if (sendInitial && match !== 'NotOlderThan') errs.push(forbidden('resourceVersionMatch', 'sendInitialEvents requires setting resourceVersionMatch to NotOlderThan'));
    if (match) {
      if (!sendInitial) errs.push(forbidden('resourceVersionMatch', 'resourceVersionMatch is forbidden for watch unless sendInitialEvents is provided'));
      if (match !== 'NotOlderThan') errs.push(notSupported('resourceVersionMatch', match, ['NotOlderThan']));
      if (cont) errs.push(forbidden('resourceVersionMatch', 'resourceVersionMatch is forbidden when continue is provided'));
    }
  } else {
    if (match) {
      if (!rv) errs.push(forbidden('resourceVersionMatch', 'resourceVersionMatch is forbidden unless resourceVersion is provided'));
      if (cont) errs.push(forbidden('resourceVersionMatch', 'resourceVersionMatch is forbidden when continue is provided'));
      if (match !== 'Exact' && match !== 'NotOlderThan') errs.push(notSupported('resourceVersionMatch', match, ['Exact', 'NotOlderThan', '']));
      if (match === 'Exact' && rv === '0') errs.push(forbidden('resourceVersionMatch', 'resourceVersionMatch "exact" is forbidden for resourceVersion "0"'));
    }
    if (sendInitial) errs.push(forbidden('sendInitialEvents', 'sendInitialEvents is forbidden for list'));
  }
  if (errs.length) throw invalid('ListOptions', 'meta.k8s.io', '', errs);
  if (rv && !/^\d+$/.test(rv)) {
    const parse = `resourceVersion: Invalid value: ${JSON.stringify(rv)}: strconv.ParseUint: parsing ${JSON.stringify(rv)}: invalid syntax`;
    throw watch ? serverError(parse) : badRequest(`invalid resource version: ${parse}`);
  }
}
