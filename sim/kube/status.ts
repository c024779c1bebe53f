/**
 * `Status` errors of the Kubernetes API emulator, shaped as the real API server sends them.
 *
 * Source: Kubernetes API conventions ("Response Status Kind",
 * https://github.com/kubernetes/community/blob/master/contributors/devel/sig-architecture/api-conventions.md#response-status-kind)
 * and the messages of `k8s.io/apimachinery/pkg/api/errors` (NewNotFound, NewAlreadyExists, NewConflict,
 * NewInvalid, NewBadRequest, NewResourceExpired, NewTooManyRequests, NewInternalError…).
 */
import type { StatusObject } from './api.js';

/** An error carrying the wire `Status` object; the HTTP layer answers with `status.code` and `status` as body. */
export class StatusError extends Error {
  /** The wire `Status` object (kind Status, status Failure, reason, code, message, details). */
  readonly status: StatusObject;
  /** Seconds for a `Retry-After` header (429, some 5xx), when set. */
  readonly retryAfterSeconds?: number;

  constructor(status: StatusObject, retryAfterSeconds?: number) {
    super(status.message);
    this.name = 'StatusError';
    this.status = status;
    this.retryAfterSeconds = retryAfterSeconds;
  }

  /** The HTTP status code. */
  get code(): number {
    return this.status.code;
  }

  /** The `reason` (e.g. `NotFound`, `Conflict`). */
  get reason(): string {
    return this.status.reason;
  }
}

/** Build a failure `Status` object. */
export function statusObject(code: number, reason: string, message: string, details?: StatusObject['details']): StatusObject {
  const s: StatusObject = { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, code };
  if (details) s.details = details;
  return s;
}

/** A `Status` of success, as DELETE answers for kinds that do not return the deleted object. */
export function successStatus(details: { name: string; group: string; kind: string; uid?: string }): Record<string, unknown> {
  return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', details };
}

/** The group-qualified resource as messages print it: `pods`, `mysqls.kubedb.com`. */
export function qualifiedResource(group: string, plural: string): string {
  return group ? `${plural}.${group}` : plural;
}

/** 404 `<resource> "<name>" not found` (details.kind is the plural, as the real server sets it). */
export function notFound(group: string, plural: string, name: string): StatusError {
  return new StatusError(
    statusObject(404, 'NotFound', `${qualifiedResource(group, plural)} "${name}" not found`, { name, group: group || undefined, kind: plural }),
  );
}

/** 404 for a path the server does not serve: `the server could not find the requested resource`. */
export function pathNotFound(): StatusError {
  return new StatusError(statusObject(404, 'NotFound', 'the server could not find the requested resource', {}));
}

/** 409 AlreadyExists: `<resource> "<name>" already exists`. */
export function alreadyExists(group: string, plural: string, name: string): StatusError {
  return new StatusError(
    statusObject(409, 'AlreadyExists', `${qualifiedResource(group, plural)} "${name}" already exists`, { name, group: group || undefined, kind: plural }),
  );
}

/** 409 Conflict on a stale resourceVersion, with the real server's wording. */
export function conflict(group: string, plural: string, name: string): StatusError {
  const msg = `Operation cannot be fulfilled on ${qualifiedResource(group, plural)} "${name}": the object has been modified; please apply your changes to the latest version and try again`;
  return new StatusError(statusObject(409, 'Conflict', msg, { name, group: group || undefined, kind: plural }));
}

/** One field error of a 422 Invalid (`field.Error`: type, field, bad value, detail). */
export interface FieldError {
  field: string;
  /** `FieldValueInvalid`, `FieldValueRequired`, `FieldValueNotSupported`… */
  reason: string;
  /** The cause message, e.g. `Invalid value: "Bad": a lowercase RFC 1123 …`. */
  message: string;
}

/** 422 Invalid: `<Kind>.<group> "<name>" is invalid: <field>: <message>[, …]`. */
export function invalid(kind: string, group: string, name: string, errors: FieldError[]): StatusError {
  const qualifiedKind = group ? `${kind}.${group}` : kind;
  // field.ErrorList.ToAggregate drops repeated messages; the causes keep every error.
  const list = [...new Set(errors.map((e) => `${e.field}: ${e.message}`))];
  const summary = list.length === 1 ? list[0] : `[${list.join(', ')}]`;
  return new StatusError(
    statusObject(422, 'Invalid', `${qualifiedKind} "${name}" is invalid: ${summary}`, {
      name,
      group: group || undefined,
      kind,
      causes: errors.map((e) => ({ reason: e.reason, message: e.message, field: e.field })),
    }),
  );
}

