/**
 * The table of supported KubeDB database kinds: one row per engine, pure data.
 *
 * Sources: KubeDB API (`kubedb/apimachinery`: `apis/kubedb/v1`, `apis/ops/v1alpha1`,
 * `apis/catalog/v1alpha1`) and `shared/kubedb-reference.md`:
 * - database objects are `kubedb.com/v1`, plural = lower-case kind + `s` (`mysqls`, `postgreses`);
 * - OpsRequests are `ops.kubedb.com/v1alpha1` `<Kind>OpsRequest`, plural lower-case + `s`;
 *   ProxySQL's OpsRequest refers to its object with `spec.proxyRef`, the others with `spec.databaseRef`;
 * - version catalogs are cluster-scoped `catalog.kubedb.com/v1alpha1` `<Kind>Version`;
 * - workloads are `PetSet` (`apps.k8s.appscode.com/v1`) in current releases;
 * - pods carry the container named after the engine (`mysql`, `postgres`, `perconaxtradb`, `proxysql`, `mariadb`…).
 */

/** How an engine numbers its major versions (decides patch/minor/major of an update). */
export type MajorRule =
  /** The first number is the major (Postgres ≥ 10, MongoDB uses `major.minor` series: see `series`). */
  | 'first'
  /** The first two numbers form the release series; a change of series is a major update (Postgres < 10 style). */
  | 'series';

/** One supported engine. */
export interface Engine {
  /** KubeDB kind of the database object, e.g. `MySQL`. */
  kind: string;
  /** Canonical name used in commands and record labels, e.g. `mysql`. */
  name: string;
  /** Other words accepted on the command line, lower-case. */
  aliases: string[];
  /** Database object API: group, version, plural. */
  group: string;
  version: string;
  plural: string;
  /** KubeDB OpsRequest kind and plural (`ops.kubedb.com/v1alpha1`). */
  opsRequestKind: string;
  opsRequestPlural: string;
  /** Field of the OpsRequest spec that names the database (`databaseRef`, or `proxyRef` for ProxySQL). */
  opsRequestRefField: 'databaseRef' | 'proxyRef';
  /** Version catalog kind and plural (`catalog.kubedb.com/v1alpha1`, cluster-scoped). */
  catalogKind: string;
  catalogPlural: string;
  /** Workload kind the provisioner creates: `PetSet` in current KubeDB. */
  workloadKind: 'PetSet' | 'StatefulSet';
  /** Name of the database container in pods. */
  container: string;
  /** Whether pods carry `kubedb.com/role=primary|standby` (one primary). */
  hasRoles: boolean;
  /** How to tell a major update (see {@link MajorRule}); `series` engines: a change in `X.Y` is major. */
  majorRule: MajorRule;
  /**
   * Below this major number the engine uses `series` numbering instead of `majorRule`
   * (Postgres: versions before 10 use `9.6` as the major; https://www.postgresql.org/support/versioning/).
   */
  seriesBelow?: number;
}

const OPS = 'ops.kubedb.com';

function row(
  kind: string,
  aliases: string[],
  container: string,
  extra: Partial<Engine> & Pick<Engine, 'majorRule' | 'hasRoles'>,
): Engine {
  const lower = kind.toLowerCase();
  return {
    kind,
    name: lower,
    aliases,
    group: 'kubedb.com',
    version: 'v1',
    plural: lower.endsWith('s') ? `${lower}es` : `${lower}s`,
    opsRequestKind: `${kind}OpsRequest`,
    opsRequestPlural: `${lower}opsrequests`,
    opsRequestRefField: 'databaseRef',
    catalogKind: `${kind}Version`,
    catalogPlural: `${lower}versions`,
    workloadKind: 'PetSet',
    container,
    ...extra,
  };
}

/** The supported engines, in the order `/dbupdate help` lists them. */
export const ENGINES: readonly Engine[] = [
  row('MySQL', ['my'], 'mysql', { majorRule: 'series', hasRoles: true }),
  row('Postgres', ['postgresql', 'pg', 'pgsql'], 'postgres', { majorRule: 'first', seriesBelow: 10, hasRoles: true }),
  row('PerconaXtraDB', ['pxc', 'percona', 'xtradb'], 'perconaxtradb', { majorRule: 'series', hasRoles: false }),
  row('ProxySQL', ['proxy'], 'proxysql', { majorRule: 'first', hasRoles: false, opsRequestRefField: 'proxyRef' }),
  row('MariaDB', ['maria'], 'mariadb', { majorRule: 'series', hasRoles: false }),
  row('MongoDB', ['mongo'], 'mongodb', { majorRule: 'series', hasRoles: true }),
  row('Redis', ['rd'], 'redis', { majorRule: 'first', hasRoles: false }),
  // Engines below: every other kind whose OpsRequest has type UpdateVersion (kubedb/apimachinery
  // `apis/ops/v1alpha1/*_ops_types.go`), API version from the `+kubebuilder:storageversion` marker
  // (`apis/kubedb/v1/*_types.go`; MSSQLServer and Singlestore exist only in `apis/kubedb/v1alpha2`), plurals and
  // kinds from `apis/kubedb/constants.go` / `apis/ops/v1alpha1/*_ops_types.go`, containers from
  // `apis/kubedb/constants.go` (`<Kind>ContainerName`). RedisSentinel's catalog is `RedisVersion`
  // (`pkg/webhooks/ops/v1alpha1/redissentinel.go` checks `catalog.ResourceKindRedisVersion`).
  row('Elasticsearch', ['es', 'opensearch'], 'elasticsearch', { majorRule: 'first', hasRoles: false, plural: 'elasticsearches' }),
  row('Kafka', [], 'kafka', { majorRule: 'first', hasRoles: false }),
  row('PgBouncer', ['pgb'], 'pgbouncer', { majorRule: 'first', hasRoles: false }),
  row('RedisSentinel', ['sentinel'], 'redissentinel', { majorRule: 'first', hasRoles: false, catalogKind: 'RedisVersion', catalogPlural: 'redisversions' }),
  row('Memcached', ['mc'], 'memcached', { majorRule: 'first', hasRoles: false, plural: 'memcacheds' }),
  row('MSSQLServer', ['mssql', 'sqlserver'], 'mssql', { majorRule: 'first', hasRoles: true, version: 'v1alpha2' }),
  row('Singlestore', ['memsql', 's2'], 'singlestore', { majorRule: 'first', hasRoles: false, version: 'v1alpha2' }),
];

/** OpsRequest API group/version (`ops.kubedb.com/v1alpha1`). */
export const OPS_GROUP = OPS;
export const OPS_VERSION = 'v1alpha1';
/** Version catalog API group/version (`catalog.kubedb.com/v1alpha1`). */
export const CATALOG_GROUP = 'catalog.kubedb.com';
export const CATALOG_VERSION = 'v1alpha1';
/** PetSet API (`apps.k8s.appscode.com/v1`). */
export const PETSET_GROUP = 'apps.k8s.appscode.com';
export const PETSET_VERSION = 'v1';
export const PETSET_PLURAL = 'petsets';

/** Find an engine by name, kind or alias (case-insensitive); undefined when unknown. */
export function findEngine(word: string): Engine | undefined {
  const w = word.toLowerCase();
  return ENGINES.find((e) => e.name === w || e.kind.toLowerCase() === w || e.aliases.includes(w));
}

/** Find an engine by its KubeDB kind (`MySQL`); undefined when unknown. */
export function engineByKind(kind: string): Engine | undefined {
  return ENGINES.find((e) => e.kind === kind);
}
