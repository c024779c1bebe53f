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

const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const SLACK_USER_ID = /^[UW][A-Z0-9_]+$/;

const namespaceName = z.string().max(63).regex(DNS1123_LABEL, 'must be a DNS-1123 label (lower-case letters, digits, -)');
const slackUser = z.string().regex(SLACK_USER_ID, 'must be a Slack user id such as U012AB3CD');

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
    /** Slack user ids who may approve. */
    approvers: z.array(slackUser).min(1, 'list at least one approver'),
    /** Distinct approvals needed. */
    approvalsRequired: z.number().int().min(1).max(10).default(1),
    /** Whether a requester may approve their own request (default: no). */
    allowSelfApproval: z.boolean().default(false),
    /** How long a request waits for approval before it expires. */
    requestTtl: duration.default('24h'),
    /** `node-cron` schedule of the expiry check of pending requests (5 or 6 fields; default every minute). */
    expiryCheck: z
      .string()
      .refine((s) => cron.validate(s), { message: 'must be a cron expression such as "* * * * *"' })
      .default('* * * * *'),
    /** Leader election: how long a replica's Lease lasts without renewal before another takes over (s). */
    leaseDurationSeconds: z.number().int().min(1).max(300).default(15),
    /** Pipeline backend: KubeDB OpsRequest, the bot's own steps, or chosen by discovery. */
    backend: z.enum(['auto', 'ops-request', 'direct']).default('auto'),
    /** `spec.timeout` of the OpsRequests the bot creates (Go duration). */
    opsRequestTimeout: duration.default('30m'),
  })
  .strict();

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
