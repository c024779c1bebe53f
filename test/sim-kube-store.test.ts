/**
 * The in-process store of the Kubernetes API emulator: metadata, resourceVersion/generation, conflicts,
 * status subresource, CRD registration, selectors, patch formats, watch history and 410.
 */
import { describe, it, expect } from 'vitest';
import { readFileSync } from 'node:fs';
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';
import { Store } from '../sim/kube/store.js';
import { StatusError } from '../sim/kube/status.js';
import { parseLabelSelector, matchesLabels, parseFieldSelector } from '../sim/kube/selectors.js';
import { applyStrategicMergePatch } from '../sim/kube/patch.js';
import { humanDuration, jsonPathValue, toTable } from '../sim/kube/table.js';
import type { GVR, KubeObject, WatchEvent } from '../sim/kube/api.js';
import { VALID_RECORD_SPEC } from './support/record-spec.js';

const NS: GVR = { group: '', version: 'v1', plural: 'namespaces' };
const CM: GVR = { group: '', version: 'v1', plural: 'configmaps' };
const CRD: GVR = { group: 'apiextensions.k8s.io', version: 'v1', plural: 'customresourcedefinitions' };
const DU: GVR = { group: 'dbupdate.dev', version: 'v1alpha1', plural: 'databaseupdates' };

const crd = () => parseYaml(readFileSync(new URL('../deploy/crd-databaseupdate.yaml', import.meta.url), 'utf8')) as KubeObject;
const cm = (name: string, data: Record<string, string> = {}, labels?: Record<string, string>, namespace = 'default'): KubeObject => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name, namespace, ...(labels ? { labels } : {}) },
  data,
});
/** A spec valid against deploy/crd-databaseupdate.yaml (test/support/record-spec.ts). */
const SPEC = VALID_RECORD_SPEC;
const du = (name: string, spec: Record<string, unknown> = {}): KubeObject => ({
  apiVersion: 'dbupdate.dev/v1alpha1',
  kind: 'DatabaseUpdate',
  metadata: { name, namespace: 'default' },
  spec: { ...SPEC, ...spec },
});

/** The Status carried by a thrown StatusError. */
function statusOf(fn: () => unknown): StatusError['status'] {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(StatusError);
    return (err as StatusError).status;
  }
  throw new Error('expected a StatusError');
}

const collect = (store: Store, gvr: GVR, opts: Parameters<Store['watch']>[1]) => {
  const events: WatchEvent[] = [];
  const stop = store.watch(gvr, opts, (e) => events.push(e));
  return { events, stop };
};
const tick = () => new Promise((r) => setImmediate(r));

