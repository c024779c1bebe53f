/**
 * Preflight of an update request against the cluster (docs/architecture.md step 2): the database exists and is
 * `Ready`, the requested version resolves (Masterminds constraints, newest allowed non-deprecated catalog
 * entry of the same product and base OS), the topology is one the backend can update, no other update of
 * the database is in flight, the backend is chosen, and — on the ops-request backend — KubeDB itself is
 * asked: the OpsRequest is created with server-side `dryRun=All`, so KubeDB's validating webhook judges it
 * and nothing is stored (https://kubernetes.io/docs/reference/using-api/api-concepts/#dry-run); its refusal
 * is relayed before any approver is asked. Nothing is persisted. Transient API errors (429 after its
 * `Retry-After`, 5xx, timeouts: `isTransient`) are retried a few times.
 */
import pRetry from 'p-retry';
import type { Kube } from '../kube/client.js';
import { retryTransient, statusCode, statusMessage } from '../kube/errors.js';
import { mayI } from '../kube/access.js';
import { authSecretName } from '../pipeline/coordinator.js';
import { engineByKind } from '../engines/table.js';
import { databases, opsRequests } from '../kube/resources.js';
import { closestNames, didYouMean } from '../command/suggest.js';
import { listInPages } from '../kube/informer.js';
import {
  buildOpsRequest,
  compactOpsRequest,
  getDatabase,
  isPaused,
  listCatalog,
  type OpsRequestObject,
  opsRequestTarget,
  servesOpsRequests,
  OPS_TERMINAL_PHASES,
  type DatabaseObject,
} from '../kube/kubedb.js';
import type { RecordStore } from './records.js';
import type { Engine } from '../engines/table.js';
import { allowedTargets, catalogEntryFromObject, resolveTarget, type CatalogEntry, type UpdateType } from '../engines/versions.js';
import { backupConfigurationsFor, servesKubeStash } from '../kube/kubestash.js';
import { isActive, LABEL_DATABASE, LABEL_DB_NAMESPACE, type Backend } from '../api/v1alpha1/databaseupdate.js';

/** What preflight found for a request that may go ahead. */
export interface PreflightOk {
  ok: true;
  db: DatabaseObject;
  current: CatalogEntry;
  target: CatalogEntry;
  updateType: UpdateType;
  backend: Backend;
  /** The target changes the base OS (allowed by KubeDB's webhook): one sentence to show the requester (`Resolution.warning`). */
  warning?: string;
}

/** Why a request may not go ahead: `message` is for the requester (Slack mrkdwn), says what is wrong and what to do. */
export interface PreflightRefusal {
  ok: false;
  code: string;
  message: string;
}

/** Retries of a transient API error in preflight (each read is idempotent, the dry run persists nothing). */
const RETRIES = 3;

/**
 * Run an API call, retrying transient errors ({@link isTransient}: 429, 500/502/503/504, timeouts) up to
 * {@link RETRIES} times with p-retry's backoff (50–500 ms), waiting out a 429's `Retry-After` first
 * (capped at 2 s), as client-go's rest client does. @throws the last error.
 */
export function withRetries<T>(call: () => Promise<T>): Promise<T> {
  return pRetry(call, {
    retries: RETRIES,
    minTimeout: 50,
    maxTimeout: 500,
    randomize: true,
    shouldRetry: ({ error }) => retryTransient(error),
  });
}

/**
 * Topology preconditions, as KubeDB's webhook and the direct backend have them; a refusal message or
 * undefined.
 * - MySQL `spec.topology.mode` other than GroupReplication/InnoDBCluster (SemiSync, RemoteReplica…): KubeDB's
 *   webhook (kubedb/apimachinery `pkg/webhooks/ops/v1alpha1/mysql.go` `validateMySQLUpdateVersionOpsRequest`)
 *   checks no constraint list for them and refuses every UpdateVersion.
 * - Redis in `Sentinel` mode: the webhook (`redis.go`) requires the RedisSentinel of `spec.sentinelRef` to run
 *   the target's `spec.version` already.
 * - Topologies of several PetSets (MongoDB `shardTopology`, Redis `Cluster` mode, Elasticsearch/Kafka/
 *   Singlestore `spec.topology`) on the direct backend, which updates one PetSet per database.
 */
