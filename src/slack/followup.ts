/**
 * The queue of follow-ups: the work a Bolt handler does after its ack (preflight reads, record writes,
 * the `response_url` reply). Slack gives an ack 3 s and a `response_url` 30 minutes
 * (https://api.slack.com/interactivity/handling#acknowledgment_response), so during a burst the acks come
 * first:
 * - at most `concurrency` follow-ups run at once (p-limit); the others wait as closures. This also keeps a
 *   burst of commands from sending hundreds of simultaneous requests to the API server (client-go's
 *   default client-side limit is 5 QPS, burst 10), while a slow one does not hold up the others;
 * - a follow-up starts once no envelope has arrived for `quietMs` (`arrived()` is called for every
 *   envelope, by a global Bolt middleware in `registerHandlers`), so envelopes still coming in are acked
 *   before follow-up work competes with them, but never later than `maxDelayMs` after it was queued, so a
 *   steady stream of commands cannot starve follow-ups;
 * - a follow-up holds its slot for at most `slotTimeoutMs`: one that takes longer (an API server that
 *   does not answer: client-node sets no request timeout) goes on without a slot, so a few hung calls
 *   cannot stop every other user's commands from being answered.
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
}

/** Defaults of {@link FollowUpOptions}. */
export const FOLLOW_UP_DEFAULTS: Required<FollowUpOptions> = { concurrency: 4, quietMs: 5, maxDelayMs: 100, slotTimeoutMs: 10_000 };

/** Follow-ups of one Bolt app; see the module comment. */
export class FollowUpQueue {
  private readonly limit: LimitFunction;
  private readonly quietMs: number;
  private readonly maxDelayMs: number;
  private readonly slotTimeoutMs: number;
  private lastArrival = -Infinity;

  constructor(opts: FollowUpOptions = {}) {
    const o = { ...FOLLOW_UP_DEFAULTS, ...opts };
    this.limit = pLimit(o.concurrency);
    this.quietMs = o.quietMs;
    this.maxDelayMs = o.maxDelayMs;
    this.slotTimeoutMs = o.slotTimeoutMs;
  }

  /** Note that an envelope (command, action, view submission) has arrived. */
  arrived(): void {
    this.lastArrival = performance.now();
  }

  /**
   * Run `work` as a follow-up; settles as `work` does, or resolves once `work` has held its slot for
   * `slotTimeoutMs` (it then goes on alone; a later rejection is dropped). Handlers catch their own
   * errors (they answer the user), so a rejection here is a bug in the handler.
   */
  run(work: () => Promise<void>): Promise<void> {
    const queuedAt = performance.now();
    return this.limit(async () => {
      await afterIo();
      for (;;) {
        const now = performance.now();
        const untilQuiet = this.lastArrival + this.quietMs - now;
        const untilMax = queuedAt + this.maxDelayMs - now;
        if (untilQuiet <= 0 || untilMax <= 0) break;
        await sleep(Math.ceil(Math.min(untilQuiet, untilMax)));
      }
      const running = work();
      let timer: NodeJS.Timeout | undefined;
      const slotTimeout = new Promise<void>((resolve) => (timer = setTimeout(resolve, this.slotTimeoutMs)));
      try {
        await Promise.race([running, slotTimeout]);
      } finally {
        clearTimeout(timer);
      }
      running.catch(() => undefined);
    });
  }

  /** Follow-ups running, and waiting for a slot. */
  counts(): { running: number; waiting: number } {
    return { running: this.limit.activeCount, waiting: this.limit.pendingCount };
  }
}
