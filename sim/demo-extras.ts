/**
 * The demo's three fleet-scale features (`npm run demo -- --fleet | --drift | --backup`, issue #19 item 4),
 * each on the embedded cluster and Slack emulators through the real Bolt app, printed as Slack shows it:
 *
 * - `--fleet`: four MySQL databases labelled `tier=staging` join the seeded ones; Alice asks for
 *   `mysql -l tier=staging <target>`, sees the plan (who will update, who is left out and why), Bob approves
 *   the batch once, and it runs as a canary then waves of two with a short soak, one live table in the channel.
 * - `--drift`: Alice asks `/dbupdate drift`: the seeded databases behind, grouped by engine and namespace.
 * - `--backup`: the simulated KubeStash is installed and a BackupConfiguration targets `demo/orders`; the
 *   major update to 8.4 is backed up first (*backed up*, with the Snapshot, before *Paused*).
 */
import { startWorld, USERS, CHANNEL, type World } from './world.js';
import { approve, buttonValue, pollUntil, settle } from './script.js';
import { databaseObject } from './kubedb/seed.js';
import { backupConfiguration, installKubeStash, startKubeStashSim } from './kubestash/index.js';
import { CustomObjectsApi } from '@kubernetes/client-node';
import { databases } from '../src/kube/resources.js';
import { getDatabase } from '../src/kube/kubedb.js';
import { findEngine } from '../src/engines/table.js';
import { BatchStore } from '../src/updates/batch-records.js';
import { batchFinished } from '../src/api/v1alpha1/databaseupdatebatch.js';
import { ACTION_BATCH_APPROVE } from '../src/slack/render-batch.js';

/** The extra demos. */
export const DEMO_EXTRAS = ['fleet', 'drift', 'backup'] as const;
export type DemoExtra = (typeof DEMO_EXTRAS)[number];

/** What an extra demo ended in: `expected` false when it did not end as planned. */
export interface ExtraOutcome {
  expected: boolean;
  /** The batch's or record's phase, or `reported` for the drift report. */
  outcome: string;
  command: string;
}

const mysql = findEngine('mysql')!;
const FLEET = ['fleet-a', 'fleet-b', 'fleet-c', 'fleet-d'];

function printTranscript(world: World, out: (s?: string) => void): void {
  out('');
  out('──── #db-ops, as Slack shows it ────');
  out(world.slack.transcript(CHANNEL));
  out('────────────────────────────────────');
}

/** Alice's final ephemeral answer to `/dbupdate <text>` (not the ack's "Checking…"). */
async function ask(world: World, text: string): Promise<string> {
  const mine = () => world.slack.messages(CHANNEL).filter((m) => m.ephemeralTo === USERS.requester);
  const before = mine().length;
  await world.slack.typeCommand({ user: USERS.requester, channel: CHANNEL, text });
  const answer = await world.slack.waitFor(() => mine().slice(before).find((m) => !m.text.startsWith(':mag:')), { timeoutMs: 30_000, what: `an answer to "/dbupdate ${text}"` });
  return answer.text;
}

/** The simulated times of the extra demos (ms). */
export interface ExtraTimings {
  podReadyMs: number;
  stepDelayMs?: number;
  /** The direct pipeline's settle time after each pod (default 1,000; the matrix test shortens it). */
  directSettleMs?: number;
}

/**
 * Run one extra demo and print it with `out`. `backend` applies to `--fleet` (on `direct` the target is the
 * newest patch, 8.0.36; on `ops-request` the major 8.4); `--backup` needs `ops-request` (the direct backend
 * takes no major update). @throws Error on a failure that is not the demo's outcome (printed by the caller).
 */
export async function runExtraDemo(extra: DemoExtra, backend: 'ops-request' | 'direct', t: ExtraTimings, out: (s?: string) => void): Promise<ExtraOutcome> {
  const stepDelayMs = t.stepDelayMs ?? 100;
  const sim = { podReadyDelayMs: t.podReadyMs, stepDelayMs, opsManager: backend === 'ops-request' };
  if (extra === 'fleet') {
    const direct = { podTimeoutMs: 60_000, settleMs: t.directSettleMs ?? 1_000, readyTimeoutMs: 30_000 };
    const world = await startWorld({ sim, config: { backend, fleet: { maxParallel: 2, soak: '1s' } }, batchEditMs: 200, ...(backend === 'direct' ? { direct } : {}) });
    try {
      return await fleet(world, backend, out);
    } finally {
      await world.stop();
    }
  }
  const world = await startWorld({ sim, config: { backend } });
  try {
    if (extra === 'drift') {
      out(`Embedded cluster ${world.cluster.server.url} and Slack ${world.slack.apiUrl}`);
      out('@alice types: /dbupdate drift');
      const answer = await ask(world, 'drift');
      printTranscript(world, out);
      const ok = /Version drift in cluster/.test(answer);
      return { expected: ok, outcome: ok ? 'reported' : 'refused', command: 'drift' };
    }
    return await backup(world, out);
  } finally {
    await world.stop();
  }
}

