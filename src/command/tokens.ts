/**
 * Text normalisation and tokenisation of `/dbupdate` command text, plus a small generic flag reader.
 *
 * Tokenising is done by the `string-argv` package (quotes `"…"` and `'…'` group words, whitespace splits);
 * this module only prepares Slack's text for it:
 * - Slack escapes `&`, `<` and `>` as `&amp;`, `&lt;`, `&gt;` in the text of slash commands
 *   (https://api.slack.com/reference/surfaces/formatting#escaping); they are decoded.
 * - Clients with "smart punctuation" turn `"` into `“ ”` and `'` into `‘ ’`, and `--` into `—`; they are
 *   turned back. A `’` between two letters is an apostrophe (`don’t`) and is kept as it is, so it does not
 *   open a quote.
 */
import parseArgsStringToArgv from 'string-argv';

/** Decode the HTML entities Slack uses and undo smart punctuation (see module docs). Pure. */
export function normaliseSlackText(text: string): string {
  // Printable ASCII without `&` has nothing to decode or undo (the common case, and the cheap one).
  if (!/[^\t\n\r\x20-\x7e]|&/.test(text)) return text;
  let s = text
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&#0?39;/g, "'")
    .replace(/&amp;/g, '&');
  // Apostrophes inside words stay typographic so they do not start a quoted section.
  s = s.replace(/(\p{L})[’‘](?=\p{L})/gu, '$1\u0000APOS\u0000');
  s = s.replace(/[“”„‟″]/g, '"').replace(/[‘’‚‛′]/g, "'");
  s = s.replace(/\u0000APOS\u0000/g, '’');
  // An em/en dash (or a dash followed by a hyphen) at the start of a word was `--` before autocorrect.
  s = s.replace(/(^|\s)(?:[—–]-?|-[—–])(?=[A-Za-z])/g, '$1--');
  // Non-breaking and other unicode spaces → plain spaces.
  s = s.replace(/[\u00a0\u2000-\u200b\u202f\u205f\u3000]/g, ' ');
  return s;
}

/** Result of {@link tokenize}. */
export type Tokens = { ok: true; tokens: string[] } | { ok: false; error: string };

/**
 * Split normalised command text into words with `string-argv`. `string-argv` silently closes a quote left
 * open at the end of the text; that usually means a typo in `--reason "…`, so it is reported instead.
 */
export function tokenize(text: string): Tokens {
  const open = unclosedQuote(text);
  if (open) {
    return {
      ok: false,
      error: `A quote (${open}) is not closed: put the closing ${open} after the quoted text, e.g. \`--reason "CVE-2026-1234 fix"\`.`,
    };
  }
  return { ok: true, tokens: parseArgsStringToArgv(text) };
}

/** The quote character left open at the end of `text`, following `string-argv`'s quoting rules; '' when none. */
function unclosedQuote(text: string): string {
  let inQuote = '';
  for (const ch of text) {
    if (inQuote) {
      if (ch === inQuote) inQuote = '';
    } else if (ch === '"' || ch === "'") {
      inQuote = ch;
    }
  }
  return inQuote;
}

/** Declaration of one option: its names (e.g. `['-n', '--namespace']`) and whether it takes a value. */
export interface FlagSpec {
  /** Key the value is stored under. */
  key: string;
  names: string[];
  takesValue: boolean;
  /** Placeholder shown in messages, e.g. `NS`. */
  placeholder?: string;
}

/** Result of {@link readFlags}: positionals in order and option values by key (`true` for switches). */
export type FlagResult =
  | { ok: true; positionals: string[]; flags: Record<string, string | true> }
  | { ok: false; error: string };

const FLAG_LIKE = /^--?[A-Za-z][A-Za-z0-9-]*(=.*)?$/s;

/**
 * Separate options from positionals. Options may come anywhere, as `--flag value`, `--flag=value` or
 * `-n value`. Errors: an unknown option, an option given twice, a value option without a value (the next
 * word is missing or is itself an option), a value given to a switch (`--dry-run=yes`).
 */
export function readFlags(tokens: string[], specs: FlagSpec[], commandLabel: string): FlagResult {
  const positionals: string[] = [];
  const flags: Record<string, string | true> = {};
  const byName = new Map<string, FlagSpec>();
  for (const s of specs) for (const n of s.names) byName.set(n, s);
  const valid = specs.map((s) => s.names.join('/')).join(', ');

  for (let i = 0; i < tokens.length; i++) {
    const tok = tokens[i];
    if (!tok.startsWith('-') || tok === '-' || /^-\d/.test(tok)) {
      positionals.push(tok);
      continue;
    }
    const eq = tok.indexOf('=');
    const rawName = eq >= 0 ? tok.slice(0, eq) : tok;
    const name = rawName.toLowerCase();
    const spec = byName.get(name);
    if (!spec) {
      return {
        ok: false,
        error:
          specs.length > 0
            ? `Unknown option \`${rawName}\` for \`${commandLabel}\`: the options are ${valid}.`
            : `\`${commandLabel}\` takes no options (got \`${rawName}\`).`,
      };
    }
    if (spec.key in flags) {
      return { ok: false, error: `Option \`${spec.names[spec.names.length - 1]}\` is given twice: give it once.` };
    }
    const long = spec.names[spec.names.length - 1];
    if (!spec.takesValue) {
      if (eq >= 0) return { ok: false, error: `Option \`${long}\` is a switch and takes no value: write just \`${long}\`.` };
      flags[spec.key] = true;
      continue;
    }
    let value: string | undefined;
    if (eq >= 0) {
      value = tok.slice(eq + 1);
    } else {
      const next = tokens[i + 1];
      if (next !== undefined && !FLAG_LIKE.test(next)) {
        value = next;
        i++;
      }
    }
    if (value === undefined || value.trim() === '') {
      const ph = spec.placeholder ?? 'VALUE';
      return {
        ok: false,
        error: `Option \`${long}\` needs a value: write \`${long} ${ph}\`${long === '--reason' ? ' (quote text with spaces: `--reason "CVE-2026-1234 fix"`)' : ''}.`,
      };
    }
    flags[spec.key] = value.trim();
  }
  return { ok: true, positionals, flags };
}
