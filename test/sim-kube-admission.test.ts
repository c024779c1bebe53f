/**
 * The emulator's dry run (`?dryRun=All`) and validating admission, spoken to by the real client-node.
 * Facts: https://kubernetes.io/docs/reference/using-api/api-concepts/#dry-run; denial format from
 * k8s.io/apiserver `pkg/admission/plugin/webhook/errors/statuserror.go` (`ToStatusErr`).
 */
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { ApiException, CoreV1Api, KubeConfig, Watch } from '@kubernetes/client-node';
import { KubeApiServer } from '../sim/kube/server.js';
import { Store } from '../sim/kube/store.js';
import type { AdmissionRequest } from '../sim/kube/admission.js';

let server: KubeApiServer;
let core: CoreV1Api;
let kc: KubeConfig;
const seen: AdmissionRequest[] = [];

async function failure(p: Promise<unknown>): Promise<{ code: number; body: any }> {
  try {
    await p;
  } catch (err) {
    expect(err).toBeInstanceOf(ApiException);
    const e = err as ApiException<unknown>;
    return { code: e.code, body: typeof e.body === 'string' ? JSON.parse(e.body) : e.body };
  }
  throw new Error('expected an ApiException');
}

beforeAll(async () => {
  server = await KubeApiServer.start({ store: new Store() });
  kc = new KubeConfig();
  kc.loadFromString(server.kubeconfigYaml());
  core = kc.makeApiClient(CoreV1Api);
  await core.createNamespace({ body: { metadata: { name: 'demo' } } });
  server.addValidatingAdmission({
    name: 'configmaps.validators.example.com',
    group: '',
    resource: 'configmaps',
    operations: ['CREATE', 'UPDATE', 'DELETE'],
    sideEffects: 'None',
    validate(req) {
      seen.push(req);
      const obj = req.object ?? req.oldObject;
      if (obj?.metadata?.labels?.deny === 'forbidden') return { allowed: false, status: { code: 403, reason: 'Forbidden', message: 'label deny=forbidden is refused' } };
      if (obj?.metadata?.labels?.deny === 'low') return { allowed: false, status: { code: 200, message: 'a code below 400' } };
      if (obj?.metadata?.labels?.deny === 'silent') return { allowed: false, status: {} };
      return { allowed: true };
    },
  });
  server.addValidatingAdmission({ name: 'secrets.side-effects.example.com', group: '', resource: 'secrets', operations: ['CREATE'], sideEffects: 'Some', validate: () => ({ allowed: true }) });
});
afterAll(async () => {
  await server.stop();
});

