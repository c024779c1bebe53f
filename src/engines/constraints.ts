/**
 * KubeDB update constraints: Masterminds-semver constraint strings evaluated with node-semver. Pure.
 *
 * Facts (verified in public KubeDB source):
 * - Shape: `spec.updateConstraints.allowlist` / `denylist` are lists of strings (`UpdateConstraints` in
 *   kubedb/apimachinery `apis/catalog/v1alpha1`; MySQL nests both under `standalone` / `groupReplication`,
 *   `MySQLUpdateConstraints` in `apis/catalog/v1alpha1/mysql_version_types.go`). Real values from
 *   kubedb/installer `charts/kubedb-catalog/templates/mysql/mysql-8.4.3-official.yaml`:
 *   allowlist `'>= 8.4.3, <= 9.1.0'`, denylist `< 8.4.3`; `postgres/postgres-16.4-official.yaml`:
 *   allowlist `'>= 16.4'`.
 * - Syntax is Masterminds semver v3 (KubeDB parses each string with `semver.NewConstraint` from
 *   `github.com/Masterminds/semver/v3`). Its README ("Checking Version Constraints"): a constraint is a list
 *   of space- or comma-separated AND comparisons, separated by `||` (OR); operators `=`, `!=`, `>`, `<`,
 *   `>=`, `=<`/`<=`, `=>`; hyphen ranges `1.2 - 1.4.5`; wildcards `x`, `X`, `*`; tilde `~1.2.3`, caret
 *   `^1.2.3`; whitespace is allowed between an operator and its version; a leading `v` is accepted.
 * - Evaluation (kubedb/apimachinery helper `getUpgradableVersions`, used by `IsUpgradable(kc, kind, curr,
 *   target)`, and the catalog's own doc comments on `UpdateConstraints`: "An empty list indicates all
 *   versions are accepted except the denylist" / "An empty list indicates no version is rejected"): the
 *   target's `spec.version` (not its name) is checked against the current version's lists; it is allowed
 *   when (the allowlist is empty OR any allowlist entry matches) AND no denylist entry matches. A constraint
 *   that does not parse makes KubeDB return an error, i.e. the update is refused.
 */
import semver from 'semver';

const OPS = /(>=|<=|=>|=<|!=|~>|>|<|=|~|\^)\s+/g;

/**
 * Translate one Masterminds constraint string into a node-semver range string.
 * - `,` (AND) → space; `||` kept; spaces after operators removed (`>= 8.0.1` → `>=8.0.1`);
 * - `=>` → `>=`, `=<` → `<=`, `~>` → `~`; a `v`/`V` before a version is dropped;
 * - wildcards (`8.x`, `8.*`, `*`) and hyphen ranges pass through (node-semver reads them the same way);
 * - `!= X` (not in node-semver) becomes `<X || >X`, distributed over the AND group.
 * Throws `Error` when the result is not a valid node-semver range (e.g. empty text, `>= banana`).
 */
export function normaliseConstraint(masterminds: string): string {
  if (typeof masterminds !== 'string' || masterminds.trim() === '') {
    throw new Error(`empty update constraint ${JSON.stringify(masterminds)}`);
  }
  const groups = masterminds.split('||').map((g) => normaliseAndGroup(g, masterminds));
  const out = groups.flat().join(' || ');
  if (semver.validRange(out) === null) {
    throw new Error(`update constraint ${JSON.stringify(masterminds)} is not a valid semver constraint`);
  }
  return out;
}

/** One AND group → one or more node-semver AND groups (several when `!=` is expanded). */
function normaliseAndGroup(group: string, whole: string): string[] {
  let g = group.trim();
  if (g === '') throw new Error(`update constraint ${JSON.stringify(whole)} has an empty alternative around '||'`);
  g = g.replace(OPS, '$1');
  g = g.replace(/=>/g, '>=').replace(/=</g, '<=').replace(/~>/g, '~');
  g = g.replace(/,/g, ' ').replace(/\s+/g, ' ').trim();
  const tokens = g.split(' ').map((t) => t.replace(/^(>=|<=|!=|>|<|=|~|\^)?[vV](?=\d)/, '$1'));
  // Expand `!=X` into alternatives `<X` | `>X` (cartesian product over all `!=` tokens in the group).
  let alts: string[][] = [[]];
  for (const tok of tokens) {
    if (tok.startsWith('!=')) {
      const v = tok.slice(2);
      if (!v) throw new Error(`update constraint ${JSON.stringify(whole)} has '!=' without a version`);
      alts = alts.flatMap((a) => [[...a, `<${v}`], [...a, `>${v}`]]);
    } else {
      alts = alts.map((a) => [...a, tok]);
    }
  }
  return alts.map((a) => a.join(' '));
}

/**
 * Numeric `major.minor.patch` of a KubeDB version string, without distribution suffixes: `8.0.31` →
 * `8.0.31`, `16.1` → `16.1.0`, `8.0.31-innodb` → `8.0.31`, `2.7.1-debian` → `2.7.1`, `v10.5.23` → `10.5.23`.
 * Suffixes after the numbers are distribution markers in KubeDB catalogs, never semver prereleases.
 * Returns null when the text does not start with a number (after an optional `v`).
 */
export function numericVersion(version: string): semver.SemVer | null {
  if (typeof version !== 'string') return null;
  const m = /^\s*[vV]?(\d+)(?:\.(\d+))?(?:\.(\d+))?/.exec(version);
  if (!m) return null;
  return semver.coerce(`${m[1]}.${m[2] ?? '0'}.${m[3] ?? '0'}`);
}

/** Outcome of {@link satisfiesConstraints}; `reason` says which list refused the version. */
export interface ConstraintCheck {
  ok: boolean;
  reason?: string;
}

/**
 * Whether `version` (a catalog entry's `spec.version`) may be the target of an update from a version
 * whose `updateConstraints` are `allowlist` / `denylist` (Masterminds strings), following KubeDB's rule
 * (see module docs): allowed iff (allowlist empty OR some allowlist entry matches) AND no denylist entry
 * matches. The version is compared by its numeric part (`8.0.31-innodb` as `8.0.31`).
 * Conservative choices where KubeDB's code is not the reference: a constraint that does not parse, or a
 * version without a number, refuses the update (KubeDB errors out in both cases). Never throws.
 */
export function satisfiesConstraints(version: string, allowlist: string[], denylist: string[]): ConstraintCheck {
  const v = numericVersion(version);
  if (!v) return { ok: false, reason: `version ${JSON.stringify(version)} is not a number that constraints can be checked against` };
  for (const d of denylist ?? []) {
    let range: string;
    try {
      range = normaliseConstraint(d);
    } catch (e) {
      return { ok: false, reason: `the denylist entry ${JSON.stringify(d)} cannot be read (${(e as Error).message}), so the update is refused` };
    }
    if (semver.satisfies(v, range)) return { ok: false, reason: `${version} is on the denylist (${d})` };
  }
  const allow = allowlist ?? [];
  const ranges: string[] = [];
  for (const a of allow) {
    try {
      ranges.push(normaliseConstraint(a));
    } catch (e) {
      return { ok: false, reason: `the allowlist entry ${JSON.stringify(a)} cannot be read (${(e as Error).message}), so the update is refused` };
    }
  }
  if (ranges.length === 0) return { ok: true };
  if (ranges.some((r) => semver.satisfies(v, r))) return { ok: true };
  return { ok: false, reason: `${version} is not on the allowlist (${allow.map((a) => JSON.stringify(a)).join(', ')})` };
}
