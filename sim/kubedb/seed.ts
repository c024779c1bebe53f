/**
 * Seed data of the embedded cluster: namespaces, version catalogs (see `catalog.ts`) and database objects.
 *
 * Database objects are shaped as KubeDB's docs show them, at the engine's API version (`kubedb.com/v1`;
 * MSSQLServer and Singlestore `kubedb.com/v1alpha2`): `spec.version` (a catalog object's name, always one
 * of KubeDB's real catalog: `catalog-facts.ts`), `spec.replicas`, `spec.storageType`, `spec.storage` (a PVC
 * spec), `spec.deletionPolicy`; MySQL `spec.topology: {mode: GroupReplication, group: {name}}`; Postgres
 * `standbyMode`/`streamingMode`; MongoDB `spec.replicaSet: {name}`; Redis `spec.mode: Standalone`;
 * ProxySQL `spec.backend: {name}` (the MySQL it fronts) and `syncUsers`; PgBouncer `spec.database`
 * (no storage); Memcached no storage; Elasticsearch `enableSSL`.
 */
import type { KubeConfig } from '@kubernetes/client-node';
import pLimit from 'p-limit';
import { findEngine, type Engine } from '../../src/engines/table.js';
import { SimClient, type KubeObject } from './client.js';
import { POD_FAULT_ANNOTATION, NS_GVR, catalogGvr, dbGvr } from './common.js';
import { extraCatalog, seedCatalog } from './catalog.js';

/** A seeded database: engine name (`findEngine`), namespace, name, catalog version, replicas, whether it becomes Ready. */
export interface SeedDatabase {
  engine: string;
  namespace: string;
  name: string;
  version: string;
  replicas: number;
  /** False for `legacy`, whose pods never become Ready (phase stays `Provisioning`). */
  becomesReady: boolean;
}

/** MySQL `demo/orders`: 3 replicas, group replication, `8.0.35` (real catalog: `>= 8.0.35, <= 9.1.0`, so `8.4` → `8.4.8`). */
export const SEED_ORDERS: SeedDatabase = { engine: 'mysql', namespace: 'demo', name: 'orders', version: '8.0.35', replicas: 3, becomesReady: true };
/** Postgres `billing/ledger`: 3 replicas, `15.8` (alpine; real catalog `>= 15.8`): a minor update to `15.10` (direct backend) and a major one to `16.x` are allowed. */
export const SEED_LEDGER: SeedDatabase = { engine: 'postgres', namespace: 'billing', name: 'ledger', version: '15.8', replicas: 3, becomesReady: true };
/** PerconaXtraDB `demo/inventory`: 3 replicas, `8.0.40` (real catalog: `>= 8.0.40, <= 8.4.3`). */
export const SEED_INVENTORY: SeedDatabase = { engine: 'perconaxtradb', namespace: 'demo', name: 'inventory', version: '8.0.40', replicas: 3, becomesReady: true };
/** ProxySQL `demo/gateway`: 2 replicas, `2.4.4-debian`, backend MySQL `orders`. */
export const SEED_GATEWAY: SeedDatabase = { engine: 'proxysql', namespace: 'demo', name: 'gateway', version: '2.4.4-debian', replicas: 2, becomesReady: true };
/** MySQL `demo/legacy`: 1 replica, `8.0.35`, whose pod is stuck in `CrashLoopBackOff`: never Ready (preflight tests). */
export const SEED_LEGACY: SeedDatabase = { engine: 'mysql', namespace: 'demo', name: 'legacy', version: '8.0.35', replicas: 1, becomesReady: false };

