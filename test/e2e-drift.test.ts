/**
 * Version drift end to end (#19 item 2) on the emulator and on the run's real kube-apiserver, on both
 * backends: `/dbupdate drift` through the
 * real Bolt app and the bot's own RBAC (the database informers), the *Request update* button opening the
 * prefilled request form, the scheduled report (posted, then "no change" in one line, its digest kept on
 * a ConfigMap, a full report again once something changed), and the `dbupdate_databases_behind` gauge.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startWorld, USERS, CHANNEL, type World } from '../sim/world.js';
import { startRealWorld, type RealWorld } from '../sim/world-real.js';
import { CLUSTER_KINDS, type ClusterKind } from '../sim/clusters.js';
import { pollUntil } from '../sim/script.js';
import { DRIFT_REQUEST_ACTION, parseRequestValue } from '../src/drift/render.js';
import { driftReport } from '../src/drift/source.js';
import { driftGaugeRows } from '../src/drift/compute.js';
import { REPORT_STATE_CONFIGMAP } from '../src/drift/state.js';
import { createMetrics } from '../src/metrics.js';
import { databases } from '../src/kube/resources.js';
import { findEngine } from '../src/engines/table.js';

type Block = { type: string; text?: { text: string }; accessory?: { action_id: string; value: string } };

/** Start a world on `kind`; its namespace of seed namespace `n`, and its cluster's name as the bot says it. */
async function start(kind: ClusterKind, opts: Parameters<typeof startWorld>[0]): Promise<{ w: World | RealWorld; ns: (n: string) => string; cluster: string }> {
  if (kind === 'emulator') return { w: await startWorld(opts), ns: (n) => n, cluster: 'sim' };
  const w = await startRealWorld(opts);
  return { w, ns: w.cluster.ns, cluster: 'real' };
}

for (const kind of CLUSTER_KINDS)
for (const backend of ['ops-request', 'direct'] as const) {
  describe(`/dbupdate drift (${backend} backend, on the ${kind})`, () => {
    let w: World | RealWorld;
    let ns: (n: string) => string;
    let cluster: string;
    beforeAll(async () => {
      ({ w, ns, cluster } = await start(kind, { sim: { podReadyDelayMs: 15, stepDelayMs: 15, opsManager: backend === 'ops-request' }, config: { backend } }));
    });
    afterAll(async () => {
      await w?.stop();
    });

    /** Type a command and wait for its ephemeral answer through response_url. */
    async function ask(text: string): Promise<{ text: string; blocks: Block[] }> {
      const cmd = await w.slack.typeCommand({ user: USERS.requester, channel: CHANNEL, text });
      const body = await pollUntil(async () => cmd.responses()[0] as { text: string; blocks?: Block[] } | undefined, 10_000, () => `an answer to ${text}`);
      return { text: body.text, blocks: body.blocks ?? [] };
    }

    it('lists the seeded databases behind, by engine and namespace, with a button per group', async () => {
      // The real server is shared with other worlds (their namespaces come and go), so there the report is
      // asked of this world's two namespaces one by one.
      const asked = kind === 'emulator' ? ['drift'] : [`drift -n ${ns('demo')}`, `drift -n ${ns('billing')}`];
      const lines: string[] = [];
      for (const text of asked) {
        const a = await ask(text);
        expect(a.text).toMatch(new RegExp(`Version drift in cluster \`${cluster}\`[^:]*: \\d+ of \\d+ databases behind`));
        lines.push(...a.blocks.map((b) => b.text?.text ?? ''));
        const buttons = a.blocks.filter((b) => b.accessory?.action_id === DRIFT_REQUEST_ACTION);
        expect(buttons.length).toBe(a.blocks.filter((b) => b.type === 'section').length - 1);
      }
      // orders and legacy run MySQL 8.0.35 (real catalog: newest allowed 8.0.x is 8.0.36); ledger Postgres 15.8.
      expect(lines.find((l) => l.includes(`*MySQL* in \`${ns('demo')}\``) && l.includes('behind the newest patch'))).toMatch(/`legacy` 8\.0\.35 → 8\.0\.36, `orders` 8\.0\.35 → 8\.0\.36/);
      expect(lines.find((l) => l.includes(`*Postgres* in \`${ns('billing')}\``) && l.includes('behind the newest minor'))).toContain('`ledger` 15.8 → 15.17');
    });

    it('narrows by engine and namespace', async () => {
      const a = await ask(`drift postgres -n ${ns('billing')}`);
      expect(a.text).toContain(`(postgres, namespace ${ns('billing')})`);
      const groups = a.blocks.filter((b) => b.accessory).map((b) => parseRequestValue(b.accessory!.value)!);
      expect(groups.length).toBeGreaterThan(0);
      expect(groups.every((g) => g.e === 'postgres' && g.n === ns('billing'))).toBe(true);
    });

    it('refuses an unknown engine with the usage, in the ack', async () => {
      const cmd = await w.slack.typeCommand({ user: USERS.requester, channel: CHANNEL, text: 'drift oracle' });
      expect(JSON.stringify(cmd.ackPayload)).toContain('not a supported engine');
      expect(JSON.stringify(cmd.ackPayload)).toContain('/dbupdate drift');
    });

    it('Request update opens the request form prefilled with the group', async () => {
      await ask(`drift mysql -n ${ns('demo')}`);
      const msg = w.slack.messages(CHANNEL).filter((m) => m.ephemeralTo === USERS.requester && m.text.includes(`(mysql, namespace ${ns('demo')})`)).at(-1)!;
      const patch = (msg.blocks as Block[]).find((b) => b.accessory && parseRequestValue(b.accessory.value)?.k === 'patch')!;
      const opened = w.slack.openViews().length;
      await w.slack.clickButton({ user: USERS.requester, channel: CHANNEL, messageTs: msg.ts, actionId: DRIFT_REQUEST_ACTION, value: patch.accessory!.value });
      const view = await w.slack.waitFor(() => w.slack.openViews()[opened], { timeoutMs: 5000, what: 'the request form' });
      const els = Object.fromEntries((view.view.blocks as Array<{ block_id?: string; element?: Record<string, any> }>).filter((b) => b.block_id).map((b) => [b.block_id, b.element!]));
      expect(els.engine.initial_option.value).toBe('mysql');
      expect(els.database.initial_value).toBe(`${ns('demo')}/legacy,${ns('demo')}/orders`);
      expect(els.version.initial_value).toBe('8.0.36');
      expect(els.reason.initial_value).toContain('behind the newest patch');
      expect(els.channel.initial_channel).toBe(CHANNEL);
    });

    it('dbupdate_databases_behind: the same facts as a gauge, read through the bot\'s RBAC', async () => {
      const metrics = createMetrics();
      metrics.setDriftSource(async () => driftGaugeRows(await driftReport(w.cluster.botKube)));
      const text = await metrics.registry.metrics();
      expect(text).toContain(`dbupdate_databases_behind{engine="mysql",namespace="${ns('demo')}",kind="patch"} 2`);
      expect(text).toContain(`dbupdate_databases_behind{engine="postgres",namespace="${ns('billing')}",kind="minor"} 1`);
    });
  });
}