describe('dryRun=All', () => {
  it('create: validated and admitted, answered 201 with the object, nothing stored, no watch event', async () => {
    const rv = server.store.currentResourceVersion();
    const events: string[] = [];
    const watch = await new Watch(kc).watch('/api/v1/namespaces/demo/configmaps', { resourceVersion: rv }, (type, obj) => events.push(`${type} ${obj.metadata.name}`), () => undefined);
    seen.length = 0;
    const out = await core.createNamespacedConfigMap({ namespace: 'demo', body: { metadata: { name: 'dry' }, data: { a: '1' } }, dryRun: 'All' });
    expect(out.metadata?.name).toBe('dry');
    expect(out.metadata?.uid).toBeTruthy();
    expect(out.metadata?.resourceVersion).toBeFalsy();
    expect(seen).toMatchObject([{ operation: 'CREATE', dryRun: true, name: 'dry', namespace: 'demo' }]);
    expect((await failure(core.readNamespacedConfigMap({ namespace: 'demo', name: 'dry' }))).code).toBe(404);
    await core.createNamespacedConfigMap({ namespace: 'demo', body: { metadata: { name: 'real' } } });
    await expect.poll(() => events).toEqual(['ADDED real']);
    watch.abort();
    expect(server.store.currentResourceVersion()).not.toBe(rv);
  });

  it('update, patch and delete change nothing', async () => {
    await core.createNamespacedConfigMap({ namespace: 'demo', body: { metadata: { name: 'keep' }, data: { a: '1' } } });
    const before = await core.readNamespacedConfigMap({ namespace: 'demo', name: 'keep' });
    const rv = server.store.currentResourceVersion();
    const replaced = await core.replaceNamespacedConfigMap({ namespace: 'demo', name: 'keep', body: { ...before, data: { a: '2' } }, dryRun: 'All' });
    expect(replaced.data).toEqual({ a: '2' });
    const r = await fetch(`${server.url}/api/v1/namespaces/demo/configmaps/keep?dryRun=All`, { method: 'PATCH', headers: { 'content-type': 'application/merge-patch+json' }, body: JSON.stringify({ data: { a: '3' } }) });
    expect(r.status).toBe(200);
    expect(((await r.json()) as { data: unknown }).data).toEqual({ a: '3' });
    await core.deleteNamespacedConfigMap({ namespace: 'demo', name: 'keep', dryRun: 'All' });
    const after = await core.readNamespacedConfigMap({ namespace: 'demo', name: 'keep' });
    expect(after.data).toEqual({ a: '1' });
    expect(after.metadata?.resourceVersion).toBe(before.metadata?.resourceVersion);
    expect(server.store.currentResourceVersion()).toBe(rv);
  });

  it('refuses another dryRun value with 422, as the API server validates CreateOptions', async () => {
    const r = await fetch(`${server.url}/api/v1/namespaces/demo/configmaps?dryRun=Yes`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ metadata: { name: 'x' } }) });
    expect(r.status).toBe(422);
    expect(((await r.json()) as { message: string }).message).toBe('CreateOptions.meta.k8s.io "" is invalid: dryRun: Unsupported value: ["Yes"]: supported values: "All"');
  });

  it('a dry run reaching a webhook with side effects fails with 400', async () => {
    const e = await failure(core.createNamespacedSecret({ namespace: 'demo', body: { metadata: { name: 's' } }, dryRun: 'All' }));
    expect(e.code).toBe(400);
    expect(e.body.message).toBe('admission webhook "secrets.side-effects.example.com" does not support dry run');
    await core.createNamespacedSecret({ namespace: 'demo', body: { metadata: { name: 's' } } });
  });
});

describe('validating admission', () => {
  it('a denial is answered with the webhook status code and the API server message; nothing is stored', async () => {
    for (const dryRun of [undefined, 'All']) {
      const e = await failure(core.createNamespacedConfigMap({ namespace: 'demo', body: { metadata: { name: 'no', labels: { deny: 'forbidden' } } }, dryRun }));
      expect(e.code).toBe(403);
      expect(e.body).toMatchObject({ kind: 'Status', status: 'Failure', reason: 'Forbidden', code: 403, message: 'admission webhook "configmaps.validators.example.com" denied the request: label deny=forbidden is refused' });
    }
    expect((await failure(core.readNamespacedConfigMap({ namespace: 'demo', name: 'no' }))).code).toBe(404);
  });

  it('raises a code below 400 to 400 and explains a denial without message', async () => {
    const low = await failure(core.createNamespacedConfigMap({ namespace: 'demo', body: { metadata: { name: 'low', labels: { deny: 'low' } } } }));
    expect(low.code).toBe(400);
    expect(low.body.message).toBe('admission webhook "configmaps.validators.example.com" denied the request: a code below 400');
    const silent = await failure(core.createNamespacedConfigMap({ namespace: 'demo', body: { metadata: { name: 'silent', labels: { deny: 'silent' } } } }));
    expect(silent.body.message).toBe('admission webhook "configmaps.validators.example.com" denied the request without explanation');
  });

  it('sees updates with the old object and deletes', async () => {
    await core.createNamespacedConfigMap({ namespace: 'demo', body: { metadata: { name: 'upd' } } });
    const e = await failure(core.patchNamespacedConfigMap({ namespace: 'demo', name: 'upd', body: [{ op: 'add', path: '/metadata/labels', value: { deny: 'forbidden' } }] }));
    expect(e.code).toBe(403);
    seen.length = 0;
    await core.deleteNamespacedConfigMap({ namespace: 'demo', name: 'upd' });
    expect(seen).toMatchObject([{ operation: 'DELETE', dryRun: false, name: 'upd' }]);
    expect(seen[0].oldObject?.metadata.name).toBe('upd');
  });
});
