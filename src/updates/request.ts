/**
 * The request step of an update, without Slack (docs/architecture.md "The job", steps 1–3): a parsed
 * request → the policy (who may request, which update types, approvers, `--at`) → preflight against the
 * cluster → the database's lock → the `DatabaseUpdate` record. The Slack handlers (`src/slack/`) call it
 * from the slash command, the request form and `/dbupdate retry`, and render its {@link RequestOutcome}.
 *
 * Every path ends in an outcome, including the loser of a same-database race (the lock is held, or the
 * create answers 409) and a Slack retry of the very same command (same `trigger_id`, so the same record
 * name: see {@link recordName}), which is answered as already recorded. Every decision is audit-logged
 * (`audit: request | refuse`) and counted (`dbupdate_requests_total` by outcome).
 */
import { createHash } from 'node:crypto';
import type { Logger } from 'pino';
import type { Kube } from '../kube/client.js';
import type { ClusterSet } from '../kube/clusters.js';
import { isConflict } from '../kube/errors.js';
import { acquireDatabaseLock, lockName, releaseDatabaseLock } from '../kube/locks.js';
import type { Engine } from '../engines/table.js';
import type { UpdateType } from '../engines/versions.js';
import type { Config } from '../policy/config.js';
import { parseDuration } from '../policy/config.js';
import { approvable, approversFor, mayRequest, resolvePolicy, updateTypeAllowed } from '../policy/rules.js';
import { nextStart } from '../policy/windows.js';
import type { Metrics } from '../metrics.js';
import { preflight } from './preflight.js';
import type { RecordStore } from './records.js';
import {
  LABEL_DATABASE,
  LABEL_DB_NAMESPACE,
  LABEL_ENGINE,
  LABEL_RETRY_OF,
  RECORD_API_VERSION,
  RECORD_KIND,
  isActive,
  type Backend,
  type DatabaseUpdate,
} from '../api/v1alpha1/databaseupdate.js';

/** What the request step needs (a subset of the Slack handlers' dependencies). */
export interface RequestDeps {
  /** The clusters; records and the per-database locks live in `clusters.home`. */
  clusters: ClusterSet;
  records: RecordStore;
  config: Config;
  log: Logger;
  /** Prometheus metrics: `requests` by outcome. */
  metrics?: Metrics;
  /** Members of a Slack user group (for requester and approver rules); without it, a rule naming a group fails. */
  groups?: { members(group: string): Promise<string[]> };
}

/** A request as parsed from the slash command, the request form or a retry. */
export interface UpdateRequest {
  engine: Engine;
  namespace: string;
  /** The database's name. */
  name: string;
  /** The version as typed (`8.4`, `8.4.3`, a catalog name). */
  version: string;
  reason?: string;
  /** `--at`: a time to start no earlier than (`sat 02:00`, RFC 3339), checked against the policy's windows. */
  at?: string;
  /** `--dry-run`: check everything, record nothing. */
  dryRun: boolean;
  /** Slack user id of the requester. */
  user: string;
  /** Slack channel id the request is made in (the approval message goes there). */
  channel: string;
  /** Slack's `trigger_id` of the invocation (or the form's view id): names the record, see {@link recordName}. */
  triggerId: string;
  /** `/dbupdate retry <id>`: the Failed record this one retries. */
  retryOf?: string;
}

/** Codes of a refused request: the policy's, preflight's (`PreflightRefusal.code`), and the record step's own. */
export type RequestRefusalCode = 'not_allowed' | 'update_type' | 'no_approvers' | 'bad_at' | 'in_flight' | 'name_taken' | (string & {});

/**
 * What became of a request:
 * - `recorded`: the record exists (`duplicate`: it already did — a Slack retry of the same command);
 * - `dry_run`: everything passed, nothing was written;
 * - `refused`: `message` (Slack mrkdwn, as preflight's) says what is wrong and what to do; nothing was written.
 */
export type RequestOutcome =
  | { outcome: 'recorded'; record: DatabaseUpdate; duplicate: boolean; warning?: string }
  | { outcome: 'dry_run'; engine: Engine; namespace: string; name: string; from: string; to: string; updateType: UpdateType; backend: Backend; warning?: string }
  | { outcome: 'refused'; code: RequestRefusalCode; message: string };

