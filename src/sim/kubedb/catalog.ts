/**
 * The seeded version catalogs (`catalog.kubedb.com/v1alpha1` `<Kind>Version`, cluster-scoped), shaped as
 * kubedb/installer `charts/kubedb-catalog/templates/*` renders them:
 * - MySQL (`mysql/mysql-8.0.35-official.yaml`, `mysql-8.4.3-official.yaml`): `spec.version`,
 *   `spec.distribution` (`Official`; `MySQL` for the `-innodb` entries), `spec.db.image`
 *   (`ghcr.io/appscode-images/mysql:<v>-oracle`), `coordinator`, `exporter`, `initContainer`,
 *   `replicationModeDetector` images, `spec.updateConstraints.{allowlist,denylist}.{standalone,groupReplication}`;
 *   real 8.4.3 values: allowlist `'>= 8.4.3, <= 9.1.0'`, denylist `< 8.4.3`.
 * - Postgres (`postgres/postgres-15.8-official.yaml`): `spec.db.{image,baseOS}` (`alpine` for `15.8`,
 *   `bookworm` for `15.8-bookworm`), `coordinator`, `exporter`, `initContainer`, flat
 *   `updateConstraints.allowlist` (real 15.8: `'>= 15.8'`).
 * - ProxySQL: the proxy image is `spec.proxysql.image` (KubeDB docs, "ProxySQLVersion"), not `spec.db.image`.
 * Constraints are Masterminds semver strings (`,` = AND, `||` = OR).
 * The constraint values below are the simulator's (realistic, not copied from any one catalog release).
 */
import type { KubeObject } from '../kube/api.js';
import { CATALOG_GROUP, CATALOG_VERSION } from '../../engines/table.js';
import { CATALOG_FACTS, type CatalogFact } from './catalog-facts.js';

const GHCR = 'ghcr.io';

function entry(kind: string, name: string, spec: Record<string, unknown>): KubeObject {
  return {
    apiVersion: `${CATALOG_GROUP}/${CATALOG_VERSION}`,
    kind,
    metadata: { name, labels: { 'app.kubernetes.io/name': 'kubedb-catalog', 'app.kubernetes.io/instance': 'kubedb' } },
    spec,
  };
}

/** MySQL nests both lists under `standalone` and `groupReplication` (`MySQLUpdateConstraints`). */
function mysqlConstraints(allow: string[], deny: string[]): Record<string, unknown> {
  const c: Record<string, unknown> = {};
  if (allow.length) c.allowlist = { groupReplication: allow, standalone: allow };
  if (deny.length) c.denylist = { groupReplication: deny, standalone: deny };
  return c;
}

/** One MySQLVersion. `distribution` `Official` uses the appscode-images oracle build; `MySQL` the mysql-server image (InnoDB Cluster). */
export function mysqlVersion(name: string, version: string, o: { deprecated?: boolean; allow?: string[]; deny?: string[]; distribution?: string } = {}): KubeObject {
  const dist = o.distribution ?? 'Official';
  const image = dist === 'MySQL' ? `${GHCR}/appscode-images/mysql-server:${version}` : `${GHCR}/appscode-images/mysql:${version}-oracle`;
  return entry('MySQLVersion', name, {
    version,
    distribution: dist,
    ...(o.deprecated ? { deprecated: true } : {}),
    db: { image },
    coordinator: { image: `${GHCR}/kubedb/mysql-coordinator:v0.32.0` },
    exporter: { image: `${GHCR}/kubedb/mysqld-exporter:v0.13.1` },
    initContainer: { image: `${GHCR}/kubedb/mysql-init:${version.startsWith('5.') ? '5.7.44-v2' : '8.4.3-v4'}` },
    replicationModeDetector: { image: `${GHCR}/kubedb/replication-mode-detector:v0.41.0` },
    podSecurityPolicies: { databasePolicyName: 'mysql-db' },
    securityContext: { runAsUser: 999 },
    updateConstraints: mysqlConstraints(o.allow ?? [], o.deny ?? []),
  });
}

/** One PostgresVersion; `baseOS` `alpine` (name `X.Y`) or `bookworm` (name `X.Y-bookworm`). */
export function postgresVersion(version: string, o: { baseOS?: 'alpine' | 'bookworm'; deprecated?: boolean; allow?: string[]; deny?: string[] } = {}): KubeObject {
  const os = o.baseOS ?? 'alpine';
  const name = os === 'alpine' ? version : `${version}-${os}`;
  const uc: Record<string, unknown> = {};
  if (o.allow?.length) uc.allowlist = o.allow;
  if (o.deny?.length) uc.denylist = o.deny;
  return entry('PostgresVersion', name, {
    version,
    distribution: 'Official',
    ...(o.deprecated ? { deprecated: true } : {}),
    db: { baseOS: os, image: `${GHCR}/appscode-images/postgres:${version}-${os}` },
    coordinator: { image: `${GHCR}/kubedb/pg-coordinator:v0.51.0` },
    exporter: { image: 'prometheuscommunity/postgres-exporter:v0.18.1' },
    initContainer: { image: `${GHCR}/kubedb/postgres-init:0.21.0` },
    podSecurityPolicies: { databasePolicyName: 'postgres-db' },
    securityContext: { runAsAnyNonRoot: os !== 'alpine', runAsUser: os === 'alpine' ? 70 : 999 },
    updateConstraints: uc,
  });
}

