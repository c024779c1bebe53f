/**
 * KubeDB version catalog entries and the version logic of an update: which catalog entry a request names,
 * whether the current version may move to it, and whether that is a patch, minor or major update. Pure.
 *
 * Catalog objects (`catalog.kubedb.com/v1alpha1` `<Kind>Version`, cluster-scoped; kubedb/apimachinery
 * `apis/catalog/v1alpha1/*_version_types.go`, e.g. `mysql_version_types.go`, `postgres_version_types.go`):
 * - `metadata.name` is what a database's `spec.version` and an OpsRequest's `updateVersion.targetVersion`
 *   name (e.g. `8.0.35`, `8.0.31-innodb`, `16.4-bookworm`); `spec.version` is the upstream version
 *   (`8.0.31`, `16.4`), so several names can share one version;
 * - `spec.deprecated` (bool), `spec.distribution` (MySQL: `Official|Oracle|Percona|KubeDB|MySQL`;
 *   Postgres: `Official|TimescaleDB|PostGIS|KubeDB|DocumentDB|PostgreSQL|Percona`),
 *   `spec.db.image` (ProxySQL: `spec.proxysql.image`), Postgres `spec.db.baseOS` (`alpine`, `bookworm`,
 *   `bullseye`…), other images as `spec.<role>.image` (`initContainer`, `coordinator`, `exporter`, …);
 * - `spec.updateConstraints.{allowlist,denylist}`: string lists; MySQL nests them:
 *   `updateConstraints.allowlist.standalone`, `.allowlist.groupReplication`, same for `denylist`
 *   (`MySQLUpdateConstraints`). Seen in kubedb/installer
 *   `charts/kubedb-catalog/templates/mysql/mysql-8.4.3-official.yaml`. Catalogs before v2022 used the key
 *   `upgradeConstraints` with the same shape (kubedb/installer `catalog/raw/mysql/mysql-8.0.17-official.yaml`
 *   era); it is read as a fallback.
 */
import type { UpdateType } from '../api/v1alpha1/databaseupdate.js';
import semver from 'semver';
import type { Engine } from './table.js';
import { numericVersion, satisfiesConstraints } from './constraints.js';

export { satisfiesConstraints, numericVersion, compareKubeDBVersions } from './constraints.js';
export type { ConstraintCheck } from './constraints.js';

/** One catalog entry, reduced to what the bot needs. */
export interface CatalogEntry {
  /** `metadata.name`: the value for `spec.version` / `targetVersion`. */
  name: string;
  /** `spec.version`: the upstream version. */
  version: string;
  /** `spec.deprecated` (false when absent). */
  deprecated: boolean;
  /** `spec.distribution`, when set. */
  distribution?: string;
  /** `spec.db.baseOS` (Postgres), when set. */
  baseOS?: string;
  /** The database image (`spec.db.image`; ProxySQL `spec.proxysql.image`). */
  dbImage: string;
  /** Every `spec.<role>.image` by role, including `db`. */
  images: Record<string, string>;
  /** Update constraints (Masterminds strings) for the relevant topology. */
  allowlist: string[];
  denylist: string[];
}

function isObj(x: unknown): x is Record<string, any> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

function strList(x: unknown, what: string, name: string): string[] {
  if (x === undefined || x === null) return [];
  if (!Array.isArray(x)) throw new Error(`${name}: ${what} must be a list of constraint strings`);
  return x.map((c, i) => {
    if (typeof c === 'string') return c;
    if (typeof c === 'number') return String(c);
    throw new Error(`${name}: ${what}[${i}] must be a string, got ${JSON.stringify(c)}`);
  });
}

/**
 * MySQL's nested constraint lists: KubeDB's ops webhook (kubedb/apimachinery
 * `pkg/webhooks/ops/v1alpha1/mysql.go` `validateMySQLUpdateVersionOpsRequest`) reads
 * `allowlist.groupReplication` / `denylist.groupReplication` for a standalone MySQL (no `spec.topology`) and
 * for GroupReplication/InnoDBCluster alike, so do we; `standalone` is only a fallback for a catalog without
 * `groupReplication`. (SemiSync/RemoteReplica are refused by preflight, as the webhook leaves them no list.)
 */
function topologyKey(list: Record<string, unknown>, _topology: string | undefined): string {
  if ('groupReplication' in list) return 'groupReplication';
  return Object.keys(list).find((k) => k.toLowerCase() === 'groupreplication') ?? 'standalone';
}

