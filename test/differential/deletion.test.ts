/**
 * Differential group `deletion`: preconditions (uid, resourceVersion), DeleteOptions (grace period,
 * propagation policy, bodies), finalizers, graceful deletion of scheduled and unscheduled pods (no
 * kubelet on either side), and namespaces going `Terminating` while the namespace controller empties
 * them (envtest runs kube-controller-manager's namespace controller; the emulator mirrors it).
 */
import type { Op, Saved } from './harness.js';
import { defineGroup } from './runner.js';

const CM = '/api/v1/namespaces/{ns}/configmaps';
const PODS = '/api/v1/namespaces/{ns}/pods';
const cm = (name: string, meta: Record<string, unknown> = {}) => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, ...meta }, data: { a: '1' } });
const pod = (name: string, spec: Record<string, unknown> = {}) => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name },
  spec: { containers: [{ name: 'c', image: 'busybox' }], ...spec },
});
const DEL_PICK = ['kind', 'metadata.name', 'metadata.deletionGracePeriodSeconds', 'metadata.finalizers', 'status.phase', 'details.name', 'details.kind'];
const OBJ = ['kind', 'metadata.name', 'metadata.deletionGracePeriodSeconds', 'metadata.finalizers'];
const hasTimestamp = (id: string, path: string): Op => ({ id, method: 'GET', path, pick: ['metadata.name', 'metadata.deletionTimestamp', 'metadata.deletionGracePeriodSeconds'] });

