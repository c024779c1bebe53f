/**
 * The controllers' work queue, after client-go's `k8s.io/client-go/util/workqueue` as controller-runtime
 * uses it (docs/architecture.md "Controllers"):
 * - one key (a record's name) runs at most once at a time; a key added while it runs is marked dirty and
 *   runs once more afterwards, however often it was added (events coalesce);
 * - at most `maxConcurrentReconciles` keys run at once (controller-runtime's `MaxConcurrentReconciles`);
 *   the others wait in arrival order;
 * - a run that fails is retried after a per-key exponential back-off ({@link ItemExponentialFailureRateLimiter},
 *   client-go's `DefaultControllerRateLimiter` item part: 5 ms doubling per failure to a cap), forgotten
 *   on the key's next success (`Forget`); while a key backs off, new events for it wait for its retry;
 * - a run may ask to run again after a delay (`Result{RequeueAfter}`: timeouts, schedules, expiry).
 *
 * Nothing escapes a worker: an error of the work goes to `onError`, and an `onError` that throws is
 * reported on stderr and the key is retried all the same (issue #11: one unhandled rejection ends the process).
 */
import { logFallback } from './guard.js';

/** What one reconcile asks of its queue (controller-runtime's `reconcile.Result`). */
export interface ReconcileResult {
  /** Run the key again after this many ms, even without an event (capped at 1 h: the next pass asks again). */
  requeueAfterMs?: number;
}

/** What a reconcile is told about its key. */
export interface ReconcileContext {
  /** Failed runs of this key in a row before this one (client-go's `NumRequeues`); 0 after a success. */
  failures: number;
}

/** Longest requeue-after (ms): a longer wait is cut to this, and the pass then asks for the rest. */
export const MAX_REQUEUE_MS = 3_600_000;

/** First retry delay after a failure, ms (client-go's `DefaultControllerRateLimiter`: 5 ms). */
export const BASE_RETRY_DELAY_MS = 5;

/**
 * Longest retry delay, ms. client-go caps at 1,000 s for controllers that may wait; the bot's records are
 * updates people wait on in Slack, so a record is tried again at least once a minute once the API
 * server answers again.
 */
export const MAX_RETRY_DELAY_MS = 60_000;

/** Keys run at once per controller unless told otherwise (controller-runtime's default is 1). */
export const DEFAULT_MAX_CONCURRENT_RECONCILES = 8;

/**
 * Per-key exponential back-off: the n-th failure in a row of a key waits `baseDelayMs · 2^(n-1)`, at most
 * `maxDelayMs`; `forget` starts the key over (client-go `workqueue.NewItemExponentialFailureRateLimiter`).
 */
export class ItemExponentialFailureRateLimiter {
  private readonly failures = new Map<string, number>();

  /** @param baseDelayMs first delay (ms, > 0); @param maxDelayMs cap (ms). */
  constructor(
    readonly baseDelayMs = BASE_RETRY_DELAY_MS,
    readonly maxDelayMs = MAX_RETRY_DELAY_MS,
  ) {}

  /** Count a failure of `key` and answer how long (ms) to wait before its retry. */
  when(key: string): number {
    const n = this.failures.get(key) ?? 0;
    this.failures.set(key, n + 1);
    return Math.min(this.baseDelayMs * 2 ** Math.min(n, 52), this.maxDelayMs);
  }

  /** Failures of `key` in a row so far. */
  numRequeues(key: string): number {
    return this.failures.get(key) ?? 0;
  }

  /** Forget `key`'s failures (after a success). */
  forget(key: string): void {
    this.failures.delete(key);
  }
}

/** Options of a {@link KeyedQueue}. */
export interface QueueOptions {
  /** Keys run at once (default {@link DEFAULT_MAX_CONCURRENT_RECONCILES}; ≥ 1). */
  maxConcurrentReconciles?: number;
  /** First retry delay after a failure, ms (default {@link BASE_RETRY_DELAY_MS}). */
  baseDelayMs?: number;
  /** Cap of the retry delay, ms (default {@link MAX_RETRY_DELAY_MS}). */
  maxDelayMs?: number;
}

/** A controller's work queue; see the module docs. */
export class KeyedQueue {
  /** Keys ready to run, in arrival order (each once: `queued`). */
  private readonly ready: string[] = [];
  private readonly queued = new Set<string>();
  private readonly running = new Set<string>();
  /** Keys added while they ran: run once more afterwards. */
  private readonly dirty = new Set<string>();
  /** Keys waiting out their back-off, with the retry's timer. */
  private readonly backingOff = new Map<string, NodeJS.Timeout>();
  /** Requeue-after timers, at most one per key (the earliest asked for). */
  private readonly delayed = new Map<string, { at: number; timer: NodeJS.Timeout }>();
  private readonly limiter: ItemExponentialFailureRateLimiter;
  private readonly maxConcurrent: number;
  private idleWaiters: Array<() => void> = [];
  private closed = false;