function readList(raw: unknown, what: string, name: string, topology: string | undefined): string[] {
  if (isObj(raw)) {
    const k = topologyKey(raw, topology);
    return strList(raw[k], `${what}.${k}`, name);
  }
  return strList(raw, what, name);
}

/**
 * Read a catalog object (as returned by the Kubernetes API) into a {@link CatalogEntry}.
 * `topology` picks MySQL's nested constraint lists: `standalone` (default) or `groupReplication`; any other
 * multi-member topology (`InnoDBCluster`, `SemiSync`) uses `groupReplication`.
 * Throws `Error` naming the object and the field when the object is malformed: not an object, no
 * `metadata.name`, no `spec`, no `spec.version`, no database image, or constraint lists that are not
 * string lists.
 */
export function catalogEntryFromObject(engine: Engine, obj: any, topology?: 'standalone' | 'groupReplication' | string): CatalogEntry {
  const kind = engine.catalogKind;
  if (!isObj(obj)) throw new Error(`${kind}: expected an object, got ${obj === null ? 'null' : typeof obj}`);
  const name = obj.metadata?.name;
  if (typeof name !== 'string' || name === '') throw new Error(`${kind}: metadata.name is missing`);
  const label = `${kind} ${name}`;
  const spec = obj.spec;
  if (!isObj(spec)) throw new Error(`${label}: spec is missing`);
  const version = typeof spec.version === 'number' ? String(spec.version) : spec.version;
  if (typeof version !== 'string' || version.trim() === '') throw new Error(`${label}: spec.version is missing`);
  if (!numericVersion(version)) throw new Error(`${label}: spec.version ${JSON.stringify(version)} is not a Masterminds semantic version`);

  const images: Record<string, string> = {};
  for (const [role, v] of Object.entries(spec)) {
    if (isObj(v) && typeof v.image === 'string' && v.image !== '') images[role] = v.image;
  }
  const dbImage = images.db ?? images[engine.container] ?? images[engine.name] ?? Object.entries(images).find(([r]) => r.toLowerCase() === engine.name)?.[1];
  if (!dbImage) throw new Error(`${label}: spec.db.image is missing`);
  images.db = dbImage;

  const uc = spec.updateConstraints ?? spec.upgradeConstraints;
  if (uc !== undefined && uc !== null && !isObj(uc)) throw new Error(`${label}: spec.updateConstraints must be an object`);
  const allowlist = uc ? readList(uc.allowlist, 'spec.updateConstraints.allowlist', label, topology) : [];
  const denylist = uc ? readList(uc.denylist, 'spec.updateConstraints.denylist', label, topology) : [];

  const entry: CatalogEntry = {
    name,
    version: version.trim(),
    deprecated: spec.deprecated === true,
    dbImage,
    images,
    allowlist,
    denylist,
  };
  if (typeof spec.distribution === 'string' && spec.distribution) entry.distribution = spec.distribution;
  if (isObj(spec.db) && typeof spec.db.baseOS === 'string' && spec.db.baseOS) entry.baseOS = spec.db.baseOS;
  return entry;
}

/** Kind of an update, by the engine's numbering (see {@link updateType}). */
/** How far an update moves a database (defined with the record, `src/api/v1alpha1/databaseupdate.ts`). */
export type { UpdateType };

function parts(v: string): [number, number, number] {
  const s = numericVersion(v);
  return s ? [s.major, s.minor, s.patch] : [0, 0, 0];
}

/**
 * Whether going from upstream version `from` to `to` is a patch, minor or major update for `engine`.
 * - `majorRule: 'first'` (Postgres ≥ 10, ProxySQL, Redis): the first number is the major; a change of the
 *   second is minor, of the third patch. Postgres below `seriesBelow` (10) numbers majors as `9.6`, so
 *   9.6 → 10 and 9.5 → 9.6 are major (https://www.postgresql.org/support/versioning/).
 * - `majorRule: 'series'` (MySQL, PerconaXtraDB, MariaDB, MongoDB): the first two numbers are the release
 *   series; a change of series is major, anything inside a series is patch.
 * MySQL: KubeDB's docs (kubedb/docs `docs/guides/mysql/update-version/overview/index.md`) say Ops Manager
 * updates the images of the workload "for updating between patch/minor versions" and creates a new workload
 * "for updating between major versions"; their major example is 5.7.41 → 8.0.32
 * (`update-version/majorversion/standalone/index.md`) and their "minor" examples stay inside one series
 * (`update-version/minorversion/...`: 5.7.x → 5.7.y, 8.0.x → 8.0.y). They do not name 8.0 → 8.4. MySQL
 * itself treats 8.0 → 8.4 LTS as a series (major-version) upgrade, so it is 'major' here — the conservative
 * reading, since major takes KubeDB's heavier path.
 * Equal versions give 'patch'.
 */
