/**
 * Wires one bot instance (one replica): the Bolt app and its handlers serve Slack on every replica;
 * the update controller with its pipeline backends, the notifier, the resync and the retention schedule
 * run only on the replica that holds the `coordination.k8s.io` Lease (docs/architecture.md "Replicas").
 * Used by `main.ts`, `sim/demo.ts`, the tests and the benchmarks.
 */
import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import cron, { type ScheduledTask } from 'node-cron';
import type { Logger } from 'pino';
import type { Kube } from './kube/client.js';
import { RecordStore } from './updates/records.js';
import { ClusterSet } from './kube/clusters.js';
import { LeaderElector, type LeaseTimings } from './kube/lease.js';
import { guarded } from './kube/guard.js';
import type { Fence } from './kube/fence.js';
import { sweepRetention } from './updates/retention.js';
import { sweepBatchRetention } from './updates/batch-retention.js';
import { statusMessage } from './kube/errors.js';
import { parseDuration } from './policy/config.js';
import type { Config } from './policy/config.js';
import { createPostClient, createSlackApp, type SlackSettings } from './slack/app.js';
import { registerListeners } from './slack/listeners/index.js';
import { createHttpSlackApp } from './slack/http.js';
import { UserGroupResolver } from './policy/usergroups.js';
import { Notifier, threadComplete } from './slack/notifier.js';
import { Reconciler } from './updates/reconciler.js';
import { RecordInformer } from './updates/record-informer.js';
import { BatchStore } from './updates/batch-records.js';
import { BatchInformer } from './updates/batch-informer.js';
import { BatchController } from './updates/batch-controller.js';
import { BatchNotifier } from './slack/batch-notifier.js';
import { LABEL_BATCH } from './api/v1alpha1/databaseupdatebatch.js';
import { servedResources } from './kube/resources.js';
import { RECORD_GROUP, RECORD_VERSION, TERMINAL_PHASES, type DatabaseUpdate } from './api/v1alpha1/databaseupdate.js';
import { batchHold } from './updates/batch-state.js';
import type { Metrics } from './metrics.js';
import { WebClientEvent } from '@slack/web-api';
import type { DirectSettings } from './pipeline/direct-types.js';
import { OpsRequestBackend } from './pipeline/ops-backend.js';
import { DirectBackend } from './pipeline/direct-backend.js';
import { slackConnected } from './health.js';
import type { App } from '@slack/bolt';
import type { ReadyCheck } from './startup/readiness.js';
import { startDriftReports, type DriftReports } from './drift/schedule.js';
import { BackupGate } from './pipeline/backup.js';
import { driftReport } from './drift/source.js';
import { driftGaugeRows } from './drift/compute.js';

/** Longest wait (ms) on stop for the follow-ups of envelopes already acked (main.ts exits after 10 s). */
const FOLLOW_UP_DRAIN_MS = 5000;

/** Name of the Lease in the records namespace. */
export const LEASE_NAME = 'dbupdate-leader';

/** A running bot replica. */
export interface Bot {
  identity: string;
  records: RecordStore;
  /** Whether this replica currently drives pipelines. */
  isLeader(): boolean;
  /** Readiness: Slack connected and the home cluster's API answering (one discovery call, at most every 5 s). */
  ready(): Promise<boolean>;
  /**
   * Readiness by dependency, for `/readyz` (src/startup/readiness.ts): `slack` (connected), `kubernetes`
   * (the home cluster's API answering, checked at most every 5 s, with the error when not), `lease`
   * (leader or follower: informational, ready either way) and, on the leader, `records` (the record
   * informer listed and watching).
   */
  readiness(): Promise<ReadyCheck[]>;
  /**
   * Stop taking work, hand the Lease back, close Slack, wait (≤ 5 s) for the follow-ups of envelopes
   * already acked, stop the read caches. A second call returns the first one's promise.
   */
  stop(): Promise<void>;
}

