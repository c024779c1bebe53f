/**
 * The CustomResourceDefinitions (`apiextensions.k8s.io/v1`) KubeDB installs, for every engine of
 * `ENGINES`, plus the PetSet CRD.
 *
 * Schemas: the emulator prunes, defaults and validates custom resources by their CRD's openAPIV3Schema
 * (sim/kube/schema.ts), so each CRD carries the part of the real schema that the bot and the
 * simulated KubeDB use, with the real types, enums, defaults and required fields, and
 * `x-kubernetes-preserve-unknown-fields` on the `spec` objects where the real schema is thousands of lines
 * (pod templates, storage, TLS…). `status` is closed as in the real CRDs. Source of every constraint:
 * kubedb/apimachinery `crds/kubedb.com_<db>.yaml` (metadata.name ≤ 63 and DNS label pattern;
 * spec.required [version]; replicas int32; deletionPolicy enum Halt/Delete/WipeOut/DoNotTerminate;
 * status {authSecret, conditions (required lastTransitionTime/status/type), observedGeneration, phase enum
 * Provisioning/DataRestoring/Ready/Critical/NotReady/Halted/Unknown}), `crds/ops.kubedb.com_<db>opsrequests.yaml`
 * (spec.required [databaseRef, type]; type enum; apply enum IfReady/Always with default IfReady; maxRetries default 1;
 * status phase enum Pending/Progressing/Successful/WaitingForApproval/Failed/Approved/Denied/Skipped),
 * `crds/catalog.kubedb.com_<db>versions.yaml` (only `version` is required here: the real list differs per
 * engine) and, for PetSet, `vendor/kubeops.dev/petset/crds/apps.k8s.appscode.com_petsets.yaml`
 * (spec.required [selector, serviceName, template]; its status fields).
 *
 * Names, scopes, categories and printer columns follow kubedb/apimachinery `crds/*.yaml` (e.g.
 * `crds/ops.kubedb.com_proxysqlopsrequests.yaml`: categories `datastore,kubedb,appscode`, printer columns
 * Type/Status/Age, status subresource). Short names: `my`, `pg`, `px`, `prx`, `md`, `mg`, `rd` for the
 * databases and `<db short>ops` / `<db short>version` for OpsRequests and catalogs — `proxyops` for
 * ProxySQL OpsRequests was seen in that file; the other short names are from memory of KubeDB's CRDs and
 * not verified one by one.
 */
import type { ClusterStore, KubeObject, ResourceType } from '../kube/api.js';
import { crdResourceTypes } from '../kube/crd.js';
import { CATALOG_GROUP, CATALOG_VERSION, ENGINES, OPS_GROUP, OPS_VERSION, PETSET_GROUP, PETSET_PLURAL, PETSET_VERSION, type Engine } from '../../src/engines/table.js';
import { CRD_GVR } from './common.js';
import { DB_IMAGE_ROLE } from './template.js';

/** Short names of the database kinds, by KubeDB kind. */
const SHORT: Record<string, string> = { MySQL: 'my', Postgres: 'pg', PerconaXtraDB: 'px', ProxySQL: 'prx', MariaDB: 'md', MongoDB: 'mg', Redis: 'rd' };
const OPS_SHORT: Record<string, string> = { ProxySQL: 'proxyops' };

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

