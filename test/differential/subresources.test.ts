/**
 * Differential group `subresources`: `/status` of a custom resource and of built-in kinds (what a
 * status write may change, generation, the main resource ignoring `.status`), `/scale` of a custom
 * resource with a scale subresource (autoscaling/v1 Scale: GET, PATCH, PUT, errors) and of a
 * Deployment, and subresources that do not exist.
 */
import type { Op, Saved } from './harness.js';
import { CR_GROUP, crdSetup, crdTeardown } from './kinds.js';
import { defineGroup } from './runner.js';

const W = `/apis/${CR_GROUP}/v1/namespaces/{ns}/widgets`;
const CM = '/api/v1/namespaces/{ns}/configmaps';
const DEP = '/apis/apps/v1/namespaces/{ns}/deployments';
const WOBJ = ['kind', 'metadata.name', 'spec', 'status', 'metadata.generation'];
const SCALE = ['kind', 'apiVersion', 'metadata.name', 'metadata.namespace', 'spec', 'status'];
const widget = (spec: Record<string, unknown>, extra: Record<string, unknown> = {}) => ({ apiVersion: `${CR_GROUP}/v1`, kind: 'Widget', metadata: { name: 'w' }, spec, ...extra });
const deployment = {
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name: 'd' },
  spec: { replicas: 2, selector: { matchLabels: { app: 'd' } }, template: { metadata: { labels: { app: 'd' } }, spec: { containers: [{ name: 'c', image: 'busybox' }] } } },
};

