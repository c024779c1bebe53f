/**
 * Masterminds semver v3 (`github.com/Masterminds/semver/v3`, v3.4.0 — the version kubedb/apimachinery's
 * `go.mod` requires) re-implemented in TypeScript: version parsing (`NewVersion`), ordering (`Compare`) and
 * constraints (`NewConstraint` + `Check`). Pure; no I/O.
 *
 * Why our own: the npm registry has no port of Masterminds' rules. node-semver differs (it refuses `8.0`,
 * has no `!=`, and matches prereleases only against comparators on the same `major.minor.patch`), and
 * `@snyk/go-semver` follows Go modules' `golang.org/x/mod/semver`, not Masterminds.
 *
 * Behaviour written from Masterminds' README ("Checking Version Constraints", "Working With Prerelease
 * Versions") and derived from its test tables (`constraints_test.go`, `version_test.go` at v3.4.0); no code
 * of it is copied. The rules KubeDB relies on:
 * - `NewVersion` is loose (v3.4.0 sets `CoerceNewVersion = true`): `v?N(.N)?(.N)?(-pre)?(+meta)?`, missing
 *   parts are 0, leading zeros are accepted (`1.01` → 1.1.0), so `2.7.3-debian` is 2.7.3 with prerelease
 *   `debian`, `2022-cu12` is 2022.0.0 with prerelease `cu12`, `8.0` is 8.0.0. Prerelease identifiers must be
 *   non-empty and a numeric one must not start with 0 (`1.2.3-01` is invalid).
 * - Ordering: by major, minor, patch; a version without prerelease is greater than one with; prereleases
 *   compare dot-separated identifiers — both numeric: numerically; both alphanumeric: by byte order (so
 *   `cu9` > `cu12`); numeric < alphanumeric; fewer identifiers is smaller. Build metadata is ignored.
 * - Constraints: `||` separates alternatives (OR); inside one, comparisons separated by spaces or commas
 *   are ANDed. Operators `=` (or none), `!=`, `>`, `<`, `>=`/`=>`, `<=`/`=<`, `~`/`~>`, `^`; hyphen ranges
 *   `1.2 - 1.4.5` (= `>= 1.2, <= 1.4.5`); wildcards `x`, `X`, `*` and missing parts ("dirty" constraints:
 *   `<= 1.2` accepts 1.2.x; `> 1.2` needs 1.3+; `1.2` means `~1.2`).
 * - Prereleases: a version with a prerelease satisfies an alternative only if some comparison in that
 *   alternative names a prerelease (then prereleases are compared by the normal order, unlike node-semver,
 *   which also requires the same `major.minor.patch`). So `2.7.3-debian` satisfies
 *   `>= 2.4.4-debian, <= 3.0.1-debian` but not `>= 2.4.4, < 3.0.0`.
 */

/** A parsed Masterminds version. Segments are bigint (Go parses them as uint64). */
export interface MVersion {
  major: bigint;
  minor: bigint;
  patch: bigint;
  /** Prerelease without the `-` ('' when none). */
  pre: string;
  /** Build metadata without the `+` ('' when none). */
  metadata: string;
  /** The text parsed. */
  original: string;
}

