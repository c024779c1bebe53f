/**
 * Version resolution over KubeDB's real catalog (facts of kubedb/installer 0c6e2459, `catalog-facts.ts`), and
 * Masterminds semver v3 behaviour (cases derived from its README and v3.4.0 test tables, plus the shapes
 * KubeDB's catalog uses). Each expected row was checked by hand against the catalog entry's
 * `updateConstraints`, `deprecated`, `distribution`, base OS and the webhook rules in
 * kubedb/apimachinery `pkg/webhooks/ops/v1alpha1/` (see src/engines/constraints.ts, versions.ts).
 */
import { describe, expect, it } from 'vitest';
import { findEngine, type Engine } from '../src/engines/table.js';
import { catalogEntryFromObject, compareKubeDBVersions, osOf, resolveTarget, updateType, type CatalogEntry } from '../src/engines/versions.js';
import { satisfiesConstraints } from '../src/engines/constraints.js';
import { compareVersions, parseConstraint, parseVersion, satisfies } from '../src/engines/masterminds.js';
import { realCatalog } from '../sim/kubedb/catalog.js';

const catalogs = new Map<string, CatalogEntry[]>();
function catalogOf(e: Engine): CatalogEntry[] {
  let c = catalogs.get(e.catalogKind);
  if (!c) {
    c = realCatalog(e.catalogKind).map((o) => catalogEntryFromObject(e, o));
    catalogs.set(e.catalogKind, c);
  }
  return c;
}

