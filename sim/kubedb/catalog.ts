/**
 * The seeded version catalogs (`catalog.kubedb.com/v1alpha1` `<Kind>Version`, cluster-scoped): for every
 * engine, KubeDB's real catalog, built from the facts of `catalog-facts.ts` (kubedb/installer commit
 * 0c6e2459, `charts/kubedb-catalog/templates/<engine>/*.yaml`, rendered with `skipDeprecated: false`):
 * `spec.version`, `spec.distribution`, `spec.deprecated`, `spec.db.baseOS`, each role's `spec.<role>.image`
 * (`db`, ProxySQL's `proxysql`, PgBouncer's `pgBouncer`, `coordinator`, `initContainer`, `exporter`,
 * `replicationModeDetector`), `spec.updateConstraints.{allowlist,denylist}` verbatim (MySQL's nested
 * `{groupReplication,standalone}` lists; Masterminds semver strings, `,` = AND, `||` = OR).
 * Nothing here is invented: the seeded databases (`seed.ts`) run versions these facts hold.
 */
import type { KubeObject } from './client.js';
import { CATALOG_GROUP, CATALOG_VERSION } from '../../src/engines/table.js';
import { CATALOG_FACTS, type CatalogFact } from './catalog-facts.js';

function entry(kind: string, name: string, spec: Record<string, unknown>): KubeObject {
  return {
    apiVersion: `${CATALOG_GROUP}/${CATALOG_VERSION}`,
    kind,
    metadata: { name, labels: { 'app.kubernetes.io/name': 'kubedb-catalog', 'app.kubernetes.io/instance': 'kubedb' } },
    spec,
  };
}

/** The real MySQL `8.0.35` entry: the model of {@link mysqlVersion}'s synthetic entries. */
function mysqlModel(): CatalogFact {
  const f = CATALOG_FACTS.MySQLVersion.find((x) => x.name === '8.0.35');
  if (!f) throw new Error('catalog facts: MySQLVersion 8.0.35 missing');
  return f;
}

/**
 * A synthetic MySQLVersion for tests and benchmarks only (never seeded by {@link seedCatalog}): the real
 * `8.0.35` entry's images and shape with another `name`, `spec.version` and constraint lists (both
 * topologies). `distribution` defaults to `Official`.
 */
export function mysqlVersion(name: string, version: string, o: { deprecated?: boolean; allow?: string[]; deny?: string[]; distribution?: string } = {}): KubeObject {
  const model = mysqlModel();
  const both = (l?: string[]) => (l?.length ? { groupReplication: l, standalone: l } : undefined);
  return objectFromFact('MySQLVersion', {
    ...model,
    name,
    version,
    deprecated: o.deprecated,
    distribution: o.distribution ?? 'Official',
    allowlist: both(o.allow),
    denylist: both(o.deny),
  });
}

/**
 * The seeded catalog: KubeDB's real catalog of every engine ({@link realCatalog}), 606 entries.
 * What the seeded databases and the demo rely on (all real constraints):
 * - MySQL `8.0.35`: allow `>= 8.0.35, <= 9.1.0`, deny `< 8.0.35` (so `8.4` → `8.4.8`, `8.0` → `8.0.36`,
 *   `9.4.0` refused); `8.0.31-innodb` is the `MySQL` distribution; `8.0.32` and the `8.0`/`8`/`5.7` names
 *   are deprecated.
 * - Postgres `15.8` (alpine): allow `>= 15.8` (so `16` → `16.13`, `15` → `15.17`; `15.10` a minor target);
 *   `X.Y-bookworm` entries carry baseOS `bookworm`.
 * - PerconaXtraDB `8.0.40`: allow `>= 8.0.40, <= 8.4.3` (so `8.4` → `8.4.3`); `8.0.31` is deprecated.
 * - ProxySQL `2.4.4-debian`: `>= 2.4.4-debian, <= 2.7.3-debian` (so `2.7` → `2.7.3-debian`).
 * - MariaDB `10.11.6` → `10.11.16`; MongoDB `7.0.21` → `7.0.28`; Redis `7.2.4` → `7.2.6` or `valkey-7.2.9`.
 * - The other UpdateVersion engines: see `SEED_DATABASES` in seed.ts and the table test.
 */
export function seedCatalog(): KubeObject[] {
  return realCatalog();
}

/**
 * `n` extra catalog entries for benchmarks (not seeded by default): synthetic MySQL `Official` entries
 * `7.<i/100>.<i%100>` shaped like the real `8.0.35` ({@link mysqlVersion}), a series below every real one
 * so they never become targets of the seeded databases, each allowing updates within its series.
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
 * The catalog kinds whose entries carry `spec.podSecurityPolicies.databasePolicyName` (kubedb/installer
 * 0c6e2459 `charts/kubedb-catalog/templates/<engine>/*.yaml`; the catalog CRDs of all but Kafka require it,
 * `charts/kubedb-crds/crds/catalog.kubedb.com_<kind>versions.yaml`). The chart renders the name only where
 * the cluster serves `policy/v1beta1/PodSecurityPolicy` (gone since Kubernetes 1.25), else `""`: so `""` here.
 * PgBouncer, MSSQLServer and Singlestore entries have none.
 */
export const PSP_KINDS: ReadonlySet<string> = new Set([
  'MySQLVersion', 'PostgresVersion', 'PerconaXtraDBVersion', 'ProxySQLVersion', 'MariaDBVersion', 'MongoDBVersion',
  'RedisVersion', 'ElasticsearchVersion', 'MemcachedVersion', 'KafkaVersion',
]);

/**
 * A `<Kind>Version` object built from one fact of KubeDB's real catalog (`catalog-facts.ts`, kubedb/installer
 * commit 0c6e2459): `spec.version`, `deprecated`, `distribution`, `db.baseOS`, each role's `image`
 * (ProxySQL's `spec.proxysql`, PgBouncer's `spec.pgBouncer`), `updateConstraints` verbatim, and
 * `podSecurityPolicies` for the kinds of {@link PSP_KINDS}.
 */
export function objectFromFact(kind: string, f: CatalogFact): KubeObject {
  const spec: Record<string, unknown> = { version: f.version };
  if (PSP_KINDS.has(kind)) spec.podSecurityPolicies = { databasePolicyName: '' };
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
