/**
 * Kubernetes API server behaviours of the emulator that a lenient fake would get wrong, each driven by
 * the real `@kubernetes/client-node` (or plain HTTP where the client hides the wire: Warning headers,
 * Accept negotiation, protobuf bodies, impersonation headers):
 * CRD structural schemas (pruning, defaults, enum/required/type errors, preserve-unknown-fields, the
 * status subresource, fieldValidation), DELETE preconditions, finalizers and graceful pod deletion, list
 * pagination, Secrets' stringData, protobuf negotiation, impersonation and SelfSubjectAccessReview.
 */
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import {
  ApiException,
  AuthorizationV1Api,
  CoreV1Api,
  CustomObjectsApi,
  KubeConfig,
  PatchStrategy,
  setHeaderOptions,
} from '@kubernetes/client-node';
import { KubeApiServer } from '../sim/kube/server.js';
import { Store } from '../sim/kube/store.js';
import { serviceAccountUser } from '../sim/kube/rbac.js';
import { applyManifests } from '../sim/kube/apply.js';
import { kubedbCrds } from '../sim/kubedb/crds.js';

const MERGE = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);
const W = { group: 'test.dev', version: 'v1', plural: 'widgets' };
const DU = { group: 'dbupdate.dev', version: 'v1alpha1', plural: 'databaseupdates' };
const SA_TOKEN = 'sa-token';

/** A CRD exercising every schema feature the emulator implements. */
const WIDGET_CRD = {
  apiVersion: 'apiextensions.k8s.io/v1',
  kind: 'CustomResourceDefinition',
  metadata: { name: 'widgets.test.dev' },
  spec: {
    group: 'test.dev',
    scope: 'Namespaced',
    names: { kind: 'Widget', plural: 'widgets', singular: 'widget', listKind: 'WidgetList' },
    versions: [
      {
        name: 'v1',
        served: true,
        storage: true,
        subresources: { status: {} },
        schema: {
          openAPIV3Schema: {
            type: 'object',
            properties: {
              spec: {
                type: 'object',
                required: ['size'],
                properties: {
                  size: { type: 'string', enum: ['small', 'large'] },
                  replicas: { type: 'integer', minimum: 1, default: 1 },
                  mode: { type: 'string', default: 'auto' },
                  note: { type: 'string', maxLength: 5 },
                  at: { type: 'string', format: 'date-time' },
                  port: { 'x-kubernetes-int-or-string': true },
                  free: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true },
                  items: { type: 'array', items: { type: 'object', properties: { name: { type: 'string' } } } },
                },
              },
              status: { type: 'object', properties: { phase: { type: 'string', enum: ['Ready', 'Failed'] } } },
            },
          },
        },
      },
    ],
  },
};

let server: KubeApiServer;
let kc: KubeConfig;
let core: CoreV1Api;
let custom: CustomObjectsApi;

async function apiError(p: Promise<unknown>): Promise<{ code: number; body: { reason: string; message: string; details?: { causes?: Array<{ field: string; reason: string; message: string }> } } }> {
  try {
    await p;
  } catch (err) {
    expect(err).toBeInstanceOf(ApiException);
    const e = err as ApiException<unknown>;
    return { code: e.code, body: typeof e.body === 'string' ? JSON.parse(e.body) : (e.body as never) };
  }
  throw new Error('expected an ApiException');
}

const widget = (name: string, spec: Record<string, unknown>) => ({ apiVersion: 'test.dev/v1', kind: 'Widget', metadata: { name }, spec });

