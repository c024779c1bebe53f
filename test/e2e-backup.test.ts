/**
 * The backup before a major update (#19 item 3) end to end, on the emulator and on the run's real
 * kube-apiserver: the simulated KubeStash (sim/kubestash: its CRDs and a BackupSession controller, over
 * client-node only) is installed, a BackupConfiguration targets one MySQL database, and the real Bolt app
 * is driven through the Slack emulator.
 *
 * - ops-request backend, `ifConfigured`: a major update creates the BackupSession `kubectl kubestash
 *   trigger` would, waits for it, posts *backed up* with the Snapshot's name before *Paused*, then updates.
 * - A BackupSession that fails fails the update before anything is paused: no OpsRequest, the database
 *   on its version and not paused, the reason in the thread.
 * - `required` and no BackupConfiguration for the database: preflight refuses, saying what to set up;
 *   nothing is recorded.
 * - direct backend: a major update is refused before any backup (the backend takes no major version).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CustomObjectsApi, ApiextensionsV1Api, type KubeConfig } from '@kubernetes/client-node';
import { startWorld, USERS, CHANNEL, type World } from '../sim/world.js';
import { startRealWorld, type RealWorld } from '../sim/world-real.js';
import { CLUSTER_KINDS, type ClusterKind } from '../sim/clusters.js';
import { approve, pollUntil, request, settle } from '../sim/script.js';
import { backupConfiguration, installKubeStash, kubestashCrds, startKubeStashSim, type KubeStashSim } from '../sim/kubestash/index.js';
import { RecordStore } from '../src/updates/records.js';
import { findEngine } from '../src/engines/table.js';
import { getDatabase } from '../src/kube/kubedb.js';
import { opsRequests } from '../src/kube/resources.js';
import { LABEL_RECORD } from '../src/api/v1alpha1/databaseupdate.js';
import { databaseObject } from '../sim/kubedb/seed.js';
import { databases } from '../src/kube/resources.js';

const mysql = findEngine('mysql')!;
const CORE = { group: 'core.kubestash.com', version: 'v1alpha1' };

/** A world on `kind` with `config`; its admin KubeConfig and namespace of seed namespace `n`. */
async function start(kind: ClusterKind, config: Record<string, unknown>): Promise<{ w: World | RealWorld; kc: KubeConfig; ns: (n: string) => string }> {
  const sim = { podReadyDelayMs: 15, stepDelayMs: 15 };
  if (kind === 'emulator') {
    const w = await startWorld({ sim, config });
    return { w, kc: w.cluster.kubeConfig, ns: (n) => n };
  }
  const w = await startRealWorld({ sim, config });
  return { w, kc: w.cluster.kubeConfig, ns: w.cluster.ns };
}