export function updateType(engine: Engine, from: string, to: string): UpdateType {
  const [a1, b1, c1] = parts(from);
  const [a2, b2, c2] = parts(to);
  const seriesFrom = engine.majorRule === 'series' || (engine.seriesBelow !== undefined && a1 < engine.seriesBelow);
  const seriesTo = engine.majorRule === 'series' || (engine.seriesBelow !== undefined && a2 < engine.seriesBelow);
  const keyFrom = seriesFrom ? `${a1}.${b1}` : `${a1}`;
  const keyTo = seriesTo ? `${a2}.${b2}` : `${a2}`;
  if (keyFrom !== keyTo) return 'major';
  if (!seriesFrom && b1 !== b2) return 'minor';
  if (c1 !== c2) return 'patch';
  return 'patch';
}

/** Outcome of {@link resolveTarget}. `candidates`: every allowed entry matching the request, newest first. */
export type Resolution =
  | {
      ok: true;
      target: CatalogEntry;
      updateType: UpdateType;
      candidates: CatalogEntry[];
      /** Set when the target runs on another base OS than the current entry (allowed by KubeDB's webhook): one sentence for the requester and approvers. */
      warning?: string;
    }
  | {
      ok: false;
      /**
       * `confirm_base_os_change` is an offer, not a refusal: the only newer allowed targets of a version ask
       * run on another base OS, which KubeDB's webhook allows for this engine; `offer` is the one the bot
       * would pick, and asking for it by its exact name confirms (the answer is then ok, with a `warning`).
       */
      code: 'unknown_version' | 'deprecated' | 'not_allowed' | 'downgrade' | 'same_version' | 'distribution_change' | 'base_os_change' | 'confirm_base_os_change';
      message: string;
      hint?: string;
      offer?: CatalogEntry;
    };

type Failure = Extract<Resolution, { ok: false }>;

/**
 * The bot's "newer than" order for picking the newest candidate and spotting downgrades: numeric
 * `major.minor.patch`, then a version without suffix above one with, then suffixes in natural order
 * (`2022-cu9` < `2022-cu12`). Whether KubeDB *allows* a target is decided by Masterminds order in
 * {@link satisfiesConstraints} alone; Masterminds would sort `cu9` above `cu12` (byte order of alphanumeric
 * prerelease identifiers), which is no use for choosing.
 */
function naturalCompare(a: string, b: string): number {
  const x = numericVersion(a);
  const y = numericVersion(b);
  if (!x || !y) return x ? 1 : y ? -1 : 0;
  const c = semver.compare(x, y);
  if (c !== 0) return c;
  const sa = suffixOf(a);
  const sb = suffixOf(b);
  if (sa === sb) return 0;
  if (!sa) return 1;
  if (!sb) return -1;
  const d = sa.localeCompare(sb, 'en', { numeric: true });
  return d < 0 ? -1 : d > 0 ? 1 : 0;
}

function suffixOf(v: string): string {
  return v.trim().replace(/^[vV]?\d+(\.\d+){0,2}/, '').replace(/\+.*$/, '');
}

/** Compare two entries by version, then prefer the canonical name (name === version), then by name. */
function compareEntries(x: CatalogEntry, y: CatalogEntry): number {
  const c = naturalCompare(x.version, y.version);
  if (c !== 0) return c;
  const xc = x.name === x.version ? 1 : 0;
  const yc = y.name === y.version ? 1 : 0;
  if (xc !== yc) return xc - yc;
  return y.name.localeCompare(x.name);
}

function newestFirst(list: CatalogEntry[]): CatalogEntry[] {
  return [...list].sort((x, y) => compareEntries(y, x));
}

function cmpVersion(a: string, b: string): number {
  return naturalCompare(a, b);
}