beforeAll(async () => {
  const store = new Store({ historySize: 30 });
  store.create({ group: '', version: 'v1', plural: 'namespaces' }, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'dbupdate' } });
  applyManifests(store, readFileSync(new URL('../deploy/rbac.yaml', import.meta.url), 'utf8'));
  for (const crd of kubedbCrds()) store.create({ group: 'apiextensions.k8s.io', version: 'v1', plural: 'customresourcedefinitions' }, crd);
  server = await KubeApiServer.start({ store, users: { [SA_TOKEN]: serviceAccountUser('dbupdate', 'dbupdate') } });
  kc = new KubeConfig();
  kc.loadFromString(server.kubeconfigYaml());
  core = kc.makeApiClient(CoreV1Api);
  custom = kc.makeApiClient(CustomObjectsApi);
  // CRDs go over plain HTTP: client-node's model serializer drops the raw `enum`, `default` and
  // `x-kubernetes-*` keys of a schema read from YAML (its TypeScript names are `_enum`, `_default`, …).
  for (const body of [WIDGET_CRD, parseYaml(readFileSync(new URL('../deploy/crd-databaseupdate.yaml', import.meta.url), 'utf8'))]) {
    const res = await fetch(`${server.url}/apis/apiextensions.k8s.io/v1/customresourcedefinitions`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Authorization: 'Bearer sim-token' },
      body: JSON.stringify(body),
    });
    expect(res.status).toBe(201);
  }
  await core.createNamespace({ body: { metadata: { name: 'demo' } } });
});
afterAll(async () => {
  await server.stop();
});

