/**
 * The bot's configuration: a YAML file (path from `DBUPDATE_CONFIG`) validated with zod at start-up.
 * A bad file stops the bot with errors naming the path of each bad field. Secrets (tokens, signing
 * secret) never live here: they come from the environment.
 */
import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import parseDurationLib from 'parse-duration';
import cron from 'node-cron';
import { ENGINES, findEngine } from '../engines/table.js';
import { cronProblem, isTimeZone, nextOpening } from './windows.js';
import { BackupSchema, ReportSchema } from './reports.js';

const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const SLACK_USER_ID = /^[UW][A-Z0-9_]+$/;
const SLACK_GROUP = /^(S[A-Z0-9_]+|@[a-z0-9][a-z0-9._-]*)$/;
const SLACK_CHANNEL_ID = /^[CGD][A-Z0-9_]+$/;

const namespaceName = z.string().max(63).regex(DNS1123_LABEL, 'must be a DNS-1123 label (lower-case letters, digits, -)');
const slackUser = z.string().regex(SLACK_USER_ID, 'must be a Slack user id such as U012AB3CD');
/** A user group: its id (`S0614TZR7`, as `usergroups.users.list` wants) or its handle with `@` (`@dba`). */
const slackGroup = z.string().regex(SLACK_GROUP, 'must be a user-group id such as S0614TZR7 or a handle such as @dba');
const slackChannel = z.string().regex(SLACK_CHANNEL_ID, 'must be a Slack channel id such as C0123ABCD');

/**
 * Duration text (`90s`, `5m`, `24h`, `1h30m`) → milliseconds, with the `parse-duration` library.
 * A bare number is refused (its unit would be a guess).
 * @throws Error on a malformed string.
 */
export function parseDuration(text: string): number {
  const ms = /[a-z]/i.test(text) ? parseDurationLib(text) : null;
  if (ms === null || ms === undefined || !Number.isFinite(ms) || ms <= 0) {
    throw new Error(`"${text}" is not a duration like 30s, 5m or 24h`);
  }
  return ms;
}

const duration = z.string().refine(
  (s) => {
    try {
      parseDuration(s);
      return true;
    } catch {
      return false;
    }
  },
  { message: 'must be a duration such as 30s, 5m, 24h' },
);

/** Update types, smallest first. */
export const UPDATE_TYPES = ['patch', 'minor', 'major'] as const;

/** Longest maintenance window: a week (longer ones are "always open" and should be left out). */
const MAX_WINDOW_MS = 7 * 24 * 3_600_000;

/** A maintenance window: opens at each match of `cron` (node-cron syntax) in `timezone`, for `duration`. */
const WindowSchema = z
  .object({
    cron: z.string().superRefine((s, ctx) => {
      const problem = cronProblem(s);
      if (problem) ctx.addIssue({ code: 'custom', message: `must be a cron expression such as "0 2 * * sat" (${problem})` });
    }),
    duration: duration.refine(
      (s) => {
        try {
          return parseDuration(s) <= MAX_WINDOW_MS;
        } catch {
          return true; // reported by `duration`
        }
      },
      { message: 'must be at most 7d' },
    ),
    timezone: z
      .string()
      .refine(isTimeZone, { message: 'must be an IANA time zone such as Europe/Berlin or UTC' })
      .default('UTC'),
  })
  .strict()
  .superRefine((w, ctx) => {
    if (cronProblem(w.cron) || !isTimeZone(w.timezone)) return;
    if (!nextOpening(w, new Date(Date.UTC(2026, 0, 1)))) ctx.addIssue({ code: 'custom', path: ['cron'], message: 'never opens (no match within 8 years)' });
  });

/** Who may request: users, members of user groups, and (when listed) only from these channels. */
const RequestersSchema = z
  .object({
    users: z.array(slackUser).default([]),
    groups: z.array(slackGroup).default([]),
    channels: z.array(slackChannel).default([]),
  })
  .strict();

const updateTypes = z.array(z.enum(UPDATE_TYPES)).min(1, 'list at least one of patch, minor, major');