describe('Store: objects and metadata', () => {
  it('registers built-in types and pre-creates default and kube-system', () => {
    const s = new Store();
    const plurals = s.resourceTypes().map((t) => `${t.group}/${t.version}/${t.plural}`);
    for (const p of ['/v1/pods', 'apps/v1/statefulsets', 'coordination.k8s.io/v1/leases', 'policy/v1/poddisruptionbudgets', 'events.k8s.io/v1/events']) {
      expect(plurals).toContain(p);
    }
    expect(s.resourceType(NS)?.namespaced).toBe(false);
    expect(s.get(NS, undefined, 'default').status).toEqual({ phase: 'Active' });
    expect(s.tryGet(NS, undefined, 'kube-system')?.metadata.labels?.['kubernetes.io/metadata.name']).toBe('kube-system');
  });

  it('fills uid, resourceVersion, generation, creationTimestamp; honours generateName', () => {
    const s = new Store();
    const before = Number(s.currentResourceVersion());
    const a = s.create(CM, cm('a'));
    expect(a.metadata.uid).toMatch(/^[0-9a-f-]{36}$/);
    expect(Number(a.metadata.resourceVersion)).toBe(before + 1);
    expect(a.metadata.generation).toBeUndefined(); // a ConfigMap has none (strategy.ts)
    expect(a.metadata.creationTimestamp).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    const g = s.create(CM, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: '', generateName: 'job-', namespace: 'default' } });
    expect(g.metadata.name).toMatch(/^job-[bcdfghjklmnpqrstvwxz2456789]{5}$/);
  });

  it('answers AlreadyExists, Invalid (DNS-1123), NotFound namespace, and refuses a resourceVersion on create', () => {
    const s = new Store();
    s.create(CM, cm('a'));
    const dup = statusOf(() => s.create(CM, cm('a')));
    expect(dup).toMatchObject({ code: 409, reason: 'AlreadyExists', message: 'configmaps "a" already exists' });
    const bad = statusOf(() => s.create(CM, cm('Bad_Name')));
    expect(bad.code).toBe(422);
    expect(bad.reason).toBe('Invalid');
    expect(bad.message).toMatch(/^ConfigMap "Bad_Name" is invalid: metadata.name: Invalid value: "Bad_Name": a lowercase RFC 1123 subdomain/);
    expect(bad.details?.causes?.[0]).toMatchObject({ field: 'metadata.name', reason: 'FieldValueInvalid' });
    const nons = statusOf(() => s.create(CM, cm('a', {}, undefined, 'nope')));
    expect(nons).toMatchObject({ code: 404, reason: 'NotFound', message: 'namespaces "nope" not found', details: { name: 'nope', kind: 'namespaces' } });
    const withRv = statusOf(() => s.create(CM, { ...cm('b'), metadata: { name: 'b', namespace: 'default', resourceVersion: '3' } }));
    expect(withRv.code).toBe(500);
    expect(s.tryGet(CM, 'default', 'b')).toBeUndefined();
  });

  it('conflicts on a stale resourceVersion with the real message, and a no-op write changes nothing', () => {
    const s = new Store();
    s.create(NS, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'demo' } });
    s.create(CRD, crd());
    const created = s.create(DU, { ...du('orders'), metadata: { name: 'orders', namespace: 'demo' } });
    const v2 = s.update(DU, { ...created, spec: { ...SPEC, targetVersion: '8.4.4' } });
    expect(Number(v2.metadata.resourceVersion)).toBeGreaterThan(Number(created.metadata.resourceVersion));
    const c = statusOf(() => s.update(DU, { ...created, spec: { engine: 'x' } }));
    expect(c.code).toBe(409);
    expect(c.reason).toBe('Conflict');
    expect(c.message).toBe(
      'Operation cannot be fulfilled on databaseupdates.dbupdate.dev "orders": the object has been modified; please apply your changes to the latest version and try again',
    );
    const rvBefore = s.currentResourceVersion();
    const same = s.update(DU, v2);
    expect(same.metadata.resourceVersion).toBe(v2.metadata.resourceVersion);
    expect(s.currentResourceVersion()).toBe(rvBefore);
    const patchConflict = statusOf(() => s.patch(DU, 'demo', 'orders', { metadata: { resourceVersion: created.metadata.resourceVersion } }, 'application/merge-patch+json'));
    expect(patchConflict.reason).toBe('Conflict');
  });

  it('bumps generation on spec changes only; status subresource isolates status', () => {
    const s = new Store();
    s.create(CRD, crd());
    const o = s.create(DU, { ...du('x'), status: { phase: 'Running' } });
    expect(o.status).toBeUndefined(); // create ignores status when /status exists
    const withStatus = s.update(DU, { ...o, status: { phase: 'Pending' } }, { subresource: 'status' });
    expect(withStatus.status).toEqual({ phase: 'Pending' });
    expect(withStatus.metadata.generation).toBe(1);
    const labelled = s.patch(DU, 'default', 'x', { metadata: { labels: { a: 'b' } }, status: { phase: 'Hacked' } }, 'application/merge-patch+json');
    expect(labelled.metadata.generation).toBe(1);
    expect(labelled.status).toEqual({ phase: 'Pending' }); // main write keeps stored status
    const specChanged = s.patch(DU, 'default', 'x', { spec: { targetVersion: '9.0.0' } }, 'application/merge-patch+json');
    expect(specChanged.metadata.generation).toBe(2);
    const statusOnly = s.patch(DU, 'default', 'x', { spec: { targetVersion: 'ignored' }, status: { phase: 'Succeeded' } }, 'application/merge-patch+json', { subresource: 'status' });
    expect(statusOnly.status).toEqual({ phase: 'Succeeded' });
    expect((statusOnly.spec as { targetVersion: string }).targetVersion).toBe('9.0.0');
    expect(statusOnly.metadata.generation).toBe(2);
    const noStatusType = statusOf(() => s.update(CM, cm('zz'), { subresource: 'status' }));
    expect(noStatusType.code).toBe(404);
  });

  it('deleting a namespace: Terminating at once, new content refused, then the namespace controller empties and removes it', async () => {
    const s = new Store();
    s.create(NS, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'tmp' } });
    s.create(CM, cm('a', {}, undefined, 'tmp'));
    s.create(CM, cm('keep'));
    s.delete(NS, undefined, 'tmp');
    // As the real server: the namespace goes Terminating (deletionTimestamp, phase) and refuses new content (403).
    const terminating = s.get(NS, undefined, 'tmp');
    expect(terminating.metadata.deletionTimestamp).toBeDefined();
    expect((terminating.status as { phase?: string }).phase).toBe('Terminating');
    expect(statusOf(() => s.create(CM, cm('b', {}, undefined, 'tmp'))).code).toBe(403);
    for (let i = 0; i < 100 && s.tryGet(NS, undefined, 'tmp'); i++) await new Promise((r) => setTimeout(r, 20));
    expect(s.list(CM, undefined).items.map((o) => o.metadata.name)).toEqual(['keep']);
    expect(statusOf(() => s.get(NS, undefined, 'tmp')).message).toBe('namespaces "tmp" not found');
  });
});