/** (engine, current catalog name, asked) → `target (updateType)` or `!failure_code`. */
const TABLE: Array<[string, string, string, string]> = [
    // 8.0.35 runs Oracle Linux (`mysql:8.0.35-oracle`), 8.0.36 Debian (`mysql:8.0.36-debian`): the only newer 8.0 is
    // another base OS, which MySQL's webhook allows, so it is offered for confirmation; the exact name confirms.
    ['mysql', '8.0.35', '8.0', '?8.0.36 (patch)'],
    ['mysql', '8.0.35', '8.0.36', '8.0.36 (patch, base OS change)'],
    ['mysql', '8.0.35', '8', '8.4.8 (major)'],
    ['mysql', '8.0.35', '8.4', '8.4.8 (major)'],
    ['mysql', '8.0.35', '8.4.3', '8.4.3 (major)'],
    ['mysql', '8.0.35', '9', '9.1.0 (major)'],
    ['mysql', '8.0.35', '9.1.0', '9.1.0 (major)'],
    ['mysql', '8.0.35', '9.4.0', '!not_allowed'],
    ['mysql', '8.0.35', '8.0.31-innodb', '!distribution_change'],
    ['mysql', '8.0.35', '8.0.32', '!deprecated'],
    ['mysql', '8.0.35', '5.7', '!downgrade'],
    ['mysql', '8.0.36', '8.0', '!same_version'],
    ['mysql', '5.7.44', '8.0', '8.0.35 (major)'], // Oracle Linux to Oracle Linux first
    ['mysql', '5.7.44', '8.0.36', '8.0.36 (major, base OS change)'],
    ['mysql', '5.7.44', '5.7', '!same_version'],
    // #20: the base OS comes from the image, not the name. 5.7.42-debian (Debian) asking 5.7: 5.7.44 is newer and
    // allowed but Oracle Linux → offered; asking 8.0: 8.0.36 is Debian too → resolved.
    ['mysql', '5.7.42-debian', '5.7', '?5.7.44 (patch)'],
    ['mysql', '5.7.42-debian', '5.7.44', '5.7.44 (patch, base OS change)'],
    ['mysql', '5.7.42-debian', '8.0', '8.0.36 (major)'],
    ['mysql', '5.7.42-debian', '8.0.36', '8.0.36 (major)'],
    ['mysql', '5.7.42-debian', '8.4', '!not_allowed'],
    ['mysql', '8.4.3', '9', '9.1.0 (major)'],
    ['mysql', '8.4.3', '8.0.36', '!downgrade'],
    ['mysql', '9.1.0', '9', '9.7.1 (major)'],
    ['mysql', '8.0.35', '7.5', '!unknown_version'],
    ['mysql', '8.0.35', 'latest', '!unknown_version'],
    ['postgres', '15.8', '16', '16.13 (major)'],
    ['postgres', '15.8', '16.1', '16.1 (major)'],
    ['postgres', '15.8-bookworm', '16.1', '16.1-bookworm (major)'],
    ['postgres', '15.8-bookworm', '16', '16.13-bookworm (major)'],
    ['postgres', '15.8', '16.1-bookworm', '!base_os_change'],
    ['postgres', '16.1-bookworm', '16.13', '16.13-bookworm (minor)'],
    ['postgres', '16.1', '16.13', '16.13 (minor)'],
    ['postgres', '16.1', '17', '17.9 (major)'],
    ['postgres', '16.1', 'timescaledb-2.14.2-pg16', '!distribution_change'],
    ['postgres', 'timescaledb-2.14.2-pg15', '16', 'timescaledb-2.14.2-pg16 (major)'],
    ['postgres', 'timescaledb-2.14.2-pg15', '16.2', 'timescaledb-2.14.2-pg16 (major)'],
    // pg14 is labelled TimescaleDB, pg15 Official: the Postgres webhook compares spec.distribution, so the exact
    // name is refused, and the version ask may not pick it either.
    ['postgres', 'timescaledb-2.14.2-pg14', '15', '!distribution_change'],
    ['postgres', 'timescaledb-2.14.2-pg14', 'timescaledb-2.14.2-pg15', '!distribution_change'],
    ['postgres', '16.1', '16.13-ext', '!distribution_change'],
    ['postgres', '16.8-documentdb', '17', '17.4-documentdb (major)'],
    ['postgres', '15.8', '15', '15.17 (minor)'],
    ['postgres', '16.1', '16.2-bullseye-postgis', '!base_os_change'],
    ['postgres', '13.13', '14', '14.22 (major)'],
    ['postgres', '16.13', '15', '!downgrade'],
    ['perconaxtradb', '8.0.40', '8.4', '8.4.3 (major)'],
    ['perconaxtradb', '8.0.40', '8.4.3', '8.4.3 (major)'],
    ['perconaxtradb', '5.7.44', '8.0', '!not_allowed'],
    ['perconaxtradb', '8.0.40', '8.0.31', '!deprecated'],
    ['proxysql', '2.4.4-debian', '2.7', '2.7.3-debian (minor)'],
    ['proxysql', '2.4.4-debian', '2.7.3-debian', '2.7.3-debian (minor)'],
    ['proxysql', '2.4.4-debian', '3.0', '!not_allowed'],
    ['proxysql', '2.4.4-debian', '3.0.1-debian', '!not_allowed'],
    ['proxysql', '2.7.3-debian', '3.0', '3.0.1-debian (major)'],
    ['proxysql', '2.3.2-debian', '2.6', '2.6.3-debian (minor)'],
    // #20: ProxySQL's webhook does not compare base OS; 2.4.4-centos has no newer CentOS entry, so Debian is offered.
    ['proxysql', '2.4.4-centos', '2.7', '?2.7.3-debian (minor)'],
    ['proxysql', '2.4.4-centos', '2.6', '?2.6.3-debian (minor)'],
    ['proxysql', '2.4.4-centos', '2.7.3-debian', '2.7.3-debian (minor, base OS change)'],
    ['proxysql', '2.4.4-centos', '2.6.3-debian', '2.6.3-debian (minor, base OS change)'],
    ['proxysql', '2.3.2-centos', '2.4', '2.4.4-centos (minor)'],
    // Ubuntu jammy → noble is one distribution (MariaDB images)
    ['mariadb', '11.3.2', '11.8', '11.8.5 (major)'],
    ['mariadb', '10.11.6', '10.11', '10.11.16 (patch)'],
    ['mariadb', '10.11.6', '11', '11.8.5 (major)'],
    ['mariadb', '10.11.6', '12', '12.1.2 (major)'],
    ['mariadb', '11.4.3', '11.4', '11.4.10 (patch)'],
    ['mariadb', '10.4.32', '10.5', '10.5.23 (major)'],
    ['mariadb', '12.1.2', '12', '12.3.2 (major)'],
    ['mongodb', '7.0.21', '7.0', '7.0.28 (patch)'],
    ['mongodb', '7.0.21', '8', '8.0.17 (major)'],
    ['mongodb', '7.0.21', 'percona-7.0.28', '!distribution_change'],
    ['mongodb', 'percona-7.0.18', '7', 'percona-7.0.28 (patch)'],
    ['mongodb', 'percona-7.0.18', '8.0', 'percona-8.0.17 (major)'],
    ['mongodb', '6.0.24', '8', '!not_allowed'],
    ['mongodb', '6.0.24', '7', '7.0.28 (major)'],
    ['mongodb', '4.4.26', '5', '5.0.31 (major)'],
    ['redis', '7.2.4', '7.2', '7.2.6 (patch)'],
    ['redis', '7.2.4', 'valkey-7.2.9', 'valkey-7.2.9 (patch)'],
    ['redis', '7.2.4', 'valkey-8.0.3', '!distribution_change'],
    ['redis', '7.2.4', '7.4', '7.4.1 (minor)'],
    ['redis', '7.4.1', '7.4', '!not_allowed'],
    ['redis', '7.4.6', '8', '8.0.4 (major)'],
    ['redis', 'valkey-7.2.5', '7', '!not_allowed'],
    ['redis', 'valkey-7.2.5', '7.2.9', '!not_allowed'],
    ['redis', '8.0.4', '8.2', '!not_allowed'],
    ['redis', '6.2.14', '7', '7.0.14 (major)'],
    ['elasticsearch', 'opensearch-2.5.0', '2', '!not_allowed'],
    ['elasticsearch', 'opensearch-2.19.2', '3', 'opensearch-3.1.0 (major)'],
    ['elasticsearch', 'xpack-8.17.6', '8.18', 'xpack-8.18.8 (minor)'],
    ['elasticsearch', 'xpack-8.17.6', '9', 'xpack-9.2.3 (major)'],
    ['elasticsearch', 'xpack-8.17.6', 'opensearch-2.19.2', '!distribution_change'],
    ['elasticsearch', 'opensearch-1.3.13', '1.3', 'opensearch-1.3.20 (patch)'],
    ['elasticsearch', 'xpack-7.17.15', '8', 'xpack-8.19.9 (major)'],
    ['kafka', '3.6.1', '4', '4.2.0 (major)'],
    ['kafka', '3.6.1', '3.9', '3.9.0 (minor)'],
    ['kafka', '3.9.0', '3.6.1', '!downgrade'],
    ['pgbouncer', '1.18.0', '1.24', '1.24.0 (minor)'],
    ['pgbouncer', '1.24.0', '1.24', '!same_version'],
    ['memcached', '1.6.22', '1.6', '1.6.40 (patch)'],
    ['memcached', '1.5.22', '1.6.40', '1.6.40 (minor)'],
    ['mssqlserver', '2022-cu12', '2022', '2022-cu22 (patch)'],
    ['mssqlserver', '2022-cu12', '2022-cu16', '2022-cu16 (patch)'],
    ['mssqlserver', '2022-cu12', '2025', '2025-cu0 (major)'],
    ['mssqlserver', '2022-cu22', '2022-cu12', '!downgrade'],
    ['mssqlserver', '2022-cu12', '2025-cu0', '2025-cu0 (major)'],
    ['singlestore', '8.5.7', '8.9', '8.9.3 (minor)'],
    ['singlestore', '8.9.3', '8.9', '!same_version'],
    ['singlestore', '8.1.32', '8.7', '8.7.21 (minor)'],
    ['redissentinel', '7.2.4', '7.4', '7.4.1 (minor)'],
    ['redissentinel', '7.2.4', 'valkey-7.2.9', 'valkey-7.2.9 (patch)'],
    // The seeded databases of the table-driven e2e (test/e2e-engines-table.test.ts) and neighbours.
    ['elasticsearch', 'opensearch-3.1.0', '3.4', 'opensearch-3.4.0 (minor)'],
    ['elasticsearch', 'opensearch-3.1.0', 'xpack-9.2.3', '!distribution_change'],
    // searchguard-7.9.3 allows `>= 7.9.3, < 7.18.0`, which KubeDB's webhook reads as allowing xpack-7.17.x; the bot
    // never switches product (SearchGuard → ElasticStack) on a version ask.
    ['elasticsearch', 'searchguard-7.9.3', '7.17', '!distribution_change'],
    ['elasticsearch', 'searchguard-7.9.3', 'xpack-7.17.28', '!distribution_change'],
    ['kafka', '3.8.1', '3.9', '3.9.0 (minor)'],
    ['pgbouncer', '1.23.1', '1.24', '1.24.0 (minor)'],
    ['redissentinel', '7.2.4', '7.2', '7.2.6 (patch)'],
    ['singlestore', '8.7.10', '8.9', '8.9.3 (minor)'],
    ['mssqlserver', '2022-cu12', '2022-cu22', '2022-cu22 (patch)'],
    ['memcached', '1.6.22', '1.7', '!unknown_version'],
];