function subresources(): Op[] {
  const ops: Op[] = [...crdSetup('subresources')];
  ops.push(
    { id: 'subresources/widget/create-with-status', method: 'POST', path: W, body: widget({ size: 'small', replicas: 2 }, { status: { phase: 'Pending' } }), pick: WOBJ, save: { rv: 'metadata.resourceVersion' } },
    { id: 'subresources/widget/get-status', method: 'GET', path: `${W}/w/status`, pick: WOBJ },
    { id: 'subresources/widget/status-patch', method: 'PATCH', path: `${W}/w/status`, body: { spec: { size: 'large' }, status: { phase: 'Ready', replicas: 2 } }, contentType: 'application/merge-patch+json', pick: WOBJ, save: { rv2: 'metadata.resourceVersion' } },
    { id: 'subresources/widget/status-put', method: 'PUT', path: `${W}/w/status`, body: (s: Saved) => ({ ...widget({ size: 'large' }, { status: { phase: 'Done' } }), metadata: { name: 'w', resourceVersion: s.rv2 } }), pick: WOBJ },
    { id: 'subresources/widget/status-put-stale', method: 'PUT', path: `${W}/w/status`, body: (s: Saved) => ({ ...widget({ size: 'small' }, { status: { phase: 'Old' } }), metadata: { name: 'w', resourceVersion: s.rv } }) },
    { id: 'subresources/widget/status-invalid', method: 'PATCH', path: `${W}/w/status`, body: { status: { replicas: 'many' } }, contentType: 'application/merge-patch+json', message: true },
    { id: 'subresources/widget/main-invalid-type', method: 'PATCH', path: `${W}/w`, body: { spec: { replicas: 'many' } }, contentType: 'application/merge-patch+json', message: true },
    { id: 'subresources/widget/main-invalid-enum', method: 'PATCH', path: `${W}/w`, body: { spec: { size: 'huge' } }, contentType: 'application/merge-patch+json', message: true },
    { id: 'subresources/widget/status-put-invalid-type', method: 'PUT', path: `${W}/w/status`, body: (s: Saved) => ({ ...widget({ size: 'small' }, { status: { replicas: 'x' } }), metadata: { name: 'w', resourceVersion: s.rv2 } }), message: true },
    { id: 'subresources/widget/main-ignores-status', method: 'PATCH', path: `${W}/w`, body: { spec: { mode: 'fast' }, status: { phase: 'Ignored' } }, contentType: 'application/merge-patch+json', pick: WOBJ },
    { id: 'subresources/widget/status-missing-object', method: 'PATCH', path: `${W}/nope/status`, body: { status: { phase: 'x' } }, contentType: 'application/merge-patch+json' },
    { id: 'subresources/widget/status-delete', method: 'DELETE', path: `${W}/w/status` },
    { id: 'subresources/widget/status-post', method: 'POST', path: `${W}/w/status`, body: widget({ size: 'small' }) },
    { id: 'subresources/widget/get-scale', method: 'GET', path: `${W}/w/scale`, pick: SCALE },
    { id: 'subresources/widget/scale-patch', method: 'PATCH', path: `${W}/w/scale`, body: { spec: { replicas: 5 } }, contentType: 'application/merge-patch+json', pick: SCALE },
    { id: 'subresources/widget/after-scale', method: 'GET', path: `${W}/w`, pick: WOBJ },
    { id: 'subresources/widget/scale-put', method: 'PUT', path: `${W}/w/scale`, body: { apiVersion: 'autoscaling/v1', kind: 'Scale', metadata: { name: 'w' }, spec: { replicas: 1 } }, pick: SCALE },
    { id: 'subresources/widget/scale-negative', method: 'PATCH', path: `${W}/w/scale`, body: { spec: { replicas: -1 } }, contentType: 'application/merge-patch+json' },
    { id: 'subresources/widget/scale-missing-object', method: 'GET', path: `${W}/nope/scale` },
    { id: 'subresources/widget/unknown-subresource', method: 'GET', path: `${W}/w/nope` },
    { id: 'subresources/configmap/create', method: 'POST', path: CM, body: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c' }, data: { a: '1' } }, pick: ['metadata.name'] },
    { id: 'subresources/configmap/no-status', method: 'GET', path: `${CM}/c/status` },
    { id: 'subresources/configmap/no-scale', method: 'GET', path: `${CM}/c/scale` },
    { id: 'subresources/deployment/create', method: 'POST', path: DEP, body: deployment, pick: ['metadata.name', 'spec.replicas', 'metadata.generation'] },
    { id: 'subresources/deployment/status-patch', method: 'PATCH', path: `${DEP}/d/status`, body: { spec: { replicas: 9 }, status: { observedGeneration: 1, replicas: 0 } }, contentType: 'application/merge-patch+json', pick: ['spec.replicas', 'status.observedGeneration', 'metadata.generation'] },
    { id: 'subresources/deployment/get-scale', method: 'GET', path: `${DEP}/d/scale`, pick: SCALE },
    { id: 'subresources/deployment/scale-patch', method: 'PATCH', path: `${DEP}/d/scale`, body: { spec: { replicas: 3 } }, contentType: 'application/merge-patch+json', pick: SCALE },
    { id: 'subresources/deployment/after-scale', method: 'GET', path: `${DEP}/d`, pick: ['spec.replicas', 'metadata.generation'] },
    { id: 'subresources/pod/create', method: 'POST', path: '/api/v1/namespaces/{ns}/pods', body: { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' }, spec: { containers: [{ name: 'c', image: 'busybox' }] } }, pick: ['metadata.name', 'status.phase'] },
    { id: 'subresources/pod/status-patch', method: 'PATCH', path: '/api/v1/namespaces/{ns}/pods/p/status', body: { status: { phase: 'Running', conditions: [{ type: 'Ready', status: 'True' }] } }, contentType: 'application/strategic-merge-patch+json', pick: ['status.phase', 'status.conditions[].type', 'status.conditions[].status'] },
    { id: 'subresources/pod/status-bad-phase', method: 'PATCH', path: '/api/v1/namespaces/{ns}/pods/p/status', body: { status: { phase: 'Sleeping' } }, contentType: 'application/merge-patch+json' },
    { id: 'subresources/pod/delete', method: 'DELETE', path: '/api/v1/namespaces/{ns}/pods/p?gracePeriodSeconds=0', pick: ['metadata.name'] },
    ...crdTeardown('subresources'),
  );
  return ops;
}

defineGroup('subresources', subresources());
