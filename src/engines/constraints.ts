/**
 * KubeDB update constraints, evaluated exactly as KubeDB's ops webhook does, with Masterminds semver v3
 * (`./masterminds.ts`). Pure.
 *
 * Facts (kubedb/apimachinery, commit 104ef5739e1d7a54c0afb6c4c04700c04a3203c5):
 * - `pkg/webhooks/ops/v1alpha1/shared.go` `IsUpgradable(kc, kind, curr, target)`: reads the current catalog
 *   entry (named by the database's `spec.version`), lists every `<Kind>Version`, and
 *   `getUpgradableVersions(allowlist, denylist, versions)` keeps the **name** of each entry whose
 *   **`spec.version`** (not its name) parsed by `semver.NewVersion` satisfies (allowlist empty OR any
 *   `semver.NewConstraint(allow).Check`) AND no deny constraint; the update is allowed iff the target name is
 *   in that list. A constraint that does not parse, an entry without `spec.version`, or **any** entry whose
 *   `spec.version` is not a Masterminds version makes the webhook return that error (the update is refused).
 * - No prerelease handling of its own: a suffixed `spec.version` such as `2.7.3-debian` or `2022-cu12` is a
 *   Masterminds prerelease, so only constraints naming a prerelease can allow it (the real catalog's
 *   ProxySQL `2.4.4-debian` allows `>= 2.4.4-debian, <= 2.7.3-debian`; MSSQLServer `2022-cu12` allows
 *   `>= 2022-cu12, < 2025-cu1`).
 * - Shape: `spec.updateConstraints.{allowlist,denylist}` (string lists); MySQL nests them under
 *   `groupReplication` / `standalone` and its webhook (`pkg/webhooks/ops/v1alpha1/mysql.go`
 *   `validateMySQLUpdateVersionOpsRequest`) uses the `groupReplication` lists for every topology it accepts.
 */
import semver from 'semver';
import { checkConstraint, compareVersions, parseConstraint, parseVersion, type MConstraint } from './masterminds.js';

export { parseVersion, compareVersions, parseConstraint, checkConstraint } from './masterminds.js';

/**
 * Numeric `major.minor.patch` of a KubeDB version string as a node-semver object (for update types and
 * display): Masterminds' parse without prerelease/metadata (`2.7.1-debian` → 2.7.1, `16.1` → 16.1.0,
 * `2022-cu12` → 2022.0.0). Returns null when Masterminds cannot parse it.
 */
export function numericVersion(version: string): semver.SemVer | null {
  const v = parseVersion(typeof version === 'string' ? version.trim() : version);
  if (!v) return null;
  return new semver.SemVer(`${v.major}.${v.minor}.${v.patch}`);
}

/**
 * Order two `spec.version` strings as Masterminds does (`2.7.3-debian` < `2.7.3`, `2022-cu9` > `2022-cu12`).
 * Unparseable versions sort first. Returns -1, 0 or 1.
 */
export function compareKubeDBVersions(a: string, b: string): number {
  const x = parseVersion(a);
  const y = parseVersion(b);
  if (!x || !y) return x ? 1 : y ? -1 : 0;
  return compareVersions(x, y);
}

/** Outcome of {@link satisfiesConstraints}; `reason` says which list refused the version. */
export interface ConstraintCheck {
  ok: boolean;
  reason?: string;
}

function parseAll(list: string[], which: string): MConstraint[] | ConstraintCheck {
  const out: MConstraint[] = [];
  for (const c of list) {
    try {
      out.push(parseConstraint(c));
    } catch (e) {
      return { ok: false, reason: `the ${which} entry ${JSON.stringify(c)} is not a Masterminds semver constraint (${(e as Error).message}), so KubeDB refuses every update from it` };
    }
  }
  return out;
}

/**
 * Whether `version` (a catalog entry's `spec.version`) may be the target of an update from a version
 * whose `updateConstraints` are `allowlist` / `denylist`, by KubeDB's `getUpgradableVersions` rule (module
 * docs): allowed iff (allowlist empty OR some allowlist constraint matches) AND no denylist constraint
 * matches, each evaluated by Masterminds semver v3. A constraint or version that does not parse refuses the
 * update (KubeDB's webhook errors out). Never throws.
 */
export function satisfiesConstraints(version: string, allowlist: string[], denylist: string[]): ConstraintCheck {
  const v = parseVersion(version);
  if (!v) return { ok: false, reason: `version ${JSON.stringify(version)} is not a semantic version KubeDB can check constraints against` };
  const allow = parseAll(allowlist ?? [], 'allowlist');
  if (!Array.isArray(allow)) return allow;
  const deny = parseAll(denylist ?? [], 'denylist');
  if (!Array.isArray(deny)) return deny;
  const denied = deny.findIndex((c) => checkConstraint(c, v));
  if (denied >= 0) return { ok: false, reason: `${version} is on the denylist (${denylist[denied]})` };
  if (allow.length === 0 || allow.some((c) => checkConstraint(c, v))) return { ok: true };
  const pre = v.pre ? ` (Masterminds semver reads \`${version}\` as a prerelease, which only a constraint naming a prerelease can match)` : '';
  return { ok: false, reason: `${version} is not on the allowlist (${allowlist.map((a) => JSON.stringify(a)).join(', ')})${pre}` };
}
