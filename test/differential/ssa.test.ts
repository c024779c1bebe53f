/**
 * Differential group `ssa`: `metadata.managedFields` after creates, updates and patches (Update
 * entries, manager from `fieldManager` or the User-Agent), server-side apply (Apply entries, shared
 * ownership, 409 conflicts with a cause per field, `force=true`, fields dropped from a configuration
 * removed), on a ConfigMap and on a custom resource (its main resource and `/status`).
 */
import type { Op } from './harness.js';
import { CR_GROUP, crdSetup, crdTeardown } from './kinds.js';
import { defineGroup } from './runner.js';

const CM = '/api/v1/namespaces/{ns}/configmaps';
const W = `/apis/${CR_GROUP}/v1/namespaces/{ns}/widgets`;
const APPLY = 'application/apply-patch+yaml';
const MF = ['metadata.managedFields'];
const PICK = ['data', 'metadata.labels', 'metadata.finalizers', 'metadata.managedFields'];
const WPICK = ['spec', 'status', 'metadata.managedFields'];

const cmYaml = (name: string, data: Record<string, string>, extra = '') =>
  `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${name}\n${extra}data:\n${Object.entries(data)
    .map(([k, v]) => `  ${k}: "${v}"`)
    .join('\n')}\n`;
const apply = (id: string, path: string, body: string, manager: string | undefined, q = '', extra: Partial<Op> = {}): Op => ({
  id: `ssa/${id}`,
  method: 'PATCH',
  path: `${path}?${manager ? `fieldManager=${manager}` : ''}${q}`,
  body,
  contentType: APPLY,
  pick: PICK,
  message: true,
  ...extra,
});

