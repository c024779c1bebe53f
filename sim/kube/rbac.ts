/**
 * RBAC authorization for the Kubernetes API emulator: the request attributes the real API server derives
 * from a URL, and the RBAC authorizer that checks them against the Roles, ClusterRoles, RoleBindings and
 * ClusterRoleBindings in the {@link Store}.
 *
 * Sources:
 * - "Using RBAC Authorization" (https://kubernetes.io/docs/reference/access-authn-authz/rbac/): rules are
 *   purely additive; a RoleBinding grants its Role's (or a referenced ClusterRole's) rules in the
 *   binding's namespace only; a ClusterRoleBinding grants cluster-wide; `resourceNames` cannot restrict
 *   `create` or `deletecollection` (no name at authorization time), and restricts `list`/`watch` only
 *   when the request carries a `metadata.name=<name>` field selector; subresources are named
 *   `resource/subresource`; `*` wildcards; default roles `system:discovery`, `system:basic-user`,
 *   `system:public-info-viewer` bound to `system:authenticated` (the last also to `system:unauthenticated`).
 * - "Authorization" (https://kubernetes.io/docs/reference/access-authn-authz/authorization/): request
 *   verbs (get/list/watch for GET and HEAD, create, update, patch, delete, deletecollection) and
 *   non-resource requests (verb = lower-case HTTP method, checked against `nonResourceURLs`).
 * - The apiserver's `RequestInfoFactory` (k8s.io/apiserver/pkg/endpoints/request/requestinfo.go): the path
 *   is parsed syntactically; `GET /api/v1/namespaces/x` has namespace `x`; the legacy `/watch/` prefix
 *   means verb `watch`; `/api`, `/api/v1`, `/apis/<g>` and `/apis/<g>/<v>` are non-resource requests.
 * - `rbac/v1` rule matching (k8s.io/component-helpers/auth/rbac/validation `RuleAllows`, `ResourceMatches`
 *   with a star-slash-subresource rule such as `*` + `/status`, `NonResourceURLMatches` with a trailing `*` prefix match), subject matching
 *   (`appliesToUser`: a ServiceAccount subject without a namespace takes the RoleBinding's namespace),
 *   and the `system:masters` group that the API server always authorizes.
 * - Forbidden messages (k8s.io/apiserver/pkg/endpoints/handlers/responsewriters/errors.go `forbiddenMessage`
 *   and apimachinery `NewForbidden`): `<resource>[.<group>] ["<name>" ]is forbidden: User "<u>" cannot
 *   <verb> resource "<resource>[/<sub>]" in API group "<g>" (in the namespace "<ns>"|at the cluster scope)`,
 *   `forbidden: User "<u>" cannot <verb> path "<path>"` for non-resource URLs, and `: RBAC: <errors>` appended
 *   when a binding that applies to the user references a missing role.
 *
 * Not simulated: aggregated ClusterRoles (`aggregationRule`; the rules written in the object are used),
 * the escalate/bind checks on writes of RBAC objects, impersonation, the Node and Webhook authorizers.
 */
import type { GVR, KubeObject, StatusObject } from './api.js';
import type { Store } from './store.js';
import { statusObject, StatusError } from './status.js';

/** An authenticated (or anonymous) user, as the authenticators hand it to the authorizer (`user.Info`). */
export interface UserInfo {
  /** User name, e.g. `system:serviceaccount:dbupdate:dbupdate`, `kubernetes-admin`, `system:anonymous`. */
  user: string;
  /** Groups, e.g. `system:serviceaccounts`, `system:authenticated`, `system:masters`. */
  groups?: string[];
}

/** The authorization attributes of one request (`authorizer.Attributes`). */
export interface RequestAttributes {
  /** False for non-resource URLs (`/version`, `/api`, `/apis/<g>/<v>`, `/openapi/v3`, `/healthz`). */
  resourceRequest: boolean;
  /** get, list, watch, create, update, patch, delete, deletecollection; for non-resource URLs the lower-case HTTP method. */
  verb: string;
  /** URL path (without query). */
  path: string;
  /** API group (`""` for core). */
  apiGroup: string;
  apiVersion: string;
  /** Resource plural, e.g. `mysqls`. */
  resource: string;
  /** Subresource, e.g. `status`. */
  subresource: string;
  /** Namespace (`""` for cluster-scoped or all-namespaces requests). */
  namespace: string;
  /** Object name (`""` for collections; set from a `metadata.name=` field selector on list/watch). */
  name: string;
}

