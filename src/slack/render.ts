/**
 * Block Kit rendering of a DatabaseUpdate record: the parent (approval/status) message and the thread
 * posts. Pure functions. Limits respected (Slack Block Kit reference): ≤ 50 blocks, section text ≤ 3,000
 * characters, button `value` ≤ 2,000, `action_id` ≤ 255.
 */
import { createHash } from 'node:crypto';
import type { DatabaseUpdate, Step, StepName } from '../api/v1alpha1/databaseupdate.js';
import { approvalProgress } from '../policy/rules.js';

/** action_id of the Approve button; its `value` is the record name. */
export const ACTION_APPROVE = 'dbupdate_approve';
/** action_id of the Reject button; it opens the reason modal. */
export const ACTION_REJECT = 'dbupdate_reject';
/** callback_id of the reject-reason modal; `private_metadata` holds `{record, channel, ts}` as JSON. */
export const VIEW_REJECT = 'dbupdate_reject_reason';
/** block_id / action_id of the reason input in the reject modal. */
export const REJECT_REASON_BLOCK = 'reason';
export const REJECT_REASON_ACTION = 'reason_input';

/** A message to post: fallback `text` (notifications, screen readers) and `blocks`. */
export interface Rendered {
  text: string;
  blocks: unknown[];
}

/**
 * A thread reply identified by a stable key, so each is posted once. An `editable` reply (progress) is
 * posted once and then edited in place when its text changes.
 */
export interface ThreadPost {
  key: string;
  text: string;
  editable?: boolean;
}

export { STEP_LABEL } from '../api/v1alpha1/databaseupdate.js';
import { STEP_LABEL } from '../api/v1alpha1/databaseupdate.js';

/** Words for a step that failed. */
export const STEP_FAILED_LABEL: Record<StepName, string> = {
  backup: 'Backup failed',
  paused: 'Pausing failed',
  'pre-update': 'Pre-update failed',
  images: 'Updating images failed',
  checks: 'Checks failed',
  resumed: 'Resuming failed',
};

const STEP_EMOJI: Record<StepName, string> = {
  backup: ':floppy_disk:',
  paused: ':double_vertical_bar:',
  'pre-update': ':toolbox:',
  images: ':frame_with_picture:',
  checks: ':white_check_mark:',
  resumed: ':arrow_forward:',
};

