/**
 * The bot's Prometheus metrics (prom-client 15). {@link createMetrics} builds a fresh `Registry` (never
 * the library's global one, so tests and several bots in one process do not collide) with typed
 * handles for each metric, plus prom-client's default Node.js process metrics.
 *
 * Naming follows the Prometheus conventions (https://prometheus.io/docs/practices/naming/): a
 * `dbupdate_` prefix, `_total` on counters, base units (`_seconds`) on durations.
 * These handles are not wired into the bot here; callers increment them where things happen.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** Outcome of a `/dbupdate` update request, as counted by {@link Metrics.requests}. */
export type RequestOutcome = 'requested' | 'refused' | 'dry_run' | 'error';
/** A decision on a request, as counted by {@link Metrics.approvals}. */
export type ApprovalDecision = 'approve' | 'reject' | 'refused';

/**
 * Buckets (seconds) for a whole pipeline run: an update of a replicated database takes from tens of
 * seconds to tens of minutes (the OpsRequest default timeout is 30 m).
 */
export const PIPELINE_BUCKETS_SECONDS = [5, 15, 30, 60, 120, 300, 600, 900, 1800, 3600];
/** Buckets (seconds) for one pipeline step (pause, images, checks, resume). */
export const STEP_BUCKETS_SECONDS = [0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800];

/** The metric handles of one bot process, all registered in {@link Metrics.registry}. */
export interface Metrics {
  /** The registry holding every metric below; serve it with `registry.metrics()` (text format). */
  registry: Registry;
  /** `dbupdate_requests_total{outcome}` — update requests received, by outcome (count). */
  requests: Counter<'outcome'>;
  /** `dbupdate_approvals_total{decision}` — Approve/Reject clicks, by decision; `refused` = click not allowed (count). */
  approvals: Counter<'decision'>;
  /** `dbupdate_pipeline_duration_seconds{engine,outcome}` — wall time of a whole update pipeline, in seconds. */
  pipelineDuration: Histogram<'engine' | 'outcome'>;
  /** `dbupdate_step_duration_seconds{step}` — wall time of one pipeline step (`paused`, `images`, …), in seconds. */
  stepDuration: Histogram<'step'>;
  /** `dbupdate_slack_api_errors_total{method,error}` — failed Slack Web API calls, by method and Slack `error` code (count). */
  slackApiErrors: Counter<'method' | 'error'>;
  /** `dbupdate_slack_retries_total` — Slack Web API calls retried (429 `Retry-After` or transport errors) (count). */
  slackRetries: Counter;
  /** `dbupdate_kube_api_errors_total{code}` — failed Kubernetes API calls, by HTTP status code (`0` when none) (count). */
  kubeApiErrors: Counter<'code'>;
  /** `dbupdate_leader` — 1 while this replica holds the leader Lease, else 0. */
  leader: Gauge;
  /**
   * `dbupdate_databases_behind{engine,namespace,kind}` — databases on a deprecated catalog entry
   * (`kind="deprecated"`) or behind the newest allowed `patch`/`minor`/`major` (count), computed at each
   * scrape by the source given to {@link Metrics.setDriftSource} (the drift report from the caches,
   * `src/drift/`); absent until one is set.
   */
  databasesBehind: Gauge<'engine' | 'namespace' | 'kind'>;
  /** Set what {@link Metrics.databasesBehind} reads at each scrape: one row per engine, namespace and kind. */
  setDriftSource(source: () => Promise<Array<{ engine: string; namespace: string; kind: string; count: number }>>): void;
}

/**
 * Create a registry with the bot's metrics and the default Node.js metrics (`process_*`, `nodejs_*`,
 * from prom-client's `collectDefaultMetrics({ register })`).
 * @param opts.prefix optional prefix for the default metrics only (prom-client option); the bot's own
 *   metrics are always named `dbupdate_*`.
 * @param opts.defaultLabels labels added to every series (e.g. `{ cluster: 'prod-eu' }`).
 * @returns typed handles; `leader` starts at 0.
 * @throws Error from prom-client if the same registry were reused (it never is: a new one each call).
 */
export function createMetrics(opts: { prefix?: string; defaultLabels?: Record<string, string> } = {}): Metrics {
  const registry = new Registry();
  if (opts.defaultLabels) registry.setDefaultLabels(opts.defaultLabels);
  collectDefaultMetrics({ register: registry, ...(opts.prefix ? { prefix: opts.prefix } : {}) });
  const registers = [registry];
  let driftSource: (() => Promise<Array<{ engine: string; namespace: string; kind: string; count: number }>>) | undefined;
  const m: Metrics = {
    registry,
    requests: new Counter({
      name: 'dbupdate_requests_total',
      help: 'Update requests received (/dbupdate <engine> <db> <version>), by outcome: requested, refused, dry_run, error.',
      labelNames: ['outcome'] as const,
      registers,
    }),
    approvals: new Counter({
      name: 'dbupdate_approvals_total',
      help: 'Approve/Reject decisions on update requests, by decision: approve, reject, refused (click not allowed).',
      labelNames: ['decision'] as const,
      registers,
    }),
    pipelineDuration: new Histogram({
      name: 'dbupdate_pipeline_duration_seconds',
      help: 'Wall time of a whole update pipeline in seconds, by engine and outcome.',
      labelNames: ['engine', 'outcome'] as const,
      buckets: PIPELINE_BUCKETS_SECONDS,
      registers,
    }),
    stepDuration: new Histogram({
      name: 'dbupdate_step_duration_seconds',
      help: 'Wall time of one pipeline step in seconds, by step.',
      labelNames: ['step'] as const,
      buckets: STEP_BUCKETS_SECONDS,
      registers,
    }),
    slackApiErrors: new Counter({
      name: 'dbupdate_slack_api_errors_total',
      help: 'Failed Slack Web API calls, by method and Slack error code.',
      labelNames: ['method', 'error'] as const,
      registers,
    }),
    slackRetries: new Counter({
      name: 'dbupdate_slack_retries_total',
      help: 'Slack Web API calls retried (rate limited or transport error).',
      registers,
    }),
    kubeApiErrors: new Counter({
      name: 'dbupdate_kube_api_errors_total',
      help: 'Failed Kubernetes API calls, by HTTP status code (0 when there was no HTTP answer).',
      labelNames: ['code'] as const,
      registers,
    }),
    leader: new Gauge({
      name: 'dbupdate_leader',
      help: '1 while this replica holds the leader Lease (runs pipelines), else 0.',
      registers,
    }),
    databasesBehind: new Gauge({
      name: 'dbupdate_databases_behind',
      help: 'Databases on a deprecated catalog entry (kind=deprecated) or behind the newest allowed patch, minor or major version, by engine and namespace.',
      labelNames: ['engine', 'namespace', 'kind'] as const,
      registers,
      // prom-client calls collect() at every scrape (an async one is awaited): the rows replace the last ones.
      async collect() {
        if (!driftSource) return;
        const rows = await driftSource();
        this.reset();
        for (const r of rows) this.set({ engine: r.engine, namespace: r.namespace, kind: r.kind }, r.count);
      },
    }),
    setDriftSource(source) {
      driftSource = source;
    },
  };
  m.leader.set(0);
  return m;
}