/** MariaDB `demo/catalogdb`: 3 replicas (Galera cluster), `10.11.6` (real catalog: may go to `<= 12.1.2`). */
export const SEED_CATALOGDB: SeedDatabase = { engine: 'mariadb', namespace: 'demo', name: 'catalogdb', version: '10.11.6', replicas: 3, becomesReady: true };
/** MongoDB `demo/events`: a 3-member replica set `rs0`, `7.0.21` (real catalog: `>= 7.0.21, < 9.0.0`). */
export const SEED_EVENTS: SeedDatabase = { engine: 'mongodb', namespace: 'demo', name: 'events', version: '7.0.21', replicas: 3, becomesReady: true };
/** Redis `demo/cache`: standalone, 1 replica, `7.2.4` Official (real catalog: `>= 7.2.4, < 7.4.2`). */
export const SEED_CACHE: SeedDatabase = { engine: 'redis', namespace: 'demo', name: 'cache', version: '7.2.4', replicas: 1, becomesReady: true };

/** Elasticsearch `demo/logs`: 3 nodes, `xpack-8.17.6` (ElasticStack; real catalog `>= 8.17.6, < 9.2.4`). */
export const SEED_LOGS: SeedDatabase = { engine: 'elasticsearch', namespace: 'demo', name: 'logs', version: 'xpack-8.17.6', replicas: 3, becomesReady: true };
/** Elasticsearch `demo/search` of the OpenSearch distribution: 3 nodes, `opensearch-3.1.0` (real catalog `>= 3.1.0, < 3.5.0`). */
export const SEED_SEARCH: SeedDatabase = { engine: 'elasticsearch', namespace: 'demo', name: 'search', version: 'opensearch-3.1.0', replicas: 3, becomesReady: true };
/** Kafka `demo/stream`: 3 combined-mode nodes, `3.8.1` (real catalog `>= 3.8.1`, deny `< 3.8.1`). */
export const SEED_STREAM: SeedDatabase = { engine: 'kafka', namespace: 'demo', name: 'stream', version: '3.8.1', replicas: 3, becomesReady: true };
/** PgBouncer `billing/pool`: 2 replicas, `1.23.1` (real catalog `>= 1.23.1`), pooling Postgres `billing/ledger`. */
export const SEED_POOL: SeedDatabase = { engine: 'pgbouncer', namespace: 'billing', name: 'pool', version: '1.23.1', replicas: 2, becomesReady: true };
/** RedisSentinel `demo/sentinel`: 3 replicas, RedisVersion `7.2.4` (real catalog `>= 7.2.4, < 7.4.2`). */
export const SEED_SENTINEL: SeedDatabase = { engine: 'redissentinel', namespace: 'demo', name: 'sentinel', version: '7.2.4', replicas: 3, becomesReady: true };
/** Memcached `demo/sessions`: 1 replica, `1.6.22` (real catalog `>= 1.6.22, <= 1.6.40`). */
export const SEED_SESSIONS: SeedDatabase = { engine: 'memcached', namespace: 'demo', name: 'sessions', version: '1.6.22', replicas: 1, becomesReady: true };
/** MSSQLServer `demo/reports`: standalone, 1 replica, `2022-cu12` (real catalog `>= 2022-cu12, < 2025-cu1`). */
export const SEED_REPORTS: SeedDatabase = { engine: 'mssqlserver', namespace: 'demo', name: 'reports', version: '2022-cu12', replicas: 1, becomesReady: true };
/** Singlestore `demo/analytics`: standalone, 1 replica, `8.7.10` (real catalog `>= 8.7.10, <= 8.9.3`). */
export const SEED_ANALYTICS: SeedDatabase = { engine: 'singlestore', namespace: 'demo', name: 'analytics', version: '8.7.10', replicas: 1, becomesReady: true };

/** Every seeded database, in creation order. */
export const SEED_DATABASES: readonly SeedDatabase[] = [
  SEED_ORDERS, SEED_LEDGER, SEED_INVENTORY, SEED_GATEWAY, SEED_LEGACY, SEED_CATALOGDB, SEED_EVENTS, SEED_CACHE,
  SEED_LOGS, SEED_SEARCH, SEED_STREAM, SEED_POOL, SEED_SENTINEL, SEED_SESSIONS, SEED_REPORTS, SEED_ANALYTICS,
];
/** The seeded namespaces. */
export const SEED_NAMESPACES = ['demo', 'billing'] as const;