/** Escape `&`, `<`, `>` as Slack's mrkdwn requires for user text (Slack "Formatting text" docs). */
export function escapeMrkdwn(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** `1.2s`, `2m 05s`, `1h 02m` from milliseconds. */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return '?';
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)}s`;
  const s = Math.round(ms / 1000);
  if (s < 3600) return `${Math.floor(s / 60)}m ${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h ${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}

function stepDuration(s: Step): number | undefined {
  if (!s.startedAt || !s.finishedAt) return undefined;
  return Date.parse(s.finishedAt) - Date.parse(s.startedAt);
}

const mention = (u: string) => `<@${u}>`;

/** `MySQL demo/orders 8.0.35 → 8.4.3` */
export function title(r: DatabaseUpdate): string {
  return `${r.spec.engine} \`${r.spec.database.namespace}/${r.spec.database.name}\` ${r.spec.fromVersion} → ${r.spec.targetVersion}`;
}

/** Words for a step not done yet (pending or running): `updating images`, `resuming`. */
export const STEP_TODO_LABEL: Record<StepName, string> = {
  backup: 'backing up',
  paused: 'pausing',
  'pre-update': 'preparing the update',
  images: 'updating images',
  checks: 'checking',
  resumed: 'resuming',
};

/**
 * The one-line progress, each step in the words of its state:
 * `preflight ✓ → paused ✓ → updating images … → checking → resuming`, and on a failure
 * `… → paused ✓ → updating images failed ✗` (the steps after a failed one are not listed: they will not run).
 */
export function progressLine(r: DatabaseUpdate): string {
  const parts = ['preflight ✓'];
  for (const s of r.status?.steps ?? []) {
    if (s.state === 'Succeeded') parts.push(`${STEP_LABEL[s.name]} ✓`);
    else if (s.state === 'Running') parts.push(`${STEP_TODO_LABEL[s.name]} …`);
    else if (s.state === 'Failed') {
      parts.push(`${STEP_FAILED_LABEL[s.name].toLowerCase()} ✗`);
      break;
    } else parts.push(STEP_TODO_LABEL[s.name]);
  }
  return parts.join(' → ');
}

/** The status sentence of the parent message, per phase. */
export function statusLine(r: DatabaseUpdate): string {
  const st = r.status ?? {};
  const votes = st.approvals ?? [];
  switch (st.phase ?? 'Pending') {
    case 'Pending':
      return `:hourglass_flowing_sand: *Waiting for approval* — ${approvalProgress(votes.length, r.spec.approvalsRequired)}. Approvers: ${r.spec.approverMention || r.spec.approvers.map(mention).join(', ')}.${r.spec.allowSelfApproval ? '' : ' The requester cannot approve.'} Expires ${utc(r.spec.expiresAt)}.${r.spec.notBefore ? ` Starts no earlier than ${utc(r.spec.notBefore)}.` : ''}`;
    case 'Approved':
      return `:white_check_mark: *Approved* by ${votes.map((v) => mention(v.user)).join(', ')} — starting.`;
    case 'Scheduled':
      return `:calendar: *Scheduled* — approved by ${votes.map((v) => mention(v.user)).join(', ')}; starts at ${st.scheduledFor ? utc(st.scheduledFor) : 'the next maintenance window'}.`;
    case 'Running': {
      const cur = (st.steps ?? []).find((s) => s.state === 'Running');
      return `:rocket: *Running*${cur ? ` — ${STEP_LABEL[cur.name]} in progress` : ''}.`;
    }
    case 'Succeeded':
      return `:tada: *Succeeded* — \`${r.spec.database.name}\` runs ${r.spec.targetVersion}${totalTime(r)}.`;
    case 'Failed': {
      // The account and what to do are in the thread's last post, said once there (not repeated here).
      const failed = (st.steps ?? []).find((s) => s.state === 'Failed');
      const paused = /still paused/i.test(st.message ?? '') ? ' :rotating_light: The database is still paused.' : '';
      return `:x: *Failed*${failed ? ` while ${STEP_TODO_LABEL[failed.name]}` : ''}.${paused} What happened and what to do next: see the thread.`;
    }
    case 'Rejected':
      return `:no_entry_sign: *Rejected* by ${mention(st.rejection?.user ?? '?')}: ${escapeMrkdwn(st.rejection?.reason ?? '')}`;
    case 'Expired':
      return ':hourglass: *Expired* — nobody approved it in time. Ask again if it is still needed.';
    case 'Cancelled':
      return `:wastebasket: *Cancelled* by ${mention(st.cancellation?.user ?? '?')}.`;
  }
}

/** `2026-11-28 02:00 UTC` from an RFC 3339 time. */
function utc(iso: string): string {
  return iso.replace('T', ' ').replace(/:\d\d(\.\d+)?Z$/, ' UTC');
}

function totalTime(r: DatabaseUpdate): string {
  const st = r.status ?? {};
  if (!st.startedAt || !st.finishedAt) return '';
  return ` in ${formatDuration(Date.parse(st.finishedAt) - Date.parse(st.startedAt))}`;
}

/** The parent message: what will happen, who may approve, the live state, and buttons while Pending. */
export function renderParent(r: DatabaseUpdate): Rendered {
  const s = r.spec;
  const phase = r.status?.phase ?? 'Pending';
  const fields = [
    `*Database*\n${s.engine} \`${s.database.namespace}/${s.database.name}\``,
    `*Cluster*\n\`${s.database.cluster}\``,
    `*Version*\n${s.fromVersion} → *${s.targetVersion}*`,
    `*Update type*\n${s.updateType}${s.updateType === 'major' ? ' :warning:' : ''}`,
    `*Replicas*\n${s.replicas ?? '?'}`,
    `*Pipeline*\n${s.backend === 'ops-request' ? 'KubeDB OpsRequest' : 'direct (by the bot)'}`,
    `*Requested by*\n${mention(s.requester)}`,
    `*Request*\n\`${r.metadata.name}\``,
  ].map((text) => ({ type: 'mrkdwn', text }));
  const blocks: unknown[] = [
    { type: 'header', text: { type: 'plain_text', text: `Database update: ${s.database.name} → ${s.targetVersion}`.slice(0, 150) } },
    { type: 'section', fields },
  ];
  if (s.reason) blocks.push({ type: 'section', text: { type: 'mrkdwn', text: `*Reason*\n${escapeMrkdwn(s.reason)}`.slice(0, 3000) } });
  blocks.push({ type: 'section', text: { type: 'mrkdwn', text: statusLine(r).slice(0, 3000) } });
  if ((r.status?.steps ?? []).length > 0) {
    blocks.push({ type: 'context', elements: [{ type: 'mrkdwn', text: progressLine(r) }] });
  }
  if (phase === 'Pending') {
    blocks.push({
      type: 'actions',
      block_id: 'decision',
      elements: [
        { type: 'button', action_id: ACTION_APPROVE, style: 'primary', text: { type: 'plain_text', text: 'Approve' }, value: r.metadata.name },
        { type: 'button', action_id: ACTION_REJECT, style: 'danger', text: { type: 'plain_text', text: 'Reject' }, value: r.metadata.name },
      ],
    });
  }
  const text = `${phase}: ${s.engine} ${s.database.namespace}/${s.database.name} ${s.fromVersion} → ${s.targetVersion} (requested by ${mention(s.requester)})`;
  return { text, blocks };
}

/** A stable hash of a rendering (skips `chat.update` calls that would change nothing). */
export function renderHash(m: Rendered): string {
  return createHash('sha256').update(JSON.stringify(m)).digest('hex').slice(0, 16);
}

/** Summary of step durations: `paused 1.0s · images updated 8.2s · …`. */
export function stepSummary(steps: Step[]): string {
  return steps
    .filter((s) => s.state === 'Succeeded')
    .map((s) => `${STEP_LABEL[s.name]} ${formatDuration(stepDuration(s) ?? NaN)}`)
    .join(' · ');
}

/**
 * The thread replies a record calls for, in order. Keys are stable, so the notifier posts each once.
 * Steps are posted in pipeline order: a step's post waits for the posts of the steps before it.
 */
export function threadPosts(r: DatabaseUpdate): ThreadPost[] {
  const st = r.status ?? {};
  const posts: ThreadPost[] = [];
  const required = r.spec.approvalsRequired;
  (st.approvals ?? []).forEach((v, i) => {
    posts.push({ key: `vote:${v.user}`, text: `:thumbsup: ${mention(v.user)} approved (${approvalProgress(i + 1, required)}).` });
  });
  if (st.scheduledFor && (st.phase === 'Scheduled' || st.startedAt)) {
    posts.push({ key: 'scheduled', text: `:calendar: Approved outside the maintenance window: the update waits and starts at ${utc(st.scheduledFor)}.` });
  }
  if (st.rejection) posts.push({ key: 'rejected', text: `:no_entry_sign: ${mention(st.rejection.user)} rejected this request: ${escapeMrkdwn(st.rejection.reason)}` });
  if (st.phase === 'Expired') posts.push({ key: 'expired', text: ':hourglass: This request expired without enough approvals; nothing was changed.' });
  if (st.cancellation) posts.push({ key: 'cancelled', text: `:wastebasket: ${mention(st.cancellation.user)} cancelled this request; nothing was changed.` });
  // The OpsRequest is named when the run starts but created only after the backup before a major update
  // (src/pipeline/backup.ts): until that backup has succeeded the thread does not say it was created, and
  // then says it after the *backed up* post.
  const ops = st.opsRequest;
  const backup = (st.steps ?? []).find((s) => s.name === 'backup');
  const opsRequestCreated = !!ops && (!backup || backup.state === 'Succeeded');
  const started: ThreadPost | undefined =
    st.startedAt && (opsRequestCreated || r.spec.backend === 'direct')
      ? { key: 'started', text: `:rocket: Update started: ${ops && opsRequestCreated ? `created ${ops.kind} \`${ops.namespace}/${ops.name}\`` : 'the bot runs the steps itself'}.` }
      : undefined;
  const startedAfterBackup = !!ops && !!backup;
  if (started && !startedAfterBackup) posts.push(started);
  for (const s of st.steps ?? []) {
    const progress = st.progress?.[s.name];
    if (progress && s.state !== 'Pending') {
      const mark = s.state === 'Succeeded' ? ':white_check_mark:' : s.state === 'Failed' ? ':x:' : ':hourglass_flowing_sand:';
      posts.push({ key: `progress:${s.name}`, text: `${mark} ${escapeMrkdwn(progress)}`, editable: true });
    }
    if (s.state === 'Succeeded') {
      const d = stepDuration(s);
      posts.push({
        key: `step:${s.name}`,
        text: `${STEP_EMOJI[s.name]} *${capitalise(STEP_LABEL[s.name])}*${d !== undefined ? ` (${formatDuration(d)})` : ''}${s.message ? ` — ${escapeMrkdwn(s.message)}` : ''}`,
      });
      if (s.name === 'backup' && started && startedAfterBackup) posts.push(started);
    } else if (s.state === 'Failed') {
      posts.push({
        key: `step:${s.name}:failed`,
        text: `:x: *${STEP_FAILED_LABEL[s.name]}*${s.reason ? ` (\`${escapeMrkdwn(s.reason)}\`)` : ''}${s.message ? `: ${escapeMrkdwn(s.message)}` : '.'}`,
      });
      break;
    } else break;
  }
  if (st.phase === 'Succeeded') {
    posts.push({
      key: 'done',
      text: `:tada: *Done*: ${title(r)}${totalTime(r)} (${stepSummary(st.steps ?? [])}).`,
    });
  }
  if (st.phase === 'Failed') {
    // The chat recovery commands (src/slack/listeners/commands/recovery.ts), for the requester or an approver.
    const paused = /still paused/i.test(st.message ?? '');
    const next = `${paused ? `Resume it from here: \`/dbupdate resume ${r.metadata.name}\`. ` : ''}Once the cause is fixed, \`/dbupdate retry ${r.metadata.name}\` asks again.`;
    // The record's message once, here (the parent only points at it); the step is named by the post above.
    const failedStep = (st.steps ?? []).find((s) => s.state === 'Failed');
    posts.push({ key: 'failed', text: `:rotating_light: *Update failed*: ${escapeMrkdwn(withoutStepAccount(st.message ?? 'see above.', failedStep))}\n${next}` });
  }
  // `/dbupdate resume <id>` (src/updates/resume.ts): one line per resume asked, once the leader has acted.
  if (st.resume && st.resume.state !== 'Requested') {
    const how = { Succeeded: ':arrow_forward: *Resumed*', Refused: ':warning: *Resume not done*', Failed: ':rotating_light: *Resume failed*' }[st.resume.state];
    posts.push({ key: `resume:${st.resume.at}`, text: `${how} (asked by ${mention(st.resume.requestedBy)}): ${escapeMrkdwn(st.resume.message ?? '')}` });
  }
  return posts;
}

