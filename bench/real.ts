/**
 * The bot on the REAL kube-apiserver beside the emulator (issue #18 item 8), measured the same way on
 * both: the bot runs in this process with its own identity (service account token, RBAC from
 * deploy/rbac.yaml), and its Kubernetes requests are counted by the server, by that identity: the real
 * server's audit log (envtest writes one at level Metadata), the emulator's request log. Figures per cluster:
 * - **start-up**: ms from `startBot()` to the replica leading with its record informer synced
 *   (`/readyz`'s `records` check), and the Kubernetes requests it made to get there;
 * - **requests per update**: one 3-replica MySQL `8.0.35 → 8.4` update on the ops-request backend, from
 *   the command to the quiet after `Done` (the leader-election Lease apart: per replica and per renew
 *   period, not per update), after a warm-up update of a twin database;
 * - **step → thread post**: ms from an OpsRequest condition first seen by an admin watch (Ops Manager's
 *   write; DatabasePauseSucceeded → "Paused" … Successful → "Done") to the matching `chat.postMessage` at
 *   the Slack emulator.
 * The baseline of each figure is the emulator's, from the same run; the ratio says what the real server
 * costs more (or less). The real control plane is the test run's when `$DBUPDATE_ENVTEST` is set, else one
 * started here (scripts/build-control-plane.sh must have built it: `npm test` does).
 */
import { Watch } from '@kubernetes/client-node';
import { startCluster, type ClusterKind, type ClusterUnderTest } from '../sim/clusters.js';
import { auditRequests } from '../envtest/shared.js';
import type { EmbeddedCluster } from '../sim/world.js';
import type { RealCluster } from '../sim/world-real.js';
import { seedCluster } from '../sim/kubedb/index.js';
import { SlackEmulator } from '../sim/slack/server.js';
import { approve, request, settle } from '../sim/script.js';
import { CHANNEL, USERS } from '../sim/world.js';
import { ENVTEST_ENV } from '../envtest/shared.js';
import setupControlPlane from '../envtest/global-setup.js';
import { LEASE_NAME, startBot } from '../src/bot.js';
import { createLogger } from '../src/log.js';
import { RecordStore } from '../src/updates/records.js';
import { findEngine } from '../src/engines/table.js';
import { LABEL_RECORD } from '../src/api/v1alpha1/databaseupdate.js';
import { nowNs, nsToMs, percentile, row, type Row } from './common.js';

/** Condition type of Ops Manager → the thread reply it must produce. */
const STEP_OF: Array<[string, RegExp]> = [
  ['DatabasePauseSucceeded', /Paused/],
  ['UpdatePetSetsSucceeded', /Images updated/],
  ['VersionUpdateSucceeded', /Checks passed/],
  ['DatabaseResumeSucceeded', /Resumed/],
  ['Successful', /Done/],
];

/** What one cluster kind measured. */
interface Figures {
  startupMs: number;
  startupRequests: number;
  /** Kubernetes requests of each measured update. */
  perUpdate: number[];
  /** Step → thread-post latencies (ms) of every step of the measured updates. */
  stepMs: number[];
  missingSteps: number;
}

/** Wait until `fn` answers, polling every 20 ms. @throws Error naming `what` after `timeoutMs`. */
async function until<T>(fn: () => Promise<T | undefined | false> | T | undefined | false, timeoutMs: number, what: string): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/**
 * The bot's Kubernetes requests so far, as the server counted them (the leader-election Lease left out:
 * per replica and per renew period, not per update).
 */
function botRequests(c: ClusterUnderTest): number {
  if (c.kind === 'real') {
    const r = c.cluster as RealCluster;
    return auditRequests(r.plane, r.botUser, 0, (ev) => !(ev.objectRef?.resource === 'leases' && ev.objectRef?.name === LEASE_NAME)).count;
  }
  const e = c.cluster as EmbeddedCluster;
  return e.server.requests.filter((r) => r.user === 'system:serviceaccount:dbupdate:dbupdate' && !r.path.endsWith(`/leases/${LEASE_NAME}`)).length;
}

/** The bot's request count once it made none for `quietMs`. */
async function quietCount(c: ClusterUnderTest, quietMs = 1000): Promise<number> {
  let last = -1;
  for (;;) {
    const n = botRequests(c);
    if (n === last) return n;
    last = n;
    await new Promise((r) => setTimeout(r, quietMs));
  }
}