/** One rule of a Role or ClusterRole (`rbac.authorization.k8s.io/v1` `PolicyRule`). */
export interface PolicyRule {
  verbs?: string[];
  apiGroups?: string[];
  resources?: string[];
  resourceNames?: string[];
  nonResourceURLs?: string[];
}

/** A subject of a binding (`rbac.authorization.k8s.io/v1` `Subject`). */
export interface Subject {
  kind: string;
  name: string;
  namespace?: string;
  apiGroup?: string;
}

/** The result of {@link RbacAuthorizer.authorize}. */
export interface Decision {
  allowed: boolean;
  /** Why a request was denied beyond "no rule allows it": `RBAC: role.rbac.authorization.k8s.io "x" not found`. Empty otherwise. */
  reason: string;
}

/** A denied request, recorded by the server for tests to print. */
export interface Denial {
  user: string;
  groups: string[];
  verb: string;
  apiGroup: string;
  /** `resource` or `resource/subresource`; empty for non-resource URLs. */
  resource: string;
  namespace: string;
  name: string;
  path: string;
  /** The 403 Status message sent. */
  message: string;
}

/** The group the API server authorizes for everything (`user.SystemPrivilegedGroup`). */
export const SYSTEM_MASTERS = 'system:masters';
/** The group every authenticated user is in (added by the authenticator). */
export const SYSTEM_AUTHENTICATED = 'system:authenticated';
/** The group of anonymous requests. */
export const SYSTEM_UNAUTHENTICATED = 'system:unauthenticated';
/** The user of requests without credentials. */
export const ANONYMOUS: UserInfo = { user: 'system:anonymous', groups: [SYSTEM_UNAUTHENTICATED] };

/**
 * The user a service account's token authenticates as: `system:serviceaccount:<ns>:<name>` in the groups
 * `system:serviceaccounts`, `system:serviceaccounts:<ns>` and `system:authenticated`
 * (https://kubernetes.io/docs/reference/access-authn-authz/service-accounts-admin/ and the RBAC doc, "Referring to subjects").
 */
export function serviceAccountUser(namespace: string, name: string): Required<UserInfo> {
  return {
    user: `system:serviceaccount:${namespace}:${name}`,
    groups: ['system:serviceaccounts', `system:serviceaccounts:${namespace}`, SYSTEM_AUTHENTICATED],
  };
}

const RBAC_GROUP = 'rbac.authorization.k8s.io';
const RBAC_VERSION = 'v1';
const ROLES: GVR = { group: RBAC_GROUP, version: RBAC_VERSION, plural: 'roles' };
const ROLE_BINDINGS: GVR = { group: RBAC_GROUP, version: RBAC_VERSION, plural: 'rolebindings' };
const CLUSTER_ROLES: GVR = { group: RBAC_GROUP, version: RBAC_VERSION, plural: 'clusterroles' };
const CLUSTER_ROLE_BINDINGS: GVR = { group: RBAC_GROUP, version: RBAC_VERSION, plural: 'clusterrolebindings' };

/** Subresources of a namespace (`/api/v1/namespaces/<ns>/status|finalize`), as `RequestInfoFactory` knows them. */
const NAMESPACE_SUBRESOURCES = new Set(['status', 'finalize']);

/**
 * The default policy the API server bootstraps and this authorizer always applies (bootstrappolicy
 * `system:discovery`, `system:basic-user`, `system:public-info-viewer`, `system:service-account-issuer-discovery`
 * and their ClusterRoleBindings).
 */
const DEFAULT_POLICY: Array<{ groups: string[]; rules: PolicyRule[] }> = [
  {
    groups: [SYSTEM_AUTHENTICATED],
    rules: [
      // system:discovery
      {
        verbs: ['get'],
        nonResourceURLs: ['/api', '/api/*', '/apis', '/apis/*', '/healthz', '/livez', '/openapi', '/openapi/*', '/readyz', '/version', '/version/'],
      },
      // system:basic-user
      { verbs: ['create'], apiGroups: ['authorization.k8s.io'], resources: ['selfsubjectaccessreviews', 'selfsubjectrulesreviews'] },
      { verbs: ['create'], apiGroups: ['authentication.k8s.io'], resources: ['selfsubjectreviews'] },
    ],
  },
  // system:public-info-viewer
  { groups: [SYSTEM_AUTHENTICATED, SYSTEM_UNAUTHENTICATED], rules: [{ verbs: ['get'], nonResourceURLs: ['/healthz', '/livez', '/readyz', '/version', '/version/'] }] },
  // system:service-account-issuer-discovery (bound to every service account)
  { groups: ['system:serviceaccounts'], rules: [{ verbs: ['get'], nonResourceURLs: ['/.well-known/openid-configuration', '/.well-known/openid-configuration/', '/openid/v1/jwks', '/openid/v1/jwks/'] }] },
];

