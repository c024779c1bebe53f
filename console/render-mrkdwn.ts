/**
 * Slack mrkdwn to HTML, pure. Everything that comes from a message is HTML-escaped before any markup is
 * added, so user-typed `<script>` or `<img onerror>` shows as text.
 *
 * Covered (https://api.slack.com/reference/surfaces/formatting): `*bold*`, `_italic_`, `~strike~`,
 * `` `code` ``, ```` ```pre``` ````, `> quote` lines, line breaks, `<@U…>` user mentions (as names),
 * `<!subteam^S…>` group mentions, `<!here>`, `<#C…|name>`, `<url|label>` links, `:shortcode:` emoji, and
 * Slack's own escaping of `&`, `<`, `>` as `&amp;`, `&lt;`, `&gt;`.
 */
import { emojiFor } from './emoji.js';

/** Names the renderer resolves mentions with. */
export interface MentionContext {
  /** User id → display name (`alice`). */
  users: ReadonlyMap<string, { name: string }>;
  /** User group id → handle (`dba`). */
  usergroups?: ReadonlyMap<string, { handle: string }>;
  /** The channels a `channels_select` offers (the console's channel), in order. */
  channels?: ReadonlyArray<{ id: string; name: string }>;
}

const HTML_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Escape text for HTML element content and quoted attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => HTML_ESCAPES[c]!);
}

/** Undo Slack's escaping of `&`, `<`, `>` in message text. */
function unescapeSlack(text: string): string {
  return text.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');
}

/** HTML of one `<…>` reference of mrkdwn (the part between the angle brackets). */
function reference(inner: string, ctx: MentionContext): string {
  const [target = '', label] = inner.split('|', 2) as [string, string | undefined];
  if (target.startsWith('@')) {
    const id = target.slice(1);
    const name = ctx.users.get(id)?.name ?? label ?? id;
    return `<span class="mention">@${escapeHtml(name)}</span>`;
  }
  if (target.startsWith('!subteam^')) {
    const id = target.slice('!subteam^'.length);
    const handle = label ?? `@${ctx.usergroups?.get(id)?.handle ?? id}`;
    return `<span class="mention">${escapeHtml(unescapeSlack(handle))}</span>`;
  }
  if (target.startsWith('!')) return `<span class="mention">@${escapeHtml(target.slice(1).split('^')[0]!)}</span>`;
  if (target.startsWith('#')) return `<span class="mention">#${escapeHtml(unescapeSlack(label ?? target.slice(1)))}</span>`;
  if (/^(https?|mailto):/i.test(target)) {
    return `<a href="${escapeHtml(unescapeSlack(target))}" target="_blank" rel="noopener noreferrer">${escapeHtml(unescapeSlack(label ?? target))}</a>`;
  }
  return escapeHtml(`<${unescapeSlack(inner)}>`);
}

/** Inline formatting of already-escaped text (no code spans inside). */
function inline(html: string): string {
  return html
    .replace(/(^|[\s(>])\*([^*\n]+)\*(?=$|[\s).,:;!?<])/g, '$1<b>$2</b>')
    .replace(/(^|[\s(>])_([^_\n]+)_(?=$|[\s).,:;!?<])/g, '$1<i>$2</i>')
    .replace(/(^|[\s(>])~([^~\n]+)~(?=$|[\s).,:;!?<])/g, '$1<s>$2</s>')
    .replace(/:([a-z0-9_+-]+):/g, (m, code: string) => {
      const ch = emojiFor(code);
      return ch ? `<span class="emoji" title=":${code}:">${ch}</span>` : m;
    });
}

/**
 * Render Slack mrkdwn as HTML. References and code spans are cut out first (into placeholders), the rest
 * is unescaped from Slack's entities, HTML-escaped, formatted, and the pieces are put back.
 */
export function mrkdwnToHtml(text: string, ctx: MentionContext): string {
  const held: string[] = [];
  const hold = (html: string) => `\u0000${held.push(html) - 1}\u0000`;
  let s = text.replace(/\u0000/g, '');
  s = s.replace(/```([\s\S]*?)```/g, (_m, code: string) => hold(`<pre>${escapeHtml(unescapeSlack(code.replace(/^\n/, '')))}</pre>`));
  s = s.replace(/`([^`\n]+)`/g, (_m, code: string) => hold(`<code>${escapeHtml(unescapeSlack(code))}</code>`));
  s = s.replace(/<([^<>\n]+)>/g, (_m, inner: string) => hold(reference(inner, ctx)));
  const lines = escapeHtml(unescapeSlack(s)).split('\n');
  const out: string[] = [];
  for (const line of lines) {
    const quote = /^&gt; ?(.*)$/.exec(line);
    out.push(quote ? `<blockquote>${inline(quote[1]!)}</blockquote>` : inline(line));
  }
  return out
    .join('<br>')
    .replace(/<\/blockquote><br>/g, '</blockquote>')
    .replace(/\u0000(\d+)\u0000/g, (_m, i: string) => held[Number(i)]!);
}

/** Render plain_text (emoji shortcodes only, as Slack does with `emoji: true`), escaped. */
export function plainToHtml(text: string): string {
  return escapeHtml(text).replace(/:([a-z0-9_+-]+):/g, (m, code: string) => emojiFor(code) ?? m);
}
