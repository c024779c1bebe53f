/**
 * Messages a person would write (#20 item 5): `/dbupdate status` does not nest bold, a failure says its
 * step once in plain words and its account once (in the thread, not again in the parent), a mistyped
 * database gets "Did you mean …?" for names within a small edit distance in the same namespace, and the
 * id refusal's example has the real id shape (`<database>-<8 hex>`, src/updates/request.ts recordName).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startWorld, USERS, CHANNEL, type World } from '../sim/world.js';
import { renderStatus } from '../src/slack/queries.js';
import { progressLine, renderParent, statusLine, threadPosts } from '../src/slack/render.js';
import { closestNames, didYouMean } from '../src/command/suggest.js';
import { parseCommand } from '../src/command/parse.js';
import { recordName } from '../src/updates/request.js';
import type { DatabaseUpdate, Step } from '../src/api/v1alpha1/databaseupdate.js';
import { VALID_RECORD_SPEC } from './support/record-spec.js';
import type { KubeObject } from '../sim/kube/api.js';

/** A ClusterRole granting `list` on MySQL databases to the bot's service account. */

/** A record of `orders` in `phase` with `steps`. */
function record(phase: string, steps: Step[], message?: string, name = 'orders-3f9a1c2e'): DatabaseUpdate {
  return {
    apiVersion: 'dbupdate.dev/v1alpha1',
    kind: 'DatabaseUpdate',
    metadata: { name, namespace: 'dbupdate', creationTimestamp: '2026-12-01T00:00:00Z' },
    spec: { ...VALID_RECORD_SPEC, database: { ...VALID_RECORD_SPEC.database }, approvers: [...VALID_RECORD_SPEC.approvers] },
    status: { phase, steps, ...(message ? { message } : {}), startedAt: '2026-12-01T00:01:00Z', opsRequest: { kind: 'MySQLOpsRequest', namespace: 'demo', name: 'orders-update-8-4-3-abc' } },
  } as unknown as DatabaseUpdate;
}

