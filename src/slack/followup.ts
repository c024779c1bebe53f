/**
 * The queue of follow-ups: the work a Bolt handler does after its ack (preflight reads, record writes,
 * the `response_url` reply). Slack gives an ack 3 s and a `response_url` 30 minutes
 * (https://api.slack.com/interactivity/handling#acknowledgment_response), so during a burst the acks
 * must not wait behind follow-ups:
 * - at most `concurrency` follow-ups run at once (p-limit); the others wait as closures. Measured
 *   (`npm run bench`, ack latency): a burst of 200 refused commands had an ack p99 of 32–54 ms with every
 *   follow-up started at once, ≈ 20 ms with 8 at a time, the same as a burst of `help` answered in the ack.
 *   It also keeps a burst of commands from sending hundreds of simultaneous requests to the API server
 *   (client-go's default client-side limit is 5 QPS, burst 10);
 * - a follow-up begins after the I/O callbacks already due (`setImmediate`), so envelopes read in the same
 *   pass of the event loop are acked before it.
 */
import { setImmediate as afterIo } from 'node:timers/promises';
import pLimit, { type LimitFunction } from 'p-limit';

/** Default bound on follow-ups running at once per replica. */
export const FOLLOW_UP_CONCURRENCY = 8;

/** Follow-ups of one Bolt app; see the module comment. */
export class FollowUpQueue {
  private readonly limit: LimitFunction;

  /** @param concurrency follow-ups running at once (default {@link FOLLOW_UP_CONCURRENCY}); ≥ 1. */
  constructor(concurrency = FOLLOW_UP_CONCURRENCY) {
    this.limit = pLimit(concurrency);
  }

  /**
   * Run `work` as a follow-up; settles as `work` does. Handlers catch their own errors (they answer the
   * user), so a rejection here is a bug in the handler.
   */
  run(work: () => Promise<void>): Promise<void> {
    return this.limit(async () => {
      await afterIo();
      await work();
    });
  }

  /** Follow-ups running, and waiting for a slot. */
  counts(): { running: number; waiting: number } {
    return { running: this.limit.activeCount, waiting: this.limit.pendingCount };
  }
}
