/**
 * Fencing of the leader's side effects (issue #11, split-brain). A replica that has lost the Lease — or
 * cannot confirm it still holds it — must make no further write: a process frozen (SIGSTOP, a long GC
 * pause, a stalled VM) past the Lease wakes up with work in flight that was started while it led.
 *
 * A {@link Fence} answers, at the instant of each side effect, whether this replica may act. The leader
 * elector implements it from its own monotonic clock: held while leading and less than `renewDeadline`
 * has passed since the start of its last successful renewal. Another replica can only take the Lease
 * `leaseDuration` after it last saw it change, so the gap `leaseDuration - renewDeadline` covers a
 * request already on the wire and clocks that run at slightly different rates (client-go's
 * leaderelection makes the same argument for `RenewDeadline < LeaseDuration`).
 */

import { FencedError } from './errors.js';

/** Whether this replica may make the leader's side effects now. */
export interface Fence {
  /** True only while this replica holds the Lease and its last successful renewal is recent enough. */
  held(): boolean;
}

/** A fence that is always held (single-replica tools, tests of other parts). */
export const ALWAYS_HELD: Fence = { held: () => true };

/**
 * Throw a {@link FencedError} unless the fence is held (call right before a side effect).
 * @throws FencedError naming `what`.
 */
export function assertHeld(fence: Fence, what: string): void {
  if (!fence.held()) throw new FencedError(what);
}
