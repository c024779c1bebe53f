/**
 * Who may do what, where: the policy rules of the configuration resolved for one database, and the
 * decisions made from them. Pure functions (group membership is passed in or resolved through a callback).
 *
 * ## Precedence ("most specific wins", field by field)
 * A rule applies when every field of its `match` that is set contains the database's value (`cluster`
 * is compared with the cluster's name, `engine` with the engine's canonical name: aliases such as `pg` are
 * normalized by the schema). Applicable rules are ordered, most specific first, by
 * 1. how many of `cluster`, `namespace`, `engine` they set (3 > 2 > 1);
 * 2. among rules setting as many fields: `namespace` outranks `engine`, which outranks `cluster`, so the
 *    order is c+n+e > n+e > c+n > c+e > n > e > c;
 * 3. among equally specific rules: the one listed first.
 * The top-level settings are the default rule, last. Each setting is taken from the first rule in that order
 * that sets it. Settings that belong together are inherited together: `approvers` + `approverGroups`
 * (a rule setting either replaces both), `requesters` (users, groups, channels as one object) and `windows`
 * (a list replaces the list; `windows: []` means "any time").
 */
import type { Config, MaintenanceWindow, Rule } from './config.js';
import { findEngine } from '../engines/table.js';
import type { UpdateType } from '../engines/versions.js';

/** The database a decision is about. `engine` may be a name, kind or alias (`pg`, `Postgres`). */
export interface PolicyTarget {
  cluster: string;
  namespace: string;
  engine: string;
}

/** A decision: allowed, or refused with a message for the user (Slack mrkdwn). */
export type Decision = { ok: true } | { ok: false; reason: string };

/** The settings in force for one database, after precedence. */
export interface EffectivePolicy {
  /** The database this was resolved for (engine normalized to its canonical name when known). */
  target: PolicyTarget;
  /** Who may request. All empty = anyone from any channel; see {@link mayRequest}. */
  requesters: { users: string[]; groups: string[]; channels: string[] };
  /** Slack user ids who may approve. */
  approvers: string[];
  /** User groups (id `S…` or handle `@dba`) whose members may approve. */
  approverGroups: string[];
  /** Distinct approvals needed for a patch or minor update. */
  approvalsRequired: number;
  /** Whether the requester's own approval counts. */
  allowSelfApproval: boolean;
  /** Approvals added for a major update. */
  majorExtraApprovals: number;
  /** Update types that may be requested. */
  allowedUpdateTypes: UpdateType[];
  /** Maintenance windows; empty = any time. */
  windows: MaintenanceWindow[];
  /** Rules that applied, most specific first, by `name` or `rules.<index>`; `default` last. */
  matched: string[];
  /** Which rule each setting came from (`rules.2`, a rule's name, or `default`). */
  sources: Record<SettingKey, string>;
}

/** The settings a rule can set (inheritance units). */
export type SettingKey =
  | 'requesters'
  | 'approvers'
  | 'approvalsRequired'
  | 'allowSelfApproval'
  | 'majorExtraApprovals'
  | 'allowedUpdateTypes'
  | 'windows';

/** Specificity score of a rule's match (higher = more specific); see the module docs. */
export function specificity(match: Rule['match']): number {
  const n = (match.namespace ? 1 : 0) + (match.engine ? 1 : 0) + (match.cluster ? 1 : 0);
  return n * 8 + (match.namespace ? 4 : 0) + (match.engine ? 2 : 0) + (match.cluster ? 1 : 0);
}

/** Whether a rule applies to a target (engine already canonical). */
function applies(rule: Rule, t: PolicyTarget): boolean {
  const m = rule.match;
  return (!m.cluster || m.cluster.includes(t.cluster)) && (!m.namespace || m.namespace.includes(t.namespace)) && (!m.engine || m.engine.includes(t.engine));
}

/**
 * The effective policy for a database: the configuration's rules applied by precedence (module docs).
 * @param config a validated configuration; @param target cluster name, namespace, engine (name/kind/alias).
 */
export function resolvePolicy(config: Config, target: PolicyTarget): EffectivePolicy {
  const engine = findEngine(target.engine)?.name ?? target.engine.toLowerCase();
  const t: PolicyTarget = { ...target, engine };
  const chain = config.rules
    .map((rule, index) => ({ rule, index, label: rule.name ?? `rules.${index}`, score: specificity(rule.match) }))
    .filter((r) => applies(r.rule, t))
    .sort((a, b) => b.score - a.score || a.index - b.index);
  const sources = {} as Record<SettingKey, string>;
  function pick<T>(key: SettingKey, own: (r: Rule) => T | undefined, fallback: T): T {
    for (const r of chain) {
      const v = own(r.rule);
      if (v !== undefined) {
        sources[key] = r.label;
        return v;
      }
    }
    sources[key] = 'default';
    return fallback;
  }
  const approverSet = pick<{ users: string[]; groups: string[] }>(
    'approvers',
    (r) => (r.approvers !== undefined || r.approverGroups !== undefined ? { users: r.approvers ?? [], groups: r.approverGroups ?? [] } : undefined),
    { users: config.approvers, groups: config.approverGroups },
  );
  return {
    target: t,
    requesters: pick('requesters', (r) => r.requesters, config.requesters),
    approvers: [...approverSet.users],
    approverGroups: [...approverSet.groups],
    approvalsRequired: pick('approvalsRequired', (r) => r.approvalsRequired, config.approvalsRequired),
    allowSelfApproval: pick('allowSelfApproval', (r) => r.allowSelfApproval, config.allowSelfApproval),
    majorExtraApprovals: pick('majorExtraApprovals', (r) => r.majorExtraApprovals, config.majorExtraApprovals),
    allowedUpdateTypes: [...pick<UpdateType[]>('allowedUpdateTypes', (r) => r.allowedUpdateTypes, config.allowedUpdateTypes)],
    windows: pick('windows', (r) => r.windows, config.windows),
    matched: [...chain.map((r) => r.label), 'default'],
    sources,
  };
}

