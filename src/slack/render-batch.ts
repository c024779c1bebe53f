/**
 * Block Kit of fleet updates (issue #19 item 1), pure: the plan table a requester sees before approvers
 * are asked (will update from → to with the update type, nothing to do, refused with the reason), the
 * batch's parent message as a live table (counts, each member's state and current step, the buttons of
 * the phase), and the batch's thread posts — one per wave, halt, resume and end, not one per member step,
 * so a 200-member batch posts about one message per wave.
 *
 * Slack's limits (https://api.slack.com/reference/block-kit/blocks): 50 blocks per message, 3,000
 * characters in a section's text. The member table is cut into sections of at most {@link SECTION_CHARS}
 * and at most {@link MAX_MEMBER_LINES} lines; the rest is summarised by state.
 */
import { STEP_LABEL, type DatabaseUpdate } from '../api/v1alpha1/databaseupdate.js';
import { batchWaves, type BatchLeftOut, type BatchMember, type DatabaseUpdateBatch } from '../api/v1alpha1/databaseupdatebatch.js';
import type { BatchOutcome } from '../updates/batch-request.js';
import { STEP_TODO_LABEL, escapeMrkdwn, renderHash, type Rendered, type ThreadPost } from './render.js';

/** action_id of the batch's Approve button (value: the batch name). */
export const ACTION_BATCH_APPROVE = 'dbupdate_batch_approve';
/** action_id of the batch's Reject button. */
export const ACTION_BATCH_REJECT = 'dbupdate_batch_reject';
/** action_id of Resume on a halted batch. */
export const ACTION_BATCH_RESUME = 'dbupdate_batch_resume';
/** action_id of Abort on a halted batch. */
export const ACTION_BATCH_ABORT = 'dbupdate_batch_abort';

/** Longest text of one table section (Slack allows 3,000). */
export const SECTION_CHARS = 2800;
/** Member lines shown in a message; the rest are counted by state. */
export const MAX_MEMBER_LINES = 60;

const mention = (u: string) => `<@${u}>`;

/**
 * Warnings that several members share (a base-OS change for the whole fleet, say), numbered in order of
 * first appearance: the table names each once, as a note, instead of on every member's line. Pure.
 */
export function sharedWarnings(members: readonly BatchMember[]): Map<string, { note: number; count: number }> {
  const counts = new Map<string, number>();
  for (const m of members) if (m.warning) counts.set(m.warning, (counts.get(m.warning) ?? 0) + 1);
  const out = new Map<string, { note: number; count: number }>();
  for (const [w, count] of counts) if (count > 1) out.set(w, { note: out.size + 1, count });
  return out;
}

/** The notes section of {@link sharedWarnings} (none when no warning is shared). */
function noteBlocks(shared: Map<string, { note: number; count: number }>): unknown[] {
  const lines = [...shared].map(([w, n]) => `:warning: *Note ${n.note}* (${n.count} members): ${escapeMrkdwn(w)}`);
  return lines.length ? sections('', lines, 10) : [];
}

/**
 * One member's line of the plan: `` `ns/name` 8.0.35 → 8.4.8 (minor) ``, with its warning, or the number
 * of the note that holds a warning several members share.
 */
function memberPlanLine(m: BatchMember, shared: Map<string, { note: number; count: number }> = new Map()): string {
  const note = m.warning ? shared.get(m.warning) : undefined;
  const warning = !m.warning ? '' : note ? ` — see *Note ${note.note}*` : ` — ${escapeMrkdwn(m.warning)}`;
  return `\`${m.namespace}/${m.name}\` ${m.fromVersion} → *${m.targetVersion}* (${m.updateType}${m.updateType === 'major' ? ' :warning:' : ''})${warning}`;
}

function leftOutLine(l: BatchLeftOut): string {
  return `\`${l.namespace}/${l.name}\`${l.outcome === 'refused' ? `: ${l.message.replace(/\n+/g, ' ')}` : ''}`;
}