/** Settings a rule may set; unset ones are inherited (see `src/policy/rules.ts`). */
const ruleSettings = {
  /** Who may request (default: anyone, from any channel). */
  requesters: RequestersSchema.optional(),
  /** Slack user ids who may approve (inherited together with `approverGroups`). */
  approvers: z.array(slackUser).optional(),
  /** User groups whose members may approve (ids `S…` or handles `@dba`). */
  approverGroups: z.array(slackGroup).optional(),
  approvalsRequired: z.number().int().min(1).max(10).optional(),
  allowSelfApproval: z.boolean().optional(),
  /** Approvals added to `approvalsRequired` for a major update. */
  majorExtraApprovals: z.number().int().min(0).max(10).optional(),
  /** Update types that may be requested. */
  allowedUpdateTypes: updateTypes.optional(),
  /** Maintenance windows; none = any time. */
  windows: z.array(WindowSchema).optional(),
};

const engineNames = ENGINES.map((e) => e.name).join(', ');
/**
 * A `match` value: one name or a non-empty list of names, normalized to a list. `check` returns the
 * problem with one name (or undefined), `normalize` its canonical form. Errors point at the value
 * (`rules.2.match.engine`) or, in a list, at the bad item (`rules.2.match.engine.1`).
 */
const matchList = (check: (s: string) => string | undefined, normalize: (s: string) => string = (s) => s) =>
  z.unknown().transform((v, ctx) => {
    const list = typeof v === 'string' ? [v] : Array.isArray(v) && v.length > 0 ? v : undefined;
    if (!list) {
      ctx.addIssue({ code: 'custom', message: 'must be a name or a non-empty list of names' });
      return z.NEVER;
    }
    let bad = false;
    list.forEach((item, i) => {
      const problem = typeof item === 'string' ? check(item) : 'must be a string';
      if (problem) {
        bad = true;
        ctx.addIssue({ code: 'custom', message: problem, path: Array.isArray(v) ? [i] : [] });
      }
    });
    return bad ? z.NEVER : (list as string[]).map(normalize);
  });
const dnsLabelProblem = (s: string) => (s.length <= 63 && DNS1123_LABEL.test(s) ? undefined : 'must be a DNS-1123 label (lower-case letters, digits, -)');
const engineProblem = (s: string) => (findEngine(s) ? undefined : `must be a KubeDB engine: ${engineNames}`);

/** One policy rule: where it applies (`match`) and what it sets. */
const RuleSchema = z
  .object({
    /** A name for messages and audit logs (default `rules.<index>`). */
    name: z.string().min(1).max(63).optional(),
    match: z
      .object({
        /** Cluster name(s), compared with `clusterName`. */
        cluster: matchList(dnsLabelProblem).optional(),
        /** Namespace(s) of the database. */
        namespace: matchList(dnsLabelProblem).optional(),
        /** Engine(s): name, kind or alias (`pg`), normalized to the engine's name (`postgres`). */
        engine: matchList(engineProblem, (s) => findEngine(s)!.name).optional(),
      })
      .strict()
      .refine((m) => m.cluster !== undefined || m.namespace !== undefined || m.engine !== undefined, {
        message: 'name at least one of cluster, namespace, engine (the top-level settings are the default rule)',
      }),
    ...ruleSettings,
  })
  .strict();

/** A policy rule as validated. */
export type Rule = z.infer<typeof RuleSchema>;
/** A maintenance window as validated. */
export type MaintenanceWindow = z.infer<typeof WindowSchema>;