function deletion(): Op[] {
  const ops: Op[] = [];
  // Preconditions.
  ops.push(
    { id: 'deletion/precondition/create', method: 'POST', path: CM, body: cm('p1'), save: { uid: 'metadata.uid', rv: 'metadata.resourceVersion' }, pick: OBJ },
    { id: 'deletion/precondition/uid-mismatch', method: 'DELETE', path: `${CM}/p1`, body: { kind: 'DeleteOptions', apiVersion: 'v1', preconditions: { uid: '00000000-0000-0000-0000-000000000000' } } },
    { id: 'deletion/precondition/rv-mismatch', method: 'DELETE', path: `${CM}/p1`, body: { kind: 'DeleteOptions', apiVersion: 'v1', preconditions: { resourceVersion: '1' } } },
    { id: 'deletion/precondition/bad-options-kind', method: 'DELETE', path: `${CM}/p1`, body: { kind: 'Pod', apiVersion: 'v1' } },
    { id: 'deletion/precondition/bad-propagation', method: 'DELETE', path: `${CM}/p1?propagationPolicy=Sideways` },
    { id: 'deletion/precondition/bad-grace', method: 'DELETE', path: `${CM}/p1?gracePeriodSeconds=soon` },
    { id: 'deletion/precondition/dry-run-bad', method: 'DELETE', path: `${CM}/p1?dryRun=Some` },
    { id: 'deletion/precondition/still-there', method: 'GET', path: `${CM}/p1`, pick: OBJ },
    { id: 'deletion/precondition/rv-match', method: 'DELETE', path: `${CM}/p1`, body: (s: Saved) => ({ kind: 'DeleteOptions', apiVersion: 'v1', preconditions: { resourceVersion: s.rv } }), pick: DEL_PICK },
    { id: 'deletion/precondition/gone', method: 'GET', path: `${CM}/p1` },
    { id: 'deletion/precondition/create-2', method: 'POST', path: CM, body: cm('p2'), save: { uid2: 'metadata.uid' }, pick: OBJ },
    { id: 'deletion/precondition/uid-match', method: 'DELETE', path: `${CM}/p2`, body: (s: Saved) => ({ preconditions: { uid: s.uid2 } }), pick: DEL_PICK },
    { id: 'deletion/precondition/propagation-foreground', method: 'POST', path: CM, body: cm('p3'), pick: OBJ },
    { id: 'deletion/precondition/foreground-delete', method: 'DELETE', path: `${CM}/p3?propagationPolicy=Foreground`, pick: DEL_PICK },
    { id: 'deletion/precondition/orphan', method: 'POST', path: CM, body: cm('p4'), pick: OBJ },
    { id: 'deletion/precondition/orphan-delete', method: 'DELETE', path: `${CM}/p4?propagationPolicy=Orphan`, pick: DEL_PICK },
  );
  // Finalizers.
  ops.push(
    { id: 'deletion/finalizer/create', method: 'POST', path: CM, body: cm('f1', { finalizers: ['diff.dev/hold'] }), pick: OBJ },
    { id: 'deletion/finalizer/delete', method: 'DELETE', path: `${CM}/f1`, pick: DEL_PICK },
    hasTimestamp('deletion/finalizer/terminating', `${CM}/f1`),
    { id: 'deletion/finalizer/delete-again', method: 'DELETE', path: `${CM}/f1`, pick: DEL_PICK },
    { id: 'deletion/finalizer/add-while-deleting', method: 'PATCH', path: `${CM}/f1`, body: { metadata: { finalizers: ['diff.dev/hold', 'diff.dev/more'] } }, contentType: 'application/merge-patch+json' },
    { id: 'deletion/finalizer/update-data-while-deleting', method: 'PATCH', path: `${CM}/f1`, body: { data: { b: '2' } }, contentType: 'application/merge-patch+json', pick: ['data', 'metadata.finalizers'] },
    { id: 'deletion/finalizer/remove', method: 'PATCH', path: `${CM}/f1`, body: { metadata: { finalizers: null } }, contentType: 'application/merge-patch+json', pick: OBJ },
    { id: 'deletion/finalizer/gone', method: 'GET', path: `${CM}/f1` },
    { id: 'deletion/finalizer/two', method: 'POST', path: CM, body: cm('f2', { finalizers: ['diff.dev/a', 'diff.dev/b'] }), pick: OBJ },
    { id: 'deletion/finalizer/two-delete', method: 'DELETE', path: `${CM}/f2`, pick: DEL_PICK },
    { id: 'deletion/finalizer/two-remove-one', method: 'PATCH', path: `${CM}/f2`, body: [{ op: 'remove', path: '/metadata/finalizers/0' }], contentType: 'application/json-patch+json', pick: OBJ },
    { id: 'deletion/finalizer/two-remove-last', method: 'PATCH', path: `${CM}/f2`, body: [{ op: 'remove', path: '/metadata/finalizers/0' }], contentType: 'application/json-patch+json', pick: OBJ },
    { id: 'deletion/finalizer/two-gone', method: 'GET', path: `${CM}/f2` },
    { id: 'deletion/finalizer/bad-name', method: 'POST', path: CM, body: cm('f3', { finalizers: ['no slash allowed!'] }) },
  );
  // Pods: no kubelet on either side.
  ops.push(
    { id: 'deletion/pod/create-unscheduled', method: 'POST', path: PODS, body: pod('u1'), pick: ['metadata.name', 'status.phase'] },
    { id: 'deletion/pod/delete-unscheduled', method: 'DELETE', path: `${PODS}/u1`, pick: DEL_PICK },
    { id: 'deletion/pod/unscheduled-gone', method: 'GET', path: `${PODS}/u1` },
    { id: 'deletion/pod/create-scheduled', method: 'POST', path: PODS, body: pod('s1', { nodeName: 'node-1' }), pick: ['metadata.name', 'spec.nodeName'], save: { podUid: 'metadata.uid' } },
    { id: 'deletion/pod/delete-scheduled', method: 'DELETE', path: `${PODS}/s1`, pick: DEL_PICK },
    hasTimestamp('deletion/pod/scheduled-terminating', `${PODS}/s1`),
    { id: 'deletion/pod/scheduled-stays', method: 'GET', path: `${PODS}/s1`, waitMs: 1000, pick: ['metadata.name', 'metadata.deletionGracePeriodSeconds'], save: { podUid2: 'metadata.uid' } },
    { id: 'deletion/pod/same-uid', method: 'GET', path: `${PODS}/s1`, pick: ['metadata.uid'] },
    { id: 'deletion/pod/shorter-grace', method: 'DELETE', path: `${PODS}/s1?gracePeriodSeconds=10`, pick: DEL_PICK },
    { id: 'deletion/pod/longer-grace-ignored', method: 'DELETE', path: `${PODS}/s1?gracePeriodSeconds=60`, pick: DEL_PICK },
    { id: 'deletion/pod/force', method: 'DELETE', path: `${PODS}/s1?gracePeriodSeconds=0`, pick: DEL_PICK },
    { id: 'deletion/pod/forced-gone', method: 'GET', path: `${PODS}/s1` },
    { id: 'deletion/pod/create-grace-spec', method: 'POST', path: PODS, body: pod('s2', { nodeName: 'node-1', terminationGracePeriodSeconds: 7 }), pick: ['metadata.name'] },
    { id: 'deletion/pod/delete-grace-spec', method: 'DELETE', path: `${PODS}/s2`, pick: DEL_PICK },
    { id: 'deletion/pod/delete-grace-body', method: 'DELETE', path: `${PODS}/s2`, body: { gracePeriodSeconds: 3 }, pick: DEL_PICK },
    { id: 'deletion/pod/delete-grace-zero-body', method: 'DELETE', path: `${PODS}/s2`, body: { gracePeriodSeconds: 0 }, pick: DEL_PICK },
    { id: 'deletion/pod/create-finished', method: 'POST', path: PODS, body: pod('s3', { nodeName: 'node-1' }), pick: ['metadata.name'] },
    { id: 'deletion/pod/finish', method: 'PATCH', path: `${PODS}/s3/status`, body: { status: { phase: 'Succeeded' } }, contentType: 'application/merge-patch+json', pick: ['status.phase'] },
    { id: 'deletion/pod/delete-finished', method: 'DELETE', path: `${PODS}/s3`, pick: DEL_PICK },
    { id: 'deletion/pod/finished-gone', method: 'GET', path: `${PODS}/s3` },
    { id: 'deletion/pod/create-with-finalizer', method: 'POST', path: PODS, body: { ...pod('s4', { nodeName: 'node-1' }), metadata: { name: 's4', finalizers: ['diff.dev/hold'] } }, pick: ['metadata.name'] },
    { id: 'deletion/pod/force-with-finalizer', method: 'DELETE', path: `${PODS}/s4?gracePeriodSeconds=0`, pick: DEL_PICK },
    hasTimestamp('deletion/pod/force-with-finalizer-stays', `${PODS}/s4`),
    { id: 'deletion/pod/release-finalizer', method: 'PATCH', path: `${PODS}/s4`, body: { metadata: { finalizers: null } }, contentType: 'application/merge-patch+json', pick: ['metadata.name'] },
    { id: 'deletion/pod/released-gone', method: 'GET', path: `${PODS}/s4` },
  );
  // Namespaces: Terminating, content refused, then gone once the controller emptied it.
  const NS = '/api/v1/namespaces/{ns}-t';
  ops.push(
    { id: 'deletion/namespace/create', method: 'POST', path: '/api/v1/namespaces', body: { apiVersion: 'v1', kind: 'Namespace', metadata: { name: '{ns}-t' } }, pick: ['metadata.name', 'spec', 'status', 'metadata.labels'] },
    { id: 'deletion/namespace/content', method: 'POST', path: `${NS}/configmaps`, body: cm('c1'), pick: OBJ },
    { id: 'deletion/namespace/held-content', method: 'POST', path: `${NS}/configmaps`, body: cm('c2', { finalizers: ['diff.dev/hold'] }), pick: OBJ },
    { id: 'deletion/namespace/delete', method: 'DELETE', path: NS, pick: ['kind', 'metadata.name', 'spec', 'status.phase'] },
    { id: 'deletion/namespace/terminating', method: 'GET', path: NS, pick: ['metadata.name', 'spec', 'status.phase'] },
    { id: 'deletion/namespace/create-refused', method: 'POST', path: `${NS}/configmaps`, body: cm('c3'), message: true },
    { id: 'deletion/namespace/delete-again', method: 'DELETE', path: NS, pick: ['kind', 'metadata.name', 'status.phase'] },
    { id: 'deletion/namespace/plain-content-removed', method: 'GET', path: `${NS}/configmaps/c1`, until: { code: 404, ms: 15_000 } },
    { id: 'deletion/namespace/held-content-terminating', method: 'GET', path: `${NS}/configmaps/c2`, pick: ['metadata.name', 'metadata.finalizers', 'metadata.deletionGracePeriodSeconds'] },
    { id: 'deletion/namespace/still-terminating', method: 'GET', path: NS, waitMs: 1000, pick: ['metadata.name', 'spec', 'status.phase'] },
    { id: 'deletion/namespace/release', method: 'PATCH', path: `${NS}/configmaps/c2`, body: { metadata: { finalizers: null } }, contentType: 'application/merge-patch+json', pick: ['metadata.name'] },
    { id: 'deletion/namespace/gone', method: 'GET', path: NS, until: { code: 404, ms: 30_000 } },
    { id: 'deletion/namespace/recreate', method: 'POST', path: '/api/v1/namespaces', body: { apiVersion: 'v1', kind: 'Namespace', metadata: { name: '{ns}-t' } }, pick: ['metadata.name', 'status'] },
    { id: 'deletion/namespace/delete-recreated', method: 'DELETE', path: NS, pick: ['kind', 'metadata.name', 'status.phase'] },
    { id: 'deletion/namespace/delete-missing', method: 'DELETE', path: '/api/v1/namespaces/{ns}-missing' },
    { id: 'deletion/namespace/delete-default-content', method: 'DELETE', path: `${CM}?labelSelector=none%3Dnone`, pick: ['kind', 'items'] },
  );
  return ops;
}

defineGroup('deletion', deletion());
