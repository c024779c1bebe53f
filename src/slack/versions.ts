/**
 * `/dbupdate versions <engine> [database]`: what a database may move to — allowed by the current catalog
 * entry's `updateConstraints`, not deprecated, same distribution, another base OS marked where KubeDB allows it — grouped by patch/minor/major; without a
 * database, the engine's catalog (deprecated entries marked). Pure rendering plus one read of the cluster.
 */
import type { Kube } from '../kube/client.js';
import { getDatabase, listCatalog } from '../kube/kubedb.js';
import type { Engine } from '../engines/table.js';
import { databases } from '../kube/resources.js';
import { closestNames, didYouMean } from '../command/suggest.js';
import { allowedTargets, catalogEntryFromObject, osOf, type CatalogEntry, type UpdateType } from '../engines/versions.js';

/** Render the allowed targets of a database, grouped by update type (pure). */
export function renderTargets(engine: Engine, ref: string, current: CatalogEntry, targets: Array<{ entry: CatalogEntry; updateType: UpdateType; baseOsChange?: true }>): string {
  if (targets.length === 0) {
    return `${engine.kind} \`${ref}\` runs *${current.name}*; its catalog entry allows no newer non-deprecated version.`;
  }
  const lines = [`${engine.kind} \`${ref}\` runs *${current.name}* and may be updated to:`];
  for (const type of ['patch', 'minor', 'major'] as const) {
    const names = targets.filter((t) => t.updateType === type).map((t) => `\`${t.entry.name}\`${t.baseOsChange ? ` (:warning: base OS ${osOf(t.entry) || 'unknown'})` : ''}`);
    if (names.length) lines.push(`• *${type}*: ${names.join(', ')}`);
  }
  lines.push(`Request one with \`/dbupdate ${engine.name} ${ref} <version>\`.`);
  return lines.join('\n');
}

/** Render an engine's catalog, newest first (pure). */
export function renderCatalog(engine: Engine, entries: CatalogEntry[]): string {
  if (entries.length === 0) return `The cluster has no ${engine.catalogKind} objects: is KubeDB's catalog installed?`;
  const shown = entries.slice(0, 40).map((e) => `\`${e.name}\`${e.deprecated ? ' (deprecated)' : ''}`);
  return `${engine.catalogKind} catalog (${entries.length}): ${shown.join(', ')}${entries.length > 40 ? ', …' : ''}\nName a database to see what it may move to: \`/dbupdate versions ${engine.name} <database>\`.`;
}

/** Answer `/dbupdate versions` from the cluster. @throws API errors other than 404. */
export async function answerVersions(kube: Kube, engine: Engine, namespace: string, name?: string): Promise<string> {
  const catalog: CatalogEntry[] = [];
  const db = name ? await getDatabase(kube, engine, namespace, name) : undefined;
  if (name && !db) {
    const near = await databases(kube, engine)
      .list(namespace)
      .then((all) => closestNames(name, all.map((d) => d.metadata.name)), () => []);
    return `:warning: ${engine.kind} \`${namespace}/${name}\` was not found in cluster \`${kube.name}\`.${didYouMean(near)}`;
  }
  for (const obj of await listCatalog(kube, engine)) {
    try {
      catalog.push(catalogEntryFromObject(engine, obj, db?.spec.topology?.mode));
    } catch {
      /* a malformed catalog object is skipped */
    }
  }
  if (!db) return renderCatalog(engine, [...catalog].sort((a, b) => b.name.localeCompare(a.name, undefined, { numeric: true })));
  const current = catalog.find((e) => e.name === db.spec.version);
  if (!current) return `:warning: \`${namespace}/${name}\` runs \`${db.spec.version}\`, which is not in the ${engine.catalogKind} catalog.`;
  return renderTargets(engine, `${namespace}/${name}`, current, allowedTargets(engine, current, catalog));
}
