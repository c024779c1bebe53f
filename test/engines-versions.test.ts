/**
 * Fixtures follow the shape of real catalog objects in kubedb/installer
 * `charts/kubedb-catalog/templates/{mysql,postgres,...}` (names, distributions, baseOS, constraint strings such
 * as `'>= 8.4.3, <= 9.1.0'` and `< 8.0.35`); versions are a realistic selection, not one release's catalog.
 */
import { describe, expect, it } from 'vitest';
import { findEngine, type Engine } from '../src/engines/table.js';
import {
  allowedTargets,
  catalogEntryFromObject,
  resolveTarget,
  satisfiesConstraints,
  updateType,
  type CatalogEntry,
} from '../src/engines/versions.js';

const eng = (w: string): Engine => findEngine(w)!;
const MYSQL = eng('mysql');
const PG = eng('postgres');
const PXC = eng('pxc');
const PROXY = eng('proxysql');

function mysqlObj(name: string, version: string, o: { distribution?: string; deprecated?: boolean; deny?: string[]; allow?: string[]; grDeny?: string[]; image?: string } = {}) {
  const deny = o.deny ?? [`< ${version}`];
  return {
    apiVersion: 'catalog.kubedb.com/v1alpha1',
    kind: 'MySQLVersion',
    metadata: { name },
    spec: {
      version,
      distribution: o.distribution ?? 'Official',
      ...(o.deprecated ? { deprecated: true } : {}),
      db: { image: o.image ?? `ghcr.io/appscode-images/mysql:${version}-oracle` },
      coordinator: { image: 'ghcr.io/kubedb/mysql-coordinator:v0.32.0' },
      exporter: { image: 'ghcr.io/kubedb/mysqld-exporter:v0.13.1' },
      initContainer: { image: `ghcr.io/kubedb/mysql-init:${version}-v4` },
      podSecurityPolicies: { databasePolicyName: 'mysql-db' },
      updateConstraints: {
        ...(o.allow ? { allowlist: { groupReplication: o.allow, standalone: o.allow } } : {}),
        denylist: { groupReplication: o.grDeny ?? deny, standalone: deny },
      },
    },
  };
}

function pgObj(name: string, version: string, baseOS: string, o: { distribution?: string; deprecated?: boolean; allow?: string[] } = {}) {
  return {
    apiVersion: 'catalog.kubedb.com/v1alpha1',
    kind: 'PostgresVersion',
    metadata: { name },
    spec: {
      version,
      distribution: o.distribution ?? 'Official',
      ...(o.deprecated ? { deprecated: true } : {}),
      db: { baseOS, image: `ghcr.io/appscode-images/postgres:${version}-${baseOS}` },
      coordinator: { image: 'ghcr.io/kubedb/pg-coordinator:v0.51.0' },
      exporter: { image: 'prometheuscommunity/postgres-exporter:v0.18.1' },
      initContainer: { image: 'ghcr.io/kubedb/postgres-init:0.21.0' },
      securityContext: { runAsUser: baseOS === 'alpine' ? 70 : 999 },
      updateConstraints: { allowlist: o.allow ?? [`>= ${version}`] },
    },
  };
}

const mysqlCatalog: CatalogEntry[] = [
  mysqlObj('5.7.41', '5.7.41', { deprecated: true }),
  mysqlObj('5.7.44', '5.7.44'),
  mysqlObj('8.0.32', '8.0.32', { deprecated: true }),
  mysqlObj('8.0.31-innodb', '8.0.31', { distribution: 'MySQL', image: 'mysql/mysql-server:8.0.31' }),
  mysqlObj('8.0.35', '8.0.35'),
  mysqlObj('8.0.36', '8.0.36'),
  mysqlObj('8.4.2', '8.4.2', { deprecated: true }),
  mysqlObj('8.4.3', '8.4.3', { allow: ['>= 8.4.3, <= 9.1.0'], deny: ['< 8.4.3'] }),
  mysqlObj('9.1.0', '9.1.0'),
  mysqlObj('9.4.0', '9.4.0'),
].map((o) => catalogEntryFromObject(MYSQL, o));
const my = (name: string) => mysqlCatalog.find((e) => e.name === name)!;