/** Options of {@link startBot}. */
export interface BotOptions {
  /** The home cluster (records, Lease) and, optionally, more clusters whose databases the bot updates. */
  kube: Kube;
  clusters?: Kube[];
  config: Config;
  slack: SlackSettings;
  log: Logger;
  now?: () => Date;
  /** Replica identity (default: `$HOSTNAME` or host name, plus a random suffix). */
  identity?: string;
  /** Lease duration in s (default: the configuration's `leaseDurationSeconds`; tests shorten it). */
  leaseDurationSeconds?: number;
  /** Single Lease timings in ms (renew period, renew deadline, retry period; see `leaseTimings` in `src/kube/lease.ts`). */
  leaseTimings?: Partial<LeaseTimings>;
  /** Delay (ms) before retrying a Slack post refused for a reason a person must fix (default 30 s; tests shorten it). */
  slowRetryMs?: number;
  /** Prometheus metrics to count into (see `src/metrics.ts`); none when absent. */
  metrics?: Metrics;
  /** Timing of the direct pipeline (default: `DEFAULT_DIRECT_SETTINGS`, production values). */
  direct?: DirectSettings;
  /** Called with the Bolt app before it connects (main.ts follows its Socket Mode client: src/startup/socket-watch.ts). */
  onSlackApp?: (app: App) => void;
  /** How often (ms) a running backup before a major update is looked at (default 2000; tests shorten it). */
  backupPollMs?: number;
  /** Least time (ms) between two edits of a fleet update's parent message (default 3,000; tests shorten it). */
  batchEditMs?: number;
}

