/**
 * Checks of what Slack hands the bot back (button `value`s, a modal's `private_metadata`, the click's
 * container) before any of it reaches the Kubernetes API or is trusted as "this bot's message". Pure
 * functions. Slack relays what the app set, but a payload is only as trustworthy as the workspace's
 * clients: a record name of `""`, `.` or `..` would turn a GET of one record into a list of them all, or
 * a path outside the collection, so names are checked first.
 */

/**
 * A DNS-1123 subdomain, the rule for `metadata.name` of most Kubernetes objects, custom resources
 * included: lower-case alphanumerics, `-` and `.`, starting and ending with an alphanumeric, at most 253
 * characters. The regex is `dns1123SubdomainFmt` of k8s.io/apimachinery/pkg/util/validation/validation.go
 * (`IsDNS1123Subdomain`), documented at
 * https://kubernetes.io/docs/concepts/overview/working-with-objects/names/#dns-subdomain-names.
 */
const DNS1123_LABEL = '[a-z0-9]([-a-z0-9]*[a-z0-9])?';
const DNS1123_SUBDOMAIN = new RegExp(`^${DNS1123_LABEL}(\\.${DNS1123_LABEL})*$`);
/** `DNS1123SubdomainMaxLength` of the same file. */
export const DNS1123_SUBDOMAIN_MAX = 253;

/** Whether `v` is a valid Kubernetes object name (a DNS-1123 subdomain, see above). */
export function isRecordName(v: unknown): v is string {
  return typeof v === 'string' && v.length > 0 && v.length <= DNS1123_SUBDOMAIN_MAX && DNS1123_SUBDOMAIN.test(v);
}

/**
 * A Slack message timestamp as Slack writes it: `"<seconds>.<6 digits>"`
 * (https://api.slack.com/messaging/retrieving#individual_messages).
 */
export function isSlackTs(v: unknown): v is string {
  return typeof v === 'string' && /^\d{1,12}\.\d{6}$/.test(v);
}

/**
 * A Slack id (channel `C…`/`G…`/`D…`, user `U…`/`W…`, team `T…`, app `A…`): upper-case letters, digits
 * and `_`, at most 32 characters (Slack ids are opaque but are of this alphabet; the emulator's, e.g.
 * `C_DBOPS`, include `_`).
 */
export function isSlackId(v: unknown): v is string {
  return typeof v === 'string' && /^[A-Z0-9_]{2,32}$/.test(v);
}

/** Where a click came from: the message the button was on and the app/workspace Slack says it is for. */
export interface ClickOrigin {
  /** `body.container.channel_id` (or `body.channel.id`). */
  channel?: string;
  /** `body.container.message_ts`. */
  containerTs?: string;
  /** `body.message.ts` (absent on ephemeral messages). */
  messageTs?: string;
  /** `body.api_app_id`. */
  appId?: string;
  /** `body.team.id` (or `body.user.team_id` for org-wide installs, where `team` is null). */
  teamId?: string;
}

/** This app's own identity: `team_id` from `auth.test` and `app_id` from `bots.info`. */
export interface AppIdentity {
  appId: string;
  teamId: string;
}

/**
 * Whether a click or submission is for this app in this workspace.
 * @returns undefined when it is, else the reason (for the audit log; the user gets a generic refusal).
 */
export function foreignApp(origin: Pick<ClickOrigin, 'appId' | 'teamId'>, self: AppIdentity): string | undefined {
  if (origin.appId !== self.appId) return `api_app_id ${JSON.stringify(origin.appId)} is not this app's ${self.appId}`;
  if (origin.teamId !== self.teamId) return `team ${JSON.stringify(origin.teamId)} is not this app's workspace ${self.teamId}`;
  return undefined;
}

/**
 * Whether a click on an approval button came from the record's own parent message: its channel and ts
 * (`status.slack.channel`/`ts`, written by the notifier when it posted it) must equal the click's
 * container, and `body.message.ts` when Slack sent a message.
 * @returns undefined when it does, else the reason (for the audit log).
 */
export function notFromParent(origin: Pick<ClickOrigin, 'channel' | 'containerTs' | 'messageTs'>, parent: { channel?: string; ts?: string } | undefined): string | undefined {
  if (!parent?.channel || !parent.ts) return 'the request has no approval message yet';
  if (origin.channel !== parent.channel || origin.containerTs !== parent.ts) {
    return `clicked on ${origin.channel}/${origin.containerTs}, not on the request's message ${parent.channel}/${parent.ts}`;
  }
  if (origin.messageTs !== undefined && origin.messageTs !== parent.ts) return `body.message.ts ${origin.messageTs} differs from the container's ${parent.ts}`;
  return undefined;
}

/**
 * What the reject modal carries in `private_metadata` (JSON): the request (`record`) or the fleet batch
 * (`batch`) it rejects, one of the two, and the approval message clicked.
 */
export interface RejectMetadata {
  record?: string;
  batch?: string;
  channel: string;
  ts: string;
}

/**
 * Parse and check the reject modal's `private_metadata` (at most 3,000 characters by Slack's view limits).
 * @returns the metadata, or undefined when it is not JSON or any field is not of its shape.
 */
export function parseRejectMetadata(raw: unknown): RejectMetadata | undefined {
  if (typeof raw !== 'string' || raw.length > 3000) return undefined;
  let v: unknown;
  try {
    v = JSON.parse(raw);
  } catch {
    return undefined;
  }
  const m = v as Partial<RejectMetadata> | null;
  if (!m || typeof m !== 'object') return undefined;
  if (!isSlackId(m.channel) || !isSlackTs(m.ts)) return undefined;
  if (m.batch === undefined && isRecordName(m.record)) return { record: m.record, channel: m.channel, ts: m.ts };
  if (m.record === undefined && isRecordName(m.batch)) return { batch: m.batch, channel: m.channel, ts: m.ts };
  return undefined;
}
