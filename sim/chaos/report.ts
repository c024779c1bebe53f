/** Rendering of chaos results: a table of counts (Markdown, as pasted into the README) and the violations. Pure. */
import type { ChaosResult } from './run.js';

const pct = (x: number) => `${Math.round(x * 100)} %`;

/** A Markdown table, one row per run and a total row. */
export function countsTable(results: readonly ChaosResult[]): string {
  const head = ['backend', 'seed', 'API fault rate', 'SIGKILL', 'SIGSTOP > Lease', 'split-brain', 'API faults injected (of requests)', 'Slack answers lost', 'records', 'Succeeded', 'commands sent / not acked / refused', 'violations', 'time'];
  const rows = results.map((r) => [
    r.plan.backend,
    String(r.plan.seed),
    pct(r.plan.apiFaultRate),
    String(r.counts.kills),
    String(r.counts.stops),
    String(r.counts.splitBrains),
    `${r.counts.apiFaultsTotal} (of ${r.counts.apiRequests})`,
    `${r.counts.slackLost} (of ${r.counts.slackCalls} calls)`,
    String(r.counts.records),
    String(r.counts.succeeded),
    `${r.counts.commandsSent} / ${r.counts.commandsNotAcked} / ${r.counts.commandsRefused}`,
    String(r.violations.length),
    `${Math.round(r.durationMs / 1000)} s`,
  ]);
  const sum = (f: (r: ChaosResult) => number) => String(results.reduce((n, r) => n + f(r), 0));
  rows.push([
    '**total**', '', '',
    sum((r) => r.counts.kills), sum((r) => r.counts.stops), sum((r) => r.counts.splitBrains),
    sum((r) => r.counts.apiFaultsTotal), sum((r) => r.counts.slackLost), sum((r) => r.counts.records), sum((r) => r.counts.succeeded),
    sum((r) => r.counts.commandsSent), sum((r) => r.violations.length), `${Math.round(results.reduce((n, r) => n + r.durationMs, 0) / 1000)} s`,
  ]);
  const line = (cells: string[]) => `| ${cells.join(' | ')} |`;
  return [line(head), line(head.map(() => '---')), ...rows.map(line)].join('\n');
}

/** The violations of each run, grouped by invariant, with the seed to replay it. */
export function violationsText(results: readonly ChaosResult[]): string {
  const parts: string[] = [];
  for (const r of results) {
    if (r.violations.length === 0) continue;
    parts.push(`${r.plan.backend}, API faults ${pct(r.plan.apiFaultRate)}, seed ${r.plan.seed}: ${r.violations.length} violation(s)`);
    for (const v of r.violations) parts.push(`  [${v.invariant}] ${v.detail.split('\n').join('\n      ')}`);
  }
  return parts.join('\n');
}