/**
 * The product an entry runs, by `spec.distribution` corrected by its database image: the real catalog
 * labels `timescaledb-2.14.2-pg15`/`-pg16` `Official` though their image is `timescale/timescaledb`
 * (kubedb/installer `charts/kubedb-catalog/templates/postgres/postgres-15.6-timescaledb.yaml`), so the image
 * decides for TimescaleDB, PostGIS and DocumentDB.
 */
export function productOf(e: CatalogEntry): string {
  const img = e.dbImage.toLowerCase();
  if (img.includes('timescale/timescaledb') || img.includes('/timescaledb')) return 'TimescaleDB';
  if (img.includes('postgis')) return 'PostGIS';
  if (/documentdb/.test(img)) return 'DocumentDB';
  return e.distribution ?? '';
}

/**
 * Base-OS words of image tags in KubeDB's catalog (kubedb/installer 0c6e2459): Docker's official images tag
 * their variants `-debian`, `-oracle` (Oracle Linux), `-alpine`, `-bookworm`, `-bullseye`
 * (https://hub.docker.com/_/mysql, https://hub.docker.com/_/postgres); KubeDB's ProxySQL images
 * `-centos`/`-debian`; SingleStore's `alma-…` (AlmaLinux).
 */
const OS_WORDS = /(?:^|[-_.])(alpine|bookworm|bullseye|buster|stretch|debian|centos|ubuntu|jammy|focal|noble|oracle|ubi\d*|alma|rocky)(?=$|[-_.])/i;

/** The tag of an image reference (`ghcr.io/appscode-images/mysql:5.7.44-oracle` → `5.7.44-oracle`), '' without one. */
function imageTag(image: string): string {
  const noDigest = image.split('@')[0];
  const slash = noDigest.lastIndexOf('/');
  const colon = noDigest.lastIndexOf(':');
  return colon > slash ? noDigest.slice(colon + 1) : '';
}

/**
 * The base OS of an entry, from the catalog's facts: `spec.db.baseOS` (Postgres), else the OS word of its
 * database image's tag (`mysql:5.7.44-oracle` → `oracle`, `proxysql:2.4.4-centos` → `centos`); '' when
 * neither says (an unknown base OS); an image's release code name counts as its distribution (`jammy`,
 * `noble` → `ubuntu`; `ubi9` → `ubi`). Never from the catalog *name*: `5.7.44` runs Oracle Linux although its
 * name has no suffix, `5.7.42-debian` runs Debian, and `8.0.36` Debian again (`mysql:8.0.36-debian`).
 */
export function osOf(e: CatalogEntry): string {
  if (e.baseOS) return e.baseOS.toLowerCase();
  const word = OS_WORDS.exec(imageTag(e.dbImage))?.[1].toLowerCase() ?? '';
  return OS_FAMILY[word] ?? word.replace(/\d+$/, '');
}

/**
 * Release code names of an image tag by distribution: a MariaDB image moving from `-jammy` to `-noble`
 * stays on Ubuntu, which no webhook minds. (Postgres' `spec.db.baseOS` is compared as written, as KubeDB's
 * Postgres webhook does: `bullseye` → `bookworm` is a change there.)
 */
const OS_FAMILY: Record<string, string> = { jammy: 'ubuntu', focal: 'ubuntu', noble: 'ubuntu', bookworm: 'debian', bullseye: 'debian', buster: 'debian', stretch: 'debian' };

/** Whether two base OSes may be the same: equal, or either unknown (''). */
function sameOS(a: string, b: string): boolean {
  return !a || !b || a === b;
}

/**
 * Whether KubeDB's ops webhook lets an UpdateVersion OpsRequest change the base OS: only Postgres compares
 * `spec.db.baseOS` of the current and target versions and refuses a difference (kubedb/apimachinery
 * `pkg/webhooks/ops/v1alpha1/postgres.go`); the MySQL, ProxySQL and other webhooks check update constraints
 * and deprecation but not the base OS (`mysql.go`, `proxysql.go`).
 */
export function allowsBaseOsChange(engine: Engine): boolean {
  return engine.kind !== 'Postgres';
}

/** "runs on Debian (image `…`)" for messages. */
function osWords(e: CatalogEntry): string {
  const os = osOf(e);
  const name = os === 'oracle' ? 'Oracle Linux' : os ? os.charAt(0).toUpperCase() + os.slice(1) : 'an unknown base OS';
  return `${name} (image \`${e.dbImage}\`)`;
}

