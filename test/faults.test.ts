/**
 * Fault injection end to end: each fault is injected during a real update (real Bolt app over Socket
 * Mode, real `@kubernetes/client-node`, the embedded emulators with simulated KubeDB Ops Manager), and
 * the update must still finish with every step posted exactly once in its thread and the parent message
 * ending on Succeeded.
 *
 * One world serves every test; each test updates its own extra MySQL database (`faults/bench-<i>`,
 * seeded after start with `seedCluster`'s `extraDatabases`), so no test depends on another's outcome.
 * Every test also checks that its fault was actually consumed (`remaining() === 0` / `pending` empty),
 * so a fault that never fired cannot pass silently.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startWorld, USERS, CHANNEL, type World } from '../sim/world.js';
import { approve, pollUntil, request, settle } from '../sim/script.js';
import { seedCluster } from '../sim/kubedb/index.js';
import type { SlackMessage } from '../sim/slack/server.js';
import type { DatabaseUpdate } from '../src/api/v1alpha1/databaseupdate.js';

const NS = 'faults';
/** Extra databases seeded for this file: one per test, never reused. */
const DATABASES = 16;
/** The thread replies that must appear exactly once each. */
const STEPS = [/Paused/, /Images updated/, /Checks passed/, /Resumed/, /Done/];

let w: World;
let nextDb = 0;

beforeAll(async () => {
  w = await startWorld({ sim: { podReadyDelayMs: 15, stepDelayMs: 15 } });
  await seedCluster(w.cluster.kubeConfig, { extraDatabases: DATABASES, extraNamespace: NS });
  await w.cluster.sim.settled();
}, 30_000);

afterEach(() => {
  w.slack.faults.clear();
  w.slack.setRateLimit({});
  w.cluster.server.faults.clear();
});

afterAll(async () => {
  await w?.stop();
});

/** The next unused database's name. */
function freshDb(): string {
  expect(nextDb, 'enough extra databases are seeded').toBeLessThan(DATABASES);
  return `bench-${nextDb++}`;
}

/** Request an update of `faults/<db>` to 8.4 as alice. */
async function requestUpdate(db: string): Promise<{ record: DatabaseUpdate; parent: SlackMessage }> {
  return request(w.slack, w.bot.records, USERS.requester, CHANNEL, `mysql ${NS}/${db} 8.4`, 15_000);
}

/** Wait until the thread of `parent` has a reply matching `re` (a point "mid-update"). */
async function replyMatching(parent: SlackMessage, re: RegExp, timeoutMs = 15_000): Promise<void> {
  await w.slack.waitFor(() => w.slack.replies(CHANNEL, parent.ts).some((m) => re.test(m.text)), { timeoutMs, what: `a reply matching ${re}` });
}

/** Wait until the record is Running (the pipeline has started). */
async function running(name: string): Promise<void> {
  await pollUntil(async () => (await w.bot.records.get(name))?.status?.phase === 'Running' || undefined, 15_000, () => `${name} to be Running`);
}

/**
 * Wait for the update to finish and check the outcome: Succeeded, the database on the target version,
 * each step reply exactly once, the parent message on Succeeded without buttons.
 */
async function expectFinished(record: DatabaseUpdate, parent: SlackMessage, timeoutMs = 25_000): Promise<void> {
  const done = await settle(w.bot.records, record.metadata.name, timeoutMs);
  expect(done.status?.phase, done.status?.message).toBe('Succeeded');
  const final = await w.slack.waitFor(
    () => {
      const m = w.slack.message(CHANNEL, parent.ts);
      return m && JSON.stringify(m.blocks).includes('Succeeded') ? m : undefined;
    },
    { timeoutMs: 10_000, what: 'the parent message to show Succeeded' },
  );
  expect(JSON.stringify(final.blocks)).not.toContain('dbupdate_approve');
  const lines = w.slack.replies(CHANNEL, parent.ts).map((m) => m.text);
  for (const re of STEPS) {
    expect(lines.filter((l) => re.test(l)), `exactly one reply matching ${re} in:\n${lines.join('\n')}`).toHaveLength(1);
  }
  const idx = STEPS.map((re) => lines.findIndex((l) => re.test(l)));
  expect([...idx].sort((a, b) => a - b), 'steps in order').toEqual(idx);
  const posted = done.status?.slack?.posted ?? [];
  expect(new Set(posted).size, 'no posted key twice').toBe(posted.length);
}

/** One update end to end, with `inject` called at `when`. */
async function updateWith(when: 'before-request' | 'before-approve' | 'running' | 'paused', inject: () => void): Promise<void> {
  const db = freshDb();
  if (when === 'before-request') inject();
  const { record, parent } = await requestUpdate(db);
  if (when === 'before-approve') inject();
  await approve(w.slack, CHANNEL, parent, USERS.approver);
  if (when === 'running') {
    await running(record.metadata.name);
    inject();
  }
  if (when === 'paused') {
    await replyMatching(parent, /Paused/);
    inject();
  }
  await expectFinished(record, parent);
}

/** Wait until the Socket Mode client has reconnected after a disconnect or a drop. */
async function reconnected(): Promise<void> {
  await w.slack.waitFor(() => w.slack.socketConnections() === 0, { timeoutMs: 5_000, what: 'the old socket to close' });
  await w.slack.waitFor(() => w.slack.socketConnections() === 1, { timeoutMs: 15_000, what: 'the Socket Mode client to reconnect' });
}

