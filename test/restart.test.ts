/**
 * Restart safety with a real process: the bot (`src/main.ts`) runs as a child process against the
 * emulators and is killed with SIGKILL mid-way; a new process finishes the job from the records. Run on the
 * emulator and on the real kube-apiserver (test/support/clusters.ts).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { USERS, CHANNEL } from '../sim/world.js';
import { CLUSTER_KINDS, startCluster, type ClusterUnderTest } from '../sim/clusters.js';
import { SlackEmulator } from '../sim/slack/server.js';
import { spawnBot, writeBotFiles, waitUntilLeading, type BotProcess } from '../sim/bot-process.js';
import { approve, settle, request } from '../sim/script.js';
import { RecordStore } from '../src/updates/records.js';
import { LEASE_NAME } from '../src/bot.js';

describe.each(CLUSTER_KINDS)('on the %s', (kind) => {
let c: ClusterUnderTest;
let slack: SlackEmulator;
let records: RecordStore;
let files: ReturnType<typeof writeBotFiles>;
const procs: BotProcess[] = [];

beforeAll(async () => {
  c = await startCluster(kind, { podReadyDelayMs: 300, stepDelayMs: 300 });
  slack = await SlackEmulator.start({ channels: [{ id: CHANNEL, name: 'db-ops' }] });
  files = writeBotFiles(c.cluster, c.config({ leaseDurationSeconds: 2 }));
  records = new RecordStore(c.kube, c.recordsNamespace);
}, 120_000);
afterAll(async () => {
  for (const p of procs) p.kill('SIGKILL');
  await Promise.all(procs.map((p) => p.exited));
  await slack?.stop();
  await c?.stop();
});

/** Start a bot process and wait until it is connected to Slack and holds the Lease. */
async function startProcess(identity: string): Promise<BotProcess> {
  const p = spawnBot({ files, slack, identity });
  procs.push(p);
  await waitUntilLeading(c.cluster, slack, identity, p);
  return p;
}

function replies(ts: string): string[] {
  return slack.replies(CHANNEL, ts).map((m) => m.text);
}

function expectEachOnce(lines: string[]) {
  for (const re of [/Paused/, /Images updated/, /Checks passed/, /Resumed/, /Done/]) {
    expect(lines.filter((l) => re.test(l)), `${re} once in:\n${lines.join('\n')}`).toHaveLength(1);
  }
  const order = [/Paused/, /Images updated/, /Checks passed/, /Resumed/, /Done/].map((re) => lines.findIndex((l) => re.test(l)));
  expect([...order].sort((a, b) => a - b)).toEqual(order);
}

describe('restart safety (SIGKILL of a real bot process)', () => {
  it('killed after "paused" was posted: a new process finishes the update in the same thread, no step twice', async () => {
    const first = await startProcess('bot-a');
    const { record, parent } = await request(slack, records, USERS.requester, CHANNEL, 'mysql orders 8.0.36', 20_000);
    await approve(slack, CHANNEL, parent, USERS.approver);
    await slack.waitFor(() => replies(parent.ts).some((l) => /Paused/.test(l)), { timeoutMs: 20_000, what: 'the Paused post' });
    first.kill('SIGKILL');
    const exit = await first.exited;
    expect(exit.signal).toBe('SIGKILL');
    const mid = await records.get(record.metadata.name);
    expect(mid?.status?.phase).toBe('Running');

    await startProcess('bot-b');
    const done = await settle(records, record.metadata.name, 60_000);
    expect(done.status?.phase).toBe('Succeeded');
    expectEachOnce(replies(parent.ts));
    expect(slack.messages(CHANNEL).filter((m) => !m.thread_ts && !m.ephemeralTo && m.ts === parent.ts)).toHaveLength(1);
    expect(JSON.stringify(slack.message(CHANNEL, parent.ts)!.blocks)).toContain('Succeeded');
  }, 120_000);

  it('killed while approval is pending: the approval after the restart runs the update once', async () => {
    const p = procs.find((x) => x.child.exitCode === null && x.child.signalCode === null)!;
    const { record, parent } = await request(slack, records, USERS.requester, CHANNEL, 'perconaxtradb inventory 8.4.3', 20_000);
    p.kill('SIGKILL');
    await p.exited;
    await startProcess('bot-c');
    await approve(slack, CHANNEL, parent, USERS.approver);
    const done = await settle(records, record.metadata.name, 60_000);
    expect(done.status?.phase).toBe('Succeeded');
    expectEachOnce(replies(parent.ts));
    expect(replies(parent.ts).filter((l) => /approved/.test(l))).toHaveLength(1);
  }, 120_000);

  it('SIGTERM: the process hands the Lease back and exits within 10 s', async () => {
    const p = procs.find((x) => x.child.exitCode === null && x.child.signalCode === null)!;
    const t0 = Date.now();
    p.kill('SIGTERM');
    const exit = await p.exited;
    const took = Date.now() - t0;
    expect(exit.code).toBe(0);
    expect(took).toBeLessThan(10_000);
    const lease = await c.kube.coordination.readNamespacedLease({ name: LEASE_NAME, namespace: c.recordsNamespace });
    expect(lease.spec?.holderIdentity ?? '').toBe('');
    const next = await startProcess('bot-d');
    expect(next.child.exitCode).toBeNull();
  }, 60_000);
});
});