/** Options of {@link seedCluster}. */
export interface SeedOptions {
  /** Extra MySQL databases `bench-<i>` (3 replicas, `8.0.35`) in namespace `extraNamespace` (benchmarks). Default 0. */
  extraDatabases?: number;
  /** Namespace of the extra databases (created when missing). Default `bench`. */
  extraNamespace?: string;
  /** Replicas of each extra database. Default 3. */
  extraReplicas?: number;
  /** Extra MySQL catalog entries (see `extraCatalog`). Default 0. */
  extraVersions?: number;
  /**
   * Where the seed's namespaces go, so several worlds can share one API server: a prefix (`w3-` seeds
   * `demo` as `w3-demo`, `billing` as `w3-billing`, the extras' namespace too) or an explicit mapping (wins
   * over the prefix). Default: the names as they are.
   */
  namespacePrefix?: string;
  namespaces?: Record<string, string>;
  /**
   * Create the catalog (default true). False when the host has loaded `seedCatalog()` some other way (the
   * embedded cluster puts it in the emulator's store before it serves, as an installer would have: 606
   * creates over HTTP take seconds).
   */
  catalog?: boolean;
}

/** The namespace a seed namespace goes to under `opts` (see {@link SeedOptions.namespacePrefix}). */
export function seedNamespace(ns: string, opts: Pick<SeedOptions, 'namespacePrefix' | 'namespaces'> = {}): string {
  return opts.namespaces?.[ns] ?? `${opts.namespacePrefix ?? ''}${ns}`;
}

function engine(name: string): Engine {
  const e = findEngine(name);
  if (!e) throw new Error(`seed: unknown engine ${name}`);
  return e;
}

const STORAGE = { storageClassName: 'standard', accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } };

/** The database object for a seed entry (extra spec fields per engine). */
export function databaseObject(s: SeedDatabase, annotations?: Record<string, string>, mapNs: (ns: string) => string = (n) => n): KubeObject {
  const e = engine(s.engine);
  const spec: Record<string, unknown> = { version: s.version, replicas: s.replicas, deletionPolicy: 'WipeOut' };
  if (e.kind === 'ProxySQL') {
    spec.backend = { name: SEED_ORDERS.name };
    spec.syncUsers = true;
  } else if (e.kind === 'PgBouncer') {
    // PgBouncer has no storage; `spec.database` names the Postgres it pools (kubedb/apimachinery
    // apis/kubedb/v1/pgbouncer_types.go `Database{SyncUsers, DatabaseRef, DatabaseName}`).
    spec.database = { syncUsers: true, databaseName: 'postgres', databaseRef: { name: SEED_LEDGER.name, namespace: mapNs(SEED_LEDGER.namespace) } };
  } else if (e.kind === 'Memcached') {
    // Memcached keeps no data on disk: no `storage` in apis/kubedb/v1/memcached_types.go.
  } else {
    spec.storageType = 'Durable';
    spec.storage = STORAGE;
  }
  if (e.kind === 'MySQL' && s.replicas > 1) spec.topology = { mode: 'GroupReplication', group: { name: 'dc002fc3-c412-4d18-b1d4-66c1fbfbbc9b' } };
  if (e.kind === 'Postgres') {
    spec.standbyMode = 'Hot';
    spec.streamingMode = 'Synchronous';
  }
  // MongoDB replica set and Redis standalone as KubeDB's docs show them (`spec.replicaSet.name`, `spec.mode`).
  if (e.kind === 'MongoDB' && s.replicas > 1) spec.replicaSet = { name: 'rs0' };
  if (e.kind === 'Redis') spec.mode = 'Standalone';
  // Elasticsearch/OpenSearch: TLS on the HTTP layer (`spec.enableSSL`); Kafka combined mode (`spec.replicas` +
  // `spec.storage`, no `topology`) — both from KubeDB's docs' minimal examples.
  if (e.kind === 'Elasticsearch') spec.enableSSL = true;
  // The real CRDs require them (kubedb/installer 0c6e2459d kubedb.com_mssqlservers.yaml `tls`,
  // kubedb.com_singlestores.yaml `licenseSecret`), as KubeDB's docs' examples carry them.
  if (e.kind === 'MSSQLServer') spec.tls = { issuerRef: { apiGroup: 'cert-manager.io', kind: 'Issuer', name: 'mssqlserver-ca-issuer' }, clientTLS: false };
  if (e.kind === 'Singlestore') spec.licenseSecret = { name: 'license-secret' };
  return {
    apiVersion: `${e.group}/${e.version}`,
    kind: e.kind,
    metadata: { name: s.name, namespace: s.namespace, ...(annotations ? { annotations } : {}) },
    spec,
  };
}

