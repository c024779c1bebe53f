/**
 * Differential group `crud`: create, get, list, update, patch and delete of five built-in kinds and a
 * custom resource, with their errors (AlreadyExists, NotFound, Conflict, BadRequest, Invalid, 415).
 */
import type { Op, Saved } from './harness.js';
import { crdSetup, crdTeardown, KINDS, META, obj } from './kinds.js';
import { defineGroup } from './runner.js';

function crud(): Op[] {
  const ops: Op[] = [...crdSetup('crud')];
  for (const k of KINDS) {
    const id = (s: string) => `crud/${k.key}/${s}`;
    const pick = [...META, ...k.paths];
    const one = `${k.base}/a`;
    ops.push(
      { id: id('create'), method: 'POST', path: k.base, body: obj(k, 'a', { labels: { app: 'x' } }), pick, save: { rv: 'metadata.resourceVersion', uid: 'metadata.uid' } },
      { id: id('create-again'), method: 'POST', path: k.base, body: obj(k, 'a') },
      { id: id('create-generate-name'), method: 'POST', path: k.base, body: obj(k, '', { name: undefined, generateName: 'gen-' }), pick: ['kind', 'metadata.generateName'] },
      { id: id('create-bad-name'), method: 'POST', path: k.base, body: obj(k, 'Bad_Name') },
      { id: id('create-no-name'), method: 'POST', path: k.base, body: obj(k, '', { name: undefined }) },
      { id: id('create-wrong-kind'), method: 'POST', path: k.base, body: { ...obj(k, 'b'), kind: 'Nope' } },
      { id: id('create-other-namespace'), method: 'POST', path: k.base, body: obj(k, 'b', { namespace: 'elsewhere' }) },
      { id: id('create-with-rv'), method: 'POST', path: k.base, body: obj(k, 'c', { resourceVersion: '5' }) },
      { id: id('create-not-json'), method: 'POST', path: k.base, body: '{"apiVersion":', contentType: 'application/json' },
      { id: id('create-yaml'), method: 'POST', path: k.base, body: `apiVersion: ${k.apiVersion}\nkind: ${k.kind}\nmetadata:\n  name: y\n`, contentType: 'application/yaml', pick: ['kind', 'metadata.name'] },
      { id: id('get'), method: 'GET', path: one, pick },
      { id: id('get-missing'), method: 'GET', path: `${k.base}/missing` },
      { id: id('list'), method: 'GET', path: k.base, pick: ['kind', 'apiVersion', 'items[].metadata.name', 'items[].kind'] },
      { id: id('list-label-selector'), method: 'GET', path: `${k.base}?labelSelector=app%3Dx`, pick: ['kind', 'items[].metadata.name'] },
      { id: id('list-bad-selector'), method: 'GET', path: `${k.base}?labelSelector=a%3D%3D%3Db` },
      { id: id('list-field-selector'), method: 'GET', path: `${k.base}?fieldSelector=metadata.name%3Da`, pick: ['items[].metadata.name'] },
      { id: id('list-bad-field'), method: 'GET', path: `${k.base}?fieldSelector=spec.nope%3Da` },
      { id: id('update'), method: 'PUT', path: one, body: (s: Saved) => obj(k, 'a', { labels: { app: 'y' }, resourceVersion: s.rv }), pick, save: { rv2: 'metadata.resourceVersion' } },
      { id: id('update-stale'), method: 'PUT', path: one, body: (s: Saved) => obj(k, 'a', { labels: { app: 'z' }, resourceVersion: s.rv }) },
      { id: id('update-no-rv'), method: 'PUT', path: one, body: obj(k, 'a', { labels: { app: 'w' } }), pick: k.custom ? undefined : pick },
      { id: id('update-name-mismatch'), method: 'PUT', path: one, body: obj(k, 'other') },
      { id: id('update-missing'), method: 'PUT', path: `${k.base}/missing`, body: obj(k, 'missing') },
      { id: id('patch-merge'), method: 'PATCH', path: one, body: { metadata: { annotations: { note: 'm' } } }, contentType: 'application/merge-patch+json', pick },
      { id: id('patch-json'), method: 'PATCH', path: one, body: [{ op: 'add', path: '/metadata/labels/j', value: 'v' }], contentType: 'application/json-patch+json', pick },
      { id: id('patch-json-test-fails'), method: 'PATCH', path: one, body: [{ op: 'test', path: '/metadata/name', value: 'zzz' }], contentType: 'application/json-patch+json' },
      { id: id('patch-json-bad-path'), method: 'PATCH', path: one, body: [{ op: 'replace', path: '/nope/deeper', value: 1 }], contentType: 'application/json-patch+json' },
      { id: id('patch-strategic'), method: 'PATCH', path: one, body: { metadata: { labels: { s: 'v' } } }, contentType: 'application/strategic-merge-patch+json', pick },
      { id: id('patch-unknown-type'), method: 'PATCH', path: one, body: { metadata: {} }, contentType: 'text/plain' },
      { id: id('patch-missing'), method: 'PATCH', path: `${k.base}/missing`, body: { metadata: { labels: { a: 'b' } } }, contentType: 'application/merge-patch+json' },
      { id: id('patch-stale-rv'), method: 'PATCH', path: one, body: (s: Saved) => ({ metadata: { resourceVersion: s.rv, labels: { q: 'r' } } }), contentType: 'application/merge-patch+json' },
      { id: id('delete'), method: 'DELETE', path: one, pick: ['kind', 'metadata.name', 'status', 'details.name', 'details.kind'] },
      { id: id('delete-missing'), method: 'DELETE', path: one },
      { id: id('get-deleted'), method: 'GET', path: one },
      { id: id('deletecollection'), method: 'DELETE', path: k.base, pick: ['kind'] },
      { id: id('list-after-deletecollection'), method: 'GET', path: k.base, pick: ['items[].metadata.name'] },
    );
  }
  ops.push(
    { id: 'crud/unknown-resource', method: 'GET', path: '/api/v1/namespaces/{ns}/nopes' },
    { id: 'crud/unknown-group', method: 'GET', path: '/apis/nope.dev/v1/things' },
    { id: 'crud/namespace-missing', method: 'POST', path: '/api/v1/namespaces/nope-missing-ns/configmaps', body: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'a' } } },
    { id: 'crud/method-not-allowed', method: 'PUT', path: '/api/v1/namespaces/{ns}/configmaps', body: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'a' } } },
    ...crdTeardown('crud'),
  );
  return ops;
}

defineGroup('crud', crud());