/** Whether `?watch=` asks for a watch (apimachinery's string-to-bool: anything but `0`/`false`). */
function truthy(v: string | null): boolean {
  return v !== null && v !== '0' && v.toLowerCase() !== 'false';
}

/**
 * The authorization attributes of a request, parsed from its method and URL as the real API server's
 * `RequestInfoFactory` does (syntactically: it does not need to know which resources are served).
 */
export function requestAttributes(method: string, url: URL): RequestAttributes {
  const path = url.pathname;
  const m = method.toUpperCase();
  const nonResource: RequestAttributes = {
    resourceRequest: false,
    verb: m.toLowerCase(),
    path,
    apiGroup: '',
    apiVersion: '',
    resource: '',
    subresource: '',
    namespace: '',
    name: '',
  };
  let parts = path.replace(/^\/+|\/+$/g, '').split('/');
  if (parts.length < 1 || (parts[0] !== 'api' && parts[0] !== 'apis')) return nonResource;
  const groupless = parts[0] === 'api';
  parts = parts.slice(1).map((s) => {
    try {
      return decodeURIComponent(s);
    } catch {
      return s;
    }
  });
  let apiGroup = '';
  if (!groupless) {
    if (parts.length < 3) return nonResource; // /apis, /apis/<g>, /apis/<g>/<v>
    apiGroup = parts[0];
    parts = parts.slice(1);
  } else if (parts.length < 2) return nonResource; // /api, /api/v1
  const apiVersion = parts[0];
  parts = parts.slice(1);

  let verb: string;
  if (parts[0] === 'watch') {
    if (parts.length < 2) return nonResource;
    verb = 'watch';
    parts = parts.slice(1);
  } else {
    verb = m === 'POST' ? 'create' : m === 'GET' || m === 'HEAD' ? 'get' : m === 'PUT' ? 'update' : m === 'PATCH' ? 'patch' : m === 'DELETE' ? 'delete' : '';
  }
  let namespace = '';
  if (parts[0] === 'namespaces') {
    if (parts.length > 1) {
      namespace = parts[1];
      if (parts.length > 2 && !NAMESPACE_SUBRESOURCES.has(parts[2])) parts = parts.slice(2);
    }
  }
  const resource = parts[0] ?? '';
  const name = parts[1] ?? '';
  const subresource = parts[2] ?? '';
  const attrs: RequestAttributes = { resourceRequest: true, verb, path, apiGroup, apiVersion, resource, subresource, namespace, name };
  if (!name && verb === 'get') {
    attrs.verb = truthy(url.searchParams.get('watch')) ? 'watch' : 'list';
    const fs = url.searchParams.get('fieldSelector');
    if (fs) {
      for (const term of fs.split(',')) {
        const mm = term.trim().match(/^metadata\.name(==?)(.+)$/);
        if (mm && /^[^/%]+$/.test(mm[2]) && mm[2] !== '.' && mm[2] !== '..') attrs.name = mm[2];
      }
    }
  }
  if (!name && verb === 'delete') attrs.verb = 'deletecollection';
  return attrs;
}

function has(list: string[] | undefined, v: string): boolean {
  return (list ?? []).includes(v);
}

/** `VerbMatches`: `*` or the verb. */
function verbMatches(rule: PolicyRule, verb: string): boolean {
  return has(rule.verbs, '*') || has(rule.verbs, verb);
}

/** `APIGroupMatches`: `*` or the group. */
function apiGroupMatches(rule: PolicyRule, group: string): boolean {
  return has(rule.apiGroups, '*') || has(rule.apiGroups, group);
}

/** `ResourceMatches`: `*`, the exact `resource[/subresource]`, or a star followed by `/<subresource>`. */
function resourceMatches(rule: PolicyRule, combined: string, subresource: string): boolean {
  for (const r of rule.resources ?? []) {
    if (r === '*' || r === combined) return true;
    if (subresource && r === `*/${subresource}`) return true;
  }
  return false;
}

/** `ResourceNameMatches`: no resourceNames means any; otherwise the request's name must be listed (an empty name never is). */
function resourceNameMatches(rule: PolicyRule, name: string): boolean {
  if (!rule.resourceNames || rule.resourceNames.length === 0) return true;
  return rule.resourceNames.includes(name);
}

