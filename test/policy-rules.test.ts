/**
 * Policy rules (src/policy/rules.ts): precedence, requester/approver decisions, extra approvals for
 * majors, allowed update types; and user-group resolution (src/policy/usergroups.ts) against the Slack
 * emulator's `usergroups.users.list` (seeded group S_DBA = bob, carol) with its TTL cache.
 */
import { WebClient } from '@slack/web-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { validateConfig, type Config } from '../src/policy/config.js';
import { approvable, approvalProgress, approvalsNeeded, approversFor, mayRequest, resolvePolicy, specificity, updateTypeAllowed } from '../src/policy/rules.js';
import { UserGroupError, UserGroupResolver, type UserGroupsClient } from '../src/policy/usergroups.js';
import { SlackEmulator } from '../sim/slack/server.js';

const T = { cluster: 'prod', namespace: 'billing', engine: 'postgres' };

const config: Config = validateConfig({
  clusterName: 'prod',
  approvers: ['U_BOB', 'U_CAROL', 'U_DAVE'],
  approvalsRequired: 1,
  rules: [
    { name: 'cluster', match: { cluster: 'prod' }, approvalsRequired: 2 },
    { name: 'engine', match: { engine: 'pg' }, allowedUpdateTypes: ['patch', 'minor'], majorExtraApprovals: 1 },
    { name: 'namespace', match: { namespace: 'billing' }, approverGroups: ['S_DBA'], windows: [{ cron: '0 2 * * sat', duration: '4h', timezone: 'Europe/Berlin' }] },
    { name: 'cluster+engine', match: { cluster: 'prod', engine: 'postgres' }, allowSelfApproval: true },
    { name: 'ns+engine', match: { namespace: 'billing', engine: 'postgres' }, requesters: { users: ['U_ALICE'], groups: [], channels: ['C_DBOPS'] } },
    { name: 'other-ns', match: { namespace: 'orders' }, approvalsRequired: 3 },
  ],
});

describe('resolvePolicy: most specific wins, setting by setting', () => {
  it('takes each setting from the most specific rule that sets it', () => {
    const p = resolvePolicy(config, T);
    expect(p.matched).toEqual(['ns+engine', 'cluster+engine', 'namespace', 'engine', 'cluster', 'default']);
    expect(p.requesters.users).toEqual(['U_ALICE']);
    expect(p.sources.requesters).toBe('ns+engine');
    expect(p.allowSelfApproval).toBe(true);
    expect(p.sources.allowSelfApproval).toBe('cluster+engine');
    // the namespace rule sets approverGroups only: approvers are inherited together, so users become []
    expect(p.approvers).toEqual([]);
    expect(p.approverGroups).toEqual(['S_DBA']);
    expect(p.windows).toHaveLength(1);
    expect(p.allowedUpdateTypes).toEqual(['patch', 'minor']);
    expect(p.approvalsRequired).toBe(2);
    expect(p.sources.approvalsRequired).toBe('cluster');
  });

  it('normalizes engine aliases and kinds of the target', () => {
    expect(resolvePolicy(config, { ...T, engine: 'PG' }).matched[0]).toBe('ns+engine');
    expect(resolvePolicy(config, { ...T, engine: 'Postgres' }).target.engine).toBe('postgres');
  });

  it('falls back to the top-level default when no rule matches', () => {
    const p = resolvePolicy(config, { cluster: 'staging', namespace: 'x', engine: 'mysql' });
    expect(p.matched).toEqual(['default']);
    expect(p).toMatchObject({ approvers: ['U_BOB', 'U_CAROL', 'U_DAVE'], approverGroups: [], approvalsRequired: 1, allowSelfApproval: false, windows: [] });
    expect(Object.values(p.sources).every((s) => s === 'default')).toBe(true);
  });

  it('orders specificity c+n+e > n+e > c+n > c+e > n > e > c', () => {
    const m = (k: string) => Object.fromEntries(k.split('').map((c) => [{ c: 'cluster', n: 'namespace', e: 'engine' }[c]!, ['x']]));
    const order = ['cne', 'ne', 'cn', 'ce', 'n', 'e', 'c'].map((k) => specificity(m(k)));
    expect([...order].sort((a, b) => b - a)).toEqual(order);
    expect(new Set(order).size).toBe(order.length);
  });

  it('among equally specific rules, the first listed wins', () => {
    const c = validateConfig({ approvers: ['U_BOB', 'U_CAROL'], rules: [{ match: { namespace: ['a', 'b'] }, approvalsRequired: 2 }, { match: { namespace: 'a' }, approvalsRequired: 1 }] });
    expect(resolvePolicy(c, { cluster: 'default', namespace: 'a', engine: 'mysql' }).approvalsRequired).toBe(2);
  });

  it('property: a value set by a more specific matching rule always beats a less specific one', () => {
    const keys = ['cluster', 'namespace', 'engine'] as const;
    const arbRule = fc.record({ cluster: fc.boolean(), namespace: fc.boolean(), engine: fc.boolean(), n: fc.integer({ min: 1, max: 3 }) }).filter((r) => r.cluster || r.namespace || r.engine);
    fc.assert(
      fc.property(fc.uniqueArray(arbRule, { minLength: 1, maxLength: 7, selector: (r) => `${r.cluster}${r.namespace}${r.engine}` }), (rs) => {
        const rules = rs.map((r) => ({ match: Object.fromEntries(keys.filter((k) => r[k]).map((k) => [k, { cluster: 'prod', namespace: 'billing', engine: 'mysql' }[k]])), approvalsRequired: r.n }));
        const c = validateConfig({ clusterName: 'prod', approvers: ['U_A', 'U_B', 'U_C'], rules });
        const p = resolvePolicy(c, { cluster: 'prod', namespace: 'billing', engine: 'mysql' });
        const best = [...c.rules.keys()].sort((a, b) => specificity(c.rules[b].match) - specificity(c.rules[a].match) || a - b)[0];
        expect(p.approvalsRequired).toBe(c.rules[best].approvalsRequired);
        expect(p.matched).toHaveLength(rules.length + 1);
      }),
    );
  });
});

