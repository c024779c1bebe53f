import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isDns1123Label, parseCommand, VERSION_PATTERN } from '../src/command/parse.js';

const DNS = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

function checkInvariants(text: string): void {
  const r = parseCommand(text);
  if (!r.ok) {
    expect(typeof r.error).toBe('string');
    expect(r.error.length).toBeGreaterThan(0);
    expect(r.usage.length).toBeGreaterThan(0);
    return;
  }
  const c = r.command;
  if (c.kind === 'update') {
    expect(c.name.length).toBeLessThanOrEqual(63);
    expect(c.name).toMatch(DNS);
    if (c.namespace !== undefined) {
      expect(c.namespace.length).toBeLessThanOrEqual(63);
      expect(c.namespace).toMatch(DNS);
    }
    expect(c.version).toMatch(VERSION_PATTERN);
    expect(c.version.length).toBeLessThanOrEqual(63);
    if (c.reason !== undefined) expect(c.reason.length).toBeLessThanOrEqual(500);
  }
  if (c.kind === 'versions' || c.kind === 'status') {
    if (c.name !== undefined) expect(isDns1123Label(c.name)).toBe(true);
    if (c.namespace !== undefined) expect(isDns1123Label(c.namespace)).toBe(true);
  }
}

/** Words that steer the parser into its interesting paths. */
const word = fc.oneof(
  fc.constantFrom(
    'mysql', 'pg', 'pxc', 'proxy', 'versions', 'status', 'list', 'cancel', 'resume', 'retry', 'help',
    'orders', 'demo/orders', 'Orders', 'a/b/c', '/x', 'v8.4', '8.4', '8.0.31-innodb', '16.13-bookworm', 'latest',
    '-n', '--namespace', '-c', '--cluster=prod', '--reason', '--reason=', '--at', '--dry-run', '--all', '--x',
    '"quoted text"', '“smart”', '‘s’', '&amp;', '&lt;', '—dry-run', "'", '"', '#upd-1', '=', '-', '--',
  ),
  fc.string({ maxLength: 12 }),
  fc.stringMatching(/^[a-z0-9][a-z0-9-]{0,70}$/),
  fc.stringMatching(/^v?[0-9][0-9A-Za-z.+_-]{0,70}$/),
);

describe('parseCommand fuzz', () => {
  it('never throws and keeps its invariants for arbitrary strings', () => {
    fc.assert(fc.property(fc.string({ maxLength: 300 }), (s) => checkInvariants(s)), { numRuns: 2000 });
  });

  it('never throws for arbitrary unicode', () => {
    fc.assert(fc.property(fc.string({ unit: 'binary', maxLength: 200 }), (s) => checkInvariants(s)), { numRuns: 1000 });
  });

  it('keeps its invariants for command-like word sequences', () => {
    fc.assert(
      fc.property(fc.array(word, { maxLength: 9 }), fc.constantFrom(' ', '  ', '\t', '\u00a0'), (words, sep) => checkInvariants(words.join(sep))),
      { numRuns: 4000 },
    );
  });

  it('parses every well-formed update', () => {
    const label = fc.stringMatching(/^[a-z0-9]([a-z0-9-]{0,20}[a-z0-9])?$/);
    const version = fc.stringMatching(/^[0-9]{1,2}(\.[0-9]{1,3}){0,2}(-[a-z]{1,8})?$/);
    fc.assert(
      fc.property(label, fc.option(label, { nil: undefined }), version, fc.boolean(), (name, ns, v, dry) => {
        const db = ns ? `${ns}/${name}` : name;
        const r = parseCommand(`mysql ${db} ${v}${dry ? ' --dry-run' : ''}`);
        expect(r.ok).toBe(true);
        if (r.ok && r.command.kind === 'update') {
          expect(r.command).toMatchObject({ name, version: v, dryRun: dry });
          expect(r.command.namespace).toBe(ns);
        }
      }),
      { numRuns: 1000 },
    );
  });
});