describe('Store: CustomResourceDefinitions', () => {
  it('serves a CRD\'s versions with shortNames, categories, status subresource and printer columns', () => {
    const s = new Store();
    expect(s.resourceType(DU)).toBeUndefined();
    const created = s.create(CRD, crd());
    const t = s.resourceType(DU)!;
    expect(t).toMatchObject({ kind: 'DatabaseUpdate', listKind: 'DatabaseUpdateList', singular: 'databaseupdate', namespaced: true, hasStatus: true, custom: true });
    expect(t.shortNames).toEqual(['dbupdates', 'dbu']);
    expect(t.categories).toEqual(['dbupdate']);
    expect(t.printerColumns?.map((c) => c.name)).toContain('Phase');
    const conds = (created.status as { conditions: Array<{ type: string; status: string }> }).conditions;
    expect(conds).toContainEqual(expect.objectContaining({ type: 'Established', status: 'True' }));
  });

  it('refuses strategic merge on custom resources (415) and a CRD whose name is not plural.group (422)', () => {
    const s = new Store();
    s.create(CRD, crd());
    s.create(DU, du('a'));
    const st = statusOf(() => s.patch(DU, 'default', 'a', { spec: {} }, 'application/strategic-merge-patch+json'));
    expect(st).toMatchObject({ code: 415, reason: 'UnsupportedMediaType' });
    expect(st.message).toBe(
      'the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml',
    );
    const wrong = crd();
    wrong.metadata.name = 'wrong.dbupdate.dev';
    const inv = statusOf(() => s.create(CRD, wrong));
    expect(inv.code).toBe(422);
    expect(inv.message).toContain('must be spec.names.plural+"."+spec.group');
  });

  it('deleting a CRD stops serving it and removes its objects', () => {
    const s = new Store();
    s.create(CRD, crd());
    s.create(DU, du('a'));
    s.delete(CRD, undefined, 'databaseupdates.dbupdate.dev');
    expect(s.resourceType(DU)).toBeUndefined();
    expect(statusOf(() => s.list(DU, undefined)).code).toBe(404);
    s.create(CRD, crd());
    expect(s.list(DU, undefined).items).toEqual([]);
  });
});

describe('Store: selectors', () => {
  it('parses and matches every label selector operator', () => {
    const labels = { app: 'mysql', tier: 'db', 'kubedb.com/role': 'primary' };
    const m = (sel: string) => matchesLabels(labels, parseLabelSelector(sel));
    expect(m('app=mysql')).toBe(true);
    expect(m('app==mysql,tier=db')).toBe(true);
    expect(m('app!=mysql')).toBe(false);
    expect(m('missing!=x')).toBe(true);
    expect(m('app in (postgres, mysql)')).toBe(true);
    expect(m('app notin (mysql)')).toBe(false);
    expect(m('missing notin (a)')).toBe(true);
    expect(m('kubedb.com/role')).toBe(true);
    expect(m('!kubedb.com/role')).toBe(false);
    expect(m('!absent,tier in (db)')).toBe(true);
    expect(m('')).toBe(true);
    expect(() => parseLabelSelector('app in mysql')).toThrow(StatusError);
  });

  it('lists by label and field selectors, sorted by namespace and name', () => {
    const s = new Store();
    s.create(CM, cm('b', {}, { app: 'x' }));
    s.create(CM, cm('a', {}, { app: 'x', env: 'prod' }));
    s.create(CM, cm('c', {}, { app: 'y' }));
    expect(s.list(CM, 'default', 'app=x').items.map((o) => o.metadata.name)).toEqual(['a', 'b']);
    expect(s.list(CM, 'default', 'app=x,!env').items.map((o) => o.metadata.name)).toEqual(['b']);
    expect(s.list(CM, undefined, undefined, 'metadata.name=c').items.map((o) => o.metadata.name)).toEqual(['c']);
    expect(s.list(CM, undefined, undefined, 'metadata.namespace!=default').items).toEqual([]);
    expect(() => parseFieldSelector('spec.foo=1', 'configmaps')).toThrow(/field label not supported: spec.foo/);
  });
});

