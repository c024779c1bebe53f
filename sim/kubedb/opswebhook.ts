/**
 * The simulated KubeDB ops webhook: one validating admission webhook per `<Kind>OpsRequest`, enforcing what
 * KubeDB's webhook server enforces for `UpdateVersion` on CREATE (dry runs included: the real
 * ValidatingWebhookConfiguration has `sideEffects: None`).
 *
 * Facts (kubedb/apimachinery 104ef573 `pkg/webhooks/ops/v1alpha1/`; webhook names and rules from
 * kubedb/installer 0c6e2459 `charts/kubedb-webhook-server/templates/ops-manager/validating-webhook.yaml`,
 * `<kind>opsrequestwebhook.validators.ops.kubedb.com`):
 * - the database named by `spec.databaseRef` (`spec.proxyRef`) must exist: `spec.databaseRef <ns>/<name>,
 *   is invalid or not found` (a plain error: controller-runtime answers 403 Forbidden);
 * - `IsUpgradable(kind, db.spec.version, targetVersion)` (`shared.go`): the target's name must be among the
 *   entries whose `spec.version` the current entry's `updateConstraints` allow (Masterminds semver v3,
 *   src/engines/constraints.ts); else `upgrade from version <cur> to <target> is not supported`. MySQL
 *   (`mysql.go`) uses the `groupReplication` lists, and a `spec.topology.mode` other than GroupReplication or
 *   InnoDBCluster (SemiSync, RemoteReplica…) leaves no list, so every target is refused the same way;
 * - deprecated targets refused by PerconaXtraDB, ProxySQL, PgBouncer and Singlestore (`perconaxtradb.go`,
 *   `proxysql.go`, `pgbouncer.go`, `singlestore.go`, their messages);
 * - Postgres (`postgres.go`): different base OS, or different distribution (both set), refused;
 * - Redis (`redis.go`): in Sentinel mode the RedisSentinel of `spec.sentinelRef` must already run the target
 *   `spec.version`; Redis and RedisSentinel (`redissentinel.go`): a distribution change only within a major;
 * - these UpdateVersion errors come back as `apierrors.NewInvalid` (422, reason Invalid, message
 *   `<Kind>.<Kind>opsrequests.kubedb.com "<ops>" is invalid: spec.updateVersion: Invalid value: "<ops>": …`).
 * Not checked by KubeDB's webhook, so not here: the database being Ready, another OpsRequest in progress
 * (Ops Manager handles those when it runs the request; see opsmanager.ts).
 *
 * UPDATE (every engine's `ValidateUpdate`, e.g. `mysql.go`, `kafka.go`, `postgres.go`): first
 * `validate<Kind>OpsRequest(new, old)` — `meta_util.CreateStrategicPatch(old, new, PreConditionSet{"spec"})`
 * (kmodules/client-go `meta/patch.go`, `meta/preconditions.go`) refuses any change of `apiVersion`, `kind`,
 * `metadata.name`, `metadata.namespace` or anything under `spec`, with the plain error
 * `precondition failed for: <patch as Go prints a map>.At least one of the following was changed:\n\tapiVersion\n\tkind\n\tname\n\tnamespace\n\tspec`
 * (k8s.io/apimachinery `util/mergepatch/errors.go` `NewErrPreconditionFailed`; controller-runtime's
 * `admission.Denied`: 403 Forbidden); then the same validation as CREATE on the new object. Not simulated:
 * the real hook also resumes the database when the update marks the OpsRequest completed (Ops Manager here
 * resumes it itself). Served over HTTPS as an AdmissionReview v1 endpoint by webhook.ts.
 */
import { engineByKind, type Engine } from '../../src/engines/table.js';
import { catalogEntryFromObject, type CatalogEntry } from '../../src/engines/versions.js';
import { parseVersion, satisfiesConstraints } from '../../src/engines/constraints.js';
import { catalogGvr, dbGvr } from './common.js';
import type { GVR, KubeObject } from './client.js';