async function fleet(world: World, backend: 'ops-request' | 'direct', out: (s?: string) => void): Promise<ExtraOutcome> {
  const target = backend === 'direct' ? '8.0.36' : '8.4';
  for (const name of FLEET) {
    const obj = databaseObject({ engine: 'mysql', namespace: 'demo', name, version: '8.0.35', replicas: 1, becomesReady: true });
    await databases(world.cluster.kube, mysql).create({ ...obj, metadata: { ...obj.metadata, labels: { tier: 'staging' } } } as never);
  }
  // demo/legacy (never Ready) is in the tier too: the plan leaves it out and says why.
  await databases(world.cluster.kube, mysql).mergePatch('demo', 'legacy', { metadata: { labels: { tier: 'staging' } } } as never);
  await pollUntil(async () => (await Promise.all(FLEET.map((n) => getDatabase(world.cluster.kube, mysql, 'demo', n)))).every((d) => d?.status?.phase === 'Ready') || undefined, 60_000, () => 'the staging databases to be Ready');
  const command = `mysql -l tier=staging ${target}`;
  out(`Embedded cluster ${world.cluster.server.url} and Slack ${world.slack.apiUrl}; MySQL ${FLEET.map((n) => `demo/${n}`).join(', ')} and demo/legacy labelled tier=staging`);
  out(`@alice types: /dbupdate ${command}`);
  const answer = await ask(world, command);
  const name = /batch `(fleet-[a-z0-9-]+)`/.exec(answer)?.[1];
  if (!name) {
    printTranscript(world, out);
    return { expected: false, outcome: 'refused', command };
  }
  const batches = new BatchStore(world.cluster.kube, world.config.recordsNamespace);
  const posted = await pollUntil(async () => {
    const b = await batches.get(name);
    return b?.status?.slack?.ts ? b : undefined;
  }, 20_000, () => `batch ${name} to be posted`);
  const parent = world.slack.message(CHANNEL, posted.status!.slack!.ts!)!;
  out(`@bob clicks Approve on batch ${name}`);
  await world.slack.clickButton({ user: USERS.approver, channel: CHANNEL, messageTs: parent.ts, actionId: ACTION_BATCH_APPROVE, value: buttonValue(parent, ACTION_BATCH_APPROVE) });
  const started = Date.now();
  const done = await pollUntil(async () => {
    const b = await batches.get(name);
    return b && batchFinished(b.status?.phase) ? b : undefined;
  }, 180_000, () => `batch ${name} to finish`);
  // The live table's last edit follows the batch's end.
  await world.slack.waitFor(() => (world.slack.message(CHANNEL, parent.ts)?.text ?? '').includes(done.status?.phase ?? '?') || undefined, { timeoutMs: 10_000, what: 'the parent table to show the end' }).catch(() => undefined);
  printTranscript(world, out);
  out(`Batch ${done.metadata.namespace}/${name}: ${done.status?.phase} in ${((Date.now() - started) / 1000).toFixed(1)}s (kubectl get databaseupdatebatches.dbupdate.dev -n ${done.metadata.namespace})`);
  return { expected: done.status?.phase === 'Succeeded', outcome: done.status?.phase ?? 'Pending', command };
}

async function backup(world: World, out: (s?: string) => void): Promise<ExtraOutcome> {
  const kc = world.cluster.kubeConfig;
  await installKubeStash(kc);
  const stash = await startKubeStashSim(kc, { delayMs: 100 });
  try {
    await kc.makeApiClient(CustomObjectsApi).createNamespacedCustomObject({
      group: 'core.kubestash.com',
      version: 'v1alpha1',
      plural: 'backupconfigurations',
      namespace: 'demo',
      body: backupConfiguration({ namespace: 'demo', name: 'orders-backup', target: { kind: 'MySQL', name: 'orders' } }),
    });
    const command = 'mysql orders 8.4';
    out(`Embedded cluster ${world.cluster.server.url} and Slack ${world.slack.apiUrl}; KubeStash installed, BackupConfiguration demo/orders-backup targets MySQL demo/orders`);
    out(`@alice types: /dbupdate ${command}`);
    const before = new Set((await world.bot.records.list()).map((r) => r.metadata.name));
    await world.slack.typeCommand({ user: USERS.requester, channel: CHANNEL, text: command });
    const record = await pollUntil(async () => (await world.bot.records.list()).find((r) => !before.has(r.metadata.name) && r.status?.slack?.ts), 30_000, () => `a request recorded and posted for "${command}"`);
    const parent = world.slack.message(CHANNEL, record.status!.slack!.ts!)!;
    out(`@bob clicks Approve on request ${record.metadata.name}`);
    await approve(world.slack, CHANNEL, parent, USERS.approver);
    const done = await settle(world.bot.records, record.metadata.name, 120_000);
    printTranscript(world, out);
    const backedUp = world.slack.replies(CHANNEL, parent.ts).some((m) => /backed up/i.test(m.text));
    out(`Record ${done.metadata.namespace}/${done.metadata.name}: ${done.status?.phase}; backed up first: ${backedUp ? `yes (Snapshot ${(done.status?.backup?.snapshots ?? []).join(', ')})` : 'NO'}`);
    return { expected: done.status?.phase === 'Succeeded' && backedUp, outcome: done.status?.phase ?? 'Pending', command };
  } finally {
    await stash.stop();
  }
}
