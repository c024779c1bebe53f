/**
 * The CustomResourceDefinitions (`apiextensions.k8s.io/v1`) KubeDB installs, for every engine of
 * `ENGINES`, plus the PetSet CRD — accepted by a real kube-apiserver (structural schemas).
 *
 * Checked against kubedb/installer commit 0c6e2459 (`charts/kubedb-crds/crds/kubedb.com_<db>.yaml`,
 * `ops.kubedb.com_<db>opsrequests.yaml`, `catalog.kubedb.com_<db>versions.yaml`,
 * `vendor/kubeops.dev/petset/crds/apps.k8s.appscode.com_petsets.yaml`); read, not copied:
 * - names: database short names `my pg px prx md mg rd rds es kf pb mc ms sdb`; OpsRequests `<short>ops`
 *   except PerconaXtraDB `pxcops` and MariaDB `mariaops`; catalogs `<short>version` except Singlestore
 *   `sdbv`. Categories: databases `datastore,kubedb,appscode,all`; OpsRequests `ops,kubedb,appscode`;
 *   catalogs `catalog,kubedb,appscode`; PetSet none (and no short names, no printer columns; subresources
 *   status and scale).
 * - versions: databases serve `v1` (storage) and `v1alpha2` (served, not storage), MSSQLServer and
 *   Singlestore `v1alpha2` only; no `spec.conversion` in the chart's CRDs, i.e. strategy `None` (objects
 *   are served at either version with only `apiVersion` changed; KubeDB's operator wires a conversion
 *   webhook at run time, which the simulation does not have). `v1alpha2` names the deletion field
 *   `terminationPolicy` (v1: `deletionPolicy`), same enum.
 * - schemas: `spec` closed to the real CRDs' top-level fields (DB_SPEC_FIELDS, OPS_SPEC_FIELDS; catalogs:
 *   the image roles), the part the bot and the simulation use typed with the real types, enums, defaults
 *   and required fields, and `x-kubernetes-preserve-unknown-fields` below the objects whose real schema is
 *   thousands of lines (pod templates, storage, TLS…); `status` closed as in the real CRDs. Databases: metadata.name
 *   ≤ 63 and DNS label pattern; spec.required [version]; replicas int32; deletionPolicy enum
 *   Halt/Delete/WipeOut/DoNotTerminate; status {authSecret, conditions (required
 *   lastTransitionTime/status/type), observedGeneration, phase enum
 *   Provisioning/DataRestoring/Ready/Critical/NotReady/Halted/Unknown}. OpsRequests: spec.required
 *   [databaseRef (ProxySQL: proxyRef), type]; type enum; apply enum IfReady/Always default IfReady;
 *   maxRetries default 1; status phase enum Pending/Progressing/Successful/WaitingForApproval/Failed/
 *   Approved/Denied/Skipped. Catalogs: `version` required, and `podSecurityPolicies` (with
 *   `databasePolicyName`) where the real CRD requires it (every engine here but Kafka, MSSQLServer,
 *   PgBouncer, Singlestore); the real CRDs also require each role's image, which the seeded entries carry.
 *   PetSet: spec.required [selector, serviceName, template]; its status fields.
 */
import type { KubeConfig } from '@kubernetes/client-node';
import { CATALOG_GROUP, CATALOG_VERSION, ENGINES, OPS_GROUP, OPS_VERSION, PETSET_GROUP, PETSET_PLURAL, PETSET_VERSION, type Engine } from '../../src/engines/table.js';
import { SimClient, type GVR, type KubeObject } from './client.js';
import { CRD_GVR } from './common.js';
import { DB_IMAGE_ROLE } from './template.js';
import { CATALOG_FACTS } from './catalog-facts.js';

