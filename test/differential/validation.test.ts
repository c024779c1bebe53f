/**
 * Differential group `validation`: a CRD's structural schema (pruning, defaulting, validation errors
 * with their causes), `fieldValidation` Strict/Warn/Ignore on create, update and patch of a custom
 * resource and of built-in kinds (warnings compared), and bodies the decoder refuses.
 */
import type { Op, Saved } from './harness.js';
import { CR_GROUP, crdSetup, crdTeardown } from './kinds.js';
import { defineGroup } from './runner.js';

const W = `/apis/${CR_GROUP}/v1/namespaces/{ns}/widgets`;
const CM = '/api/v1/namespaces/{ns}/configmaps';
const widget = (name: string, spec: Record<string, unknown>, extra: Record<string, unknown> = {}) => ({
  apiVersion: `${CR_GROUP}/v1`,
  kind: 'Widget',
  metadata: { name },
  spec,
  ...extra,
});
const PICK = ['spec', 'metadata.name', 'metadata.labels', 'status'];

function validation(): Op[] {
  const ops: Op[] = [...crdSetup('validation')];
  let n = 0;
  const create = (what: string, body: unknown, q = '', extra: Partial<Op> = {}): Op => ({
    id: `validation/widget/${what}`,
    method: 'POST',
    path: `${W}${q}`,
    body,
    pick: PICK,
    warnings: true,
    message: true,
    ...extra,
  });
  const name = () => `w${++n}`;
  ops.push(
    create('defaults', widget(name(), { size: 'small' })),
    create('defaults-null-replaced', widget(name(), { size: 'small', replicas: null })),
    create('defaults-kept-when-set', widget(name(), { size: 'large', replicas: 3, mode: 'manual' })),
    create('unknown-spec-field-warn', widget(name(), { size: 'small', x: 1 })),
    create('unknown-spec-field-strict', widget(name(), { size: 'small', x: 1 }), '?fieldValidation=Strict'),
    create('unknown-spec-field-ignore', widget(name(), { size: 'small', x: 1 }), '?fieldValidation=Ignore'),
    create('unknown-nested-strict', widget(name(), { size: 'small', x: { y: 1 }, z: 2 }), '?fieldValidation=Strict'),
    create('unknown-root-field-warn', widget(name(), { size: 'small' }, { extra: true })),
    create('unknown-root-field-strict', widget(name(), { size: 'small' }, { extra: true }), '?fieldValidation=Strict'),
    create('unknown-status-field', widget(name(), { size: 'small' }, { status: { phase: 'x', nope: 1 } })),
    create('unknown-metadata-field-warn', { ...widget(name(), { size: 'small' }), metadata: { name: `w${n}`, nope: 1 } }),
    create('unknown-metadata-field-strict', { ...widget(name(), { size: 'small' }), metadata: { name: `w${n}`, nope: 1 } }, '?fieldValidation=Strict'),
    create('preserved-free-form', widget(name(), { size: 'small', free: { any: { deep: [1, 'two'] } } }), '?fieldValidation=Strict'),
    create('additional-properties-map', widget(name(), { size: 'small', labels: { a: 'b', c: 'd' } }), '?fieldValidation=Strict'),
    create('additional-properties-wrong-type', widget(name(), { size: 'small', labels: { a: 1 } })),
    create('enum-violation', widget(name(), { size: 'medium' })),
    create('required-missing', widget(name(), { replicas: 2 })),
    create('spec-missing', { apiVersion: `${CR_GROUP}/v1`, kind: 'Widget', metadata: { name: `w${++n}` } }),
    create('type-string-for-integer', widget(name(), { size: 'small', replicas: 'two' })),
    create('type-number-for-integer', widget(name(), { size: 'small', replicas: 1.5 })),
    create('minimum', widget(name(), { size: 'small', replicas: -1 })),
    create('max-length', widget(name(), { size: 'small', note: 'toolong' })),
    create('array-wrong-type', widget(name(), { size: 'small', tags: 'a' })),
    create('array-item-wrong-type', widget(name(), { size: 'small', tags: ['a', 2] })),
    create('two-errors', widget(name(), { size: 'huge', replicas: 'x' })),
    create('field-validation-bogus', widget(name(), { size: 'small' }), '?fieldValidation=Bogus'),
    create('field-validation-empty', widget(name(), { size: 'small', x: 1 }), '?fieldValidation='),
    create('duplicate-field-strict', `{"apiVersion":"${CR_GROUP}/v1","kind":"Widget","metadata":{"name":"dup"},"spec":{"size":"small","size":"large"}}`, '?fieldValidation=Strict'),
    create('duplicate-field-warn', `{"apiVersion":"${CR_GROUP}/v1","kind":"Widget","metadata":{"name":"dup2"},"spec":{"size":"small","size":"large","tags":["a"],"tags":["b"]}}`),
    create('duplicate-field-ignore', `{"apiVersion":"${CR_GROUP}/v1","kind":"Widget","metadata":{"name":"dup3"},"spec":{"size":"small","size":"large"}}`, '?fieldValidation=Ignore'),
    create('duplicate-nested-strict', `{"apiVersion":"${CR_GROUP}/v1","kind":"Widget","metadata":{"name":"dup4","labels":{"a":"1","a":"2"}},"spec":{"size":"small","free":{"x":[{"y":1,"y":2}]}}}`, '?fieldValidation=Strict'),
  );
  const w1 = `${W}/w1`;
  ops.push(
    { id: 'validation/widget/get-defaulted', method: 'GET', path: w1, pick: PICK, save: { rv: 'metadata.resourceVersion' } },
    {
      id: 'validation/widget/update-unknown-strict',
      method: 'PUT',
      path: `${w1}?fieldValidation=Strict`,
      body: (s: Saved) => ({ ...widget('w1', { size: 'small', x: 1 }), metadata: { name: 'w1', resourceVersion: s.rv } }),
      message: true,
    },
    {
      id: 'validation/widget/update-unknown-warn',
      method: 'PUT',
      path: w1,
      body: (s: Saved) => ({ ...widget('w1', { size: 'large', x: 1 }), metadata: { name: 'w1', resourceVersion: s.rv } }),
      pick: PICK,
      warnings: true,
    },
    {
      id: 'validation/widget/update-drops-default-again',
      method: 'PUT',
      path: w1,
      body: { ...widget('w1', { size: 'large' }), metadata: { name: 'w1' } },
      message: true,
    },
    { id: 'validation/widget/patch-unknown-strict', method: 'PATCH', path: `${w1}?fieldValidation=Strict`, body: { spec: { y: 1 } }, contentType: 'application/merge-patch+json' },
    { id: 'validation/widget/patch-unknown-warn', method: 'PATCH', path: w1, body: { spec: { y: 1 } }, contentType: 'application/merge-patch+json', pick: PICK, warnings: true },
    { id: 'validation/widget/patch-remove-defaulted', method: 'PATCH', path: w1, body: { spec: { mode: null } }, contentType: 'application/merge-patch+json', pick: PICK },
    { id: 'validation/widget/patch-invalid-enum', method: 'PATCH', path: w1, body: { spec: { size: 'tiny' } }, contentType: 'application/merge-patch+json' },
    { id: 'validation/widget/patch-remove-required', method: 'PATCH', path: w1, body: [{ op: 'remove', path: '/spec/size' }], contentType: 'application/json-patch+json' },
    { id: 'validation/widget/json-patch-unknown-strict', method: 'PATCH', path: `${w1}?fieldValidation=Strict`, body: [{ op: 'add', path: '/spec/q', value: 1 }], contentType: 'application/json-patch+json' },
    { id: 'validation/widget/status-on-main-ignored', method: 'PATCH', path: w1, body: { status: { phase: 'Ready' } }, contentType: 'application/merge-patch+json', pick: PICK },
  );
  // Built-in kinds: the decoder knows their fields.
  const cm = (name: string, extra: Record<string, unknown> = {}) => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name }, data: { a: '1' }, ...extra });
  ops.push(
    { id: 'validation/configmap/unknown-warn', method: 'POST', path: CM, body: cm('c1', { x: 1 }), pick: ['data', 'x'], warnings: true },
    { id: 'validation/configmap/unknown-strict', method: 'POST', path: `${CM}?fieldValidation=Strict`, body: cm('c2', { x: 1, spec: { y: 2 } }), message: true },
    { id: 'validation/configmap/unknown-ignore', method: 'POST', path: `${CM}?fieldValidation=Ignore`, body: cm('c3', { x: 1 }), pick: ['data', 'x'], warnings: true },
    { id: 'validation/configmap/unknown-metadata-strict', method: 'POST', path: `${CM}?fieldValidation=Strict`, body: { ...cm('c4'), metadata: { name: 'c4', nope: 1 } }, message: true },
    { id: 'validation/configmap/data-not-string', method: 'POST', path: CM, body: cm('c5', { data: { a: 1 } }) },
    { id: 'validation/configmap/labels-not-string', method: 'POST', path: CM, body: { ...cm('c6'), metadata: { name: 'c6', labels: { a: 1 } } } },
    { id: 'validation/configmap/bad-label-value', method: 'POST', path: CM, body: { ...cm('c7'), metadata: { name: 'c7', labels: { a: 'not valid!' } } } },
    { id: 'validation/configmap/bad-label-key', method: 'POST', path: CM, body: { ...cm('c8'), metadata: { name: 'c8', labels: { 'a/b/c': 'x' } } } },
    { id: 'validation/configmap/bad-data-key', method: 'POST', path: CM, body: cm('c9', { data: { 'a b': 'x' } }) },
    { id: 'validation/configmap/name-too-long', method: 'POST', path: CM, body: cm('c'.repeat(254)) },
    { id: 'validation/configmap/patch-unknown-strict', method: 'PATCH', path: `${CM}/c1?fieldValidation=Strict`, body: { x: 1 }, contentType: 'application/merge-patch+json' },
    { id: 'validation/configmap/patch-unknown-warn', method: 'PATCH', path: `${CM}/c1`, body: { x: 1 }, contentType: 'application/merge-patch+json', pick: ['data', 'x'], warnings: true },
    { id: 'validation/configmap/immutable', method: 'POST', path: CM, body: cm('c10', { immutable: true }), pick: ['immutable'] },
    { id: 'validation/configmap/immutable-change', method: 'PATCH', path: `${CM}/c10`, body: { data: { a: '2' } }, contentType: 'application/merge-patch+json' },
    { id: 'validation/secret/bad-base64', method: 'POST', path: '/api/v1/namespaces/{ns}/secrets', body: { apiVersion: 'v1', kind: 'Secret', metadata: { name: 's1' }, data: { a: '!!!' } } },
    { id: 'validation/secret/string-data', method: 'POST', path: '/api/v1/namespaces/{ns}/secrets', body: { apiVersion: 'v1', kind: 'Secret', metadata: { name: 's2' }, stringData: { a: 'x' } }, pick: ['data', 'stringData', 'type'] },
    {
      id: 'validation/pod/unknown-spec-field-strict',
      method: 'POST',
      path: '/api/v1/namespaces/{ns}/pods?fieldValidation=Strict',
      body: { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p1' }, spec: { containers: [{ name: 'c', image: 'busybox' }], nope: 1 } },
      message: true,
    },
    {
      id: 'validation/pod/no-containers',
      method: 'POST',
      path: '/api/v1/namespaces/{ns}/pods',
      body: { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p2' }, spec: { containers: [] } },
    },
    ...crdTeardown('validation'),
  );
  return ops;
}

defineGroup('validation', validation());