  /**
   * @param work one reconcile of `key`; it may return `{ requeueAfterMs }` to run again after that many ms
   *   even without an event.
   * @param onError called with a failed run's error (log it); may return a delay (ms) to use for this
   *   retry instead of the back-off (e.g. a refusal a person must fix: retry slowly).
   * @param opts see {@link QueueOptions}.
   * @throws Error when `maxConcurrentReconciles` is not a whole number ≥ 1.
   */
  constructor(
    private readonly work: (key: string, ctx: ReconcileContext) => Promise<void | ReconcileResult>,
    private readonly onError: (key: string, err: unknown) => number | void,
    opts: QueueOptions = {},
  ) {
    this.maxConcurrent = opts.maxConcurrentReconciles ?? DEFAULT_MAX_CONCURRENT_RECONCILES;
    if (!Number.isInteger(this.maxConcurrent) || this.maxConcurrent < 1) throw new Error(`maxConcurrentReconciles must be a whole number ≥ 1, got ${this.maxConcurrent}`);
    this.limiter = new ItemExponentialFailureRateLimiter(opts.baseDelayMs, opts.maxDelayMs);
  }

  /** Keys running now. */
  get active(): number {
    return this.running.size;
  }

  /** Schedule `key`. A key backing off after an error waits for its retry (which reads fresh state). */
  add(key: string): void {
    if (this.closed || this.backingOff.has(key)) return;
    if (this.running.has(key)) {
      this.dirty.add(key);
      return;
    }
    if (this.queued.has(key)) return;
    this.queued.add(key);
    this.ready.push(key);
    this.pump();
  }

  /** Run `key` again after `ms` (capped at {@link MAX_REQUEUE_MS}); an earlier pending requeue of the key wins. */
  addAfter(key: string, ms: number): void {
    if (this.closed) return;
    const delay = Math.min(Math.max(Number.isFinite(ms) ? ms : 0, 0), MAX_REQUEUE_MS);
    const at = Date.now() + delay;
    const known = this.delayed.get(key);
    if (known && known.at <= at) return;
    if (known) clearTimeout(known.timer);
    const timer = setTimeout(() => {
      this.delayed.delete(key);
      this.add(key);
    }, delay);
    timer.unref?.();
    this.delayed.set(key, { at, timer });
  }

  /** Start ready keys while there is room. */
  private pump(): void {
    while (!this.closed && this.running.size < this.maxConcurrent && this.ready.length > 0) {
      const key = this.ready.shift()!;
      this.queued.delete(key);
      this.running.add(key);
      void this.run(key);
    }
  }

  private async run(key: string): Promise<void> {
    try {
      const res = await this.work(key, { failures: this.limiter.numRequeues(key) });
      this.limiter.forget(key);
      if (res && typeof res.requeueAfterMs === 'number') this.addAfter(key, res.requeueAfterMs);
    } catch (err) {
      this.failed(key, err);
    } finally {
      this.running.delete(key);
      if (this.dirty.delete(key)) this.add(key);
      this.pump();
      if (this.running.size === 0) {
        const w = this.idleWaiters;
        this.idleWaiters = [];
        w.forEach((f) => f());
      }
    }
  }

  /** A failed run: report it, and retry the key after its back-off (or the delay `onError` asked for). */
  private failed(key: string, err: unknown): void {
    let asked: number | void = undefined;
    try {
      asked = this.onError(key, err);
    } catch (handlerErr) {
      logFallback('queue error handler threw; retrying the key anyway', key, err, handlerErr);
    }
    const backoff = this.limiter.when(key);
    if (this.closed) return;
    // Changes seen meanwhile do not cut the delay short (the retry reads fresh state).
    this.dirty.delete(key);
    const ms = typeof asked === 'number' && Number.isFinite(asked) && asked >= 0 ? asked : backoff;
    const timer = setTimeout(() => {
      this.backingOff.delete(key);
      this.add(key);
    }, ms);
    this.backingOff.set(key, timer);
  }

  /** Stop taking work; resolves when running work has finished. */
  async close(): Promise<void> {
    this.closed = true;
    this.backingOff.forEach(clearTimeout);
    this.backingOff.clear();
    this.delayed.forEach((d) => clearTimeout(d.timer));
    this.delayed.clear();
    this.dirty.clear();
    this.ready.length = 0;
    this.queued.clear();
    if (this.running.size === 0) return;
    await new Promise<void>((resolve) => this.idleWaiters.push(resolve));
  }
}
