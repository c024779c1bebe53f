/**
 * Pure rendering of a channel conversation as plain text for a terminal, roughly as Slack shows it:
 * top-level messages (and the slash commands people typed, which Slack shows only to the typist) in
 * time order, each message in its final version with "(edited)", then its thread replies indented.
 */
import { blocksToLines } from './blocks.js';
import { compareTs, type SlackMessage, type SlackUser, type TypedCommand } from './store.js';

/** What `renderTranscript` needs: the channel, its messages and commands, and users for names. */
export interface TranscriptInput {
  channelName: string;
  messages: readonly SlackMessage[];
  commands: readonly TypedCommand[];
  users: ReadonlyMap<string, SlackUser>;
  usergroups?: ReadonlyMap<string, { handle: string }>;
}

/**
 * Replace Slack mrkdwn references by readable names: `<@U123>` → `@alice`, `<!subteam^S1>` → `@dba`,
 * `<#C1|name>` → `#name`, `<https://…|label>` → `label`, `<!here>` → `@here`; and `&lt;`/`&gt;`/`&amp;` unescaped.
 * https://api.slack.com/reference/surfaces/formatting#advanced
 */
export function resolveMentions(text: string, users: ReadonlyMap<string, SlackUser>, groups?: ReadonlyMap<string, { handle: string }>): string {
  return text
    .replace(/<@([A-Z0-9_]+)(?:\|[^>]*)?>/g, (_m, id: string) => `@${users.get(id)?.name ?? id}`)
    .replace(/<!subteam\^([A-Z0-9_]+)(?:\|([^>]*))?>/g, (_m, id: string, label?: string) => label ?? `@${groups?.get(id)?.handle ?? id}`)
    .replace(/<!(here|channel|everyone)[^>]*>/g, '@$1')
    .replace(/<#[A-Z0-9_]+\|([^>]*)>/g, '#$1')
    .replace(/<((?:https?|mailto|slack):[^|>]+)\|([^>]+)>/g, '$2')
    .replace(/<((?:https?|mailto|slack):[^>]+)>/g, '$1')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&');
}

function author(m: SlackMessage, users: ReadonlyMap<string, SlackUser>): string {
  const u = m.user ? users.get(m.user) : undefined;
  if (u) return u.is_bot || m.bot_id ? `${u.name} [APP]` : u.name;
  return m.bot_id ? `${m.bot_id} [APP]` : (m.user ?? 'unknown');
}

function messageLines(m: SlackMessage, input: TranscriptInput, indent: string): string[] {
  const marks = [m.edited ? '(edited)' : '', m.ephemeralTo ? `(only visible to @${input.users.get(m.ephemeralTo)?.name ?? m.ephemeralTo})` : '', m.reply_broadcast ? '(also sent to the channel)' : '']
    .filter(Boolean)
    .join(' ');
  const head = `${indent}${author(m, input.users)}:${marks ? ` ${marks}` : ''}`;
  const body = m.blocks && m.blocks.length > 0 ? blocksToLines(m.blocks) : m.text.split('\n');
  return [head, ...body.map((l) => `${indent}  ${resolveMentions(l, input.users, input.usergroups)}`)];
}

/**
 * The conversation of one channel as text. Each entry starts with `author:` (bots as `name [APP]`),
 * followed by its rendered blocks (or text) indented by two spaces; thread replies follow their parent,
 * indented by four more spaces under a `└ thread` line. Slash commands appear as `alice: /cmd text`
 * marked "(slash command)". Messages whose parent is unknown are shown at top level.
 */
export function renderTranscript(input: TranscriptInput): string {
  const sorted = [...input.messages].sort((a, b) => compareTs(a.ts, b.ts));
  const tops = new Set(sorted.filter((m) => !m.thread_ts || m.thread_ts === m.ts).map((m) => m.ts));
  type Entry = { ts: string; lines: string[] };
  const entries: Entry[] = [];
  for (const m of sorted) {
    if (m.thread_ts && m.thread_ts !== m.ts && tops.has(m.thread_ts)) continue;
    const lines = messageLines(m, input, '');
    const replies = sorted.filter((r) => r.thread_ts === m.ts && r.ts !== m.ts);
    if (replies.length > 0) {
      lines.push(`  └ thread (${replies.length} ${replies.length === 1 ? 'reply' : 'replies'})`);
      for (const r of replies) lines.push(...messageLines(r, input, '      '));
    }
    entries.push({ ts: m.ts, lines });
  }
  for (const c of input.commands) {
    const name = input.users.get(c.user)?.name ?? c.user;
    entries.push({ ts: c.ts, lines: [`${name}: ${c.command}${c.text ? ` ${c.text}` : ''}   (slash command)`] });
  }
  entries.sort((a, b) => compareTs(a.ts, b.ts));
  return [`#${input.channelName}`, ...entries.flatMap((e) => e.lines)].join('\n') + '\n';
}