describe('version resolution over KubeDB\'s real catalog', () => {
  it('has at least 80 rows over every UpdateVersion engine of the table', () => {
    expect(TABLE.length).toBeGreaterThanOrEqual(80);
    expect(new Set(TABLE.map((r) => r[0])).size).toBeGreaterThanOrEqual(14);
  });

  it('reads every entry of the facts (no malformed object)', () => {
    for (const name of ['mysql', 'postgres', 'perconaxtradb', 'proxysql', 'mariadb', 'mongodb', 'redis', 'elasticsearch', 'kafka', 'pgbouncer', 'memcached', 'mssqlserver', 'singlestore']) {
      expect(catalogOf(findEngine(name)!).length).toBeGreaterThan(3);
    }
  });

  it('the series names the table relies on are deprecated entries of the real catalog', () => {
    const my = catalogOf(findEngine('mysql')!);
    for (const n of ['8.0', '8', '5.7']) expect(my.find((e) => e.name === n)).toMatchObject({ deprecated: true });
    const ts = catalogOf(findEngine('postgres')!).find((e) => e.name === 'timescaledb-2.14.2-pg16')!;
    expect(ts.distribution).toBe('Official'); // labelled Official; the image says TimescaleDB
    expect(ts.dbImage).toContain('timescale/timescaledb');
  });

  it.each(TABLE)('%s %s → %s gives %s', (engineName, current, asked, expected) => {
    const e = findEngine(engineName)!;
    const cat = catalogOf(e);
    const cur = cat.find((x) => x.name === current);
    expect(cur, `current ${current} in the ${e.catalogKind} facts`).toBeDefined();
    const r = resolveTarget(e, cur!, asked, cat);
    // `?name (type)`: an offer to confirm (another base OS, which KubeDB allows); `(type, base OS change)`:
    // an exact ask that passes with a warning.
    const got = r.ok ? `${r.target.name} (${r.updateType}${r.warning ? ', base OS change' : ''})` : r.code === 'confirm_base_os_change' ? `?${r.offer!.name} (${updateType(e, cur!.version, r.offer!.version)})` : `!${r.code}`;
    expect(got, r.ok ? '' : r.message).toBe(expected);
    if (r.ok) {
      // Whatever the bot picks, KubeDB's own rule (Masterminds on spec.version) allows it.
      expect(satisfiesConstraints(r.target.version, cur!.allowlist, cur!.denylist).ok).toBe(true);
      expect(r.target.deprecated).toBe(false);
    } else {
      expect(r.message.length).toBeGreaterThan(20);
    }
  });

  it('reads the base OS from the image, never from the name (#20)', () => {
    const my = catalogOf(findEngine('mysql')!);
    const os = (n: string) => osOf(my.find((e) => e.name === n)!);
    expect([os('5.7.42-debian'), os('5.7.44'), os('8.0.35'), os('8.0.36')]).toEqual(['debian', 'oracle', 'oracle', 'debian']);
    const px = catalogOf(findEngine('proxysql')!);
    expect(osOf(px.find((e) => e.name === '2.3.2')!)).toBe('debian'); // no suffix in the name; the image is -debian
    const maria = catalogOf(findEngine('mariadb')!);
    expect(osOf(maria.find((e) => e.name === '10.4.32')!)).toBe('ubuntu'); // focal
    expect(osOf(maria.find((e) => e.name === '12.1.2')!)).toBe('ubuntu'); // noble
  });

  it('offers another base OS with a warning and the exact command that confirms it (#20)', () => {
    const e = findEngine('mysql')!;
    const cat = catalogOf(e);
    const r = resolveTarget(e, cat.find((x) => x.name === '5.7.42-debian')!, '5.7', cat);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.code).toBe('confirm_base_os_change');
    expect(r.message).toContain('`5.7.44` runs on Oracle Linux (image `ghcr.io/appscode-images/mysql:5.7.44-oracle`)');
    expect(r.message).toContain('`5.7.42-debian` on Debian');
    expect(r.message).toContain('ask for it by its exact name: `/dbupdate mysql <database> 5.7.44`');
    const confirmed = resolveTarget(e, cat.find((x) => x.name === '5.7.42-debian')!, '5.7.44', cat);
    expect(confirmed).toMatchObject({ ok: true, target: { name: '5.7.44' } });
    expect(confirmed.ok && confirmed.warning).toMatch(/changes the base OS/);
    // Postgres' webhook refuses it, so it is never offered there
    const pg = findEngine('postgres')!;
    const pcat = catalogOf(pg);
    expect(resolveTarget(pg, pcat.find((x) => x.name === '15.8')!, '16.1-bookworm', pcat)).toMatchObject({ ok: false, code: 'base_os_change' });
  });

  it('never says "No version is allowed" while an exact catalog name would pass (every engine, every current entry)', () => {
    let checked = 0;
    for (const name of ['mysql', 'postgres', 'perconaxtradb', 'proxysql', 'mariadb', 'mongodb', 'redis', 'elasticsearch', 'kafka', 'pgbouncer', 'memcached', 'mssqlserver', 'singlestore', 'redissentinel']) {
      const e = findEngine(name)!;
      const cat = catalogOf(e);
      for (const cur of cat.filter((c) => !c.deprecated)) {
        // (deprecated and older entries fail anyway: skipped to keep this fast)
        const passes = cat.filter((t) => t.name !== cur.name && !t.deprecated && compareKubeDBVersions(t.version, cur.version) >= 0 && resolveTarget(e, cur, t.name, cat).ok);
        const r = resolveTarget(e, cur, 'no-such-version-1', cat);
        expect(r.ok).toBe(false);
        if (r.ok) continue;
        if (passes.length > 0) {
          checked++;
          expect(r.hint, `${name} ${cur.name}: ${passes.map((t) => t.name).join(', ')} pass`).not.toMatch(/No version is allowed/);
        } else {
          expect(r.hint).toMatch(/No version is allowed/);
        }
      }
    }
    expect(checked).toBeGreaterThan(100);
  });

  it('ProxySQL: KubeDB reads 2.7.3-debian as a prerelease; the real constraint names prereleases, so it is allowed', () => {
    expect(parseVersion('2.7.3-debian')).toMatchObject({ major: 2n, minor: 7n, patch: 3n, pre: 'debian' });
    expect(satisfiesConstraints('2.7.3-debian', ['>= 2.4.4-debian, <= 2.7.3-debian'], []).ok).toBe(true);
    // a constraint without prerelease would refuse it (what node-semver-style normalising got wrong the other way)
    expect(satisfiesConstraints('2.7.3-debian', ['>= 2.4.4, < 3.0.0'], []).ok).toBe(false);
  });
});

