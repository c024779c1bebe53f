/**
 * The request step of a fleet update (issue #19 item 1), without Slack: the selection → the databases of
 * the engine it names → each checked as a single request would be (`requestUpdate` with `dryRun`: the
 * requester policy, preflight, the update types the policy allows; nothing written) → a plan of who will
 * update (from → to, patch/minor/major), who has nothing to do and who is refused with the reason → the
 * approvers of the batch under the strictest rule of any member → one `DatabaseUpdateBatch` written.
 * Refused members do not block the rest; a batch with no member to update is refused and writes nothing.
 * Member records are not written here: the leader's batch controller writes each one, approved, when its
 * wave starts (`./batch-controller.ts`), taking the database's lock then.
 */
import { createHash, randomBytes } from 'node:crypto';
import pLimit from 'p-limit';
import type { Kube } from '../kube/client.js';
import { isConflict } from '../kube/errors.js';
import { databases } from '../kube/resources.js';
import type { Engine } from '../engines/table.js';
import { parseDuration } from '../policy/config.js';
import { approvable, approversFor, resolvePolicy, type ApproverSet } from '../policy/rules.js';
import type { Selection } from '../command/fleet.js';
import { requestUpdate, type RequestDeps } from './request.js';
import type { BatchStore } from './batch-records.js';
import { RECORD_API_VERSION } from '../api/v1alpha1/databaseupdate.js';
import { BATCH_KIND, BATCH_PREFIX, type BatchLeftOut, type BatchMember, type DatabaseUpdateBatch } from '../api/v1alpha1/databaseupdatebatch.js';

/** What the batch request step needs: the single request's dependencies and the batch store. */
export interface BatchRequestDeps extends RequestDeps {
  batches: BatchStore;
}

/** A fleet request as parsed (`Command` kind `fleet` of `src/command/parse.ts`) with the caller's defaults applied. */
export interface BatchRequest {
  engine: Engine;
  selection: Selection;
  /** Namespace of `-l`/`--all` and of names given without one. */
  namespace: string;
  version: string;
  reason?: string;
  dryRun: boolean;
  user: string;
  channel: string;
  /** Slack's `trigger_id`: names the batch (a Slack retry of the same command maps to the same batch). */
  triggerId: string;
}

/** What preflight found for every selected database. */
export interface BatchPlan {
  engine: Engine;
  /** The selection in words, e.g. `-l tier=staging in payments`. */
  selection: string;
  version: string;
  members: BatchMember[];
  leftOut: BatchLeftOut[];
}

/**
 * What became of a fleet request: `recorded` (the batch exists; `duplicate` when it already did),
 * `dry_run` (everything checked, nothing written), `refused` (nothing written; `message` says why, and
 * `plan` is the table when the databases were checked).
 */
export type BatchOutcome =
  | { outcome: 'recorded'; batch: DatabaseUpdateBatch; duplicate: boolean; plan: BatchPlan }
  | { outcome: 'dry_run'; plan: BatchPlan; approvalsRequired: number }
  | { outcome: 'refused'; code: string; message: string; plan?: BatchPlan };

/** Databases checked at once (each check is a few cached reads and, on ops-request, one dry-run create). */
const CHECK_CONCURRENCY = 4;

/** The batch name for an invocation: `fleet-<engine>-<8 hex of sha256(trigger_id)>`. */
export function batchName(engine: Engine, triggerId: string): string {
  return `${BATCH_PREFIX}${engine.name}-${createHash('sha256').update(triggerId).digest('hex').slice(0, 8)}`;
}

/** The selection in words (for the table and `kubectl get dbub`). Pure. */
export function describeSelection(s: Selection, namespace: string): string {
  if (s.kind === 'labels') return `-l ${s.selector} in ${namespace}`;
  if (s.kind === 'all') return `--all in ${namespace}`;
  return s.refs.map((r) => (r.namespace ? `${r.namespace}/${r.name}` : r.name)).join(', ');
}

/**
 * The databases a selection names: `-l` and `--all` list the engine's objects in the namespace (sorted by
 * name); names are taken as given (a missing one is refused by its check). @throws API errors of the list.
 */