/** What the webhook is asked (the `AdmissionRequest` fields it reads). */
export interface AdmissionRequest {
  operation: 'CREATE' | 'UPDATE' | 'DELETE' | 'CONNECT';
  /** The object to be stored (CREATE/UPDATE). */
  object?: KubeObject;
  /** The stored object (UPDATE/DELETE). */
  oldObject?: KubeObject;
  namespace?: string;
  name?: string;
}

/** The webhook's verdict (the `AdmissionResponse` fields that matter): allowed, or denied with a `Status`. */
export type AdmissionVerdict = { allowed: true } | { allowed: false; status: { code?: number; reason?: string; message?: string; details?: Record<string, unknown> } };

/** How the webhook reads the cluster (fresh reads through the API server, or caches). */
export interface ClusterLookup {
  get(gvr: GVR, namespace: string | undefined, name: string): Promise<KubeObject | undefined>;
  list(gvr: GVR): Promise<KubeObject[]>;
}

const DEPRECATED_MESSAGE: Record<string, (ns: string, target: string) => string> = {
  PerconaXtraDB: (ns, t) => `percona-xtradbdb target version ${ns}/${t} is deprecated. Skipped processing`,
  ProxySQL: (ns, t) => `proxysql target version ${ns}/${t} is deprecated. Skipped processing`,
  PgBouncer: (_ns, t) => `pgbouncerversion ${t} is depricated`,
  Singlestore: (_ns, t) => `spec.updateVersion.targetVersion - ${t}, is depricated!`,
};

/** The name KubeDB's chart gives the webhook of `e`'s OpsRequests. */
export function opsWebhookName(e: Engine): string {
  return `${e.kind.toLowerCase()}opsrequestwebhook.validators.ops.kubedb.com`;
}

/** 422 Invalid as `apierrors.NewInvalid(GroupKind{"<Kind>opsrequests.kubedb.com", "<Kind>OpsRequest"}, name, [field.Invalid(spec.updateVersion, name, msg)])`. */
function invalidUpdateVersion(e: Engine, opsName: string, msg: string): AdmissionVerdict {
  const group = `${e.kind}opsrequests.kubedb.com`;
  const cause = `Invalid value: ${JSON.stringify(opsName)}: ${msg}`;
  return {
    allowed: false,
    status: {
      code: 422,
      reason: 'Invalid',
      message: `${e.opsRequestKind}.${group} ${JSON.stringify(opsName)} is invalid: spec.updateVersion: ${cause}`,
      details: { name: opsName, group, kind: e.opsRequestKind, causes: [{ reason: 'FieldValueInvalid', message: cause, field: 'spec.updateVersion' }] },
    },
  };
}

function forbidden(msg: string): AdmissionVerdict {
  return { allowed: false, status: { code: 403, reason: 'Forbidden', message: msg } };
}

/**
 * KubeDB's `IsUpgradable` over the store: the names of every catalog entry allowed from `current`, or the
 * error text the webhook would return (an entry whose `spec.version` Masterminds cannot parse fails it all).
 */
async function upgradable(lookup: ClusterLookup, e: Engine, current: CatalogEntry): Promise<string[] | string> {
  const names: string[] = [];
  for (const obj of await lookup.list(catalogGvr(e))) {
    const v = (obj.spec as { version?: unknown } | undefined)?.version;
    if (typeof v !== 'string') return 'failed to resolve version constraints, reason: .spec.field is missing';
    if (!parseVersion(v)) return 'invalid semantic version';
    if (satisfiesConstraints(v, current.allowlist, current.denylist).ok) names.push(obj.metadata.name);
  }
  return names;
}

