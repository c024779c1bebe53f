/**
 * Scheduled drift reports (config `reports`, `src/policy/reports.ts`), run by the leader only: at each
 * match of a report's `cron` (node-cron, in its `timezone`) every cluster's drift is computed from the
 * caches (`./source.ts`) and posted in the report's channel. A report whose digest equals the last one's
 * (`./state.ts`, kept in the cluster) is posted as one line saying nothing changed. A replica that lost
 * the Lease posts and writes nothing (the post is checked against the fence, the write is fenced).
 */
import cron, { type ScheduledTask } from 'node-cron';
import type { Logger } from 'pino';
import type { ClusterSet } from '../kube/clusters.js';
import type { Kube } from '../kube/client.js';
import { statusMessage } from '../kube/errors.js';
import type { Fence } from '../kube/fence.js';
import type { ReportSpec } from '../policy/reports.js';
import { driftDigest, driftMessage, unchangedLine } from './render.js';
import { driftReport } from './source.js';
import { readReportState, reportKey, writeReportState } from './state.js';

/** Options of {@link startDriftReports}. */
export interface DriftReportsOptions {
  reports: readonly ReportSpec[];
  /** The leader's clusters (fenced clients); the home cluster keeps the reports' state. */
  clusters: ClusterSet;
  /** The records namespace (where the state ConfigMap lives). */
  namespace: string;
  fence: Fence;
  /** Post a message in a channel (the leader's Slack client). @throws Slack errors. */
  post(channel: string, message: { text: string; blocks?: unknown[] }): Promise<void>;
  log: Logger;
  now?: () => Date;
}

/** What one run of a report did, per cluster. */
export type ReportOutcome = 'posted' | 'unchanged' | 'skipped';

/** Running schedules. */
export interface DriftReports {
  /** Run report `index` now (what its cron does). @returns the outcome per cluster. */
  run(index: number): Promise<Record<string, ReportOutcome>>;
  stop(): void;
}

function scopeOf(spec: ReportSpec): string | undefined {
  const parts = [spec.engines.length ? spec.engines.join(', ') : '', spec.namespaces.length ? `namespace ${spec.namespaces.join(', ')}` : ''].filter(Boolean);
  return parts.length ? parts.join('; ') : undefined;
}

/** Run one report over one cluster. @throws API and Slack errors. */
async function runOne(o: DriftReportsOptions, spec: ReportSpec, kube: Kube): Promise<ReportOutcome> {
  const now = (o.now ?? (() => new Date()))();
  const report = await driftReport(kube, { engines: spec.engines, namespaces: spec.namespaces });
  const digest = driftDigest(report);
  const key = reportKey(kube.name, spec);
  const home = o.clusters.home;
  const last = await readReportState(home, o.namespace, key);
  if (!o.fence.held()) return 'skipped';
  const unchanged = last?.digest === digest;
  await o.post(spec.channel, unchanged ? { text: unchangedLine(report, last?.at) } : driftMessage(report, scopeOf(spec)));
  await writeReportState(home, o.namespace, key, { digest, at: now.toISOString() });
  o.log.info({ audit: 'drift-report', cluster: kube.name, channel: spec.channel, behind: report.behind, unchanged }, 'drift report posted');
  return unchanged ? 'unchanged' : 'posted';
}

/** Schedule every configured report (none: nothing scheduled). */
export function startDriftReports(o: DriftReportsOptions): DriftReports {
  const run = async (index: number) => {
    const spec = o.reports[index];
    const out: Record<string, ReportOutcome> = {};
    for (const name of o.clusters.names()) {
      try {
        out[name] = await runOne(o, spec, o.clusters.require(name));
      } catch (err) {
        o.log.error({ err: statusMessage(err), cluster: name, report: index }, 'drift report failed; trying again at its next run');
        out[name] = 'skipped';
      }
    }
    return out;
  };
  const tasks: ScheduledTask[] = o.reports.map((spec, i) =>
    cron.schedule(spec.cron, () => void run(i), { name: `drift-report-${i}`, timezone: spec.timezone, noOverlap: true }),
  );
  return {
    run,
    stop() {
      for (const t of tasks) void Promise.resolve(t.destroy()).catch(() => undefined);
    },
  };
}
