/**
 * Follow-ups (the work after an ack) run through a bounded queue: never more than its concurrency at
 * once, in arrival order, none lost; and a burst of commands over Socket Mode is acked and answered in full.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FollowUpQueue } from '../src/slack/followup.js';
import { startWorld, USERS, CHANNEL, type World } from '../sim/world.js';
import { pollUntil } from '../sim/script.js';
import { answersOf } from './support/answers.js';

describe('FollowUpQueue', () => {
  it('runs at most `concurrency` at once, starts them in arrival order, and finishes them all', async () => {
    const q = new FollowUpQueue({ concurrency: 3, quietMs: 0 });
    let running = 0;
    let most = 0;
    const started: number[] = [];
    const releases: Array<() => void> = [];
    const done = Array.from({ length: 20 }, (_, i) =>
      q.run(async () => {
        started.push(i);
        running++;
        most = Math.max(most, running);
        await new Promise<void>((r) => releases.push(r));
        running--;
      }),
    );
    await pollUntil(async () => started.length === 3 || undefined, 2000, () => 'the first three to start');
    expect(q.counts()).toEqual({ running: 3, waiting: 17 });
    while (started.length < 20 || releases.length > 0) {
      const r = releases.shift();
      if (r) r();
      await new Promise((res) => setTimeout(res, 1));
    }
    await Promise.all(done);
    expect(most).toBe(3);
    expect(started).toEqual(Array.from({ length: 20 }, (_, i) => i));
    expect(q.counts()).toEqual({ running: 0, waiting: 0 });
  });

  it('settles as the work does: a failing follow-up rejects and frees its slot', async () => {
    const q = new FollowUpQueue({ concurrency: 1, quietMs: 0 });
    await expect(q.run(async () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    let ran = false;
    await q.run(async () => {
      ran = true;
    });
    expect(ran).toBe(true);
  });

  it('a follow-up that hangs gives its slot up after slotTimeoutMs and the next one runs', async () => {
    const q = new FollowUpQueue({ concurrency: 1, quietMs: 0, slotTimeoutMs: 50 });
    let release: () => void = () => {};
    let hungFinished = false;
    const hung = q.run(async () => {
      await new Promise<void>((r) => (release = r));
      hungFinished = true;
    });
    let next = false;
    await q.run(async () => {
      next = true;
    });
    expect(next).toBe(true);
    expect(hungFinished).toBe(false); // it goes on without its slot
    await hung; // resolved at the slot timeout
    release();
    await pollUntil(async () => hungFinished || undefined, 2000, () => 'the hung follow-up to finish once released');
  });

  it('drain waits for queued and running follow-ups, and reports those still running at its deadline', async () => {
    const q = new FollowUpQueue({ concurrency: 1, quietMs: 0 });
    const done: number[] = [];
    for (let i = 0; i < 5; i++)
      void q.run(async () => {
        await new Promise((r) => setTimeout(r, 5));
        done.push(i);
      });
    expect(await q.drain(5000)).toBe(0);
    expect(done).toEqual([0, 1, 2, 3, 4]);
    let release: () => void = () => {};
    void q.run(() => new Promise<void>((r) => (release = r)));
    expect(await q.drain(50)).toBe(1);
    release();
    expect(await q.drain(5000)).toBe(0);
  });

  /**
   * Mark an arrival every 1 ms for `burstMs` ms (a burst of envelopes) while a follow-up is queued on a
   * new queue with `opts`; tells whether the follow-up started before the burst was over.
   */
  async function startedDuringBurst(opts: { quietMs: number; maxDelayMs: number }, burstMs: number): Promise<boolean> {
    const q = new FollowUpQueue({ concurrency: 4, ...opts });
    let over = false;
    q.arrived();
    const burst = new Promise<void>((resolve) => {
      const end = performance.now() + burstMs;
      const t = setInterval(() => {
        if (performance.now() < end) return q.arrived();
        clearInterval(t);
        over = true;
        resolve();
      }, 1);
    });
    let during = false;
    await q.run(async () => {
      during = !over;
    });
    await burst;
    return during;
  }

  it('waits while envelopes keep arriving, and starts once they have been quiet', async () => {
    // quiet 100 ms against arrivals every 1 ms: robust to event-loop stalls of a loaded machine
    expect(await startedDuringBurst({ quietMs: 100, maxDelayMs: 10_000 }, 300)).toBe(false);
  });

  it('does not wait longer than maxDelayMs however long the envelopes keep coming', async () => {
    expect(await startedDuringBurst({ quietMs: 5, maxDelayMs: 20 }, 1000)).toBe(true);
  });
});

describe('a burst of commands', () => {
  let w: World;
  beforeAll(async () => {
    w = await startWorld({ sim: { podReadyDelayMs: 15, stepDelayMs: 15 } });
  });
  afterAll(async () => {
    await w?.stop();
  });

  it('60 at once: every one acked, every refusal answered exactly once, and the one real request recorded', async () => {
    const texts = [...Array.from({ length: 59 }, (_, i) => `mysql nosuch-${i} 8.4`), 'mysql orders 8.0.36'];
    const sent = await Promise.all(texts.map((text) => w.slack.typeCommand({ user: USERS.requester, channel: CHANNEL, text })));
    expect(sent.every((s) => s.ackPayload !== undefined)).toBe(true);
    await pollUntil(async () => sent.every((s) => answersOf(s).length >= 1) || undefined, 20_000, () => `answers (${sent.filter((s) => answersOf(s).length).length} of 60)`);
    await new Promise((r) => setTimeout(r, 200)); // no second answer arrives late
    for (let i = 0; i < 59; i++) {
      const answers = answersOf(sent[i]);
      expect(answers).toHaveLength(1);
      expect(answers[0]).toContain(`demo/nosuch-${i}\``);
      expect(answers[0]).toContain('was not found');
    }
    const last = answersOf(sent[59]);
    expect(last).toHaveLength(1);
    expect(last[0]).toMatch(/Request `orders-[0-9a-f]{8}` recorded/);
    expect((await w.bot.records.list()).filter((r) => r.spec.database.name === 'orders')).toHaveLength(1);
  });
});

describe('stopping with follow-ups in flight', () => {
  it('every command acked before stop() is answered before stop() resolves', async () => {
    const w = await startWorld({ sim: { podReadyDelayMs: 15, stepDelayMs: 15 } });
    try {
      const sent = await Promise.all(Array.from({ length: 30 }, (_, i) => w.slack.typeCommand({ user: USERS.requester, channel: CHANNEL, text: `mysql gone-${i} 8.4` })));
      const answeredAtStop = sent.filter((s) => answersOf(s).length > 0).length;
      await w.bot.stop();
      expect(answeredAtStop).toBeLessThan(30); // the stop came while follow-ups were queued
      for (const s of sent) expect(answersOf(s)).toHaveLength(1);
    } finally {
      await w.stop();
    }
  });
});
