/**
 * Which container of a KubeDB workload runs which image of a version-catalog entry. Pure.
 *
 * A catalog entry (`catalog.kubedb.com/v1alpha1` `<Kind>Version`) names its images by role:
 * `spec.db.image` (ProxySQL: `spec.proxysql.image`), `spec.coordinator.image`, `spec.initContainer.image`,
 * `spec.replicationModeDetector.image`, `spec.exporter.image`… (`catalogEntryFromObject(...).images`,
 * role → image; seen in kubedb/installer `charts/kubedb-catalog/templates/mysql/mysql-9.6.0-official.yaml`,
 * `postgres/postgres-18.3-kubedb.yaml`, `redis/redis-8.1.1-valkey.yaml`, `mongodb/mongodb-8.0.17-percona.yaml`).
 * KubeDB's provisioner puts each image in a container whose name is a constant of kubedb/apimachinery
 * `apis/kubedb/constants.go` ({@link CONTAINER_NAMES}): e.g. Postgres `pg-coordinator` and
 * `postgres-init-container`, PerconaXtraDB `px-coordinator` / `px-init`, MariaDB `md-coordinator`, Redis
 * `rd-coordinator`, MySQL and MongoDB `replication-mode-detector`. The simulated provisioner
 * (`sim/kubedb/template.ts`) uses this same table, so the bot and the emulator agree on container names
 * by construction. Only containers present in the workload's template are changed; a role with no such
 * container is ignored, and a container no role maps to keeps its image.
 */
import type { Engine } from '../engines/table.js';

/** Name of the exporter sidecar (monitoring) in every engine's pods. */
const EXPORTER = 'exporter';
/** `ReplicationModeDetectorContainerName` (constants.go). */
const RMD = 'replication-mode-detector';

/**
 * Catalog role → container name, per KubeDB kind, from kubedb/apimachinery `apis/kubedb/constants.go`
 * (`<Kind>ContainerName`, `<Kind>CoordinatorContainerName`, `<Kind>InitContainerName`,
 * `ReplicationModeDetectorContainerName`, `MongoDBInitInstallContainerName`, `MySQLRouter*ContainerName`).
 * Kinds not listed fall back to {@link containerForRole}'s defaults (`<engine>-coordinator`, `<engine>-init`).
 */
export const CONTAINER_NAMES: Readonly<Record<string, Readonly<Record<string, string>>>> = {
  MySQL: { coordinator: 'mysql-coordinator', initContainer: 'mysql-init', replicationModeDetector: RMD, router: 'mysql-router', routerInitContainer: 'mysql-router-init' },
  Postgres: { coordinator: 'pg-coordinator', initContainer: 'postgres-init-container' },
  PerconaXtraDB: { coordinator: 'px-coordinator', initContainer: 'px-init' },
  MariaDB: { coordinator: 'md-coordinator', initContainer: 'mariadb-init' },
  Redis: { coordinator: 'rd-coordinator', initContainer: 'redis-init' },
  RedisSentinel: { initContainer: 'sentinel-init' },
  MongoDB: { initContainer: 'copy-config', replicationModeDetector: RMD },
  ProxySQL: {},
  Singlestore: { coordinator: 'singlestore-coordinator', initContainer: 'singlestore-init' },
  MSSQLServer: { coordinator: 'mssql-coordinator', initContainer: 'mssql-init' },
  Kafka: { initContainer: 'kafka-init' },
};

/** The containers of `engine` that KubeDB runs as init containers (the others are regular containers). */
export function isInitContainer(engine: Engine, container: string): boolean {
  const names = CONTAINER_NAMES[engine.kind];
  return container === (names?.initContainer ?? `${engine.name}-init`) || container === names?.routerInitContainer;
}

/** The container name that runs the catalog image of `role`, or undefined when KubeDB puts that image in no container we know. */
export function containerForRole(engine: Engine, role: string): string | undefined {
  if (role === 'db' || role === engine.container || role === engine.name) return engine.container;
  if (role === 'exporter') return EXPORTER;
  const named = CONTAINER_NAMES[engine.kind];
  if (named) return named[role];
  if (role === 'coordinator') return `${engine.name}-coordinator`;
  if (role === 'initContainer') return `${engine.name}-init`;
  return undefined;
}

/**
 * Container name → image for a catalog entry's images (role → image, as `CatalogEntry.images`).
 * The database image (`db`) wins over an engine-named role for the database container.
 */
export function imagesByContainer(engine: Engine, catalogImages: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [role, image] of Object.entries(catalogImages)) {
    const name = containerForRole(engine, role);
    if (name && !(name in out && role !== 'db')) out[name] = image;
  }
  if (catalogImages.db) out[engine.container] = catalogImages.db;
  return out;
}

/** A container as it appears in a pod template or pod spec. */
export interface NamedImage {
  name: string;
  image?: string;
}

/** A pod template, reduced to what image updates touch. */
export interface TemplateLike {
  spec?: { containers?: NamedImage[]; initContainers?: NamedImage[] };
}

/** Container name → image of every container and init container of a template. */
export function templateImages(template: TemplateLike | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const c of [...(template?.spec?.initContainers ?? []), ...(template?.spec?.containers ?? [])]) {
    if (c.image) out[c.name] = c.image;
  }
  return out;
}

/**
 * The images of `wanted` restricted to the containers the template has (container name → image).
 * Used to compute the target images of a workload (and, with the template's own images, the originals).
 */
export function imagesForTemplate(template: TemplateLike | undefined, wanted: Record<string, string>): Record<string, string> {
  const have = templateImages(template);
  const out: Record<string, string> = {};
  for (const name of Object.keys(have)) if (wanted[name]) out[name] = wanted[name];
  return out;
}

/** Whether every container named in `images` has that image in the template. */
export function templateHasImages(template: TemplateLike | undefined, images: Record<string, string>): boolean {
  const have = templateImages(template);
  return Object.entries(images).every(([name, image]) => have[name] === image);
}

/**
 * The `containers` and `initContainers` lists of `template` with the images of `images` set (by name;
 * others unchanged, key order kept). A JSON merge patch (RFC 7386) replaces lists whole, so the patch
 * must carry every container as it is; keeping key order also keeps the template's hash, so restoring the
 * original images gives back the original controller revision.
 */
export function withImages<T extends NamedImage>(list: T[] | undefined, images: Record<string, string>): T[] | undefined {
  if (!list) return undefined;
  return list.map((c) => (images[c.name] && images[c.name] !== c.image ? { ...c, image: images[c.name] } : c));
}
