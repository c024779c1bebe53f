/**
 * Which container of a KubeDB workload runs which image of a version-catalog entry. Pure.
 *
 * A catalog entry (`catalog.kubedb.com/v1alpha1` `<Kind>Version`) names its images by role:
 * `spec.db.image` (ProxySQL: `spec.proxysql.image`), `spec.coordinator.image`, `spec.initContainer.image`,
 * `spec.exporter.image`… (`catalogEntryFromObject(...).images`, role → image). KubeDB's provisioner
 * builds the pod template from them: the database container is named after the engine (`mysql`,
 * `postgres`, `perconaxtradb`, `proxysql` — engine table, kubedb-reference.md "Confirmed since"), the
 * coordinator sidecar `<engine>-coordinator`, the init container `<engine>-init`, the exporter `exporter`.
 * The simulated provisioner (`src/sim/kubedb/template.ts`) uses this same mapping, so the bot and the
 * emulator agree on container names by construction. Only containers present in the workload's template
 * are changed; a role with no such container is ignored, and a container no role maps to keeps its image.
 */
import type { Engine } from '../engines/table.js';

/** The container name that runs the catalog image of `role`, or undefined when KubeDB puts that image in no container we know. */
export function containerForRole(engine: Engine, role: string): string | undefined {
  if (role === 'db' || role === engine.container || role === engine.name) return engine.container;
  if (role === 'coordinator') return `${engine.name}-coordinator`;
  if (role === 'initContainer') return `${engine.name}-init`;
  if (role === 'exporter') return 'exporter';
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