/** The warning of an update that changes the base OS (for the requester and the approvers). */
export function baseOsWarning(current: CatalogEntry, target: CatalogEntry): string {
  return `\`${target.name}\` runs on ${osWords(target)}, \`${current.name}\` on ${osWords(current)}: the update changes the base OS of the database's image (KubeDB allows it). Check that nothing depends on the old OS (extensions, locale, collation).`;
}

/**
 * Whether `e` has `current`'s flavour.
 * - `strict` (prefix asks: the bot chooses, so it never switches product or base OS): same product
 *   ({@link productOf}) and the same base OS ({@link osOf}; both unset counts as the same).
 * - not strict (an exact catalog name): KubeDB's webhook rules — base OS: refused when both are set and
 *   differ (Postgres, kubedb/apimachinery `pkg/webhooks/ops/v1alpha1/postgres.go`); distribution: Postgres
 *   refuses a change when both are set (same file), Redis/RedisSentinel allow Official ↔ Valkey only within a
 *   major version (`redis.go`, `redissentinel.go`: "can't upgrade Official to Valkey with a different major
 *   version"); other engines' webhooks do not compare distributions (MongoDB's only checks
 *   `updateConstraints`, `mongodb.go`), but a product the image shows to differ (TimescaleDB labelled
 *   Official) or a change between Elasticsearch and OpenSearch is refused here: never a silent product switch.
 */
function sameFlavour(current: CatalogEntry, e: CatalogEntry, engine?: Engine, strict = true): 'ok' | 'distribution' | 'baseOS' {
  if (strict) {
    if (productOf(current) !== productOf(e)) return 'distribution';
    if (!sameOS(osOf(current), osOf(e))) return 'baseOS';
    return 'ok';
  }
  if (!sameOS(osOf(current), osOf(e)) && (!engine || !allowsBaseOsChange(engine))) return 'baseOS';
  const dc = current.distribution ?? '';
  const de = e.distribution ?? '';
  const kind = engine?.kind ?? '';
  if (kind === 'Redis' || kind === 'RedisSentinel') {
    if (dc !== de && numericVersion(current.version)?.major !== numericVersion(e.version)?.major) return 'distribution';
    return 'ok';
  }
  if (productOf(current) && productOf(e) && productOf(current) !== productOf(e)) return 'distribution';
  if (kind === 'Postgres' && dc && de && dc !== de) return 'distribution';
  return 'ok';
}

function usable(entries: CatalogEntry[]): CatalogEntry[] {
  return entries.filter((e) => numericVersion(e.version) !== null);
}

/**
 * The entries `current` may be updated to, newest first, each with its update type (for
 * `/dbupdate versions` and the hints): not deprecated, the same product ({@link productOf}), a higher
 * version than the current one, allowed by the current entry's update constraints, and on the same base OS
 * ({@link osOf}) — or on another one where KubeDB's webhook allows the change ({@link allowsBaseOsChange}),
 * then marked `baseOsChange`.
 */
export function allowedTargets(engine: Engine, current: CatalogEntry, catalog: CatalogEntry[]): Array<{ entry: CatalogEntry; updateType: UpdateType; baseOsChange?: true }> {
  if (!numericVersion(current.version)) return [];
  return newestFirst(
    usable(catalog).filter(
      (e) =>
        e.name !== current.name &&
        !e.deprecated &&
        productOf(current) === productOf(e) &&
        sameFlavour(current, e, engine, false) === 'ok' &&
        cmpVersion(e.version, current.version) > 0 &&
        satisfiesConstraints(e.version, current.allowlist, current.denylist).ok,
    ),
  ).map((entry) => ({ entry, updateType: updateType(engine, current.version, entry.version), ...(sameOS(osOf(current), osOf(entry)) ? {} : { baseOsChange: true as const }) }));
}

