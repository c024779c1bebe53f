/**
 * The channel view as HTML, pure: what one chosen user sees of a channel, as Slack draws it — top-level
 * messages in time order with author, time, blocks (or text), "(edited)", and their thread replies in an
 * expandable thread; ephemeral messages only for the user they were sent to ("Only visible to you"); the
 * slash commands the user typed, shown only to that user.
 */
import type { SlackMessage, SlackUser } from '../sim/slack/store.js';
import { compareTs } from '../sim/slack/store.js';
import { blocksToHtml } from './render-blocks.js';
import { escapeHtml, mrkdwnToHtml, type MentionContext } from './render-mrkdwn.js';

/** A slash command typed in the console (Slack shows it to nobody; the console shows it to its typist). */
export interface TypedCommandEntry {
  ts: string;
  user: string;
  command: string;
  text: string;
}

/** What `renderChannel` needs. */
export interface ChannelInput {
  channelName: string;
  /** All messages of the channel (`SlackEmulator.messages`), any order. */
  messages: readonly SlackMessage[];
  commands: readonly TypedCommandEntry[];
  users: ReadonlyMap<string, SlackUser>;
  usergroups?: ReadonlyMap<string, { handle: string }>;
  /** The user whose view this is (ephemeral messages and commands of others are hidden). */
  viewer: string;
}

/** `HH:MM:SS` (UTC) of a Slack ts (`"<unix seconds>.<micros>"`). */
export function tsTime(ts: string): string {
  return new Date(Number(ts.split('.')[0]) * 1000).toISOString().slice(11, 19);
}

const AVATAR_COLOURS = ['#e8912d', '#2eb67d', '#36c5f0', '#e01e5a', '#4a154b', '#1264a3'];

/** A square avatar with the user's initial, its colour fixed per user id. */
function avatar(u: SlackUser | undefined, id: string): string {
  if (u?.is_bot) return '<div class="avatar avatar-bot" aria-hidden="true">🤖</div>';
  const n = [...id].reduce((a, c) => a + c.charCodeAt(0), 0);
  const initial = (u?.real_name ?? u?.name ?? id).charAt(0).toUpperCase();
  return `<div class="avatar" style="background:${AVATAR_COLOURS[n % AVATAR_COLOURS.length]}" aria-hidden="true">${escapeHtml(initial)}</div>`;
}

function visible(m: SlackMessage, viewer: string): boolean {
  return m.ephemeralTo === undefined || m.ephemeralTo === viewer;
}

function messageHtml(m: SlackMessage, input: ChannelInput, ctx: MentionContext, thread: string): string {
  const u = m.user ? input.users.get(m.user) : undefined;
  const name = u ? (u.is_bot ? u.name : u.real_name || u.name) : (m.bot_id ?? m.user ?? 'unknown');
  const badge = u?.is_bot || m.bot_id ? '<span class="app-badge">APP</span>' : '';
  const body = m.blocks && m.blocks.length > 0 ? blocksToHtml(m.blocks, ctx) : `<div class="blk-text">${mrkdwnToHtml(m.text, ctx)}</div>`;
  const edited = m.edited ? '<span class="edited">(edited)</span>' : '';
  const eph = m.ephemeralTo !== undefined ? '<div class="ephemeral-note">👁 Only visible to you</div>' : '';
  const cls = `msg${m.ephemeralTo !== undefined ? ' msg-ephemeral' : ''}`;
  return `<div class="${cls}" data-ts="${escapeHtml(m.ts)}">${avatar(u, m.user ?? m.bot_id ?? '?')}<div class="msg-body">${eph}<div class="msg-head"><span class="author">${escapeHtml(name)}</span>${badge}<span class="time" title="${escapeHtml(m.ts)}">${tsTime(m.ts)}</span></div><div class="msg-content">${body}${edited}</div>${thread}</div></div>`;
}