describe.each(CLUSTER_KINDS)('backup before a major update, on the %s', (kind) => {
  let w: World | RealWorld;
  let kc: KubeConfig;
  let ns: (n: string) => string;
  let stash: KubeStashSim;
  let records: RecordStore;

  beforeAll(async () => {
    ({ w, kc, ns } = await start(kind, { backend: 'ops-request', backup: { beforeMajor: 'ifConfigured', timeout: '20s' } }));
    await installKubeStash(kc);
    stash = await startKubeStashSim(kc, { delayMs: 20 });
    const custom = kc.makeApiClient(CustomObjectsApi);
    await custom.createNamespacedCustomObject({ ...CORE, plural: 'backupconfigurations', namespace: ns('demo'), body: backupConfiguration({ namespace: ns('demo'), name: 'orders-backup', target: { kind: 'MySQL', name: 'orders' } }) });
    // A second Ready MySQL for the failed backup (the seed's `legacy` never becomes Ready).
    await databases(w.cluster.kube, mysql).create(databaseObject({ engine: 'mysql', namespace: ns('demo'), name: 'stock', version: '8.0.35', replicas: 1, becomesReady: true }) as never);
    await custom.createNamespacedCustomObject({ ...CORE, plural: 'backupconfigurations', namespace: ns('demo'), body: backupConfiguration({ namespace: ns('demo'), name: 'stock-backup', target: { kind: 'MySQL', name: 'stock' } }) });
    await pollUntil(async () => (await getDatabase(w.cluster.kube, mysql, ns('demo'), 'stock'))?.status?.phase === 'Ready' || undefined, 60_000, () => 'stock to be Ready');
    records = new RecordStore(w.cluster.kube, w.config.recordsNamespace);
  }, 120_000);

  afterAll(async () => {
    await stash?.stop();
    await w?.stop();
    if (kind === 'real' && kc) {
      // The control plane is shared by the run's files: KubeStash goes, so that no other file's bot finds it.
      const ext = kc.makeApiClient(ApiextensionsV1Api);
      for (const crd of kubestashCrds()) await ext.deleteCustomResourceDefinition({ name: (crd.metadata as { name: string }).name }).catch(() => undefined);
    }
  });

  it('ops-request: backs up first (a BackupSession, its Snapshot in the thread before Paused), then updates', async () => {
    const { record, parent } = await request(w.slack, records, USERS.requester, CHANNEL, 'mysql orders 8.4', 30_000);
    expect(record.spec.updateType).toBe('major');
    await approve(w.slack, CHANNEL, parent, USERS.approver);
    const done = await settle(records, record.metadata.name, 90_000);
    expect(done.status?.phase, done.status?.message).toBe('Succeeded');
    // The BackupSession the bot created, labelled with its record, Succeeded with one Snapshot.
    const sessions = (await kc.makeApiClient(CustomObjectsApi).listNamespacedCustomObject({ ...CORE, plural: 'backupsessions', namespace: ns('demo'), labelSelector: `${LABEL_RECORD}=${record.metadata.name}` })) as { items: Array<{ spec: { invoker: { kind: string; name: string } }; status: { phase: string; snapshots: Array<{ name: string }> } }> };
    expect(sessions.items).toHaveLength(1);
    expect(sessions.items[0].spec.invoker).toMatchObject({ kind: 'BackupConfiguration', name: 'orders-backup' });
    expect(sessions.items[0].status.phase).toBe('Succeeded');
    const snapshot = sessions.items[0].status.snapshots[0].name;
    expect(done.status?.backup?.snapshots).toEqual([snapshot]);
    // The thread: backed up (with the Snapshot) before Paused.
    const lines = w.slack.replies(CHANNEL, parent.ts).map((m) => m.text);
    const backedUp = lines.findIndex((l) => /backed up/i.test(l));
    const paused = lines.findIndex((l) => /Paused/.test(l));
    expect(backedUp, lines.join('\n')).toBeGreaterThanOrEqual(0);
    expect(lines[backedUp]).toContain(snapshot);
    expect(paused).toBeGreaterThan(backedUp);
    // The OpsRequest is created after the backup, and the thread says so in that order.
    const started = lines.findIndex((l) => /Update started: created MySQLOpsRequest/.test(l));
    expect(started, lines.join('\n')).toBeGreaterThan(backedUp);
    expect((await getDatabase(w.cluster.kube, mysql, ns('demo'), 'orders'))?.spec.version).toMatch(/^8\.4\./);
  }, 120_000);

  it('a failed backup fails the update before anything is paused: no OpsRequest, the database untouched, the reason in the thread', async () => {
    stash.faults.failBackups(true);
    try {
      const { record, parent } = await request(w.slack, records, USERS.requester, CHANNEL, 'mysql stock 8.4', 30_000);
      await approve(w.slack, CHANNEL, parent, USERS.approver);
      const done = await settle(records, record.metadata.name, 90_000);
      expect(done.status?.phase).toBe('Failed');
      expect(done.status?.message).toMatch(/backup/i);
      const ops = await opsRequests(w.cluster.kube, mysql).list(ns('demo'), { labelSelector: `${LABEL_RECORD}=${record.metadata.name}` });
      expect(ops).toHaveLength(0);
      const db = await getDatabase(w.cluster.kube, mysql, ns('demo'), 'stock');
      expect(db?.spec.version).toBe('8.0.35');
      expect(JSON.stringify(db?.status?.conditions ?? [])).not.toMatch(/"type":"Paused","status":"True"/);
      const lines = w.slack.replies(CHANNEL, parent.ts).map((m) => m.text);
      expect(lines.join('\n')).toMatch(/Backup failed/);
      expect(lines.join('\n')).not.toMatch(/\*Paused\*/);
      expect(lines.join('\n')).not.toMatch(/created MySQLOpsRequest/);
    } finally {
      stash.faults.clear();
    }
  }, 120_000);
});

describe.each(CLUSTER_KINDS)('backup refusals, on the %s', (kind) => {
  let w: World | RealWorld;
  let ns: (n: string) => string;

  afterAll(async () => {
    await w?.stop();
  });

  it('required, and no BackupConfiguration targets the database: refused, saying what to set up; nothing recorded', async () => {
    ({ w, ns } = await start(kind, { backend: 'ops-request', backup: { beforeMajor: 'required' } }));
    const records = new RecordStore(w.cluster.kube, w.config.recordsNamespace);
    const before = (await records.list()).length;
    const cmd = await w.slack.typeCommand({ user: USERS.requester, channel: CHANNEL, text: 'mysql orders 8.4' });
    const answer = await pollUntil(async () => ((cmd.ackPayload as { text?: string } | undefined)?.text ?? (cmd.responses()[0] as { text?: string } | undefined)?.text), 20_000, () => 'an answer');
    expect(answer).toMatch(/requires a backup first \(`backup.beforeMajor: required`\)/);
    expect(answer).toMatch(/Set up a BackupConfiguration for/);
    expect((await records.list()).length).toBe(before);
    expect(ns('demo')).toBeTruthy();
  }, 120_000);

  it('direct backend: a major update is refused before any backup', async () => {
    await w?.stop();
    ({ w, ns } = await start(kind, { backend: 'direct', backup: { beforeMajor: 'ifConfigured' } }));
    const cmd = await w.slack.typeCommand({ user: USERS.requester, channel: CHANNEL, text: 'mysql orders 8.4' });
    const answer = await pollUntil(async () => ((cmd.ackPayload as { text?: string } | undefined)?.text ?? (cmd.responses()[0] as { text?: string } | undefined)?.text), 20_000, () => 'an answer');
    expect(answer).toMatch(/\*major\* update/);
    expect((await new RecordStore(w.cluster.kube, w.config.recordsNamespace).list()).filter((r) => r.spec.database.name === 'orders')).toHaveLength(0);
  }, 120_000);
});
