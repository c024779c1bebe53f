/**
 * Version drift (#19 item 2), pure: the computation over KubeDB's real catalog (sim/kubedb/catalog.ts, facts
 * of kubedb/installer), the Block Kit report and its limits, the button value, the digest, the
 * `/dbupdate drift` grammar and the `reports`/`backup` configuration.
 */
import { describe, expect, it } from 'vitest';
import { commonTarget, computeDrift, driftGaugeRows, type DriftEngineInput } from '../src/drift/compute.js';
import { DRIFT_REQUEST_ACTION, MAX_BUTTON_VALUE, MAX_GROUP_BLOCKS, driftDigest, driftMessage, parseRequestValue, requestValue, unchangedLine } from '../src/drift/render.js';
import { findEngine } from '../src/engines/table.js';
import { resolveTarget, catalogEntryFromObject } from '../src/engines/versions.js';
import { parseCommand } from '../src/command/parse.js';
import { helpText } from '../src/command/help.js';
import { validateConfig } from '../src/policy/config.js';
import { realCatalog } from '../sim/kubedb/catalog.js';

const mysql = findEngine('mysql')!;
const postgres = findEngine('postgres')!;
const MYSQL_CATALOG = realCatalog('MySQLVersion');
const PG_CATALOG = realCatalog('PostgresVersion');
const db = (namespace: string, name: string, version: string, mode?: string) => ({ metadata: { name, namespace }, spec: { version, ...(mode ? { topology: { mode } } : {}) } });

function fleet(): DriftEngineInput[] {
  return [
    { engine: mysql, catalog: MYSQL_CATALOG, databases: [db('demo', 'orders', '8.0.35'), db('demo', 'old', '8.0.32'), db('pay', 'newest', '9.7.1'), db('pay', 'x', '1.2.3'), db('pay', 'gr', '8.0.35', 'GroupReplication')] },
    { engine: postgres, catalog: PG_CATALOG, databases: [db('billing', 'ledger', '15.8')] },
  ];
}

describe('computeDrift over the real catalog', () => {
  const r = computeDrift('prod', fleet());
  const group = (engine: string, ns: string, kind: string) => r.groups.find((g) => g.engine === engine && g.namespace === ns && g.drift === kind);

  it('finds the newest allowed patch, minor and major with the project resolver', () => {
    // MySQL numbers series: 8.0.35 → 8.0.36 is a patch, 8.0 → 8.4/9.x a major; never a minor.
    expect(group('mysql', 'demo', 'patch')?.members).toEqual([
      { name: 'old', from: '8.0.32', to: '8.0.36' },
      { name: 'orders', from: '8.0.35', to: '8.0.36' },
    ]);
    expect(r.groups.some((g) => g.engine === 'mysql' && g.drift === 'minor')).toBe(false);
    // The same answer as a version ask through resolveTarget, by exact name: a prefix (`8.0`) would stop to
    // confirm the base-OS change (8.0.35 runs on Oracle Linux, 8.0.36 on Debian; test/catalog-base-os.test.ts).
    const current = catalogEntryFromObject(mysql, MYSQL_CATALOG.find((o) => o.metadata.name === '8.0.35'));
    const entries = MYSQL_CATALOG.map((o) => catalogEntryFromObject(mysql, o));
    const ask = resolveTarget(mysql, current, '8.0.36', entries);
    expect(ask.ok && ask.target.name).toBe('8.0.36');
    // orders' constraints (>= 8.0.35, <= 9.1.0) cap its major at 9.1.0.
    expect(group('mysql', 'demo', 'major')?.members.find((m) => m.name === 'orders')?.to).toBe('9.1.0');
    // Postgres: the first number is the major, so 15.8 → 15.17 is a minor, 16+ a major.
    expect(group('postgres', 'billing', 'minor')?.members).toEqual([{ name: 'ledger', from: '15.8', to: '15.17' }]);
    expect(group('postgres', 'billing', 'major')?.members[0].to).toMatch(/^1[6-9]\./);
  });

  it('lists a deprecated entry with the newest allowed target, and counts a database in every kind it is behind on', () => {
    expect(group('mysql', 'demo', 'deprecated')?.members).toEqual([{ name: 'old', from: '8.0.32', to: '8.0.36' }]);
    expect(r.totals).toEqual({ deprecated: 1, patch: 3, minor: 1, major: 4 });
    expect(r.scanned).toBe(6);
    // orders, old, gr, ledger; the newest (9.7.1) is behind on nothing, x is on an unknown version.
    expect(r.behind).toBe(4);
    expect(r.groups.flatMap((g) => g.members.map((m) => m.name))).not.toContain('newest');
  });

  it('reports a database whose version is missing from the catalog as unknown, and skips malformed catalog objects', () => {
    expect(r.unknown).toEqual(['mysql pay/x (1.2.3)']);
    const broken = computeDrift('c', [{ engine: mysql, catalog: [...MYSQL_CATALOG, { metadata: { name: 'junk' }, spec: { version: 'not a version' } }], databases: [db('demo', 'orders', '8.0.35')] }]);
    expect(broken.totals.patch).toBe(1);
  });

  it('narrows by engine and namespace', () => {
    const pay = computeDrift('prod', fleet(), { namespaces: ['pay'] });
    expect(new Set(pay.groups.map((g) => g.namespace))).toEqual(new Set(['pay']));
    expect(pay.scanned).toBe(3);
    const pg = computeDrift('prod', fleet(), { engines: ['postgres'] });
    expect(pg.groups.map((g) => `${g.engine}/${g.drift}`)).toEqual(['postgres/major', 'postgres/minor']);
  });

  it('sorts groups by engine, namespace, then deprecated, major, minor, patch', () => {
    expect(r.groups.map((g) => `${g.engine}/${g.namespace}/${g.drift}`)).toEqual([
      'mysql/demo/deprecated',
      'mysql/demo/major',
      'mysql/demo/patch',
      'mysql/pay/major',
      'mysql/pay/patch',
      'postgres/billing/major',
      'postgres/billing/minor',
    ]);
    expect(driftGaugeRows(r)).toContainEqual({ engine: 'mysql', namespace: 'demo', kind: 'patch', count: 2 });
  });

  it('the common target is the one most members move to', () => {
    const g = group('mysql', 'demo', 'major')!;
    expect(commonTarget({ ...g, members: [{ name: 'a', from: '1', to: 'x' }, { name: 'b', from: '1', to: 'y' }, { name: 'c', from: '1', to: 'y' }] })).toBe('y');
    expect(commonTarget({ ...g, members: [{ name: 'a', from: '1' }] })).toBeUndefined();
  });
});