/** A database (`kubedb.com/v1`): the fields the bot and the sim read or write, the rest preserved. */
function databaseSchema(): Schema {
  return root(
    {
      type: 'object',
      required: ['version'],
      'x-kubernetes-preserve-unknown-fields': true,
      properties: {
        version: STR,
        replicas: INT32,
        halted: BOOL,
        deletionPolicy: { type: 'string', enum: ['Halt', 'Delete', 'WipeOut', 'DoNotTerminate'] },
        storageType: { type: 'string', enum: ['Durable', 'Ephemeral'] },
        topology: OPEN,
        podTemplate: OPEN,
        storage: OPEN,
      },
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
      'x-kubernetes-preserve-unknown-fields': true,
      properties: {
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

/** A version catalog entry (`catalog.kubedb.com/v1alpha1`, no status). */
function catalogSchema(): Schema {
  return root({
    type: 'object',
    required: ['version'],
    'x-kubernetes-preserve-unknown-fields': true,
    properties: {
      version: STR,
      deprecated: BOOL,
      distribution: STR,
      // db.image for every engine; other keys (Postgres' db.baseOS…) differ per engine and are kept.
      db: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true, properties: { image: STR } },
      // allowlist/denylist are lists for most engines, per-topology objects of lists for MySQL: kept as written.
      updateConstraints: OPEN,
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

function crd(opts: {
  group: string;
  version: string;
  kind: string;
  plural: string;
  namespaced: boolean;
  status: boolean;
  shortNames?: string[];
  categories?: string[];
  columns: Column[];
  schema: Schema;
}): KubeObject {
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
      versions: [
        {
          name: opts.version,
          served: true,
          storage: true,
          schema: { openAPIV3Schema: opts.schema },
          ...(opts.status ? { subresources: { status: {} } } : {}),
          additionalPrinterColumns: opts.columns,
        },
      ],
    },
  };
}

/** The database CRD of an engine (`kubedb.com/v1`, namespaced, status subresource; columns Version/Status/Age). */
export function databaseCrd(e: Engine): KubeObject {
  return crd({
    group: e.group,
    version: e.version,
    kind: e.kind,
    plural: e.plural,
    namespaced: true,
    status: true,
    shortNames: SHORT[e.kind] ? [SHORT[e.kind]] : undefined,
    categories: ['datastore', 'kubedb', 'appscode', 'all'],
    columns: [{ name: 'Version', type: 'string', jsonPath: '.spec.version' }, { name: 'Status', type: 'string', jsonPath: '.status.phase' }, AGE],
    schema: databaseSchema(),
  });
}

/** The version catalog CRD of an engine (`catalog.kubedb.com/v1alpha1`, cluster-scoped; columns Version/DB_IMAGE/Deprecated/Age). */
export function catalogCrd(e: Engine): KubeObject {
  const imagePath = `.spec.${DB_IMAGE_ROLE[e.kind] ?? 'db'}.image`;
  return crd({
    group: CATALOG_GROUP,
    version: CATALOG_VERSION,
    kind: e.catalogKind,
    plural: e.catalogPlural,
    namespaced: false,
    status: false,
    shortNames: SHORT[e.kind] ? [`${SHORT[e.kind]}version`] : undefined,
    categories: ['catalog', 'kubedb', 'appscode'],
    columns: [
      { name: 'Version', type: 'string', jsonPath: '.spec.version' },
      { name: 'DB_IMAGE', type: 'string', jsonPath: imagePath },
      { name: 'Deprecated', type: 'boolean', jsonPath: '.spec.deprecated' },
      AGE,
    ],
    schema: catalogSchema(),
  });
}

/** The OpsRequest CRD of an engine (`ops.kubedb.com/v1alpha1`, namespaced, status subresource; columns Type/Status/Age). */
export function opsRequestCrd(e: Engine): KubeObject {
  const short = OPS_SHORT[e.kind] ?? (SHORT[e.kind] ? `${SHORT[e.kind]}ops` : undefined);
  return crd({
    group: OPS_GROUP,
    version: OPS_VERSION,
    kind: e.opsRequestKind,
    plural: e.opsRequestPlural,
    namespaced: true,
    status: true,
    shortNames: short ? [short] : undefined,
    categories: ['datastore', 'kubedb', 'appscode'],
    columns: [{ name: 'Type', type: 'string', jsonPath: '.spec.type' }, { name: 'Status', type: 'string', jsonPath: '.status.phase' }, AGE],
    schema: opsRequestSchema(e.kind),
  });
}

/** The PetSet CRD (`apps.k8s.appscode.com/v1`, namespaced, status subresource; columns Replicas/Ready/Age). */
export function petSetCrd(): KubeObject {
  return crd({
    group: PETSET_GROUP,
    version: PETSET_VERSION,
    kind: 'PetSet',
    plural: PETSET_PLURAL,
    namespaced: true,
    status: true,
    categories: ['kubernetes', 'appscode', 'all'],
    columns: [
      { name: 'Replicas', type: 'integer', jsonPath: '.spec.replicas' },
      { name: 'Ready', type: 'integer', jsonPath: '.status.readyReplicas' },
      AGE,
    ],
    schema: petSetSchema(),
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

/**
 * Create KubeDB's CRDs in the store (idempotent: an existing CRD is left as it is). The store serves a
 * CRD's resource types once it is created; should it not, the types are registered directly.
 * @returns the names of the CRDs created now.
 * @throws the store's error for anything but AlreadyExists.
 */
export function installKubeDBCrds(store: ClusterStore, opts: CrdOptions = {}): string[] {
  const created: string[] = [];
  for (const c of kubedbCrds(opts)) {
    if (!store.tryGet(CRD_GVR, undefined, c.metadata.name)) {
      store.create(CRD_GVR, c);
      created.push(c.metadata.name);
    }
    for (const t of crdResourceTypes(c) as ResourceType[]) {
      if (!store.resourceType(t)) store.register(t);
    }
  }
  return created;
}