/** Lines packed into sections of at most {@link SECTION_CHARS}, `limit` lines at most and the rest counted. */
function sections(title: string, lines: string[], limit = MAX_MEMBER_LINES): unknown[] {
  const shown = lines.slice(0, limit);
  if (lines.length > limit) shown.push(`…and ${lines.length - limit} more`);
  const out: unknown[] = [];
  let cur = title;
  for (const l of shown) {
    const line = l.length > 600 ? `${l.slice(0, 597)}…` : l;
    if (cur.length + line.length + 1 > SECTION_CHARS) {
      out.push({ type: 'section', text: { type: 'mrkdwn', text: cur } });
      cur = line;
    } else cur = cur ? `${cur}\n${line}` : line;
  }
  if (cur) out.push({ type: 'section', text: { type: 'mrkdwn', text: cur } });
  return out;
}

/** The plan table as blocks: will update, nothing to do, refused. */
export function planBlocks(members: BatchMember[], leftOut: BatchLeftOut[]): unknown[] {
  const nothing = leftOut.filter((l) => l.outcome === 'nothing');
  const refused = leftOut.filter((l) => l.outcome === 'refused');
  const shared = sharedWarnings(members);
  return [
    ...(members.length ? sections(`*Will update (${members.length})*`, members.map((m) => `• ${memberPlanLine(m, shared)}`)) : []),
    ...noteBlocks(shared),
    ...(nothing.length ? sections(`*Nothing to do (${nothing.length})* — already on the target`, [nothing.map(leftOutLine).join(', ')], 1) : []),
    ...(refused.length ? sections(`*Refused (${refused.length})* — left out, the rest go ahead`, refused.map((l) => `• ${leftOutLine(l)}`), 20) : []),
  ];
}

/** The plan table as mrkdwn text (the ephemeral answer to the requester). */
export function planText(members: BatchMember[], leftOut: BatchLeftOut[]): string {
  return planBlocks(members, leftOut)
    .map((b) => (b as { text: { text: string } }).text.text)
    .join('\n');
}

/** A member's state as the table shows it. */
export interface MemberState {
  member: BatchMember;
  /** The member's record phase; `Waiting` (no record yet), `Held` (no record, batch halted or stopped), `Skipped`. */
  state: string;
  /** The record's current step in words (`images updated`), when running. */
  step?: string;
  record?: string;
}

/** Each member's state, from the batch and its member records (by `namespace/name`). Pure. */
export function memberStates(b: DatabaseUpdateBatch, records: Map<string, DatabaseUpdate>): MemberState[] {
  const skipped = new Set((b.status?.skipped ?? []).map((s) => s.member));
  const phase = b.status?.phase ?? 'Pending';
  const held = ['Halted', 'Aborted', 'Cancelled', 'Failed', 'Expired', 'Rejected'].includes(phase);
  return b.spec.members.map((m) => {
    const key = `${m.namespace}/${m.name}`;
    const r = records.get(key);
    if (!r) return { member: m, state: skipped.has(key) ? 'Skipped' : held ? 'Held' : 'Waiting' };
    const steps = r.status?.steps ?? [];
    const running = steps.find((s) => s.state === 'Running');
    const done = [...steps].reverse().find((s) => s.state === 'Succeeded');
    const step = r.status?.phase === 'Running' ? (running ? `${STEP_TODO_LABEL[running.name]}…` : done ? STEP_LABEL[done.name] : 'starting') : undefined;
    return { member: m, state: r.status?.phase ?? 'Pending', ...(step ? { step } : {}), record: r.metadata.name };
  });
}

const STATE_ICON: Record<string, string> = {
  Succeeded: ':white_check_mark:',
  Failed: ':x:',
  Running: ':arrows_counterclockwise:',
  Scheduled: ':calendar:',
  Approved: ':hourglass_flowing_sand:',
  Waiting: ':white_circle:',
  Held: ':double_vertical_bar:',
  Skipped: ':fast_forward:',
  Cancelled: ':wastebasket:',
};

/** `3 members · 1 succeeded · 1 running · 1 waiting`. Pure. */
export function countsLine(states: MemberState[]): string {
  const counts = new Map<string, number>();
  for (const s of states) counts.set(s.state, (counts.get(s.state) ?? 0) + 1);
  const order = ['Succeeded', 'Running', 'Scheduled', 'Approved', 'Waiting', 'Held', 'Failed', 'Skipped', 'Cancelled', 'Pending'];
  const parts = order.filter((k) => counts.has(k)).map((k) => `${counts.get(k)} ${k.toLowerCase()}`);
  return [`${states.length} member${states.length === 1 ? '' : 's'}`, ...parts].join(' · ');
}

