/**
 * Issue #11, crash on a Kubernetes API error in the notifier: a 500 from the API server on the record
 * GET or PUT the notifier makes while it posts must not escape the queue worker (it used to throw out of
 * the notifier's error handler and exit the process), and the update must still finish with every step
 * posted once. Real Bolt app and real client-node against the emulators; the faults are consumed
 * (`remaining() === 0`), and no error reached the process's last-resort handlers.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startWorld, USERS, CHANNEL, type World } from '../sim/world.js';
import { approve, pollUntil, request } from '../sim/script.js';
import { RECORD_GROUP, RECORD_PLURAL, RECORD_VERSION, type DatabaseUpdate } from '../src/api/v1alpha1/databaseupdate.js';
import { KeyedQueue } from '../src/kube/queue.js';

const STEPS = [/Paused/, /Images updated/, /Checks passed/, /Resumed/, /Done/];
let w: World;
const escaped: unknown[] = [];
const onEscape = (err: unknown) => escaped.push(err);

beforeAll(async () => {
  process.on('unhandledRejection', onEscape);
  process.on('uncaughtException', onEscape);
  // Slow steps: the update is still running (and being posted) when the faults are injected after Paused.
  w = await startWorld({ sim: { podReadyDelayMs: 300, stepDelayMs: 300 } });
}, 30_000);
afterAll(async () => {
  await w?.stop();
  process.off('unhandledRejection', onEscape);
  process.off('uncaughtException', onEscape);
});

describe('no error escapes a queue worker', () => {
  it('500 on the record status writes while the notifier posts: no crash, every step posted once', async () => {
    const { record, parent } = await request(w.slack, w.bot.records, USERS.requester, CHANNEL, 'mysql orders 8.4', 15_000);
    await approve(w.slack, CHANNEL, parent, USERS.approver);
    await w.slack.waitFor(() => w.slack.replies(CHANNEL, parent.ts).some((m) => /Paused/.test(m.text)), { timeoutMs: 15_000, what: 'the Paused post' });
    const path = `databaseupdates/${record.metadata.name}`;
    // More than the record store's own retries (8) can absorb: the failure reaches the queue's error handler.
    // (The controllers read records from their cache: their only requests on the record are status patches.)
    w.cluster.server.faults.add({ method: 'PATCH', pathIncludes: path, status: 500, times: 12 });
    // Read from the emulator's store, not over HTTP: the injected faults are for the bot's requests.
    const gvr = { group: RECORD_GROUP, version: RECORD_VERSION, plural: RECORD_PLURAL };
    const done = await pollUntil(async () => {
      const r = w.cluster.store.tryGet(gvr, 'dbupdate', record.metadata.name) as unknown as DatabaseUpdate | undefined;
      return r?.status?.phase === 'Succeeded' || r?.status?.phase === 'Failed' ? r : undefined;
    }, 40_000, () => 'the update to finish');
    expect(done.status?.phase, done.status?.message).toBe('Succeeded');
    expect(w.cluster.server.faults.remaining()).toBe(0);
    await w.slack.waitFor(() => JSON.stringify(w.slack.message(CHANNEL, parent.ts)?.blocks).includes('Succeeded') || undefined, { timeoutMs: 10_000, what: 'the parent on Succeeded' });
    const lines = w.slack.replies(CHANNEL, parent.ts).map((m) => m.text);
    for (const re of STEPS) expect(lines.filter((l) => re.test(l)), `${re} once in:\n${lines.join('\n')}`).toHaveLength(1);
    expect(escaped, 'errors that reached the process handlers').toEqual([]);
  }, 60_000);

  it('KeyedQueue: an error handler that throws is caught and the key is still retried', async () => {
    let runs = 0;
    const done = new Promise<void>((resolve) => {
      const q = new KeyedQueue(
        async () => {
          runs++;
          if (runs < 3) throw Object.assign(new Error('HTTP 500'), { code: 500 });
          resolve();
        },
        () => {
          throw new TypeError('handler bug');
        },
        { baseDelayMs: 5 },
      );
      q.add('k');
    });
    await done;
    expect(runs).toBe(3);
    expect(escaped).toEqual([]);
  });
});