/** Short names of the database kinds, by KubeDB kind. */
const SHORT: Record<string, string> = {
  MySQL: 'my', Postgres: 'pg', PerconaXtraDB: 'px', ProxySQL: 'prx', MariaDB: 'md', MongoDB: 'mg', Redis: 'rd', RedisSentinel: 'rds',
  Elasticsearch: 'es', Kafka: 'kf', PgBouncer: 'pb', Memcached: 'mc', MSSQLServer: 'ms', Singlestore: 'sdb',
};
/** OpsRequest short names that are not `<db short>ops`. */
const OPS_SHORT: Record<string, string> = { PerconaXtraDB: 'pxcops', MariaDB: 'mariaops' };
/** Catalog short names that are not `<db short>version`. */
const CATALOG_SHORT: Record<string, string> = { Singlestore: 'sdbv' };
/** Catalog kinds whose real CRD requires `spec.podSecurityPolicies`. */
const CATALOG_PSP_REQUIRED = new Set(['MySQLVersion', 'PostgresVersion', 'PerconaXtraDBVersion', 'ProxySQLVersion', 'MariaDBVersion', 'MongoDBVersion', 'RedisVersion', 'ElasticsearchVersion', 'MemcachedVersion']);

interface Column {
  name: string;
  type: string;
  jsonPath: string;
  priority?: number;
}