/** Validate one `<Kind>OpsRequest` admission request as KubeDB's webhook does (see module docs). */
export async function validateOpsRequest(lookup: ClusterLookup, e: Engine, req: AdmissionRequest): Promise<AdmissionVerdict> {
  const ops = req.object;
  if (!ops) return { allowed: true };
  const spec = (ops.spec ?? {}) as Record<string, any>;
  const ns = ops.metadata.namespace ?? req.namespace ?? 'default';
  const refName = spec[e.opsRequestRefField]?.name ?? '';
  const db = refName ? await lookup.get(dbGvr(e), ns, refName) : undefined;
  if (!db) return forbidden(`spec.databaseRef ${ns}/${refName}, is invalid or not found`);
  if (spec.type !== 'UpdateVersion') return { allowed: true };
  const uv = spec.updateVersion as { targetVersion?: string } | undefined;
  if (!uv) return invalidUpdateVersion(e, ops.metadata.name, '`spec.updateVersion` nil not supported in UpdateVersion type');
  const dbSpec = (db.spec ?? {}) as Record<string, any>;
  const curName = String(dbSpec.version ?? '');
  const target = String(uv.targetVersion ?? '');
  const notSupported = () => invalidUpdateVersion(e, ops.metadata.name, `upgrade from version ${curName} to ${target} is not supported`);
  const curObj = curName ? await lookup.get(catalogGvr(e), undefined, curName) : undefined;
  if (!curObj) return invalidUpdateVersion(e, ops.metadata.name, `${e.catalogPlural}.catalog.kubedb.com ${JSON.stringify(curName)} not found`);
  let current: CatalogEntry;
  try {
    current = catalogEntryFromObject(e, curObj);
  } catch (err) {
    return invalidUpdateVersion(e, ops.metadata.name, (err as Error).message);
  }
  if (e.kind === 'MySQL' && dbSpec.topology && !['GroupReplication', 'InnoDBCluster'].includes(dbSpec.topology.mode)) return notSupported();
  const list = await upgradable(lookup, e, current);
  if (typeof list === 'string') return invalidUpdateVersion(e, ops.metadata.name, list);
  if (!list.includes(target)) return notSupported();
  const targetObj = await lookup.get(catalogGvr(e), undefined, target);
  if (!targetObj) return notSupported();
  const tSpec = (targetObj.spec ?? {}) as Record<string, any>;
  const cSpec = (curObj.spec ?? {}) as Record<string, any>;
  if (tSpec.deprecated === true && DEPRECATED_MESSAGE[e.kind]) return invalidUpdateVersion(e, ops.metadata.name, DEPRECATED_MESSAGE[e.kind](ns, target));
  if (e.kind === 'Postgres') {
    const [cOS, tOS] = [cSpec.db?.baseOS ?? '', tSpec.db?.baseOS ?? ''];
    if (cOS && tOS && cOS !== tOS) {
      return invalidUpdateVersion(e, ops.metadata.name, `upgrading between different base OS variants is not allowed: current version ${JSON.stringify(curName)} uses baseOS ${JSON.stringify(cOS)} but target version ${JSON.stringify(target)} uses baseOS ${JSON.stringify(tOS)}`);
    }
    const [cD, tD] = [cSpec.distribution ?? '', tSpec.distribution ?? ''];
    if (cD && tD && cD !== tD) {
      return invalidUpdateVersion(e, ops.metadata.name, `upgrading between different distributions is not allowed: current version ${JSON.stringify(curName)} uses distribution ${JSON.stringify(cD)} but target version ${JSON.stringify(target)} uses distribution ${JSON.stringify(tD)}`);
    }
  }
  if (e.kind === 'Redis' && dbSpec.mode === 'Sentinel') {
    const sentinelEngine = engineByKind('RedisSentinel');
    const ref = dbSpec.sentinelRef as { name?: string; namespace?: string } | undefined;
    const sentinel = sentinelEngine && ref?.name ? await lookup.get(dbGvr(sentinelEngine), ref.namespace ?? ns, ref.name) : undefined;
    if (!sentinel) return invalidUpdateVersion(e, ops.metadata.name, `redissentinels.kubedb.com ${JSON.stringify(ref?.name ?? '')} not found`);
    if ((sentinel.spec as { version?: string }).version !== tSpec.version) {
      return invalidUpdateVersion(e, ops.metadata.name, `RedisOpsRequest ${ns}/${ops.metadata.name}: can't upgrade to a different version of sentinel`);
    }
  }
  if ((e.kind === 'Redis' || e.kind === 'RedisSentinel') && (cSpec.distribution ?? '') !== (tSpec.distribution ?? '')) {
    if (parseVersion(String(cSpec.version))?.major !== parseVersion(String(tSpec.version))?.major) {
      const who = e.kind === 'Redis' ? 'RedisOpsRequest' : 'redisSentinelOpsRequest';
      return invalidUpdateVersion(e, ops.metadata.name, `${who} ${ns}/${ops.metadata.name}: can't upgrade Official to Valkey with a different major version`);
    }
  }
  return { allowed: true };
}

