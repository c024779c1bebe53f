/**
 * Differential group `rbac`: the RBAC authorizer seen by the bot's identity
 * (`system:serviceaccount:dbupdate:dbupdate`, impersonated) and by a user without roles (`alice`):
 * SelfSubjectAccessReview (`kubectl auth can-i`), SelfSubjectRulesReview (`kubectl auth can-i --list`),
 * SelfSubjectReview (`kubectl auth whoami`), requests allowed and refused (403 with the real message),
 * and a Role/RoleBinding granted in the group's namespace (the real authorizer sees it through an
 * informer, so the first answer after the binding is polled until it allows).
 */
import type { Op } from './harness.js';
import { defineGroup } from './runner.js';

const CM = '/api/v1/namespaces/{ns}/configmaps';
const SSAR = '/apis/authorization.k8s.io/v1/selfsubjectaccessreviews';
const SSRR = '/apis/authorization.k8s.io/v1/selfsubjectrulesreviews';
const WHOAMI = '/apis/authentication.k8s.io/v1/selfsubjectreviews';
const review = (attrs: Record<string, unknown>, nonResource = false) => ({
  apiVersion: 'authorization.k8s.io/v1',
  kind: 'SelfSubjectAccessReview',
  spec: nonResource ? { nonResourceAttributes: attrs } : { resourceAttributes: { namespace: '{ns}', ...attrs } },
});
const ALLOWED = ['kind', 'status.allowed', 'status.denied', 'spec'];
type Rule = { verbs: string[]; apiGroups?: string[]; resources?: string[]; resourceNames?: string[]; nonResourceURLs?: string[] };
const rules = (list: Rule[] | undefined) =>
  (list ?? []).map((r) => `${[...r.verbs].sort().join(',')} ${(r.apiGroups ?? []).join(',')}/${[...(r.resources ?? r.nonResourceURLs ?? [])].sort().join(',')}${r.resourceNames ? `#${r.resourceNames.join(',')}` : ''}`).sort();
const can = (id: string, as: 'bot' | 'alice', attrs: Record<string, unknown>, nonResource = false): Op => ({ id: `rbac/${id}`, method: 'POST', path: SSAR, body: review(attrs, nonResource), as, pick: ALLOWED });

function rbac(): Op[] {
  const ops: Op[] = [];
  ops.push(
    // Before any grant.
    can('bot/get-configmaps-before', 'bot', { verb: 'get', resource: 'configmaps' }),
    { id: 'rbac/bot/list-configmaps-before', method: 'GET', path: CM, as: 'bot', message: true },
    { id: 'rbac/bot/whoami', method: 'POST', path: WHOAMI, body: { apiVersion: 'authentication.k8s.io/v1', kind: 'SelfSubjectReview' }, as: 'bot', pick: ['kind', 'apiVersion', 'status.userInfo.username'], probe: { groups: (b) => [...b.status.userInfo.groups].sort() } },
    { id: 'rbac/alice/whoami', method: 'POST', path: WHOAMI, body: { apiVersion: 'authentication.k8s.io/v1', kind: 'SelfSubjectReview' }, as: 'alice', pick: ['kind', 'status.userInfo.username'], probe: { groups: (b) => [...b.status.userInfo.groups].sort() } },
    { id: 'rbac/whoami-wrong-kind', method: 'POST', path: WHOAMI, body: { apiVersion: 'authentication.k8s.io/v1', kind: 'SelfSubjectAccessReview' }, as: 'bot' },
    {
      id: 'rbac/bot/rules-before',
      method: 'POST',
      path: SSRR,
      body: { apiVersion: 'authorization.k8s.io/v1', kind: 'SelfSubjectRulesReview', spec: { namespace: '{ns}' } },
      as: 'bot',
      pick: ['kind', 'status.incomplete'],
      probe: { resourceRules: (b) => rules(b.status.resourceRules), nonResourceRules: (b) => rules(b.status.nonResourceRules) },
    },
    // The grant: read configmaps, write one named configmap, read pods/log, in the namespace only.
    {
      id: 'rbac/role',
      method: 'POST',
      path: '/apis/rbac.authorization.k8s.io/v1/namespaces/{ns}/roles',
      body: {
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'Role',
        metadata: { name: 'bot' },
        rules: [
          { apiGroups: [''], resources: ['configmaps'], verbs: ['get', 'list', 'watch'] },
          { apiGroups: [''], resources: ['configmaps'], resourceNames: ['owned'], verbs: ['update', 'patch', 'delete'] },
          { apiGroups: [''], resources: ['pods/log'], verbs: ['get'] },
        ],
      },
      pick: ['metadata.name', 'rules'],
    },
    {
      id: 'rbac/rolebinding',
      method: 'POST',
      path: '/apis/rbac.authorization.k8s.io/v1/namespaces/{ns}/rolebindings',
      body: {
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'RoleBinding',
        metadata: { name: 'bot' },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'bot' },
        subjects: [{ kind: 'ServiceAccount', name: 'dbupdate', namespace: 'dbupdate' }],
      },
      pick: ['metadata.name', 'roleRef', 'subjects'],
    },
    { ...can('bot/get-configmaps', 'bot', { verb: 'get', resource: 'configmaps' }), until: { code: 201, ms: 10_000, path: 'status.allowed', value: true } },
    can('bot/list-configmaps', 'bot', { verb: 'list', resource: 'configmaps' }),
    can('bot/watch-configmaps-all-namespaces', 'bot', { verb: 'watch', resource: 'configmaps', namespace: '' }),
    can('bot/delete-configmaps', 'bot', { verb: 'delete', resource: 'configmaps' }),
    can('bot/delete-owned', 'bot', { verb: 'delete', resource: 'configmaps', name: 'owned' }),
    can('bot/delete-other', 'bot', { verb: 'delete', resource: 'configmaps', name: 'other' }),
    can('bot/get-secrets', 'bot', { verb: 'get', resource: 'secrets' }),
    can('bot/get-pods-log', 'bot', { verb: 'get', resource: 'pods', subresource: 'log' }),
    can('bot/get-pods', 'bot', { verb: 'get', resource: 'pods' }),
    can('bot/get-configmaps-other-ns', 'bot', { verb: 'get', resource: 'configmaps', namespace: 'kube-system' }),
    can('bot/any-verb', 'bot', { verb: '*', resource: 'configmaps' }),
    can('bot/healthz', 'bot', { verb: 'get', path: '/healthz' }, true),
    can('bot/version', 'bot', { verb: 'get', path: '/version' }, true),
    can('bot/metrics', 'bot', { verb: 'get', path: '/metrics' }, true),
    can('bot/create-ssar', 'bot', { verb: 'create', group: 'authorization.k8s.io', resource: 'selfsubjectaccessreviews', namespace: '' }),
    can('alice/get-configmaps', 'alice', { verb: 'get', resource: 'configmaps' }),
    { id: 'rbac/ssar-empty-spec', method: 'POST', path: SSAR, body: { apiVersion: 'authorization.k8s.io/v1', kind: 'SelfSubjectAccessReview', spec: {} }, as: 'bot' },
    { id: 'rbac/ssar-both-attributes', method: 'POST', path: SSAR, body: { apiVersion: 'authorization.k8s.io/v1', kind: 'SelfSubjectAccessReview', spec: { resourceAttributes: { verb: 'get', resource: 'pods' }, nonResourceAttributes: { verb: 'get', path: '/healthz' } } }, as: 'bot' },
    {
      id: 'rbac/bot/rules',
      method: 'POST',
      path: SSRR,
      body: { apiVersion: 'authorization.k8s.io/v1', kind: 'SelfSubjectRulesReview', spec: { namespace: '{ns}' } },
      as: 'bot',
      pick: ['kind', 'status.incomplete'],
      probe: { resourceRules: (b) => rules(b.status.resourceRules), nonResourceRules: (b) => rules(b.status.nonResourceRules) },
    },
    { id: 'rbac/rules-no-namespace', method: 'POST', path: SSRR, body: { apiVersion: 'authorization.k8s.io/v1', kind: 'SelfSubjectRulesReview', spec: {} }, as: 'bot' },
    // Requests as the bot.
    { id: 'rbac/bot/create-configmap-refused', method: 'POST', path: CM, body: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'owned' } }, as: 'bot', message: true },
    { id: 'rbac/admin/create-owned', method: 'POST', path: CM, body: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'owned' }, data: { a: '1' } }, pick: ['metadata.name'] },
    { id: 'rbac/admin/create-other', method: 'POST', path: CM, body: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'other' }, data: { a: '1' } }, pick: ['metadata.name'] },
    { id: 'rbac/bot/list-configmaps-request', method: 'GET', path: CM, as: 'bot', pick: ['kind', 'items[].metadata.name'] },
    { id: 'rbac/bot/get-configmap', method: 'GET', path: `${CM}/owned`, as: 'bot', pick: ['metadata.name', 'data'] },
    { id: 'rbac/bot/patch-owned', method: 'PATCH', path: `${CM}/owned`, body: { data: { b: '2' } }, contentType: 'application/merge-patch+json', as: 'bot', pick: ['data'] },
    { id: 'rbac/bot/patch-other-refused', method: 'PATCH', path: `${CM}/other`, body: { data: { b: '2' } }, contentType: 'application/merge-patch+json', as: 'bot', message: true },
    { id: 'rbac/bot/deletecollection-refused', method: 'DELETE', path: CM, as: 'bot', message: true },
    { id: 'rbac/bot/list-all-namespaces-refused', method: 'GET', path: '/api/v1/configmaps', as: 'bot', message: true },
    { id: 'rbac/bot/get-secret-refused', method: 'GET', path: '/api/v1/namespaces/{ns}/secrets/x', as: 'bot', message: true },
    { id: 'rbac/bot/get-namespace-refused', method: 'GET', path: '/api/v1/namespaces/{ns}', as: 'bot', message: true },
    { id: 'rbac/bot/discovery', method: 'GET', path: '/api/v1', as: 'bot', pick: ['kind', 'groupVersion'] },
    { id: 'rbac/bot/version-request', method: 'GET', path: '/version', as: 'bot', probe: { hasMajor: (b) => typeof b.major === 'string' } },
    { id: 'rbac/bot/delete-owned-request', method: 'DELETE', path: `${CM}/owned`, as: 'bot', pick: ['kind', 'status'] },
    { id: 'rbac/alice/list-refused', method: 'GET', path: CM, as: 'alice', message: true },
    { id: 'rbac/alice/impersonate-refused', method: 'GET', path: CM, as: 'alice', headers: { 'Impersonate-Group': 'system:masters' }, message: true },
    { id: 'rbac/bot/watch-refused-other-ns', method: 'GET', path: '/api/v1/namespaces/kube-system/configmaps?watch=1', as: 'bot', message: true },
  );
  return ops;
}

defineGroup('rbac', rbac());
