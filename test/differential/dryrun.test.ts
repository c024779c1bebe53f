/**
 * Differential group `dryrun`: `dryRun=All` on create, update, patch, apply and delete (the answer as a
 * write would be, nothing stored, the resourceVersion unchanged, no generated name reserved), its errors
 * (AlreadyExists, validation, an unknown dryRun value), and the preconditions of updates and patches
 * (`metadata.uid`, `metadata.resourceVersion` in the body).
 */
import type { Op, Saved } from './harness.js';
import { CR_GROUP, crdSetup, crdTeardown } from './kinds.js';
import { defineGroup } from './runner.js';

const CM = '/api/v1/namespaces/{ns}/configmaps';
const W = `/apis/${CR_GROUP}/v1/namespaces/{ns}/widgets`;
const cm = (name: string, meta: Record<string, unknown> = {}, data: Record<string, string> = { a: '1' }) => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, ...meta }, data });
const widget = (name: string, spec: Record<string, unknown>, meta: Record<string, unknown> = {}) => ({ apiVersion: `${CR_GROUP}/v1`, kind: 'Widget', metadata: { name, ...meta }, spec });
const OBJ = ['kind', 'metadata.name', 'metadata.labels', 'data', 'metadata.generation'];
const WOBJ = ['kind', 'metadata.name', 'spec', 'status', 'metadata.generation'];
const unchanged = { sameRv: (b: { metadata: { resourceVersion: string } }, s: Saved) => b.metadata.resourceVersion === s.rv };