/** [constraint, version, Masterminds' Check] */
const MASTERMINDS: Array<[string, string, boolean]> = [
  // README: basic comparisons, AND by comma or space, OR by ||
  ['>= 1.2, < 3.0.0 || >= 4.2.3', '2.5.0', true],
  ['>= 1.2, < 3.0.0 || >= 4.2.3', '3.5.0', false],
  ['>= 1.2, < 3.0.0 || >= 4.2.3', '4.2.3', true],
  ['>= 1.2.3 < 2.0', '1.9.9', true],
  ['= 2.0', '2.0.0', true],
  ['=2.0', '2.0.1', true], // a short version is a tilde range
  ['2.0', '2.1.0', false],
  ['!=4.1', '4.1.1', false],
  ['!=4.1.0', '4.1.1', true],
  ['!=4.x', '5.1.0', true],
  ['=> 1.2', '1.2.0', true],
  ['=< 1.2', '1.2.9', true], // dirty <=: 1.2.x included
  ['<= 1.2.3', '1.2.4', false],
  ['> 1.2', '1.2.9', false], // dirty >: the next minor
  ['> 1.2', '1.3.0', true],
  ['> 1.x', '2.0.0', true],
  ['< 1.x', '1.1.1', false],
  // hyphen ranges
  ['1.2 - 1.4.5', '1.4.5', true],
  ['1.2 - 1.4.5', '1.4.6', false],
  ['2.3.4 - 4.5', '4.5.9', true],
  // wildcards
  ['*', '1.2.3', true],
  ['1.2.x', '1.2.9', true],
  ['1.2.x', '1.3.0', false],
  ['>= 1.2.x', '1.2.0', true],
  // tilde and caret
  ['~1.2.3', '1.2.9', true],
  ['~1.2.3', '1.3.0', false],
  ['~1', '1.9.0', true],
  ['~> 1.2', '1.2.5', true],
  ['^1.2.3', '1.9.9', true],
  ['^1.2.3', '2.0.0', false],
  ['^0.2.3', '0.2.9', true],
  ['^0.2.3', '0.3.0', false],
  ['^0.0.3', '0.0.4', false],
  // prereleases: only an alternative naming a prerelease matches one, then by normal order
  ['>= 1.2.3', '1.2.4-beta', false],
  ['>= 1.2.3-alpha', '1.2.4-beta', true], // node-semver would refuse (different patch)
  ['>= 1.2.3-alpha || >= 9', '5.0.0-rc.1', true],
  ['< 2.0.0 || >= 3.0.0-0', '1.5.0-beta', false], // the prerelease alternative is the other one; 1.5.0-beta fails >= 3.0.0-0
  ['>=1.1-beta', '1.1.1-beta', true],
  ['^1.x-beta', '1.9.0-beta', true],
  // KubeDB catalog shapes
  ['>= 8.0.35, <= 9.1.0', '8.4.8', true],
  ['>= 8.0.35, <= 9.1.0', '9.4.0', false],
  ['< 8.0.17', '8.0.3', true],
  ['>= 2022-cu12, < 2025-cu1', '2022-cu22', true], // 'cu22' > 'cu12' by byte order
  ['>= 2022-cu12, < 2025-cu1', '2022-cu9', true], // 'cu9' > 'cu12' by byte order too
  ['>= 2022-cu16, < 2025-cu1', '2022-cu9', true],
  ['>= 2022-cu12, < 2025-cu1', '2025-cu0', true],
  ['>= 2022-cu12, < 2025-cu1', '2025-cu1', false],
  ['>= 2.4.4-debian, <= 2.7.3-debian', '3.0.1-debian', false],
  ['>= 2.7.3-debian, <= 3.0.1-debian', '3.0.1-debian', true],
  ['7.4.1', '7.4.6', false],
  ['>= 16.1', '16.13', true],
  ['>= 16.1', '8.0', false],
  ['v1.2.3', '1.2.3', true],
];