describe('the drift message', () => {
  const r = computeDrift('prod', fleet());

  it('has a summary, a section with a Request update button per group, and notes', () => {
    const m = driftMessage(r);
    expect(m.text).toContain('4 of 6 databases behind');
    const buttons = (m.blocks as Array<{ accessory?: { action_id: string; value: string } }>).filter((b) => b.accessory);
    expect(buttons).toHaveLength(r.groups.length);
    expect(buttons.every((b) => b.accessory!.action_id === DRIFT_REQUEST_ACTION)).toBe(true);
    expect(parseRequestValue(buttons[0].accessory!.value)).toEqual({ e: 'mysql', n: 'demo', c: 'prod', k: 'deprecated', v: '8.0.36', d: ['old'] });
    expect(JSON.stringify(m.blocks)).toContain('mysql pay/x (1.2.3)');
  });

  it('stays within Slack limits for a fleet of 10,000 databases in 200 namespaces', () => {
    const dbs = Array.from({ length: 10_000 }, (_, i) => db(`ns-${i % 200}`, `db-${i}`, i % 3 ? '8.0.35' : '8.0.32'));
    const big = computeDrift('prod', [{ engine: mysql, catalog: MYSQL_CATALOG, databases: dbs }]);
    const m = driftMessage(big);
    expect(m.blocks.length).toBeLessThanOrEqual(50);
    expect(m.blocks.length).toBe(MAX_GROUP_BLOCKS + 2);
    expect(JSON.stringify(m.blocks.at(-1))).toContain('more groups');
    for (const b of m.blocks as Array<{ text?: { text: string } }>) if (b.text) expect(b.text.text.length).toBeLessThanOrEqual(3000);
  });

  it('a button value fits 2,000 characters and says how many members it leaves out', () => {
    const members = Array.from({ length: 500 }, (_, i) => ({ name: `database-with-a-long-name-${i}`, from: '8.0.35', to: '8.0.36' }));
    const value = requestValue(r, { engine: 'mysql', kind: 'MySQL', namespace: 'demo', drift: 'patch', members });
    expect(value.length).toBeLessThanOrEqual(MAX_BUTTON_VALUE);
    const parsed = parseRequestValue(value)!;
    expect(parsed.d.length).toBeGreaterThan(10);
    expect(parsed.d.length + parsed.m!).toBe(500);
  });

  it('a button value that is not a drift group is refused', () => {
    for (const bad of ['', 'x', '{}', '{"e":"mysql","n":"Bad NS","c":"c","k":"patch","d":[]}', '{"e":"mysql","n":"demo","c":"c","k":"sideways","d":[]}', '{"e":"mysql","n":"demo","c":"c","k":"patch","d":["../etc"]}', 'a'.repeat(2001)]) {
      expect(parseRequestValue(bad), bad.slice(0, 40)).toBeUndefined();
    }
  });

  it('the digest changes with what the report says, not with when it was made', () => {
    const again = computeDrift('prod', fleet());
    expect(driftDigest(again)).toBe(driftDigest(r));
    const moved = fleet();
    (moved[0].databases[0] as { spec: { version: string } }).spec.version = '8.0.36';
    expect(driftDigest(computeDrift('prod', moved))).not.toBe(driftDigest(r));
    expect(unchangedLine(r, '2026-12-07T09:00:00.000Z')).toBe('No change in version drift in cluster `prod` since the last report (2026-12-07 09:00:00 UTC): 4 of 6 databases behind.');
  });

  it('says so when nothing is behind', () => {
    const none = computeDrift('prod', [{ engine: mysql, catalog: MYSQL_CATALOG, databases: [db('pay', 'newest', '9.7.1')] }]);
    const m = driftMessage(none);
    expect(m.text).toContain('all 1 databases are on the newest allowed version');
    expect(m.blocks).toHaveLength(1);
  });
});