const pgCatalog: CatalogEntry[] = [
  pgObj('9.6.24', '9.6.24', 'alpine', { deprecated: true, allow: ['>= 9.6.24'] }),
  pgObj('10.23', '10.23', 'alpine'),
  pgObj('13.13', '13.13', 'alpine'),
  pgObj('13.13-bookworm', '13.13', 'bookworm'),
  pgObj('14.10', '14.10', 'alpine'),
  pgObj('14.10-bookworm', '14.10', 'bookworm'),
  pgObj('15.5', '15.5', 'alpine', { deprecated: true }),
  pgObj('15.5-bookworm', '15.5', 'bookworm'),
  pgObj('16.1', '16.1', 'alpine', { allow: ['>= 16.1, < 17'] }),
  pgObj('16.1-bookworm', '16.1', 'bookworm'),
  pgObj('16.4', '16.4', 'alpine'),
  pgObj('16.4-bookworm', '16.4', 'bookworm'),
  pgObj('16.6-bookworm', '16.6', 'bookworm'),
  pgObj('timescaledb-2.14.2-pg16', '16.2', 'alpine', { distribution: 'TimescaleDB' }),
  pgObj('17.2', '17.2', 'alpine'),
].map((o) => catalogEntryFromObject(PG, o));
const pg = (name: string) => pgCatalog.find((e) => e.name === name)!;

const pxcCatalog: CatalogEntry[] = [
  ['8.0.26', true],
  ['8.0.28', false],
  ['8.0.31', false],
  ['8.0.35', true],
].map(([v, dep]) =>
  catalogEntryFromObject(PXC, {
    kind: 'PerconaXtraDBVersion',
    metadata: { name: v },
    spec: {
      version: v,
      deprecated: dep,
      db: { image: `percona/percona-xtradb-cluster:${v}` },
      exporter: { image: 'prom/mysqld-exporter:v0.13.0' },
      initContainer: { image: 'kubedb/percona-xtradb-init:0.2.0' },
      coordinator: { image: 'kubedb/percona-xtradb-coordinator:v0.1.0' },
      updateConstraints: { denylist: [`< ${v}`] },
    },
  }),
);

const proxyCatalog: CatalogEntry[] = ['2.3.2-centos', '2.3.2-debian', '2.4.4-centos', '2.4.4-debian', '2.6.3-debian'].map((n) =>
  catalogEntryFromObject(PROXY, {
    kind: 'ProxySQLVersion',
    metadata: { name: n },
    spec: {
      version: n.split('-')[0],
      proxysql: { image: `kubedb/proxysql:${n}` },
      exporter: { image: 'kubedb/proxysql-exporter:v1.1.0' },
    },
  }),
);