describe('decisions', () => {
  const p = resolvePolicy(config, T);

  it('mayRequest: listed user in an allowed channel', () => {
    expect(mayRequest(p, { user: 'U_ALICE', userGroups: [], channel: 'C_DBOPS' })).toEqual({ ok: true });
  });
  it('mayRequest: refuses other users and names who may', () => {
    const d = mayRequest(p, { user: 'U_DAVE', userGroups: [], channel: 'C_DBOPS' });
    expect(d).toEqual({ ok: false, reason: expect.stringContaining('<@U_ALICE>') });
  });
  it('mayRequest: refuses a listed user in another channel', () => {
    const d = mayRequest(p, { user: 'U_ALICE', userGroups: [], channel: 'C_GENERAL' });
    expect(d.ok).toBe(false);
    expect(!d.ok && d.reason).toContain('<#C_DBOPS>');
  });
  it('mayRequest: group members may request; no requesters configured = anyone', () => {
    const g = { ...p, requesters: { users: [], groups: ['S_DBA'], channels: [] } };
    expect(mayRequest(g, { user: 'U_BOB', userGroups: ['S_DBA'], channel: 'C_GENERAL' }).ok).toBe(true);
    expect(mayRequest(g, { user: 'U_DAVE', userGroups: [], channel: 'C_GENERAL' }).ok).toBe(false);
    const open = resolvePolicy(config, { cluster: 'x', namespace: 'y', engine: 'redis' });
    expect(mayRequest(open, { user: 'U_ANYONE', userGroups: [], channel: 'C_ANY' })).toEqual({ ok: true });
  });

  it('approvalsNeeded adds majorExtraApprovals for majors only', () => {
    expect(approvalsNeeded(p, 'patch')).toBe(2);
    expect(approvalsNeeded(p, 'minor')).toBe(2);
    expect(approvalsNeeded(p, 'major')).toBe(3);
  });

  it('updateTypeAllowed', () => {
    expect(updateTypeAllowed(p, 'minor')).toEqual({ ok: true });
    const d = updateTypeAllowed(p, 'major');
    expect(d).toEqual({ ok: false, reason: expect.stringMatching(/major update .* not allowed .*patch, minor/) });
  });

  it('approversFor resolves groups, dedupes, and renders mentions', async () => {
    const q = { ...p, approvers: ['U_CAROL', 'U_DAVE'] };
    const set = await approversFor(q, 'major', async (g) => (g === 'S_DBA' ? ['U_BOB', 'U_CAROL'] : []));
    expect(set.users).toEqual(['U_CAROL', 'U_DAVE', 'U_BOB']);
    expect(set.groups).toEqual([{ group: 'S_DBA', members: ['U_BOB', 'U_CAROL'] }]);
    expect(set.needed).toBe(3);
    expect(set.mention).toBe('<@U_CAROL>, <@U_DAVE>, <!subteam^S_DBA>');
    expect(approvalProgress(1, set.needed)).toBe('1 of 3 approvals');
  });

  it('approvable: refuses when too few approvers other than the requester exist', async () => {
    const set = await approversFor(p, 'minor', async () => ['U_BOB', 'U_CAROL']);
    expect(approvable(set, 'U_ALICE', false)).toEqual({ ok: true });
    const d = approvable(set, 'U_BOB', false);
    expect(d).toEqual({ ok: false, reason: expect.stringMatching(/needs 2 approvals but only 1 approver other than you/) });
    expect(approvable(set, 'U_BOB', true)).toEqual({ ok: true });
  });
});