describe('Store: patches', () => {
  it('applies merge and JSON patches; a failing JSON patch is 422', () => {
    const s = new Store();
    s.create(CM, cm('a', { x: '1', y: '2' }));
    expect(s.patch(CM, 'default', 'a', { data: { y: null, z: '3' } }, 'application/merge-patch+json').data).toEqual({ x: '1', z: '3' });
    const jp = s.patch(CM, 'default', 'a', [{ op: 'replace', path: '/data/x', value: '9' }, { op: 'add', path: '/metadata/labels', value: { k: 'v' } }], 'application/json-patch+json');
    expect(jp.data).toEqual({ x: '9', z: '3' });
    expect(jp.metadata.labels).toEqual({ k: 'v' });
    const failed = statusOf(() => s.patch(CM, 'default', 'a', [{ op: 'test', path: '/data/x', value: 'nope' }], 'application/json-patch+json'));
    expect(failed).toMatchObject({ code: 422, reason: 'Invalid' });
    expect(s.get(CM, 'default', 'a').data).toEqual({ x: '9', z: '3' });
  });

  it('strategic merge merges containers, env and ports by key and honours $patch: delete', () => {
    const pod = {
      spec: {
        containers: [
          { name: 'db', image: 'mysql:8.0', env: [{ name: 'A', value: '1' }], ports: [{ containerPort: 3306 }] },
          { name: 'exporter', image: 'exp:1' },
        ],
        volumes: [{ name: 'data', emptyDir: {} }],
      },
    };
    const out = applyStrategicMergePatch(pod, {
      $setElementOrder: undefined,
      spec: {
        '$setElementOrder/containers': [{ name: 'db' }],
        containers: [
          { name: 'db', image: 'mysql:8.4', env: [{ name: 'B', value: '2' }] },
          { name: 'exporter', $patch: 'delete' },
        ],
        volumes: [{ name: 'tmp', emptyDir: {} }],
      },
    });
    expect(out.spec.containers).toEqual([{ name: 'db', image: 'mysql:8.4', env: [{ name: 'A', value: '1' }, { name: 'B', value: '2' }], ports: [{ containerPort: 3306 }] }]);
    expect(out.spec.volumes.map((v: { name: string }) => v.name)).toEqual(['data', 'tmp']);
    expect(pod.spec.containers).toHaveLength(2); // input untouched
  });

  it('server-side apply creates, then merges; it requires a field manager', () => {
    const s = new Store();
    s.create(CRD, crd());
    const yaml = stringifyYaml({ apiVersion: 'dbupdate.dev/v1alpha1', kind: 'DatabaseUpdate', metadata: { name: 'ssa' }, spec: SPEC });
    const created = s.patch(DU, 'default', 'ssa', yaml, 'application/apply-patch+yaml', { fieldManager: 'test' });
    expect(created.metadata.generation).toBe(1);
    // Another manager's apply merges; the same manager applying less would remove what it no longer applies.
    const merged = s.patch(DU, 'default', 'ssa', { apiVersion: 'dbupdate.dev/v1alpha1', kind: 'DatabaseUpdate', metadata: { name: 'ssa' }, spec: { reason: 'r' } }, 'application/apply-patch+yaml', { fieldManager: 'other' });
    expect(merged.spec).toEqual({ ...SPEC, reason: 'r' });
    expect((merged.metadata.managedFields as Array<{ manager: string }>).map((m) => m.manager).sort()).toEqual(['other', 'test']);
    expect(statusOf(() => s.patch(DU, 'default', 'ssa', yaml, 'application/apply-patch+yaml')).code).toBe(422);
  });
});