const UINT64_MAX = (1n << 64n) - 1n;
const LOOSE = /^v?([0-9]+)(\.[0-9]+)?(\.[0-9]+)?(-([0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*))?(\+([0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*))?$/;

function segment(s: string | undefined): bigint {
  if (!s) return 0n;
  const n = BigInt(s.replace(/^\./, ''));
  if (n > UINT64_MAX) throw new Error(`error parsing version segment: value out of range`);
  return n;
}

/**
 * Parse a version as Masterminds' `NewVersion` (v3.4.0 defaults). Returns null when it is not a version
 * (Masterminds returns an error: `invalid semantic version`, `invalid prerelease string`, …).
 */
export function parseVersion(text: string): MVersion | null {
  if (typeof text !== 'string') return null;
  const m = LOOSE.exec(text);
  if (!m) return null;
  let v: MVersion;
  try {
    v = { major: segment(m[1]), minor: segment(m[2]), patch: segment(m[3]), pre: m[5] ?? '', metadata: m[8] ?? '', original: text };
  } catch {
    return null;
  }
  if (v.pre) {
    for (const p of v.pre.split('.')) {
      if (p === '') return null;
      if (/^[0-9]+$/.test(p) && p.length > 1 && p[0] === '0') return null;
    }
  }
  return v;
}

function cmpBig(a: bigint, b: bigint): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function comparePrePart(s: string, o: string): number {
  if (s === o) return 0;
  if (s === '') return -1;
  if (o === '') return 1;
  const sNum = /^[0-9]+$/.test(s) && BigInt(s) <= UINT64_MAX;
  const oNum = /^[0-9]+$/.test(o) && BigInt(o) <= UINT64_MAX;
  if (!sNum && !oNum) return s > o ? 1 : -1;
  if (!oNum) return -1; // s numeric, o alphanumeric
  if (!sNum) return 1;
  return BigInt(s) > BigInt(o) ? 1 : -1;
}

/** Masterminds' prerelease order (see module docs). */
export function comparePrerelease(a: string, b: string): number {
  const x = a.split('.');
  const y = b.split('.');
  for (let i = 0; i < Math.max(x.length, y.length); i++) {
    const d = comparePrePart(x[i] ?? '', y[i] ?? '');
    if (d !== 0) return d;
  }
  return 0;
}

/** -1, 0 or 1 as Masterminds' `Version.Compare` (metadata ignored). */
export function compareVersions(a: MVersion, b: MVersion): number {
  const d = cmpBig(a.major, b.major) || cmpBig(a.minor, b.minor) || cmpBig(a.patch, b.patch);
  if (d !== 0) return d;
  if (a.pre === '' && b.pre === '') return 0;
  if (a.pre === '') return 1;
  if (b.pre === '') return -1;
  return comparePrerelease(a.pre, b.pre);
}

// ---- constraints ----

type Op = '' | '=' | '!=' | '>' | '<' | '>=' | '=>' | '<=' | '=<' | '~' | '~>' | '^';

interface Comparison {
  op: Op;
  /** The version text as written (`1.2.x`). */
  orig: string;
  con: MVersion;
  dirty: boolean;
  minorDirty: boolean;
  patchDirty: boolean;
}

/** A parsed constraint: alternatives (OR) of comparisons (AND). */
export interface MConstraint {
  alternatives: Comparison[][];
  /** Per alternative: whether a comparison names a prerelease (then prereleases may match it). */
  containsPre: boolean[];
  text: string;
}

// Go's RE2 `\s` is [\t\n\f\r ]; the operator alternation keeps Masterminds' order (leftmost-first).
const S = '[\\t\\n\\f\\r ]';
const OPS = '=||!=|>|<|>=|=>|<=|=<|~|~>|\\^';
const CV = 'v?([0-9|xX*]+)(\\.[0-9|xX*]+)?(\\.[0-9|xX*]+)?(-([0-9A-Za-z-]+(\\.[0-9A-Za-z-]+)*))?(\\+([0-9A-Za-z-]+(\\.[0-9A-Za-z-]+)*))?';
const CV_NOGROUPS = 'v?[0-9|xX*]+(?:\\.[0-9|xX*]+)?(?:\\.[0-9|xX*]+)?(?:-[0-9A-Za-z-]+(?:\\.[0-9A-Za-z-]+)*)?(?:\\+[0-9A-Za-z-]+(?:\\.[0-9A-Za-z-]+)*)?';
const CONSTRAINT_RE = new RegExp(`^${S}*(${OPS})${S}*(${CV})${S}*$`);
const RANGE_RE = new RegExp(`${S}*(${CV_NOGROUPS})${S}+-${S}+(${CV_NOGROUPS})${S}*`, 'g');
const FIND_RE = new RegExp(`(?:${OPS})${S}*(?:${CV_NOGROUPS})`, 'g');
const VALID_RE = new RegExp(`^(?:${S}*(?:${OPS})${S}*(?:${CV_NOGROUPS})${S}*)(?:(?:${S}+|,${S}*)(?:${OPS})${S}*(?:${CV_NOGROUPS})${S}*)*$`);

const isX = (s: string | undefined) => s === 'x' || s === 'X' || s === '*';

function parseComparison(c: string): Comparison {
  const m = CONSTRAINT_RE.exec(c);
  if (!m) throw new Error(`improper constraint: ${c}`);
  const op = m[1] as Op;
  const orig = m[2];
  const [maj, min, pat, preDash] = [m[3], m[4], m[5], m[6] ?? ''];
  let ver = orig;
  let dirty = false;
  let minorDirty = false;
  let patchDirty = false;
  if (isX(maj) || !maj) {
    ver = `0.0.0${preDash}`;
    dirty = true;
  } else if (isX(min?.replace(/^\./, '')) || !min) {
    minorDirty = dirty = true;
    ver = `${maj}.0.0${preDash}`;
  } else if (isX(pat?.replace(/^\./, '')) || !pat) {
    patchDirty = dirty = true;
    ver = `${maj}${min}.0${preDash}`;
  }
  const con = parseVersion(ver);
  if (!con) throw new Error('constraint parser error');
  return { op, orig, con, dirty, minorDirty, patchDirty };
}

/**
 * Parse a constraint as Masterminds' `NewConstraint`.
 * @throws Error `improper constraint: <text>` (or `constraint parser error`) when it does not parse.
 */
export function parseConstraint(text: string): MConstraint {
  if (typeof text !== 'string') throw new Error(`improper constraint: ${String(text)}`);
  // rewriteRange: `A - B` → `>= A, <= B ` (each match replaced once, in order).
  let c = text;
  for (const m of [...text.matchAll(RANGE_RE)]) c = c.replace(m[0], `>= ${m[1]}, <= ${m[2]} `);
  const alternatives: Comparison[][] = [];
  const containsPre: boolean[] = [];
  for (const alt of c.split('||')) {
    if (!VALID_RE.test(alt)) throw new Error(`improper constraint: ${alt}`);
    const found = alt.match(FIND_RE) ?? [alt];
    const list = found.map(parseComparison);
    alternatives.push(list);
    containsPre.push(list.some((x) => x.con.pre !== ''));
  }
  return { alternatives, containsPre, text };
}

function tilde(v: MVersion, c: Comparison): boolean {
  if (compareVersions(v, c.con) < 0) return false;
  if (c.con.major === 0n && c.con.minor === 0n && c.con.patch === 0n && !c.minorDirty && !c.patchDirty) return true;
  if (v.major !== c.con.major) return false;
  if (v.minor !== c.con.minor && !c.minorDirty) return false;
  return true;
}

function check(v: MVersion, c: Comparison, includePre: boolean): boolean {
  if (v.pre !== '' && !includePre) return false;
  const k = c.con;
  switch (c.op) {
    case '':
    case '=':
      return c.dirty ? tilde(v, c) : compareVersions(v, k) === 0;
    case '!=':
      if (c.dirty) {
        if (k.major !== v.major) return true;
        if (k.minor !== v.minor && !c.minorDirty) return true;
        if (c.minorDirty) return false;
        if (k.patch !== v.patch && !c.patchDirty) return true;
        if (c.patchDirty) {
          if (v.pre !== '' || k.pre !== '') return comparePrerelease(v.pre, k.pre) !== 0;
          return false;
        }
      }
      return compareVersions(v, k) !== 0;
    case '>':
      if (!c.dirty) return compareVersions(v, k) === 1;
      if (v.major > k.major) return true;
      if (v.major < k.major) return false;
      if (c.minorDirty) return false;
      if (c.patchDirty) return v.minor > k.minor;
      return compareVersions(v, k) === 1;
    case '<':
      return compareVersions(v, k) < 0;
    case '>=':
    case '=>':
      return compareVersions(v, k) >= 0;
    case '<=':
    case '=<':
      if (!c.dirty) return compareVersions(v, k) <= 0;
      if (v.major > k.major) return false;
      if (v.major === k.major && v.minor > k.minor && !c.minorDirty) return false;
      return true;
    case '~':
    case '~>':
      return tilde(v, c);
    case '^':
      if (compareVersions(v, k) < 0) return false;
      if (k.major > 0n || c.minorDirty) return v.major === k.major;
      if (v.major > 0n) return false;
      if (k.minor > 0n || c.patchDirty) return v.minor === k.minor;
      if (v.minor > 0n) return false;
      return k.patch === v.patch;
  }
}

/** Masterminds' `Constraints.Check`: whether some alternative has every comparison satisfied. */
export function checkConstraint(c: MConstraint, v: MVersion): boolean {
  return c.alternatives.some((alt, i) => alt.every((x) => check(v, x, c.containsPre[i])));
}

/**
 * Convenience: `NewConstraint(constraint).Check(NewVersion(version))`.
 * @throws Error when either does not parse (as Masterminds returns an error).
 */
export function satisfies(version: string, constraint: string): boolean {
  const v = parseVersion(version);
  if (!v) throw new Error(`invalid semantic version: ${version}`);
  return checkConstraint(parseConstraint(constraint), v);
}