/** One PerconaXtraDBVersion (flat constraint lists). */
export function perconaVersion(version: string, o: { deprecated?: boolean; allow?: string[]; deny?: string[] } = {}): KubeObject {
  const uc: Record<string, unknown> = {};
  if (o.allow?.length) uc.allowlist = o.allow;
  if (o.deny?.length) uc.denylist = o.deny;
  return entry('PerconaXtraDBVersion', version, {
    version,
    distribution: 'Percona',
    ...(o.deprecated ? { deprecated: true } : {}),
    db: { image: `${GHCR}/appscode-images/percona-xtradb-cluster:${version}` },
    coordinator: { image: `${GHCR}/kubedb/percona-xtradb-coordinator:v0.22.0` },
    exporter: { image: 'prom/mysqld-exporter:v0.13.0' },
    initContainer: { image: `${GHCR}/kubedb/percona-xtradb-init:0.2.1` },
    podSecurityPolicies: { databasePolicyName: 'percona-xtradb-db' },
    securityContext: { runAsUser: 1001 },
    updateConstraints: uc,
  });
}

/** One ProxySQLVersion, name `<v>-debian`; the proxy image is `spec.proxysql.image`. */
export function proxysqlVersion(version: string, o: { deprecated?: boolean; allow?: string[]; deny?: string[] } = {}): KubeObject {
  const uc: Record<string, unknown> = {};
  if (o.allow?.length) uc.allowlist = o.allow;
  if (o.deny?.length) uc.denylist = o.deny;
  return entry('ProxySQLVersion', `${version}-debian`, {
    version: `${version}-debian`,
    ...(o.deprecated ? { deprecated: true } : {}),
    proxysql: { image: `${GHCR}/appscode-images/proxysql:${version}-debian` },
    exporter: { image: `${GHCR}/kubedb/proxysql-exporter:v1.1.0` },
    podSecurityPolicies: { databasePolicyName: 'proxysql-db' },
    securityContext: { runAsUser: 999 },
    updateConstraints: uc,
  });
}

/**
 * The seeded catalog. Highlights (what tests and the demo rely on):
 * - MySQL `8.0.35` may go to `>= 8.0.35, <= 8.4.3` (so `8.4` → `8.4.3`; `9.1.0` refused); `8.4.2` is
 *   deprecated; `8.0.36` denies `8.4.2` explicitly; `5.7.44` may only go to `<= 8.0.36` (never to 8.4/9);
 *   `8.0.31-innodb` is the `MySQL` distribution (a change from `Official` is refused).
 * - Postgres `15.8` (alpine) may go to `>= 15.8` but denies `16.2`; `15.10` is its minor target (direct
 *   backend); `16.1` and `14.10`, `15.5` are deprecated; `X.Y-bookworm` entries exist to exercise the base-OS rule.
 * - PerconaXtraDB `8.0.31` may go to `>= 8.0.31, < 8.1.0`; `8.0.36` is deprecated.
 * - ProxySQL: the real catalog's entries (`2.4.4-debian` may go to `>= 2.4.4-debian, <= 2.7.3-debian`, so `2.7`
 *   → `2.7.3-debian`; `3.0.1-debian` only from `2.7.3-debian`).
 * - MariaDB, MongoDB, Redis: the real catalogs (`10.11.6` → `10.11` → `10.11.16`; `7.0.21` → `7.0` →
 *   `7.0.28`; Redis `7.2.4` → `7.2` → `7.2.6`, or `valkey-7.2.9` by name).
 */