describe('CRD structural schema', () => {
  it('prunes unknown fields (also in metadata and array items), keeps preserve-unknown-fields, applies defaults', async () => {
    const body = {
      ...widget('w1', { size: 'small', bogus: 1, free: { anything: { goes: true } }, items: [{ name: 'a', extra: 'x' }] }),
      metadata: { name: 'w1', madeUp: 'x' },
      topLevel: 'dropped',
    };
    const created = (await custom.createNamespacedCustomObject({ ...W, namespace: 'demo', body })) as Record<string, any>;
    expect(created.spec).toEqual({ size: 'small', replicas: 1, mode: 'auto', free: { anything: { goes: true } }, items: [{ name: 'a' }] });
    expect(created.topLevel).toBeUndefined();
    expect(created.metadata.madeUp).toBeUndefined();
    const read = (await custom.getNamespacedCustomObject({ ...W, namespace: 'demo', name: 'w1' })) as Record<string, any>;
    expect(read.spec).toEqual(created.spec);
  });

  it('answers 422 Invalid with the real causes: enum, required, type, minimum, maxLength, format', async () => {
    const e = await apiError(custom.createNamespacedCustomObject({ ...W, namespace: 'demo', body: widget('bad', { size: 'x', replicas: 'three', note: 'too long', at: 'yesterday' }) }));
    expect(e.code).toBe(422);
    expect(e.body.reason).toBe('Invalid');
    const causes = e.body.details!.causes!.map((c) => `${c.field}: ${c.message}`);
    expect(causes).toContain('spec.size: Unsupported value: "x": supported values: "small", "large"');
    expect(causes).toContain('spec.replicas: Invalid value: "string": spec.replicas in body must be of type integer: "string"');
    expect(causes).toContain('spec.note: Too long: may not be more than 5 bytes');
    expect(causes).toContain('spec.at: Invalid value: "yesterday": spec.at in body must be of type date-time: "yesterday"');
    expect(e.body.message).toMatch(/^Widget\.test\.dev "bad" is invalid: \[/);
    const req = await apiError(custom.createNamespacedCustomObject({ ...W, namespace: 'demo', body: widget('bad2', { replicas: 0 }) }));
    expect(req.body.details!.causes).toEqual([
      { reason: 'FieldValueRequired', message: 'Required value', field: 'spec.size' },
      { reason: 'FieldValueInvalid', message: 'Invalid value: 0: spec.replicas in body should be greater than or equal to 1', field: 'spec.replicas' },
    ]);
    const ios = (await custom.createNamespacedCustomObject({ ...W, namespace: 'demo', body: widget('ios', { size: 'large', port: 'http' }) })) as Record<string, any>;
    expect(ios.spec.port).toBe('http');
    await expect(custom.getNamespacedCustomObject({ ...W, namespace: 'demo', name: 'bad' })).rejects.toMatchObject({ code: 404 });
  });

  it('validates and prunes patches and the status subresource', async () => {
    const e = await apiError(custom.patchNamespacedCustomObject({ ...W, namespace: 'demo', name: 'w1', body: { spec: { size: 'medium' } } }, MERGE));
    expect(e.body.message).toBe('Widget.test.dev "w1" is invalid: spec.size: Unsupported value: "medium": supported values: "small", "large"');
    const st = await apiError(custom.patchNamespacedCustomObjectStatus({ ...W, namespace: 'demo', name: 'w1', body: { status: { phase: 'Weird' } } }, MERGE));
    expect(st.body.message).toBe('Widget.test.dev "w1" is invalid: status.phase: Unsupported value: "Weird": supported values: "Ready", "Failed"');
    const ok = (await custom.patchNamespacedCustomObjectStatus({ ...W, namespace: 'demo', name: 'w1', body: { status: { phase: 'Ready', secret: 'pruned' } } }, MERGE)) as Record<string, any>;
    expect(ok.status).toEqual({ phase: 'Ready' });
  });

  it('fieldValidation: Strict answers 400 naming each unknown field, Warn sends Warning headers, Ignore is silent', async () => {
    const strict = await apiError(custom.createNamespacedCustomObject({ ...W, namespace: 'demo', fieldValidation: 'Strict', body: widget('s', { size: 'small', x: 1, y: 2 }) }));
    expect(strict.code).toBe(400);
    expect(strict.body).toMatchObject({
      reason: 'BadRequest',
      message: 'Widget in version "v1" cannot be handled as a Widget: strict decoding error: unknown field "spec.x", unknown field "spec.y"',
    });
    const strictPatch = await apiError(custom.patchNamespacedCustomObject({ ...W, namespace: 'demo', name: 'w1', fieldValidation: 'Strict', body: { spec: { z: 1 } } }, MERGE));
    // A patch is decoded after it is applied: the real server reports the patched object under the cause `patch` (422).
    expect(strictPatch.body).toMatchObject({ reason: 'Invalid', details: { causes: [{ field: 'patch', reason: 'FieldValueInvalid' }] } });
    expect(strictPatch.body.message).toMatch(/strict decoding error: unknown field "spec\.z"$/);
    const post = (fv: string, name: string) =>
      fetch(`${server.url}/apis/test.dev/v1/namespaces/demo/widgets${fv ? `?fieldValidation=${fv}` : ''}`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify(widget(name, { size: 'small', x: 1 })),
      });
    const warn = await post('Warn', 'warned');
    expect(warn.status).toBe(201);
    expect(warn.headers.get('warning')).toBe('299 - "unknown field \\"spec.x\\""');
    const byDefault = await post('', 'defaulted');
    expect(byDefault.headers.get('warning')).toBe('299 - "unknown field \\"spec.x\\""');
    const ignore = await post('Ignore', 'ignored');
    expect(ignore.status).toBe(201);
    expect(ignore.headers.get('warning')).toBeNull();
    expect(((await ignore.json()) as { spec: object }).spec).not.toHaveProperty('x');
    const badMode = await post('Loud', 'loud');
    expect(badMode.status).toBe(422);
    expect(((await badMode.json()) as { message: string }).message).toBe(
      'CreateOptions.meta.k8s.io "" is invalid: fieldValidation: Unsupported value: "Loud": supported values: "", "Ignore", "Strict", "Warn"',
    );
  });

  it('the DatabaseUpdate CRD prunes a field it does not define and keeps status.direct as written', async () => {
    const spec = {
      engine: 'MySQL',
      database: { cluster: 'sim', namespace: 'demo', name: 'orders' },
      requestedVersion: '8.4',
      fromVersion: '8.0.35',
      targetVersion: '8.4.3',
      updateType: 'minor',
      backend: 'direct',
      requester: 'U_ALICE',
      channel: 'C_DBOPS',
      expiresAt: '2026-11-24T00:00:00.000Z',
      approvers: ['U_BOB'],
      approvalsRequired: 1,
    };
    await custom.createNamespacedCustomObject({ ...DU, namespace: 'demo', body: { apiVersion: 'dbupdate.dev/v1alpha1', kind: 'DatabaseUpdate', metadata: { name: 'du' }, spec: { ...spec, notInSchema: 'x' } } });
    const direct = { anything: { nested: [1, { deep: true }] } };
    const st = (await custom.patchNamespacedCustomObjectStatus({ ...DU, namespace: 'demo', name: 'du', body: { status: { phase: 'Running', direct, unknownStatus: 1 } } }, MERGE)) as Record<string, any>;
    expect(st.spec).toEqual(spec);
    expect(st.status).toEqual({ phase: 'Running', direct });
  });
});

