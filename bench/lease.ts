/**
 * Idle Lease traffic: what two idle replicas — the leader and a standby — cost the API server when
 * nothing happens (issue #13: the idle Lease cost 2 GETs + 2 PUTs every 10 s; client-go's leader
 * election renews with one PUT of the held object, and a candidate only reads).
 *
 * Both replicas are real bots (`startBot`) with the production Lease timings (the configuration's
 * `leaseDurationSeconds`, default 30 s: renew every 10 s), each talking to an API server front-end of its
 * own over the same cluster store, so every request is attributed to its replica without guessing from
 * the verb. After both are idle (no request for 1 s), **every** request each makes over `seconds` is
 * counted (Lease or not: an idle bot should make no other), as requests per 10 s (the window is 0.5 s
 * short of `seconds`, so renewals exactly one period apart count `seconds / period`, not one more).
 * Baseline: one request per renew period, the least a Lease-elected replica can make (the leader's PUT,
 * the standby's GET).
 */
import { KubeConfig } from '@kubernetes/client-node';
import { KubeApiServer } from '../sim/kube/server.js';
import { serviceAccountUser } from '../sim/kube/rbac.js';
import { SlackEmulator } from '../sim/slack/server.js';
import { BOT_SA_TOKEN, CHANNEL, startEmbeddedCluster, worldConfig } from '../sim/world.js';
import { Kube } from '../src/kube/client.js';
import { leaseTimings } from '../src/kube/lease.js';
import { startBot, type Bot } from '../src/bot.js';
import { createLogger } from '../src/log.js';
import { breakdown, quiescent, row, waitUntil, type Row } from './common.js';

/** Run the idle-Lease benchmark over `seconds` (≥ 60 in the full run). */
export async function benchLease(o: { seconds: number }): Promise<{ rows: Row[]; detail: Record<string, unknown> }> {
  const cluster = await startEmbeddedCluster({ podReadyDelayMs: 15, stepDelayMs: 15 });
  const slack = await SlackEmulator.start({ channels: [{ id: CHANNEL, name: 'db-ops' }] });
  // The standby's own front-end over the same store (as a second API server instance of one cluster).
  const front = await KubeApiServer.start({ store: cluster.store, rbac: true, users: { [BOT_SA_TOKEN]: serviceAccountUser('dbupdate', 'dbupdate') } });
  const config = worldConfig();
  const renewMs = leaseTimings(config.leaseDurationSeconds).renewPeriodMs;
  const bots: Bot[] = [];
  const start = async (server: KubeApiServer) => {
    const kc = new KubeConfig();
    kc.loadFromString(server.kubeconfigYaml({ token: BOT_SA_TOKEN }));
    const bot = await startBot({ kube: new Kube(kc, 'sim'), config, log: createLogger('silent'), slack: { botToken: slack.botToken, appToken: slack.appToken, apiUrl: slack.apiUrl, retries: 2 } });
    bots.push(bot);
    return bot;
  };
  try {
    const leader = await start(cluster.server);
    await waitUntil(() => leader.isLeader(), 60_000, 'the first bot to lead');
    const standby = await start(front);
    await Promise.all([quiescent(() => cluster.server.requests.length, 1000, 30_000), quiescent(() => front.requests.length, 1000, 30_000)]);
    if (standby.isLeader() || !leader.isLeader()) throw new Error('bench: the standby took the Lease from an idle leader');
    cluster.server.resetRequests();
    front.resetRequests();
    // A window of exactly k renew periods can hold k + 1 renewals when one falls on each edge: 0.5 s
    // shorter, it holds at most k when the renewals are one period apart (timers only run late).
    await new Promise((r) => setTimeout(r, o.seconds * 1000 - 500));
    const per10s = (n: number) => (n * 10) / o.seconds;
    const leaderReqs = [...cluster.server.requests];
    const standbyReqs = [...front.requests];
    const floor = 10_000 / renewMs;
    const label = `one request per renew period (${renewMs / 1000} s)`;
    const rows = [
      row({
        bench: 'idle Lease',
        figure: `idle leader: requests per 10 s over ${o.seconds} s (${leaderReqs.length} in all)`,
        value: per10s(leaderReqs.length),
        unit: 'req/10s',
        baseline: floor,
        baselineLabel: label,
        target: '≤ 1 / 10 s',
        pass: per10s(leaderReqs.length) <= 1,
      }),
      row({
        bench: 'idle Lease',
        figure: `idle standby: requests per 10 s over ${o.seconds} s (${standbyReqs.length} in all)`,
        value: per10s(standbyReqs.length),
        unit: 'req/10s',
        baseline: floor,
        baselineLabel: label,
        target: '≤ 1 / 10 s',
        pass: per10s(standbyReqs.length) <= 1,
      }),
    ];
    return {
      rows,
      detail: { seconds: o.seconds, renewPeriodMs: renewMs, leader: breakdown(cluster.store, leaderReqs), standby: breakdown(cluster.store, standbyReqs) },
    };
  } finally {
    for (const b of bots) await b.stop();
    await slack.stop();
    await front.stop();
    await cluster.stop();
  }
}