const AGE: Column = { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' };

type Schema = Record<string, unknown>;
const STR: Schema = { type: 'string' };
const INT32: Schema = { type: 'integer', format: 'int32' };
const INT64: Schema = { type: 'integer', format: 'int64' };
const BOOL: Schema = { type: 'boolean' };
const OPEN: Schema = { type: 'object', 'x-kubernetes-preserve-unknown-fields': true };

/** `kmapi.Condition` as KubeDB's CRDs declare it. */
const CONDITIONS: Schema = {
  type: 'array',
  items: {
    type: 'object',
    required: ['lastTransitionTime', 'status', 'type'],
    properties: {
      lastTransitionTime: { type: 'string', format: 'date-time' },
      message: STR,
      observedGeneration: INT64,
      reason: STR,
      severity: STR,
      status: STR,
      type: STR,
    },
  },
};

/** The root of a CRD schema: apiVersion, kind, metadata (optionally constrained), spec, status. */
function root(spec: Schema, status?: Schema, metadata: Schema = { type: 'object' }): Schema {
  return { type: 'object', properties: { apiVersion: STR, kind: STR, metadata, spec, ...(status ? { status } : {}) } };
}

/**
 * The top-level `spec` fields of each database CRD version, from kubedb/installer commit 0c6e2459d
 * (`charts/kubedb-crds/crds/kubedb.com_<plural>.yaml`, `spec.versions[].schema.openAPIV3Schema.properties.spec.properties`):
 * the real CRDs close `spec` (no `x-kubernetes-preserve-unknown-fields`), so a field not listed is pruned
 * (warned) or refused under strict field validation.
 */
const DB_SPEC_FIELDS: Record<string, Record<string, string>> = {
  MySQL: { v1: 'allowedReadReplicas allowedSchemas archiver authSecret autoOps configSecret configuration deletionPolicy halted healthChecker init monitor podTemplate replicas requireSSL serviceTemplates storage storageType tls topology useAddressType version', v1alpha2: 'allowedReadReplicas allowedSchemas archiver authSecret autoOps configSecret coordinator halted healthChecker init monitor podTemplate replicas requireSSL serviceTemplates storage storageType terminationPolicy tls topology useAddressType version' },
  Postgres: { v1: 'allowedSchemas arbiter archiver authSecret autoOps clientAuthMode configSecret configuration deletionPolicy distributed enforceFsGroup halted healthChecker init leaderElection mode monitor podTemplate readReplicas remoteReplica replicas replication serviceTemplates sslMode standbyMode storage storageType streamingMode synchronousReplicationConfig tde tls version', v1alpha2: 'allowedSchemas arbiter archiver authSecret autoOps clientAuthMode configSecret coordinator enforceFsGroup halted healthChecker init leaderElection mode monitor podTemplate remoteReplica replicas replication serviceTemplates sslMode standbyMode storage storageType streamingMode terminationPolicy tls version' },
  PerconaXtraDB: { v1: 'allowedSchemas authSecret autoOps configSecret configuration deletionPolicy halted healthChecker init monitor podTemplate replicas requireSSL serviceTemplates storage storageType systemUserSecrets tls version', v1alpha2: 'allowedSchemas authSecret autoOps configSecret coordinator halted healthChecker init monitor podTemplate replicas requireSSL serviceTemplates storage storageType systemUserSecrets terminationPolicy tls version' },
  ProxySQL: { v1: 'authSecret autoOps backend configSecret configuration deletionPolicy halted healthChecker initConfig monitor podTemplate replicas serviceTemplates syncUsers tls version', v1alpha2: 'authSecret autoOps backend configSecret halted healthChecker initConfig monitor podTemplate replicas serviceTemplates syncUsers terminationPolicy tls version' },
  MariaDB: { v1: 'allowedSchemas archiver authSecret autoOps configSecret configuration deletionPolicy distributed halted healthChecker init monitor podTemplate replicas requireSSL serviceTemplates storage storageType tls topology version wsrepSSTMethod', v1alpha2: 'allowedSchemas archiver authSecret autoOps configSecret coordinator halted healthChecker init monitor podTemplate replicas requireSSL serviceTemplates storage storageType terminationPolicy tls version wsrepSSTMethod' },
  MongoDB: { v1: 'allowedSchemas arbiter archiver authSecret autoOps clusterAuthMode configSecret configuration deletionPolicy ephemeralStorage halted healthChecker hidden init keyFileSecret monitor podTemplate replicaSet replicas serviceTemplates shardTopology sslMode storage storageEngine storageType tls version', v1alpha2: 'allowedSchemas arbiter archiver authSecret autoOps clusterAuthMode configSecret coordinator ephemeralStorage halted healthChecker hidden init keyFileSecret monitor podTemplate replicaSet replicas serviceTemplates shardTopology sslMode storage storageEngine storageType terminationPolicy tls version' },
  Redis: { v1: 'acl allowedSchemas authSecret autoOps cluster configSecret configuration deletionPolicy disableAuth halted healthChecker init mode monitor podTemplate replicas sentinelRef serviceTemplates storage storageType tls version', v1alpha2: 'allowedSchemas authSecret autoOps cluster configSecret coordinator disableAuth halted healthChecker init mode monitor podTemplate replicas sentinelRef serviceTemplates storage storageType terminationPolicy tls version' },
  Elasticsearch: { v1: 'authSecret autoOps configSecret configuration deletionPolicy disableSecurity enableSSL halted healthChecker heapSizePercentage init internalUsers kernelSettings maxUnavailable monitor podTemplate replicas rolesMapping secureConfigSecret serviceTemplates storage storageType tls topology version', v1alpha2: 'authSecret autoOps configSecret disableSecurity enableSSL halted healthChecker heapSizePercentage init internalUsers kernelSettings maxUnavailable monitor podTemplate replicas rolesMapping secureConfigSecret serviceTemplates storage storageType terminationPolicy tls topology version' },
  Kafka: { v1: 'authSecret autoOps brokerRack configSecret configuration cruiseControl deletionPolicy disableSecurity enableSSL halted healthChecker keystoreCredSecret monitor podTemplate replicas serviceTemplates storage storageType tieredStorage tls topology version', v1alpha2: 'authSecret autoOps brokerRack configSecret cruiseControl deletionPolicy disableSecurity enableSSL halted healthChecker keystoreCredSecret monitor podTemplate replicas serviceTemplates storage storageType tls topology version' },
  PgBouncer: { v1: 'authSecret autoOps configSecret configuration connectionPool database deletionPolicy halted healthChecker init monitor podTemplate replicas serviceTemplates sslMode tls version', v1alpha2: 'authSecret autoOps configSecret connectionPool database halted healthChecker monitor podTemplate replicas serviceTemplates sslMode terminationPolicy tls version' },
  RedisSentinel: { v1: 'authSecret autoOps deletionPolicy disableAuth halted healthChecker monitor podTemplate replicas serviceTemplates storage storageType tls version', v1alpha2: 'authSecret autoOps disableAuth halted healthChecker monitor podTemplate replicas serviceTemplates storage storageType terminationPolicy tls version' },
  Memcached: { v1: 'authSecret configSecret configuration dataVolume deletionPolicy disableAuth halted healthChecker monitor podTemplate replicas serviceTemplates tls version', v1alpha2: 'autoOps configSecret dataVolume halted healthChecker monitor podTemplate replicas serviceTemplates terminationPolicy tls version' },
  MSSQLServer: { v1alpha2: 'arbiter archiver authSecret autoOps configSecret configuration deletionPolicy halted healthChecker init monitor podTemplate replicas serviceTemplates storage storageType tls topology version' },
  Singlestore: { v1alpha2: 'authSecret autoOps configuration deletionPolicy halted healthChecker init licenseSecret monitor podTemplate serviceTemplates storage storageType tls topology version' },
};

/** `spec.required` of the database CRDs that require more (or other) than `version` (same commit). */
const DB_REQUIRED: Record<string, string[]> = { 'PgBouncer/v1': ['database', 'version'], 'MSSQLServer/v1alpha2': ['tls', 'version'], 'Singlestore/v1alpha2': ['licenseSecret'] };

/** The top-level `spec` fields of each OpsRequest CRD (same commit, `ops.kubedb.com_<plural>.yaml`). */
const OPS_SPEC_FIELDS: Record<string, string> = {
  MySQL: 'apply authentication configuration databaseRef horizontalScaling maxRetries migration replicationModeTransformation restart timeout tls type updateVersion verticalScaling volumeExpansion',
  Postgres: 'apply authentication configuration databaseRef enableWALEncryption forceFailOver horizontalScaling maxRetries migration reconnectStandby restart rotatePrincipalKey setRaftKeyPair timeout tls type updateVersion verticalScaling volumeExpansion',
  PerconaXtraDB: 'apply authentication configuration databaseRef horizontalScaling maxRetries migration restart timeout tls type updateVersion verticalScaling volumeExpansion',
  ProxySQL: 'apply authentication configuration horizontalScaling maxRetries proxyRef restart timeout tls type updateVersion verticalScaling',
  MariaDB: 'apply authentication configuration databaseRef horizontalScaling maxRetries migration restart timeout tls type updateVersion verticalScaling volumeExpansion',
  MongoDB: 'apply archiver authentication configuration databaseRef horizons horizontalScaling maxRetries migration readinessCriteria reprovision restart timeout tls type updateVersion verticalScaling volumeExpansion',
  Redis: 'announce apply authentication configuration databaseRef horizontalScaling maxRetries migration restart sentinel timeout tls type updateVersion verticalScaling volumeExpansion',
  Elasticsearch: 'apply authentication configuration databaseRef horizontalScaling maxRetries migration restart timeout tls type updateVersion verticalScaling volumeExpansion',
  Kafka: 'apply authentication configuration databaseRef horizontalScaling maxRetries migration restart timeout tls type updateVersion verticalScaling volumeExpansion',
  PgBouncer: 'apply authentication configuration databaseRef horizontalScaling maxRetries restart timeout tls type updateVersion verticalScaling',
  RedisSentinel: 'apply authentication configuration databaseRef horizontalScaling maxRetries restart timeout tls type updateVersion verticalScaling',
  Memcached: 'apply authentication configuration databaseRef horizontalScaling maxRetries restart timeout tls type updateVersion verticalScaling volumeExpansion',
  MSSQLServer: 'apply authentication configuration databaseRef horizontalScaling maxRetries migration restart timeout tls type updateVersion verticalScaling volumeExpansion',
  Singlestore: 'apply authentication configuration databaseRef horizontalScaling maxRetries migration restart timeout tls type updateVersion verticalScaling volumeExpansion',
};

/**
 * A database (`kubedb.com/<version>`): `spec` closed to the real CRD's top-level fields ({@link DB_SPEC_FIELDS});
 * the ones the bot and the sim read or write typed (version, replicas, halted, the deletion policy enum —
 * `deletionPolicy` or, in most `v1alpha2` versions, `terminationPolicy` —, storageType), the others
 * objects kept as written (`x-kubernetes-preserve-unknown-fields` below them: pod templates, storage, TLS…).
 * `required` as the real CRDs: `[version]`, PgBouncer v1 `[database, version]`, MSSQLServer `[tls, version]`,
 * Singlestore `[licenseSecret]` ({@link DB_REQUIRED}).
 */
function databaseSchema(kind: string, version: string): Schema {
  const fields = (DB_SPEC_FIELDS[kind]?.[version] ?? DB_SPEC_FIELDS[kind]?.v1 ?? 'version').split(' ');
  const typed: Record<string, Schema> = {
    version: STR,
    replicas: INT32,
    halted: BOOL,
    deletionPolicy: { type: 'string', enum: ['Halt', 'Delete', 'WipeOut', 'DoNotTerminate'] },
    terminationPolicy: { type: 'string', enum: ['Halt', 'Delete', 'WipeOut', 'DoNotTerminate'] },
    storageType: { type: 'string', enum: ['Durable', 'Ephemeral'] },
    syncUsers: BOOL,
    enableSSL: BOOL,
    disableSecurity: BOOL,
    disableAuth: BOOL,
    requireSSL: BOOL,
    mode: STR,
    standbyMode: STR,
    streamingMode: STR,
    // PgBouncer v1 (`database` required) and Singlestore (`licenseSecret` required, kind defaulted): as the real CRDs.
    database: { type: 'object', required: ['databaseName', 'databaseRef'], properties: { databaseName: STR, databaseRef: OPEN, syncUsers: BOOL } },
    licenseSecret: {
      type: 'object',
      required: ['kind', 'name'],
      'x-kubernetes-map-type': 'atomic',
      properties: { apiGroup: { type: 'string', default: '' }, kind: { type: 'string', default: 'Secret' }, name: STR, activeFrom: { type: 'string', format: 'date-time' }, externallyManaged: BOOL, rotateAfter: STR, secretStoreName: STR },
    },
  };
  return root(
    {
      type: 'object',
      required: DB_REQUIRED[`${kind}/${version}`] ?? ['version'],
      properties: Object.fromEntries(fields.map((f) => [f, typed[f] ?? OPEN])),
    },
    {
      type: 'object',
      properties: {
        authSecret: OPEN,
        conditions: CONDITIONS,
        observedGeneration: INT64,
        phase: { type: 'string', enum: ['Provisioning', 'DataRestoring', 'Ready', 'Critical', 'NotReady', 'Halted', 'Unknown'] },
      },
    },
    { type: 'object', properties: { name: { type: 'string', maxLength: 63, pattern: '^[a-z]([-a-z0-9]*[a-z0-9])?$' } } },
  );
}

/** An OpsRequest (`ops.kubedb.com/v1alpha1`). */
function opsRequestSchema(kind: string): Schema {
  // ProxySQL's OpsRequest names its target `proxyRef` (crds/ops.kubedb.com_proxysqlopsrequests.yaml).
  const ref = kind === 'ProxySQL' ? 'proxyRef' : 'databaseRef';
  return root(
    {
      type: 'object',
      required: [ref, 'type'],
      properties: {
        // The real CRD's other top-level fields (horizontalScaling, tls, restart…), kept as written.
        ...Object.fromEntries((OPS_SPEC_FIELDS[kind] ?? '').split(' ').filter(Boolean).map((f) => [f, OPEN])),
        type: {
          type: 'string',
          enum: ['UpdateVersion', 'HorizontalScaling', 'VerticalScaling', 'VolumeExpansion', 'Restart', 'Reconfigure', 'ReconfigureTLS', 'RotateAuth', 'ReplicationModeTransformation', 'StorageMigration'],
        },
        [ref]: { type: 'object', properties: { name: { type: 'string', default: '' } }, 'x-kubernetes-map-type': 'atomic' },
        updateVersion: { type: 'object', properties: { targetVersion: STR, readinessCriteria: OPEN } },
        apply: { type: 'string', enum: ['IfReady', 'Always'], default: 'IfReady' },
        timeout: STR,
        maxRetries: { type: 'integer', format: 'int32', default: 1 },
      },
    },
    {
      type: 'object',
      properties: {
        conditions: CONDITIONS,
        observedGeneration: INT64,
        pausedBackups: { type: 'array', items: OPEN },
        phase: { type: 'string', enum: ['Pending', 'Progressing', 'Successful', 'WaitingForApproval', 'Failed', 'Approved', 'Denied', 'Skipped'] },
      },
    },
  );
}

/**
 * `spec.required` of the catalog CRDs (kubedb/installer 0c6e2459d `catalog.kubedb.com_<kind>versions.yaml`):
 * the role objects whose `image` is required too. Left out because the seeded facts (catalog-facts.ts)
 * lack them: Elasticsearch `authPlugin` (all 153 entries), Kafka `connectCluster` and `cruiseControl` (13
 * entries); with them, the real CRDs would refuse those seeded entries.
 */
const CATALOG_REQUIRED: Record<string, string[]> = {
  MySQLVersion: ['coordinator', 'db', 'exporter', 'initContainer', 'podSecurityPolicies', 'version'],
  PostgresVersion: ['coordinator', 'db', 'exporter', 'podSecurityPolicies', 'version'],
  PerconaXtraDBVersion: ['coordinator', 'db', 'exporter', 'initContainer', 'podSecurityPolicies', 'version'],
  ProxySQLVersion: ['podSecurityPolicies', 'proxysql', 'version'],
  MariaDBVersion: ['coordinator', 'db', 'exporter', 'initContainer', 'podSecurityPolicies', 'version'],
  MongoDBVersion: ['db', 'exporter', 'initContainer', 'podSecurityPolicies', 'replicationModeDetector', 'version'],
  RedisVersion: ['coordinator', 'db', 'exporter', 'podSecurityPolicies', 'version'],
  ElasticsearchVersion: ['db', 'exporter', 'initContainer', 'podSecurityPolicies', 'version'],
  KafkaVersion: ['db', 'version'],
  PgBouncerVersion: ['exporter', 'pgBouncer', 'version'],
  MemcachedVersion: ['db', 'exporter', 'podSecurityPolicies', 'version'],
  MSSQLServerVersion: ['coordinator', 'db', 'exporter', 'initContainer', 'version'],
  SinglestoreVersion: ['coordinator', 'db', 'version'],
};

/** A version catalog entry (`catalog.kubedb.com/v1alpha1`, no status). */
function catalogSchema(kind: string): Schema {
  // Every image role the installer's entries of this kind carry (`coordinator`, `exporter`, `initContainer`,
  // ProxySQL's `proxysql`…), each `{image}` as in the real CRD; `spec` is closed (no preserved unknown
  // fields), so a server-side apply of an entry with an undeclared field fails on a real server.
  const roles = new Set(['db', ...(CATALOG_FACTS[kind] ?? []).flatMap((f) => Object.keys(f.images))]);
  const roleSchemas = Object.fromEntries([...roles].map((r) => [r, { type: 'object', properties: r === 'db' ? { image: STR, baseOS: STR } : { image: STR } }]));
  return root({
    type: 'object',
    required: CATALOG_REQUIRED[kind] ?? (CATALOG_PSP_REQUIRED.has(kind) ? ['podSecurityPolicies', 'version'] : ['version']),
    properties: {
      version: STR,
      deprecated: BOOL,
      distribution: STR,
      ...Object.fromEntries([...roles].map((r) => [r, { ...roleSchemas[r], required: ['image'] }])),
      // allowlist/denylist are lists for most engines, per-topology objects of lists for MySQL: kept as written.
      updateConstraints: OPEN,
      podSecurityPolicies: { type: 'object', required: ['databasePolicyName'], properties: { databasePolicyName: STR } },
    },
  });
}

/** A PetSet (`apps.k8s.appscode.com/v1`). */
function petSetSchema(): Schema {
  return root(
    {
      type: 'object',
      required: ['selector', 'serviceName', 'template'],
      'x-kubernetes-preserve-unknown-fields': true,
      properties: {
        replicas: INT32,
        selector: OPEN,
        serviceName: STR,
        template: OPEN,
        podManagementPolicy: STR,
        updateStrategy: OPEN,
      },
    },
    {
      type: 'object',
      properties: {
        availableReplicas: INT32,
        collisionCount: INT32,
        conditions: { type: 'array', items: OPEN },
        currentReplicas: INT32,
        currentRevision: STR,
        observedGeneration: INT64,
        readyReplicas: INT32,
        replicas: INT32,
        updateRevision: STR,
        updatedReplicas: INT32,
      },
    },
  );
}

/** One version of a CRD: name, storage or only served, schema, status (and scale) subresources, columns. */
interface VersionSpec {
  name: string;
  storage: boolean;
  schema: Schema;
  columns?: Column[];
}

function crd(opts: {
  group: string;
  kind: string;
  plural: string;
  namespaced: boolean;
  status: boolean;
  scale?: boolean;
  shortNames?: string[];
  categories?: string[];
  versions: VersionSpec[];
}): KubeObject {
  const subresources = opts.status || opts.scale
    ? { ...(opts.status ? { status: {} } : {}), ...(opts.scale ? { scale: { specReplicasPath: '.spec.replicas', statusReplicasPath: '.status.replicas' } } : {}) }
    : undefined;
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: `${opts.plural}.${opts.group}`, labels: { 'app.kubernetes.io/name': 'kubedb' } },
    spec: {
      group: opts.group,
      names: {
        kind: opts.kind,
        listKind: `${opts.kind}List`,
        plural: opts.plural,
        singular: opts.kind.toLowerCase(),
        ...(opts.shortNames ? { shortNames: opts.shortNames } : {}),
        ...(opts.categories ? { categories: opts.categories } : {}),
      },
      scope: opts.namespaced ? 'Namespaced' : 'Cluster',
      versions: opts.versions.map((v) => ({
        name: v.name,
        served: true,
        storage: v.storage,
        schema: { openAPIV3Schema: v.schema },
        ...(subresources ? { subresources } : {}),
        ...(v.columns?.length ? { additionalPrinterColumns: v.columns } : {}),
      })),
    },
  };
}