/**
 * Seed a cluster over the API server: namespaces `demo` and `billing` (mapped by `opts.namespacePrefix` /
 * `opts.namespaces`), the catalogs of `seedCatalog()` (cluster-scoped: created when missing, so worlds
 * sharing an API server share them), the databases of {@link SEED_DATABASES} (without status: the simulated
 * provisioner provisions them) and the optional extras. Idempotent (existing objects are kept:
 * AlreadyExists is fine). Needs KubeDB's CRDs installed first (`installKubeDBCrds`). `legacy` carries the
 * simulator annotation {@link POD_FAULT_ANNOTATION} `CrashLoopBackOff`, so its pod never becomes Ready.
 * @returns the seeded databases, with their namespaces as created.
 * @throws the client's error (e.g. 404 when the CRDs are not installed).
 */
export async function seedCluster(kubeConfig: KubeConfig, opts: SeedOptions = {}): Promise<{ databases: SeedDatabase[] }> {
  const client = new SimClient(kubeConfig);
  const mapNs = (ns: string) => seedNamespace(ns, opts);
  const limit = pLimit(8);
  const namespaces = new Set<string>(SEED_NAMESPACES.map(mapNs));
  const extra = opts.extraDatabases ?? 0;
  const extraNs = mapNs(opts.extraNamespace ?? 'bench');
  if (extra > 0) namespaces.add(extraNs);
  await Promise.all([...namespaces].map((name) => client.createIfMissing(NS_GVR, { apiVersion: 'v1', kind: 'Namespace', metadata: { name } })));

  const catalog = [...(opts.catalog ?? true ? seedCatalog() : []), ...extraCatalog(opts.extraVersions ?? 0)];
  const kinds = [...new Set(catalog.map((c) => c.kind))];
  const existing = new Set<string>();
  await Promise.all(
    kinds.map((k) =>
      limit(async () => {
        const e = engine(k.replace(/Version$/, ''));
        for (const o of (await client.list(catalogGvr(e))).items) existing.add(`${k}/${o.metadata.name}`);
      }),
    ),
  );
  await Promise.all(
    catalog
      .filter((c) => !existing.has(`${c.kind}/${c.metadata.name}`))
      .map((c) => limit(() => client.createIfMissing(catalogGvr(engine(c.kind.replace(/Version$/, ''))), c))),
  );

  const databases: SeedDatabase[] = SEED_DATABASES.map((s) => ({ ...s, namespace: mapNs(s.namespace) }));
  for (let i = 0; i < extra; i++) {
    databases.push({ engine: 'mysql', namespace: extraNs, name: `bench-${i}`, version: SEED_ORDERS.version, replicas: opts.extraReplicas ?? 3, becomesReady: true });
  }
  await Promise.all(
    databases.map((s) =>
      limit(() => client.createIfMissing(dbGvr(engine(s.engine)), databaseObject(s, s.becomesReady ? undefined : { [POD_FAULT_ANNOTATION]: 'CrashLoopBackOff' }, mapNs))),
    ),
  );
  return { databases: extra > 0 ? databases : databases.slice(0, SEED_DATABASES.length) };
}
