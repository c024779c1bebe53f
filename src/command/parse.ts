/**
 * The grammar of `/dbupdate` (pure; Slack sends the text after the command):
 * ```
 * /dbupdate <engine> <database> <version> [-n|--namespace NS] [-c|--cluster NAME] [--reason TEXT] [--at WHEN] [--dry-run]
 * /dbupdate <engine> -l SELECTOR | --all | <db>,<db>,… <version> [-n NS] [-c NAME] [--reason TEXT] [--dry-run]   (a fleet: ./fleet.ts)
 * /dbupdate versions <engine> [<database>] [-n NS] [-c NAME]
 * /dbupdate status <database> [-n NS] [-c NAME]
 * /dbupdate list [--all]
 * /dbupdate cancel <id>
 * /dbupdate resume <id>     (resume a database a failed request left paused)
 * /dbupdate retry <id>      (ask again for a failed request: preflight and approvals afresh)
 * /dbupdate drift [<engine>] [-n NS] [-c NAME]   (databases behind the newest allowed version)
 * /dbupdate help            (also: empty text, `--help`, `-h`)
 * ```
 * Text is normalised (Slack HTML entities, smart quotes, autocorrected dashes) and tokenised with
 * `string-argv` (see `tokens.ts`). Options may come anywhere, also as `--flag=value`.
 *
 * Names: a database name and a namespace must be DNS-1123 labels — at most 63 characters, lower-case
 * alphanumerics or '-', starting and ending with an alphanumeric (RFC 1123 §2.1 host names as restricted by
 * Kubernetes: https://kubernetes.io/docs/concepts/overview/working-with-objects/names/#dns-label-names).
 * They are checked here, before any API call.
 */
import { findEngine, type Engine } from '../engines/table.js';
import { USAGE, allUsage, engineList, helpText as renderHelp, type UsageKey } from './help.js';
import { normaliseSlackText, readFlags, tokenize, type FlagSpec } from './tokens.js';
import { MAX_FLEET_NAMES, parseLabelSelector, type Selection } from './fleet.js';

/** A parsed command. `namespace` is absent when the user gave none (the caller applies its default). */
export type Command =
  | {
      kind: 'update';
      engine: Engine;
      namespace?: string;
      name: string;
      /** Version prefix (`8.4`) or catalog name (`8.0.31-innodb`), leading `v` removed; resolved later. */
      version: string;
      cluster?: string;
      reason?: string;
      /** Free text (`sat 02:00`); interpreted by the policy/schedule part. */
      at?: string;
      dryRun: boolean;
    }
  /**
   * A fleet request (issue #19 item 1): several databases of one engine to one version, approved once
   * and run in waves. `namespace` scopes `-l` and `--all` (absent: the caller's default).
   */
  | {
      kind: 'fleet';
      engine: Engine;
      selection: Selection;
      namespace?: string;
      version: string;
      cluster?: string;
      reason?: string;
      dryRun: boolean;
    }
  | { kind: 'versions'; engine: Engine; namespace?: string; name?: string; cluster?: string }
  | { kind: 'status'; namespace?: string; name: string; cluster?: string }
  | { kind: 'list'; all: boolean }
  | { kind: 'cancel'; id: string }
  /** Resume the database a finished request left paused (the leader removes the `Paused` condition). */
  | { kind: 'resume'; id: string }
  /** Request again what a Failed request asked for: a new record, preflight and approvals afresh. */
  | { kind: 'retry'; id: string }
  /** Version drift: databases on a deprecated entry or behind the newest allowed patch/minor/major (`src/drift/`). */
  | { kind: 'drift'; engine?: Engine; namespace?: string; cluster?: string }
  | { kind: 'help' };

/** Outcome of {@link parseCommand}: a command, or an error saying what is wrong and how to fix it plus the relevant usage line(s). */
export type ParseResult = { ok: true; command: Command } | { ok: false; error: string; usage: string };

/** Longest accepted `--reason`, in characters. */
export const MAX_REASON = 500;
/** Longest accepted `--at`, in characters. */
export const MAX_AT = 100;
/** Longest accepted version / catalog name (a Kubernetes label-sized name). */
export const MAX_VERSION = 63;