describe('Store: watch', () => {
  it('delivers ADDED, MODIFIED, DELETED in order, with synthetic ADDED for existing objects', async () => {
    const s = new Store();
    s.create(CM, cm('pre'));
    const { events, stop } = collect(s, CM, { namespace: 'default' });
    s.create(CM, cm('a'));
    s.patch(CM, 'default', 'a', { data: { k: 'v' } }, 'application/merge-patch+json');
    const deleted = s.delete(CM, 'default', 'a');
    await tick();
    expect(events.map((e) => `${e.type} ${e.object.metadata.name}`)).toEqual(['ADDED pre', 'ADDED a', 'MODIFIED a', 'DELETED a']);
    expect(events[3].object.metadata.resourceVersion).toBe(deleted.metadata.resourceVersion);
    expect(events[1].object.kind).toBe('ConfigMap');
    stop();
    s.create(CM, cm('after'));
    await tick();
    expect(events).toHaveLength(4);
  });

  it('replays from a resourceVersion and reports objects leaving a selector as DELETED', async () => {
    const s = new Store();
    const a = s.create(CM, cm('a', {}, { app: 'x' }));
    s.patch(CM, 'default', 'a', { data: { n: '1' } }, 'application/merge-patch+json');
    const { events, stop } = collect(s, CM, { resourceVersion: a.metadata.resourceVersion, labelSelector: 'app=x' });
    s.patch(CM, 'default', 'a', { metadata: { labels: { app: 'other' } } }, 'application/merge-patch+json');
    s.patch(CM, 'default', 'a', { metadata: { labels: { app: 'x' } } }, 'application/merge-patch+json');
    await tick();
    expect(events.map((e) => e.type)).toEqual(['MODIFIED', 'DELETED', 'ADDED']);
    stop();
  });

  it('answers 410 Expired for a resourceVersion older than the bounded history', () => {
    const s = new Store({ historySize: 3 });
    const first = s.create(CM, cm('a'));
    for (let i = 0; i < 5; i++) s.patch(CM, 'default', 'a', { data: { i: String(i) } }, 'application/merge-patch+json');
    const st = statusOf(() => s.watch(CM, { resourceVersion: first.metadata.resourceVersion }, () => {}));
    expect(st.code).toBe(410);
    expect(st.reason).toBe('Expired');
    expect(st.message).toMatch(/^too old resource version: \d+ \(\d+\)$/);
    const ok = s.watch(CM, { resourceVersion: s.currentResourceVersion() }, () => {});
    ok();
  });
});

describe('table printing', () => {
  it('formats ages like kubectl and evaluates printer-column JSONPaths', () => {
    expect(humanDuration(45_000)).toBe('45s');
    expect(humanDuration(5 * 60_000 + 10_000)).toBe('5m10s');
    expect(humanDuration(3 * 3600_000)).toBe('3h');
    expect(humanDuration(4 * 86400_000)).toBe('4d');
    const o = { status: { conditions: [{ type: 'Ready', status: 'True' }] }, spec: { a: [1, 2] } };
    expect(jsonPathValue(o, '.status.conditions[?(@.type=="Ready")].status')).toBe('True');
    expect(jsonPathValue(o, '.spec.a[1]')).toBe(2);
    expect(jsonPathValue(o, '.spec.missing.x')).toBeUndefined();
  });

  it('builds a Table from a CRD\'s additionalPrinterColumns', () => {
    const s = new Store();
    s.create(CRD, crd());
    const o = s.create(DU, du('t', { database: { cluster: 'sim', namespace: 'demo', name: 'orders' } }));
    const table = toTable(s.resourceType(DU)!, [o], { resourceVersion: '1' }) as { columnDefinitions: Array<{ name: string; priority: number }>; rows: Array<{ cells: unknown[]; object: KubeObject }> };
    expect(table.columnDefinitions.map((c) => c.name)).toEqual(['Name', 'Engine', 'Database', 'Namespace', 'From', 'To', 'Phase', 'Requester', 'Age']);
    expect(table.columnDefinitions[3].priority).toBe(1);
    expect(table.rows[0].cells.slice(0, 3)).toEqual(['t', 'MySQL', 'orders']);
    expect(table.rows[0].cells[6]).toBeNull();
    expect(table.rows[0].object.kind).toBe('PartialObjectMetadata');
  });
});