describe('Masterminds semver v3 (KubeDB\'s constraint library)', () => {
  it.each(MASTERMINDS)('%s checks %s → %s', (c, v, want) => {
    expect(satisfies(v, c)).toBe(want);
  });

  it.each(['', '>= bar', 'BAR >= 1.2.3', '12.3.4.1234', '12.3.34~ 1.2.3', '>= 1.2 ||'])('refuses to parse %j', (c) => {
    expect(() => parseConstraint(c)).toThrow(/improper constraint|parser error/);
  });

  it.each([
    ['8.0', '8.0.0'],
    ['v1.2', '1.2.0'],
    ['1.01.2', '1.1.2'], // leading zeros coerced (CoerceNewVersion)
    ['2022-cu12', '2022.0.0-cu12'],
  ])('parses %s as %s', (text, want) => {
    const v = parseVersion(text)!;
    expect(`${v.major}.${v.minor}.${v.patch}${v.pre ? `-${v.pre}` : ''}`).toBe(want);
  });

  it.each(['latest', '1.2.3-01', '1.2.3-', '1.2.3.4', ''])('does not parse %j', (text) => {
    expect(parseVersion(text)).toBeNull();
  });

  it('orders prereleases below releases, numerics below alphanumerics, and alphanumerics by bytes', () => {
    const order = ['1.0.0-alpha', '1.0.0-alpha.1', '1.0.0-alpha.beta', '1.0.0-beta', '1.0.0-beta.2', '1.0.0-beta.11', '1.0.0-rc.1', '1.0.0'];
    for (let i = 1; i < order.length; i++) expect(compareVersions(parseVersion(order[i - 1])!, parseVersion(order[i])!)).toBe(-1);
    expect(compareVersions(parseVersion('2022-cu9')!, parseVersion('2022-cu12')!)).toBe(1);
    expect(compareVersions(parseVersion('1.2.3+a')!, parseVersion('1.2.3+b')!)).toBe(0);
  });
});