/** Every `*…*` span of Slack mrkdwn, checked for nesting: an opening `*` inside a bold span. */
function nestedBold(text: string): boolean {
  for (const line of text.split('\n')) {
    // Slack opens bold at a `*` after start/space/punctuation and closes at a `*` before end/space/punctuation.
    let open = false;
    for (let i = 0; i < line.length; i++) {
      if (line[i] !== '*') continue;
      const before = i === 0 ? ' ' : line[i - 1];
      const after = i === line.length - 1 ? ' ' : line[i + 1];
      const opens = /[\s(>_~`•:—-]/.test(before) && !/\s/.test(after);
      const closes = !/\s/.test(before) && /[\s).,:;!?_~`—-]/.test(after);
      if (open && closes) open = false;
      else if (!open && opens) open = true;
      else if (open && opens) return true;
    }
  }
  return false;
}

describe('/dbupdate status', () => {
  it('does not nest bold: the phase is bold, the line around it is not', () => {
    const done = record('Succeeded', [{ name: 'paused', state: 'Succeeded' }]);
    const older = record('Failed', [], 'x', 'orders-0a1b2c3d');
    (older.metadata as { creationTimestamp?: string }).creationTimestamp = '2026-11-01T00:00:00Z';
    const text = renderStatus('orders', 'demo', [done, older]);
    expect(text).toContain('*Succeeded*');
    expect(text).not.toMatch(/^\*/m);
    expect(nestedBold(text)).toBe(false);
    // the checker itself sees the old shape as nested
    expect(nestedBold('*`orders-1` MySQL — *Succeeded* (by <@U1>)*')).toBe(true);
  });
});

describe('a failed update', () => {
  const reason = 'UpdateStatefulSetImage';
  const stepMessage = 'pod orders-1 did not become Ready';
  const message = `KubeDB says \`${reason}\`: ${stepMessage}. The database is \`Ready\` on version \`8.0.35\` and *still paused*: resume it with \`kubectl dba resume mysql -n demo orders\` once it is healthy. Next: \`kubectl describe mysqlopsrequests.ops.kubedb.com -n demo x\` for KubeDB's account, fix the cause, then request the update again.`;
  const failed = record('Failed', [
    { name: 'paused', state: 'Succeeded', startedAt: '2026-12-01T00:01:00Z', finishedAt: '2026-12-01T00:01:01Z' },
    { name: 'images', state: 'Failed', reason, message: stepMessage },
    { name: 'checks', state: 'Pending' },
    { name: 'resumed', state: 'Pending' },
  ], message);

  it('names the failed step in plain words, never "images updated ✗"', () => {
    const line = progressLine(failed);
    expect(line).toBe('preflight ✓ → paused ✓ → updating images failed ✗');
    expect(line).not.toMatch(/images updated/);
    const running = record('Running', [{ name: 'paused', state: 'Succeeded' }, { name: 'images', state: 'Running' }, { name: 'checks', state: 'Pending' }]);
    expect(progressLine(running)).toBe('preflight ✓ → paused ✓ → updating images … → checking');
  });

  it('says its account once: in the thread, not again in the parent', () => {
    const parent = JSON.stringify(renderParent(failed).blocks);
    expect(statusLine(failed)).toBe(':x: *Failed* while updating images. :rotating_light: The database is still paused. What happened and what to do next: see the thread.');
    expect(parent).not.toContain(stepMessage);
    const thread = threadPosts(failed).map((p) => p.text).join('\n');
    // the step's cause once, the database state and the next steps once
    expect(thread.split(stepMessage)).toHaveLength(2);
    expect(thread.split('kubectl dba resume mysql -n demo orders')).toHaveLength(2);
    expect(thread.split('Updating images failed')).toHaveLength(2);
    expect(threadPosts(failed).find((p) => p.key === 'step:images:failed')?.text).toBe(`:x: *Updating images failed* (\`${reason}\`): ${stepMessage}`);
    const last = threadPosts(failed).at(-1)!;
    expect(last.key).toBe('failed');
    expect(last.text).toMatch(/^:rotating_light: \*Update failed\*: The database is `Ready` on version `8\.0\.35` and \*still paused\*/);
    expect(last.text).toContain('`/dbupdate resume orders-3f9a1c2e`');
  });

  it('keeps a failure message of another shape whole', () => {
    const other = record('Failed', [], 'The bot could not go on after 3 attempts: forbidden. The database is not paused.');
    expect(threadPosts(other).at(-1)!.text).toContain('The bot could not go on after 3 attempts: forbidden.');
    expect(statusLine(other)).toBe(':x: *Failed*. What happened and what to do next: see the thread.');
  });
});

describe('did you mean', () => {
  it('offers names within a small edit distance, the closest first, never far ones', () => {
    const names = ['orders', 'orders-archive', 'ledger', 'inventory', 'legacy'];
    expect(closestNames('ordres', names)).toEqual(['orders']);
    expect(closestNames('order', names)).toEqual(['orders']);
    expect(closestNames('Orders', names)).toEqual(['orders']);
    expect(closestNames('invetory', names)).toEqual(['inventory']);
    expect(closestNames('payments', names)).toEqual([]);
    expect(closestNames('db', ['ab', 'cd', 'orders'])).toEqual(['ab']);
    expect(closestNames('lgacy', names)).toEqual(['legacy']);
    expect(didYouMean(['orders'])).toBe(' Did you mean `orders`?');
    expect(didYouMean(['a', 'b', 'c'])).toBe(' Did you mean `a`, `b` or `c`?');
    expect(didYouMean([])).toBe('');
  });
});

describe('the id refusal', () => {
  it('shows an example of the real id shape', () => {
    const r = parseCommand('cancel Orders_1');
    expect(r.ok).toBe(false);
    const example = /e\.g\. `([^`]+)`/.exec((r as { error: string }).error)?.[1];
    expect(example).toMatch(/^[a-z0-9-]+-[0-9a-f]{8}$/);
    expect(recordName('orders', 'some-trigger')).toMatch(/^orders-[0-9a-f]{8}$/);
  });
});

describe('a mistyped database over Slack', { timeout: 60_000 }, () => {
  let w: World;
  beforeAll(async () => {
    w = await startWorld({ sim: { podReadyDelayMs: 15, stepDelayMs: 15 } });
  });
  afterAll(async () => {
    await w?.stop();
  });

  async function ask(text: string): Promise<string> {
    const user = USERS.requester;
    const before = w.slack.messages(CHANNEL).filter((m) => m.ephemeralTo === user).length;
    await w.slack.typeCommand({ user, channel: CHANNEL, text });
    const replies = await w.slack.waitFor(
      () => {
        const eph = w.slack.messages(CHANNEL).filter((m) => m.ephemeralTo === user).slice(before);
        return eph.some((m) => !m.text.startsWith(':mag:')) ? eph : undefined;
      },
      { timeoutMs: 10_000, what: `a reply to "/dbupdate ${text}"` },
    );
    return replies.map((m) => m.text).join('\n');
  }

  it('an update request: "Did you mean `orders`?" and nothing is recorded', async () => {
    // `list` on the database kinds: the suggestion reads the namespace's databases (deploy/rbac.yaml grants
    // it, for the drift report's informers).
    const n = (await w.bot.records.list()).length;
    const reply = await ask('mysql ordres 8.4');
    expect(reply).toContain('was not found');
    expect(reply).toContain('Did you mean `orders`?');
    expect((await w.bot.records.list()).length).toBe(n);
  });

  it('versions: the same suggestion; a name far from every database gets none', async () => {
    expect(await ask('versions mysql ordes')).toContain('Did you mean `orders`?');
    expect(await ask('mysql payments 8.4')).not.toContain('Did you mean');
  });
  it('without the RBAC to list databases (an install that removed it): the same refusal, no suggestion, no error', async () => {
    // Last in this file: the bot's ClusterRole loses `list` on the database kinds.
    const CR = { group: 'rbac.authorization.k8s.io', version: 'v1', plural: 'clusterroles' };
    const role = w.cluster.store.get(CR, undefined, 'dbupdate') as KubeObject & { rules: Array<{ apiGroups: string[]; verbs: string[] }> };
    role.rules = role.rules.map((r) => (r.apiGroups.includes('kubedb.com') ? { ...r, verbs: r.verbs.filter((v) => v !== 'list') } : r));
    w.cluster.store.update(CR, role);
    const reply = await ask('mysql ordres 8.4');
    expect(reply).toMatch(/^:warning: MySQL `demo\/ordres` was not found in cluster `sim`\. Check the name/);
    expect(reply).not.toContain('Did you mean');
  });
});