/**
 * Go's `%v` of a value decoded from JSON into `interface{}` (how `mergepatch.NewErrPreconditionFailed` prints
 * the patch): maps as `map[k:v …]` with sorted keys, slices as `[a b]`, `<nil>`, strings bare, float64 as
 * `strconv.FormatFloat(f, 'g', -1, 64)` (exponent from 1e+21 and below 1e-4; Go uses it from 1e+06 on
 * for `%v`: `1e+06`).
 */
export function goFormat(v: unknown): string {
  if (v === null || v === undefined) return '<nil>';
  if (Array.isArray(v)) return `[${v.map(goFormat).join(' ')}]`;
  if (typeof v === 'object') {
    const o = v as Record<string, unknown>;
    return `map[${Object.keys(o).sort().map((k) => `${k}:${goFormat(o[k])}`).join(' ')}]`;
  }
  if (typeof v === 'number') {
    if (Number.isInteger(v) && Math.abs(v) < 1e6) return String(v);
    const exp = v === 0 ? 0 : Math.floor(Math.log10(Math.abs(v)));
    if (exp < -4 || exp >= 6) {
      const [m, e] = v.toExponential().split('e');
      const n = Number(e);
      return `${m}e${n < 0 ? '-' : '+'}${String(Math.abs(n)).padStart(2, '0')}`;
    }
    return String(v);
  }
  return String(v);
}

/**
 * The two-way merge patch from `old` to `cur` (what `strategicpatch.CreateTwoWayMergePatch` computes for these
 * objects): changed or added keys with their new value, maps diffed recursively, removed keys as `null`, lists
 * replaced whole when they differ (the OpsRequest types declare no list merge strategy). Pure.
 */
export function twoWayPatch(old: Record<string, unknown>, cur: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(old)) if (!(k in cur)) out[k] = null;
  for (const [k, v] of Object.entries(cur)) {
    const o = old[k];
    const isMap = (x: unknown) => x !== null && typeof x === 'object' && !Array.isArray(x);
    if (isMap(v) && isMap(o)) {
      const d = twoWayPatch(o as Record<string, unknown>, v as Record<string, unknown>);
      if (Object.keys(d).length) out[k] = d;
    } else if (JSON.stringify(v) !== JSON.stringify(o)) {
      out[k] = v;
    }
  }
  return out;
}

/** KubeDB's `validate<Kind>OpsRequest(new, old)` on UPDATE (see module docs): a verdict, or undefined when nothing guarded changed. */
export function validateOpsRequestUpdate(req: AdmissionRequest): AdmissionVerdict | undefined {
  if (!req.object || !req.oldObject) return undefined;
  const patch = twoWayPatch(req.oldObject as unknown as Record<string, unknown>, req.object as unknown as Record<string, unknown>);
  const meta = (patch.metadata ?? {}) as Record<string, unknown>;
  if (!('apiVersion' in patch) && !('kind' in patch) && !('name' in meta) && !('namespace' in meta) && !('spec' in patch)) return undefined;
  const guarded = ['apiVersion', 'kind', 'name', 'namespace', 'spec'].join('\n\t');
  return forbidden(`precondition failed for: ${goFormat(patch)}.At least one of the following was changed:\n\t${guarded}`);
}

/** The verdict on one `<Kind>OpsRequest` admission request: UPDATE's guard first, then the CREATE checks. */
export async function reviewOpsRequest(lookup: ClusterLookup, e: Engine, req: AdmissionRequest): Promise<AdmissionVerdict> {
  if (req.operation === 'DELETE' || req.operation === 'CONNECT') return { allowed: true };
  return (req.operation === 'UPDATE' ? validateOpsRequestUpdate(req) : undefined) ?? validateOpsRequest(lookup, e, req);
}