export function seedCatalog(): KubeObject[] {
  return [
    mysqlVersion('5.7.44', '5.7.44', { allow: ['>= 5.7.44, <= 8.0.36'], deny: ['< 5.7.44'] }),
    mysqlVersion('8.0.31-innodb', '8.0.31', { distribution: 'MySQL', allow: ['>= 8.0.31, <= 8.0.36'], deny: ['< 8.0.31'] }),
    mysqlVersion('8.0.35', '8.0.35', { allow: ['>= 8.0.35, <= 8.4.3'], deny: ['< 8.0.35'] }),
    mysqlVersion('8.0.36', '8.0.36', { allow: ['>= 8.0.36, <= 9.1.0'], deny: ['< 8.0.36', '8.4.2'] }),
    mysqlVersion('8.4.2', '8.4.2', { deprecated: true, allow: ['>= 8.4.2, <= 9.1.0'], deny: ['< 8.4.2'] }),
    mysqlVersion('8.4.3', '8.4.3', { allow: ['>= 8.4.3, <= 9.1.0'], deny: ['< 8.4.3'] }),
    mysqlVersion('9.1.0', '9.1.0', { deny: ['< 9.1.0'] }),

    postgresVersion('14.10', { deprecated: true, allow: ['>= 14.10'] }),
    postgresVersion('14.13', { allow: ['>= 14.13'] }),
    postgresVersion('14.13', { baseOS: 'bookworm', allow: ['>= 14.13'] }),
    postgresVersion('15.5', { deprecated: true, allow: ['>= 15.5'] }),
    postgresVersion('15.8', { allow: ['>= 15.8'], deny: ['16.2'] }),
    postgresVersion('15.8', { baseOS: 'bookworm', allow: ['>= 15.8'] }),
    postgresVersion('15.10', { allow: ['>= 15.10'] }),
    postgresVersion('16.1', { deprecated: true, allow: ['>= 16.1'] }),
    postgresVersion('16.2', { allow: ['>= 16.2'] }),
    postgresVersion('16.4', { allow: ['>= 16.4'] }),
    postgresVersion('16.4', { baseOS: 'bookworm', allow: ['>= 16.4'] }),
    postgresVersion('16.6', { allow: ['>= 16.6'] }),

    perconaVersion('8.0.26', { deprecated: true, allow: ['>= 8.0.26, < 8.1.0'] }),
    perconaVersion('8.0.28', { allow: ['>= 8.0.28, < 8.1.0'] }),
    perconaVersion('8.0.31', { allow: ['>= 8.0.31, < 8.1.0'] }),
    perconaVersion('8.0.35', { allow: ['>= 8.0.35, < 8.1.0'] }),
    perconaVersion('8.0.36', { deprecated: true, allow: ['>= 8.0.36, < 8.1.0'] }),
    perconaVersion('8.0.40', { allow: ['>= 8.0.40, < 8.1.0'] }),
    perconaVersion('8.4.3', { allow: ['>= 8.4.3'] }),

    // ProxySQL: KubeDB's real catalog (its constraints name prereleases: `>= 2.4.4-debian, <= 2.7.3-debian`).
    ...realCatalog('ProxySQLVersion'),
    // MariaDB, MongoDB, Redis (Official and Valkey): KubeDB's real catalogs.
    ...realCatalog('MariaDBVersion'),
    ...realCatalog('MongoDBVersion'),
    ...realCatalog('RedisVersion'),
    // Every other UpdateVersion engine of the table: KubeDB's real catalogs (no seeded database uses them).
    ...['ElasticsearchVersion', 'KafkaVersion', 'PgBouncerVersion', 'MemcachedVersion', 'MSSQLServerVersion', 'SinglestoreVersion'].flatMap((k) => realCatalog(k)),
  ];
}

/**
 * `n` extra catalog entries for benchmarks: MySQL `Official` entries `7.<i/100>.<i%100>` (a series below
 * every seeded one, so they never become targets of the seeded databases), each allowing updates within
 * its series.
 */
export function extraCatalog(n: number): KubeObject[] {
  const out: KubeObject[] = [];
  for (let i = 0; i < n; i++) {
    const v = `7.${Math.floor(i / 100)}.${i % 100}`;
    out.push(mysqlVersion(v, v, { allow: [`>= ${v}, < 7.${Math.floor(i / 100) + 1}.0`] }));
  }
  return out;
}

/**
 * A `<Kind>Version` object built from one fact of KubeDB's real catalog (`catalog-facts.ts`, kubedb/installer
 * commit 0c6e2459): `spec.version`, `deprecated`, `distribution`, `db.baseOS`, each role's `image`
 * (ProxySQL's `spec.proxysql`, PgBouncer's `spec.pgBouncer`), `updateConstraints` verbatim.
 */
export function objectFromFact(kind: string, f: CatalogFact): KubeObject {
  const spec: Record<string, unknown> = { version: f.version };
  if (f.deprecated) spec.deprecated = true;
  if (f.distribution) spec.distribution = f.distribution;
  for (const [role, image] of Object.entries(f.images)) spec[role] = { image };
  if (f.baseOS) spec.db = { ...((spec.db as object) ?? {}), baseOS: f.baseOS };
  const uc: Record<string, unknown> = {};
  if (f.allowlist) uc.allowlist = f.allowlist;
  if (f.denylist) uc.denylist = f.denylist;
  spec.updateConstraints = uc;
  return entry(kind, f.name, spec);
}

/**
 * KubeDB's real catalog of `kind` (e.g. `MongoDBVersion`) as objects (see {@link objectFromFact}); every kind
 * when `kind` is omitted. @throws Error for a kind the facts do not hold.
 */
export function realCatalog(kind?: string): KubeObject[] {
  if (kind === undefined) return Object.entries(CATALOG_FACTS).flatMap(([k, list]) => list.map((f) => objectFromFact(k, f)));
  const list = CATALOG_FACTS[kind];
  if (!list) throw new Error(`no catalog facts for ${kind}`);
  return list.map((f) => objectFromFact(kind, f));
}