/** Slack mrkdwn mention of a user group: `<!subteam^S123>` for an id, `@dba` for a handle. */
export function groupMention(group: string): string {
  return group.startsWith('@') ? group : `<!subteam^${group}>`;
}

const userMention = (u: string) => `<@${u}>`;
const channelMention = (c: string) => `<#${c}>`;

function describe(t: PolicyTarget): string {
  return `${t.engine} \`${t.namespace}\` on \`${t.cluster}\``;
}

/**
 * May `user` request an update of the policy's database from `channel`?
 * - `requesters.channels` non-empty: the command must come from one of them;
 * - `requesters.users`/`groups` non-empty: the user must be listed or a member of a listed group;
 * - all empty: anyone may request, from anywhere (the behaviour before rules existed).
 * @param who.userGroups the groups (as written in the policy: `S…` or `@handle`) the user is a member of;
 *   get them with `UserGroupResolver.memberOf(user, policy.requesters.groups)`.
 */
export function mayRequest(policy: EffectivePolicy, who: { user: string; userGroups: readonly string[]; channel: string }): Decision {
  const { users, groups, channels } = policy.requesters;
  if (channels.length > 0 && !channels.includes(who.channel)) {
    return { ok: false, reason: `Updates of ${describe(policy.target)} can be requested only in ${channels.map(channelMention).join(', ')}.` };
  }
  if (users.length === 0 && groups.length === 0) return { ok: true };
  if (users.includes(who.user) || groups.some((g) => who.userGroups.includes(g))) return { ok: true };
  const whoMay = [...users.map(userMention), ...groups.map(groupMention)].join(', ');
  return { ok: false, reason: `You may not request updates of ${describe(policy.target)}. Who may: ${whoMay}.` };
}

/** Distinct approvals needed for an update of this type: `approvalsRequired`, plus `majorExtraApprovals` for a major one. */
export function approvalsNeeded(policy: EffectivePolicy, updateType: UpdateType): number {
  return policy.approvalsRequired + (updateType === 'major' ? policy.majorExtraApprovals : 0);
}

/** Whether this update type may be requested at all here. */
export function updateTypeAllowed(policy: EffectivePolicy, updateType: UpdateType): Decision {
  if (policy.allowedUpdateTypes.includes(updateType)) return { ok: true };
  return {
    ok: false,
    reason: `A ${updateType} update of ${describe(policy.target)} is not allowed by policy (allowed: ${policy.allowedUpdateTypes.join(', ')}).`,
  };
}

/** Who may approve one request, resolved to users, and how many of them must. */
export interface ApproverSet {
  /** Every user who may approve: listed users first, then group members, without duplicates. */
  users: string[];
  /** Each approver group with its members at resolution time. */
  groups: Array<{ group: string; members: string[] }>;
  /** Distinct approvals needed ({@link approvalsNeeded}). */
  needed: number;
  /** The approvers as written in the policy, as Slack mrkdwn: `<@U1>, <!subteam^S_DBA>`. */
  mention: string;
}

/**
 * Resolve the approvers of a request: the policy's users plus the members of its groups.
 * @param resolveGroup group (`S…` id or `@handle`) → member user ids, e.g.
 *   `(g) => resolver.members(g)` with a {@link import('./usergroups.js').UserGroupResolver}.
 * @throws whatever `resolveGroup` throws (the resolver's errors name the group and Slack's error code).
 */
export async function approversFor(
  policy: EffectivePolicy,
  updateType: UpdateType,
  resolveGroup: (group: string) => Promise<readonly string[]>,
): Promise<ApproverSet> {
  const groups = await Promise.all(policy.approverGroups.map(async (group) => ({ group, members: [...(await resolveGroup(group))] })));
  const users = [...new Set([...policy.approvers, ...groups.flatMap((g) => g.members)])];
  return {
    users,
    groups,
    needed: approvalsNeeded(policy, updateType),
    mention: [...policy.approvers.map(userMention), ...policy.approverGroups.map(groupMention)].join(', '),
  };
}

/**
 * Can this request ever be approved? Refused when fewer distinct approvers than needed exist, not counting
 * the requester unless `allowSelfApproval` (e.g. a group of two, one of them the requester, and 2 approvals needed).
 */
export function approvable(set: ApproverSet, requester: string, allowSelfApproval: boolean): Decision {
  const eligible = set.users.filter((u) => allowSelfApproval || u !== requester).length;
  if (eligible >= set.needed) return { ok: true };
  return {
    ok: false,
    reason: `This update needs ${set.needed} approval${set.needed === 1 ? '' : 's'} but only ${eligible} approver${eligible === 1 ? '' : 's'}${allowSelfApproval ? '' : ' other than you'} ${eligible === 1 ? 'is' : 'are'} configured (${set.mention || 'none'}). Ask an admin to fix the policy.`,
  };
}

/** "1 of 2 approvals" for the approval message. */
export function approvalProgress(votes: number, needed: number): string {
  return `${votes} of ${needed} approval${needed === 1 ? '' : 's'}`;
}
