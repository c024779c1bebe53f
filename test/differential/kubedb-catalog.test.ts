/**
 * The seeded KubeDB version catalog (sim/kubedb/catalog.ts, 606 entries from kubedb/installer) against the
 * catalog CRDs of sim/kubedb/crds.ts, on the real kube-apiserver and on the emulator: a server-side apply
 * (`fieldManager=dbupdate-catalog-check`, `dryRun=All`, so nothing is stored on the shared control plane)
 * of every entry succeeds. A field an entry carries that its CRD does not declare makes the real
 * server's apply fail (500 `field not declared in schema`, see sim/kube/managedfields.ts), which is how a
 * missing `spec.coordinator` was found.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { KubeConfig } from '@kubernetes/client-node';
import { KubeApiServer } from '../../sim/kube/server.js';
import { installKubeDBCrds } from '../../sim/kubedb/crds.js';
import { seedCatalog } from '../../sim/kubedb/catalog.js';
import { catalogGvr } from '../../sim/kubedb/common.js';
import { ENGINES } from '../../src/engines/table.js';
import { perform, type Backend } from './harness.js';
import { realControlPlane } from './real.js';

const PLURAL: Record<string, string> = Object.fromEntries(ENGINES.map((e) => [e.catalogKind, catalogGvr(e).plural]));

describe.each(['real', 'emulator'] as const)('seeded KubeDB catalog on the %s server', (which) => {
  let emulator: KubeApiServer | undefined;
  let backend: Backend;
  beforeAll(async () => {
    let kc: KubeConfig;
    if (which === 'real') kc = await realControlPlane();
    else {
      emulator = await KubeApiServer.start({ rbac: true });
      kc = new KubeConfig();
      kc.loadFromString(emulator.kubeconfigYaml());
    }
    backend = { name: which, kubeConfig: kc, saved: {} };
    await installKubeDBCrds(kc);
  }, 90_000);
  afterAll(async () => {
    await emulator?.stop();
  });

  it('accepts a server-side apply of every seeded catalog entry (dry run)', async () => {
    const entries = seedCatalog();
    expect(entries.length).toBeGreaterThan(500);
    const refused: string[] = [];
    const queue = [...entries];
    await Promise.all(
      Array.from({ length: 8 }, async () => {
        for (let o = queue.shift(); o; o = queue.shift()) {
          const path = `/apis/catalog.kubedb.com/v1alpha1/${PLURAL[o.kind!]}/${o.metadata.name}?fieldManager=dbupdate-catalog-check&dryRun=All`;
          const r = await perform(backend, { id: 'catalog', method: 'PATCH', path, body: stringify(o), contentType: 'application/apply-patch+yaml' }, { namespace: '\u0000' });
          if (r.code >= 300) refused.push(`${o.kind}/${o.metadata.name}: ${r.code} ${JSON.stringify((r.body as { message?: string })?.message ?? r.body)}`);
        }
      }),
    );
    expect(refused.slice(0, 20).join('\n'), `${refused.length} of ${entries.length} refused`).toBe('');
  }, 240_000);
});
