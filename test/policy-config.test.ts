/**
 * The configuration schema (src/policy/config.ts): good and bad files, errors naming the path of each bad
 * field, and `--check-config` through a real child process (`npx tsx src/main.ts --check-config <file>`).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfigFile, validateConfig } from '../src/policy/config.js';

const ROOT = join(import.meta.dirname, '..');
const EXAMPLE = join(ROOT, 'deploy', 'config.example.yaml');

/** The issues of an invalid configuration (fails the test if it is valid). */
function issues(input: unknown): string[] {
  try {
    validateConfig(input);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as ConfigError).issues;
  }
  throw new Error('expected the configuration to be invalid');
}

const base = { approvers: ['U_BOB', 'U_CAROL'] };

describe('configuration schema', () => {
  it('keeps the existing fields and defaults; new policy fields default to "no restriction"', () => {
    const c = validateConfig(base);
    expect(c).toMatchObject({
      clusterName: 'default',
      recordsNamespace: 'dbupdate',
      defaultNamespace: 'default',
      channelNamespaces: {},
      approvers: ['U_BOB', 'U_CAROL'],
      approvalsRequired: 1,
      allowSelfApproval: false,
      requestTtl: '24h',
      expiryCheck: '* * * * *',
      backend: 'auto',
      opsRequestTimeout: '30m',
      approverGroups: [],
      requesters: { users: [], groups: [], channels: [] },
      majorExtraApprovals: 0,
      allowedUpdateTypes: ['patch', 'minor', 'major'],
      windows: [],
      rules: [],
    });
  });

  it('accepts the commented example in deploy/', () => {
    const c = loadConfigFile(EXAMPLE);
    expect(c.rules.length).toBeGreaterThan(0);
    expect(c.rules[0].windows?.[0]).toEqual({ cron: '0 2 * * sat', duration: '4h', timezone: 'Europe/Berlin' });
    expect(c.rules[1].match.engine).toEqual(['postgres']);
  });

  it('accepts a full rule set and normalizes match values (string or list; engine aliases)', () => {
    const c = validateConfig({
      ...base,
      approverGroups: ['S_DBA'],
      rules: [
        { match: { cluster: 'prod', namespace: ['billing', 'ledger'], engine: 'pg' }, approvalsRequired: 2, windows: [{ cron: '0 2 * * 6', duration: '4h' }] },
        { name: 'redis-team', match: { engine: ['Redis', 'mongo'] }, requesters: { groups: ['@platform'], channels: ['C_DBOPS'] } },
      ],
    });
    expect(c.rules[0].match).toEqual({ cluster: ['prod'], namespace: ['billing', 'ledger'], engine: ['postgres'] });
    expect(c.rules[0].windows?.[0].timezone).toBe('UTC');
    expect(c.rules[1].match.engine).toEqual(['redis', 'mongodb']);
    expect(c.rules[1].requesters).toEqual({ users: [], groups: ['@platform'], channels: ['C_DBOPS'] });
  });

  it('accepts approverGroups without approvers', () => {
    expect(validateConfig({ approverGroups: ['S_DBA'], approvalsRequired: 2 }).approvers).toEqual([]);
  });

  it('names the path of each bad field, deep in rules', () => {
    const got = issues({
      ...base,
      rules: [
        { match: { namespace: 'billing' } },
        { match: { engine: 'oracle' } },
        {
          match: { namespace: 'Bad_NS' },
          approvers: ['bob'],
          windows: [{ cron: '0 25 * * *', duration: 'soon', timezone: 'Mars/Olympus' }, { cron: '0 2 * * sat', duration: '8d' }],
          allowedUpdateTypes: ['huge'],
          requesters: { channels: ['#db-ops'] },
        },
        { match: {} },
      ],
    });
    expect(got).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^rules\.1\.match\.engine: must be a KubeDB engine: mysql, postgres/),
        expect.stringMatching(/^rules\.2\.match\.namespace: must be a DNS-1123 label/),
        expect.stringMatching(/^rules\.2\.approvers\.0: must be a Slack user id/),
        expect.stringMatching(/^rules\.2\.windows\.0\.cron: must be a cron expression .*hour/),
        expect.stringMatching(/^rules\.2\.windows\.0\.duration: must be a duration/),
        expect.stringMatching(/^rules\.2\.windows\.0\.timezone: must be an IANA time zone/),
        expect.stringMatching(/^rules\.2\.windows\.1\.duration: must be at most 7d/),
        expect.stringMatching(/^rules\.2\.allowedUpdateTypes\.0: /),
        expect.stringMatching(/^rules\.2\.requesters\.channels\.0: must be a Slack channel id/),
        expect.stringMatching(/^rules\.3\.match: name at least one of cluster, namespace, engine/),
      ]),
    );
  });

  it('points at the bad item of a match list', () => {
    expect(issues({ ...base, rules: [{ match: { engine: ['mysql', 'db2'] } }] })).toEqual([expect.stringMatching(/^rules\.0\.match\.engine\.1: must be a KubeDB engine/)]);
  });

  it('refuses unknown keys (typos) with their path', () => {
    expect(issues({ ...base, rules: [{ match: { namespace: 'a' }, aprovers: ['U_BOB'] }] })).toEqual([expect.stringMatching(/^rules\.0: .*aprovers/)]);
    expect(issues({ ...base, windows: [{ cron: '0 2 * * *', duration: '1h', tz: 'UTC' }] })).toEqual([expect.stringMatching(/^windows\.0: .*tz/)]);
  });

  it('refuses a window that never opens', () => {
    expect(issues({ ...base, windows: [{ cron: '0 0 31 2 *', duration: '1h' }] })[0]).toMatch(/^windows\.0\.cron: /);
  });

  it('refuses configurations that could never be approved', () => {
    expect(issues({ approvers: [] })).toEqual(['approvers: list at least one approver (or approverGroups)']);
    expect(issues({ ...base, approvalsRequired: 3 })).toEqual([expect.stringMatching(/^approvalsRequired: needs 3 approvals but only 2/)]);
    expect(issues({ ...base, approvalsRequired: 2, majorExtraApprovals: 1 })).toEqual([expect.stringMatching(/^majorExtraApprovals: a major update needs 3/)]);
    // fine when majors are not allowed at all
    expect(validateConfig({ ...base, approvalsRequired: 2, majorExtraApprovals: 1, allowedUpdateTypes: ['patch', 'minor'] }).majorExtraApprovals).toBe(1);
    expect(issues({ ...base, rules: [{ match: { namespace: 'a' }, approvalsRequired: 3 }] })).toEqual([expect.stringMatching(/^rules\.0\.approvalsRequired: needs 3/)]);
    expect(issues({ ...base, rules: [{ match: { namespace: 'a' }, approvers: [] }] })).toEqual([expect.stringMatching(/^rules\.0\.approvers: list at least one approver/)]);
  });

  it('refuses two rules with the same match', () => {
    expect(issues({ ...base, rules: [{ match: { namespace: ['b', 'a'], engine: 'pg' } }, { match: { engine: 'postgres', namespace: ['a', 'b'] } }] })).toEqual([
      'rules.1.match: the same match as rules.0.match: merge the two rules',
    ]);
  });
});