describe('DELETE', () => {
  it('checks preconditions (409 with the storage message) and deletes when they hold', async () => {
    const cm = await core.createNamespacedConfigMap({ namespace: 'demo', body: { metadata: { name: 'pre' } } });
    const uid = cm.metadata!.uid!;
    const wrongUid = await apiError(core.deleteNamespacedConfigMap({ name: 'pre', namespace: 'demo', body: { preconditions: { uid: 'not-it' } } }));
    expect(wrongUid.code).toBe(409);
    expect(wrongUid.body).toMatchObject({
      reason: 'Conflict',
      message: `Operation cannot be fulfilled on configmaps "pre": StorageError: invalid object, Code: 4, Key: /registry/configmaps/demo/pre, ResourceVersion: 0, AdditionalErrorMsg: Precondition failed: UID in precondition: not-it, UID in object meta: ${uid}`,
    });
    const wrongRv = await apiError(core.deleteNamespacedConfigMap({ name: 'pre', namespace: 'demo', body: { preconditions: { resourceVersion: '1' } } }));
    expect(wrongRv.body.message).toContain(`Precondition failed: ResourceVersion in precondition: 1, ResourceVersion in object meta: ${cm.metadata!.resourceVersion}`);
    await core.deleteNamespacedConfigMap({ name: 'pre', namespace: 'demo', body: { preconditions: { uid, resourceVersion: cm.metadata!.resourceVersion } } });
    await expect(core.readNamespacedConfigMap({ name: 'pre', namespace: 'demo' })).rejects.toMatchObject({ code: 404 });
  });

  it('keeps an object with finalizers (deletionTimestamp set) until the last finalizer is removed; none may be added meanwhile', async () => {
    await custom.createNamespacedCustomObject({ ...W, namespace: 'demo', body: { ...widget('fin', { size: 'small' }), metadata: { name: 'fin', finalizers: ['test.dev/a', 'test.dev/b'] } } });
    const deleting = (await custom.deleteNamespacedCustomObject({ ...W, namespace: 'demo', name: 'fin' })) as Record<string, any>;
    expect(deleting.metadata.deletionTimestamp).toMatch(/Z$/);
    const still = (await custom.getNamespacedCustomObject({ ...W, namespace: 'demo', name: 'fin' })) as Record<string, any>;
    expect(still.metadata.finalizers).toEqual(['test.dev/a', 'test.dev/b']);
    const add = await apiError(custom.patchNamespacedCustomObject({ ...W, namespace: 'demo', name: 'fin', body: { metadata: { finalizers: ['test.dev/a', 'test.dev/b', 'test.dev/c'] } } }, MERGE));
    expect(add.body.message).toContain('metadata.finalizers: Forbidden: no new finalizers can be added if the object is being deleted, found new finalizers []string{"test.dev/c"}');
    await custom.patchNamespacedCustomObject({ ...W, namespace: 'demo', name: 'fin', body: { metadata: { finalizers: ['test.dev/b'] } } }, MERGE);
    expect(await custom.getNamespacedCustomObject({ ...W, namespace: 'demo', name: 'fin' })).toBeTruthy();
    await custom.patchNamespacedCustomObject({ ...W, namespace: 'demo', name: 'fin', body: { metadata: { finalizers: null } } }, MERGE);
    await expect(custom.getNamespacedCustomObject({ ...W, namespace: 'demo', name: 'fin' })).rejects.toMatchObject({ code: 404 });
  });

  it('deletes a pod gracefully: deletionTimestamp now + grace period, then the kubelet removes it; grace 0 at once', async () => {
    const store = new Store({ podShutdownMs: 60_000 });
    const s2 = await KubeApiServer.start({ store });
    try {
      const kc2 = new KubeConfig();
      kc2.loadFromString(s2.kubeconfigYaml());
      const c2 = kc2.makeApiClient(CoreV1Api);
      const pod = (name: string, grace?: number) => ({ metadata: { name }, spec: { nodeName: 'node-1', ...(grace !== undefined ? { terminationGracePeriodSeconds: grace } : {}), containers: [{ name: 'c', image: 'x' }] } });
      await c2.createNamespacedPod({ namespace: 'default', body: pod('slow', 45) });
      const before = Date.now();
      const terminating = await c2.deleteNamespacedPod({ name: 'slow', namespace: 'default' });
      expect(terminating.metadata!.deletionGracePeriodSeconds).toBe(45);
      const due = new Date(terminating.metadata!.deletionTimestamp!).getTime();
      expect(due).toBeGreaterThanOrEqual(Math.floor(before / 1000) * 1000 + 44_000);
      expect((await c2.readNamespacedPod({ name: 'slow', namespace: 'default' })).metadata!.deletionTimestamp).toBeDefined();
      await c2.deleteNamespacedPod({ name: 'slow', namespace: 'default', gracePeriodSeconds: 0 });
      await expect(c2.readNamespacedPod({ name: 'slow', namespace: 'default' })).rejects.toMatchObject({ code: 404 });
      const fast = await c2.createNamespacedPod({ namespace: 'default', body: pod('fast') });
      await c2.deleteNamespacedPod({ name: 'fast', namespace: 'default', body: { gracePeriodSeconds: 0, preconditions: { uid: fast.metadata!.uid } } });
      await expect(c2.readNamespacedPod({ name: 'fast', namespace: 'default' })).rejects.toMatchObject({ code: 404 });
    } finally {
      await s2.stop();
    }
    // Without a kubelet (the default, as a bare API server) a scheduled pod stays terminating until a
    // grace-0 delete; an unscheduled pod is deleted at once (CheckGracefulDelete).
    await core.createNamespacedPod({ namespace: 'demo', body: { metadata: { name: 'held' }, spec: { nodeName: 'node-1', containers: [{ name: 'c', image: 'x' }] } } });
    const d = await core.deleteNamespacedPod({ name: 'held', namespace: 'demo' });
    expect(d.metadata!.deletionGracePeriodSeconds).toBe(30);
    await new Promise((r) => setTimeout(r, 50));
    expect((await core.readNamespacedPod({ name: 'held', namespace: 'demo' })).metadata!.deletionTimestamp).toBeDefined();
    await core.deleteNamespacedPod({ name: 'held', namespace: 'demo', gracePeriodSeconds: 0 });
    await expect(core.readNamespacedPod({ name: 'held', namespace: 'demo' })).rejects.toMatchObject({ code: 404 });
    await core.createNamespacedPod({ namespace: 'demo', body: { metadata: { name: 'unscheduled' }, spec: { containers: [{ name: 'c', image: 'x' }] } } });
    await core.deleteNamespacedPod({ name: 'unscheduled', namespace: 'demo' });
    await expect(core.readNamespacedPod({ name: 'unscheduled', namespace: 'demo' })).rejects.toMatchObject({ code: 404 });
  });
});