describe('catalogEntryFromObject', () => {
  it('reads a MySQLVersion with nested (standalone) constraints', () => {
    expect(my('8.4.3')).toEqual({
      name: '8.4.3',
      version: '8.4.3',
      deprecated: false,
      distribution: 'Official',
      dbImage: 'ghcr.io/appscode-images/mysql:8.4.3-oracle',
      images: {
        db: 'ghcr.io/appscode-images/mysql:8.4.3-oracle',
        coordinator: 'ghcr.io/kubedb/mysql-coordinator:v0.32.0',
        exporter: 'ghcr.io/kubedb/mysqld-exporter:v0.13.1',
        initContainer: 'ghcr.io/kubedb/mysql-init:8.4.3-v4',
      },
      allowlist: ['>= 8.4.3, <= 9.1.0'],
      denylist: ['< 8.4.3'],
    });
    expect(my('8.0.31-innodb')).toMatchObject({ name: '8.0.31-innodb', version: '8.0.31', distribution: 'MySQL', dbImage: 'mysql/mysql-server:8.0.31' });
  });

  it('reads the MySQL groupReplication lists for every topology, as KubeDB\'s webhook does (mysql.go)', () => {
    const o = mysqlObj('8.0.35', '8.0.35', { grDeny: ['< 8.0.35', '>= 8.4.0'] });
    expect(catalogEntryFromObject(MYSQL, o).denylist).toEqual(['< 8.0.35', '>= 8.4.0']);
    expect(catalogEntryFromObject(MYSQL, o, 'standalone').denylist).toEqual(['< 8.0.35', '>= 8.4.0']);
    expect(catalogEntryFromObject(MYSQL, o, 'groupReplication').denylist).toEqual(['< 8.0.35', '>= 8.4.0']);
    expect(catalogEntryFromObject(MYSQL, o, 'GroupReplication').denylist).toEqual(['< 8.0.35', '>= 8.4.0']);
    expect(catalogEntryFromObject(MYSQL, o, 'InnoDBCluster').denylist).toEqual(['< 8.0.35', '>= 8.4.0']);
  });

  it('reads a PostgresVersion with baseOS and flat constraints', () => {
    expect(pg('16.4-bookworm')).toMatchObject({ name: '16.4-bookworm', version: '16.4', baseOS: 'bookworm', distribution: 'Official', allowlist: ['>= 16.4'], denylist: [] });
  });

  it('reads ProxySQL images from spec.proxysql', () => {
    expect(proxyCatalog[1]).toMatchObject({ name: '2.3.2-debian', version: '2.3.2', dbImage: 'kubedb/proxysql:2.3.2-debian', allowlist: [], denylist: [] });
    expect(proxyCatalog[1].images).toEqual({ db: 'kubedb/proxysql:2.3.2-debian', proxysql: 'kubedb/proxysql:2.3.2-debian', exporter: 'kubedb/proxysql-exporter:v1.1.0' });
  });

  it('reads the pre-2022 `upgradeConstraints` key and numeric versions', () => {
    const e = catalogEntryFromObject(MYSQL, { metadata: { name: '8.0.17' }, spec: { version: '8.0.17', db: { image: 'mysql:8.0.17' }, upgradeConstraints: { denylist: { standalone: ['< 8.0.17'] } } } });
    expect(e.denylist).toEqual(['< 8.0.17']);
    expect(catalogEntryFromObject(PG, { metadata: { name: '16.4' }, spec: { version: 16.4, db: { image: 'postgres:16.4' } } }).version).toBe('16.4');
  });

  it.each([
    [null, 'PostgresVersion: expected an object, got null'],
    ['x', 'PostgresVersion: expected an object, got string'],
    [{ spec: {} }, 'PostgresVersion: metadata.name is missing'],
    [{ metadata: { name: '16.4' } }, 'PostgresVersion 16.4: spec is missing'],
    [{ metadata: { name: '16.4' }, spec: { db: { image: 'p' } } }, 'PostgresVersion 16.4: spec.version is missing'],
    [{ metadata: { name: 'x' }, spec: { version: 'latest', db: { image: 'p' } } }, 'PostgresVersion x: spec.version "latest" is not a Masterminds semantic version'],
    [{ metadata: { name: '16.4' }, spec: { version: '16.4' } }, 'PostgresVersion 16.4: spec.db.image is missing'],
    [{ metadata: { name: '16.4' }, spec: { version: '16.4', db: { image: 'p' }, updateConstraints: 'x' } }, 'PostgresVersion 16.4: spec.updateConstraints must be an object'],
    [{ metadata: { name: '16.4' }, spec: { version: '16.4', db: { image: 'p' }, updateConstraints: { allowlist: '>= 16' } } }, 'PostgresVersion 16.4: spec.updateConstraints.allowlist must be a list of constraint strings'],
    [{ metadata: { name: '16.4' }, spec: { version: '16.4', db: { image: 'p' }, updateConstraints: { denylist: [{}] } } }, 'PostgresVersion 16.4: spec.updateConstraints.denylist[0] must be a string, got {}'],
  ])('throws on malformed object %#', (obj, msg) => {
    expect(() => catalogEntryFromObject(PG, obj)).toThrow(new Error(msg));
  });
});