/** "`8.4.3`", "`5.7.44` (base OS oracle)" — up to `n` allowed targets, those sharing the requested major first, same base OS before another. */
function nearest(engine: Engine, current: CatalogEntry, catalog: CatalogEntry[], requested: string, n = 5): string[] {
  const all = allowedTargets(engine, current, catalog);
  const major = numericVersion(requested)?.major;
  const rank = (t: (typeof all)[number]) => (numericVersion(t.entry.version)?.major === major ? 0 : 2) + (t.baseOsChange ? 1 : 0);
  const ordered = all.map((t, i) => ({ t, i })).sort((a, b) => rank(a.t) - rank(b.t) || a.i - b.i);
  let names = ordered.slice(0, n).map(({ t }) => `\`${t.entry.name}\`${t.baseOsChange ? ` (base OS ${osOf(t.entry) || 'unknown'})` : ''}`);
  if (names.length === 0) {
    // Nothing of the same product: still name what an exact ask would pass (e.g. Redis → Valkey), never "nothing".
    names = newestFirst(usable(catalog).filter((e) => e.name !== current.name && checkExact(engine, current, e, () => '').ok)).slice(0, n).map((e) => `\`${e.name}\``);
  }
  return names;
}

function hintFor(engine: Engine, current: CatalogEntry, catalog: CatalogEntry[], requested: string): string {
  const near = nearest(engine, current, catalog, requested);
  if (near.length === 0) {
    return `No version is allowed as a target from \`${current.name}\` in this cluster's ${engine.catalogKind} catalog.`;
  }
  return `Allowed from \`${current.name}\`: ${near.join(', ')}. See all with \`/dbupdate versions ${engine.name} <database>\`.`;
}

function failure(code: Failure['code'], message: string, hint: string): Failure {
  return { ok: false, code, message, hint };
}

const PREFIX = /^\d+(\.\d+){0,2}$/;
/** A series name (`8`, `8.0`, `16.1`): at most two numbers. */
const SERIES = /^\d+(\.\d+)?$/;

/** Whether `e.version`'s numbers start with the numbers of `prefix` (`8.4` matches 8.4.x; `8` matches 8.x.y). */
function matchesPrefix(e: CatalogEntry, prefix: string): boolean {
  const want = prefix.split('.').map(Number);
  const have = parts(e.version);
  return want.every((n, i) => have[i] === n);
}

/** What a catalog name adds after its numbers: `2.4.4-debian` → `-debian`, `16.4` → ``. */
function nameSuffix(e: CatalogEntry): string {
  return e.name.replace(/^[vV]?\d+(\.\d+){0,2}/, '');
}

function flavour(e: CatalogEntry): string {
  return productOf(e) || 'unspecified';
}

/**
 * Resolve a requested version for a database currently on catalog entry `current`.
 * 1. `requested` (a leading `v` is ignored) that exactly names a catalog entry → that entry, checked.
 * 2. Otherwise a numeric prefix (`8`, `8.4`, `8.4.3`) → the newest entry (by numeric version) whose version
 *    starts with the prefix, is not deprecated, has the current entry's distribution (and baseOS when the
 *    current one has one), is newer than the current version and is allowed by its update constraints.
 *    The base OS comes from the catalog's facts ({@link osOf}: `spec.db.baseOS` or the image tag). When every
 *    newer allowed match runs on another base OS and the engine's webhook allows that ({@link allowsBaseOsChange}),
 *    the answer is `confirm_base_os_change` with the `offer` and a warning; its exact name then passes, with `warning`.
 * Failures (each with a message saying what is wrong and a hint listing the nearest allowed targets):
 * `unknown_version` (no entry by that name or prefix), `deprecated` (only deprecated entries match),
 * `not_allowed` (the current entry's constraints refuse it), `downgrade`, `same_version` (already there),
 * `distribution_change` / `base_os_change` (the only matches change distribution / Postgres base OS, which
 * KubeDB refuses).
 */
export function resolveTarget(engine: Engine, current: CatalogEntry, requested: string, catalog: CatalogEntry[]): Resolution {
  const req = (requested ?? '').trim().replace(/^[vV](?=\d)/, '');
  const hint = () => hintFor(engine, current, catalog, req);
  if (!numericVersion(current.version)) {
    return failure('unknown_version', `The current version \`${current.name}\` has no numeric version (\`${current.version}\`), so updates cannot be checked.`, 'Ask a cluster admin to check the catalog entry.');
  }
  const exact = catalog.find((e) => e.name === req);
  if (exact) {
    const checked = checkExact(engine, current, exact, hint);
    // A series ask: the real catalog has deprecated entries named `8.0`, `8`, `5.7`, `5.0` (kubedb/installer
    // `charts/kubedb-catalog/templates/mysql/deprecated-mysql-8.0-official.yaml`), and `16.1` exists for
    // several base OSes; a numeric name that is deprecated or of another flavour is read as a prefix ask.
    if (!checked.ok && SERIES.test(req) && (checked.code === 'deprecated' || checked.code === 'base_os_change' || checked.code === 'distribution_change')) {
      const byPrefix = resolvePrefix(engine, current, req, catalog, hint);
      if (byPrefix.ok || checked.code === 'deprecated') return byPrefix;
    }
    return checked;
  }
  if (!PREFIX.test(req)) {
    return failure('unknown_version', `\`${req}\` is not a ${engine.catalogKind} in this cluster's catalog.`, hint());
  }
  return resolvePrefix(engine, current, req, catalog, hint);
}