describe('npm start -- --check-config <file> (real child process)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'dbupdate-config-'));
  const run = (file: string) =>
    spawnSync('npx', ['tsx', 'src/main.ts', '--check-config', file], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, SLACK_BOT_TOKEN: '', SLACK_APP_TOKEN: '' }, timeout: 30_000 });

  it('refuses the example in deploy/ as it is (placeholder Slack IDs), and exits 0 once they are replaced', () => {
    const r = run(EXAMPLE);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/still holds the example's placeholder Slack IDs \(channelNamespaces\.C0123456789=C0123456789, approvers\.0=U0AAAAAAA/);
    const file = join(dir, 'edited.yaml');
    const ids: Record<string, string> = { U0AAAAAAA: 'U07ALICE01', U0BBBBBBB: 'U07BOB0001', U0CCCCCCC: 'U07CAROL01', C0123456789: 'C07DBOPS01', S0DBA00001: 'S07DBA0001' };
    writeFileSync(file, readFileSync(EXAMPLE, 'utf8').replace(/U0AAAAAAA|U0BBBBBBB|U0CCCCCCC|C0123456789|S0DBA00001/g, (id) => ids[id]));
    const ok = run(file);
    expect(ok.stderr).toBe('');
    expect(ok.status).toBe(0);
    expect(ok.stdout).toContain('configuration is valid');
  });

  it('exits non-zero and names each bad path on stderr', () => {
    const file = join(dir, 'bad.yaml');
    writeFileSync(
      file,
      ['approvers: [U0AAAAAAA]', 'rules:', '  - match: { namespace: billing }', '  - match: { engine: postgres }', '  - match: { namespace: orders }', '    windows:', '      - cron: "0 2 * * funday"', '        duration: 4h', '        timezone: Europe/Berlin', ''].join('\n'),
    );
    const r = run(file);
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain(file);
    expect(r.stderr).toMatch(/rules\.2\.windows\.0\.cron: must be a cron expression/);
  });

  it('exits non-zero for YAML that does not parse and for a missing file', () => {
    const file = join(dir, 'broken.yaml');
    writeFileSync(file, 'approvers: [U0AAAAAAA\n  rules: : :\n');
    const r = run(file);
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/not valid YAML/);
    const m = run(join(dir, 'missing.yaml'));
    expect(m.status).not.toBe(0);
    expect(m.stderr).toMatch(/cannot read configuration file/);
  });
});