async function topologyRefusal(kube: Kube, engine: Engine, db: DatabaseObject, target: CatalogEntry, backend: Backend, ref: string): Promise<PreflightRefusal | undefined> {
  const spec = db.spec as Record<string, any>;
  const mode = spec.topology?.mode;
  if (engine.kind === 'MySQL' && spec.topology && mode !== 'GroupReplication' && mode !== 'InnoDBCluster') {
    return {
      ok: false,
      code: 'unsupported_topology',
      message: `${ref} runs in MySQL topology \`${mode ?? 'unspecified'}\`. KubeDB updates the version of standalone, GroupReplication and InnoDBCluster MySQL only (its webhook refuses UpdateVersion for ${mode ?? 'this topology'}); update it another way, or change its topology first.`,
    };
  }
  if (engine.kind === 'Redis' && spec.mode === 'Sentinel') {
    const sentinelEngine = engineByKind('RedisSentinel');
    const sref = spec.sentinelRef as { name?: string; namespace?: string } | undefined;
    const sentinel = sentinelEngine && sref?.name ? await withRetries(() => getDatabase(kube, sentinelEngine, sref.namespace ?? db.metadata.namespace!, sref.name!)) : undefined;
    const sentinelCatalog = sentinel ? await withRetries(() => listCatalog(kube, sentinelEngine!)) : [];
    const sentinelVersion = (sentinelCatalog as Array<{ metadata?: { name?: string }; spec?: { version?: string } }>).find((o) => o.metadata?.name === sentinel?.spec.version)?.spec?.version;
    if (!sentinel || sentinelVersion !== target.version) {
      const where = sref?.name ? `${sref.namespace ?? db.metadata.namespace}/${sref.name}` : '(no spec.sentinelRef)';
      return {
        ok: false,
        code: 'sentinel_first',
        message: `${ref} runs in Sentinel mode, and KubeDB updates it only once its RedisSentinel \`${where}\` runs the target version (${target.version}; it runs ${sentinel ? `\`${sentinel.spec.version}\`` : 'nothing: not found'}). Update the sentinel first: \`/dbupdate redissentinel ${where} ${target.name}\`, then ask again.`,
      };
    }
  }
  if (backend === 'direct') {
    const multi = spec.shardTopology ? 'a sharded topology (shards, config servers, mongos)' : engine.kind === 'Redis' && spec.mode === 'Cluster' ? 'Cluster mode (one PetSet per shard)' : ['Elasticsearch', 'Kafka', 'Singlestore'].includes(engine.kind) && spec.topology ? 'a topology of several node roles, one PetSet each' : undefined;
    if (multi) {
      return {
        ok: false,
        code: 'multi_petset_direct',
        message: `${ref} runs ${multi}; the *direct* backend updates a database's single PetSet only. Install KubeDB Ops Manager and use the *ops-request* backend (\`backend: ops-request\` or \`auto\`) for it.`,
      };
    }
  }
  return undefined;
}

/**
 * A Postgres database with standbys on the direct backend needs pg-coordinator's failover paused while its
 * pods restart (`src/pipeline/direct-failover.ts`), which reads the database's auth Secret. That grant
 * (`secrets` get) is opt-in (deploy/components/read-secrets, Helm `rbac.readSecrets`; docs/secrets.md).
 * Whether the bot has it is asked of the API server with a SelfSubjectAccessReview (`src/kube/access.ts`)
 * rather than read from a configuration flag: the authorizer's answer holds however the grant was made
 * (kustomize component, Helm value, a Role written by hand, one namespace only) and cannot disagree with
 * what the pipeline will meet. A review that fails (5xx) refuses nothing: the pipeline then fails before
 * any pod moves, with the reason.
 * @returns the refusal, or undefined when the grant is there or not needed.
 */
async function secretsRefusal(kube: Kube, engine: Engine, db: DatabaseObject, ref: string): Promise<PreflightRefusal | undefined> {
  if (engine.kind !== 'Postgres' || (db.spec.replicas ?? 1) <= 1) return undefined;
  const namespace = db.metadata.namespace ?? '';
  const secret = authSecretName(db);
  const allowed = await withRetries(() => mayI(kube, { verb: 'get', group: '', resource: 'secrets', namespace, name: secret })).catch(() => true);
  if (allowed) return undefined;
  return {
    ok: false,
    code: 'secrets_not_granted',
    message:
      `${ref} has standbys, and on the *direct* backend the bot pauses pg-coordinator's failover while the pods restart, with the credentials of the auth Secret \`${namespace}/${secret}\`. ` +
      `The bot may not read Secrets in \`${namespace}\` (that grant is opt-in), so nothing was changed. ` +
      'Ask a cluster admin to enable it (kustomize component `deploy/components/read-secrets`, or Helm `rbac.readSecrets=true`; see docs/secrets.md), or install KubeDB Ops Manager and use the *ops-request* backend, which needs no Secret.',
  };
}

/**
 * Every OpsRequest of an engine in the cluster, from the cluster's read cache (`src/kube/cache.ts`: one
 * list and a watch per kind, shared by all preflights) instead of a list per request: with thousands of
 * finished OpsRequests a live list per preflight moved megabytes. Until the watch has listed (first use, or
 * a restart after an error) the list is read live.
 * @throws the API error of a live list (403 without `list` on the kind cluster-wide).
 */
async function cachedOpsRequests(kube: Kube, engine: Engine): Promise<OpsRequestObject[]> {
  const resource = opsRequests(kube, engine);
  // Finished ones are kept as name, database ref and phase: all this check reads of them.
  return (await kube.cache.list(resource.path(), () => listInPages((page) => resource.listObject(undefined, page), compactOpsRequest) as never, compactOpsRequest as never)) as unknown as OpsRequestObject[];
}

/**
 * KubeDB's verdict: create the OpsRequest the pipeline would create with `dryRun=All`, so the validating
 * webhook judges it and nothing is stored. A refusal (4xx) is returned for the requester; a transient error
 * is retried; anything else (e.g. 403 from RBAC) is thrown as an API failure.
 */