function commandHtml(c: TypedCommandEntry, input: ChannelInput): string {
  const u = input.users.get(c.user);
  return `<div class="msg msg-command" data-ts="${escapeHtml(c.ts)}" data-key="command:${escapeHtml(c.ts)}">${avatar(u, c.user)}<div class="msg-body"><div class="msg-head"><span class="author">${escapeHtml(u?.real_name ?? c.user)}</span><span class="time">${tsTime(c.ts)}</span></div><div class="msg-content"><code class="slash">${escapeHtml(`${c.command} ${c.text}`.trim())}</code> <span class="note">slash command — Slack shows it to nobody; only you see it here</span></div></div></div>`;
}

function contextOf(input: ChannelInput): MentionContext {
  return { users: input.users, ...(input.usergroups ? { usergroups: input.usergroups } : {}) };
}

function visibleSorted(input: ChannelInput): SlackMessage[] {
  return input.messages.filter((m) => visible(m, input.viewer)).sort((a, b) => compareTs(a.ts, b.ts));
}

/**
 * The whole channel for `input.viewer` as HTML (header excluded): one `.msg` per entry (`data-ts`); a
 * message with replies ends in a `<button class="thread-link" data-thread=ts data-replies=N>` that opens the
 * thread in the side pane ({@link renderThread}), as Slack does.
 */
export function renderChannel(input: ChannelInput): string {
  const ctx = contextOf(input);
  const msgs = visibleSorted(input);
  const tops = new Set(msgs.filter((m) => !m.thread_ts || m.thread_ts === m.ts).map((m) => m.ts));
  const entries: Array<{ ts: string; html: string }> = [];
  for (const m of msgs) {
    if (m.thread_ts && m.thread_ts !== m.ts && tops.has(m.thread_ts)) continue;
    const replies = msgs.filter((r) => r.thread_ts === m.ts && r.ts !== m.ts);
    const thread =
      replies.length === 0
        ? ''
        : `<button type="button" class="thread-link" data-thread="${escapeHtml(m.ts)}" data-replies="${replies.length}"><span class="reply-count">${replies.length} ${replies.length === 1 ? 'reply' : 'replies'}</span> <span class="last-reply">Last reply ${tsTime(replies[replies.length - 1]!.ts)}</span></button>`;
    entries.push({ ts: m.ts, html: messageHtml(m, input, ctx, thread) });
  }
  for (const c of input.commands) if (c.user === input.viewer) entries.push({ ts: c.ts, html: commandHtml(c, input) });
  entries.sort((a, b) => compareTs(a.ts, b.ts));
  if (entries.length === 0) return `<div class="empty">This is the very beginning of <b>#${escapeHtml(input.channelName)}</b>. Type <code>/dbupdate help</code> below.</div>`;
  return entries.map((e) => e.html).join('');
}

/**
 * The thread of message `ts` for the side pane: the parent, then its replies (`.replies`, one `.msg` per
 * reply with `data-ts`), as `input.viewer` sees them; `null` when the viewer cannot see that message.
 * Containers carry `data-key` and `data-list` so the page patches them child by child (static/app.js).
 */
export function renderThread(input: ChannelInput, ts: string): { html: string; replies: number } | null {
  const ctx = contextOf(input);
  const msgs = visibleSorted(input);
  const parent = msgs.find((m) => m.ts === ts);
  if (!parent) return null;
  const replies = msgs.filter((r) => r.thread_ts === ts && r.ts !== ts);
  const count = `<div class="thread-count" data-key="count">${replies.length} ${replies.length === 1 ? 'reply' : 'replies'}</div>`;
  return {
    html: `<div class="thread-parent" data-key="parent" data-list>${messageHtml(parent, input, ctx, '')}</div>${count}<div class="replies" data-key="replies" data-list>${replies.map((r) => messageHtml(r, input, ctx, '')).join('')}</div>`,
    replies: replies.length,
  };
}
