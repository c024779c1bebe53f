/**
 * The bot's errors of the cluster, recognised by type or by HTTP status code, never by their text.
 * client-go's `k8s.io/apimachinery/pkg/api/errors` is the model: `IsNotFound`, `IsConflict`,
 * `IsForbidden` read the `Status` of an API error (its `code`, here `ApiException.code` of
 * `@kubernetes/client-node`), and an error of our own that stands for one of them (a {@link NotFoundError}
 * raised when a read found nothing) answers the same predicate.
 *
 * - {@link NotFoundError}: an object the bot needed does not exist (404); carries its kind, namespace, name.
 * - {@link FencedError}: a side effect refused because this replica may not be the leader (see `fence.ts`).
 * - {@link statusCode}, {@link statusMessage}: the code and message of any error, for logs and decisions.
 */
import { ApiException } from '@kubernetes/client-node';

/**
 * An object that does not exist: a read answered 404, or answered nothing where something was needed (a
 * record deleted between a click and its write). `code` is 404, so {@link isNotFound} and
 * {@link statusCode} treat it as the API's NotFound.
 */
export class NotFoundError extends Error {
  readonly code = 404;
  /** Which object, as a Kubernetes `Status`'s `details` names it (`namespace` is '' when cluster-scoped). */
  readonly details: { kind: string; namespace: string; name: string };
  /** @param kind the object's kind (`DatabaseUpdate`, `MySQL`, …); @param namespace its namespace ('' when cluster-scoped); @param name its name. */
  constructor(kind: string, namespace: string, name: string) {
    super(`${kind} ${namespace ? `${namespace}/` : ''}${name} not found`);
    this.name = 'NotFoundError';
    this.details = { kind, namespace, name };
  }
}

/**
 * Thrown instead of a side effect when the fence is not held (`src/kube/fence.ts`). Not a failure of the
 * update: the new leader carries it on from the record. `code` is the string `'FENCED'`.
 */
export class FencedError extends Error {
  readonly code = 'FENCED';
  /** @param what the side effect not made (e.g. `PATCH /apis/…`), for the message. */
  constructor(what: string) {
    super(`not the leader (Lease not held or not renewed within the renew deadline): ${what} not made`);
    this.name = 'FencedError';
  }
}

/** The error itself and what it wraps (`cause`, p-retry's and client-node's `originalError`), at most 5 deep. */
function* chain(err: unknown): Generator<unknown> {
  for (let e = err as { cause?: unknown; originalError?: unknown; original?: unknown } | undefined, i = 0; e && i < 5; i++) {
    yield e;
    // `original`: @slack/web-api's WebAPIRequestError wraps the failed request's error there.
    e = (e.cause ?? e.originalError ?? e.original) as typeof e;
  }
}

/**
 * The HTTP status code of an error: `ApiException.code` of client-node, the `code` of a
 * {@link NotFoundError}, or a numeric `code`/`statusCode` property; undefined for any other error.
 */
export function statusCode(err: unknown): number | undefined {
  if (err instanceof ApiException) return err.code;
  const e = err as { code?: unknown; statusCode?: unknown } | undefined;
  if (typeof e?.code === 'number') return e.code;
  if (typeof e?.statusCode === 'number') return e.statusCode;
  return undefined;
}

/**
 * The Kubernetes `Status` message of an error (the body of an `ApiException` is a JSON string, per
 * docs/stack-notes.md), or the error's own message. For logs and operators, not for Slack users.
 */
export function statusMessage(err: unknown): string {
  if (isTimeout(err)) return 'the API server did not answer in time (request timeout)';
  if (err instanceof ApiException) {
    try {
      const body = typeof err.body === 'string' ? JSON.parse(err.body) : err.body;
      if (body?.message) return String(body.message);
    } catch {
      /* body was not JSON: fall through */
    }
    return `HTTP ${err.code}`;
  }
  return err instanceof Error ? err.message : String(err);
}

/**
 * Whether `err` is a request that ran out of time (`REQUEST_TIMEOUT_MS` of `client.ts`): node-fetch
 * rejects an aborted request with an error named `AbortError`; a `TimeoutError` is the abort signal's reason.
 */
export function isTimeout(err: unknown): boolean {
  const name = (err as { name?: unknown } | undefined)?.name;
  return name === 'AbortError' || name === 'TimeoutError';
}

/** Whether the error is a 404 NotFound (client-go `IsNotFound`), an API answer or a {@link NotFoundError}. */
export const isNotFound = (err: unknown): boolean => statusCode(err) === 404;
/** Whether the error is a 409 (client-go `IsConflict` on a stale resourceVersion, or `IsAlreadyExists`). */
export const isConflict = (err: unknown): boolean => statusCode(err) === 409;
/** Whether the error is a 403 Forbidden (client-go `IsForbidden`: RBAC, or an admission refusal). */
export const isForbidden = (err: unknown): boolean => statusCode(err) === 403;

/**
 * Whether a record or object named `kind` (and `name`, when given) was not found: a {@link NotFoundError}
 * of that kind, anywhere in the error's chain. Unlike {@link isNotFound} it does not take any API 404
 * (say, of a database) for the object the caller asked about.
 */
export function isNotFoundOf(err: unknown, kind: string, name?: string): boolean {
  for (const e of chain(err)) if (e instanceof NotFoundError && e.details.kind === kind && (name === undefined || e.details.name === name)) return true;
  return false;
}

/** Whether an error is (or wraps, as client-node's middleware and p-retry do) a {@link FencedError}. */
export function isFenced(err: unknown): boolean {
  for (const e of chain(err)) if (e instanceof FencedError || (e as { name?: unknown }).name === 'FencedError') return true;
  return false;
}

/** Longest `Retry-After` honoured before a retry, ms (a longer one is capped, not ignored). */
export const MAX_RETRY_AFTER_MS = 2000;

/**
 * Whether an API error is worth retrying as is: 429 TooManyRequests and the 5xx of an overloaded or
 * restarting API server (500, 502, 503, 504). client-go's rest client retries the same set, honouring
 * `Retry-After` (k8s.io/client-go/rest `checkWait`/`IsRetryableError`); and a request that ran out of
 * time (a write retried after a timeout is safe: resourceVersion preconditions, 409 AlreadyExists).
 */
export function isTransient(err: unknown): boolean {
  if (isTimeout(err)) return true;
  const code = statusCode(err);
  return code === 429 || code === 500 || code === 502 || code === 503 || code === 504;
}

/** The `Retry-After` header of an API error in ms (capped at {@link MAX_RETRY_AFTER_MS}), or 0. */
export function retryAfterMs(err: unknown): number {
  const headers = (err as { headers?: Record<string, string> } | undefined)?.headers ?? {};
  const v = Number(headers['retry-after'] ?? headers['Retry-After']);
  return Number.isFinite(v) && v > 0 ? Math.min(v * 1000, MAX_RETRY_AFTER_MS) : 0;
}

/** p-retry `shouldRetry` for {@link isTransient} errors: waits out a `Retry-After` first (p-retry awaits it). */
export async function retryTransient(error: unknown): Promise<boolean> {
  if (!isTransient(error)) return false;
  const ms = retryAfterMs(error);
  if (ms > 0) await new Promise((r) => setTimeout(r, ms));
  return true;
}

/** Await a read; a 404 NotFound becomes undefined, any other error is thrown. */
export async function orUndefined<T>(read: Promise<T>): Promise<T | undefined> {
  try {
    return await read;
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw err;
  }
}