async function kubedbVerdict(kube: Kube, engine: Engine, namespace: string, name: string, target: CatalogEntry, ref: string): Promise<PreflightRefusal | undefined> {
  const ops = buildOpsRequest({ engine, namespace, name: '', database: name, targetVersion: target.name, labels: {} });
  const body = { ...ops, metadata: { namespace, generateName: `${name}-preflight-` } };
  try {
    await withRetries(() => opsRequests(kube, engine).create(body, { dryRun: true }));
    return undefined;
  } catch (err) {
    const code = statusCode(err);
    if (code === 400 || code === 403 || code === 422) {
      const msg = statusMessage(err);
      if (code === 403 && !/admission webhook/.test(msg)) throw err; // RBAC, not KubeDB
      return {
        ok: false,
        code: 'kubedb_refused',
        message: `KubeDB refuses this update of ${ref} to \`${target.name}\` (checked with a dry run of the ${engine.opsRequestKind}; nothing was created): ${msg}`,
      };
    }
    throw err;
  }
}

/**
 * With `backup.beforeMajor: required`, a major update needs a KubeStash backup first
 * (`src/pipeline/backup.ts`): a refusal saying what to set up when KubeStash is not installed or no
 * BackupConfiguration (with a session) targets the database (`src/kube/kubestash.ts`, read from the cache).
 */
async function backupRefusal(kube: Kube, engine: Engine, namespace: string, name: string, ref: string): Promise<PreflightRefusal | undefined> {
  const installed = await withRetries(() => servesKubeStash(kube));
  const configs = installed ? await withRetries(() => backupConfigurationsFor(kube, engine, namespace, name)) : [];
  if (configs.some((c) => (c.spec.sessions ?? []).some((s) => s.name))) return undefined;
  const what = installed
    ? `no KubeStash \`BackupConfiguration\` in \`${namespace}\` targets it (\`spec.target\`: apiGroup \`kubedb.com\`, kind \`${engine.kind}\`, name \`${name}\`, with at least one session)`
    : `KubeStash is not installed in cluster \`${kube.name}\` (\`core.kubestash.com\` is not served)`;
  return {
    ok: false,
    code: 'backup_required',
    message: `This is a *major* update, and the policy requires a backup first (\`backup.beforeMajor: required\`), but ${what}. Set up a BackupConfiguration for ${ref} (KubeStash's guide: https://kubestash.com/docs/latest/guides/kubedb/), or ask an admin to change \`backup.beforeMajor\`; then ask again.`,
  };
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
  /** Policy `backup.beforeMajor`: `required` refuses a major update of a database no KubeStash BackupConfiguration targets. */
  backup?: 'required' | 'ifConfigured' | 'off';
}): Promise<PreflightOk | PreflightRefusal> {
  const { kube, engine, namespace, name } = opts;
  const ref = `${engine.kind} \`${namespace}/${name}\``;
  const db = await withRetries(() => getDatabase(kube, engine, namespace, name));
  if (!db) {
    const near = await databases(kube, engine)
      .list(namespace)
      .then((all) => closestNames(name, all.map((d) => d.metadata.name)), () => []);
    return {
      ok: false,
      code: 'not_found',
      message: `${ref} was not found in cluster \`${kube.name}\`.${didYouMean(near)} Check the name and namespace (\`kubectl get ${engine.plural}.${engine.group} -n ${namespace}\`), or name the namespace: \`${engine.name} <namespace>/${name} ${opts.version}\`.`,
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

  const objects = await withRetries(() => listCatalog(kube, engine));
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
  const active = (await withRetries(() => opts.records.list(selector))).filter(
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
    served = await withRetries(() => servesOpsRequests(kube, engine));
  } catch (err) {
    return { ok: false, code: 'discovery', message: `Could not ask cluster \`${kube.name}\` which KubeDB APIs it serves: ${statusMessage(err)}` };
  }
  if (opts.backend === 'auto') backend = served ? 'ops-request' : 'direct';
  if (served) {
    const running = (await withRetries(() => cachedOpsRequests(kube, engine))).filter(
      (o) => o.metadata.namespace === namespace && opsRequestTarget(engine, o) === name && !OPS_TERMINAL_PHASES.includes(o.status?.phase ?? 'Pending'),
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
    // a major update needs engine-specific steps (docs/kubedb-facts.md, "The update flow": MySQL creates a
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
  if (res.updateType === 'major' && opts.backup === 'required') {
    const refusal = await backupRefusal(kube, engine, namespace, name, ref);
    if (refusal) return refusal;
  }
  const topo = await topologyRefusal(kube, engine, db, res.target, backend, ref);
  if (topo) return topo;
  if (backend === 'direct') {
    const secrets = await secretsRefusal(kube, engine, db, ref);
    if (secrets) return secrets;
  }
  if (backend === 'ops-request') {
    const verdict = await kubedbVerdict(kube, engine, namespace, name, res.target, ref);
    if (verdict) return verdict;
  }
  return { ok: true, db, current, target: res.target, updateType: res.updateType, backend, ...(res.warning ? { warning: res.warning } : {}) };
}
