/**
 * User impersonation and `SelfSubjectAccessReview` of the Kubernetes API emulator.
 *
 * Impersonation ("User impersonation", https://kubernetes.io/docs/reference/access-authn-authz/authentication/#user-impersonation):
 * a request with `Impersonate-User` (optionally `Impersonate-Group` (repeatable), `Impersonate-Uid`,
 * `Impersonate-Extra-<key>`) is served as that user once the acting user is authorized, for each of them,
 * the verb `impersonate` on `users` / `groups` / `uids` / `userextras/<key>` (core group) named by the
 * value, or on `serviceaccounts` in the account's namespace for `system:serviceaccount:<ns>:<name>`.
 * A denial is the 403 the real server sends (`users "bob" is forbidden: User "alice" cannot impersonate
 * resource "users" in API group "" at the cluster scope`). Without `Impersonate-Group`, a service
 * account gets its groups (`system:serviceaccounts`, `system:serviceaccounts:<ns>`); every impersonated
 * user but `system:anonymous` is in `system:authenticated`. Groups, uid or extra without a user answer
 * 500 (the impersonation filter's InternalError).
 *
 * SelfSubjectAccessReview (`POST /apis/authorization.k8s.io/v1/selfsubjectaccessreviews`,
 * https://kubernetes.io/docs/reference/access-authn-authz/authorization/#checking-api-access): answers 201
 * with the review and `status.allowed` decided by the RBAC authorizer for the requesting (or impersonated)
 * user — what `kubectl auth can-i` prints as yes/no.
 */
import type { IncomingMessage } from 'node:http';
import type { KubeObject } from './api.js';
import { forbidden, RbacAuthorizer, SYSTEM_AUTHENTICATED, type RequestAttributes, type UserInfo } from './rbac.js';
import { badRequest, internalError, invalid } from './status.js';

/** The impersonation asked by a request's headers, or undefined when it asks none. */
export interface ImpersonationRequest {
  user: string;
  /** `Impersonate-Group` values (undefined when the header is absent). */
  groups?: string[];
  uid?: string;
  /** `Impersonate-Extra-<key>` values by lower-cased key. */
  extra: Record<string, string[]>;
}

/**
 * Parse the `Impersonate-*` headers.
 * @throws StatusError 500 when groups, uid or extra are asked without `Impersonate-User`.
 */
export function impersonationOf(req: IncomingMessage): ImpersonationRequest | undefined {
  const h = req.headersDistinct;
  const user = h['impersonate-user']?.[0];
  const groups = h['impersonate-group']?.map((g) => g.trim());
  const uid = h['impersonate-uid']?.[0];
  const extra: Record<string, string[]> = {};
  for (const [k, v] of Object.entries(h)) {
    if (k.startsWith('impersonate-extra-') && v) extra[decodeURIComponent(k.slice('impersonate-extra-'.length))] = v;
  }
  if (user === undefined) {
    if (groups || uid !== undefined || Object.keys(extra).length) {
      throw internalError('requested impersonation of groups, uid or user-extra without impersonating a user');
    }
    return undefined;
  }
  return { user, ...(groups ? { groups } : {}), ...(uid !== undefined ? { uid } : {}), extra };
}

function attrs(resource: string, name: string, namespace = '', subresource = ''): RequestAttributes {
  return { resourceRequest: true, verb: 'impersonate', path: '', apiGroup: '', apiVersion: 'v1', resource, subresource, namespace, name };
}

/**
 * Authorize `actor` to impersonate as asked and return the user to serve the request as.
 * @throws StatusError 403 Forbidden (the first impersonation the actor may not do).
 */
export function impersonate(actor: UserInfo, imp: ImpersonationRequest, authorizer: RbacAuthorizer): UserInfo {
  const checks: RequestAttributes[] = [];
  const sa = imp.user.match(/^system:serviceaccount:([^:]+):([^:]+)$/);
  checks.push(sa ? attrs('serviceaccounts', sa[2], sa[1]) : attrs('users', imp.user));
  for (const g of imp.groups ?? []) checks.push(attrs('groups', g));
  if (imp.uid !== undefined) checks.push(attrs('uids', imp.uid));
  for (const [k, vs] of Object.entries(imp.extra)) for (const v of vs) checks.push(attrs('userextras', v, '', k));
  for (const a of checks) {
    const d = authorizer.authorize(actor, a);
    if (!d.allowed) throw forbidden(actor, a, d.reason);
  }
  let groups = imp.groups ?? (sa ? ['system:serviceaccounts', `system:serviceaccounts:${sa[1]}`] : []);
  if (imp.user !== 'system:anonymous' && !groups.includes(SYSTEM_AUTHENTICATED)) groups = [...groups, SYSTEM_AUTHENTICATED];
  return { user: imp.user, groups };
}

interface ReviewSpec {
  resourceAttributes?: { namespace?: string; verb?: string; group?: string; version?: string; resource?: string; subresource?: string; name?: string };
  nonResourceAttributes?: { path?: string; verb?: string };
}

