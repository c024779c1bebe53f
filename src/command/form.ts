/**
 * The request modal's fields (`src/slack/render-forms.ts`) read and validated like the slash command's
 * words (pure): the same DNS-1123 database/namespace check, version text and length limits as
 * `parse.ts`. Errors are keyed by the input block's `block_id`, as Slack's `response_action: "errors"`
 * wants them (https://api.slack.com/surfaces/modals#displaying_errors), in plain text.
 */
import { findEngine, type Engine } from '../engines/table.js';
import { MAX_AT, MAX_REASON, parseDatabase, parseNameList, parseVersionWord, type DbRef } from './parse.js';

/** block_id (and action_id) of each input of the request modal. */
export const FORM = { engine: 'engine', database: 'database', version: 'version', channel: 'channel', reason: 'reason', at: 'at' } as const;

/** The state of one input element as `view.state.values[block_id][action_id]` carries it. */
export interface FormElementState {
  type: string;
  value?: string | null;
  selected_option?: { value: string } | null;
  selected_channel?: string | null;
  selected_conversation?: string | null;
}

/** A validated request from the modal; `namespace` absent when the user wrote a bare name. */
export interface FormRequest {
  engine: Engine;
  namespace?: string;
  name: string;
  version: string;
  channel: string;
  reason?: string;
  at?: string;
  /**
   * A fleet request: the database field held several databases, comma-separated (`ns/a,ns/b`, as a drift
   * report's *Request update* button prefills it); `name`/`namespace` are then the first of them.
   */
  fleet?: DbRef[];
}

/** Outcome of {@link readRequestForm}: the request, or plain-text errors by block_id. */
export type FormResult = { ok: true; request: FormRequest } | { ok: false; errors: Record<string, string> };

/** Slack mrkdwn code spans (`x`) → plain text, for a modal's field errors. */
function plain(s: string): string {
  return s.replace(/`/g, '');
}

function text(values: Record<string, Record<string, FormElementState>>, block: string): string | undefined {
  const v = values[block]?.[block];
  const t = (v?.value ?? '').trim();
  return t === '' ? undefined : t;
}

/**
 * Read and validate the request modal's `view.state.values`. Never throws.
 * Every field with a problem gets its own message (what is wrong and how to fix it).
 */
export function readRequestForm(values: Record<string, Record<string, FormElementState>> | undefined): FormResult {
  const vals = values ?? {};
  const errors: Record<string, string> = {};
  const engineWord = vals[FORM.engine]?.[FORM.engine]?.selected_option?.value;
  const engine = engineWord ? findEngine(engineWord) : undefined;
  if (!engine) errors[FORM.engine] = 'Choose the database engine.';
  const dbText = text(vals, FORM.database);
  let ref: { namespace?: string; name: string } | undefined;
  let fleet: DbRef[] | undefined;
  if (!dbText) errors[FORM.database] = 'Give the database as name or namespace/name, e.g. orders or billing/ledger.';
  else if (dbText.includes(',')) {
    const list = parseNameList(dbText.replace(/\s+/g, ''), undefined);
    if (list.ok) [fleet, ref] = [list.refs, list.refs[0]];
    else errors[FORM.database] = plain(list.error);
  } else {
    const db = parseDatabase(dbText, undefined);
    if (db.ok) ref = db.ref;
    else errors[FORM.database] = plain(db.error);
  }
  const verText = text(vals, FORM.version);
  let version: string | undefined;
  if (!verText) errors[FORM.version] = 'Give the version to update to, e.g. 8.4 or 8.0.31-innodb.';
  else {
    const v = parseVersionWord(verText);
    if (v.ok) version = v.version;
    else errors[FORM.version] = plain(v.error);
  }
  const ch = vals[FORM.channel]?.[FORM.channel];
  const channel = ch?.selected_channel ?? ch?.selected_conversation ?? undefined;
  if (!channel) errors[FORM.channel] = 'Choose the channel the request and its approval are posted in.';
  const reason = text(vals, FORM.reason);
  if (reason !== undefined && reason.length > MAX_REASON) errors[FORM.reason] = `The reason is ${reason.length} characters long; at most ${MAX_REASON} are allowed. Shorten it, or link to a ticket.`;
  const at = text(vals, FORM.at);
  if (at !== undefined && at.length > MAX_AT) errors[FORM.at] = `"When" is ${at.length} characters long; at most ${MAX_AT} are allowed, e.g. sat 02:00.`;
  if (at !== undefined && fleet) errors[FORM.at] = 'Leave "when" empty for several databases: they are updated wave by wave, each inside its maintenance windows.';
  if (Object.keys(errors).length > 0 || !engine || !ref || !version || !channel) return { ok: false, errors };
  return {
    ok: true,
    request: { engine, name: ref.name, version, channel, ...(ref.namespace ? { namespace: ref.namespace } : {}), ...(reason ? { reason } : {}), ...(at ? { at } : {}), ...(fleet ? { fleet } : {}) },
  };
}