/** Start a replica; resolves when Slack is connected and the first leader election attempt is done. */
export async function startBot(opts: BotOptions): Promise<Bot> {
  const { kube, config } = opts;
  const identity = opts.identity ?? `${process.env.HOSTNAME ?? hostname()}-${randomBytes(3).toString('hex')}`;
  const log = opts.log.child({ replica: identity });
  const clusters = new ClusterSet(kube, opts.clusters ?? []);
  for (const [channel, name] of Object.entries(config.channelClusters ?? {})) {
    if (!clusters.get(name)) throw new Error(`channelClusters.${channel}: cluster "${name}" is not configured (known: ${clusters.names().join(', ')})`);
  }
  const records = new RecordStore(kube, config.recordsNamespace);
  records.onFieldSelectorRefused = (err) =>
    log.warn(
      { err: statusMessage(err) },
      'the API server refused ?fieldSelector=status.phase on databaseupdates (Kubernetes older than 1.31, or the CRD applied before selectableFields was added: kubectl apply -f deploy/crd-databaseupdate.yaml); /dbupdate list and the Home tab read every record until it is served',
    );
  const app = opts.slack.signingSecret
    ? createHttpSlackApp({ botToken: opts.slack.botToken, signingSecret: opts.slack.signingSecret, apiUrl: opts.slack.apiUrl, retries: opts.slack.retries, port: opts.slack.port }, log)
    : createSlackApp(opts.slack, log);
  const groups = new UserGroupResolver(app.client, 300_000);
  const batches = new BatchStore(kube, config.recordsNamespace);
  const handlers = registerListeners(app, { clusters, channelCluster: (c) => config.channelClusters?.[c], records, batches, config, log, now: opts.now, metrics: opts.metrics, groups });
  app.client.on(WebClientEvent.RATE_LIMITED, () => opts.metrics?.slackRetries.inc());
  // The leader's clients: every write (records, OpsRequests, database pause/resume, PetSet patches,
  // Events, and the notifier's Slack posts and edits) is refused with FencedError unless this replica holds
  // the Lease and renewed it within the renew deadline (src/kube/fence.ts). The handlers keep the unfenced
  // ones: any replica serves Slack.
  const fence: Fence = { held: () => elector.held() };
  const postClient = createPostClient(opts.slack, log, fence);
  postClient.on(WebClientEvent.RATE_LIMITED, () => opts.metrics?.slackRetries.inc());
  const leaderClusters = new ClusterSet(kube.fenced(fence), (opts.clusters ?? []).map((k) => k.fenced(fence)));
  const leaderRecords = new RecordStore(leaderClusters.home, config.recordsNamespace);
  const leaderBatches = new BatchStore(leaderClusters.home, config.recordsNamespace);
  // The leader's one watch on records, read by both controllers; its own writes are seen at once.
  let informer: RecordInformer | undefined;
  let batchInformer: BatchInformer | undefined;
  leaderRecords.onWritten = (r) => informer?.mutated(r);
  leaderBatches.onWritten = (b) => batchInformer?.mutated(b);

  // dbupdate_databases_behind: the home cluster's drift, computed from the caches at each scrape (src/drift/).
  opts.metrics?.setDriftSource(async () => driftGaugeRows(await driftReport(kube)));

  let running:
    | { reconciler: Reconciler; notifier: Notifier; expiry: ScheduledTask; retention: ScheduledTask; records: RecordInformer; drift: DriftReports; batches: BatchInformer; batchController: BatchController; batchNotifier: BatchNotifier }
    | undefined;
  const startLeading = async () => {
    // Finished records with a complete thread and no resume asked are kept cut down (memory: #13).
    const records = new RecordInformer(kube, config.recordsNamespace, log, {
      // A fleet member's messages are its batch's (it has no thread of its own).
      keepWhole: (r) => !TERMINAL_PHASES.includes(r.status?.phase ?? 'Pending') || r.status?.resume?.state === 'Requested' || (!r.metadata.labels?.[LABEL_BATCH] && !threadComplete(r)),
    });
    informer = records;
    // Fleet updates (issue #19 item 1): the batch controller and the batch notifier share one watch on batches.
    const batchWatch = new BatchInformer(kube, config.recordsNamespace, log);
    batchInformer = batchWatch;
    // The renew deadline is how long a replica that lost the Lease may still pass its fence: the notifier
    // reads Slack back after taking the Lease and again that long after (the last word is the leader's).
    const notifier = new Notifier({ client: app.client, postClient, records: leaderRecords, informer: records, log, metrics: opts.metrics, slowRetryMs: opts.slowRetryMs, fence, staleWindowMs: elector.timings.renewDeadlineMs });
    // The pipeline backends, passed in: the update controller picks one by `spec.backend` and knows no more of it.
    // Both behind the backup before a major update (src/pipeline/backup.ts; policy `backup`).
    const backup = { log, policy: () => config.backup, pollMs: opts.backupPollMs };
    const backends = [new BackupGate(new OpsRequestBackend({ log, opsRequestTimeout: config.opsRequestTimeout }), backup), new BackupGate(new DirectBackend({ log, settings: opts.direct }), backup)];
    // A fleet member starts only while its batch runs (a member waiting for its window is held once the batch halts).
    const startGate = (r: DatabaseUpdate) => batchHold(r, r.metadata.labels?.[LABEL_BATCH] ? batchWatch.get(r.metadata.labels[LABEL_BATCH]) : undefined);
    const reconciler = new Reconciler({ clusters: leaderClusters, records: leaderRecords, informer: records, log, backends, now: opts.now, metrics: opts.metrics, config, startGate });
    const batchController = new BatchController({ clusters: leaderClusters, records: leaderRecords, batches: leaderBatches, recordInformer: records, batchInformer: batchWatch, config, log, metrics: opts.metrics, now: opts.now });
    const batchNotifier = new BatchNotifier({ client: app.client, postClient, batches: leaderBatches, batchInformer: batchWatch, recordInformer: records, log, fence, minEditMs: opts.batchEditMs });
    // Records are requeued at their expiry and start times; this periodic resync only catches a wall clock that jumped.
    const expiry = cron.schedule(config.expiryCheck, guarded('resync', () => (reconciler.resync(), batchController.resync())), { name: 'resync', noOverlap: true });
    // Finished records (and the OpsRequests and locks they left) and finished fleet batches past `recordRetention`: deleted through the fenced clients.
    const retention = cron.schedule(
      config.retentionCheck,
      guarded('retention sweep', () => {
        void sweepRetention({ records: leaderRecords, clusters: leaderClusters, retentionMs: parseDuration(config.recordRetention), log, now: opts.now, stillLeading: () => fence.held() })
          .then(async (res) => ({ ...res, ...(await sweepBatchRetention({ batches: leaderBatches, retentionMs: parseDuration(config.recordRetention), log, now: opts.now, stillLeading: () => fence.held() })) }))
          .then((res) => (res.records || res.batches || res.errors ? log.info({ ...res }, 'retention sweep') : undefined))
          .catch((err) => log.error({ err: statusMessage(err) }, 'retention sweep failed; trying again at the next run'));
      }),
      { name: 'retention', noOverlap: true },
    );
    // Scheduled drift reports (config `reports`): posted by the leader only, their state written fenced.
    const drift = startDriftReports({
      reports: config.reports,
      clusters: leaderClusters,
      namespace: config.recordsNamespace,
      fence,
      post: async (channel, m) => void (await postClient.chat.postMessage({ channel, text: m.text, ...(m.blocks ? { blocks: m.blocks as never } : {}) })),
      log,
      now: opts.now,
    });
    running = { reconciler, notifier, expiry, retention, records, drift, batches: batchWatch, batchController, batchNotifier };
    opts.metrics?.leader.set(1);
    await Promise.all([records.start(), batchWatch.start()]);
    if (running?.notifier === notifier) notifier.takeover();
  };
  const stopLeading = async () => {
    const r = running;
    running = undefined;
    opts.metrics?.leader.set(0);
    if (!r) return;
    // Both stop taking work at once (their writes are fenced already); then wait for what runs.
    r.drift.stop();
    await Promise.all([Promise.resolve(r.expiry.destroy()).catch(() => undefined), Promise.resolve(r.retention.destroy()).catch(() => undefined), r.reconciler.stop(), r.notifier.stop(), r.batchController.stop(), r.batchNotifier.stop()]);
    await Promise.all([r.records.stop(), r.batches.stop()]);
    if (informer === r.records) informer = undefined;
    if (batchInformer === r.batches) batchInformer = undefined;
  };
  let firstAttempt: () => void = () => {};
  const attempted = new Promise<void>((resolve) => (firstAttempt = resolve));
  const elector = new LeaderElector({
    kube,
    namespace: config.recordsNamespace,
    name: LEASE_NAME,
    identity,
    leaseDurationSeconds: opts.leaseDurationSeconds ?? config.leaseDurationSeconds,
    timings: opts.leaseTimings,
    log,
    onStartedLeading: startLeading,
    onStoppedLeading: stopLeading,
    onAttempt: () => firstAttempt(),
  });
  opts.onSlackApp?.(app);
  await app.init();
  await app.start();
  elector.start();
  await attempted;
  log.info({ cluster: kube.name, recordsNamespace: config.recordsNamespace, leader: elector.isLeader }, 'dbupdate started');
  let lastCheck = { at: 0, ok: false, detail: 'not checked yet' };
  const kubeCheck = async () => {
    if (Date.now() - lastCheck.at >= 5000) {
      const detail = await servedResources(kube, RECORD_GROUP, RECORD_VERSION).then(
        () => `the API server of cluster ${kube.name} answers`,
        (err) => `the API server of cluster ${kube.name} does not answer: ${statusMessage(err)}`,
      );
      lastCheck = { at: Date.now(), ok: detail.endsWith('answers'), detail };
    }
    return lastCheck;
  };
  let stopping: Promise<void> | undefined;
  return {
    identity,
    records,
    isLeader: () => elector.isLeader,
    async ready() {
      if (!slackConnected(app)) return false;
      return (await kubeCheck()).ok;
    },
    async readiness() {
      const connected = slackConnected(app);
      const k = await kubeCheck();
      const checks: ReadyCheck[] = [
        { name: 'slack', ok: connected, detail: connected ? 'connected' : 'not connected (reconnecting)' },
        { name: 'kubernetes', ok: k.ok, detail: k.detail },
        { name: 'lease', ok: true, detail: elector.isLeader ? `leader (Lease ${config.recordsNamespace}/${LEASE_NAME})` : `follower: another replica holds Lease ${config.recordsNamespace}/${LEASE_NAME} and runs the updates` },
      ];
      if (elector.isLeader) {
        const synced = informer?.synced() ?? false;
        checks.push({ name: 'records', ok: synced, detail: synced ? 'DatabaseUpdate records listed and watched' : 'DatabaseUpdate records not listed yet (the watch is retrying)' });
      }
      return checks;
    },
    stop() {
      stopping ??= (async () => {
        await elector.stop();
        await stopLeading();
        try {
          await app.stop();
          // Acked commands and clicks are recorded and answered before the process exits.
          const left = await handlers.drain(FOLLOW_UP_DRAIN_MS);
          if (left > 0) log.warn({ left }, 'follow-ups still running at shutdown');
        } finally {
          await Promise.all(clusters.names().map((n) => clusters.require(n).cache.stop()));
        }
      })();
      return stopping;
    },
  };
}