describe('/dbupdate drift', () => {
  it('parses engine, namespace and cluster, all optional', () => {
    expect(parseCommand('drift')).toEqual({ ok: true, command: { kind: 'drift' } });
    const p = parseCommand('drift pg -n billing -c prod-eu');
    expect(p.ok && p.command).toMatchObject({ kind: 'drift', engine: { name: 'postgres' }, namespace: 'billing', cluster: 'prod-eu' });
  });

  it('refuses an unknown engine, a second word and a bad namespace, with the usage', () => {
    for (const [text, says] of [
      ['drift oracle', 'not a supported engine'],
      ['drift mysql orders', 'at most an engine'],
      ['drift -n Bad_NS', 'not a valid namespace'],
      ['drift --all', '--all'],
    ] as const) {
      const p = parseCommand(text);
      expect(p.ok, text).toBe(false);
      if (!p.ok) {
        expect(p.error).toContain(says);
        expect(p.usage).toContain('/dbupdate drift');
      }
    }
  });

  it('is in the help', () => {
    expect(helpText()).toContain('/dbupdate drift [<engine>]');
  });
});

describe('configuration: reports and backup', () => {
  const base = { approvers: ['U1'] };

  it('defaults: no reports, backup ifConfigured with a 30m timeout', () => {
    const c = validateConfig(base);
    expect(c.reports).toEqual([]);
    expect(c.backup).toEqual({ beforeMajor: 'ifConfigured', timeout: '30m' });
  });

  it('reads a report with its defaults and normalised engines', () => {
    const c = validateConfig({ ...base, reports: [{ cron: '0 9 * * mon', channel: 'C0123ABCD', engines: ['pg'] }], backup: { beforeMajor: 'required' } });
    expect(c.reports).toEqual([{ cron: '0 9 * * mon', timezone: 'UTC', channel: 'C0123ABCD', namespaces: [], engines: ['postgres'] }]);
    expect(c.backup.beforeMajor).toBe('required');
  });

  it('names each bad field', () => {
    expect(() => validateConfig({ ...base, reports: [{ cron: 'every monday', channel: '#dbops', timezone: 'Mars/Olympus', namespaces: ['Bad'] }] })).toThrow(
      /reports\.0\.cron: must be a cron expression[\s\S]*reports\.0\.timezone: must be an IANA time zone[\s\S]*reports\.0\.channel: must be a Slack channel id[\s\S]*reports\.0\.namespaces\.0/,
    );
    expect(() => validateConfig({ ...base, backup: { beforeMajor: 'always' } })).toThrow(/backup\.beforeMajor/);
    expect(() => validateConfig({ ...base, backup: { timeout: '30' } })).toThrow(/backup\.timeout: must be a duration/);
    expect(() => validateConfig({ ...base, backup: { beforeMajor: 'off', extra: 1 } })).toThrow(/backup/);
  });
});