function dryrun(): Op[] {
  const ops: Op[] = [...crdSetup('dryrun')];
  ops.push(
    { id: 'dryrun/create', method: 'POST', path: `${CM}?dryRun=All`, body: cm('d1'), pick: OBJ, probe: { hasUid: (b) => typeof b.metadata.uid === 'string', hasRv: (b) => b.metadata.resourceVersion !== undefined } },
    { id: 'dryrun/create-not-stored', method: 'GET', path: `${CM}/d1` },
    { id: 'dryrun/create-generate-name', method: 'POST', path: `${CM}?dryRun=All`, body: { ...cm(''), metadata: { generateName: 'gen-' } }, pick: ['kind', 'metadata.name', 'metadata.generateName'] },
    { id: 'dryrun/create-invalid', method: 'POST', path: `${CM}?dryRun=All`, body: cm('Bad_Name') },
    { id: 'dryrun/create-bad-value', method: 'POST', path: `${CM}?dryRun=Some`, body: cm('d2'), message: true },
    { id: 'dryrun/create-empty-value', method: 'POST', path: `${CM}?dryRun=`, body: cm('d3'), pick: OBJ },
    { id: 'dryrun/create-real', method: 'POST', path: CM, body: cm('d4', { labels: { a: 'b' } }), pick: OBJ, save: { rv: 'metadata.resourceVersion', uid: 'metadata.uid' } },
    { id: 'dryrun/create-exists', method: 'POST', path: `${CM}?dryRun=All`, body: cm('d4') },
    { id: 'dryrun/update', method: 'PUT', path: `${CM}/d4?dryRun=All`, body: (s: Saved) => cm('d4', { resourceVersion: s.rv }, { a: '2' }), pick: OBJ, probe: unchanged },
    { id: 'dryrun/update-stale', method: 'PUT', path: `${CM}/d4?dryRun=All`, body: cm('d4', { resourceVersion: '1' }, { a: '2' }) },
    { id: 'dryrun/patch', method: 'PATCH', path: `${CM}/d4?dryRun=All`, body: { data: { b: '3' } }, contentType: 'application/merge-patch+json', pick: OBJ, probe: unchanged },
    { id: 'dryrun/apply', method: 'PATCH', path: `${CM}/d4?dryRun=All&fieldManager=m`, body: 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: d4\ndata:\n  c: "4"\n', contentType: 'application/apply-patch+yaml', pick: OBJ, probe: unchanged },
    { id: 'dryrun/unchanged', method: 'GET', path: `${CM}/d4`, pick: OBJ, probe: unchanged },
    { id: 'dryrun/delete', method: 'DELETE', path: `${CM}/d4?dryRun=All`, pick: ['kind', 'status', 'details.name'] },
    { id: 'dryrun/delete-body', method: 'DELETE', path: `${CM}/d4`, body: { kind: 'DeleteOptions', apiVersion: 'v1', dryRun: ['All'] }, pick: ['kind', 'status', 'details.name'] },
    { id: 'dryrun/still-there', method: 'GET', path: `${CM}/d4`, pick: OBJ, probe: unchanged },
    { id: 'dryrun/deletecollection', method: 'DELETE', path: `${CM}?dryRun=All`, pick: ['kind', 'items[].metadata.name'] },
    { id: 'dryrun/list-after-deletecollection', method: 'GET', path: CM, pick: ['items[].metadata.name'] },
    { id: 'dryrun/widget-create', method: 'POST', path: `${W}?dryRun=All`, body: widget('w1', { size: 'small' }), pick: WOBJ },
    { id: 'dryrun/widget-create-invalid', method: 'POST', path: `${W}?dryRun=All`, body: widget('w1', { size: 'huge' }) },
    { id: 'dryrun/widget-not-stored', method: 'GET', path: `${W}/w1` },
    { id: 'dryrun/widget-create-real', method: 'POST', path: W, body: widget('w2', { size: 'small' }), pick: WOBJ, save: { wrv: 'metadata.resourceVersion', wuid: 'metadata.uid' } },
    { id: 'dryrun/widget-status', method: 'PATCH', path: `${W}/w2/status?dryRun=All`, body: { status: { phase: 'Ready' } }, contentType: 'application/merge-patch+json', pick: WOBJ },
    { id: 'dryrun/widget-status-unchanged', method: 'GET', path: `${W}/w2`, pick: WOBJ },
    { id: 'dryrun/widget-delete', method: 'DELETE', path: `${W}/w2?dryRun=All`, pick: ['kind', 'metadata.name', 'status'] },
    { id: 'dryrun/namespace-create', method: 'POST', path: '/api/v1/namespaces?dryRun=All', body: { apiVersion: 'v1', kind: 'Namespace', metadata: { name: '{ns}-dry' } }, pick: ['kind', 'metadata.name', 'status'] },
    { id: 'dryrun/namespace-not-created', method: 'GET', path: '/api/v1/namespaces/{ns}-dry' },
    // Preconditions of updates and patches: the body's uid and resourceVersion.
    { id: 'dryrun/precondition/create', method: 'POST', path: CM, body: cm('p1'), pick: OBJ, save: { prv: 'metadata.resourceVersion', puid: 'metadata.uid' } },
    { id: 'dryrun/precondition/put-uid-mismatch', method: 'PUT', path: `${CM}/p1`, body: cm('p1', { uid: '00000000-0000-0000-0000-000000000000' }), message: true },
    { id: 'dryrun/precondition/put-uid-match', method: 'PUT', path: `${CM}/p1`, body: (s: Saved) => cm('p1', { uid: s.puid }, { a: '2' }), pick: OBJ, save: { prv2: 'metadata.resourceVersion' } },
    { id: 'dryrun/precondition/put-rv-stale', method: 'PUT', path: `${CM}/p1`, body: (s: Saved) => cm('p1', { resourceVersion: s.prv }, { a: '3' }), message: true },
    { id: 'dryrun/precondition/patch-uid-mismatch', method: 'PATCH', path: `${CM}/p1`, body: { metadata: { uid: '00000000-0000-0000-0000-000000000000' }, data: { a: '4' } }, contentType: 'application/merge-patch+json', message: true },
    { id: 'dryrun/precondition/patch-uid-match', method: 'PATCH', path: `${CM}/p1`, body: (s: Saved) => ({ metadata: { uid: s.puid }, data: { a: '5' } }), contentType: 'application/merge-patch+json', pick: OBJ },
    { id: 'dryrun/precondition/patch-rv-stale', method: 'PATCH', path: `${CM}/p1`, body: (s: Saved) => ({ metadata: { resourceVersion: s.prv }, data: { a: '6' } }), contentType: 'application/merge-patch+json', message: true },
    { id: 'dryrun/precondition/json-patch-test-rv', method: 'PATCH', path: `${CM}/p1`, body: [{ op: 'test', path: '/metadata/resourceVersion', value: '1' }], contentType: 'application/json-patch+json' },
    { id: 'dryrun/precondition/strategic-rv-stale', method: 'PATCH', path: `${CM}/p1`, body: (s: Saved) => ({ metadata: { resourceVersion: s.prv }, data: { a: '7' } }), contentType: 'application/strategic-merge-patch+json', message: true },
    { id: 'dryrun/precondition/widget-put-uid-mismatch', method: 'PUT', path: `${W}/w2`, body: (s: Saved) => widget('w2', { size: 'large' }, { uid: '00000000-0000-0000-0000-000000000000', resourceVersion: s.wrv }), message: true },
    { id: 'dryrun/precondition/widget-patch-uid-match', method: 'PATCH', path: `${W}/w2`, body: (s: Saved) => ({ metadata: { uid: s.wuid }, spec: { size: 'large' } }), contentType: 'application/merge-patch+json', pick: WOBJ },
    ...crdTeardown('dryrun'),
  );
  return ops;
}

defineGroup('dryrun', dryrun());