function resolvePrefix(engine: Engine, current: CatalogEntry, req: string, catalog: CatalogEntry[], hint: () => string): Resolution {
  const matches = usable(catalog).filter((e) => matchesPrefix(e, req));
  if (matches.length === 0) {
    return failure('unknown_version', `No ${engine.catalogKind} in this cluster's catalog matches \`${req}\`.`, hint());
  }
  // The bot never switches product on a version ask.
  const sameProduct = matches.filter((e) => productOf(e) === productOf(current));
  if (sameProduct.length === 0) {
    const found = [...new Set(matches.map(flavour))].join(', ');
    return failure('distribution_change', `\`${req}\` exists only as ${found}, but \`${current.name}\` is ${flavour(current)}; the bot never switches product (distribution) on a version ask.`, hint());
  }
  const os = osOf(current);
  const onSameOS = (e: CatalogEntry) => sameOS(os, osOf(e));
  let pool = sameProduct;
  if (!allowsBaseOsChange(engine)) {
    // Postgres: another base OS is never a candidate (KubeDB's webhook refuses it).
    pool = sameProduct.filter(onSameOS);
    if (pool.length === 0) {
      const found = [...new Set(sameProduct.map((e) => osOf(e) || 'unspecified'))].join(', ');
      return failure('base_os_change', `\`${req}\` exists only for base OS ${found}, but \`${current.name}\` runs on ${os || 'an unspecified base OS'}, and KubeDB cannot change the base OS of a ${engine.kind} in an update.`, hint());
    }
  }
  const live = pool.filter((e) => !e.deprecated);
  if (live.length === 0) {
    return failure('deprecated', `Every ${engine.catalogKind} matching \`${req}\` is deprecated (${newestFirst(pool).map((e) => `\`${e.name}\``).join(', ')}); KubeDB does not update to deprecated versions.`, hint());
  }
  const newer = live.filter((e) => cmpVersion(e.version, current.version) > 0);
  const byConstraints = newer.filter((e) => satisfiesConstraints(e.version, current.allowlist, current.denylist).ok);
  // What KubeDB's webhook would refuse for the exact name (e.g. Postgres: a different `spec.distribution`
  // label, as TimescaleDB pg14 → pg15 labelled Official) is never picked.
  const allowed = byConstraints.filter((e) => sameFlavour(current, e, engine, false) === 'ok');
  if (byConstraints.length > 0 && allowed.length === 0) {
    const top = newestFirst(byConstraints)[0];
    return failure('distribution_change', `\`${req}\` (newest: \`${top.name}\`) is labelled distribution ${top.distribution ?? 'unset'} in the catalog, \`${current.name}\` ${current.distribution ?? 'unset'}: KubeDB's ${engine.kind} webhook refuses to change the distribution in an update.`, hint());
  }
  const allowedSameOS = allowed.filter(onSameOS);
  if (allowedSameOS.length > 0) {
    const candidates = newestFirst(allowedSameOS);
    // Among entries of the same version, prefer the one named like the current one (`-debian` stays `-debian`).
    const suffix = nameSuffix(current);
    const top = candidates.filter((e) => cmpVersion(e.version, candidates[0].version) === 0);
    const preferred = top.find((e) => nameSuffix(e) === suffix);
    if (preferred && preferred !== candidates[0]) {
      candidates.splice(candidates.indexOf(preferred), 1);
      candidates.unshift(preferred);
    }
    const target = candidates[0];
    return { ok: true, target, updateType: updateType(engine, current.version, target.version), candidates };
  }
  if (allowed.length > 0) {
    // Newer allowed targets exist, all on another base OS.
    // (Only where the webhook allows it: for Postgres the pool holds the same base OS alone.)
    const offer = newestFirst(allowed)[0];
    return {
      ok: false,
      code: 'confirm_base_os_change',
      offer,
      message: `:warning: No \`${req}\` newer than \`${current.name}\` runs on ${os || 'its base OS'}; the newest allowed is \`${offer.name}\` (${updateType(engine, current.version, offer.version)} update). ${baseOsWarning(current, offer)} To go ahead, ask for it by its exact name: \`/dbupdate ${engine.name} <database> ${offer.name}\`.`,
      hint: '',
    };
  }
  if (newer.length > 0) {
    const why = satisfiesConstraints(newestFirst(newer)[0].version, current.allowlist, current.denylist).reason;
    return failure('not_allowed', `\`${current.name}\`'s update constraints do not allow \`${req}\`: ${why}.`, hint());
  }
  const liveSameOS = live.filter(onSameOS);
  if (liveSameOS.some((e) => cmpVersion(e.version, current.version) === 0)) {
    return failure('same_version', `\`${current.name}\` is already the newest \`${req}\` version: nothing to do.`, hint());
  }
  const top = newestFirst(liveSameOS.length ? liveSameOS : live)[0];
  return failure('downgrade', `\`${req}\` (newest: \`${top.name}\`) is older than the current \`${current.name}\`; downgrades are not supported.`, hint());
}