/**
 * The record name for an invocation: `<database>-<8 hex of sha256(trigger_id)>` (≤ 63 characters).
 * Slack's retry of the same envelope carries the same `trigger_id`, so it maps to the same name and the
 * second create fails with 409 AlreadyExists instead of making a second request.
 */
export function recordName(database: string, triggerId: string): string {
  const h = createHash('sha256').update(triggerId).digest('hex').slice(0, 8);
  return `${database.slice(0, 63 - 9)}-${h}`;
}

/**
 * Check a request and, when it passes, take the database's lock and write its record.
 * @param kube the database's cluster; @param now the request's time (expiry, `--at`).
 * @returns the outcome (see {@link RequestOutcome}); a refusal or a dry run writes nothing.
 * @throws API errors of preflight, the lock or the create (the lock taken is released first when the
 *   create fails), and a user-group lookup's error: the caller answers with a generic error.
 */
export async function requestUpdate(deps: RequestDeps, kube: Kube, now: Date, req: UpdateRequest): Promise<RequestOutcome> {
  const { config, log } = deps;
  const name = recordName(req.name, req.triggerId);
  const recorded = (r: DatabaseUpdate): RequestOutcome => {
    log.info({ audit: 'request', user: req.user, record: r.metadata.name, duplicate: true }, 'update already requested');
    return { outcome: 'recorded', record: r, duplicate: true };
  };
  // Slack's retry of this very command (same trigger_id, so the same name) after it was recorded: say so
  // (preflight would otherwise refuse it as "in flight", naming the user's own request).
  if (!req.dryRun) {
    const again = await deps.records.get(name);
    if (again && again.spec.requester === req.user) return recorded(again);
  }
  const refuse = (code: RequestRefusalCode, why: string): RequestOutcome => {
    log.info({ audit: 'refuse', user: req.user, database: `${kube.name}/${req.namespace}/${req.name}`, code, why }, 'request refused');
    deps.metrics?.requests.inc({ outcome: 'refused' });
    return { outcome: 'refused', code, message: why };
  };
  const policy = resolvePolicy(config, { cluster: kube.name, namespace: req.namespace, engine: req.engine.name });
  const groupsOf = (g: string) => (deps.groups ? deps.groups.members(g) : Promise.reject(new Error(`user group ${g} cannot be resolved: no Slack client`)));
  const userGroups = policy.requesters.groups.length ? await Promise.all(policy.requesters.groups.map(async (g) => ((await groupsOf(g)).includes(req.user) ? g : undefined))) : [];
  const may = mayRequest(policy, { user: req.user, userGroups: userGroups.filter((g): g is string => !!g), channel: req.channel });
  if (!may.ok) return refuse('not_allowed', may.reason);
  const pf = await preflight({
    kube,
    records: deps.records,
    engine: req.engine,
    namespace: req.namespace,
    name: req.name,
    version: req.version,
    backend: config.backend,
    backup: config.backup?.beforeMajor,
  });
  if (!pf.ok) {
    // A concurrent retry of this very command may have recorded it meanwhile (preflight then sees it in flight).
    const again = pf.code === 'in_flight' && !req.dryRun ? await deps.records.get(name) : undefined;
    return again && again.spec.requester === req.user ? recorded(again) : refuse(pf.code, pf.message);
  }
  const typeOk = updateTypeAllowed(policy, pf.updateType);
  if (!typeOk.ok) return refuse('update_type', typeOk.reason);
  const approvers = await approversFor(policy, pf.updateType, groupsOf);
  const canApprove = approvable(approvers, req.user, policy.allowSelfApproval);
  if (!canApprove.ok) return refuse('no_approvers', canApprove.reason);
  let notBefore: string | undefined;
  if (req.at) {
    const start = nextStart(policy.windows, now, req.at);
    if (!start.ok) return refuse('bad_at', start.reason);
    notBefore = start.startAt.toISOString();
  }
  if (req.dryRun) {
    deps.metrics?.requests.inc({ outcome: 'dry_run' });
    return { outcome: 'dry_run', engine: req.engine, namespace: req.namespace, name: req.name, from: pf.current.name, to: pf.target.name, updateType: pf.updateType, backend: pf.backend, ...(pf.warning ? { warning: pf.warning } : {}) };
  }
  // The atomic half of "no other update of this database is in flight" (preflight's check is a read).
  const lockKey = lockName(kube.name, req.namespace, req.engine.kind, req.name);
  const lock = await acquireDatabaseLock(deps.clusters.home, deps.records.namespace, lockKey, name, async (holder) => {
    const r = await deps.records.get(holder);
    return r === undefined ? 'missing' : isActive(r.status?.phase) ? 'active' : 'finished';
  });
  if (!lock.ok) {
    // The holder may be a request being recorded this very moment (the loser of a race), or one whose
    // replica died between the lock and the record (the lock lapses after `LOCK_GRACE_MS`, 60 s: `src/kube/locks.ts`).
    const holder = await deps.records.get(lock.holder);
    return refuse(
      'in_flight',
      holder
        ? `${req.engine.kind} \`${req.namespace}/${req.name}\` already has an update in flight: \`${lock.holder}\`. Nothing was requested. Wait for it to finish or cancel it with \`/dbupdate cancel ${lock.holder}\`.`
        : `Another request for ${req.engine.kind} \`${req.namespace}/${req.name}\` (\`${lock.holder}\`) is being recorded right now, so yours was not. Nothing was requested: see \`/dbupdate list\`, and if it does not appear within a minute, ask again.`,
    );
  }
  const record: DatabaseUpdate = {
    apiVersion: RECORD_API_VERSION,
    kind: RECORD_KIND,
    metadata: {
      name,
      namespace: deps.records.namespace,
      labels: { [LABEL_ENGINE]: req.engine.name, [LABEL_DATABASE]: req.name, [LABEL_DB_NAMESPACE]: req.namespace, ...(req.retryOf ? { [LABEL_RETRY_OF]: req.retryOf } : {}) },
    },
    spec: {
      engine: req.engine.kind,
      database: { cluster: kube.name, namespace: req.namespace, name: req.name, ...(pf.db.metadata.uid ? { uid: pf.db.metadata.uid } : {}) },
      requestedVersion: req.version,
      fromVersion: pf.current.name,
      targetVersion: pf.target.name,
      updateType: pf.updateType,
      backend: pf.backend,
      requester: req.user,
      ...(req.reason ? { reason: req.reason } : {}),
      channel: req.channel,
      expiresAt: new Date(now.getTime() + parseDuration(config.requestTtl)).toISOString(),
      approvers: approvers.users,
      approvalsRequired: approvers.needed,
      approverMention: approvers.mention,
      allowSelfApproval: policy.allowSelfApproval,
      ...(notBefore ? { notBefore } : {}),
      replicas: pf.db.spec.replicas,
      ...(req.retryOf ? { retryOf: req.retryOf } : {}),
    },
  };
  let created: DatabaseUpdate;
  try {
    created = await deps.records.create(record);
  } catch (err) {
    if (!isConflict(err)) {
      await releaseDatabaseLock(deps.clusters.home, deps.records.namespace, lockKey, name);
      throw err;
    }
    // The same invocation again (a Slack retry, or a create that landed before a transient error): already recorded.
    const existing = await deps.records.get(name);
    if (existing && existing.spec.requester === req.user && existing.spec.targetVersion === record.spec.targetVersion) return recorded(existing);
    return refuse('name_taken', `Could not record the request: the name \`${name}\` is taken by another request. Nothing was changed; please ask again.`);
  }
  deps.metrics?.requests.inc({ outcome: 'requested' });
  log.info({ audit: 'request', user: req.user, record: name, database: record.spec.database, from: pf.current.name, to: pf.target.name, rules: policy.matched }, 'update requested');
  return { outcome: 'recorded', record: created, duplicate: false, ...(pf.warning ? { warning: pf.warning } : {}) };
}