/** The phase line of the parent. */
function phaseLine(b: DatabaseUpdateBatch): string {
  const st = b.status ?? {};
  const waves = batchWaves(b.spec.members.length, b.spec.maxParallel).length;
  const wave = st.wave !== undefined ? ` · wave ${st.wave + 1} of ${waves}${st.wave === 0 ? ' (canary)' : ''}` : ` · ${waves} wave${waves === 1 ? '' : 's'}: a canary, then ${b.spec.maxParallel} at a time, ${b.spec.soakSeconds}s apart`;
  const approvals = (st.approvals ?? []).map((v) => mention(v.user)).join(', ');
  switch (st.phase ?? 'Pending') {
    case 'Pending':
      return `:hourglass: *Waiting for approval* — ${st.approvals?.length ?? 0} of ${b.spec.approvalsRequired} from ${b.spec.approverMention || b.spec.approvers.map(mention).join(', ')}${wave}`;
    case 'Approved':
    case 'Running':
      return `:arrows_counterclockwise: *Running*${wave} — approved by ${approvals}`;
    case 'Halted':
      return `:octagonal_sign: *Halted*${wave}: \`${st.halt?.member}\` failed — ${escapeMrkdwn(st.halt?.message ?? '')}\nRunning members finish; the rest are held. Resume (go on past it) or Abort.`;
    case 'Succeeded':
      return `:white_check_mark: *Succeeded* — every member updated`;
    case 'Failed':
      return `:x: *Finished with failures* — ${escapeMrkdwn(st.message ?? '')}`;
    case 'Aborted':
      return `:no_entry: *Aborted* — ${st.message ?? ''}`;
    case 'Cancelled':
      return `:wastebasket: *Cancelled* by ${mention(st.cancellation?.user ?? '')}: no more members start; running ones finish.`;
    case 'Rejected':
      return `:no_entry_sign: *Rejected* by ${mention(st.rejection?.user ?? '')}${st.rejection?.reason ? `: ${escapeMrkdwn(st.rejection.reason)}` : ''}; nothing was changed.`;
    case 'Expired':
      return `:alarm_clock: *Expired* without enough approvals; nothing was changed.`;
  }
  return '';
}

/**
 * The batch's parent message: header, what and who, the phase, counts, the member table (each member's
 * state and step) and what was left out, then the phase's buttons (Approve/Reject while Pending,
 * Resume/Abort while Halted). Pure.
 */
export function renderBatchParent(b: DatabaseUpdateBatch, records: Map<string, DatabaseUpdate>): Rendered {
  const s = b.spec;
  const phase = b.status?.phase ?? 'Pending';
  const states = memberStates(b, records);
  const shared = sharedWarnings(s.members);
  const lines = states.map((m) => `${STATE_ICON[m.state] ?? ':white_circle:'} ${memberPlanLine(m.member, shared)} — ${m.state}${m.step ? ` (${m.step})` : ''}`);
  const blocks: unknown[] = [
    { type: 'header', text: { type: 'plain_text', text: `Fleet update: ${s.engine} → ${s.requestedVersion}`.slice(0, 150) } },
    {
      type: 'section',
      text: { type: 'mrkdwn', text: `*${escapeMrkdwn(s.selection)}* on \`${s.cluster}\` · requested by ${mention(s.requester)} · batch \`${b.metadata.name}\`${s.reason ? `\n*Reason:* ${escapeMrkdwn(s.reason)}` : ''}`.slice(0, 3000) },
    },
    { type: 'section', text: { type: 'mrkdwn', text: phaseLine(b).slice(0, 3000) } },
    { type: 'context', elements: [{ type: 'mrkdwn', text: countsLine(states) }] },
    ...sections('', lines),
    ...noteBlocks(shared),
  ];
  const leftOut = s.leftOut ?? [];
  if (leftOut.length) blocks.push(...planBlocks([], leftOut));
  if (phase === 'Pending' || phase === 'Halted') {
    const [a, z] = phase === 'Pending' ? [['Approve', ACTION_BATCH_APPROVE], ['Reject', ACTION_BATCH_REJECT]] : [['Resume', ACTION_BATCH_RESUME], ['Abort', ACTION_BATCH_ABORT]];
    blocks.push({
      type: 'actions',
      block_id: 'batch',
      elements: [
        { type: 'button', action_id: a[1], style: 'primary', text: { type: 'plain_text', text: a[0] }, value: b.metadata.name },
        { type: 'button', action_id: z[1], style: 'danger', text: { type: 'plain_text', text: z[0] }, value: b.metadata.name },
      ],
    });
  }
  const text = `${phase}: fleet update ${s.engine} ${s.selection} → ${s.requestedVersion} (${countsLine(states)})`;
  return { text, blocks: blocks.slice(0, 50) };
}

