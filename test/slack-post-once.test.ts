/**
 * Issue #11: a `chat.postMessage` that Slack stored but answered with a 500, a 504 or a reset connection
 * must not be sent again by the WebClient's retries (the notifier posts through a client with no
 * retries) and must not be lost: the notifier settles the post left pending from the thread's message
 * metadata. The Slack emulator carries out the call, then fails the answer (`stored-*` faults); each
 * update must end with the parent posted once and every thread line once. Real Bolt app over Socket
 * Mode and real client-node against the emulators.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startWorld, USERS, CHANNEL, type World } from '../sim/world.js';
import { approve, pollUntil, request, settle } from '../sim/script.js';
import { BatchStore } from '../src/updates/batch-records.js';
import { seedCluster } from '../sim/kubedb/index.js';
import type { Fault } from '../sim/slack/server.js';

const NS = 'postonce';
const STEPS = [/Paused/, /Images updated/, /Checks passed/, /Resumed/, /Done/];
let w: World;
let nextDb = 0;

beforeAll(async () => {
  w = await startWorld({ sim: { podReadyDelayMs: 100, stepDelayMs: 100 } });
  await seedCluster(w.cluster.kubeConfig, { extraDatabases: 5, extraNamespace: NS });
  await w.cluster.sim.settled();
}, 30_000);
afterEach(() => w.slack.faults.clear());
afterAll(async () => {
  await w?.stop();
});

describe('a post Slack stored but answered with a failure appears exactly once', () => {
  for (const kind of ['stored-http500', 'stored-http504', 'stored-reset'] as Array<Fault['kind']>) {
    it(`${kind} on the parent message and on a thread reply`, async () => {
      const db = `bench-${nextDb++}`;
      const from = w.slack.calls.length;
      w.slack.faults.add({ method: 'chat.postMessage', kind, times: 1 });
      const { record, parent } = await request(w.slack, w.bot.records, USERS.requester, CHANNEL, `mysql ${NS}/${db} 8.4`, 20_000);
      expect(w.slack.faults.pending, 'the parent post met the fault').toHaveLength(0);
      await approve(w.slack, CHANNEL, parent, USERS.approver);
      await w.slack.waitFor(() => w.slack.replies(CHANNEL, parent.ts).some((m) => /Paused/.test(m.text)) || undefined, { timeoutMs: 15_000, what: 'the Paused post' });
      w.slack.faults.add({ method: 'chat.postMessage', kind, times: 1 });
      const done = await settle(w.bot.records, record.metadata.name, 30_000);
      expect(done.status?.phase, done.status?.message).toBe('Succeeded');
      await w.slack.waitFor(() => w.slack.replies(CHANNEL, parent.ts).some((m) => /Done/.test(m.text)) || undefined, { timeoutMs: 15_000, what: 'the Done post' });
      expect(w.slack.faults.pending, 'a thread post met the fault').toHaveLength(0);

      const failed = w.slack.calls.slice(from).filter((c) => c.method === 'chat.postMessage' && c.status !== 200);
      expect(failed, 'two posts were stored and answered with a failure').toHaveLength(2);
      const parents = w.slack.messages(CHANNEL).filter((m) => !m.thread_ts && (m.metadata as { event_payload?: { record?: string } } | undefined)?.event_payload?.record === record.metadata.name);
      expect(parents, 'the parent message once').toHaveLength(1);
      const lines = w.slack.replies(CHANNEL, parent.ts).map((m) => m.text);
      for (const re of STEPS) expect(lines.filter((l) => re.test(l)), `${re} once in:\n${lines.join('\n')}`).toHaveLength(1);
      expect(done.status?.slack?.pending ?? [], 'nothing left pending').toEqual([]);
    }, 60_000);
  }

  it('stored-http500 on a fleet batch\'s parent message: the next pass finds it by its metadata and adopts it', async () => {
    const from = w.slack.calls.length;
    w.slack.faults.add({ method: 'chat.postMessage', kind: 'stored-http500', times: 1 });
    await w.slack.typeCommand({ user: USERS.requester, channel: CHANNEL, text: `mysql ${NS}/bench-3,${NS}/bench-4 8.4` });
    // The batch records its parent once a pass has found (or posted) it.
    const batches = new BatchStore(w.cluster.kube, w.config.recordsNamespace);
    const batch = await pollUntil(
      async () => (await batches.list()).find((b) => b.spec.members.some((m) => m.name === 'bench-3') && b.status?.slack?.ts),
      30_000,
      () => 'the batch parent recorded',
    );
    expect(w.slack.faults.pending, 'the batch parent post met the fault').toHaveLength(0);
    const failed = w.slack.calls.slice(from).filter((c) => c.method === 'chat.postMessage' && c.status !== 200);
    expect(failed, 'the parent post was stored and answered with a failure').toHaveLength(1);
    const parents = w.slack.messages(CHANNEL).filter((m) => !m.thread_ts && (m.metadata as { event_payload?: { batch?: string } } | undefined)?.event_payload?.batch === batch.metadata.name);
    expect(parents.map((m) => m.ts), 'the batch parent once, and the one recorded').toEqual([batch.status!.slack!.ts]);
    expect(w.slack.calls.slice(from).some((c) => c.method === 'conversations.history'), 'looked up by metadata').toBe(true);
  }, 60_000);
});