export async function selectDatabases(kube: Kube, engine: Engine, selection: Selection, namespace: string): Promise<Array<{ namespace: string; name: string }>> {
  if (selection.kind === 'names') return selection.refs.map((r) => ({ namespace: r.namespace ?? namespace, name: r.name }));
  const list = await databases(kube, engine).list(namespace, selection.kind === 'labels' ? { labelSelector: selection.selector } : {});
  return list.map((d) => ({ namespace, name: d.metadata.name })).sort((a, b) => a.name.localeCompare(b.name));
}

/**
 * The approvers of a batch: every member's policy resolved for its update type; the batch needs the most
 * approvals any member needs (so a major member brings the major approvals), from the approvers every
 * member allows, and allows self-approval only if every member does.
 */
export async function batchApprovers(
  deps: RequestDeps,
  cluster: string,
  engine: Engine,
  members: BatchMember[],
): Promise<ApproverSet & { allowSelfApproval: boolean }> {
  const groupsOf = (g: string) => (deps.groups ? deps.groups.members(g) : Promise.reject(new Error(`user group ${g} cannot be resolved: no Slack client`)));
  let strictest: ApproverSet | undefined;
  let users: string[] | undefined;
  let allowSelf = true;
  const seen = new Map<string, ApproverSet>();
  for (const m of members) {
    const policy = resolvePolicy(deps.config, { cluster, namespace: m.namespace, engine: engine.name });
    const key = JSON.stringify([policy.matched, m.updateType]);
    const set = seen.get(key) ?? (await approversFor(policy, m.updateType, groupsOf));
    seen.set(key, set);
    allowSelf &&= policy.allowSelfApproval;
    users = users === undefined ? [...set.users] : users.filter((u) => set.users.includes(u));
    if (!strictest || set.needed > strictest.needed) strictest = set;
  }
  return { users: users ?? [], groups: strictest?.groups ?? [], needed: strictest?.needed ?? 1, mention: strictest?.mention ?? '', allowSelfApproval: allowSelf };
}

/**
 * Check every selected database and, when at least one will update, write the batch.
 * @param kube the databases' cluster; @param now the request's time (expiry).
 * @returns the outcome; a refusal or a dry run writes nothing.
 * @throws API errors of the selection's list, a user-group lookup or the create (the caller answers
 *   with a generic error); a member whose check fails with an API error is refused in the plan instead.
 */
