import { describe, expect, it } from 'vitest';
import { helpText, parseCommand, type Command } from '../src/command/parse.js';
import { USAGE } from '../src/command/help.js';
import { ENGINES } from '../src/engines/table.js';

/** A command with the engine replaced by its name, for compact expectations. */
function view(text: string): unknown {
  const r = parseCommand(text);
  if (!r.ok) return { error: r.error, usage: r.usage };
  const c = r.command as Command & { engine?: { name: string } };
  return 'engine' in c && c.engine ? { ...c, engine: c.engine.name } : c;
}

describe('parseCommand: good input', () => {
  const good: Array<[string, unknown]> = [
    ['', { kind: 'help' }],
    ['   ', { kind: 'help' }],
    ['help', { kind: 'help' }],
    ['HELP', { kind: 'help' }],
    ['--help', { kind: 'help' }],
    ['mysql orders 8.4', { kind: 'update', engine: 'mysql', name: 'orders', version: '8.4', dryRun: false }],
    ['my orders 8', { kind: 'update', engine: 'mysql', name: 'orders', version: '8', dryRun: false }],
    ['MySQL orders v8.4.3', { kind: 'update', engine: 'mysql', name: 'orders', version: '8.4.3', dryRun: false }],
    ['mysql orders 8.0.31-innodb', { kind: 'update', engine: 'mysql', name: 'orders', version: '8.0.31-innodb', dryRun: false }],
    ['pg db1 16.13-bookworm', { kind: 'update', engine: 'postgres', name: 'db1', version: '16.13-bookworm', dryRun: false }],
    // KubeDB's real catalog names some entries by distribution first (kubedb/installer charts/kubedb-catalog)
    ['redis cache valkey-8.1.1', { kind: 'update', engine: 'redis', name: 'cache', version: 'valkey-8.1.1', dryRun: false }],
    ['mongodb events percona-8.0.17', { kind: 'update', engine: 'mongodb', name: 'events', version: 'percona-8.0.17', dryRun: false }],
    ['es logs xpack-8.18.8', { kind: 'update', engine: 'elasticsearch', name: 'logs', version: 'xpack-8.18.8', dryRun: false }],
    [
      'postgres billing/ledger 16 --reason "CVE-2026-1234" --at "sat 02:00"',
      { kind: 'update', engine: 'postgres', namespace: 'billing', name: 'ledger', version: '16', reason: 'CVE-2026-1234', at: 'sat 02:00', dryRun: false },
    ],
    // smart quotes from Slack clients
    [
      'postgres billing/ledger 16 --reason “CVE-2026-1234 fix” --at ‘sat 02:00’',
      { kind: 'update', engine: 'postgres', namespace: 'billing', name: 'ledger', version: '16', reason: 'CVE-2026-1234 fix', at: 'sat 02:00', dryRun: false },
    ],
    // apostrophe inside a word is not a quote
    ['mysql orders 8 --reason "don’t wait"', { kind: 'update', engine: 'mysql', name: 'orders', version: '8', reason: 'don’t wait', dryRun: false }],
    // HTML entities as Slack sends them
    ['mysql orders 8 --reason "R&amp;D &lt;urgent&gt;"', { kind: 'update', engine: 'mysql', name: 'orders', version: '8', reason: 'R&D <urgent>', dryRun: false }],
    // flags anywhere, --flag=value, short flags
    [
      '--dry-run -n demo mysql orders --cluster=prod-eu 8.4 --reason=hotfix',
      { kind: 'update', engine: 'mysql', namespace: 'demo', name: 'orders', version: '8.4', cluster: 'prod-eu', reason: 'hotfix', dryRun: true },
    ],
    ['mysql demo/orders 8.4 -n demo', { kind: 'update', engine: 'mysql', namespace: 'demo', name: 'orders', version: '8.4', dryRun: false }],
    // autocorrected em dash
    ['mysql orders 8.4 —dry-run', { kind: 'update', engine: 'mysql', name: 'orders', version: '8.4', dryRun: true }],
    ['pxc shop 8.0 -c prod', { kind: 'update', engine: 'perconaxtradb', name: 'shop', version: '8.0', cluster: 'prod', dryRun: false }],
    ['proxy edge 2.4', { kind: 'update', engine: 'proxysql', name: 'edge', version: '2.4', dryRun: false }],
    ['versions mysql', { kind: 'versions', engine: 'mysql' }],
    ['versions pg billing/ledger', { kind: 'versions', engine: 'postgres', namespace: 'billing', name: 'ledger' }],
    ['versions mysql orders -n demo -c prod', { kind: 'versions', engine: 'mysql', namespace: 'demo', name: 'orders', cluster: 'prod' }],
    ['versions mysql -n demo', { kind: 'versions', engine: 'mysql', namespace: 'demo' }],
    ['status orders', { kind: 'status', name: 'orders' }],
    ['status orders -n demo', { kind: 'status', namespace: 'demo', name: 'orders' }],
    ['status demo/orders', { kind: 'status', namespace: 'demo', name: 'orders' }],
    ['list', { kind: 'list', all: false }],
    ['list --all', { kind: 'list', all: true }],
    ['cancel orders-3f9a1c2e', { kind: 'cancel', id: 'orders-3f9a1c2e' }],
    ['cancel #orders-3f9a1c2e', { kind: 'cancel', id: 'orders-3f9a1c2e' }],
    ['resume orders-1a2b3c4d', { kind: 'resume', id: 'orders-1a2b3c4d' }],
    ['RESUME #orders-1a2b3c4d', { kind: 'resume', id: 'orders-1a2b3c4d' }],
    ['retry orders-1a2b3c4d', { kind: 'retry', id: 'orders-1a2b3c4d' }],
    ['retry   #ledger-0f', { kind: 'retry', id: 'ledger-0f' }],
  ];
  it.each(good)('%s', (text, expected) => {
    expect(view(text)).toEqual(expected);
  });

  it('accepts a reason of exactly 500 characters', () => {
    const r = parseCommand(`mysql orders 8 --reason "${'x'.repeat(500)}"`);
    expect(r.ok && r.command.kind === 'update' && r.command.reason?.length).toBe(500);
  });

  it('accepts 63-character names', () => {
    const n = 'a'.repeat(63);
    expect(view(`mysql ${n}/${n} 8`)).toMatchObject({ namespace: n, name: n });
  });
});

