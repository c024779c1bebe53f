/**
 * Slack emoji shortcodes (`:white_check_mark:`) to characters, from iamcal's emoji-data (the npm package
 * `emoji-datasource`), the data set Slack's own shortcodes come from (https://github.com/iamcal/emoji-data).
 * The table is read once, on first use.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

interface EmojiRow {
  unified: string;
  short_names: string[];
}

let table: Map<string, string> | undefined;

function load(): Map<string, string> {
  const path = createRequire(import.meta.url).resolve('emoji-datasource/emoji.json');
  const rows = JSON.parse(readFileSync(path, 'utf8')) as EmojiRow[];
  const m = new Map<string, string>();
  for (const r of rows) {
    const ch = String.fromCodePoint(...r.unified.split('-').map((h) => parseInt(h, 16)));
    for (const s of r.short_names) m.set(s, ch);
  }
  return m;
}

/** The character(s) of a Slack shortcode without colons (`tada` → 🎉), or undefined if unknown. */
export function emojiFor(shortcode: string): string | undefined {
  table ??= load();
  return table.get(shortcode);
}