/**
 * The record's failure message without its leading account of the failed step when the step's own post
 * already says it (the ops-request backend writes `KubeDB says \`<reason>\`: <message>. <database state> Next: …`,
 * src/pipeline/ops-backend.ts): the thread then says the step's cause once, and the last post the database's
 * state and what to do. A message of another shape is kept whole.
 */
export function withoutStepAccount(message: string, step: Step | undefined): string {
  if (!step?.reason) return message;
  const lead = `KubeDB says \`${step.reason}\`: ${step.message ?? ''}. `;
  return message.startsWith(lead) && message.length > lead.length ? message.slice(lead.length) : message;
}

function capitalise(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}

/**
 * What a message shows, as a string to compare a message read back from Slack with a rendering: its
 * `text` and every string under `text`, `value` and `action_id` in its blocks, in order. Slack adds
 * attributes of its own to stored blocks (`block_id`, `emoji`, `verbatim`: https://api.slack.com/reference/block-kit/blocks),
 * so whole blocks cannot be compared. Pure.
 */
export function contentKey(m: { text?: unknown; blocks?: unknown }): string {
  const out: string[] = [typeof m.text === 'string' ? m.text : ''];
  const walk = (v: unknown, key?: string): void => {
    if (typeof v === 'string') {
      if (key === 'text' || key === 'value' || key === 'action_id') out.push(v);
    } else if (Array.isArray(v)) v.forEach((x) => walk(x));
    else if (v && typeof v === 'object') for (const [k, x] of Object.entries(v)) walk(x, k);
  };
  walk(m.blocks ?? []);
  return out.join('\u0000');
}
