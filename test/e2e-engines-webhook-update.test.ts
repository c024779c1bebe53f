/**
 * KubeDB's ops validating webhook on UPDATE, as the simulation mirrors it, spoken to by the real client-node:
 * every engine's `ValidateUpdate` (kubedb/apimachinery 104ef573 `pkg/webhooks/ops/v1alpha1/<engine>.go`)
 * first refuses any change of `spec` (or apiVersion/kind/name/namespace) with kmodules/client-go's
 * `PreConditionSet{"spec"}` error — `precondition failed for: <patch>.At least one of the following was
 * changed:\n\tapiVersion\n\tkind\n\tname\n\tnamespace\n\tspec` — sent by controller-runtime's
 * `admission.Denied` (403 Forbidden); then validates the new object as on CREATE. Label edits pass.
 * The webhook is served over HTTPS and registered with a ValidatingWebhookConfiguration, which the emulator
 * calls (sim/kube/admission.ts) as the API server does.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiException, CustomObjectsApi, KubeConfig, PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import { KubeApiServer } from '../sim/kube/server.js';
import { Store } from '../sim/kube/store.js';
import { installKubeDBCrds } from '../sim/kubedb/crds.js';
import { seedCluster } from '../sim/kubedb/seed.js';
import { goFormat, twoWayPatch } from '../sim/kubedb/opswebhook.js';
import { startOpsWebhook, type OpsWebhook } from '../sim/kubedb/webhook.js';
import { SharedInformers, SimClient } from '../sim/kubedb/client.js';
import { dbGvr } from '../sim/kubedb/common.js';
import { ENGINES, findEngine } from '../src/engines/table.js';

let server: KubeApiServer;
let store: Store;
let api: CustomObjectsApi;
let webhook: OpsWebhook;
let informers: SharedInformers;

const OPS = { group: 'ops.kubedb.com', version: 'v1alpha1', namespace: 'demo', plural: 'kafkaopsrequests' };
const MERGE = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);
const GUARDED = 'At least one of the following was changed:\n\tapiVersion\n\tkind\n\tname\n\tnamespace\n\tspec';

async function failure(p: Promise<unknown>): Promise<{ code: number; body: { message: string; reason: string; code: number } }> {
  try {
    await p;
  } catch (err) {
    expect(err).toBeInstanceOf(ApiException);
    const e = err as ApiException<unknown>;
    return { code: e.code, body: (typeof e.body === 'string' ? JSON.parse(e.body) : e.body) as never };
  }
  throw new Error('expected an ApiException');
}

beforeAll(async () => {
  store = new Store();
  server = await KubeApiServer.start({ store });
  const kc = new KubeConfig();
  kc.loadFromString(server.kubeconfigYaml());
  await installKubeDBCrds(kc);
  await seedCluster(kc);
  // The webhook only (no Ops Manager): nothing acts on the OpsRequests created here.
  const client = new SimClient(kc);
  informers = new SharedInformers(client);
  webhook = await startOpsWebhook(client, informers, ENGINES);
  api = kc.makeApiClient(CustomObjectsApi);
}, 60_000);
afterAll(async () => {
  await webhook?.stop();
  informers?.stop();
  await server?.stop();
});

describe('the ops webhook on UPDATE', () => {
  it('refuses a change of spec with KubeDB\'s precondition error (403), lets a label edit through, then re-validates as on CREATE', async () => {
    const body = { apiVersion: 'ops.kubedb.com/v1alpha1', kind: 'KafkaOpsRequest', metadata: { name: 'stream-upd' }, spec: { type: 'UpdateVersion', databaseRef: { name: 'stream' }, updateVersion: { targetVersion: '3.9.0' } } };
    const created = (await api.createNamespacedCustomObject({ ...OPS, body })) as { metadata: { resourceVersion: string; generation: number }; spec: Record<string, any> };
    expect(created.metadata.generation).toBe(1);

    // spec.updateVersion.targetVersion changed: refused, nothing stored.
    const edited = { ...created, spec: { ...created.spec, updateVersion: { targetVersion: '4.0.0' } } };
    const refused = await failure(api.replaceNamespacedCustomObject({ ...OPS, name: 'stream-upd', body: edited }));
    expect(refused.code, JSON.stringify(refused.body)).toBe(403);
    expect(refused.body.reason).toBe('Forbidden');
    expect(refused.body.message).toBe(
      'admission webhook "kafkaopsrequestwebhook.validators.ops.kubedb.com" denied the request: ' +
        `precondition failed for: map[metadata:map[generation:2] spec:map[updateVersion:map[targetVersion:4.0.0]]].${GUARDED}`,
    );
    // a merge patch is an UPDATE to admission too
    const patched = await failure(api.patchNamespacedCustomObject({ ...OPS, name: 'stream-upd', body: { spec: { type: 'Restart' } } }, MERGE));
    expect(patched.code, JSON.stringify(patched.body)).toBe(403);
    expect(patched.body.message).toContain('precondition failed for: map[metadata:map[generation:2] spec:map[type:Restart]].');
    const stored = (await api.getNamespacedCustomObject({ ...OPS, name: 'stream-upd' })) as { spec: { updateVersion: { targetVersion: string }; type: string } };
    expect(stored.spec).toMatchObject({ type: 'UpdateVersion', updateVersion: { targetVersion: '3.9.0' } });

    // metadata only: allowed.
    const labelled = (await api.patchNamespacedCustomObject({ ...OPS, name: 'stream-upd', body: { metadata: { labels: { team: 'data' } } } }, MERGE)) as { metadata: { labels: Record<string, string> } };
    expect(labelled.metadata.labels).toEqual({ team: 'data' });

    // spec unchanged, but the database moved on: the CREATE validation runs again and refuses (422).
    const kafka = findEngine('kafka')!;
    store.patch(dbGvr(kafka), 'demo', 'stream', { spec: { version: '4.2.0' } }, 'application/merge-patch+json');
    try {
      const again = await failure(api.patchNamespacedCustomObject({ ...OPS, name: 'stream-upd', body: { metadata: { labels: { team: 'stream' } } } }, MERGE));
      expect(again.code).toBe(422);
      expect(again.body.message).toContain('upgrade from version 4.2.0 to 3.9.0 is not supported');
    } finally {
      store.patch(dbGvr(kafka), 'demo', 'stream', { spec: { version: '3.8.1' } }, 'application/merge-patch+json');
    }
  });

  it('prints the patch as Go prints a map decoded from JSON', () => {
    expect(goFormat({ spec: { b: [1, 'x', null], a: true }, m: 1e6, f: 0.5, s: 1.5e-5, n: null })).toBe('map[f:0.5 m:1e+06 n:<nil> s:1.5e-05 spec:map[a:true b:[1 x <nil>]]]');
    expect(twoWayPatch({ a: 1, b: { c: 1, d: 2 }, l: [1] }, { a: 1, b: { c: 2, d: 2 }, l: [1, 2], e: 'x' })).toEqual({ b: { c: 2 }, l: [1, 2], e: 'x' });
    expect(twoWayPatch({ a: 1, gone: 2 }, { a: 1 })).toEqual({ gone: null });
  });
});
