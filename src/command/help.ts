/**
 * Usage lines and the help text of `/dbupdate` (Slack mrkdwn). Pure; engines come from the engine table.
 */
import { ENGINES } from '../engines/table.js';

/** One usage line per command kind, as shown with errors. */
export const USAGE = {
  update:
    '`/dbupdate <engine> <database> <version> [-n|--namespace NS] [-c|--cluster NAME] [--reason TEXT] [--at WHEN] [--dry-run]`',
  versions: '`/dbupdate versions <engine> [<database>] [-n|--namespace NS] [-c|--cluster NAME]`',
  status: '`/dbupdate status <database> [-n|--namespace NS] [-c|--cluster NAME]`',
  list: '`/dbupdate list [--all]`',
  cancel: '`/dbupdate cancel <id>`',
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

/** Supported engines with their aliases, e.g. "`mysql` (my), `postgres` (postgresql, pg, pgsql)". */
export function engineList(): string {
  return ENGINES.map((e) => (e.aliases.length ? `\`${e.name}\` (${e.aliases.join(', ')})` : `\`${e.name}\``)).join(', ');
}

/**
 * The complete help text in Slack mrkdwn: every command with an example, the forms of `<database>` and
 * `<version>`, and the supported engines with their aliases (from `ENGINES`).
 */
export function helpText(): string {
  return [
    '*`/dbupdate`: update the version of a KubeDB database, with approval*',
    `${USAGE.update}\n    request an update, e.g. \`/dbupdate mysql orders 8.4\` or \`/dbupdate postgres billing/ledger 16 --reason "CVE-2026-1234" --at "sat 02:00"\``,
    `${USAGE.versions}\n    what the database may be updated to, e.g. \`/dbupdate versions mysql orders\``,
    `${USAGE.status}\n    the current version and any update in progress`,
    `${USAGE.list}\n    open update requests (\`--all\`: finished ones too)`,
    `${USAGE.cancel}\n    cancel a request that has not started`,
    `${USAGE.resume}\n    resume the database a failed request left paused (requester or approver)`,
    `${USAGE.retry}\n    ask again for what a failed request asked: checked and approved afresh`,
    `${USAGE.drift}\n    version drift: databases on a deprecated version or behind the newest allowed patch, minor or major, by engine and namespace`,
    '*<database>* is `name` or `namespace/name` (lower-case letters, digits and `-`).',
    '*<version>* is a prefix (`8.4` → the newest allowed `8.4.x`) or a catalog name (`8.0.31-innodb`, `16.13-bookworm`).',
    '`--dry-run` checks and shows the plan without asking for approval.',
    `*Engines:* ${engineList()}`,
  ].join('\n');
}