describe('satisfiesConstraints (KubeDB rule: (empty allowlist OR any allow) AND no deny)', () => {
  it.each([
    ['8.4.3', [], [], true],
    ['8.0.36', [], ['< 8.0.35'], true],
    ['8.0.34', [], ['< 8.0.35'], false],
    ['9.1.0', ['>= 8.4.3, <= 9.1.0'], ['< 8.4.3'], true],
    ['9.4.0', ['>= 8.4.3, <= 9.1.0'], ['< 8.4.3'], false],
    ['8.4.2', ['>= 8.4.3, <= 9.1.0'], ['< 8.4.3'], false],
    ['16.4', ['>= 16.4'], [], true],
    ['16.1', ['>= 16.4'], [], false],
    ['8.0.31-innodb', [], ['< 8.0.31'], true],
    ['2.7.1-debian', ['2.x'], [], false],
    ['2.7.1-debian', ['>= 2.4.4-debian'], [], true],
    ['14.2', ['14.2'], [], true],
    ['14.3', ['14.2'], [], false],
    ['8.0.32', [], ['!= 8.0.32'], true], // != on a denylist denies everything else
    ['8.0.33', ['>= 8.0', '>= 9'], ['!= 8.0.33'], true],
  ] as Array<[string, string[], string[], boolean]>)('%s allow=%j deny=%j → %s', (v, allow, deny, ok) => {
    expect(satisfiesConstraints(v, allow, deny).ok).toBe(ok);
  });

  it('explains refusals', () => {
    expect(satisfiesConstraints('8.0.34', [], ['< 8.0.35'])).toEqual({ ok: false, reason: '8.0.34 is on the denylist (< 8.0.35)' });
    expect(satisfiesConstraints('9.4.0', ['>= 8.4.3, <= 9.1.0'], [])).toEqual({ ok: false, reason: '9.4.0 is not on the allowlist (">= 8.4.3, <= 9.1.0")' });
  });

  it('refuses when a constraint cannot be read (KubeDB errors out), even if another entry matches', () => {
    expect(satisfiesConstraints('9.0.0', ['>= 8', 'junk!'], []).ok).toBe(false);
    expect(satisfiesConstraints('9.0.0', [], ['junk!']).ok).toBe(false);
    expect(satisfiesConstraints('latest', [], []).ok).toBe(false);
  });
});

describe('updateType', () => {
  it.each([
    [MYSQL, '8.0.35', '8.0.36', 'patch'],
    [MYSQL, '8.0.35', '8.4.3', 'major'],
    [MYSQL, '5.7.44', '8.0.36', 'major'],
    [MYSQL, '8.4.3', '9.1.0', 'major'],
    [MYSQL, '8.0.31', '8.0.31', 'patch'],
    [PG, '16.1', '16.4', 'minor'],
    [PG, '13.13', '16.4', 'major'],
    [PG, '9.6.24', '10.23', 'major'],
    [PG, '9.5.25', '9.6.24', 'major'],
    [PG, '9.6.21', '9.6.24', 'patch'],
    [PXC, '8.0.28', '8.0.31', 'patch'],
    [PXC, '5.7.44', '8.0.31', 'major'],
    [PROXY, '2.3.2', '2.4.4', 'minor'],
    [PROXY, '2.4.4', '2.4.8', 'patch'],
    [PROXY, '2.6.3', '3.0.1', 'major'],
    [eng('mongodb'), '6.0.12', '7.0.5', 'major'],
    [eng('mongodb'), '6.0.5', '6.0.12', 'patch'],
    [eng('redis'), '6.2.14', '7.2.4', 'major'],
    [eng('redis'), '7.0.15', '7.2.4', 'minor'],
    [eng('mariadb'), '10.6.16', '10.11.6', 'major'],
  ] as Array<[Engine, string, string, string]>)('%#: %s → %s', (e, a, b, t) => {
    expect(updateType(e, a, b)).toBe(t);
  });
});