/**
 * The database CRD of an engine (namespaced, status subresource; columns Version/Status/Age): `kubedb.com/v1`
 * stored and `v1alpha2` served beside it, or `v1alpha2` alone for the engines the table serves there.
 */
export function databaseCrd(e: Engine): KubeObject {
  const columns = [{ name: 'Version', type: 'string', jsonPath: '.spec.version' }, { name: 'Status', type: 'string', jsonPath: '.status.phase' }, AGE];
  const versions: VersionSpec[] = e.version === 'v1'
    ? [{ name: 'v1', storage: true, schema: databaseSchema(e.kind, 'v1'), columns }, { name: 'v1alpha2', storage: false, schema: databaseSchema(e.kind, 'v1alpha2'), columns }]
    : [{ name: e.version, storage: true, schema: databaseSchema(e.kind, e.version), columns }];
  return crd({
    group: e.group,
    kind: e.kind,
    plural: e.plural,
    namespaced: true,
    status: true,
    shortNames: SHORT[e.kind] ? [SHORT[e.kind]] : undefined,
    categories: ['datastore', 'kubedb', 'appscode', 'all'],
    versions,
  });
}

/** The version catalog CRD of an engine (`catalog.kubedb.com/v1alpha1`, cluster-scoped; columns Version/DB_IMAGE/Deprecated/Age). */
export function catalogCrd(e: Engine): KubeObject {
  const imagePath = `.spec.${DB_IMAGE_ROLE[e.kind] ?? 'db'}.image`;
  const short = CATALOG_SHORT[e.kind] ?? (SHORT[e.kind] ? `${SHORT[e.kind]}version` : undefined);
  return crd({
    group: CATALOG_GROUP,
    kind: e.catalogKind,
    plural: e.catalogPlural,
    namespaced: false,
    status: false,
    shortNames: short ? [short] : undefined,
    categories: ['catalog', 'kubedb', 'appscode'],
    versions: [
      {
        name: CATALOG_VERSION,
        storage: true,
        schema: catalogSchema(e.catalogKind),
        columns: [
          { name: 'Version', type: 'string', jsonPath: '.spec.version' },
          { name: 'DB_IMAGE', type: 'string', jsonPath: imagePath },
          { name: 'Deprecated', type: 'boolean', jsonPath: '.spec.deprecated' },
          AGE,
        ],
      },
    ],
  });
}

