/**
 * The CustomResourceDefinitions (`apiextensions.k8s.io/v1`) KubeDB installs, for every engine of
 * `ENGINES`, plus the PetSet CRD. Schemas are open (`x-kubernetes-preserve-unknown-fields`): the emulator
 * does not validate bodies against them.
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
import { CATALOG_GROUP, CATALOG_VERSION, ENGINES, OPS_GROUP, OPS_VERSION, PETSET_GROUP, PETSET_PLURAL, PETSET_VERSION, type Engine } from '../../engines/table.js';
import { CRD_GVR } from './common.js';

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
          schema: { openAPIV3Schema: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } },
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
  });
}

/** The version catalog CRD of an engine (`catalog.kubedb.com/v1alpha1`, cluster-scoped; columns Version/DB_IMAGE/Deprecated/Age). */
export function catalogCrd(e: Engine): KubeObject {
  const imagePath = e.kind === 'ProxySQL' ? '.spec.proxysql.image' : '.spec.db.image';
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
  });
}

/** Options of {@link installKubeDBCrds}. */
export interface CrdOptions {
  /** Install the `ops.kubedb.com` OpsRequest CRDs, i.e. KubeDB Ops Manager is present (default true). */
  opsManager?: boolean;
  /** Engines to install (default: every engine of `ENGINES`). */
  engines?: readonly Engine[];
}

/** Every CRD {@link installKubeDBCrds} would create with these options. */
export function kubedbCrds(opts: CrdOptions = {}): KubeObject[] {
  const engines = opts.engines ?? ENGINES;
  const out: KubeObject[] = [petSetCrd()];
  for (const e of engines) {
    out.push(databaseCrd(e), catalogCrd(e));
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