export async function requestBatch(deps: BatchRequestDeps, kube: Kube, now: Date, req: BatchRequest, log = deps.log): Promise<BatchOutcome> {
  const selection = describeSelection(req.selection, req.namespace);
  const refuse = (code: string, message: string, plan?: BatchPlan): BatchOutcome => {
    log.info({ audit: 'refuse', user: req.user, fleet: selection, code, why: message }, 'fleet request refused');
    deps.metrics?.requests.inc({ outcome: 'refused' });
    return { outcome: 'refused', code, message, ...(plan ? { plan } : {}) };
  };
  const name = batchName(req.engine, req.triggerId);
  if (!req.dryRun) {
    const again = await deps.batches.get(name);
    if (again && again.spec.requester === req.user) return { outcome: 'recorded', batch: again, duplicate: true, plan: planOf(req, selection, again.spec.members, again.spec.leftOut ?? []) };
  }
  const selected = await selectDatabases(kube, req.engine, req.selection, req.namespace);
  if (selected.length === 0) {
    const what = req.selection.kind === 'labels' ? `matches \`-l ${req.selection.selector}\`` : 'exists';
    return refuse('empty_selection', `No ${req.engine.kind} database in namespace \`${req.namespace}\` ${what}, so nothing was requested. \`/dbupdate drift ${req.engine.name} -n ${req.namespace}\` lists the databases there.`);
  }
  const limit = pLimit(CHECK_CONCURRENCY);
  const checked = await Promise.all(
    selected.map((db) =>
      limit(async (): Promise<BatchMember | BatchLeftOut> => {
        try {
          const out = await requestUpdate({ ...deps, metrics: undefined }, kube, now, {
            engine: req.engine,
            namespace: db.namespace,
            name: db.name,
            version: req.version,
            dryRun: true,
            user: req.user,
            channel: req.channel,
            triggerId: req.triggerId,
          });
          if (out.outcome === 'dry_run') {
            return { namespace: db.namespace, name: db.name, fromVersion: out.from, targetVersion: out.to, updateType: out.updateType, backend: out.backend, ...(out.warning ? { warning: out.warning } : {}) };
          }
          if (out.outcome === 'refused') return { namespace: db.namespace, name: db.name, outcome: out.code === 'same_version' ? 'nothing' : 'refused', code: out.code, message: out.message };
          return { namespace: db.namespace, name: db.name, outcome: 'refused', code: 'unexpected', message: 'Could not be checked.' };
        } catch (err) {
          const ref = randomBytes(4).toString('hex');
          log.error({ err: (err as Error)?.message, ref, database: `${kube.name}/${db.namespace}/${db.name}` }, 'fleet member check failed');
          return { namespace: db.namespace, name: db.name, outcome: 'refused', code: 'error', message: `Could not be checked (an error on the bot's side, reference \`${ref}\` in its log).` };
        }
      }),
    ),
  );
  const members = checked.filter((c): c is BatchMember => 'targetVersion' in c);
  const leftOut = checked.filter((c): c is BatchLeftOut => 'outcome' in c);
  const plan = planOf(req, selection, members, leftOut);
  if (members.length === 0) {
    const all = leftOut.every((l) => l.outcome === 'nothing') ? 'every selected database already runs that version' : 'no selected database can be updated';
    return refuse('nothing_to_update', `Nothing to update: ${all}. Nothing was requested.`, plan);
  }
  const approvers = await batchApprovers(deps, kube.name, req.engine, members);
  const ok = approvable(approvers, req.user, approvers.allowSelfApproval);
  if (!ok.ok) return refuse('no_approvers', `No one may approve every database of this batch: ${ok.reason} Split the request by namespace or policy rule.`, plan);
  if (req.dryRun) {
    deps.metrics?.requests.inc({ outcome: 'dry_run' });
    return { outcome: 'dry_run', plan, approvalsRequired: approvers.needed };
  }
  const fleet = deps.config.fleet;
  const batch: DatabaseUpdateBatch = {
    apiVersion: RECORD_API_VERSION,
    kind: BATCH_KIND,
    metadata: { name, namespace: deps.batches.namespace },
    spec: {
      engine: req.engine.kind,
      cluster: kube.name,
      selection,
      requestedVersion: req.version,
      requester: req.user,
      ...(req.reason ? { reason: req.reason } : {}),
      channel: req.channel,
      expiresAt: new Date(now.getTime() + parseDuration(deps.config.requestTtl)).toISOString(),
      approvers: approvers.users,
      approvalsRequired: approvers.needed,
      approverMention: approvers.mention,
      allowSelfApproval: approvers.allowSelfApproval,
      maxParallel: fleet.maxParallel,
      soakSeconds: Math.round(parseDuration(fleet.soak) / 1000),
      members,
      ...(leftOut.length ? { leftOut } : {}),
    },
  };
  let created: DatabaseUpdateBatch;
  try {
    created = await deps.batches.create(batch);
  } catch (err) {
    if (!isConflict(err)) throw err;
    const existing = await deps.batches.get(name);
    if (existing && existing.spec.requester === req.user) return { outcome: 'recorded', batch: existing, duplicate: true, plan };
    return refuse('name_taken', `Could not record the batch: the name \`${name}\` is taken. Nothing was changed; please ask again.`);
  }
  deps.metrics?.requests.inc({ outcome: 'requested' });
  log.info({ audit: 'request', user: req.user, batch: name, fleet: selection, members: members.length, leftOut: leftOut.length, approvalsRequired: approvers.needed }, 'fleet update requested');
  return { outcome: 'recorded', batch: created, duplicate: false, plan };
}

function planOf(req: BatchRequest, selection: string, members: BatchMember[], leftOut: BatchLeftOut[]): BatchPlan {
  return { engine: req.engine, selection, version: req.version, members, leftOut };
}