/** The OpsRequest CRD of an engine (`ops.kubedb.com/v1alpha1`, namespaced, status subresource; columns Type/Status/Age). */
export function opsRequestCrd(e: Engine): KubeObject {
  const short = OPS_SHORT[e.kind] ?? (SHORT[e.kind] ? `${SHORT[e.kind]}ops` : undefined);
  return crd({
    group: OPS_GROUP,
    kind: e.opsRequestKind,
    plural: e.opsRequestPlural,
    namespaced: true,
    status: true,
    shortNames: short ? [short] : undefined,
    categories: ['ops', 'kubedb', 'appscode'],
    versions: [
      {
        name: OPS_VERSION,
        storage: true,
        schema: opsRequestSchema(e.kind),
        columns: [{ name: 'Type', type: 'string', jsonPath: '.spec.type' }, { name: 'Status', type: 'string', jsonPath: '.status.phase' }, AGE],
      },
    ],
  });
}

/** The PetSet CRD (`apps.k8s.appscode.com/v1`, namespaced, status and scale subresources; no short names, categories or columns, as the real one). */
export function petSetCrd(): KubeObject {
  return crd({
    group: PETSET_GROUP,
    kind: 'PetSet',
    plural: PETSET_PLURAL,
    namespaced: true,
    status: true,
    scale: true,
    versions: [{ name: PETSET_VERSION, storage: true, schema: petSetSchema() }],
  });
}

