/**
 * Least privilege for Secrets (issue #21 item 10): the base RBAC (deploy/rbac.yaml) grants no `secrets`
 * access, and preflight asks the API server (SelfSubjectAccessReview, src/kube/access.ts) whether the bot
 * may read a Postgres database's auth Secret before a direct update that needs it. The backend is named
 * (`direct`): on the shared real server KubeDB's OpsRequest CRDs are installed for every world. Run on the emulator and
 * on the real kube-apiserver with its RBAC authorizer: without the opt-in grant the request is refused
 * with what to enable and nothing is written; with deploy/components/read-secrets applied it goes ahead;
 * the ops-request backend never needs it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLUSTER_KINDS, startCluster, type ClusterUnderTest } from '../sim/clusters.js';
import { preflight } from '../src/updates/preflight.js';
import { RecordStore } from '../src/updates/records.js';
import { mayI } from '../src/kube/access.js';
import { findEngine } from '../src/engines/table.js';
import type { Kube } from '../src/kube/client.js';

const postgres = findEngine('postgres')!;

describe.each(CLUSTER_KINDS)('the Secrets grant is opt-in (%s API server)', (kind) => {
  let without: ClusterUnderTest;
  let withGrant: ClusterUnderTest;
  beforeAll(async () => {
    [without, withGrant] = await Promise.all([startCluster(kind), startCluster(kind, { readSecrets: true })]);
  });
  afterAll(async () => {
    await Promise.all([without?.stop(), withGrant?.stop()]);
  });

  const botKube = (c: ClusterUnderTest): Kube => c.cluster.botKube;
  const check = (c: ClusterUnderTest, name: string, version: string, backend: 'auto' | 'direct' | 'ops-request' = 'auto') =>
    preflight({ kube: botKube(c), records: new RecordStore(botKube(c), c.recordsNamespace), engine: postgres, namespace: c.ns('billing'), name, version, backend });

  it("the base RBAC lets the bot read no Secret: the API server's own answer", async () => {
    const q = { verb: 'get', group: '', resource: 'secrets', namespace: without.ns('billing'), name: 'ledger-auth' };
    expect(await mayI(botKube(without), q)).toBe(false);
    expect(await mayI(botKube(withGrant), { ...q, namespace: withGrant.ns('billing') })).toBe(true);
    // And the review is not a rubber stamp: what deploy/rbac.yaml grants is allowed.
    expect(await mayI(botKube(without), { verb: 'list', group: 'kubedb.com', resource: 'postgreses', namespace: without.ns('billing') })).toBe(true);
  });

  it('a direct update of Postgres with standbys is refused at preflight, saying what to enable; nothing is written', async () => {
    const r = await check(without, 'ledger', '15.10', 'direct');
    expect(r).toMatchObject({ ok: false, code: 'secrets_not_granted' });
    const message = !r.ok ? r.message : '';
    expect(message).toContain(`\`${without.ns('billing')}/ledger-auth\``);
    expect(message).toContain('deploy/components/read-secrets');
    expect(message).toContain('rbac.readSecrets=true');
    expect(await new RecordStore(without.kube, without.recordsNamespace).list()).toEqual([]);
  });

  it('with deploy/components/read-secrets applied the same request goes ahead on the direct backend', async () => {
    expect(await check(withGrant, 'ledger', '15.10', 'direct')).toMatchObject({ ok: true, backend: 'direct' });
  });

  it('the ops-request backend never needs the grant', async () => {
    expect(await check(without, 'ledger', '15.10', 'ops-request')).toMatchObject({ ok: true, backend: 'ops-request' });
  });
});
