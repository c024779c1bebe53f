/**
 * The controllers' work queue (src/kube/queue.ts), client-go's workqueue as controller-runtime uses it:
 * per-key exponential back-off forgotten on success, `maxConcurrentReconciles`, dirty keys run once more,
 * and no error of any shape escapes a worker. Ordering and counts are asserted, never durations.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ItemExponentialFailureRateLimiter, KeyedQueue, type ReconcileContext } from '../src/kube/queue.js';

/** Errors that reached the process handlers while a test ran. */
let escaped: unknown[] = [];
const onEscape = (err: unknown) => escaped.push(err);
beforeEach(() => {
  escaped = [];
  process.on('unhandledRejection', onEscape);
  process.on('uncaughtException', onEscape);
});
afterEach(() => {
  process.off('unhandledRejection', onEscape);
  process.off('uncaughtException', onEscape);
});

/** Resolves once `check` holds (polled every 5 ms; fails after 5 s). */
async function until(check: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 1000; i++) {
    if (check()) return;
    await new Promise((r) => setTimeout(r, 5));
  }
  throw new Error(`timed out waiting for ${what}`);
}

describe('ItemExponentialFailureRateLimiter (client-go workqueue)', () => {
  it('5 ms doubling per failure of a key, to the cap; keys are independent; forget starts over', () => {
    const rl = new ItemExponentialFailureRateLimiter(5, 1000);
    expect(Array.from({ length: 10 }, () => rl.when('a'))).toEqual([5, 10, 20, 40, 80, 160, 320, 640, 1000, 1000]);
    expect(rl.numRequeues('a')).toBe(10);
    expect(rl.when('b')).toBe(5);
    rl.forget('a');
    expect([rl.numRequeues('a'), rl.when('a'), rl.numRequeues('b')]).toEqual([0, 5, 1]);
  });

  it('defaults to client-go’s 5 ms base and a 60 s cap, and never overflows', () => {
    const rl = new ItemExponentialFailureRateLimiter();
    expect(rl.when('k')).toBe(5);
    for (let i = 0; i < 2000; i++) rl.when('k');
    expect(rl.when('k')).toBe(60_000);
  });
});

describe('KeyedQueue', () => {
  it('tells each run how many runs of its key failed in a row, and forgets them on success', async () => {
    const seen: number[] = [];
    let calls = 0;
    const q = new KeyedQueue(
      async (_k, ctx: ReconcileContext) => {
        seen.push(ctx.failures);
        calls++;
        if (calls <= 3) throw new Error('HTTP 500');
        if (calls === 4) return { requeueAfterMs: 0 }; // success: forgotten, then run again
        if (calls === 5) throw new Error('again');
      },
      () => undefined,
      { baseDelayMs: 1 },
    );
    q.add('k');
    await until(() => calls >= 6, 'six runs');
    await q.close();
    expect(seen).toEqual([0, 1, 2, 3, 0, 1]);
    expect(escaped).toEqual([]);
  });

  it('runs at most maxConcurrentReconciles keys at once, the others in arrival order', async () => {
    let running = 0;
    let most = 0;
    const started: string[] = [];
    const release: Array<() => void> = [];
    const q = new KeyedQueue(
      async (k) => {
        started.push(k);
        running++;
        most = Math.max(most, running);
        await new Promise<void>((r) => release.push(r));
        running--;
      },
      () => undefined,
      { maxConcurrentReconciles: 2 },
    );
    for (const k of ['a', 'b', 'c', 'd', 'e']) q.add(k);
    await until(() => started.length === 2, 'two started');
    expect(q.active).toBe(2);
    while (started.length < 5 || running > 0) {
      await until(() => release.length > 0 || (started.length === 5 && running === 0), 'a run to release');
      release.shift()?.();
      await new Promise((r) => setTimeout(r, 1));
    }
    await q.close();
    expect(most).toBe(2);
    expect(started).toEqual(['a', 'b', 'c', 'd', 'e']);
  });

  it('a key added while it runs runs once more afterwards, however often it was added; a queued key is not queued twice', async () => {
    const runs: string[] = [];
    let gate: () => void = () => {};
    const q = new KeyedQueue(
      async (k) => {
        runs.push(k);
        if (runs.length === 1) await new Promise<void>((r) => (gate = r));
      },
      () => undefined,
      { maxConcurrentReconciles: 1 },
    );
    q.add('x');
    await until(() => runs.length === 1, 'x to start');
    q.add('x');
    q.add('x');
    q.add('y');
    q.add('y');
    gate();
    await until(() => runs.length === 3, 'three runs');
    await new Promise((r) => setTimeout(r, 20));
    await q.close();
    expect(runs).toEqual(['x', 'y', 'x']);
  });

  it('no error escapes a worker: a rejection, a synchronous throw, a thrown non-Error, an error handler that throws', async () => {
    const kinds = ['reject', 'sync', 'string', 'undefined', 'handler'];
    const tries = new Map<string, number>();
    const q = new KeyedQueue(
      ((k: string) => {
        const n = (tries.get(k) ?? 0) + 1;
        tries.set(k, n);
        if (n > 2) return Promise.resolve();
        if (k === 'sync') throw new Error('thrown before any await');
        if (k === 'string') return Promise.reject('a string');
        if (k === 'undefined') return Promise.reject(undefined);
        return Promise.reject(new Error(k));
      }) as (k: string) => Promise<void>,
      (k) => {
        if (k === 'handler') throw new TypeError('handler bug');
        return undefined;
      },
      { baseDelayMs: 1 },
    );
    for (const k of kinds) q.add(k);
    await until(() => kinds.every((k) => (tries.get(k) ?? 0) >= 3), 'every key to succeed on its third run');
    await q.close();
    expect(Object.fromEntries(tries)).toEqual({ reject: 3, sync: 3, string: 3, undefined: 3, handler: 3 });
    expect(escaped).toEqual([]);
  });

  it('an error handler may ask for its own delay (a refusal a person must fix): the key waits for it, events meanwhile do not cut it short', async () => {
    let runs = 0;
    const q = new KeyedQueue(
      async () => {
        runs++;
        if (runs === 1) throw new Error('not_in_channel');
      },
      () => 60_000,
      { baseDelayMs: 1 },
    );
    q.add('k');
    await until(() => runs === 1, 'the first run');
    await new Promise((r) => setTimeout(r, 20));
    q.add('k'); // an event while it backs off
    await new Promise((r) => setTimeout(r, 20));
    expect(runs).toBe(1);
    await q.close();
  });

  it('refuses a maxConcurrentReconciles that is not a whole number ≥ 1', () => {
    expect(() => new KeyedQueue(async () => undefined, () => undefined, { maxConcurrentReconciles: 0 })).toThrow(/maxConcurrentReconciles/);
  });
});