/** Options of {@link installKubeDBCrds}. */
export interface CrdOptions {
  /** Install the `ops.kubedb.com` OpsRequest CRDs, i.e. KubeDB Ops Manager is present (default true). */
  opsManager?: boolean;
  /** Engines to install (default: every engine of `ENGINES`). */
  engines?: readonly Engine[];
}

/**
 * Every CRD {@link installKubeDBCrds} would create with these options, each once: engines sharing a catalog
 * kind (Redis and RedisSentinel both use `redisversions`) get one catalog CRD.
 */
export function kubedbCrds(opts: CrdOptions = {}): KubeObject[] {
  const engines = opts.engines ?? ENGINES;
  const out: KubeObject[] = [petSetCrd()];
  const catalogs = new Set<string>();
  for (const e of engines) {
    out.push(databaseCrd(e));
    if (!catalogs.has(e.catalogPlural)) {
      catalogs.add(e.catalogPlural);
      out.push(catalogCrd(e));
    }
    if (opts.opsManager ?? true) out.push(opsRequestCrd(e));
  }
  return out;
}

/** The resources a CRD serves (every served version). */
function servedGvrs(c: KubeObject): GVR[] {
  const spec = c.spec as { group: string; names: { plural: string }; versions: Array<{ name: string; served?: boolean }> };
  return spec.versions.filter((v) => v.served !== false).map((v) => ({ group: spec.group, version: v.name, plural: spec.names.plural }));
}