/**
 * Kinds whose ops webhook refuses a deprecated target (kubedb/apimachinery `pkg/webhooks/ops/v1alpha1/`
 * `perconaxtradb.go`, `proxysql.go`, `pgbouncer.go`, `rabbitmq.go`, `singlestore.go`); the bot refuses
 * deprecated targets for every engine.
 */
const REFUSES_DEPRECATED = new Set(['PerconaXtraDB', 'ProxySQL', 'PgBouncer', 'RabbitMQ', 'Singlestore']);

function checkExact(engine: Engine, current: CatalogEntry, e: CatalogEntry, hint: () => string): Resolution {
  if (e.name === current.name) return failure('same_version', `\`${current.name}\` is already the current version: nothing to do.`, hint());
  if (!numericVersion(e.version)) return failure('unknown_version', `\`${e.name}\` has no numeric version (\`${e.version}\`) and cannot be used.`, hint());
  const fl = sameFlavour(current, e, engine, false);
  if (fl === 'distribution') {
    if (engine.kind === 'Redis' || engine.kind === 'RedisSentinel') {
      return failure('distribution_change', `\`${e.name}\` is ${productOf(e) || 'unlabelled'} ${e.version}, but \`${current.name}\` is ${productOf(current) || 'unlabelled'} ${current.version}: KubeDB's webhook allows a change between Official and Valkey only within one major version.`, hint());
    }
    return failure('distribution_change', `\`${e.name}\` is ${productOf(e) || 'an unlabelled distribution'}, but \`${current.name}\` is ${productOf(current) || 'unlabelled'}; an update cannot switch product (distribution), only its version.`, hint());
  }
  if (fl === 'baseOS') {
    return failure('base_os_change', `\`${e.name}\` runs on ${osOf(e) || 'an unspecified base OS'}, but \`${current.name}\` runs on ${osOf(current) || 'an unspecified base OS'}; KubeDB cannot change the base OS in an update.`, hint());
  }
  if (e.deprecated) return failure('deprecated', `\`${e.name}\` is deprecated in the ${engine.catalogKind} catalog; ${REFUSES_DEPRECATED.has(engine.kind) ? "KubeDB's webhook refuses deprecated targets" : 'the bot does not update to deprecated versions'}.`, hint());
  const c = cmpVersion(e.version, current.version);
  if (c < 0) return failure('downgrade', `\`${e.name}\` (${e.version}) is older than the current \`${current.name}\` (${current.version}); downgrades are not supported.`, hint());
  const check = satisfiesConstraints(e.version, current.allowlist, current.denylist);
  if (!check.ok) return failure('not_allowed', `\`${current.name}\`'s update constraints do not allow \`${e.name}\`: ${check.reason}.`, hint());
  const warning = sameOS(osOf(current), osOf(e)) ? undefined : baseOsWarning(current, e);
  return { ok: true, target: e, updateType: updateType(engine, current.version, e.version), candidates: [e], ...(warning ? { warning } : {}) };
}