/** The schema of the configuration file. */
export const ConfigSchema = z
  .object({
    /** Name of the cluster in messages and records. */
    clusterName: namespaceName.default('default'),
    /** Namespace where `DatabaseUpdate` records live (the bot's own namespace). */
    recordsNamespace: namespaceName.default('dbupdate'),
    /** Namespace used when a command names a database without one. */
    defaultNamespace: namespaceName.default('default'),
    /** Per-channel default namespace (channel id → namespace). */
    channelNamespaces: z.record(z.string(), namespaceName).default({}),
    /**
     * More clusters whose databases the bot updates, each a kubeconfig context; the home cluster
     * (`clusterName`, where records and the Lease live) is the kubeconfig's current context.
     */
    clusters: z.array(z.object({ name: namespaceName, context: z.string().min(1) }).strict()).default([]),
    /** Per-channel default cluster (channel id → cluster name). */
    channelClusters: z.record(z.string(), namespaceName).default({}),
    /** Slack user ids who may approve (default rule). At least one approver or approver group is needed. */
    approvers: z.array(slackUser).default([]),
    /** User groups whose members may approve (default rule). */
    approverGroups: z.array(slackGroup).default([]),
    /** Distinct approvals needed. */
    approvalsRequired: z.number().int().min(1).max(10).default(1),
    /** Whether a requester may approve their own request (default: no). */
    allowSelfApproval: z.boolean().default(false),
    /** How long a request waits for approval before it expires. */
    requestTtl: duration.default('24h'),
    /**
     * `node-cron` schedule of the leader's resync of waiting records (5 or 6 fields; default every minute).
     * Pending records expire by a requeue at their `expiresAt`; the resync only catches a wall clock that jumped.
     */
    expiryCheck: z
      .string()
      .refine((s) => cron.validate(s), { message: 'must be a cron expression such as "* * * * *"' })
      .default('* * * * *'),
    /** Leader election: how long a replica's Lease lasts without renewal before another takes over (s). */
    leaseDurationSeconds: z.number().int().min(1).max(300).default(30),
    /** Who may request (default rule; default: anyone, from any channel). */
    requesters: RequestersSchema.default({ users: [], groups: [], channels: [] }),
    /** Approvals added for a major update (default rule). */
    majorExtraApprovals: z.number().int().min(0).max(10).default(0),
    /** Update types that may be requested (default rule; default all). */
    allowedUpdateTypes: updateTypes.default([...UPDATE_TYPES]),
    /** Maintenance windows (default rule; default none = any time). */
    windows: z.array(WindowSchema).default([]),
    /** Rules by cluster/namespace/engine; the most specific matching rule wins, field by field (rules.ts). */
    rules: z.array(RuleSchema).default([]),
    /** Pipeline backend: KubeDB OpsRequest, the bot's own steps, or chosen by discovery. */
    backend: z.enum(['auto', 'ops-request', 'direct']).default('auto'),
    /** `spec.timeout` of the OpsRequests the bot creates (Go duration). */
    opsRequestTimeout: duration.default('30m'),
    /**
     * How long a finished record (and the OpsRequest it created) is kept before the leader deletes it
     * (`src/updates/retention.ts`); the audit trail of `kubectl get dbupdates` reaches back this far.
     */
    recordRetention: duration.default('30d'),
    /** `node-cron` schedule of that clean-up (default daily at 03:17). */
    retentionCheck: z
      .string()
      .refine((s) => cron.validate(s), { message: 'must be a cron expression such as "17 3 * * *"' })
      .default('17 3 * * *'),
    /** Scheduled version-drift reports (`src/policy/reports.ts`; default none). */
    reports: z.array(ReportSchema).default([]),
    /**
     * Fleet requests (`/dbupdate <engine> -l …`, issue #19 item 1): after a canary wave of one database,
     * `maxParallel` members are updated at once, with `soak` between waves (default 2 and 5 min).
     */
    fleet: z
      .object({ maxParallel: z.number().int().min(1).max(50).default(2), soak: duration.default('5m') })
      .strict()
      .default({ maxParallel: 2, soak: '5m' }),
    /** A KubeStash backup before a major update (`src/policy/reports.ts`; default `beforeMajor: ifConfigured`). */
    backup: BackupSchema.default({ beforeMajor: 'ifConfigured', timeout: '30m' }),
  })
  .strict()
  .superRefine((c, ctx) => {
    if (c.approvers.length === 0 && c.approverGroups.length === 0) {
      ctx.addIssue({ code: 'custom', path: ['approvers'], message: 'list at least one approver (or approverGroups)' });
    }
    checkApprovable(c, undefined, ctx);
    const seen = new Map<string, number>();
    c.rules.forEach((r, i) => {
      const key = JSON.stringify([r.match.cluster, r.match.namespace, r.match.engine].map((l) => [...new Set(l ?? [])].sort()));
      const dup = seen.get(key);
      if (dup !== undefined) ctx.addIssue({ code: 'custom', path: ['rules', i, 'match'], message: `the same match as rules.${dup}.match: merge the two rules` });
      else seen.set(key, i);
      const setsApprovers = r.approvers !== undefined || r.approverGroups !== undefined;
      if (setsApprovers && (r.approvers ?? []).length === 0 && (r.approverGroups ?? []).length === 0) {
        ctx.addIssue({ code: 'custom', path: ['rules', i, 'approvers'], message: 'list at least one approver (or approverGroups), or leave both out to inherit' });
      }
      checkApprovable(c, i, ctx);
    });
  });

