/**
 * The queue of follow-ups: the work a Bolt handler does after its ack (preflight reads, record writes,
 * the `response_url` reply). Slack gives an ack 3 s and a `response_url` 30 minutes
 * (https://api.slack.com/interactivity/handling#acknowledgment_response), so during a burst the acks come
 * first:
 * - at most `concurrency` follow-ups run at once (p-limit); the others wait as closures. This also keeps a
 *   burst of commands from sending hundreds of simultaneous requests to the API server (client-go's
 *   default client-side limit is 5 QPS, burst 10), while a slow one does not hold up the others;
 * - a follow-up starts once no envelope has arrived for `quietMs` (each Bolt listener of
 *   `registerListeners` (`./listeners/`) calls `arrived()` first), so envelopes still coming in are acked
 *   before follow-up work competes with them, but never later than `maxDelayMs` after it was queued, so a
 *   steady stream of commands cannot starve follow-ups;
 * - a follow-up holds its slot for at most `slotTimeoutMs`: one that takes longer (an API server that
 *   answers slowly; each request gives up after `REQUEST_TIMEOUT_MS`, 30 s, src/kube/client.ts) goes on
 *   without a slot, so a few slow calls cannot stop every other user's commands from being answered
 *   (against a server slow on every call, `concurrency` more are let go every `slotTimeoutMs`);
 * - on shutdown, {@link FollowUpQueue.drain} waits for the follow-ups already accepted (acked commands
 *   and clicks), so they are recorded and answered before the process exits.
 *
 * Measured on the embedded emulators (ack p99 of a burst of 200 refused commands, median of 10–20
 * rounds, against a bare Bolt app's 12–13 ms in the same runs): all follow-ups at once 28 ms; 8 at a time
 * 21–25 ms; 4 at a time, 5 ms quiet: 16–17 ms (the defaults).
 */
import { setImmediate as afterIo, setTimeout as sleep } from 'node:timers/promises';
import pLimit, { type LimitFunction } from 'p-limit';

/** Options of {@link FollowUpQueue}; every field has a default. */
export interface FollowUpOptions {
  /** Follow-ups running at once (default 4); ≥ 1. */
  concurrency?: number;
  /** How long (ms) no envelope may have arrived before a follow-up starts (default 5). */
  quietMs?: number;
  /** Longest wait (ms) for that quiet, counted from when the follow-up was queued (default 100). */
  maxDelayMs?: number;
  /** Longest time (ms) a running follow-up holds its slot (default 10 000). */
  slotTimeoutMs?: number;
  /** Told of a follow-up that failed after giving up its slot (a handler bug: handlers catch their errors). */
  onDetachedError?: (err: unknown) => void;
}

/** Defaults of {@link FollowUpOptions}. */
export const FOLLOW_UP_DEFAULTS: Required<Omit<FollowUpOptions, 'onDetachedError'>> = { concurrency: 4, quietMs: 5, maxDelayMs: 100, slotTimeoutMs: 10_000 };

/** Follow-ups of one Bolt app; see the module comment. */
export class FollowUpQueue {
  private readonly limit: LimitFunction;
  private readonly quietMs: number;
  private readonly maxDelayMs: number;
  private readonly slotTimeoutMs: number;
  private readonly onDetachedError: (err: unknown) => void;
  private lastArrival = -Infinity;
  private previousArrival = -Infinity;
  /** Every follow-up not yet settled, queued, running or detached. */
  private readonly unsettled = new Set<Promise<void>>();

  constructor(opts: FollowUpOptions = {}) {
    const o = { ...FOLLOW_UP_DEFAULTS, ...opts };
    this.limit = pLimit(o.concurrency);
    this.quietMs = o.quietMs;
    this.maxDelayMs = o.maxDelayMs;
    this.slotTimeoutMs = o.slotTimeoutMs;
    this.onDetachedError = opts.onDetachedError ?? (() => undefined);
  }

  /** Note that an envelope (command, action, view submission) has arrived. */
  arrived(): void {
    this.previousArrival = this.lastArrival;
    this.lastArrival = performance.now();
  }

  /**
   * Whether the envelope noted last by {@link arrived} came after `quietMs` without arrivals: not the 2nd
   * or later envelope of a burst. The ack of a write waits for the write only then (`./ack.ts`): within a
   * burst the follow-ups wait for the burst to pass, and an ack held for them would be among the slowest.
   */
  cameAfterQuiet(): boolean {
    return !(this.lastArrival - this.previousArrival < this.quietMs); // (true before any arrival)
  }

  /**
   * Run `work` as a follow-up; settles as `work` does, or resolves once `work` has held its slot for
   * `slotTimeoutMs` (it then goes on alone; a later rejection goes to `onDetachedError`). Handlers
   * catch their own errors (they answer the user), so a rejection here is a bug in the handler.
   */
  run(work: () => Promise<void>): Promise<void> {
    const queuedAt = performance.now();
    let settle: () => void = () => {};
    const settled = new Promise<void>((resolve) => (settle = resolve));
    this.unsettled.add(settled);
    void settled.then(() => this.unsettled.delete(settled));
    return this.limit(async () => {
      let running: Promise<void> | undefined;
      try {
        await afterIo();
        for (;;) {
          const now = performance.now();
          const untilQuiet = this.lastArrival + this.quietMs - now;
          const untilMax = queuedAt + this.maxDelayMs - now;
          if (untilQuiet <= 0 || untilMax <= 0) break;
          await sleep(Math.ceil(Math.min(untilQuiet, untilMax)));
        }
        running = work();
        running.then(settle, settle);
        let timer: NodeJS.Timeout | undefined;
        const slotTimeout = new Promise<'detached'>((resolve) => (timer = setTimeout(() => resolve('detached'), this.slotTimeoutMs)));
        try {
          if ((await Promise.race([running, slotTimeout])) === 'detached') running.catch(this.onDetachedError);
        } finally {
          clearTimeout(timer);
        }
      } finally {
        if (!running) settle();
      }
    });
  }

  /**
   * Wait until every follow-up accepted so far has settled (queued ones still run, in order), or until
   * `timeoutMs` (ms) have passed. @returns how many had not settled by then (0: all done).
   */
  async drain(timeoutMs: number): Promise<number> {
    const deadline = performance.now() + timeoutMs;
    while (this.unsettled.size > 0) {
      const left = deadline - performance.now();
      if (left <= 0) return this.unsettled.size;
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([Promise.all([...this.unsettled]), new Promise<void>((resolve) => (timer = setTimeout(resolve, left)))]);
      clearTimeout(timer);
    }
    return 0;
  }

  /** Follow-ups running, and waiting for a slot. */
  counts(): { running: number; waiting: number } {
    return { running: this.limit.activeCount, waiting: this.limit.pendingCount };
  }
}