const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
/**
 * Allowed version text (after removing a leading `v` before a digit), ≤ 63 characters: a version that
 * starts with a digit, then `[0-9A-Za-z.+-]` (`8.4`, `2.7.3-debian`, `2022-cu12`); or a catalog name that
 * starts with a distribution word (KubeDB's real catalog: `valkey-8.1.1`, `percona-8.0.17`,
 * `xpack-8.18.8`, `opensearch-2.19.1`): lower-case words joined by `-`, then a digit, as a Kubernetes name.
 */
export const VERSION_PATTERN = /^(?=.{1,63}$)(?:[0-9][0-9A-Za-z.+-]*|[a-z][a-z0-9]*(?:-[a-z][a-z0-9]*)*-[0-9][0-9a-z.+-]*)$/;
const CLUSTER_PATTERN = /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/;

/** Whether `s` is a DNS-1123 label (RFC 1123; Kubernetes "DNS label names"): ≤ 63, `[a-z0-9-]`, alnum at both ends. */
export function isDns1123Label(s: string): boolean {
  return s.length <= 63 && DNS1123_LABEL.test(s);
}

/** Whether `s` is acceptable as a `<version>` (after the leading `v` is removed). */
export function isValidVersionText(s: string): boolean {
  return VERSION_PATTERN.test(s);
}

/** A valid label close to `s` to suggest in an error (`Orders_DB` → `orders-db`), or undefined. */
function suggestLabel(s: string): string | undefined {
  const t = s
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-')
    .replace(/-+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 63)
    .replace(/-+$/g, '');
  return t && isDns1123Label(t) && t !== s ? t : undefined;
}