describe('list pagination', () => {
  it('returns chunks with continue and remainingItemCount, consistent as of the first chunk', async () => {
    await core.createNamespace({ body: { metadata: { name: 'pages' } } });
    for (let i = 0; i < 5; i++) await core.createNamespacedConfigMap({ namespace: 'pages', body: { metadata: { name: `cm-${i}` } } });
    const first = await core.listNamespacedConfigMap({ namespace: 'pages', limit: 2 });
    expect(first.items.map((c) => c.metadata!.name)).toEqual(['cm-0', 'cm-1']);
    expect(first.metadata!.remainingItemCount).toBe(3);
    expect(first.metadata!._continue).toBeTruthy();
    // Changes after the first chunk are not seen by the following ones.
    await core.deleteNamespacedConfigMap({ name: 'cm-3', namespace: 'pages' });
    await core.createNamespacedConfigMap({ namespace: 'pages', body: { metadata: { name: 'cm-9' } } });
    const second = await core.listNamespacedConfigMap({ namespace: 'pages', limit: 2, _continue: first.metadata!._continue });
    expect(second.items.map((c) => c.metadata!.name)).toEqual(['cm-2', 'cm-3']);
    expect(second.metadata!.resourceVersion).toBe(first.metadata!.resourceVersion);
    const third = await core.listNamespacedConfigMap({ namespace: 'pages', limit: 2, _continue: second.metadata!._continue });
    expect(third.items.map((c) => c.metadata!.name)).toEqual(['cm-4']);
    expect(third.metadata!._continue).toBeUndefined();
    const filtered = await core.listNamespacedConfigMap({ namespace: 'pages', limit: 1, fieldSelector: 'metadata.name!=cm-0' });
    expect(filtered.metadata!.remainingItemCount).toBeUndefined();
    expect(filtered.metadata!._continue).toBeTruthy();
  });

  it('answers 400 for a garbled continue token and 410 once its resourceVersion left the history', async () => {
    const garbled = await apiError(core.listNamespacedConfigMap({ namespace: 'pages', limit: 1, _continue: 'not-a-token' }));
    expect(garbled.code).toBe(400);
    expect(garbled.body.message).toMatch(/^invalid continue token: continue key is not valid: /);
    const first = await core.listNamespacedConfigMap({ namespace: 'pages', limit: 1 });
    for (let i = 0; i < 40; i++) await core.patchNamespacedConfigMap({ name: 'cm-0', namespace: 'pages', body: { data: { i: String(i) } } }, MERGE);
    const expired = await apiError(core.listNamespacedConfigMap({ namespace: 'pages', limit: 1, _continue: first.metadata!._continue }));
    expect(expired.code).toBe(410);
    expect(expired.body.reason).toBe('Expired');
    expect(expired.body.message).toMatch(/^The provided continue parameter is too old to display a consistent list result/);
  });
});

