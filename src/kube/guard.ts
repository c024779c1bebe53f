/**
 * Errors that must not escape: a throw inside an event handler or a timer callback becomes an uncaught
 * exception, and one unhandled rejection ends the process (issue #11). These report it instead.
 */

/**
 * Last-resort report of an error raised where no logger can be trusted (an error handler that threw):
 * one JSON line on stderr in pino's shape, so it is seen and the process goes on.
 * @param msg what happened; @param key the work queue key or '' ; @param err the first error; @param handlerErr the handler's.
 */
export function logFallback(msg: string, key: string, err: unknown, handlerErr: unknown): void {
  const text = (e: unknown) => (e instanceof Error ? e.message : String(e));
  try {
    process.stderr.write(`${JSON.stringify({ level: 50, time: Date.now(), msg, key, err: text(err), handlerErr: text(handlerErr) })}\n`);
  } catch {
    /* nothing left to report to */
  }
}

/** Call `f`, reporting instead of throwing anything it throws (event handlers, timers). */
export function guarded<A extends unknown[]>(what: string, f: (...a: A) => void): (...a: A) => void {
  return (...a: A) => {
    try {
      f(...a);
    } catch (err) {
      logFallback(`${what} threw; ignored`, '', err, undefined);
    }
  };
}
