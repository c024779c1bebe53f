/**
 * `/dbupdate resume <id>` and `/dbupdate retry <id>` without Slack: chat recovery after a failed request.
 *
 * - resume: the requester or an approver of the request asks to resume the database a finished request
 *   left paused. Checked here (record finished, database paused by this request, user allowed), then only
 *   the intent is written on the record (`status.resume`); the leader performs it
 *   (`src/updates/resume.ts`) and the notifier posts the outcome in the request's thread.
 * - retry: the requester or an approver asks again for what a Failed request asked (same database and
 *   target catalog version): a new record through the very same request step as the slash command
 *   ({@link requestUpdate}: policy, preflight, approvers, lock), linked to the old one by `spec.retryOf` and
 *   the label `dbupdate.dev/retry-of`.
 *
 * Every decision is audit-logged (`audit: resume-request | retry | refuse`). The Slack side
 * (`src/slack/recovery.ts`) acks, calls {@link recover} and renders its {@link RecoveryOutcome}.
 */
import { engineByKind } from '../engines/table.js';
import { approversFor, resolvePolicy } from '../policy/rules.js';
import { inspectPause } from '../pipeline/resume-database.js';
import { requestResume } from './resume.js';
import { requestUpdate, type RequestDeps, type RequestOutcome } from './request.js';
import { TERMINAL_PHASES, type DatabaseUpdate } from '../api/v1alpha1/databaseupdate.js';

/** A recovery command, as parsed, with who typed it where. */
export interface RecoveryRequest {
  kind: 'resume' | 'retry';
  /** The record's name. */
  id: string;
  /** Slack user id and channel id of the command; `triggerId` names a retry's new record (`recordName`). */
  user: string;
  channel: string;
  triggerId: string;
}

/**
 * What became of a recovery command:
 * - `refused`: `message` (Slack mrkdwn) says why; nothing was changed;
 * - `resume`: the intent is on `record` (`changed: false`: it already was, by `record.status.resume.requestedBy`);
 *   `pauseReason` is the reason of the `Paused` condition the leader will remove;
 * - `retry`: the new request's own outcome.
 */
export type RecoveryOutcome =
  | { outcome: 'refused'; code: string; message: string }
  | { outcome: 'resume'; record: DatabaseUpdate; changed: boolean; pauseReason?: string }
  | { outcome: 'retry'; request: RequestOutcome };

/**
 * Who may resume or retry a request: its requester, an approver recorded on it (`spec.approvers`), or an
 * approver under the current policy for its database (users and members of approver groups,
 * `approversFor` in `src/policy/rules.ts`).
 * @returns a refusal sentence, or undefined when allowed.
 * @throws whatever resolving a user group throws (Slack API errors).
 */
async function recoveryRefusal(deps: Pick<RequestDeps, 'config' | 'groups'>, record: DatabaseUpdate, user: string, verb: 'resume' | 'retry'): Promise<string | undefined> {
  if (user === record.spec.requester || record.spec.approvers.includes(user)) return undefined;
  const d = record.spec.database;
  const policy = resolvePolicy(deps.config, { cluster: d.cluster, namespace: d.namespace, engine: record.spec.engine.toLowerCase() });
  const groupsOf = (g: string) => (deps.groups ? deps.groups.members(g) : Promise.resolve([] as string[]));
  const approvers = await approversFor(policy, record.spec.updateType, groupsOf);
  if (approvers.users.includes(user)) return undefined;
  return `Only the requester (<@${record.spec.requester}>) or an approver (${approvers.mention || record.spec.approvers.map((u) => `<@${u}>`).join(', ') || 'none configured'}) may ${verb} request \`${record.metadata.name}\`. Nothing was changed.`;
}

/**
 * Check a resume or retry and act on it (see the module comment).
 * @param now the time of the command (the resume intent's `at`, the retry's expiry and `--at`).
 * @throws API errors (the caller answers generically); `RecordRefusal` when the record changed meanwhile so
 *   that a resume no longer applies; `NotFoundError` (kind `DatabaseUpdate`, see `src/kube/errors.ts`) when
 *   the record was deleted meanwhile.
 */
export async function recover(deps: RequestDeps, now: () => Date, cmd: RecoveryRequest): Promise<RecoveryOutcome> {
  const { log } = deps;
  const { user } = cmd;
  const refuse = (code: string, why: string): RecoveryOutcome => {
    log.info({ audit: 'refuse', action: cmd.kind, user, record: cmd.id, code, why }, `${cmd.kind} refused`);
    return { outcome: 'refused', code, message: why };
  };
  const record = await deps.records.get(cmd.id);
  if (!record) return refuse('not_found', `There is no request \`${cmd.id}\`: \`/dbupdate list --all\` shows the ids.`);
  const notAllowed = await recoveryRefusal(deps, record, user, cmd.kind);
  if (notAllowed) return refuse('not_allowed', notAllowed);
  const phase = record.status?.phase ?? 'Pending';
  const engine = engineByKind(record.spec.engine);
  const kube = deps.clusters.get(record.spec.database.cluster);
  if (!engine || !kube) return refuse('unknown_target', `Request \`${cmd.id}\` is for ${record.spec.engine} on cluster \`${record.spec.database.cluster}\`, which this bot does not manage (any more).`);
  const d = record.spec.database;
  if (cmd.kind === 'retry') {
    if (phase !== 'Failed') return refuse('not_failed', `Only a Failed request can be retried; \`${cmd.id}\` is ${phase}.${phase === 'Running' || phase === 'Pending' ? ' Follow its thread.' : ' Ask for a new update with `/dbupdate <engine> <database> <version>`.'} Nothing was changed.`);
    const stillPaused = await inspectPause(kube, engine, record);
    if (stillPaused.ok) return refuse('paused', `${record.spec.engine} \`${d.namespace}/${d.name}\` is still paused by request \`${cmd.id}\`: resume it first with \`/dbupdate resume ${cmd.id}\`, then retry. Nothing was changed.`);
    log.info({ audit: 'retry', user, record: cmd.id, database: d, target: record.spec.targetVersion }, 'retry asked');
    const request = await requestUpdate(deps, kube, now(), {
      engine,
      namespace: d.namespace,
      name: d.name,
      version: record.spec.targetVersion,
      reason: `Retry of ${cmd.id}${record.spec.reason ? `: ${record.spec.reason}` : ''}`.slice(0, 500),
      dryRun: false,
      user,
      channel: cmd.channel,
      triggerId: cmd.triggerId,
      retryOf: cmd.id,
    });
    return { outcome: 'retry', request };
  }
  if (!TERMINAL_PHASES.includes(phase)) {
    return refuse('not_finished', `Request \`${cmd.id}\` is ${phase}, not finished: ${phase === 'Running' ? 'the running update resumes the database itself when it ends' : 'nothing has paused the database yet'}. Nothing was changed.`);
  }
  const seen = await inspectPause(kube, engine, record);
  if (!seen.ok) return refuse(seen.code, `${seen.message} Nothing was changed.`);
  const res = await deps.records.mutateStatus(cmd.id, (st, r) => requestResume(st, r, user, now()));
  log.info({ audit: 'resume-request', user, record: cmd.id, database: record.spec.database, condition: seen.condition.reason, owner: seen.owner, changed: res.changed }, 'resume requested');
  return { outcome: 'resume', record: res.record, changed: res.changed, pauseReason: seen.condition.reason };
}
