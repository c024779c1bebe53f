/**
 * The fleet grammar (issue #19 item 1, src/command/fleet.ts and parseCommand): a label selector, `--all`
 * or a comma-separated list of databases, with good and bad input and the error each bad one gets.
 */
import { describe, expect, it } from 'vitest';
import { parseCommand } from '../src/command/parse.js';
import { USAGE } from '../src/command/help.js';
import { parseLabelSelector } from '../src/command/fleet.js';

/** The fleet command parsed from `text`, engine as its name; or the error. */
function view(text: string): unknown {
  const r = parseCommand(text);
  if (!r.ok) return { error: r.error, usage: r.usage };
  const c = r.command as { kind: string; engine?: { name: string } };
  return { ...c, engine: c.engine?.name };
}

describe('fleet requests: good input', () => {
  const good: Array<[string, unknown]> = [
    ['mysql -l tier=staging 8.4', { kind: 'fleet', engine: 'mysql', selection: { kind: 'labels', selector: 'tier=staging' }, version: '8.4', dryRun: false }],
    ['mysql --selector=tier=staging 8.4 -n payments', { kind: 'fleet', engine: 'mysql', selection: { kind: 'labels', selector: 'tier=staging' }, namespace: 'payments', version: '8.4', dryRun: false }],
    ['mysql -l "tier in (staging, qa),app!=shop" 8.4', { kind: 'fleet', engine: 'mysql', selection: { kind: 'labels', selector: 'tier in (staging,qa),app!=shop' }, version: '8.4', dryRun: false }],
    ['mysql -l "!legacy,example.com/team" 8.4', { kind: 'fleet', engine: 'mysql', selection: { kind: 'labels', selector: '!legacy,example.com/team' }, version: '8.4', dryRun: false }],
    ['mysql --all -n payments 8.4', { kind: 'fleet', engine: 'mysql', selection: { kind: 'all' }, namespace: 'payments', version: '8.4', dryRun: false }],
    ['my --all v8.4 --dry-run --reason "CVE-1"', { kind: 'fleet', engine: 'mysql', selection: { kind: 'all' }, version: '8.4', dryRun: true, reason: 'CVE-1' }],
    [
      'mysql orders,ledger,billing/pool 8.4',
      { kind: 'fleet', engine: 'mysql', selection: { kind: 'names', refs: [{ name: 'orders' }, { name: 'ledger' }, { namespace: 'billing', name: 'pool' }] }, version: '8.4', dryRun: false },
    ],
    // a name given twice counts once
    ['mysql orders,orders,b 8.4 -c prod', { kind: 'fleet', engine: 'mysql', selection: { kind: 'names', refs: [{ name: 'orders' }, { name: 'b' }] }, version: '8.4', cluster: 'prod', dryRun: false }],
  ];
  it.each(good)('%s', (text, expected) => expect(view(text)).toEqual(expected));

  it('a single database is still a single request', () => {
    expect(view('mysql orders 8.4')).toMatchObject({ kind: 'update', name: 'orders' });
  });
});

describe('fleet requests: bad input gets a clear error and the fleet usage', () => {
  const bad: Array<[string, RegExp]> = [
    ['mysql -l 8.4', /Say which version/],
    ['mysql -l "tier=staging" ', /Say which version/],
    ['mysql -l tier==a==b 8.4', /not a label requirement/],
    ['mysql -l "tier in staging" 8.4', /not a label requirement/],
    ['mysql -l "tier in (a,)" 8.4', /lists an empty value/],
    ['mysql -l "tier in (a" 8.4', /parentheses do not match/],
    ['mysql -l tier=,,app=x 8.4', /empty requirement/],
    ['mysql -l "Tier_=x" 8.4', /`Tier_=x` is not a label requirement|is not a label key/],
    ['mysql -l "UPPER.com/tier=x" 8.4', /prefix `UPPER.com` must be a DNS subdomain/],
    ['mysql -l tier=-bad 8.4', /`-bad` is not a label value/],
    ['mysql -l "" 8.4', /Option `--selector` needs a value/],
    ['mysql -l , 8.4', /empty requirement/],
    ['mysql -l tier=a --all 8.4', /either `-l SELECTOR` or `--all`/],
    ['mysql --all orders,ledger 8.4', /no database names are given/],
    ['mysql --all 8.4 extra', /Too many arguments/],
    ['mysql orders,,ledger 8.4', /empty name/],
    ['mysql orders,Bad_Name 8.4', /`Bad_Name` is not a valid database name/],
    ['mysql orders,a/b/c 8.4', /not a valid database/],
    ['mysql billing/a,b 8.4 -n demo', /namespace is given twice and differs/],
    ['mysql orders,ledger', /Say which version/],
    ['mysql orders,ledger 8.4 more', /Too many arguments/],
    ['mysql orders,ledger 8.4 --at "sat 02:00"', /`--at` is not taken by a fleet request/],
    ['mysql --all 8.4 -n Payments', /`Payments` is not a valid namespace/],
    ['oracle --all 8.4', /`oracle` is not a supported engine/],
    ['mysql --all x!y', /not a valid version/],
  ];
  it.each(bad)('%s', (text, error) => {
    const r = parseCommand(text);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.error).toMatch(error);
    expect(r.usage).toBe(USAGE.fleet);
  });

  it('more than 200 names are refused with a pointer to selectors', () => {
    const names = Array.from({ length: 201 }, (_, i) => `db-${i}`).join(',');
    const r = parseCommand(`mysql ${names} 8.4`);
    expect(r.ok ? '' : r.error).toMatch(/201 databases are named; at most 200 .* select them by label/);
  });
});

describe('parseLabelSelector', () => {
  it('normalises spacing and keeps every requirement', () => {
    expect(parseLabelSelector(' a = b , c notin ( x , y ) ,d')).toEqual({ ok: true, selector: 'a=b,c notin (x,y),d' });
  });
  it('accepts an empty value (key=)', () => {
    expect(parseLabelSelector('tier=')).toEqual({ ok: true, selector: 'tier=' });
  });
  it('refuses a key longer than 63 characters', () => {
    const r = parseLabelSelector(`${'k'.repeat(64)}=v`);
    expect(r.ok ? '' : r.error).toMatch(/is not a label key/);
  });
});
