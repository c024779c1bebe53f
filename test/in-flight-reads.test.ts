/**
 * `/dbupdate list`, `status` and the Home tab read the records in flight without reading the finished
 * ones (#19 item 6): `RecordStore.listInFlight` asks the API server for `status.phase` outside the
 * terminal phases, a field the record CRD makes selectable (`selectableFields`, Kubernetes 1.31+). Judged
 * on the emulator and on the REAL kube-apiserver with the bot's own service account (RBAC of
 * deploy/rbac.yaml), in the world's records namespace:
 * - records in every phase, one with no status at all: exactly the in-flight ones come back, also with a
 *   label selector on top;
 * - the same CRD without `selectableFields` (as a server older than 1.31 or a CRD applied before this
 *   change serves it): the server answers 400, the store reads the whole list and filters it, and says so.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import type { KubernetesObject } from '@kubernetes/client-node';
import { CLUSTER_KINDS, startCluster, type ClusterUnderTest } from '../sim/clusters.js';
import { applyAll } from '../envtest/apply.js';
import { pollUntil } from '../sim/script.js';
import { IN_FLIGHT_FIELD_SELECTOR, RecordStore } from '../src/updates/records.js';
import { LABEL_DATABASE, TERMINAL_PHASES, type DatabaseUpdate, type Phase } from '../src/api/v1alpha1/databaseupdate.js';
import { VALID_RECORD_SPEC } from './support/record-spec.js';
import type { Kube } from '../src/kube/client.js';
import { statusCode } from '../src/kube/errors.js';

const CRD = parseYaml(readFileSync(new URL('../deploy/crd-databaseupdate.yaml', import.meta.url), 'utf8')) as KubernetesObject & { spec: { versions: Array<Record<string, unknown>> } };
/**
 * A real kube-apiserver answers 429 "storage is (re)initializing" for a moment after a CRD changes (the
 * store retries it a few times; a poll may still see one): undefined for that, any other error thrown.
 */
const reinitializing = (err: unknown): undefined => {
  if (statusCode(err) === 429) return undefined;
  throw err;
};
const PHASES: Array<Phase | undefined> = [undefined, 'Pending', 'Approved', 'Scheduled', 'Running', ...TERMINAL_PHASES];

describe.each(CLUSTER_KINDS)('records in flight by field selector, on the %s', (kind) => {
  let c: ClusterUnderTest;
  let store: RecordStore;
  const names = new Map<string, Phase | undefined>();

  beforeAll(async () => {
    c = await startCluster(kind);
    const botKube = (c.cluster as { botKube: Kube }).botKube;
    store = new RecordStore(botKube, c.recordsNamespace);
    // Two records per phase (databases a and b), written as the bot writes them: create, then /status.
    for (const [i, phase] of PHASES.entries())
      for (const db of ['a', 'b']) {
        const name = `r${i}-${db}`;
        await store.create({
          apiVersion: 'dbupdate.dev/v1alpha1',
          kind: 'DatabaseUpdate',
          metadata: { name, namespace: c.recordsNamespace, labels: { [LABEL_DATABASE]: db } },
          spec: { ...VALID_RECORD_SPEC, database: { ...VALID_RECORD_SPEC.database, name: db } },
        } as unknown as DatabaseUpdate);
        if (phase) await store.mutateStatus(name, (st) => void (st.phase = phase));
        names.set(name, phase);
      }
  }, 120_000);
  afterAll(async () => {
    // Put the CRD back as deploy/ has it, whatever a test left (the real server is shared by every file).
    if (c) await applyAll(c.cluster.kubeConfig, [CRD]);
    await c?.stop();
  }, 120_000);

  const inFlight = (db?: string) =>
    [...names]
      .filter(([n, p]) => !TERMINAL_PHASES.includes(p as Phase) && (!db || n.endsWith(`-${db}`)))
      .map(([n]) => n)
      .sort();

  it('the server selects the records in flight (a record with no status included), alone and with a label selector', async () => {
    expect(inFlight()).toHaveLength(10);
    expect((await store.listInFlight()).map((r) => r.metadata.name).sort()).toEqual(inFlight());
    expect((await store.listInFlight(`${LABEL_DATABASE}=b`)).map((r) => r.metadata.name).sort()).toEqual(inFlight('b'));
    expect(store.fieldSelectorRefused()).toBe(false);
    // The server itself filtered: the same selector through the plain list answers the same names.
    const raw = await (c.cluster as { botKube: Kube }).botKube.custom.listNamespacedCustomObject({ group: 'dbupdate.dev', version: 'v1alpha1', plural: 'databaseupdates', namespace: c.recordsNamespace, fieldSelector: IN_FLIGHT_FIELD_SELECTOR });
    expect((raw as { items: DatabaseUpdate[] }).items.map((r) => r.metadata.name).sort()).toEqual(inFlight());
  });

  it('a CRD without selectableFields: 400 from the server, the whole list read and filtered, and the store says so', async () => {
    const without = structuredClone(CRD);
    for (const v of without.spec.versions) delete v.selectableFields;
    await applyAll(c.cluster.kubeConfig, [without]);
    const refused: unknown[] = [];
    const fresh = new RecordStore((c.cluster as { botKube: Kube }).botKube, c.recordsNamespace);
    fresh.onFieldSelectorRefused = (err) => refused.push(err);
    // The server rebuilds the resource's storage after a CRD update: wait until it refuses the field.
    const got = await pollUntil(async () => {
      const r = await fresh.listInFlight().catch(reinitializing);
      return r && fresh.fieldSelectorRefused() ? r : undefined;
    }, 30_000, () => 'the server to refuse status.phase once the CRD lost selectableFields');
    expect(got.map((r) => r.metadata.name).sort()).toEqual(inFlight());
    expect(refused.length).toBeGreaterThan(0);
    expect(String((refused[0] as { code?: number; body?: unknown }).code ?? '')).toBe('400');
    // Back to the CRD of deploy/: served again (a new store asks the server at once).
    await applyAll(c.cluster.kubeConfig, [CRD]);
    const again = new RecordStore((c.cluster as { botKube: Kube }).botKube, c.recordsNamespace);
    await pollUntil(async () => ((await again.listInFlight().catch(reinitializing)) && !again.fieldSelectorRefused() ? true : undefined), 30_000, () => 'status.phase to be selectable again');
  }, 90_000);
});