describe('Secrets', () => {
  it('merges stringData into base64 data (overriding data), never stores stringData, defaults type Opaque', async () => {
    const s = await core.createNamespacedSecret({ namespace: 'demo', body: { metadata: { name: 'creds' }, data: { user: Buffer.from('old').toString('base64'), keep: 'a2VlcA==' }, stringData: { user: 'admin', pass: 'p@ss' } } });
    expect(s.type).toBe('Opaque');
    expect(s.stringData).toBeUndefined();
    expect(s.data).toEqual({ user: 'YWRtaW4=', pass: 'cEBzcw==', keep: 'a2VlcA==' });
    const patched = await core.patchNamespacedSecret({ name: 'creds', namespace: 'demo', body: { stringData: { pass: 'new' } } }, MERGE);
    expect(patched.data!.pass).toBe(Buffer.from('new').toString('base64'));
    expect(patched.stringData).toBeUndefined();
    const bad = await apiError(core.createNamespacedSecret({ namespace: 'demo', body: { metadata: { name: 'bad' }, data: { k: 'not base64!' } } }));
    expect(bad.code).toBe(400);
    expect(bad.body.message).toBe('Secret in version "v1" cannot be handled as a Secret: illegal base64 data at input byte 3');
  });
});

describe('content negotiation', () => {
  it('answers JSON when the Accept list allows it, 406 for protobuf only', async () => {
    const both = await fetch(`${server.url}/api/v1/namespaces/demo/configmaps`, { headers: { Accept: 'application/vnd.kubernetes.protobuf,application/json' } });
    expect(both.status).toBe(200);
    expect(both.headers.get('content-type')).toBe('application/json');
    const only = await fetch(`${server.url}/api/v1/namespaces/demo/configmaps`, { headers: { Accept: 'application/vnd.kubernetes.protobuf' } });
    expect(only.status).toBe(406);
    expect(await only.json()).toMatchObject({ kind: 'Status', reason: 'NotAcceptable', code: 406, message: 'only the following media types are accepted: application/json, application/yaml' });
  });
});