/**
 * Create KubeDB's CRDs over the API server (idempotent: an existing CRD — another world's on a shared
 * control plane — is left as it is; AlreadyExists is fine), then wait until discovery serves every
 * resource of them (a real server establishes a CRD a moment after creating it).
 * @returns the names of the CRDs created now.
 * @throws the client's error for anything but AlreadyExists; Error when they are not served within `timeoutMs` (default 30 000).
 */
export async function installKubeDBCrds(kubeConfig: KubeConfig, opts: CrdOptions & { timeoutMs?: number } = {}): Promise<string[]> {
  const client = new SimClient(kubeConfig);
  const created: string[] = [];
  const crds = kubedbCrds(opts);
  await Promise.all(
    crds.map(async (c) => {
      if (await client.createIfMissing(CRD_GVR, c)) created.push(c.metadata.name);
    }),
  );
  const want = crds.flatMap(servedGvrs);
  const deadline = Date.now() + (opts.timeoutMs ?? 30_000);
  for (;;) {
    const groups = [...new Set(want.map((g) => `${g.group}/${g.version}`))];
    const served = new Set<string>();
    await Promise.all(
      groups.map(async (gv) => {
        const [group, version] = gv.split('/');
        for (const name of await client.servedResources(group, version)) served.add(`${gv}/${name}`);
      }),
    );
    const missing = want.filter((g) => !served.has(`${g.group}/${g.version}/${g.plural}`));
    if (missing.length === 0) return created;
    if (Date.now() > deadline) throw new Error(`KubeDB CRDs not served after ${opts.timeoutMs ?? 30_000} ms: ${missing.map((g) => `${g.plural}.${g.group}/${g.version}`).join(', ')}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}
