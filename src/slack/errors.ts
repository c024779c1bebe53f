/**
 * The one place an error becomes what a Slack user reads ({@link userText}). A refusal meant for the user
 * (a {@link RecordRefusal}: the state machine or a check said no, in words written for the user) is shown
 * as it is; a record that does not exist (recognised by type and status code, client-go's `IsNotFound`
 * is the model, never by the message's text) gets the caller's own sentence; anything else — a Kubernetes
 * 403, a timeout, a bug — is logged in full under a short reference and the user reads a generic
 * sentence with that reference, never the raw error (which may name service accounts, resources and
 * namespaces the user has no business seeing).
 */
import { randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import { isNotFoundOf, statusMessage } from '../kube/errors.js';
import { RecordRefusal } from '../updates/records.js';
import { RECORD_KIND } from '../api/v1alpha1/databaseupdate.js';
import { BATCH_KIND } from '../api/v1alpha1/databaseupdatebatch.js';

/** A short id tying a generic error shown to a user to its logged detail: 8 hex characters. */
export function errorRef(): string {
  return randomBytes(4).toString('hex');
}

/**
 * Whether `err` says the request's record does not exist: a `NotFoundError` of kind `DatabaseUpdate` (or `DatabaseUpdateBatch`)
 * (`src/kube/errors.ts`, thrown by `RecordStore` for a record deleted meanwhile), by type — not any API
 * 404 (a missing database is not a missing request).
 */
export function isGone(err: unknown): boolean {
  return isNotFoundOf(err, RECORD_KIND) || isNotFoundOf(err, BATCH_KIND);
}

/** Whether `err` is a refusal whose message is written for the user. */
export function isUserRefusal(err: unknown): err is RecordRefusal {
  return err instanceof RecordRefusal;
}

/** What {@link userText} needs besides the error. */
export interface UserTextOptions {
  log: Pick<Logger, 'error'>;
  /** What failed, as a verb phrase for "Could not …" (e.g. `record your approval`). */
  what: string;
  /** Logged with the error (user, record, …). */
  ctx?: Record<string, unknown>;
  /** The sentence for a record that does not exist; without it, a not-found is answered generically. */
  gone?: string;
  /** What the generic sentence says was not done (default `Nothing was changed; try again.`). */
  nothing?: string;
}

/**
 * The user's text for any error: the refusal's own words, the caller's `gone` sentence for a NotFound,
 * else `Could not <what> (an error on the bot's side, reference \`<ref>\` in its log). <nothing>` with the
 * detail logged at error level under `ref`. Never contains the error's own message unless it is a
 * {@link RecordRefusal}.
 */
export function userText(err: unknown, o: UserTextOptions): string {
  if (isUserRefusal(err)) return err.message;
  if (o.gone !== undefined && isGone(err)) return o.gone;
  const ref = errorRef();
  o.log.error({ err: statusMessage(err), ref, ...o.ctx }, `${o.what} failed`);
  return `Could not ${o.what} (an error on the bot's side, reference \`${ref}\` in its log). ${o.nothing ?? 'Nothing was changed; try again.'}`;
}

/**
 * The Slack error code of a failed call, or undefined when the error did not come from Slack's Web API
 * (e.g. a Kubernetes `ApiException`, whose `code` is the HTTP status as a number). `@slack/web-api`
 * errors carry a string `code` starting with `slack_` and, for `{ok:false}` answers, `data.error`.
 */
export function slackErrorCode(err: unknown): string | undefined {
  const e = err as { code?: unknown; data?: { error?: unknown } } | undefined;
  if (typeof e?.code !== 'string' || !e.code.startsWith('slack_')) return undefined;
  return typeof e.data?.error === 'string' ? e.data.error : e.code;
}