describe('resolveTarget: MySQL', () => {
  it('resolves a major prefix to the newest allowed non-deprecated entry of the same distribution', () => {
    const r = resolveTarget(MYSQL, my('8.0.35'), '8', mysqlCatalog);
    expect(r.ok && r.target.name).toBe('8.4.3');
    expect(r.ok && r.updateType).toBe('major');
    expect(r.ok && r.candidates.map((c) => c.name)).toEqual(['8.4.3', '8.0.36']);
  });

  it('resolves 8.0 to 8.0.36 (patch) and 8.4 to 8.4.3, skipping the deprecated 8.4.2', () => {
    const a = resolveTarget(MYSQL, my('8.0.35'), '8.0', mysqlCatalog);
    expect(a).toMatchObject({ ok: true, target: { name: '8.0.36' }, updateType: 'patch' });
    const b = resolveTarget(MYSQL, my('8.0.35'), 'v8.4', mysqlCatalog);
    expect(b).toMatchObject({ ok: true, target: { name: '8.4.3' }, updateType: 'major' });
  });

  it('resolves an exact catalog name', () => {
    expect(resolveTarget(MYSQL, my('8.0.35'), '8.0.36', mysqlCatalog)).toMatchObject({ ok: true, target: { name: '8.0.36' }, candidates: [{ name: '8.0.36' }] });
  });

  it('5.7 → 8.0 is major', () => {
    expect(resolveTarget(MYSQL, my('5.7.44'), '8.0', mysqlCatalog)).toMatchObject({ ok: true, target: { name: '8.0.36' }, updateType: 'major' });
  });

  it('honours the topology-specific constraints', () => {
    const gr = catalogEntryFromObject(MYSQL, mysqlObj('8.0.35', '8.0.35', { grDeny: ['< 8.0.35', '>= 8.4.0'] }), 'groupReplication');
    expect(resolveTarget(MYSQL, gr, '8', mysqlCatalog)).toMatchObject({ ok: true, target: { name: '8.0.36' }, updateType: 'patch' });
    expect(resolveTarget(MYSQL, gr, '8.4', mysqlCatalog)).toMatchObject({ ok: false, code: 'not_allowed' });
  });

  it.each([
    ['8.0.35', '7.0', 'unknown_version', 'No MySQLVersion in this cluster\'s catalog matches `7.0`.'],
    ['8.0.35', '8.0.99-foo', 'unknown_version', '`8.0.99-foo` is not a MySQLVersion in this cluster\'s catalog.'],
    ['8.0.35', '8.4.2', 'deprecated', '`8.4.2` is deprecated in the MySQLVersion catalog; the bot does not update to deprecated versions.'],
    ['8.0.35', '8.0.32', 'deprecated', '`8.0.32` is deprecated in the MySQLVersion catalog; the bot does not update to deprecated versions.'],
    ['5.7.44', '5.7.41', 'deprecated', '`5.7.41` is deprecated in the MySQLVersion catalog; the bot does not update to deprecated versions.'],
    ['8.4.3', '9.4', 'not_allowed', '`8.4.3`\'s update constraints do not allow `9.4`: 9.4.0 is not on the allowlist (">= 8.4.3, <= 9.1.0").'],
    ['8.4.3', '9.4.0', 'not_allowed', '`8.4.3`\'s update constraints do not allow `9.4.0`: 9.4.0 is not on the allowlist (">= 8.4.3, <= 9.1.0").'],
    ['8.4.3', '8.0', 'downgrade', '`8.0` (newest: `8.0.36`) is older than the current `8.4.3`; downgrades are not supported.'],
    ['8.4.3', '8.0.36', 'downgrade', '`8.0.36` (8.0.36) is older than the current `8.4.3` (8.4.3); downgrades are not supported.'],
    ['8.0.36', '8.0', 'same_version', '`8.0.36` is already the newest `8.0` version: nothing to do.'],
    ['8.0.36', '8.0.36', 'same_version', '`8.0.36` is already the current version: nothing to do.'],
    ['8.0.35', '8.0.31-innodb', 'distribution_change', '`8.0.31-innodb` is MySQL, but `8.0.35` is Official; an update cannot switch product (distribution), only its version.'],
    ['8.0.35', '8.0.31', 'distribution_change', '`8.0.31` exists only as MySQL, but `8.0.35` is Official; the bot never switches product (distribution) on a version ask.'],
  ])('from %s request %s → %s', (from, req, code, message) => {
    const r = resolveTarget(MYSQL, my(from), req, mysqlCatalog);
    expect(r).toMatchObject({ ok: false, code, message });
    expect(!r.ok && r.hint).toBeTruthy();
  });

  it('hints the nearest allowed versions', () => {
    const r = resolveTarget(MYSQL, my('8.0.35'), '7', mysqlCatalog);
    expect(!r.ok && r.hint).toBe('Allowed from `8.0.35`: `9.4.0`, `9.1.0`, `8.4.3`, `8.0.36`. See all with `/dbupdate versions mysql <database>`.');
    const r2 = resolveTarget(MYSQL, my('8.0.35'), '8.4.2', mysqlCatalog);
    // same major as the request first
    expect(!r2.ok && r2.hint).toBe('Allowed from `8.0.35`: `8.4.3`, `8.0.36`, `9.4.0`, `9.1.0`. See all with `/dbupdate versions mysql <database>`.');
    const r3 = resolveTarget(MYSQL, my('9.4.0'), '8', mysqlCatalog);
    expect(!r3.ok && r3.hint).toBe('No version is allowed as a target from `9.4.0` in this cluster\'s MySQLVersion catalog.');
  });
});