/**
 * The thread posts of a batch, each once (by key): approval, each wave as it starts, each halt and its
 * outcome, and the end. Pure.
 */
export function batchThreadPosts(b: DatabaseUpdateBatch): ThreadPost[] {
  const st = b.status ?? {};
  const out: ThreadPost[] = [];
  const waves = batchWaves(b.spec.members.length, b.spec.maxParallel);
  if ((st.approvals ?? []).length >= b.spec.approvalsRequired && st.phase !== 'Pending') {
    out.push({ key: 'approved', text: `:white_check_mark: Approved by ${(st.approvals ?? []).map((v) => mention(v.user)).join(', ')}. ${waves.length} wave${waves.length === 1 ? '' : 's'}: a canary first.` });
  }
  for (let i = 0; i <= (st.wave ?? -1) && i < waves.length; i++) {
    const names = waves[i].map((k) => `\`${b.spec.members[k].namespace}/${b.spec.members[k].name}\``);
    out.push({ key: `wave:${i}`, text: `:arrow_forward: Wave ${i + 1} of ${waves.length}${i === 0 ? ' (canary)' : ''} started: ${names.join(', ')}` });
  }
  for (const r of st.acceptedFailures ?? []) out.push({ key: `resumed:${r}`, text: `:arrow_forward: Resumed past \`${r}\`; the next wave follows.` });
  if (st.halt) out.push({ key: `halt:${st.halt.record}`, text: `:octagonal_sign: Halted: \`${st.halt.member}\` failed (\`${st.halt.record}\`): ${escapeMrkdwn(st.halt.message)}\nApprovers: *Resume* or *Abort* on the message above.` });
  const phase = st.phase ?? 'Pending';
  if (['Succeeded', 'Failed', 'Aborted', 'Cancelled', 'Rejected', 'Expired'].includes(phase)) {
    out.push({ key: 'done', text: phaseLine(b).split('\n')[0] });
  }
  return out;
}

/** Hash of a batch's parent rendering (skips `chat.update`s that would change nothing). */
export function batchParentHash(m: Rendered): string {
  return renderHash(m);
}

/** The requester's answer to a fleet request's outcome (Slack mrkdwn). Pure. */
export function batchAnswer(out: BatchOutcome): string {
  if (out.outcome === 'refused') return `:warning: ${out.message}${out.plan ? `\n${planText(out.plan.members, out.plan.leftOut)}` : ''}`;
  if (out.outcome === 'dry_run') {
    return `:white_check_mark: Dry run of ${out.plan.engine.kind} ${escapeMrkdwn(out.plan.selection)} → ${escapeMrkdwn(out.plan.version)}: nothing was requested. As a batch it would need ${out.approvalsRequired} approval${out.approvalsRequired === 1 ? '' : 's'}.\n${planText(out.plan.members, out.plan.leftOut)}`;
  }
  const b = out.batch;
  const head = out.duplicate
    ? `:information_source: This fleet update is already requested as batch \`${b.metadata.name}\`.`
    : `:package: Fleet update requested as batch \`${b.metadata.name}\`: ${b.spec.members.length} database${b.spec.members.length === 1 ? '' : 's'} in waves (a canary first, then ${b.spec.maxParallel} at a time). The approvers are asked in this channel; \`/dbupdate cancel ${b.metadata.name}\` stops it.`;
  return `${head}\n${planText(out.plan.members, out.plan.leftOut)}`;
}

