/**
 * deploy/grafana/dbupdate-dashboard.json: valid Grafana dashboard JSON whose every query names only
 * series and labels the bot really exports (a registry built by src/metrics.ts's createMetrics), and
 * whose legends use only labels the query keeps.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { checkExpr, exportedSeries } from './support/metric-names.js';

type Target = { refId: string; expr: string; legendFormat?: string };
type Panel = { id: number; type: string; title: string; gridPos: { x: number; y: number; w: number; h: number }; targets: Target[] };
const dashboard = JSON.parse(readFileSync(fileURLToPath(new URL('../deploy/grafana/dbupdate-dashboard.json', import.meta.url)), 'utf8')) as {
  uid: string;
  title: string;
  schemaVersion: number;
  panels: Panel[];
  templating: { list: { name: string; type: string; query: unknown; definition?: string }[] };
};

describe('Grafana dashboard', () => {
  it('is a dashboard: uid, title, panels with unique ids inside the 24-column grid, each with queries', () => {
    expect(dashboard.uid).toBe('dbupdate');
    expect(dashboard.schemaVersion).toBeGreaterThanOrEqual(36);
    expect(new Set(dashboard.panels.map((p) => p.id)).size).toBe(dashboard.panels.length);
    for (const p of dashboard.panels) {
      expect(['timeseries', 'stat', 'bargauge']).toContain(p.type);
      expect(p.gridPos.x + p.gridPos.w, p.title).toBeLessThanOrEqual(24);
      expect(p.targets.length, p.title).toBeGreaterThan(0);
      expect(new Set(p.targets.map((t) => t.refId)).size).toBe(p.targets.length);
    }
  });

  it("every query's series and labels exist in src/metrics.ts; legends use labels the query keeps", async () => {
    const series = await exportedSeries();
    const exprs = dashboard.panels.flatMap((p) => p.targets);
    expect(exprs.length).toBeGreaterThan(10);
    const named = new Set<string>();
    for (const t of exprs) {
      expect(checkExpr(t.expr, series)).toEqual([]);
      for (const m of t.expr.matchAll(/\b(dbupdate_[a-z_]+?)(?:_bucket|_count|_sum)?\b/g)) named.add(m[1]);
      const kept = [...t.expr.matchAll(/\bby\s*\(([^)]*)\)/g)].flatMap((m) => m[1].split(',').map((s) => s.trim()));
      for (const l of (t.legendFormat ?? '').matchAll(/\{\{\s*(\w+)\s*\}\}/g)) expect(kept, `${t.legendFormat} in ${t.expr}`).toContain(l[1]);
    }
    // Every metric of the bot is on the dashboard.
    const own = [...series.keys()].filter((s) => s.startsWith('dbupdate_')).map((s) => s.replace(/_(bucket|count|sum)$/, ''));
    expect([...new Set(own)].filter((m) => !named.has(m))).toEqual([]);
    // The cluster variable reads a series the bot exports.
    const cluster = dashboard.templating.list.find((v) => v.name === 'cluster')!;
    expect(checkExpr(cluster.definition!, series)).toEqual([]);
    // The check itself fails on a name the bot does not export.
    expect(checkExpr('rate(dbupdate_updates_total[5m])', series)).toEqual(['rate(dbupdate_updates_total[5m]): dbupdate_updates_total is not exported by src/metrics.ts']);
  });
});