describe('UserGroupResolver against the Slack emulator', () => {
  let slack: SlackEmulator;
  let client: WebClient;
  beforeAll(async () => {
    slack = await SlackEmulator.start();
    client = new WebClient(slack.botToken, { slackApiUrl: slack.apiUrl, retryConfig: { retries: 0 } });
  });
  afterAll(async () => {
    await slack?.stop();
  });
  const calls = () => slack.calls.filter((c) => c.method === 'usergroups.users.list').length;

  it('lists members with usergroups.users.list and caches them for the TTL', async () => {
    let now = 1_000_000;
    const r = new UserGroupResolver(client, 60_000, () => now);
    const before = calls();
    expect(await r.members('S_DBA')).toEqual(['U_BOB', 'U_CAROL']);
    expect(await r.members('S_DBA')).toEqual(['U_BOB', 'U_CAROL']);
    expect(calls() - before).toBe(1);
    now += 60_001;
    await r.members('S_DBA');
    expect(calls() - before).toBe(2);
    expect(await r.memberOf('U_CAROL', ['S_DBA'])).toEqual(['S_DBA']);
    expect(await r.memberOf('U_ALICE', ['S_DBA'])).toEqual([]);
  });

  it('shares one call among concurrent look-ups', async () => {
    const r = new UserGroupResolver(client, 60_000);
    const before = calls();
    await Promise.all([r.members('S_DBA'), r.members('S_DBA'), r.members('S_DBA')]);
    expect(calls() - before).toBe(1);
  });

  it('throws a clear error for an unknown group, and does not cache failures', async () => {
    const r = new UserGroupResolver(client, 60_000);
    const err = await r.members('S_NOPE').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UserGroupError);
    expect((err as UserGroupError).code).toBe('no_such_subteam');
    expect((err as Error).message).toMatch(/user group S_NOPE .*no_such_subteam .*no such user group/);
    const before = calls();
    await r.members('S_NOPE').catch(() => undefined);
    expect(calls() - before).toBe(1);
  });

  it('feeds approversFor and mayRequest', async () => {
    const r = new UserGroupResolver(client, 60_000);
    const p = resolvePolicy(config, T);
    const set = await approversFor(p, 'minor', (g) => r.members(g));
    expect(set.users).toEqual(['U_BOB', 'U_CAROL']);
    const g = { ...p, requesters: { users: [], groups: ['S_DBA'], channels: [] } };
    expect(mayRequest(g, { user: 'U_BOB', userGroups: await r.memberOf('U_BOB', g.requesters.groups), channel: 'C_DBOPS' }).ok).toBe(true);
  });
});

describe('UserGroupResolver with handles (fake client)', () => {
  const fake = (groups: Array<{ id: string; handle: string; users: string[] }>) => {
    const seen: string[] = [];
    const client = {
      usergroups: {
        list: async () => {
          seen.push('list');
          return { ok: true, usergroups: groups.map(({ id, handle }) => ({ id, handle })) };
        },
        users: {
          list: async ({ usergroup }: { usergroup: string }) => {
            seen.push(`users:${usergroup}`);
            const g = groups.find((x) => x.id === usergroup);
            if (!g) throw Object.assign(new Error('An API error occurred: no_such_subteam'), { data: { ok: false, error: 'no_such_subteam' } });
            return { ok: true, users: g.users };
          },
        },
      },
    } as unknown as UserGroupsClient;
    return { client, seen };
  };

  it('maps @handle to the id with usergroups.list, then lists members', async () => {
    const { client, seen } = fake([{ id: 'S1', handle: 'dba', users: ['U_BOB'] }]);
    const r = new UserGroupResolver(client, 60_000);
    expect(await r.members('@dba')).toEqual(['U_BOB']);
    expect(seen).toEqual(['list', 'users:S1']);
  });

  it('names an unknown handle', async () => {
    const { client } = fake([]);
    await expect(new UserGroupResolver(client, 60_000).members('@nobody')).rejects.toThrow(/@nobody: no user group has this handle/);
  });
});
