/**
 * Preflight of an update request against the cluster (DESIGN.md step 2): the database exists and is
 * `Ready`, the requested version resolves (semver, newest allowed non-deprecated catalog entry), no other
 * update of the database is in flight, and the backend is chosen. Read-only: nothing is written.
 */
import type { Kube } from '../kube/client.js';
import { statusMessage } from '../kube/client.js';
import {
  getDatabase,
  listCatalog,
  listOpsRequests,
  opsRequestTarget,
  servesOpsRequests,
  OPS_TERMINAL_PHASES,
  type DatabaseObject,
} from '../kube/kubedb.js';
import type { RecordStore } from '../kube/records.js';
import type { Engine } from '../engines/table.js';
import { allowedTargets, catalogEntryFromObject, resolveTarget, type CatalogEntry, type UpdateType } from '../engines/versions.js';
import { isActive, LABEL_DATABASE, LABEL_DB_NAMESPACE, type Backend } from './types.js';

/** What preflight found for a request that may go ahead. */
export interface PreflightOk {
  ok: true;
  db: DatabaseObject;
  current: CatalogEntry;
  target: CatalogEntry;
  updateType: UpdateType;
  backend: Backend;
}

/** Why a request may not go ahead: `message` is for the requester (Slack mrkdwn), says what is wrong and what to do. */
export interface PreflightRefusal {
  ok: false;
  code: string;
  message: string;
}

/** Whether the database carries KubeDB's `Paused` status condition (set by `kubectl dba pause` and Ops Manager). */
export function isPaused(db: DatabaseObject): boolean {
  return (db.status?.conditions ?? []).some((c) => c.type === 'Paused' && c.status === 'True');
}

/**
 * Check a request. Throws only on API failures other than 404 (the caller reports them as such).
 * @param opts.backend configured backend; `auto` picks `ops-request` where the engine's OpsRequest kind is served.
 */