describe.each(CLUSTER_KINDS)('scheduled drift report, on the %s', (kind) => {
  let w: World | RealWorld;
  let ns: (n: string) => string;
  let cluster: string;
  beforeAll(async () => {
    // Every second (node-cron's 6-field form), so the test sees a report, then an unchanged one. The
    // report covers this world's `demo` namespace (on the real server, other worlds' namespaces come and go).
    const report = (demo: string) => ({ reports: [{ cron: '* * * * * *', channel: CHANNEL, engines: ['mysql'], namespaces: [demo] }] });
    const sim = { podReadyDelayMs: 15, stepDelayMs: 15 };
    if (kind === 'emulator') ({ w, ns, cluster } = { w: await startWorld({ sim, config: report('demo') }), ns: (n: string) => n, cluster: 'sim' });
    else {
      const rw = await startRealWorld({ sim, configFor: (c) => report(c.ns('demo')) });
      ({ w, ns, cluster } = { w: rw, ns: rw.cluster.ns, cluster: 'real' });
    }
  });
  afterAll(async () => {
    await w?.stop();
  });

  const posts = () => w.slack.messages(CHANNEL).filter((m) => !m.ephemeralTo && !m.thread_ts && /version drift/i.test(m.text));

  it('posts the report, then one line while nothing changed, and the whole report again after a change', async () => {
    const first = await w.slack.waitFor(() => posts()[0], { timeoutMs: 10_000, what: 'the first scheduled report' });
    expect(first.text).toContain(`Version drift in cluster \`${cluster}\` (mysql; namespace ${ns('demo')})`);
    expect(JSON.stringify(first.blocks)).toContain(DRIFT_REQUEST_ACTION);
    const second = await w.slack.waitFor(() => posts()[1], { timeoutMs: 10_000, what: 'the second scheduled report' });
    expect(second.text).toMatch(new RegExp(`^No change in version drift in cluster \`${cluster}\` since the last report \\(\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d UTC\\)`));
    expect(second.blocks ?? []).toHaveLength(0);
    // The digest is kept in the cluster, on the ConfigMap, written by the leader.
    const cm = await w.cluster.kube.core.readNamespacedConfigMap({ name: REPORT_STATE_CONFIGMAP, namespace: w.config.recordsNamespace });
    const state = Object.entries(cm.metadata?.annotations ?? {}).filter(([k]) => k.startsWith(`drift.dbupdate.dev/${cluster}.`));
    expect(state).toHaveLength(1);
    expect(JSON.parse(state[0][1]).digest).toMatch(/^[0-9a-f]{64}$/);
    // legacy moves to 8.0.36 (as if updated): the next report is whole again.
    await databases(w.cluster.kube, findEngine('mysql')!).mergePatch(ns('demo'), 'legacy', { spec: { version: '8.0.36' } } as never);
    const n = posts().length;
    const third = await w.slack.waitFor(() => posts().slice(n).find((m) => !m.text.startsWith('No change')), { timeoutMs: 10_000, what: 'a whole report after the change' });
    expect(JSON.stringify(third.blocks)).not.toContain('`legacy` 8.0.35');
  });
});