describe('impersonation and SelfSubjectAccessReview', () => {
  const SA = 'system:serviceaccount:dbupdate:dbupdate';

  it('answers a SelfSubjectAccessReview from RBAC for the requesting user', async () => {
    const sa = new KubeConfig();
    sa.loadFromString(server.kubeconfigYaml({ token: SA_TOKEN }));
    const authz = sa.makeApiClient(AuthorizationV1Api);
    const review = (verb: string, resource: string, group: string, namespace?: string) =>
      authz.createSelfSubjectAccessReview({ body: { spec: { resourceAttributes: { verb, resource, group, ...(namespace ? { namespace } : {}) } } } });
    expect((await review('get', 'databaseupdates', 'dbupdate.dev', 'dbupdate')).status!.allowed).toBe(true);
    expect((await review('delete', 'secrets', '', 'demo')).status!.allowed).toBe(false);
    expect((await review('get', 'databaseupdates', 'dbupdate.dev', 'demo')).status!.allowed).toBe(false);
    expect((await review('patch', 'mysqls', 'kubedb.com', 'demo')).status!.allowed).toBe(true);
    const admin = kc.makeApiClient(AuthorizationV1Api);
    expect((await admin.createSelfSubjectAccessReview({ body: { spec: { resourceAttributes: { verb: 'delete', resource: 'namespaces' } } } })).status!.allowed).toBe(true);
    const invalid = await apiError(admin.createSelfSubjectAccessReview({ body: { spec: {} } }));
    expect(invalid.code).toBe(422);
    const get = await fetch(`${server.url}/apis/authorization.k8s.io/v1/selfsubjectaccessreviews`);
    expect(get.status).toBe(405);
  });

  it('serves a request as the impersonated user when the impersonate verb allows it, 403 otherwise', async () => {
    const asSa = (path: string) => fetch(`${server.url}${path}`, { headers: { Authorization: 'Bearer sim-token', 'Impersonate-User': SA } });
    const allowed = await asSa('/apis/dbupdate.dev/v1alpha1/namespaces/dbupdate/databaseupdates');
    expect(allowed.status).toBe(200);
    const denied = await asSa('/api/v1/namespaces/demo/secrets');
    expect(denied.status).toBe(403);
    expect(((await denied.json()) as { message: string }).message).toBe(`secrets is forbidden: User "${SA}" cannot list resource "secrets" in API group "" in the namespace "demo"`);
    // The service account itself may not impersonate anyone.
    const noRight = await fetch(`${server.url}/api/v1/namespaces/demo/configmaps`, { headers: { Authorization: `Bearer ${SA_TOKEN}`, 'Impersonate-User': 'kubernetes-admin' } });
    expect(noRight.status).toBe(403);
    expect(((await noRight.json()) as { message: string }).message).toBe(
      `users "kubernetes-admin" is forbidden: User "${SA}" cannot impersonate resource "users" in API group "" at the cluster scope`,
    );
    const groupOnly = await fetch(`${server.url}/api/v1/namespaces/demo/configmaps`, { headers: { 'Impersonate-Group': 'system:masters' } });
    expect(groupOnly.status).toBe(500);
  });
});