export async function preflight(opts: {
  kube: Kube;
  records: RecordStore;
  engine: Engine;
  namespace: string;
  name: string;
  version: string;
  backend: 'auto' | Backend;
}): Promise<PreflightOk | PreflightRefusal> {
  const { kube, engine, namespace, name } = opts;
  const ref = `${engine.kind} \`${namespace}/${name}\``;
  const db = await getDatabase(kube, engine, namespace, name);
  if (!db) {
    return {
      ok: false,
      code: 'not_found',
      message: `${ref} was not found in cluster \`${kube.name}\`. Check the name and namespace (\`kubectl get ${engine.plural}.${engine.group} -n ${namespace}\`), or name the namespace: \`${engine.name} <namespace>/${name} ${opts.version}\`.`,
    };
  }
  const phase = db.status?.phase ?? 'Unknown';
  if (phase !== 'Ready') {
    return {
      ok: false,
      code: 'not_ready',
      message: `${ref} is \`${phase}\`, not \`Ready\`. KubeDB updates only Ready databases (OpsRequest \`apply: IfReady\`): fix the database first, then ask again.`,
    };
  }
  if (isPaused(db)) {
    return {
      ok: false,
      code: 'paused',
      message: `${ref} is paused (status condition \`Paused\`): another operation holds it. Resume it (\`kubectl dba resume ${engine.name} -n ${namespace} ${name}\`) or wait, then ask again.`,
    };
  }

  const objects = await listCatalog(kube, engine);
  const catalog: CatalogEntry[] = [];
  for (const obj of objects) {
    try {
      catalog.push(catalogEntryFromObject(engine, obj, db.spec.topology?.mode));
    } catch {
      /* a malformed catalog object is not a candidate */
    }
  }
  const current = catalog.find((e) => e.name === db.spec.version);
  if (!current) {
    return {
      ok: false,
      code: 'unknown_current',
      message: `${ref} runs version \`${db.spec.version}\`, which is not in the ${engine.catalogKind} catalog, so its update constraints are unknown. Ask your KubeDB admin to install the catalog entry.`,
    };
  }
  const res = resolveTarget(engine, current, opts.version, catalog);
  if (!res.ok) {
    const text = res.hint ? `${res.message} ${res.hint}` : res.message;
    return { ok: false, code: res.code, message: text.replaceAll('<database>', `${namespace}/${name}`) };
  }

  const selector = `${LABEL_DATABASE}=${name},${LABEL_DB_NAMESPACE}=${namespace}`;
  const active = (await opts.records.list(selector)).filter(
    (r) => r.spec.engine === engine.kind && r.spec.database.cluster === kube.name && isActive(r.status?.phase),
  );
  if (active.length > 0) {
    const r = active[0];
    return {
      ok: false,
      code: 'in_flight',
      message: `${ref} already has an update in flight: \`${r.metadata.name}\` (${r.spec.fromVersion} → ${r.spec.targetVersion}, ${r.status?.phase ?? 'Pending'}). Wait for it to finish or cancel it with \`/dbupdate cancel ${r.metadata.name}\`.`,
    };
  }

  let backend: Backend = opts.backend === 'auto' ? 'direct' : opts.backend;
  let served = false;
  try {
    served = await servesOpsRequests(kube, engine);
  } catch (err) {
    return { ok: false, code: 'discovery', message: `Could not ask cluster \`${kube.name}\` which KubeDB APIs it serves: ${statusMessage(err)}` };
  }
  if (opts.backend === 'auto') backend = served ? 'ops-request' : 'direct';
  if (served) {
    const running = (await listOpsRequests(kube, engine, namespace)).filter(
      (o) => opsRequestTarget(engine, o) === name && !OPS_TERMINAL_PHASES.includes(o.status?.phase ?? 'Pending'),
    );
    if (running.length > 0) {
      const o = running[0];
      return {
        ok: false,
        code: 'ops_in_flight',
        message: `${ref} has a ${engine.opsRequestKind} in progress: \`${o.metadata.name}\` (${o.spec.type}, ${o.status?.phase ?? 'Pending'}). KubeDB runs one at a time; wait for it to finish, then ask again.`,
      };
    }
  } else if (backend === 'ops-request') {
    return {
      ok: false,
      code: 'no_ops_manager',
      message: `Cluster \`${kube.name}\` does not serve \`${engine.opsRequestPlural}.ops.kubedb.com\`: KubeDB Ops Manager is not installed. Install it, or set \`backend: direct\` (or \`auto\`) in the bot's configuration.`,
    };
  }
  if (backend === 'direct' && res.updateType === 'major') {
    // The direct pipeline (src/pipeline/direct.ts) does what Ops Manager does for patch/minor updates only:
    // a major update needs engine-specific steps (kubedb-reference.md, "The update flow": MySQL creates a
    // new PetSet; Postgres copies the old version's binaries for pg_upgrade).
    const minor = allowedTargets(engine, current, catalog).filter((t) => t.updateType !== 'major').slice(0, 3);
    const why = served ? 'the configuration sets `backend: direct`' : `cluster \`${kube.name}\` does not serve \`${engine.opsRequestPlural}.ops.kubedb.com\` (no KubeDB Ops Manager)`;
    return {
      ok: false,
      code: 'major_on_direct',
      message:
        `\`${current.name}\` → \`${res.target.name}\` is a *major* update, and this request would run on the *direct* backend (${why}), which does patch and minor updates only. ` +
        `A major update needs engine-specific steps that KubeDB Ops Manager performs (MySQL creates a new PetSet; Postgres needs the old version's binaries for pg_upgrade): ` +
        `install KubeDB Ops Manager and use the *ops-request* backend (\`backend: ops-request\` or \`auto\` in the bot's configuration)` +
        (minor.length ? `, or ask for a patch/minor version: ${minor.map((t) => `\`${t.entry.name}\` (${t.updateType})`).join(', ')}.` : '.'),
    };
  }
  return { ok: true, db, current, target: res.target, updateType: res.updateType, backend };
}
