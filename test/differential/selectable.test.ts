/**
 * Differential group `selectable`: field selectors on a custom resource's `selectableFields` (Kubernetes
 * 1.31+, GA 1.32; what `RecordStore.listInFlight` of src/updates/records.ts relies on, through
 * `.status.phase` of deploy/crd-databaseupdate.yaml): `=`, `==` and `!=`, several requirements (AND), an
 * object with no status, combined with a label selector, on a watch, a field that is not selectable
 * (400), and CRDs whose `selectableFields` name a path outside the schema or a non-scalar field (422).
 */
import type { Op } from './harness.js';
import { CR_GROUP, crdSetup, crdTeardown, widgetCrd } from './kinds.js';
import { defineGroup } from './runner.js';

const W = `/apis/${CR_GROUP}/v1/namespaces/{ns}/widgets`;
const widget = (name: string, size: string, labels: Record<string, string> = {}) => ({ apiVersion: `${CR_GROUP}/v1`, kind: 'Widget', metadata: { name, labels }, spec: { size } });
const NAMES = ['kind', 'items[].metadata.name'];
const q = (s: string) => `${W}?fieldSelector=${encodeURIComponent(s)}`;
/** The widget CRD under another name, its selectableFields replaced. */
const badCrd = (plural: string, fields: Array<{ jsonPath: string }>) => {
  const crd = widgetCrd() as { metadata: { name: string }; spec: { names: Record<string, unknown>; versions: Array<Record<string, unknown>> } };
  crd.metadata.name = `${plural}.${CR_GROUP}`;
  crd.spec.names = { kind: plural[0].toUpperCase() + plural.slice(1, -1), plural, singular: plural.slice(0, -1), listKind: `${plural[0].toUpperCase()}${plural.slice(1, -1)}List` };
  crd.spec.versions[0].selectableFields = fields;
  return crd;
};

function selectable(): Op[] {
  const ops: Op[] = [...crdSetup('selectable')];
  for (const [name, size, labels] of [['s1', 'small', { team: 'a' }], ['s2', 'large', { team: 'a' }], ['s3', 'small', { team: 'b' }], ['s4', 'large', {}]] as const)
    ops.push({ id: `selectable/create-${name}`, method: 'POST', path: W, body: widget(name, size, labels), pick: ['metadata.name'] });
  for (const [name, phase] of [['s1', 'Done'], ['s2', 'Running'], ['s3', 'Failed']] as const)
    ops.push({ id: `selectable/status-${name}`, method: 'PATCH', path: `${W}/${name}/status`, body: { status: { phase } }, contentType: 'application/merge-patch+json', pick: ['metadata.name', 'status.phase'] });
  ops.push(
    { id: 'selectable/eq', method: 'GET', path: q('status.phase=Running'), pick: NAMES },
    { id: 'selectable/eqeq', method: 'GET', path: q('status.phase==Done'), pick: NAMES },
    { id: 'selectable/neq-no-status-included', method: 'GET', path: q('status.phase!=Done'), pick: NAMES },
    { id: 'selectable/neq-several', method: 'GET', path: q('status.phase!=Done,status.phase!=Failed'), pick: NAMES },
    { id: 'selectable/empty-value', method: 'GET', path: q('status.phase='), pick: NAMES },
    { id: 'selectable/spec-field', method: 'GET', path: q('spec.size=small'), pick: NAMES },
    { id: 'selectable/with-metadata-name', method: 'GET', path: q('spec.size=small,metadata.name!=s1'), pick: NAMES },
    { id: 'selectable/with-label-selector', method: 'GET', path: `${q('status.phase!=Done')}&labelSelector=team%3Da`, pick: NAMES },
    { id: 'selectable/all-namespaces', method: 'GET', path: `/apis/${CR_GROUP}/v1/widgets?fieldSelector=${encodeURIComponent('status.phase=Failed')}`, pick: NAMES },
    { id: 'selectable/not-selectable', method: 'GET', path: q('spec.mode=auto'), message: true },
    { id: 'selectable/bad-crd-path', method: 'POST', path: '/apis/apiextensions.k8s.io/v1/customresourcedefinitions', body: badCrd('gadgets', [{ jsonPath: '.spec.nothere' }]), pick: ['kind', 'reason'] },
    { id: 'selectable/bad-crd-object', method: 'POST', path: '/apis/apiextensions.k8s.io/v1/customresourcedefinitions', body: badCrd('gizmos', [{ jsonPath: '.spec.free' }]), pick: ['kind', 'reason'] },
    ...crdTeardown('selectable'),
  );
  return ops;
}

defineGroup('selectable', selectable());