describe('resolveTarget: Postgres', () => {
  it('keeps the base OS: 13.13-bookworm + 16 → 16.6-bookworm (major)', () => {
    expect(resolveTarget(PG, pg('13.13-bookworm'), '16', pgCatalog)).toMatchObject({ ok: true, target: { name: '16.6-bookworm' }, updateType: 'major' });
  });

  it('keeps the base OS: 13.13 (alpine) + 16 → 16.4, not TimescaleDB or bookworm', () => {
    const r = resolveTarget(PG, pg('13.13'), '16', pgCatalog);
    expect(r).toMatchObject({ ok: true, target: { name: '16.4' }, updateType: 'major' });
    expect(r.ok && r.candidates.map((c) => c.name)).toEqual(['16.4', '16.1']);
  });

  it('16.1 → 16.4 is minor; 16.1 may not go to 17 (allowlist < 17)', () => {
    expect(resolveTarget(PG, pg('16.1'), '16', pgCatalog)).toMatchObject({ ok: true, target: { name: '16.4' }, updateType: 'minor' });
    expect(resolveTarget(PG, pg('16.1'), '17', pgCatalog)).toMatchObject({ ok: false, code: 'not_allowed' });
  });

  it('9.6 → 10 is major', () => {
    const from = { ...pg('9.6.24'), deprecated: false };
    expect(resolveTarget(PG, from, '10', pgCatalog)).toMatchObject({ ok: true, target: { name: '10.23' }, updateType: 'major' });
  });

  it.each([
    ['16.1', '16.4-bookworm', 'base_os_change', '`16.4-bookworm` runs on bookworm, but `16.1` runs on alpine; KubeDB cannot change the base OS in an update.'],
    ['16.1', '16.6', 'base_os_change', '`16.6` exists only for base OS bookworm, but `16.1` runs on alpine, and KubeDB cannot change the base OS of a Postgres in an update.'],
    ['16.1', '16.2', 'distribution_change', '`16.2` exists only as TimescaleDB, but `16.1` is Official; the bot never switches product (distribution) on a version ask.'],
    ['16.1', 'timescaledb-2.14.2-pg16', 'distribution_change', '`timescaledb-2.14.2-pg16` is TimescaleDB, but `16.1` is Official; an update cannot switch product (distribution), only its version.'],
    ['14.10', '15', 'deprecated', 'Every PostgresVersion matching `15` is deprecated (`15.5`); KubeDB does not update to deprecated versions.'],
    ['16.4', '13', 'downgrade', '`13` (newest: `13.13`) is older than the current `16.4`; downgrades are not supported.'],
    ['16.4', '16.4', 'same_version', '`16.4` is already the current version: nothing to do.'],
    ['16.4', '18', 'unknown_version', 'No PostgresVersion in this cluster\'s catalog matches `18`.'],
  ])('from %s request %s → %s', (from, req, code, message) => {
    expect(resolveTarget(PG, pg(from), req, pgCatalog)).toMatchObject({ ok: false, code, message });
  });

  it('refuses updates the constraints forbid: 16.4 (>= 16.4) cannot go to 16.1 even by name', () => {
    // 16.1 is older, so it is reported as a downgrade before constraints are consulted.
    expect(resolveTarget(PG, pg('16.4'), '16.1', pgCatalog)).toMatchObject({ ok: false, code: 'downgrade' });
  });
});

