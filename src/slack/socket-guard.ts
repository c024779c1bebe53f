/**
 * A guard for a known defect of `@slack/socket-mode` (3.1.0, and 2.0.7 before it): after a lost
 * connection, `SocketModeClient.delayReconnectAttempt(cb)` runs `cb.apply(this).then(res)` with no
 * rejection handler, and the reconnecting `start()` rejects (with `undefined`) when `State.Disconnected` is
 * emitted while it waits — `disconnect()` on shutdown racing a retry, or a WebSocket refused mid-reconnect.
 * Node then ends the process with `ERR_UNHANDLED_REJECTION` (reported upstream as
 * https://github.com/slackapi/node-slack-sdk/issues/2656; seen here in the chaos run, a replica exiting
 * after "WebSocket error! SMWebsocketError"). The bot must not die of it: the rejection is logged and the
 * reconnect's caller sees what it saw before (a promise that never settles); the client's own `close`
 * handling schedules the next attempt as it always does.
 */
import type { Logger } from 'pino';

/** The part of `SocketModeClient` this guard wraps (a private method in the SDK's typings). */
interface Reconnecting {
  delayReconnectAttempt?: (this: unknown, cb: (this: unknown) => Promise<unknown>) => Promise<unknown>;
}

/**
 * Wrap `client.delayReconnectAttempt` so that a rejection of the attempt it delays is caught and logged
 * (warn, `component: 'socket-mode'`) instead of escaping as an unhandled rejection. Returns false, doing
 * nothing, when the client has no such method (an SDK version without the defect's code path).
 */
export function guardReconnects(client: object, log: Logger): boolean {
  const c = client as Reconnecting;
  const original = c.delayReconnectAttempt;
  if (typeof original !== 'function') return false;
  c.delayReconnectAttempt = function (this: unknown, cb) {
    return original.call(this, function (this: unknown) {
      return cb.apply(this).catch((err: unknown) => {
        log.warn({ component: 'socket-mode', err: err instanceof Error ? err.message : String(err) }, 'Slack Socket Mode: a reconnect attempt ended without a connection (the client was stopped or the socket refused); the next attempt follows');
        return new Promise<never>(() => undefined);
      });
    });
  };
  return true;
}