/** 400 BadRequest with the given message. */
export function badRequest(message: string): StatusError {
  return new StatusError(statusObject(400, 'BadRequest', message));
}

/** 410 Expired, as a watch from a resourceVersion older than the history answers: `too old resource version: X (Y)`. */
export function expired(requested: string, oldest: string): StatusError {
  return new StatusError(statusObject(410, 'Expired', `too old resource version: ${requested} (${oldest})`));
}

/** 405 MethodNotAllowed. */
export function methodNotAllowed(): StatusError {
  return new StatusError(statusObject(405, 'MethodNotAllowed', 'the server does not allow this method on the requested resource'));
}

/** 415 UnsupportedMediaType listing the accepted patch types (as for a strategic merge patch of a custom resource). */
export function unsupportedMediaType(accepted: string[]): StatusError {
  return new StatusError(
    statusObject(415, 'UnsupportedMediaType', `the body of the request was in an unknown format - accepted media types include: ${accepted.join(', ')}`, {}),
  );
}

/** 401 Unauthorized. */
export function unauthorized(): StatusError {
  return new StatusError(statusObject(401, 'Unauthorized', 'Unauthorized'));
}

/** 500 InternalError: `Internal error occurred: <message>`. */
export function internalError(message: string): StatusError {
  return new StatusError(statusObject(500, 'InternalError', `Internal error occurred: ${message}`, { causes: [{ message }] }));
}

/** A bare 500 Status as the storage layer's plain errors reach the client: the message, no reason, no details. */
export function serverError(message: string): StatusError {
  const s = statusObject(500, '', message);
  delete (s as Partial<StatusObject>).reason;
  return new StatusError(s);
}

/**
 * A Status for an arbitrary code, with the reason and message the real client-side mapping uses
 * (`NewGenericServerResponse`): 429 TooManyRequests, 409 Conflict, 500 InternalError, 503 ServiceUnavailable, 504 Timeout…
 */
export function genericStatus(code: number, message?: string, retryAfterSeconds?: number): StatusError {
  const table: Record<number, [string, string]> = {
    400: ['BadRequest', 'the server rejected our request for an unknown reason'],
    401: ['Unauthorized', 'Unauthorized'],
    403: ['Forbidden', 'forbidden'],
    404: ['NotFound', 'the server could not find the requested resource'],
    409: ['Conflict', 'the server reported a conflict'],
    410: ['Expired', 'the resource version is too old'],
    422: ['Invalid', 'the server rejected our request due to an error in our request'],
    429: ['TooManyRequests', 'the server has received too many requests and has asked us to try again later'],
    500: ['InternalError', 'Internal error occurred: injected fault'],
    503: ['ServiceUnavailable', 'the server is currently unable to handle the request'],
    504: ['Timeout', 'the server was unable to return a response in the time allotted, but may still be processing the request'],
  };
  const [reason, defaultMessage] = table[code] ?? ['Unknown', `the server responded with the status code ${code} but did not return more information`];
  const details = retryAfterSeconds !== undefined ? { retryAfterSeconds } : undefined;
  const s = statusObject(code, reason, message ?? defaultMessage, details as StatusObject['details']);
  return new StatusError(s, retryAfterSeconds);
}

/**
 * 504 Timeout for a list at a resourceVersion newer than the server's, after the watch cache waited 3 s
 * for it (`Timeout: Too large resource version: <rv>, current: <current>`, cause ResourceVersionTooLarge,
 * `retryAfterSeconds: 1`; storage.NewTooLargeResourceVersionError, checked against kube-apiserver 1.36).
 */
export function tooLargeResourceVersion(requested: string, current: string): StatusError {
  return new StatusError(
    statusObject(504, 'Timeout', `Timeout: Too large resource version: ${requested}, current: ${current}`, {
      causes: [{ reason: 'ResourceVersionTooLarge', message: 'Too large resource version' }],
      retryAfterSeconds: 1,
    }),
    1,
  );
}

/**
 * 403 Forbidden from the NamespaceLifecycle admission plugin for a create in a terminating namespace:
 * `<resource> "<name>" is forbidden: unable to create new content in namespace <ns> because it is being
 * terminated`, cause `NamespaceTerminating` on `metadata.namespace`.
 */
export function namespaceTerminating(group: string, plural: string, name: string, namespace: string): StatusError {
  const msg = `unable to create new content in namespace ${namespace} because it is being terminated`;
  return new StatusError(
    statusObject(403, 'Forbidden', `${qualifiedResource(group, plural)} "${name}" is forbidden: ${msg}`, {
      name,
      ...(group ? { group } : {}),
      kind: plural,
      causes: [{ reason: 'NamespaceTerminating', message: msg, field: 'metadata.namespace' }],
    }),
  );
}
