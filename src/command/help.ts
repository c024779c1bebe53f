/**
 * Usage lines and the help text of `/dbupdate` (Slack mrkdwn). Pure; engines come from the engine table.
 */
import { ENGINES } from '../engines/table.js';

/** One usage line per command kind, as shown with errors. */
export const USAGE = {
  update:
    '`/dbupdate <engine> <database> <version> [-n|--namespace NS] [-c|--cluster NAME] [--reason TEXT] [--at WHEN] [--dry-run]`',
  fleet: '`/dbupdate <engine> -l SELECTOR | --all | <db>,<db>,… <version> [-n|--namespace NS] [-c|--cluster NAME] [--reason TEXT] [--dry-run]`',
  versions: '`/dbupdate versions <engine> [<database>] [-n|--namespace NS] [-c|--cluster NAME]`',
  status: '`/dbupdate status <database> [-n|--namespace NS] [-c|--cluster NAME]`',
  list: '`/dbupdate list [--all]`',
  cancel: '`/dbupdate cancel <id | batch>`',
  resume: '`/dbupdate resume <id>`',
  retry: '`/dbupdate retry <id>`',
  drift: '`/dbupdate drift [<engine>] [-n|--namespace NS] [-c|--cluster NAME]`',
  help: '`/dbupdate help`',
} as const;

/** Key of {@link USAGE}. */
export type UsageKey = keyof typeof USAGE;

/** All usage lines, one per line (used when the command word itself is unknown). */
export function allUsage(): string {
  return Object.values(USAGE).join('\n');
}

/** Supported engines with their aliases, e.g. "mysql (my), postgres (postgresql, pg, pgsql)" (plain text). */
export function engineList(): string {
  return ENGINES.map((e) => (e.aliases.length ? `\`${e.name}\` (${e.aliases.join(', ')})` : `\`${e.name}\``)).join(', ');
}

/**
 * The help text in Slack mrkdwn, written to be read: one line per task with an example command (the only
 * code spans), options and the forms of `<database>` and `<version>` in words, the engines (from `ENGINES`)
 * as plain text, and the full syntax of each command last.
 */
export function helpText(): string {
  return (help ??= renderHelpText());
}

/** The help text, once per process (it depends only on constants: `/dbupdate help` is answered in the ack, and a burst of them should cost no more than a bare ack). */
let help: string | undefined;

function renderHelpText(): string {
  const engines = ENGINES.map((e) => (e.aliases.length ? `${e.name} (${e.aliases.join(', ')})` : e.name)).join(', ');
  return [
    '*dbupdate* updates the version of a KubeDB database once the approvers agree.',
    '• *Ask for an update:* `/dbupdate mysql orders 8.4` — options: --reason "why", --at "sat 02:00" (start no earlier), --dry-run (check only, ask nobody), -n namespace, -c cluster.',
    '• *Update a fleet:* `/dbupdate mysql -l tier=staging 8.4` — or --all -n namespace, or names orders,ledger,billing/pool; every database is checked, approved once as a batch, then updated in waves (a canary first); cancel the batch by its id.',
    '• *See what a database may move to:* `/dbupdate versions mysql orders`',
    '• *Follow requests:* `/dbupdate status orders` for one database, `/dbupdate list` for the open requests (--all: finished ones too).',
    '• *Stop or recover:* `/dbupdate cancel <id>` before it starts; after a failure, *resume <id>* resumes a database left paused and *retry <id>* asks again (checked and approved afresh). The id is in the request message.',
    '• *Find what is behind:* `/dbupdate drift` lists the databases on a deprecated version or behind the newest allowed patch, minor or major, by engine and namespace (an engine and -n namespace narrow it), each group with a *Request update* button.',
    'A database is its name or namespace/name; a version is a prefix (8.4: the newest allowed 8.4.x) or a catalog name (8.0.31-innodb, 16.13-bookworm).',
    `*Engines:* ${engines}.`,
    `*Syntax:*\n\`\`\`${Object.values(USAGE).map((u) => u.replace(/^`|`$/g, '')).join('\n')}\`\`\``,
  ].join('\n');
}