/** `NonResourceURLMatches`: `*`, the exact path, or a prefix ending in `*`. */
function nonResourceUrlMatches(rule: PolicyRule, path: string): boolean {
  for (const u of rule.nonResourceURLs ?? []) {
    if (u === '*' || u === path) return true;
    if (u.endsWith('*') && path.startsWith(u.replace(/\*+$/, ''))) return true;
  }
  return false;
}

/** Whether one rule allows the request (`RuleAllows`). */
export function ruleAllows(attrs: RequestAttributes, rule: PolicyRule): boolean {
  if (attrs.resourceRequest) {
    const combined = attrs.subresource ? `${attrs.resource}/${attrs.subresource}` : attrs.resource;
    return verbMatches(rule, attrs.verb) && apiGroupMatches(rule, attrs.apiGroup) && resourceMatches(rule, combined, attrs.subresource) && resourceNameMatches(rule, attrs.name);
  }
  return verbMatches(rule, attrs.verb) && nonResourceUrlMatches(rule, attrs.path);
}

/** `appliesToUser`: whether a binding subject names the user (a ServiceAccount subject defaults to the binding's namespace). */
function appliesToUser(user: UserInfo, s: Subject, bindingNamespace: string): boolean {
  switch (s.kind) {
    case 'User':
      return user.user === s.name;
    case 'Group':
      return has(user.groups, s.name);
    case 'ServiceAccount': {
      const ns = s.namespace || bindingNamespace;
      if (!ns) return false;
      return user.user === `system:serviceaccount:${ns}:${s.name}`;
    }
    default:
      return false;
  }
}

/**
 * The RBAC authorizer over a {@link Store}: reads the RBAC objects at each decision (so changes take effect
 * at once, as with the real authorizer's informers, minus their delay).
 */
export class RbacAuthorizer {
  /** @param store the emulator's store (RBAC objects are read from `rbac.authorization.k8s.io/v1`). */
  constructor(private readonly store: Store) {}

  /**
   * Decide a request. `system:masters` is always allowed; otherwise the default policy, the
   * ClusterRoleBindings, then (for a namespaced request) the RoleBindings of the request's namespace are
   * searched for a rule that allows it.
   */
  /**
   * The rules that apply to `user` in `namespace` (SelfSubjectRulesReview, `kubectl auth can-i --list`):
   * the default policy's, then every ClusterRoleBinding's and the namespace's RoleBindings' role rules
   * (the real `RulesFor` walks the same bindings). `system:masters` gets the `*` rules the real server
   * reports for it.
   */
  rulesFor(user: UserInfo, namespace: string): { resourceRules: PolicyRule[]; nonResourceRules: PolicyRule[]; incomplete: boolean } {
    const rules: PolicyRule[] = [];
    if (has(user.groups, SYSTEM_MASTERS)) rules.push({ verbs: ['*'], apiGroups: ['*'], resources: ['*'] }, { verbs: ['*'], nonResourceURLs: ['*'] });
    for (const p of DEFAULT_POLICY) if (p.groups.some((g) => has(user.groups, g))) rules.push(...p.rules);
    let incomplete = false;
    const list = (gvr: GVR, ns?: string): KubeObject[] => (this.store.resourceType(gvr) ? this.store.list(gvr, ns).items : []);
    const visit = (binding: KubeObject, bindingNs: string): void => {
      const subjects = (binding.subjects as Subject[] | undefined) ?? [];
      if (!subjects.some((s) => appliesToUser(user, s, bindingNs))) return;
      const ref = (binding.roleRef ?? {}) as { kind?: string; name?: string };
      const role = ref.kind === 'ClusterRole' ? this.store.tryGet(CLUSTER_ROLES, undefined, ref.name ?? '') : ref.kind === 'Role' && bindingNs ? this.store.tryGet(ROLES, bindingNs, ref.name ?? '') : undefined;
      if (!role) incomplete = true;
      else rules.push(...((role.rules as PolicyRule[] | undefined) ?? []));
    };
    for (const crb of list(CLUSTER_ROLE_BINDINGS)) visit(crb, '');
    if (namespace) for (const rb of list(ROLE_BINDINGS, namespace)) visit(rb, namespace);
    const resourceRules = rules
      .filter((r) => !r.nonResourceURLs?.length)
      .map((r) => ({ verbs: r.verbs, ...(r.apiGroups ? { apiGroups: r.apiGroups } : {}), ...(r.resources ? { resources: r.resources } : {}), ...(r.resourceNames?.length ? { resourceNames: r.resourceNames } : {}) }));
    const nonResourceRules = rules.filter((r) => r.nonResourceURLs?.length).map((r) => ({ verbs: r.verbs, nonResourceURLs: r.nonResourceURLs }));
    return { resourceRules, nonResourceRules, incomplete };
  }

