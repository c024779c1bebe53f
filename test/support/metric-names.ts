/**
 * The metrics the bot really exports — read from a registry built by `createMetrics()` (src/metrics.ts),
 * not from a copy of the names — and a check of PromQL expressions (alert rules, dashboard panels)
 * against them. Used by test/helm-chart.test.ts and test/grafana-dashboard.test.ts.
 */
import { createMetrics } from '../../src/metrics.js';

/** Series name → its label names (histograms as `_bucket` (+ `le`), `_count`, `_sum`). */
export async function exportedSeries(): Promise<Map<string, Set<string>>> {
  const m = createMetrics({ defaultLabels: { cluster: 'x' } });
  const out = new Map<string, Set<string>>();
  for (const metric of await m.registry.getMetricsAsJSON()) {
    const labels = new Set<string>(['cluster', 'job', 'instance', 'pod', 'namespace', ...((metric as unknown as { labelNames?: string[] }).labelNames ?? [])]);
    const own = (m as unknown as Record<string, { labelNames?: string[] }>);
    for (const handle of Object.values(own)) {
      if ((handle as { name?: string }).name === metric.name) for (const l of handle.labelNames ?? []) labels.add(l);
    }
    if (String(metric.type) === 'histogram') {
      out.set(`${metric.name}_bucket`, new Set([...labels, 'le']));
      out.set(`${metric.name}_count`, labels);
      out.set(`${metric.name}_sum`, labels);
    } else out.set(metric.name, labels);
  }
  return out;
}

/**
 * Problems of one PromQL expression: each `dbupdate_*` / `process_*` / `nodejs_*` series it names must be
 * exported, each label it matches on or groups by must be a label of those series, and it must name at
 * least one series.
 * @returns one line per problem; empty when the expression only uses what the bot exports.
 */
export function checkExpr(expr: string, series: Map<string, Set<string>>): string[] {
  const names = [...expr.matchAll(/\b((?:dbupdate|process|nodejs)_[a-z0-9_]+)/g)].map((m) => m[1]);
  if (names.length === 0) return [`${expr}: names no metric of the bot`];
  const problems = names.filter((n) => !series.has(n)).map((n) => `${expr}: ${n} is not exported by src/metrics.ts`);
  const allowed = new Set(names.flatMap((n) => [...(series.get(n) ?? [])]));
  const used = [
    ...[...expr.matchAll(/\{([^}]*)\}/g)].flatMap((m) => [...m[1].matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)\s*(?:=~|!~|!=|=)/g)].map((x) => x[1])),
    ...[...expr.matchAll(/\b(?:by|without)\s*\(([^)]*)\)/g)].flatMap((m) => m[1].split(',').map((s) => s.trim()).filter(Boolean)),
  ];
  for (const l of used) if (!allowed.has(l)) problems.push(`${expr}: label ${l} is not a label of ${names.join(', ')}`);
  return problems;
}