describe('resolveTarget: PerconaXtraDB and ProxySQL', () => {
  const pxc = (n: string) => pxcCatalog.find((e) => e.name === n)!;
  it('PXC 8.0.28 + 8.0 → 8.0.31 (8.0.35 is deprecated)', () => {
    expect(resolveTarget(PXC, pxc('8.0.28'), '8.0', pxcCatalog)).toMatchObject({ ok: true, target: { name: '8.0.31' }, updateType: 'patch' });
  });
  it('PXC refuses deprecated targets', () => {
    expect(resolveTarget(PXC, pxc('8.0.31'), '8.0.35', pxcCatalog)).toMatchObject({ ok: false, code: 'deprecated' });
    expect(resolveTarget(PXC, pxc('8.0.28'), '8.0.26', pxcCatalog)).toMatchObject({ ok: false, code: 'deprecated' });
  });
  it('ProxySQL keeps the name suffix among equal versions', () => {
    const cur = proxyCatalog.find((e) => e.name === '2.3.2-debian')!;
    expect(resolveTarget(PROXY, cur, '2.4', proxyCatalog)).toMatchObject({ ok: true, target: { name: '2.4.4-debian' }, updateType: 'minor' });
    const cen = proxyCatalog.find((e) => e.name === '2.3.2-centos')!;
    expect(resolveTarget(PROXY, cen, '2.4', proxyCatalog)).toMatchObject({ ok: true, target: { name: '2.4.4-centos' } });
    expect(resolveTarget(PROXY, cur, '2', proxyCatalog)).toMatchObject({ ok: true, target: { name: '2.6.3-debian' }, updateType: 'minor' });
  });
});

describe('allowedTargets', () => {
  it('lists MySQL targets newest first with their update type', () => {
    expect(allowedTargets(MYSQL, my('8.0.35'), mysqlCatalog).map((t) => [t.entry.name, t.updateType])).toEqual([
      ['9.4.0', 'major'],
      ['9.1.0', 'major'],
      ['8.4.3', 'major'],
      ['8.0.36', 'patch'],
    ]);
    expect(allowedTargets(MYSQL, my('8.4.3'), mysqlCatalog).map((t) => t.entry.name)).toEqual(['9.1.0']);
  });
  it('lists Postgres targets of the same base OS and distribution', () => {
    expect(allowedTargets(PG, pg('14.10-bookworm'), pgCatalog).map((t) => [t.entry.name, t.updateType])).toEqual([
      ['16.6-bookworm', 'major'],
      ['16.4-bookworm', 'major'],
      ['16.1-bookworm', 'major'],
      ['15.5-bookworm', 'major'],
    ]);
  });
});