describe('faults on the Slack side', () => {
  it('429 with Retry-After on chat.postMessage and chat.update', async () => {
    await updateWith('before-approve', () => {
      w.slack.faults.add({ method: 'chat.postMessage', kind: 'ratelimit', retryAfterSeconds: 1, times: 1 });
      w.slack.faults.add({ method: 'chat.update', kind: 'ratelimit', retryAfterSeconds: 1, times: 1 });
    });
    expect(w.slack.faults.pending).toHaveLength(0);
    expect(w.slack.calls.filter((c) => c.status === 429).length).toBeGreaterThanOrEqual(2);
  }, 30_000);

  it("the emulator's 1 message per second per channel limit", async () => {
    const before = w.slack.calls.length;
    await updateWith('before-request', () => w.slack.setRateLimit({ postMessagePerChannelPerSecond: 1 }));
    const limited = w.slack.calls.slice(before).filter((c) => c.method === 'chat.postMessage' && c.status === 429);
    expect(limited.length, 'the limit was hit at least once').toBeGreaterThan(0);
  }, 30_000);

  it('5xx on chat.postMessage and chat.update', async () => {
    await updateWith('paused', () => {
      w.slack.faults.add({ method: 'chat.postMessage', kind: 'http500', times: 1 });
      w.slack.faults.add({ method: 'chat.update', kind: 'http500', times: 1 });
    });
    expect(w.slack.faults.pending).toHaveLength(0);
  }, 30_000);

  it('a Socket Mode disconnect, then the approval click after the reconnect', async () => {
    const db = freshDb();
    const { record, parent } = await requestUpdate(db);
    w.slack.disconnectSockets('refresh_requested');
    await reconnected();
    await approve(w.slack, CHANNEL, parent, USERS.approver);
    await expectFinished(record, parent);
  }, 30_000);

  it('a dropped socket mid-update', async () => {
    await updateWith('running', () => w.slack.dropSockets());
    await reconnected();
    // the reconnected socket serves commands again
    const cmd = await w.slack.typeCommand({ user: USERS.requester, channel: CHANNEL, text: 'help' });
    expect(cmd.envelopeId).toBeTruthy();
  }, 30_000);
});

describe('faults on the Kubernetes side', () => {
  const records = 'databaseupdates';
  const ops = 'mysqlopsrequests';

  it('watch streams that close mid-update', async () => {
    await updateWith('running', () => w.cluster.server.closeWatches());
  }, 30_000);

  it('410 Gone on the re-watch after the streams close', async () => {
    await updateWith('running', () => {
      w.cluster.server.faults.add({ verb: 'watch', pathIncludes: records, status: 410 });
      w.cluster.server.faults.add({ verb: 'watch', pathIncludes: ops, status: 410 });
      w.cluster.server.closeWatches();
    });
    expect(w.cluster.server.faults.remaining()).toBe(0);
  }, 30_000);

  it('500 and 429 on status writes of the record', async () => {
    await updateWith('running', () => {
      w.cluster.server.faults.add({ method: 'PATCH', pathIncludes: `${records}/`, status: 500, times: 2 });
      w.cluster.server.faults.add({ method: 'PATCH', pathIncludes: `${records}/`, status: 429, retryAfterSeconds: 1, times: 2 });
    });
    expect(w.cluster.server.faults.remaining()).toBe(0);
  }, 30_000);

  it('500 and 429 on the approval write', async () => {
    await updateWith('before-approve', () => {
      w.cluster.server.faults.add({ method: 'PATCH', pathIncludes: `${records}/`, status: 500, times: 1 });
      w.cluster.server.faults.add({ method: 'PATCH', pathIncludes: `${records}/`, status: 429, retryAfterSeconds: 1, times: 1 });
    });
    expect(w.cluster.server.faults.remaining()).toBe(0);
  }, 30_000);

  it('500 and 429 on the record create', async () => {
    await updateWith('before-request', () => {
      w.cluster.server.faults.add({ method: 'POST', pathIncludes: records, status: 500, times: 1 });
      w.cluster.server.faults.add({ method: 'POST', pathIncludes: records, status: 429, retryAfterSeconds: 1, times: 1 });
    });
    expect(w.cluster.server.faults.remaining()).toBe(0);
  }, 30_000);

  /**
   * A transient 500 or 429 on the OpsRequest create is retried by the reconciler's queue; the
   * OpsRequest name is deterministic, so a create that did land answers 409 and is adopted.
   */
  it('500 and 429 on the OpsRequest create are retried and the update finishes', async () => {
    await updateWith('before-approve', () => {
      w.cluster.server.faults.add({ method: 'POST', pathIncludes: ops, status: 500, times: 1 });
      w.cluster.server.faults.add({ method: 'POST', pathIncludes: ops, status: 429, retryAfterSeconds: 1, times: 1 });
    });
    expect(w.cluster.server.faults.remaining()).toBe(0);
  }, 30_000);

  it('409 Conflict on a status update', async () => {
    await updateWith('running', () => {
      w.cluster.server.faults.add({ method: 'PATCH', pathIncludes: `${records}/`, status: 409, times: 2 });
    });
    expect(w.cluster.server.faults.remaining()).toBe(0);
  }, 30_000);
});
