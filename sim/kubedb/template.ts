/**
 * The pod template KubeDB's provisioner gives a database's PetSet, reduced to what the simulation needs:
 * the database container named per the engine table (`mysql`, `postgres`, `perconaxtradb`, `proxysql` …)
 * running the catalog entry's database image ({@link DB_IMAGE_ROLE}: `spec.db.image`; ProxySQL
 * `spec.proxysql.image`, PgBouncer `spec.pgBouncer.image`), and the
 * sidecars and init container of the catalog's other roles under KubeDB's own container names
 * (`CONTAINER_NAMES` in `src/pipeline/direct-images.ts`, from kubedb/apimachinery `apis/kubedb/constants.go`,
 * shared with the bot's direct pipeline): the `coordinator` (`pg-coordinator`, `px-coordinator`,
 * `md-coordinator`, `rd-coordinator`, `mysql-coordinator`), the `replicationModeDetector`
 * (`replication-mode-detector`, MySQL and MongoDB) and the `initContainer` (`postgres-init-container`,
 * `px-init`, `mariadb-init`, `redis-init`, `mysql-init`, MongoDB `copy-config`) as an init container.
 * Simplified: every role the catalog entry names is present whatever the topology (the real provisioner
 * adds a coordinator only to clustered topologies); no exporter (monitoring off), no MySQL router.
 */
import type { KubeObject } from './client.js';
import type { Engine } from '../../src/engines/table.js';
import { POD_FAULT_ANNOTATION, dbLabels } from './common.js';
import { imagesByContainer, isInitContainer } from '../../src/pipeline/direct-images.js';

/**
 * The catalog role holding each kind's database image, where it is not `db`. Checked against the real catalog
 * YAML (kubedb/installer 0c6e2459 `charts/kubedb-catalog/templates/<engine>/*.yaml`) and the `DB_IMAGE`
 * printer column of kubedb/apimachinery `crds/catalog.kubedb.com_<kind>versions.yaml`:
 * `proxysql/proxysql-2.7.3-debian.yaml` `spec.proxysql.image`, `pgbouncer/pgbouncer-1.24.0.yaml`
 * `spec.pgBouncer.image`; every other engine the bot lists (MySQL, Postgres, PerconaXtraDB, MariaDB, MongoDB,
 * Redis — also RedisSentinel's RedisVersion —, Elasticsearch incl. OpenSearch, Kafka, Memcached, MSSQLServer
 * `mssqlserver-2025-cu0.yaml`, Singlestore `singlestore-8.9.3.yaml`) uses `spec.db.image`.
 */
export const DB_IMAGE_ROLE: Readonly<Record<string, string>> = { ProxySQL: 'proxysql', PgBouncer: 'pgBouncer' };

/** Catalog roles the simulated pods run (besides the database itself); see the module comment. */
const SIM_ROLES = ['coordinator', 'replicationModeDetector', 'initContainer'];

/** Container name → image, from a catalog object (containers and init containers). */
export function imagesFromCatalog(e: Engine, catalog: KubeObject): Record<string, string> {
  const spec = (catalog.spec ?? {}) as Record<string, { image?: string } | undefined>;
  const byRole: Record<string, string> = {};
  for (const [role, v] of Object.entries(spec)) if (v && typeof v === 'object' && typeof v.image === 'string' && v.image) byRole[role] = v.image;
  const role = DB_IMAGE_ROLE[e.kind] ?? 'db';
  const dbImage = spec[role]?.image;
  if (!dbImage) throw new Error(`${catalog.kind} ${catalog.metadata.name}: no database image (spec.${role}.image)`);
  // The same role → container mapping as the bot's direct pipeline, so both agree on container names.
  const out: Record<string, string> = { [e.container]: dbImage };
  for (const role of SIM_ROLES) {
    if (!byRole[role]) continue;
    const [name, image] = Object.entries(imagesByContainer(e, { [role]: byRole[role] }))[0] ?? [];
    if (name && name !== e.container) out[name] = image;
  }
  return out;
}

/** The pod template for database `db` on catalog entry `catalog`. */
export function podTemplate(e: Engine, db: KubeObject, catalog: KubeObject): Record<string, unknown> {
  const images = imagesFromCatalog(e, catalog);
  const containers = [{ name: e.container, image: images[e.container], ports: [{ name: 'db', containerPort: port(e) }], resources: { requests: { cpu: '500m', memory: '1Gi' } } }];
  const initContainers: Array<{ name: string; image: string }> = [];
  for (const [name, image] of Object.entries(images)) {
    if (name === e.container) continue;
    if (isInitContainer(e, name)) initContainers.push({ name, image });
    else containers.push({ name, image, ports: [], resources: { requests: { cpu: '100m', memory: '128Mi' } } });
  }
  const fault = db.metadata.annotations?.[POD_FAULT_ANNOTATION];
  return {
    metadata: { labels: dbLabels(e, db.metadata.name), ...(fault ? { annotations: { [POD_FAULT_ANNOTATION]: fault } } : {}) },
    spec: {
      ...(initContainers.length ? { initContainers } : {}),
      containers,
      serviceAccountName: db.metadata.name,
    },
  };
}

/**
 * Set the images of a pod template's containers and init containers by name (names without an entry in
 * `images` keep theirs). Mutates and returns `template`.
 */
export function setTemplateImages(template: Record<string, any>, images: Record<string, string>): Record<string, any> {
  for (const key of ['containers', 'initContainers']) {
    for (const c of (template.spec?.[key] ?? []) as Array<{ name: string; image: string }>) {
      if (images[c.name]) c.image = images[c.name];
    }
  }
  return template;
}

/** The image of container `name` in a pod template or pod spec holder (`{spec: {containers}}`). */
export function containerImage(holder: { spec?: unknown } | undefined, name: string): string | undefined {
  const cs = ((holder?.spec as { containers?: Array<{ name: string; image: string }> })?.containers ?? []);
  return cs.find((c) => c.name === name)?.image;
}

/** The database port, from kubedb/apimachinery `apis/kubedb/constants.go` (`<Kind>DatabasePort`, `ElasticsearchRestPort`, `KafkaRESTPort`, `RedisSentinelPort`). */
function port(e: Engine): number {
  switch (e.kind) {
    case 'Postgres':
    case 'PgBouncer':
      return 5432;
    case 'Elasticsearch':
      return 9200;
    case 'Kafka':
      return 9092;
    case 'Memcached':
      return 11211;
    case 'MSSQLServer':
      return 1433;
    case 'RedisSentinel':
      return 26379;
    case 'ProxySQL':
      return 6033;
    case 'MongoDB':
      return 27017;
    case 'Redis':
      return 6379;
    default:
      return 3306;
  }
}