  authorize(user: UserInfo, attrs: RequestAttributes): Decision {
    if (has(user.groups, SYSTEM_MASTERS)) return { allowed: true, reason: '' };
    for (const p of DEFAULT_POLICY) {
      if (p.groups.some((g) => has(user.groups, g)) && p.rules.some((r) => ruleAllows(attrs, r))) return { allowed: true, reason: '' };
    }
    const errors: string[] = [];
    const list = (gvr: GVR, ns?: string): KubeObject[] => (this.store.resourceType(gvr) ? this.store.list(gvr, ns).items : []);
    const roleRules = (kind: string, name: string, ns: string): PolicyRule[] | undefined => {
      if (kind === 'ClusterRole') {
        const r = this.store.resourceType(CLUSTER_ROLES) ? this.store.tryGet(CLUSTER_ROLES, undefined, name) : undefined;
        if (!r) errors.push(`clusterrole.rbac.authorization.k8s.io "${name}" not found`);
        return r ? ((r.rules as PolicyRule[] | undefined) ?? []) : undefined;
      }
      if (kind === 'Role') {
        const r = this.store.resourceType(ROLES) ? this.store.tryGet(ROLES, ns, name) : undefined;
        if (!r) errors.push(`role.rbac.authorization.k8s.io "${name}" not found`);
        return r ? ((r.rules as PolicyRule[] | undefined) ?? []) : undefined;
      }
      errors.push(`unsupported role reference kind: "${kind}"`);
      return undefined;
    };
    const visit = (binding: KubeObject, bindingNs: string): boolean => {
      const subjects = (binding.subjects as Subject[] | undefined) ?? [];
      if (!subjects.some((s) => appliesToUser(user, s, bindingNs))) return false;
      const ref = (binding.roleRef ?? {}) as { kind?: string; name?: string };
      // A RoleBinding references a Role of its namespace or a ClusterRole (granted in its namespace only);
      // a ClusterRoleBinding a ClusterRole (a Role reference from it is looked up in namespace "" and not found).
      const rules = roleRules(ref.kind ?? '', ref.name ?? '', bindingNs);
      return (rules ?? []).some((r) => ruleAllows(attrs, r));
    };
    for (const crb of list(CLUSTER_ROLE_BINDINGS)) if (visit(crb, '')) return { allowed: true, reason: '' };
    if (attrs.namespace) {
      for (const rb of list(ROLE_BINDINGS, attrs.namespace)) if (visit(rb, attrs.namespace)) return { allowed: true, reason: '' };
    }
    const reason = errors.length === 0 ? '' : `RBAC: ${errors.length === 1 ? errors[0] : `[${errors.join(', ')}]`}`;
    return { allowed: false, reason };
  }
}

/**
 * The 403 `Status` the API server sends for a denied request (`responsewriters.Forbidden`):
 * message per `forbiddenMessage`, `details` `{name, group, kind: <resource>}` (empty fields omitted).
 */
export function forbidden(user: UserInfo, attrs: RequestAttributes, reason = ''): StatusError {
  let msg: string;
  if (!attrs.resourceRequest) msg = `User "${user.user}" cannot ${attrs.verb} path "${attrs.path}"`;
  else {
    const resource = attrs.subresource ? `${attrs.resource}/${attrs.subresource}` : attrs.resource;
    const scope = attrs.namespace ? `in the namespace "${attrs.namespace}"` : 'at the cluster scope';
    msg = `User "${user.user}" cannot ${attrs.verb} resource "${resource}" in API group "${attrs.apiGroup}" ${scope}`;
  }
  if (reason) msg = `${msg}: ${reason}`;
  const gr = attrs.resourceRequest ? (attrs.apiGroup ? `${attrs.resource}.${attrs.apiGroup}` : attrs.resource) : '';
  const message = !gr ? `forbidden: ${msg}` : attrs.name ? `${gr} "${attrs.name}" is forbidden: ${msg}` : `${gr} is forbidden: ${msg}`;
  const details: NonNullable<StatusObject['details']> = {};
  if (attrs.name) details.name = attrs.name;
  if (attrs.resourceRequest && attrs.apiGroup) details.group = attrs.apiGroup;
  if (attrs.resourceRequest && attrs.resource) details.kind = attrs.resource;
  return new StatusError(statusObject(403, 'Forbidden', message, details));
}