/** Markdown code span that survives backticks in user text. */
function code(s: string): string {
  const shown = s.length > 80 ? `${s.slice(0, 77)}…` : s;
  return '`' + shown.replace(/`/g, "'") + '`';
}

/** Error for an invalid label; `what` is e.g. "database name" or "namespace". */
function labelError(value: string, what: string): string | undefined {
  if (isDns1123Label(value)) return undefined;
  if (value.length > 63) {
    return `${code(value)} is not a valid ${what}: it has ${value.length} characters and at most 63 are allowed (DNS-1123 label).`;
  }
  const sug = suggestLabel(value);
  return `${code(value)} is not a valid ${what}: use lower-case letters, digits and '-', starting and ending with a letter or digit (DNS-1123)${sug ? `, e.g. ${code(sug)}` : ''}.`;
}

/** A database as the user wrote it: `name`, or `namespace/name`. */
export type DbRef = { namespace?: string; name: string };

/** Parse `name` or `namespace/name` and reconcile it with `-n`. */
export function parseDatabase(text: string, nsFlag: string | undefined): { ok: true; ref: DbRef } | { ok: false; error: string } {
  const parts = text.split('/');
  if (parts.length > 2) {
    return { ok: false, error: `${code(text)} is not a valid database: write \`name\` or \`namespace/name\`, e.g. \`billing/ledger\`.` };
  }
  const [nsPart, namePart] = parts.length === 2 ? [parts[0], parts[1]] : [undefined, parts[0]];
  if (parts.length === 2 && (nsPart === '' || namePart === '')) {
    return { ok: false, error: `${code(text)} is not a valid database: write \`namespace/name\` with both parts, e.g. \`billing/ledger\`.` };
  }
  if (nsPart !== undefined) {
    const e = labelError(nsPart, 'namespace');
    if (e) return { ok: false, error: e };
  }
  const e = labelError(namePart, 'database name');
  if (e) return { ok: false, error: e };
  if (nsFlag !== undefined) {
    const ne = labelError(nsFlag, 'namespace');
    if (ne) return { ok: false, error: ne };
    if (nsPart !== undefined && nsPart !== nsFlag) {
      return {
        ok: false,
        error: `The namespace is given twice and differs: ${code(text)} says ${code(nsPart)} but \`-n\` says ${code(nsFlag)}. Give it once, e.g. ${code(`${nsPart}/${namePart}`)}.`,
      };
    }
  }
  return { ok: true, ref: { namespace: nsPart ?? nsFlag, name: namePart } };
}

/** Validate a `<version>` word; returns it without a leading `v`. */
export function parseVersionWord(text: string): { ok: true; version: string } | { ok: false; error: string } {
  const v = /^[vV][0-9]/.test(text) ? text.slice(1) : text;
  if (isValidVersionText(v)) return { ok: true, version: v };
  const why =
    v.length > MAX_VERSION
      ? `it has ${v.length} characters and at most ${MAX_VERSION} are allowed`
      : /^[0-9]/.test(v)
        ? "use only letters, digits, '.', '+' and '-'"
        : 'it must start with a digit (or a distribution word and a dash)';
  return {
    ok: false,
    error: `${code(text)} is not a valid version: ${why}. Give a version like \`8.4\` or \`8.4.3\`, or a catalog name like \`8.0.31-innodb\` or \`valkey-8.1.1\`.`,
  };
}

const F_NS: FlagSpec = { key: 'namespace', names: ['-n', '--namespace'], takesValue: true, placeholder: 'NS' };
const F_CLUSTER: FlagSpec = { key: 'cluster', names: ['-c', '--cluster'], takesValue: true, placeholder: 'NAME' };
const F_REASON: FlagSpec = { key: 'reason', names: ['--reason'], takesValue: true, placeholder: '"TEXT"' };
const F_AT: FlagSpec = { key: 'at', names: ['--at'], takesValue: true, placeholder: '"sat 02:00"' };
const F_DRY: FlagSpec = { key: 'dryRun', names: ['--dry-run'], takesValue: false };
const F_ALL: FlagSpec = { key: 'all', names: ['--all'], takesValue: false };
const F_SELECTOR: FlagSpec = { key: 'selector', names: ['-l', '--selector'], takesValue: true, placeholder: 'SELECTOR' };

function fail(error: string, usage: UsageKey | 'all'): ParseResult {
  return { ok: false, error, usage: usage === 'all' ? allUsage() : USAGE[usage] };
}

function str(v: string | true | undefined): string | undefined {
  return typeof v === 'string' ? v : undefined;
}

function checkCluster(v: string | undefined): string | undefined {
  if (v === undefined) return undefined;
  if (v.length <= 63 && CLUSTER_PATTERN.test(v)) return undefined;
  return `${code(v)} is not a valid cluster name: use the name from the bot's configuration (lower-case letters, digits, '-' and '.').`;
}

/**
 * Parse the text of a `/dbupdate` command. Never throws, for any string: every failure is returned as
 * `{ ok: false, error, usage }` with a non-empty message that says what was wrong and how to fix it.
 */
export function parseCommand(text: string): ParseResult {
  try {
    return parseUnsafe(typeof text === 'string' ? text : String(text));
  } catch (err) {
    // Defensive: the parser is written not to throw; never let a bug escape to the Slack handler.
    return fail(`Sorry, that command could not be read (${(err as Error)?.message ?? 'internal error'}). Try \`/dbupdate help\`.`, 'all');
  }
}

function parseUnsafe(raw: string): ParseResult {
  const t = tokenize(normaliseSlackText(raw));
  if (!t.ok) return fail(t.error, 'all');
  const tokens = t.tokens;
  if (tokens.length === 0) return { ok: true, command: { kind: 'help' } };
  const head = tokens[0].toLowerCase();
  const rest = tokens.slice(1);

  switch (head) {
    case 'help':
    case '--help':
    case '-h':
    case '?':
      return { ok: true, command: { kind: 'help' } };
    case 'list': {
      const r = readFlags(rest, [F_ALL], '/dbupdate list');
      if (!r.ok) return fail(r.error, 'list');
      if (r.positionals.length > 0) return fail(`\`/dbupdate list\` takes no arguments (got ${code(r.positionals[0])}); use \`--all\` to include finished requests.`, 'list');
      return { ok: true, command: { kind: 'list', all: r.flags.all === true } };
    }
    case 'cancel':
    case 'resume':
    case 'retry':
      return parseIdCommand(head, rest);
    case 'drift':
      return parseDrift(rest);
    case 'status': {
      const r = readFlags(rest, [F_NS, F_CLUSTER], '/dbupdate status');
      if (!r.ok) return fail(r.error, 'status');
      if (r.positionals.length === 0) return fail('Say which database: `/dbupdate status <database>`, e.g. `/dbupdate status orders`.', 'status');
      if (r.positionals.length > 1) return fail(`\`/dbupdate status\` takes one database (got also ${code(r.positionals[1])}).`, 'status');
      const db = parseDatabase(r.positionals[0], str(r.flags.namespace));
      if (!db.ok) return fail(db.error, 'status');
      const cluster = str(r.flags.cluster);
      const ce = checkCluster(cluster);
      if (ce) return fail(ce, 'status');
      return { ok: true, command: { kind: 'status', name: db.ref.name, ...opt('namespace', db.ref.namespace), ...opt('cluster', cluster) } };
    }
    case 'versions': {
      const r = readFlags(rest, [F_NS, F_CLUSTER], '/dbupdate versions');
      if (!r.ok) return fail(r.error, 'versions');
      if (r.positionals.length === 0) return fail(`Say which engine: \`/dbupdate versions <engine> [<database>]\`. Engines: ${engineList()}.`, 'versions');
      const engine = findEngine(r.positionals[0]);
      if (!engine) return fail(unknownEngine(r.positionals[0]), 'versions');
      if (r.positionals.length > 2) return fail(`Too many arguments: \`/dbupdate versions\` takes an engine and optionally a database (got also ${code(r.positionals[2])}).`, 'versions');
      const cluster = str(r.flags.cluster);
      const ce = checkCluster(cluster);
      if (ce) return fail(ce, 'versions');
      const nsFlag = str(r.flags.namespace);
      if (r.positionals.length === 1) {
        if (nsFlag !== undefined) {
          const ne = labelError(nsFlag, 'namespace');
          if (ne) return fail(ne, 'versions');
        }
        return { ok: true, command: { kind: 'versions', engine, ...opt('namespace', nsFlag), ...opt('cluster', cluster) } };
      }
      const db = parseDatabase(r.positionals[1], nsFlag);
      if (!db.ok) return fail(db.error, 'versions');
      return {
        ok: true,
        command: { kind: 'versions', engine, name: db.ref.name, ...opt('namespace', db.ref.namespace), ...opt('cluster', cluster) },
      };
    }
    default:
      return parseUpdate(tokens);
  }
}

function unknownEngine(word: string): string {
  return `${code(word)} is not a supported engine or command. Engines: ${engineList()}. Commands: \`versions\`, \`status\`, \`list\`, \`drift\`, \`cancel\`, \`resume\`, \`retry\`, \`help\`.`;
}

/** What each id command does, for "Say which request to …". */
const ID_VERB = { cancel: 'cancel', resume: 'resume the database of', retry: 'retry' } as const;

/** `cancel <id>`, `resume <id>`, `retry <id>`: one request id (a DNS-1123 label; a leading `#` is dropped), no options. */
function parseIdCommand(kind: 'cancel' | 'resume' | 'retry', rest: string[]): ParseResult {
  const r = readFlags(rest, [], `/dbupdate ${kind}`);
  if (!r.ok) return fail(r.error, kind);
  if (r.positionals.length === 0) return fail(`Say which request to ${ID_VERB[kind]}: \`/dbupdate ${kind} <id>\` (the id is shown in the request message and in \`/dbupdate list\`).`, kind);
  if (r.positionals.length > 1) return fail(`\`/dbupdate ${kind}\` takes one id (got also ${code(r.positionals[1])}).`, kind);
  const id = r.positionals[0].replace(/^#/, '');
  if (!isDns1123Label(id)) return fail(`${code(r.positionals[0])} is not a request id: copy the id from the request message or \`/dbupdate list\`, e.g. \`orders-3f9a1c2e\` (the database name and 8 hex digits).`, kind);
  return { ok: true, command: { kind, id } };
}

/** `drift [<engine>] [-n NS] [-c NAME]`: everything by default; an engine and a namespace narrow it. */
function parseDrift(rest: string[]): ParseResult {
  const r = readFlags(rest, [F_NS, F_CLUSTER], '/dbupdate drift');
  if (!r.ok) return fail(r.error, 'drift');
  if (r.positionals.length > 1) return fail(`\`/dbupdate drift\` takes at most an engine (got also ${code(r.positionals[1])}); narrow by namespace with \`-n\`.`, 'drift');
  let engine: Engine | undefined;
  if (r.positionals.length === 1) {
    engine = findEngine(r.positionals[0]);
    if (!engine) return fail(`${code(r.positionals[0])} is not a supported engine. Engines: ${engineList()}.`, 'drift');
  }
  const nsFlag = str(r.flags.namespace);
  if (nsFlag !== undefined) {
    const ne = labelError(nsFlag, 'namespace');
    if (ne) return fail(ne, 'drift');
  }
  const cluster = str(r.flags.cluster);
  const ce = checkCluster(cluster);
  if (ce) return fail(ce, 'drift');
  return { ok: true, command: { kind: 'drift', ...opt('engine', engine), ...opt('namespace', nsFlag), ...opt('cluster', cluster) } };
}

function opt<K extends string, V>(key: K, v: V | undefined): { [P in K]?: V } {
  return (v === undefined ? {} : { [key]: v }) as { [P in K]?: V };
}

function parseUpdate(tokens: string[]): ParseResult {
  const r = readFlags(tokens, [F_NS, F_CLUSTER, F_REASON, F_AT, F_DRY, F_SELECTOR, F_ALL], '/dbupdate <engine>');
  if (!r.ok) return fail(r.error, tokens.some((t) => /^(-l|--selector|--all)(=|$)/i.test(t)) ? 'fleet' : 'update');
  if (r.flags.selector !== undefined || r.flags.all !== undefined || (r.positionals[1] ?? '').includes(',')) return parseFleet(r.positionals, r.flags);
  const [engineWord, dbWord, versionWord, extra] = r.positionals;
  if (engineWord === undefined) return fail(`Say which engine, database and version, e.g. \`/dbupdate mysql orders 8.4\`. Engines: ${engineList()}.`, 'update');
  const engine = findEngine(engineWord);
  if (!engine) return fail(unknownEngine(engineWord), 'all');
  if (dbWord === undefined) return fail(`Say which ${engine.name} database and version, e.g. \`/dbupdate ${engine.name} orders 8.4\`.`, 'update');
  const db = parseDatabase(dbWord, str(r.flags.namespace));
  if (!db.ok) return fail(db.error, 'update');
  if (versionWord === undefined) {
    return fail(`Say which version to update ${code(dbWord)} to, e.g. \`/dbupdate ${engine.name} ${dbWord} 8.4\`; \`/dbupdate versions ${engine.name} ${dbWord}\` lists the allowed ones.`, 'update');
  }
  if (extra !== undefined) {
    return fail(`Too many arguments (${code(extra)}): give engine, database and version, then options. Quote text with spaces: \`--reason "CVE-2026-1234 fix"\`.`, 'update');
  }
  const ver = parseVersionWord(versionWord);
  if (!ver.ok) return fail(ver.error, 'update');
  const cluster = str(r.flags.cluster);
  const ce = checkCluster(cluster);
  if (ce) return fail(ce, 'update');
  const reason = str(r.flags.reason);
  if (reason !== undefined && reason.length > MAX_REASON) {
    return fail(`The reason is ${reason.length} characters long; at most ${MAX_REASON} are allowed. Shorten it, or link to a ticket.`, 'update');
  }
  const at = str(r.flags.at);
  if (at !== undefined && at.length > MAX_AT) {
    return fail(`\`--at\` is ${at.length} characters long; at most ${MAX_AT} are allowed, e.g. \`--at "sat 02:00"\`.`, 'update');
  }
  return {
    ok: true,
    command: {
      kind: 'update',
      engine,
      name: db.ref.name,
      version: ver.version,
      dryRun: r.flags.dryRun === true,
      ...opt('namespace', db.ref.namespace),
      ...opt('cluster', cluster),
      ...opt('reason', reason),
      ...opt('at', at),
    },
  };
}

/**
 * Parse a comma-separated list of databases (`orders,ledger,billing/pool`), each checked as a single
 * database is (`parseDatabase`: DNS-1123 names, `namespace/name`, agreeing with `-n`).
 * @returns the references without duplicates (in the order given), or the first error.
 */
export function parseNameList(text: string, nsFlag: string | undefined): { ok: true; refs: DbRef[] } | { ok: false; error: string } {
  const words = text.split(',').map((w) => w.trim());
  if (words.some((w) => w === '')) return { ok: false, error: `${code(text)} has an empty name (two commas, or one at an end): write \`orders,ledger,billing/pool\`.` };
  if (words.length > MAX_FLEET_NAMES) return { ok: false, error: `${words.length} databases are named; at most ${MAX_FLEET_NAMES} are allowed in a list: select them by label instead (\`-l key=value\`).` };
  const refs: DbRef[] = [];
  const seen = new Set<string>();
  for (const w of words) {
    const r = parseDatabase(w, nsFlag);
    if (!r.ok) return r;
    const key = `${r.ref.namespace ?? ''}/${r.ref.name}`;
    if (seen.has(key)) continue;
    seen.add(key);
    refs.push(r.ref);
  }
  return { ok: true, refs };
}

/**
 * A fleet request: `<engine> -l SELECTOR <version>`, `<engine> --all <version>` (both within `-n NS` or
 * the default namespace) or `<engine> <db>,<db>,… <version>`. `--at` is not taken (each member starts in
 * its wave, inside its own maintenance windows).
 */
function parseFleet(pos: string[], flags: Record<string, string | true>): ParseResult {
  const selectorText = str(flags.selector);
  const all = flags.all === true;
  const [engineWord] = pos;
  if (engineWord === undefined) return fail('Say which engine, which databases and which version, e.g. `/dbupdate mysql -l tier=staging 8.4`.', 'fleet');
  const engine = findEngine(engineWord);
  if (!engine) return fail(unknownEngine(engineWord), 'fleet');
  if (selectorText !== undefined && all) return fail('Give either `-l SELECTOR` or `--all`, not both: `--all` takes every database of the namespace.', 'fleet');
  const nsFlag = str(flags.namespace);
  if (nsFlag !== undefined) {
    const ne = labelError(nsFlag, 'namespace');
    if (ne) return fail(ne, 'fleet');
  }
  let selection: Selection;
  let versionWord: string | undefined;
  let extra: string | undefined;
  if (selectorText !== undefined || all) {
    [, versionWord, extra] = pos;
    if (versionWord !== undefined && versionWord.includes(',')) return fail(`With ${all ? '`--all`' : '`-l`'} no database names are given (got ${code(versionWord)}): drop the names, or drop ${all ? '`--all`' : '`-l`'}.`, 'fleet');
    if (selectorText !== undefined) {
      const sel = parseLabelSelector(selectorText);
      if (!sel.ok) return fail(sel.error, 'fleet');
      selection = { kind: 'labels', selector: sel.selector };
    } else selection = { kind: 'all' };
    if (extra !== undefined && versionWord !== undefined) {
      return fail(`Too many arguments (${code(versionWord)} ${code(extra)}): with ${all ? '`--all`' : '`-l`'} give the engine and the version only, e.g. \`/dbupdate ${engine.name} ${all ? '--all' : `-l ${selectorText}`} 8.4\`.`, 'fleet');
    }
  } else {
    const list = parseNameList(pos[1] ?? '', nsFlag);
    if (!list.ok) return fail(list.error, 'fleet');
    selection = { kind: 'names', refs: list.refs };
    [, , versionWord, extra] = pos;
    if (extra !== undefined) return fail(`Too many arguments (${code(extra)}): give engine, the databases (comma-separated, no spaces) and version, then options.`, 'fleet');
  }
  if (versionWord === undefined) return fail(`Say which version to update the databases to, e.g. \`/dbupdate ${engine.name} -l tier=staging 8.4\`.`, 'fleet');
  const ver = parseVersionWord(versionWord);
  if (!ver.ok) return fail(ver.error, 'fleet');
  if (flags.at !== undefined) return fail('`--at` is not taken by a fleet request: its members start wave by wave, each inside its maintenance windows.', 'fleet');
  const cluster = str(flags.cluster);
  const ce = checkCluster(cluster);
  if (ce) return fail(ce, 'fleet');
  const reason = str(flags.reason);
  if (reason !== undefined && reason.length > MAX_REASON) return fail(`The reason is ${reason.length} characters long; at most ${MAX_REASON} are allowed. Shorten it, or link to a ticket.`, 'fleet');
  return {
    ok: true,
    command: { kind: 'fleet', engine, selection, version: ver.version, dryRun: flags.dryRun === true, ...opt('namespace', nsFlag), ...opt('cluster', cluster), ...opt('reason', reason) },
  };
}

/** The help text (Slack mrkdwn): every command, the forms of database and version, engines with aliases. */
export function helpText(): string {
  return renderHelp();
}
