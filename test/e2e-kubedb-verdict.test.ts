/**
 * KubeDB's own verdict at preflight: the bot creates the OpsRequest with `dryRun=All`, KubeDB's (simulated)
 * ops webhook judges it, and a refusal reaches the requester before any approver is asked — nothing is
 * created. Also: preflight retries transient API errors. Real Bolt app, real client-node, the emulators.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startWorld, USERS, CHANNEL, type World } from '../sim/world.js';
import { rejectWithReason, request, settle } from '../sim/script.js';
import { findEngine } from '../src/engines/table.js';
import { catalogGvr } from '../sim/kubedb/index.js';
import { databaseObject } from '../sim/kubedb/seed.js';
import { mysqlVersion } from '../sim/kubedb/catalog.js';
import { ACTION_APPROVE } from '../src/slack/render.js';

let w: World;

beforeAll(async () => {
  w = await startWorld({ sim: { podReadyDelayMs: 15, stepDelayMs: 15 } });
});
afterAll(async () => {
  await w?.stop();
});

/** Type a command and return alice's final ephemeral reply. */
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

const approvalPosts = () => w.slack.messages(CHANNEL).filter((m) => JSON.stringify(m.blocks ?? []).includes(ACTION_APPROVE)).length;
const dryRuns = (plural: string) => w.cluster.server.requests.filter((r) => r.method === 'POST' && r.path.endsWith(`/${plural}`) && /[?&]dryRun=All/.test(r.url));

describe('KubeDB verdict before approval', () => {
  it('a request KubeDB accepts is dry-run once, then posted for approval', async () => {
    const n = dryRuns('mysqlopsrequests').length;
    const { record, parent } = await request(w.slack, w.bot.records, USERS.requester, CHANNEL, 'mysql orders 8.0.36');
    expect(record.spec.targetVersion).toBe('8.0.36');
    const runs = dryRuns('mysqlopsrequests').slice(n);
    expect(runs).toHaveLength(1);
    expect(runs[0].status).toBe(201);
    // the dry run stored nothing: the only OpsRequests are those the pipeline will create after approval
    const ops = w.cluster.store.list({ group: 'ops.kubedb.com', version: 'v1alpha1', plural: 'mysqlopsrequests' }, 'demo').items;
    expect(ops.filter((o) => o.metadata.name.includes('preflight'))).toHaveLength(0);
    await rejectWithReason(w.slack, CHANNEL, parent, USERS.approver, 'not now');
    expect((await settle(w.bot.records, record.metadata.name)).status?.phase).toBe('Rejected');
  });

  it('KubeDB\'s webhook refusal reaches the requester before any approver is asked; nothing is created', async () => {
    // An admin installs a catalog entry whose spec.version Masterminds semver cannot parse (a numeric
    // prerelease with a leading zero). KubeDB's IsUpgradable parses every entry's spec.version, so its
    // webhook refuses every MySQL UpdateVersion; the bot's own resolution skips the malformed entry.
    const mysql = findEngine('mysql')!;
    w.cluster.store.create(catalogGvr(mysql), mysqlVersion('8.0.36-custom', '8.0.36-01'));
    try {
      const posts = approvalPosts();
      const records = (await w.bot.records.list()).length;
      const n = dryRuns('mysqlopsrequests').length;
      const reply = await ask('mysql orders 8.4');
      expect(reply).toContain(':warning: KubeDB refuses this update of MySQL `demo/orders` to `8.4.8`');
      expect(reply).toContain('admission webhook "mysqlopsrequestwebhook.validators.ops.kubedb.com" denied the request: MySQLOpsRequest.MySQLopsrequests.kubedb.com');
      expect(reply).toContain('is invalid: spec.updateVersion');
      const runs = dryRuns('mysqlopsrequests').slice(n);
      expect(runs.map((r) => r.status)).toEqual([422]);
      expect(approvalPosts()).toBe(posts);
      expect((await w.bot.records.list()).length).toBe(records);
    } finally {
      w.cluster.store.delete(catalogGvr(mysql), undefined, '8.0.36-custom');
    }
  });

  it('the simulated webhook refuses a deprecated PerconaXtraDB target on a dry run, in KubeDB\'s words', async () => {
    // From 8.0.26 the real catalog allows `>= 8.0.26, <= 8.0.31`: 8.0.28 and 8.0.31, both deprecated
    // (kubedb/installer 0c6e2459 perconaxtradb/perconaxtradb-8.0.26.yaml, -8.0.28.yaml).
    const pxc = findEngine('pxc')!;
    const gvr = { group: pxc.group, version: pxc.version, plural: pxc.plural };
    w.cluster.store.create(gvr, databaseObject({ engine: 'perconaxtradb', namespace: 'demo', name: 'inventory-old', version: '8.0.26', replicas: 1, becomesReady: true }));
    try {
      const res = await fetch(`${w.cluster.server.url}/apis/ops.kubedb.com/v1alpha1/namespaces/demo/${pxc.opsRequestPlural}?dryRun=All`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ apiVersion: 'ops.kubedb.com/v1alpha1', kind: pxc.opsRequestKind, metadata: { generateName: 'inventory-' }, spec: { type: 'UpdateVersion', databaseRef: { name: 'inventory-old' }, updateVersion: { targetVersion: '8.0.28' } } }),
      });
      expect(res.status).toBe(422);
      const body = (await res.json()) as { message: string; reason: string };
      expect(body.reason).toBe('Invalid');
      expect(body.message).toContain('percona-xtradbdb target version demo/8.0.28 is deprecated. Skipped processing');
    } finally {
      w.cluster.store.delete(gvr, 'demo', 'inventory-old');
    }
  });
});

describe('preflight retries transient API errors', () => {
  it('503 twice and a 429 with Retry-After on reads: the request still goes through', async () => {
    w.cluster.server.faults.add({ verb: 'get', pathIncludes: '/perconaxtradbs/inventory', status: 503, times: 2 });
    w.cluster.server.faults.add({ verb: 'create', pathIncludes: 'perconaxtradbopsrequests?dryRun=All', status: 429, retryAfterSeconds: 1, times: 1 });
    const { record } = await request(w.slack, w.bot.records, USERS.requester, CHANNEL, 'perconaxtradb inventory 8.4.3');
    expect(record.spec.targetVersion).toBe('8.4.3');
    expect(w.cluster.server.faults.remaining()).toBe(0);
  });

  it('a non-transient error is not retried', async () => {
    w.cluster.server.faults.add({ verb: 'get', pathIncludes: '/postgreses/ledger', status: 400, times: 2 });
    const reply = await ask('postgres billing/ledger 15.10');
    expect(reply).toContain(':x: Could not check the request against cluster `sim`');
    expect(w.cluster.server.faults.remaining()).toBe(1);
    w.cluster.server.faults.clear();
  });
});