function ssa(): Op[] {
  const ops: Op[] = [...crdSetup('ssa')];
  const s1 = `${CM}/s1`;
  ops.push(
    apply('cm/create', s1, cmYaml('s1', { a: '1', b: '2' }, '  labels:\n    app: x\n'), 'm1'),
    apply('cm/reapply-same', s1, cmYaml('s1', { a: '1', b: '2' }, '  labels:\n    app: x\n'), 'm1'),
    apply('cm/conflict', s1, cmYaml('s1', { a: '9' }), 'm2'),
    apply('cm/conflict-two', s1, cmYaml('s1', { a: '9', b: '9' }), 'm2'),
    apply('cm/share-same-value', s1, cmYaml('s1', { a: '1' }), 'm2'),
    apply('cm/force', s1, cmYaml('s1', { b: '7' }), 'm2', '&force=true'),
    apply('cm/m1-conflicts-now', s1, cmYaml('s1', { a: '1', b: '2' }, '  labels:\n    app: x\n'), 'm1'),
    apply('cm/m1-drops-label', s1, cmYaml('s1', { a: '1' }), 'm1'),
    { id: 'ssa/cm/update-merge', method: 'PATCH', path: `${s1}?fieldManager=editor`, body: { data: { c: '3', a: '5' } }, contentType: 'application/merge-patch+json', pick: PICK },
    apply('cm/conflict-with-update', s1, cmYaml('s1', { a: '1' }), 'm1'),
    apply('cm/m2-drops-b', s1, cmYaml('s1', {}).replace('data:\n\n', 'data: {}\n'), 'm2'),
    { id: 'ssa/cm/update-user-agent', method: 'PATCH', path: s1, body: { data: { d: '4' } }, contentType: 'application/merge-patch+json', headers: { 'User-Agent': 'kubectl/v1.32.3 (linux/amd64) kubernetes/abcdef' }, pick: PICK },
    { id: 'ssa/cm/update-no-agent', method: 'PATCH', path: s1, body: { data: { e: '5' } }, contentType: 'application/merge-patch+json', pick: MF },
    { id: 'ssa/cm/update-noop', method: 'PATCH', path: `${s1}?fieldManager=other`, body: { data: { e: '5' } }, contentType: 'application/merge-patch+json', pick: MF },
    { id: 'ssa/cm/get', method: 'GET', path: s1, pick: PICK },
    { id: 'ssa/cm/put-replaces', method: 'PUT', path: `${s1}?fieldManager=replacer`, body: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 's1' }, data: { z: '1' } }, pick: PICK },
    apply('cm/no-field-manager', s1, cmYaml('s1', { a: '1' }), undefined),
    apply('cm/bad-yaml', s1, 'apiVersion: v1\nkind: [', 'm1'),
    apply('cm/wrong-kind', s1, 'apiVersion: v1\nkind: Secret\nmetadata:\n  name: s1\n', 'm1'),
    apply('cm/name-mismatch', s1, cmYaml('other', { a: '1' }), 'm1'),
    apply('cm/wrong-version', s1, cmYaml('s1', { a: '1' }).replace('apiVersion: v1', 'apiVersion: v2'), 'm1'),
    apply('cm/no-api-version', s1, cmYaml('s1', { a: '1' }).replace('apiVersion: v1\n', ''), 'm1'),
    apply('cm/managed-fields-sent', s1, cmYaml('s1', { a: '1' }, '  managedFields: []\n'), 'm1'),
    apply('cm/unknown-nested', s1, cmYaml('s1', { a: '1' }, '  nope: 1\n'), 'm1'),
    apply('cm/conflict-then-name', s1, cmYaml('other', { a: '8' }), 'm9'),
    apply('cm/dry-run', `${CM}/s2`, cmYaml('s2', { a: '1' }), 'm1', '&dryRun=All'),
    { id: 'ssa/cm/dry-run-nothing', method: 'GET', path: `${CM}/s2` },
    apply('cm/unknown-field-strict', `${CM}/s3`, `${cmYaml('s3', { a: '1' })}nope: 1\n`, 'm1', '&fieldValidation=Strict'),
    apply('cm/unknown-field-warn', `${CM}/s3`, `${cmYaml('s3', { a: '1' })}nope: 1\n`, 'm1', '', { warnings: true }),
    apply('cm/finalizer-set', `${CM}/s4`, cmYaml('s4', { a: '1' }, '  finalizers: ["diff.dev/a"]\n'), 'm1'),
    apply('cm/finalizer-set-second', `${CM}/s4`, cmYaml('s4', { a: '1' }, '  finalizers: ["diff.dev/b"]\n'), 'm2'),
    apply('cm/finalizer-drop-first', `${CM}/s4`, cmYaml('s4', { a: '1' }, '  finalizers: []\n'), 'm1'),
    { id: 'ssa/cm/finalizer-clear', method: 'PATCH', path: `${CM}/s4`, body: { metadata: { finalizers: null } }, contentType: 'application/merge-patch+json', pick: PICK },
    { id: 'ssa/cm/force-non-apply', method: 'PATCH', path: `${CM}/s4?force=true`, body: { data: { q: '1' } }, contentType: 'application/merge-patch+json' },
    { id: 'ssa/cm/create-post', method: 'POST', path: `${CM}?fieldManager=creator`, body: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 's5', labels: { a: 'b' } }, data: { x: '1' } }, pick: PICK },
    apply('cm/apply-over-created', `${CM}/s5`, cmYaml('s5', { x: '2' }), 'm1'),
    apply('cm/apply-over-created-force', `${CM}/s5`, cmYaml('s5', { x: '2' }), 'm1', '&force=true'),
  );
  const w1 = `${W}/w1`;
  const wYaml = (spec: string, status = '') => `apiVersion: ${CR_GROUP}/v1\nkind: Widget\nmetadata:\n  name: w1\nspec:\n${spec}${status}`;
  ops.push(
    apply('widget/create', w1, wYaml('  size: small\n  tags: [a, b]\n'), 'm1', '', { pick: WPICK }),
    apply('widget/second-manager-new-field', w1, wYaml('  note: hi\n'), 'm2', '', { pick: WPICK }),
    apply('widget/conflict-on-list', w1, wYaml('  tags: [c]\n'), 'm2', '', { pick: WPICK }),
    apply('widget/conflict-default', w1, wYaml('  replicas: 3\n'), 'm2', '', { pick: WPICK }),
    apply('widget/force-list', w1, wYaml('  tags: [c]\n'), 'm2', '&force=true', { pick: WPICK }),
    apply('widget/m1-drops-size', w1, wYaml('  mode: fast\n'), 'm1', '', { pick: WPICK }),
    apply('widget/status-apply', `${w1}/status`, wYaml('  size: small\n', 'status:\n  phase: Ready\n'), 'm1', '', { pick: WPICK }),
    apply('widget/status-conflict', `${w1}/status`, wYaml('  size: small\n', 'status:\n  phase: Done\n'), 'm3', '', { pick: WPICK }),
    { id: 'ssa/widget/status-update', method: 'PATCH', path: `${w1}/status?fieldManager=ctl`, body: { status: { replicas: 2 } }, contentType: 'application/merge-patch+json', pick: WPICK },
    { id: 'ssa/widget/get', method: 'GET', path: w1, pick: WPICK },
    apply('widget/invalid', w1, wYaml('  size: huge\n'), 'm1', '', { pick: WPICK }),
    apply('widget/unknown-field', w1, wYaml('  size: small\n  bogus: 1\n'), 'm1', '', { pick: WPICK }),
    apply('widget/wrong-kind', w1, wYaml('  size: small\n').replace('kind: Widget', 'kind: Gadget'), 'm1', '', { pick: WPICK }),
    apply('widget/status-missing-object', `${W}/w9/status`, wYaml('  size: small\n', 'status:\n  phase: Ready\n').replace('name: w1', 'name: w9'), 'm1', '', { pick: WPICK }),
    apply('widget/create-second', `${W}/w2`, wYaml('  size: large\n').replace('name: w1', 'name: w2'), 'm1', '', { pick: WPICK }),
    ...crdTeardown('ssa'),
  );
  return ops;
}

defineGroup('ssa', ssa());