describe('KubeDB CRDs of the sim (sim/kubedb/crds.ts)', () => {
  const MY = { group: 'kubedb.com', version: 'v1', plural: 'mysqls' };
  const OPS = { group: 'ops.kubedb.com', version: 'v1alpha1', plural: 'mysqlopsrequests' };
  const mysql = (name: string, spec: Record<string, unknown>) => ({ apiVersion: 'kubedb.com/v1', kind: 'MySQL', metadata: { name }, spec });

  it('refuses what the real MySQL CRD refuses, keeps what its open objects keep and prunes unknown spec fields as its closed spec does', async () => {
    const noVersion = await apiError(custom.createNamespacedCustomObject({ ...MY, namespace: 'demo', body: mysql('a', { replicas: 3 }) }));
    expect(noVersion.body.message).toBe('MySQL.kubedb.com "a" is invalid: spec.version: Required value');
    const policy = await apiError(custom.createNamespacedCustomObject({ ...MY, namespace: 'demo', body: mysql('b', { version: '8.0.35', deletionPolicy: 'Keep' }) }));
    expect(policy.body.message).toBe('MySQL.kubedb.com "b" is invalid: spec.deletionPolicy: Unsupported value: "Keep": supported values: "Halt", "Delete", "WipeOut", "DoNotTerminate"');
    const longName = 'x'.repeat(64);
    const tooLong = await apiError(custom.createNamespacedCustomObject({ ...MY, namespace: 'demo', body: mysql(longName, { version: '8.0.35' }) }));
    expect(tooLong.body.details!.causes).toContainEqual({ reason: 'FieldValueTooLong', message: 'Too long: may not be more than 63 bytes', field: 'metadata.name' });
    const ok = (await custom.createNamespacedCustomObject({ ...MY, namespace: 'demo', body: mysql('c', { version: '8.0.35', podTemplate: { spec: { containers: [{ name: 'mysql' }] } }, someNewField: 1 }) })) as Record<string, any>;
    expect(ok.spec).toEqual({ version: '8.0.35', podTemplate: { spec: { containers: [{ name: 'mysql' }] } } });
    const st = (await custom.patchNamespacedCustomObjectStatus({ ...MY, namespace: 'demo', name: 'c', body: { status: { phase: 'Ready', made: 'up' } } }, MERGE)) as Record<string, any>;
    expect(st.status).toEqual({ phase: 'Ready' });
    const cond = await apiError(custom.patchNamespacedCustomObjectStatus({ ...MY, namespace: 'demo', name: 'c', body: { status: { conditions: [{ type: 'Paused', status: 'True' }] } } }, MERGE));
    expect(cond.body.message).toBe('MySQL.kubedb.com "c" is invalid: status.conditions[0].lastTransitionTime: Required value');
  });

  it('defaults an OpsRequest as the real CRD does (apply: IfReady, maxRetries: 1) and checks its type', async () => {
    const body = { apiVersion: 'ops.kubedb.com/v1alpha1', kind: 'MySQLOpsRequest', metadata: { name: 'up' }, spec: { type: 'UpdateVersion', databaseRef: { name: 'c' }, updateVersion: { targetVersion: '8.0.36' } } };
    const created = (await custom.createNamespacedCustomObject({ ...OPS, namespace: 'demo', body })) as Record<string, any>;
    expect(created.spec).toEqual({ ...body.spec, apply: 'IfReady', maxRetries: 1 });
    const bad = await apiError(custom.createNamespacedCustomObject({ ...OPS, namespace: 'demo', body: { ...body, metadata: { name: 'bad' }, spec: { ...body.spec, type: 'Upgrade' } } }));
    expect(bad.body.details!.causes![0]).toMatchObject({ field: 'spec.type', reason: 'FieldValueNotSupported' });
  });
});
