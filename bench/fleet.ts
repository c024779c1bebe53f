/**
 * Cost of a fleet update (issue #19 items 1 and 5): one `/dbupdate mysql --all -n fleet 8.4` over `members`
 * MySQL databases (1 replica each) on the embedded cluster, approved once, run in waves (a canary, then
 * `maxParallel` 10, soak 1 ms), from the command to the batch's parent showing Succeeded and its closing
 * thread post, plus the trailing writes until the API is quiet. Counted in-process: Kubernetes requests
 * of the bot's service account served by the cluster emulator (the leader-election Lease's renewals left
 * out, as in `cost.ts`; the simulated KubeDB's own requests are another user's) and
 * Slack Web API calls recorded by the Slack emulator, each per member; beside the same run's baseline, one
 * single update of the same kind of database measured the same way. Peak RSS is the whole process's
 * (bot, both emulators and the simulated KubeDB), sampled every 100 ms.
 * Judged (issue #19 item 5): ≤ 30 Kubernetes requests and ≤ 2 Slack calls per member on average.
 */
import { startWorld, type World, CHANNEL, USERS } from '../sim/world.js';
import { seedCluster } from '../sim/kubedb/index.js';
import { buttonValue } from '../sim/script.js';
import { electionLeasePath, quiescent, row, runUpdates, waitUntil, type Row } from './common.js';
import { ACTION_BATCH_APPROVE } from '../src/slack/render-batch.js';
import { databaseUpdateBatches } from '../src/kube/resources.js';
import type { DatabaseUpdateBatch } from '../src/api/v1alpha1/databaseupdatebatch.js';

const NS = 'fleet';

/** Kubernetes requests (election Lease excluded) and Slack calls made while `work` runs, until quiet. */
async function counted<T>(w: World, work: () => Promise<T>): Promise<{ result: T; kube: number; slack: number }> {
  const election = electionLeasePath(w.config.recordsNamespace);
  // The bot's own requests (its service account); the simulated KubeDB and the admin client are not counted.
  const count = () => w.cluster.server.requests.filter((r) => r.path !== election && r.user === `system:serviceaccount:${w.config.recordsNamespace}:dbupdate`).length;
  await quiescent(count);
  w.cluster.server.resetRequests();
  const slackBefore = w.slack.calls.length;
  const result = await work();
  await quiescent(count, 500, 15_000);
  return { result, kube: count(), slack: w.slack.calls.length - slackBefore };
}

/** Run the fleet benchmark over `members` databases. */
export async function benchFleet(opts: { members: number }): Promise<{ rows: Row[]; detail: Record<string, unknown> }> {
  const w = await startWorld({ sim: { podReadyDelayMs: 15, stepDelayMs: 15 }, config: { fleet: { maxParallel: 10, soak: '1ms' } } });
  let peak = process.memoryUsage().rss;
  const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 100);
  try {
    // bench-0 is the baseline's single update (and warms the informers); bench-1… are the fleet.
    await seedCluster(w.cluster.kubeConfig, { extraDatabases: opts.members + 1, extraNamespace: NS, extraReplicas: 1 });
    await w.cluster.sim.settled(120_000);
    await runUpdates(w, NS, ['bench-0'], 180_000).catch(() => undefined); // warm-up of a first update (informers' lists)
    await seedCluster(w.cluster.kubeConfig, { extraDatabases: opts.members + 2, extraNamespace: NS, extraReplicas: 1 });
    await w.cluster.sim.settled(120_000);
    const single = await counted(w, () => runUpdates(w, NS, [`bench-${opts.members + 1}`], 180_000));
    const started = Date.now();
    const batches = databaseUpdateBatches(w.cluster.kube);
    const fleet = await counted(w, async () => {
      const before = new Set((await batches.list(w.config.recordsNamespace)).map((b) => b.metadata.name));
      await w.slack.typeCommand({ user: USERS.requester, channel: CHANNEL, text: `mysql --all -n ${NS} 8.4` });
      const find = async () => (await batches.list(w.config.recordsNamespace)).find((b) => !before.has(b.metadata.name));
      let batch: DatabaseUpdateBatch | undefined;
      for (let i = 0; i < 1200 && !batch?.status?.slack?.ts; i++) {
        batch = await find();
        if (!batch?.status?.slack?.ts) await new Promise((r) => setTimeout(r, 100));
      }
      if (!batch?.status?.slack?.ts) throw new Error('the fleet batch was not posted');
      const parentTs = batch.status.slack.ts;
      const parent = w.slack.message(CHANNEL, parentTs)!;
      await w.slack.clickButton({ user: USERS.approver, channel: CHANNEL, messageTs: parentTs, actionId: ACTION_BATCH_APPROVE, value: buttonValue(parent, ACTION_BATCH_APPROVE) });
      const name = batch.metadata.name;
      let done: DatabaseUpdateBatch | undefined;
      const deadline = Date.now() + 600_000;
      while (Date.now() < deadline) {
        done = await batches.get(w.config.recordsNamespace, name);
        if (done?.status?.phase && ['Succeeded', 'Failed', 'Aborted'].includes(done.status.phase) && (done.status.slack?.posted ?? []).includes('done')) break;
        await new Promise((r) => setTimeout(r, 250));
      }
      await waitUntil(() => JSON.stringify(w.slack.message(CHANNEL, parentTs)?.blocks ?? []).includes('Succeeded') || undefined, 30_000, 'the parent to show Succeeded');
      return { batch: done!, replies: w.slack.replies(CHANNEL, parentTs).length, edits: w.slack.message(CHANNEL, parentTs)?.history.length ?? 0 };
    });
    const members = fleet.result.batch.spec.members.length;
    const durationMs = Date.now() - started;
    const ok = fleet.result.batch.status?.phase === 'Succeeded' && members === opts.members;
    const kubePer = fleet.kube / members;
    const slackPer = fleet.slack / members;
    const rows = [
      row({ bench: 'fleet', figure: `k8s requests per member (${members} members, waves of 10)`, value: kubePer, unit: 'req', baseline: single.kube, baselineLabel: 'one single update', target: '≤ 30, batch Succeeded', pass: ok && kubePer <= 30 }),
      row({ bench: 'fleet', figure: 'Slack calls per member', value: slackPer, unit: 'call', baseline: single.slack, baselineLabel: 'one single update', target: '≤ 2', pass: ok && slackPer <= 2 }),
      row({ bench: 'fleet', figure: 'peak RSS of the whole process (bot + emulators + sim)', value: peak / 2 ** 20, unit: 'MB' }),
    ];
    return { rows, detail: { members, durationMs, phase: fleet.result.batch.status?.phase, kube: fleet.kube, slack: fleet.slack, threadReplies: fleet.result.replies, parentEdits: fleet.result.edits, single: { kube: single.kube, slack: single.slack }, peakRssMb: peak / 2 ** 20 } };
  } finally {
    clearInterval(sampler);
    await w.stop();
  }
}