/**
 * When only user ids can approve (no groups, whose size is unknown here), the approvals needed must not
 * exceed the number of approvers, or a request could never be approved. Checked on the default rule
 * (`ruleIndex` undefined) and on each rule with what it inherits from the top level.
 */
function checkApprovable(
  c: { approvers: string[]; approverGroups: string[]; approvalsRequired: number; majorExtraApprovals: number; allowedUpdateTypes: string[]; rules: Rule[] },
  ruleIndex: number | undefined,
  ctx: z.RefinementCtx,
): void {
  const r = ruleIndex === undefined ? undefined : c.rules[ruleIndex];
  const own = r && (r.approvers !== undefined || r.approverGroups !== undefined);
  const users = own ? (r.approvers ?? []) : c.approvers;
  const groups = own ? (r.approverGroups ?? []) : c.approverGroups;
  if (groups.length > 0 || users.length === 0) return;
  const required = r?.approvalsRequired ?? c.approvalsRequired;
  const types = r?.allowedUpdateTypes ?? c.allowedUpdateTypes;
  const extra = types.includes('major') ? (r?.majorExtraApprovals ?? c.majorExtraApprovals) : 0;
  const prefix = ruleIndex === undefined ? [] : ['rules', ruleIndex];
  const distinct = new Set(users).size;
  if (required > distinct) {
    ctx.addIssue({ code: 'custom', path: [...prefix, 'approvalsRequired'], message: `needs ${required} approvals but only ${distinct} approver(s) are listed` });
  } else if (required + extra > distinct) {
    ctx.addIssue({ code: 'custom', path: [...prefix, 'majorExtraApprovals'], message: `a major update needs ${required + extra} approvals but only ${distinct} approver(s) are listed` });
  }
}

/** A validated configuration. */
export type Config = z.infer<typeof ConfigSchema>;

/** Thrown when a configuration is invalid; `issues` are `path: message` lines. */
export class ConfigError extends Error {
  constructor(
    readonly issues: string[],
    source: string,
  ) {
    super(`invalid configuration in ${source}:\n  ${issues.join('\n  ')}`);
  }
}

/**
 * Validate a configuration object.
 * @throws ConfigError listing each bad field as `path.to.field: message`.
 */
export function validateConfig(input: unknown, source = 'config'): Config {
  const res = ConfigSchema.safeParse(input ?? {});
  if (!res.success) {
    throw new ConfigError(
      res.error.issues.map((i) => `${i.path.length ? i.path.join('.') : '(root)'}: ${i.message}`),
      source,
    );
  }
  return res.data;
}

/** Read and validate a YAML configuration file. @throws ConfigError (bad content) or Error (unreadable, not YAML). */
export function loadConfigFile(path: string): Config {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new Error(`cannot read configuration file ${path}: ${(err as Error).message}`);
  }
  let data: unknown;
  try {
    data = parseYaml(text);
  } catch (err) {
    throw new ConfigError([`not valid YAML: ${(err as Error).message}`], path);
  }
  return validateConfig(data, path);
}
