/**
 * "Did you mean …?" for a mistyped name (pure). Edit distance is the Levenshtein distance computed by
 * `fastest-levenshtein` (a small, dependency-free, typed implementation, the most used one on npm), rather
 * than a hand-written dynamic programme.
 */
import { distance } from 'fastest-levenshtein';

/**
 * The largest edit distance still offered as a suggestion for a name of `length` characters: 1 for
 * names up to 4 characters, 2 up to 8, else 3 (a third of the name at most), so that short names are not
 * "corrected" into unrelated ones.
 */
export function maxSuggestionDistance(length: number): number {
  return length <= 4 ? 1 : length <= 8 ? 2 : 3;
}

/**
 * The candidates closest to `name` (case-insensitive), within {@link maxSuggestionDistance}: those at
 * the smallest distance found, sorted by name, at most `limit` (default 3). The name itself is never offered.
 * @returns an empty array when nothing is close enough.
 */
export function closestNames(name: string, candidates: Iterable<string>, limit = 3): string[] {
  const wanted = name.toLowerCase();
  const max = maxSuggestionDistance(wanted.length);
  let best = Infinity;
  let found: string[] = [];
  for (const c of new Set(candidates)) {
    if (c === name) continue;
    const d = distance(wanted, c.toLowerCase());
    if (d > max || d > best) continue;
    if (d < best) {
      best = d;
      found = [];
    }
    found.push(c);
  }
  return found.sort().slice(0, limit);
}

/** ` Did you mean \`orders\`?` (with a leading space), or `''` when there is no suggestion. */
export function didYouMean(names: string[]): string {
  if (names.length === 0) return '';
  const quoted = names.map((n) => `\`${n}\``);
  const list = quoted.length === 1 ? quoted[0] : `${quoted.slice(0, -1).join(', ')} or ${quoted[quoted.length - 1]}`;
  return ` Did you mean ${list}?`;
}
