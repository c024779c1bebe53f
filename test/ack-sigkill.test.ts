/**
 * Acked work is never lost on SIGKILL: the real bot (`src/main.ts`) runs as a child process against the
 * emulators and is killed with SIGKILL while the durable write of a command or a click is in flight
 * (the Kubernetes emulator holds that write, `delayMs`). The handlers write before they ack, so the
 * killed process never acked: Slack has no ack (the emulator's `AckTimeoutError`, which real Slack shows
 * the user as a failed command / click), nothing was shown as done, and nothing half-done is left; after
 * the restart the user's next try works.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmbeddedCluster, worldConfig, USERS, CHANNEL, type EmbeddedCluster } from '../sim/world.js';
import { SlackEmulator, AckTimeoutError } from '../sim/slack/server.js';
import { spawnBot, writeBotFiles, waitUntilLeading, type BotProcess } from '../sim/bot-process.js';
import { approve, pollUntil, request } from '../sim/script.js';
import { RecordStore } from '../src/updates/records.js';
import { answersOf } from './support/answers.js';

let cluster: EmbeddedCluster;
let slack: SlackEmulator;
let records: RecordStore;
let files: ReturnType<typeof writeBotFiles>;
const procs: BotProcess[] = [];

beforeAll(async () => {
  cluster = await startEmbeddedCluster({ podReadyDelayMs: 100, stepDelayMs: 100 });
  slack = await SlackEmulator.start({ channels: [{ id: CHANNEL, name: 'db-ops' }] });
  files = writeBotFiles(cluster, worldConfig({ leaseDurationSeconds: 2 }));
  records = new RecordStore(cluster.kube, 'dbupdate');
});
afterAll(async () => {
  for (const p of procs) p.kill('SIGKILL');
  await Promise.all(procs.map((p) => p.exited));
  await slack?.stop();
  await cluster?.stop();
});

async function startProcess(identity: string): Promise<BotProcess> {
  const p = spawnBot({ files, slack, identity });
  procs.push(p);
  await waitUntilLeading(cluster, slack, identity, p, 60_000);
  return p;
}

/** Hold the next write matching `fault` for a minute, wait until the bot has sent it, then SIGKILL the bot. */
async function killDuringWrite(p: BotProcess, fault: { verb: string; pathIncludes: string }): Promise<void> {
  cluster.server.faults.add({ ...fault, status: 503, delayMs: 60_000 });
  await pollUntil(async () => cluster.server.faults.remaining() === 0 || undefined, 20_000, () => `the bot's ${fault.verb} of ${fault.pathIncludes}`);
  p.kill('SIGKILL');
  expect((await p.exited).signal).toBe('SIGKILL');
}


describe('SIGKILL between the envelope and the durable write', () => {
  it('a request: no ack (the user is told it failed), no record, nothing shown as recorded; after the restart the next try is answered', async () => {
    const a = await startProcess('bot-a');
    const typed = slack.typeCommand({ user: USERS.requester, channel: CHANNEL, text: 'mysql orders 8.0.36' }).then(
      (r) => ({ acked: r }),
      (err: unknown) => ({ err }),
    );
    await killDuringWrite(a, { verb: 'create', pathIncludes: '/databaseupdates' });
    const outcome = await typed;
    // Slack got no ack: real Slack shows the user "/dbupdate failed with the error operation_timeout".
    expect('err' in outcome && outcome.err).toBeInstanceOf(AckTimeoutError);
    expect(slack.messages(CHANNEL).filter((m) => m.ephemeralTo === USERS.requester && /recorded|Checking/.test(m.text))).toEqual([]);
    expect(slack.responsePosts.filter((p) => /recorded/.test(JSON.stringify(p.body)))).toEqual([]);
    expect(await records.list()).toEqual([]);

    await startProcess('bot-b');
    const again = await slack.typeCommand({ user: USERS.requester, channel: CHANNEL, text: 'mysql orders 8.0.36' });
    // In the ack when the bot knew it within its ack budget, else through response_url (test/support/answers.ts).
    const answer = await pollUntil(async () => answersOf(again).length > 0 && answersOf(again), 20_000, () => 'the answer after the restart');
    // The killed process took the database's lock before it died: within the lock's grace period the
    // user is told plainly that nothing was requested and to ask again; after it, the request is recorded.
    expect(answer).toEqual([expect.stringMatching(/being recorded right now, so yours was not\. Nothing was requested.*ask again|Request `orders-[0-9a-f]{8}` recorded/)]);
  }, 120_000);

  it('an approval: no ack (the click shows as failed), no vote counted; after the restart the click counts once', async () => {
    cluster.server.faults.clear();
    const { record, parent } = await request(slack, records, USERS.requester, CHANNEL, 'perconaxtradb inventory 8.4.3', 20_000);
    const b = procs.find((x) => x.child.exitCode === null && x.child.signalCode === null)!;
    const clicked = approve(slack, CHANNEL, parent, USERS.approver).then(
      () => ({ acked: true }),
      (err: unknown) => ({ err }),
    );
    await killDuringWrite(b, { verb: 'patch', pathIncludes: `/databaseupdates/${record.metadata.name}/status` });
    const outcome = await clicked;
    expect('err' in outcome && outcome.err).toBeInstanceOf(AckTimeoutError);
    const mid = await records.get(record.metadata.name);
    expect(mid?.status?.phase ?? 'Pending').toBe('Pending');
    expect(mid?.status?.approvals ?? []).toEqual([]);

    await startProcess('bot-c');
    await approve(slack, CHANNEL, parent, USERS.approver);
    const done = await pollUntil(async () => {
      const r = await records.get(record.metadata.name);
      return r && (r.status?.phase ?? 'Pending') !== 'Pending' ? r : undefined;
    }, 20_000, () => 'the approval after the restart');
    expect(done.status?.approvals?.map((v) => v.user)).toEqual([USERS.approver]);
  }, 120_000);
});