/** Measure one cluster kind. */
async function measure(kind: ClusterKind, updates: number): Promise<Figures> {
  const say = (what: string) => process.stderr.write(`bench real [${kind}]: ${what}\n`);
  const c: ClusterUnderTest = await startCluster(kind, { podReadyDelayMs: 40, stepDelayMs: 40 });
  say('cluster started');
  const prefix = kind === 'real' ? `w${(c.cluster as { id: string }).id}-` : '';
  await seedCluster(c.kube.kc, { namespacePrefix: prefix, extraDatabases: updates + 1, extraNamespace: 'demo', extraReplicas: 3 });
  await c.cluster.sim.settled(120_000);
  say(`${updates + 1} more databases seeded`);
  const slack = await SlackEmulator.start({ channels: [{ id: CHANNEL, name: 'db-ops' }] });
  const mysql = findEngine('mysql')!;
  // Ops Manager's condition writes, first seen by an admin watch straight to the server (no proxy).
  const seen = new Map<string, Map<string, bigint>>();
  const watch = await new Watch(c.kube.kc).watch(
    `/apis/ops.kubedb.com/v1alpha1/namespaces/${c.ns('demo')}/${mysql.opsRequestPlural}`,
    {},
    (_type, obj: { metadata?: { labels?: Record<string, string> }; status?: { conditions?: Array<{ type: string }> } }) => {
      const at = nowNs();
      const record = obj.metadata?.labels?.[LABEL_RECORD] ?? '';
      const m = seen.get(record) ?? new Map<string, bigint>();
      seen.set(record, m);
      for (const cond of obj.status?.conditions ?? []) if (!m.has(cond.type)) m.set(cond.type, at);
    },
    () => undefined,
  );
  say('starting the bot');
  const t0 = nowNs();
  const bot = await startBot({
    kube: c.cluster.botKube,
    config: c.config(),
    log: createLogger('silent'),
    slack: { botToken: slack.botToken, appToken: slack.appToken, apiUrl: slack.apiUrl, retries: 2 },
  });
  say('bot started');
  try {
    let lastSaid = 0;
    await until(
      async () => {
        const r = await bot.readiness();
        if (Date.now() - lastSaid > 5000 && process.env.BENCH_DEBUG) (lastSaid = Date.now()), say(JSON.stringify({ leader: bot.isLeader(), r }));
        return bot.isLeader() && r.some((x) => x.name === 'records' && x.ok);
      },
      60_000,
      'the bot to lead with its records synced',
    );
    const startupMs = nsToMs(nowNs() - t0);
    say(`leading after ${startupMs.toFixed(0)} ms`);
    const startupRequests = await quietCount(c);
    const records = new RecordStore(c.kube, c.recordsNamespace);
    const one = async (db: string) => {
      const { record, parent } = await request(slack, records, USERS.requester, CHANNEL, `mysql ${c.ns('demo')}/${db} 8.4`, 60_000);
      await approve(slack, CHANNEL, parent, USERS.approver);
      const done = await settle(records, record.metadata.name, 120_000);
      if (done.status?.phase !== 'Succeeded') throw new Error(`${kind}: ${db} ended ${done.status?.phase}: ${done.status?.message}`);
      return { record: record.metadata.name, ts: parent.ts };
    };
    await one('bench-0');
    say('warm-up update done');
    const perUpdate: number[] = [];
    const stepMs: number[] = [];
    let missingSteps = 0;
    for (let i = 1; i <= updates; i++) {
      const from = await quietCount(c);
      const u = await one(`bench-${i}`);
      perUpdate.push((await quietCount(c)) - from);
      const posts = slack.calls.filter((call) => call.method === 'chat.postMessage' && call.ok && call.params.thread_ts === u.ts);
      for (const [cond, re] of STEP_OF) {
        const at = seen.get(u.record)?.get(cond);
        const post = posts.find((p) => re.test(String(p.params.text ?? '')));
        if (at === undefined || post?.atNs === undefined) missingSteps++;
        else stepMs.push(nsToMs(post.atNs - at));
      }
    }
    return { startupMs, startupRequests, perUpdate, stepMs, missingSteps };
  } finally {
    watch.abort();
    await bot.stop();
    await slack.stop();
    await c.stop();
  }
}

/**
 * Run the comparison: `updates` measured updates on each server (after one warm-up each).
 * @returns rows (real figure, emulator baseline, ratio) and the raw figures.
 */
export async function benchReal(opts: { updates: number }): Promise<{ rows: Row[]; detail: Record<string, unknown> }> {
  const teardown = process.env[ENVTEST_ENV] ? undefined : await setupControlPlane();
  try {
    const emulator = await measure('emulator', opts.updates);
    const real = await measure('real', opts.updates);
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);
    const rows: Row[] = [
      row({ bench: 'real server', figure: 'start-up to leading, records synced', value: real.startupMs, unit: 'ms', baseline: emulator.startupMs, baselineLabel: 'emulator' }),
      row({ bench: 'real server', figure: 'Kubernetes requests at start-up', value: real.startupRequests, unit: 'req', baseline: emulator.startupRequests, baselineLabel: 'emulator' }),
      row({
        bench: 'real server',
        figure: `requests per update (mean of ${opts.updates}, 3 replicas)`,
        value: mean(real.perUpdate),
        unit: 'req',
        baseline: mean(emulator.perUpdate),
        baselineLabel: 'emulator',
        target: '≤ 30',
        pass: Math.max(...real.perUpdate) <= 30,
      }),
      row({ bench: 'real server', figure: `p50 step → thread post (${real.stepMs.length} steps)`, value: percentile(real.stepMs, 50), unit: 'ms', baseline: percentile(emulator.stepMs, 50), baselineLabel: 'emulator' }),
      row({
        bench: 'real server',
        figure: `p99 step → thread post (${real.stepMs.length} steps)`,
        value: percentile(real.stepMs, 99),
        unit: 'ms',
        baseline: percentile(emulator.stepMs, 99),
        baselineLabel: 'emulator',
        target: '< 250 ms, every step posted',
        pass: percentile(real.stepMs, 99) < 250 && real.missingSteps === 0,
      }),
    ];
    return { rows, detail: { emulator, real } };
  } finally {
    await teardown?.();
  }
}