/** Whether a resource type is `authorization.k8s.io/v1` `selfsubjectaccessreviews` (served by {@link selfSubjectAccessReview}, not stored). */
export function isSelfSubjectAccessReview(t: { group: string; plural: string; custom?: boolean }): boolean {
  return !t.custom && t.group === 'authorization.k8s.io' && t.plural === 'selfsubjectaccessreviews';
}

/**
 * Answer a `SelfSubjectAccessReview` for `user`.
 * @returns the review with `status: {allowed, reason?}` (HTTP 201).
 * @throws StatusError 422 when the spec names neither (or both) resourceAttributes and nonResourceAttributes.
 */
export function selfSubjectAccessReview(body: KubeObject, user: UserInfo, authorizer: RbacAuthorizer): Record<string, unknown> {
  if (!body || typeof body !== 'object' || Array.isArray(body)) throw badRequest('the body of the request must be a SelfSubjectAccessReview object');
  const spec = (body.spec ?? {}) as ReviewSpec;
  const ra = spec.resourceAttributes;
  const nra = spec.nonResourceAttributes;
  if (!ra === !nra) {
    // Both given: the real validation names nonResourceAttributes; neither: resourceAttributes.
    throw invalid('SelfSubjectAccessReview', 'authorization.k8s.io', '', [
      ra
        ? { field: 'spec.nonResourceAttributes', reason: 'FieldValueInvalid', message: 'Invalid value: "{…}": cannot be specified in combination with resourceAttributes' }
        : { field: 'spec.resourceAttributes', reason: 'FieldValueInvalid', message: 'Invalid value: "null": exactly one of nonResourceAttributes or resourceAttributes must be specified' },
    ]);
  }
  // The spec is echoed as decoded: empty strings are omitted (omitempty).
  const echoed: ReviewSpec = { ...spec };
  if (ra) echoed.resourceAttributes = Object.fromEntries(Object.entries(ra).filter(([, v]) => v !== '' && v !== undefined && v !== null)) as ReviewSpec['resourceAttributes'];
  if (nra) echoed.nonResourceAttributes = Object.fromEntries(Object.entries(nra).filter(([, v]) => v !== '' && v !== undefined && v !== null)) as ReviewSpec['nonResourceAttributes'];
  const a: RequestAttributes = ra
    ? {
        resourceRequest: true,
        verb: ra.verb ?? '',
        path: '',
        apiGroup: ra.group ?? '',
        apiVersion: ra.version ?? '',
        resource: ra.resource ?? '',
        subresource: ra.subresource ?? '',
        namespace: ra.namespace ?? '',
        name: ra.name ?? '',
      }
    : { resourceRequest: false, verb: nra!.verb ?? '', path: nra!.path ?? '', apiGroup: '', apiVersion: '', resource: '', subresource: '', namespace: '', name: '' };
  const d = authorizer.authorize(user, a);
  return {
    kind: 'SelfSubjectAccessReview',
    apiVersion: 'authorization.k8s.io/v1',
    metadata: { creationTimestamp: null },
    spec: echoed,
    status: { allowed: d.allowed, ...(d.reason ? { reason: d.reason } : {}) },
  };
}

/** Whether a resource type is `authorization.k8s.io/v1` `selfsubjectrulesreviews` (served by {@link selfSubjectRulesReview}, not stored). */
export function isSelfSubjectRulesReview(t: { group: string; plural: string; custom?: boolean }): boolean {
  return !t.custom && t.group === 'authorization.k8s.io' && t.plural === 'selfsubjectrulesreviews';
}

/** Whether a resource type is `authentication.k8s.io/v1` `selfsubjectreviews` (served by {@link selfSubjectReview}, not stored). */
export function isSelfSubjectReview(t: { group: string; plural: string; custom?: boolean }): boolean {
  return !t.custom && t.group === 'authentication.k8s.io' && t.plural === 'selfsubjectreviews';
}

/**
 * Answer a `SelfSubjectRulesReview` (`kubectl auth can-i --list`): the rules that apply to `user` in
 * `spec.namespace`, as the real RBAC authorizer's `RulesFor` lists them (HTTP 201).
 */
export function selfSubjectRulesReview(body: KubeObject, user: UserInfo, authorizer: RbacAuthorizer): Record<string, unknown> {
  if (!body || typeof body !== 'object' || Array.isArray(body)) throw badRequest('the body of the request must be a SelfSubjectRulesReview object');
  const spec = (body.spec ?? {}) as { namespace?: string };
  if (!spec.namespace) throw badRequest('no namespace on request');
  return {
    kind: 'SelfSubjectRulesReview',
    apiVersion: 'authorization.k8s.io/v1',
    metadata: {},
    spec: {},
    status: authorizer.rulesFor(user, spec.namespace ?? ''),
  };
}

/**
 * Answer a `SelfSubjectReview` (`kubectl auth whoami`, authentication.k8s.io/v1): the requesting (or
 * impersonated) user's name, uid when known and groups (HTTP 201).
 */
export function selfSubjectReview(user: UserInfo, now: string): Record<string, unknown> {
  return {
    kind: 'SelfSubjectReview',
    apiVersion: 'authentication.k8s.io/v1',
    metadata: { creationTimestamp: now },
    status: { userInfo: { username: user.user, groups: [...(user.groups ?? [])] } },
  };
}