describe('parseCommand: bad input', () => {
  const bad: Array<[string, string, string]> = [
    [
      'mysql Orders_DB 8',
      "`Orders_DB` is not a valid database name: use lower-case letters, digits and '-', starting and ending with a letter or digit (DNS-1123), e.g. `orders-db`.",
      USAGE.update,
    ],
    [
      'mysql Billing/ledger 8',
      "`Billing` is not a valid namespace: use lower-case letters, digits and '-', starting and ending with a letter or digit (DNS-1123), e.g. `billing`.",
      USAGE.update,
    ],
    ['mysql orders- 8', "`orders-` is not a valid database name: use lower-case letters, digits and '-', starting and ending with a letter or digit (DNS-1123), e.g. `orders`.", USAGE.update],
    [
      `mysql ${'a'.repeat(64)} 8`,
      `\`${'a'.repeat(64)}\` is not a valid database name: it has 64 characters and at most 63 are allowed (DNS-1123 label).`,
      USAGE.update,
    ],
    ['mysql a/b/c 8', '`a/b/c` is not a valid database: write `name` or `namespace/name`, e.g. `billing/ledger`.', USAGE.update],
    ['mysql /orders 8', '`/orders` is not a valid database: write `namespace/name` with both parts, e.g. `billing/ledger`.', USAGE.update],
    [
      'mysql billing/ledger 8 -n other',
      'The namespace is given twice and differs: `billing/ledger` says `billing` but `-n` says `other`. Give it once, e.g. `billing/ledger`.',
      USAGE.update,
    ],
    [
      'oracle orders 19',
      '`oracle` is not a supported engine or command. Engines: `mysql` (my), `postgres` (postgresql, pg, pgsql), `perconaxtradb` (pxc, percona, xtradb), `proxysql` (proxy), `mariadb` (maria), `mongodb` (mongo), `redis` (rd), `elasticsearch` (es, opensearch), `kafka`, `pgbouncer` (pgb), `redissentinel` (sentinel), `memcached` (mc), `mssqlserver` (mssql, sqlserver), `singlestore` (memsql, s2). Commands: `versions`, `status`, `list`, `drift`, `cancel`, `resume`, `retry`, `help`.',
      Object.values(USAGE).join('\n'),
    ],
    ['mysql', 'Say which mysql database and version, e.g. `/dbupdate mysql orders 8.4`.', USAGE.update],
    ['mysql orders', 'Say which version to update `orders` to, e.g. `/dbupdate mysql orders 8.4`; `/dbupdate versions mysql orders` lists the allowed ones.', USAGE.update],
    [
      'mysql orders 8 now',
      'Too many arguments (`now`): give engine, database and version, then options. Quote text with spaces: `--reason "CVE-2026-1234 fix"`.',
      USAGE.update,
    ],
    [
      'mysql orders latest',
      '`latest` is not a valid version: it must start with a digit (or a distribution word and a dash). Give a version like `8.4` or `8.4.3`, or a catalog name like `8.0.31-innodb` or `valkey-8.1.1`.',
      USAGE.update,
    ],
    [
      'mysql orders 8.4_1',
      "`8.4_1` is not a valid version: use only letters, digits, '.', '+' and '-'. Give a version like `8.4` or `8.4.3`, or a catalog name like `8.0.31-innodb` or `valkey-8.1.1`.",
      USAGE.update,
    ],
    [
      `mysql orders 8${'.1'.repeat(40)}`,
      `\`8${'.1'.repeat(38)}…\` is not a valid version: it has 81 characters and at most 63 are allowed. Give a version like \`8.4\` or \`8.4.3\`, or a catalog name like \`8.0.31-innodb\` or \`valkey-8.1.1\`.`,
      USAGE.update,
    ],
    [
      'mysql orders 8 --force',
      'Unknown option `--force` for `/dbupdate <engine>`: the options are -n/--namespace, -c/--cluster, --reason, --at, --dry-run, -l/--selector, --all.',
      USAGE.update,
    ],
    ['mysql orders 8 --reason', 'Option `--reason` needs a value: write `--reason "TEXT"` (quote text with spaces: `--reason "CVE-2026-1234 fix"`).', USAGE.update],
    ['mysql orders 8 --reason --dry-run', 'Option `--reason` needs a value: write `--reason "TEXT"` (quote text with spaces: `--reason "CVE-2026-1234 fix"`).', USAGE.update],
    ['mysql orders 8 --reason=""', 'Option `--reason` needs a value: write `--reason "TEXT"` (quote text with spaces: `--reason "CVE-2026-1234 fix"`).', USAGE.update],
    ['mysql orders 8 -n', 'Option `--namespace` needs a value: write `--namespace NS`.', USAGE.update],
    ['mysql orders 8 --dry-run --dry-run', 'Option `--dry-run` is given twice: give it once.', USAGE.update],
    ['mysql orders 8 -n a --namespace a', 'Option `--namespace` is given twice: give it once.', USAGE.update],
    ['mysql orders 8 --dry-run=yes', 'Option `--dry-run` is a switch and takes no value: write just `--dry-run`.', USAGE.update],
    [
      'mysql orders 8 --reason "CVE fix',
      'A quote (") is not closed: put the closing " after the quoted text, e.g. `--reason "CVE-2026-1234 fix"`.',
      Object.values(USAGE).join('\n'),
    ],
    [
      `mysql orders 8 --reason "${'x'.repeat(501)}"`,
      'The reason is 501 characters long; at most 500 are allowed. Shorten it, or link to a ticket.',
      USAGE.update,
    ],
    ['mysql orders 8 -c Prod_EU', "`Prod_EU` is not a valid cluster name: use the name from the bot's configuration (lower-case letters, digits, '-' and '.').", USAGE.update],
    ['versions', 'Say which engine: `/dbupdate versions <engine> [<database>]`. Engines: `mysql` (my), `postgres` (postgresql, pg, pgsql), `perconaxtradb` (pxc, percona, xtradb), `proxysql` (proxy), `mariadb` (maria), `mongodb` (mongo), `redis` (rd), `elasticsearch` (es, opensearch), `kafka`, `pgbouncer` (pgb), `redissentinel` (sentinel), `memcached` (mc), `mssqlserver` (mssql, sqlserver), `singlestore` (memsql, s2).', USAGE.versions],
    ['versions mysql a b', 'Too many arguments: `/dbupdate versions` takes an engine and optionally a database (got also `b`).', USAGE.versions],
    ['versions mysql orders --reason x', 'Unknown option `--reason` for `/dbupdate versions`: the options are -n/--namespace, -c/--cluster.', USAGE.versions],
    ['versions mysql -n Demo', "`Demo` is not a valid namespace: use lower-case letters, digits and '-', starting and ending with a letter or digit (DNS-1123), e.g. `demo`.", USAGE.versions],
    ['status', 'Say which database: `/dbupdate status <database>`, e.g. `/dbupdate status orders`.', USAGE.status],
    ['status a b', '`/dbupdate status` takes one database (got also `b`).', USAGE.status],
    ['status x/orders -n demo', 'The namespace is given twice and differs: `x/orders` says `x` but `-n` says `demo`. Give it once, e.g. `x/orders`.', USAGE.status],
    ['list everything', '`/dbupdate list` takes no arguments (got `everything`); use `--all` to include finished requests.', USAGE.list],
    ['list --all --all', 'Option `--all` is given twice: give it once.', USAGE.list],
    ['cancel', 'Say which request to cancel: `/dbupdate cancel <id>` (the id is shown in the request message and in `/dbupdate list`).', USAGE.cancel],
    ['cancel a b', '`/dbupdate cancel` takes one id (got also `b`).', USAGE.cancel],
    ['cancel --force a', '`/dbupdate cancel` takes no options (got `--force`).', USAGE.cancel],
    ['cancel Upd_1', '`Upd_1` is not a request id: copy the id from the request message or `/dbupdate list`, e.g. `orders-3f9a1c2e` (the database name and 8 hex digits).', USAGE.cancel],
    ['resume', 'Say which request to resume the database of: `/dbupdate resume <id>` (the id is shown in the request message and in `/dbupdate list`).', USAGE.resume],
    ['resume a b', '`/dbupdate resume` takes one id (got also `b`).', USAGE.resume],
    ['resume --force a', '`/dbupdate resume` takes no options (got `--force`).', USAGE.resume],
    ['resume Orders_1', '`Orders_1` is not a request id: copy the id from the request message or `/dbupdate list`, e.g. `orders-3f9a1c2e` (the database name and 8 hex digits).', USAGE.resume],
    [`resume ${'a'.repeat(64)}`, `\`${'a'.repeat(64)}\` is not a request id: copy the id from the request message or \`/dbupdate list\`, e.g. \`orders-3f9a1c2e\` (the database name and 8 hex digits).`, USAGE.resume],
    ['retry', 'Say which request to retry: `/dbupdate retry <id>` (the id is shown in the request message and in `/dbupdate list`).', USAGE.retry],
    ['retry a b', '`/dbupdate retry` takes one id (got also `b`).', USAGE.retry],
    ['retry -n demo a', '`/dbupdate retry` takes no options (got `-n`).', USAGE.retry],
    ['retry orders-', '`orders-` is not a request id: copy the id from the request message or `/dbupdate list`, e.g. `orders-3f9a1c2e` (the database name and 8 hex digits).', USAGE.retry],
  ];
  it.each(bad)('%s', (text, error, usage) => {
    expect(parseCommand(text)).toEqual({ ok: false, error, usage });
  });
});

describe('helpText', () => {
  const h = helpText();
  it('lists every engine with its aliases, as plain text', () => {
    for (const e of ENGINES) {
      expect(h).toContain(e.aliases.length ? `${e.name} (${e.aliases.join(', ')})` : e.name);
    }
  });
  it('shows every command, with its full syntax in one code block', () => {
    for (const u of Object.values(USAGE)) expect(h).toContain(u.replace(/^`|`$/g, ''));
    expect(h.split('```')).toHaveLength(3);
  });
  it('is readable: the examples are the only inline code spans (one per task, not a wall of them)', () => {
    const outsideBlock = h.split('```').filter((_, i) => i % 2 === 0).join('');
    const spans = outsideBlock.match(/`[^`]+`/g) ?? [];
    expect(spans.length).toBeLessThanOrEqual(9);
    for (const s of spans) expect(s).toMatch(/^`\/dbupdate /);
  });
  it('is short enough for one Slack message', () => {
    expect(h.length).toBeLessThan(3000);
  });
});
