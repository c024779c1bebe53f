/**
 * The ack-after-write helper of every listener that changes something (a request, a cancel, a resume, a
 * retry, a vote, a rejection, the request form): the intent is written *before* the ack when that fits
 * in the budget, so a process killed before the ack never acks and Slack tells the user the command
 * failed (`operation_timeout`); nothing acked is lost. When the decision is known in time the listener
 * answers *in* the ack (a slash command's ack carries the ephemeral text, a view submission's a
 * `response_action`), so a process killed right after the ack cannot leave the user without an answer.
 * Past the budget the ack says the answer is still coming (and to ask again if none comes) and the answer
 * follows through `response_url` (or an ephemeral message).
 */
import type { FollowUpQueue } from './followup.js';

/**
 * Default ack budget (ms from the envelope's arrival): 2 s of Slack's 3 s ack deadline
 * (https://api.slack.com/interactivity/handling#acknowledgment_response), leaving 1 s for the ack to travel.
 */
export const ACK_BUDGET_MS = 2000;

/**
 * Default of how long (ms from arrival) an ack waits for its follow-up to *start* (the queue starts one
 * after 5 ms without arrivals, at most 100 ms after it was queued: `./followup.ts`), when the queue had
 * a free slot as the envelope arrived. When it had none (a burst, or slow follow-ups), the ack goes out at
 * once, saying the answer is still to come: holding every ack of a burst for the whole queue pushes acks
 * towards Slack's deadline (measured: a burst of 200 refused commands with every ack held, p50 ≈ 2.1 s on
 * a loaded machine).
 */
export const ACK_START_MS = 150;

/** What {@link writeBeforeAck} gives back. */
export interface WriteBeforeAck<T> {
  /** `work`'s result (rejects if `work` threw). */
  outcome: Promise<T>;
  /**
   * True once `work` has settled, if the envelope did not come within a burst (`FollowUpQueue.cameAfterQuiet`),
   * the queue had a free slot, `work` started within `startMs` and settled within `budgetMs`; else false as
   * soon as one of these is missed: the moment to ack.
   */
  inTime: Promise<boolean>;
  /**
   * Whether the ack waits for `work` at all (known at once): false for an envelope within a burst, or
   * when the queue had no free slot; `inTime` then resolves false at once, and {@link ackWithAnswer} acks
   * without waiting for it (the burst path: measured in `bench/ack.ts`).
   */
  hold: boolean;
  /**
   * Call once the ack is sent. `answeredInAck`: the ack carried the answer, so `deliver` is skipped;
   * otherwise `deliver` answers the user with `work`'s result, still in the follow-up's slot.
   */
  acked: (answeredInAck?: boolean) => void;
}

/** Timing of {@link writeBeforeAck}: `arrivedAt` is a `performance.now()`; `startMs`/`budgetMs` are ms since it. */
export interface AckTiming {
  arrivedAt: number;
  startMs: number;
  budgetMs: number;
  /** The queue's concurrency: the ack waits only if fewer follow-ups than this run or wait. */
  concurrency: number;
  /**
   * A view submission: its answer can only travel in the ack (`response_action`; a closed modal cannot
   * show a field error later, https://api.slack.com/surfaces/modals#displaying_errors), so it waits for its
   * write (within the budget) even inside a burst. Default false.
   */
  answerOnlyInAck?: boolean;
}

/**
 * Run `work` as a follow-up of `queue` and tell the caller when to ack (see {@link WriteBeforeAck}).
 * `work` and `deliver` must not throw (a rejection of `work` skips `deliver`).
 */
export function writeBeforeAck<T>(queue: FollowUpQueue, timing: AckTiming, work: () => Promise<T>, deliver: (result: T) => Promise<void>): WriteBeforeAck<T> {
  const { arrivedAt, startMs, budgetMs, concurrency } = timing;
  const c = queue.counts();
  // Wait for the write only for an envelope that is not part of a burst, with a free slot for it (a view
  // submission waits whenever a slot is free: its answer has no other way to the user).
  const hold = c.running + c.waiting < concurrency && (timing.answerOnlyInAck === true || queue.cameAfterQuiet());
  let started: (() => void) | undefined;
  const start = hold ? new Promise<true>((resolve) => (started = () => resolve(true))) : undefined;
  let acked: (inAck?: boolean) => void = () => {};
  const ackSent = new Promise<boolean>((resolve) => (acked = (inAck) => resolve(inAck === true)));
  const outcome = new Promise<T>((resolve, reject) => {
    void queue.run(async () => {
      started?.();
      let result: T;
      try {
        result = await work();
        resolve(result);
      } catch (err) {
        reject(err);
        return;
      }
      // The answer follows the ack, inside the follow-up (so a drain on shutdown waits for it too).
      if (await ackSent) return;
      await deliver(result);
    });
  });
  if (!start) return { outcome, inTime: NOT_IN_TIME, hold, acked };
  const until = (ms: number) => {
    let timer: NodeJS.Timeout | undefined;
    const p = new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), Math.max(0, arrivedAt + ms - performance.now()))));
    return { p, cancel: () => clearTimeout(timer) };
  };
  const inTime = (async () => {
    const s = until(startMs);
    const ok = await Promise.race([start, s.p]);
    s.cancel();
    if (!ok) return false;
    const b = until(budgetMs);
    try {
      return await Promise.race([outcome.then(() => true, () => true), b.p]);
    } finally {
      b.cancel();
    }
  })();
  return { outcome, inTime, hold, acked };
}

/** `inTime` of every envelope that does not wait for its write (one settled promise, shared). */
const NOT_IN_TIME: Promise<boolean> = Promise.resolve(false);

/**
 * Ack a slash command after its write: with the answer itself when `work` settled in time (so the
 * answer cannot be lost after the ack), else with `late` (the answer follows through `respond`).
 * `ack` failures propagate (Bolt logs them); `acked` is always called.
 */
export async function ackWithAnswer(w: WriteBeforeAck<string | undefined>, ack: (msg?: { response_type: 'ephemeral'; text: string }) => Promise<void>, late: string): Promise<void> {
  let inAck = false;
  try {
    // Within a burst the ack goes out in this turn of the event loop, with no await before it.
    if (!w.hold) await ack({ response_type: 'ephemeral', text: late });
    else if (await w.inTime) {
      const text = await w.outcome.catch(() => undefined);
      inAck = text !== undefined;
      await (text !== undefined ? ack({ response_type: 'ephemeral', text }) : ack());
    } else await ack({ response_type: 'ephemeral', text: late });
  } finally {
    w.acked(inAck);
  }
}
