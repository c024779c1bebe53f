/**
 * Block Kit of the request modal (opened from the global shortcut) and of the App Home tab. Pure.
 * Limits (https://api.slack.com/reference/surfaces/views, https://api.slack.com/reference/block-kit/blocks):
 * modal title ≤ 24 characters, ≤ 100 blocks in a modal or Home view, section text ≤ 3,000, static_select
 * ≤ 100 options, option text ≤ 75, plain_text_input `max_length` ≤ 3,000.
 */
import { ENGINES } from '../engines/table.js';
import { FORM } from '../command/form.js';
import { MAX_AT, MAX_REASON } from '../command/parse.js';
import type { DatabaseUpdate } from '../api/v1alpha1/databaseupdate.js';
import type { DatabaseUpdateBatch } from '../api/v1alpha1/databaseupdatebatch.js';
import { batchLine, newestFirst, recordLine } from './queries.js';
import { progressLine } from './render.js';

/** callback_id of the global shortcut (manifest.json `features.shortcuts`) that opens the request modal. */
export const SHORTCUT_REQUEST = 'dbupdate_request';
/** callback_id of the request modal; its submission runs the slash command's request path. */
export const VIEW_REQUEST = 'dbupdate_request_form';
/** Most requests listed on the Home tab (each takes 2 blocks; a Home view holds ≤ 100). */
export const HOME_MAX_REQUESTS = 40;

const pt = (text: string) => ({ type: 'plain_text' as const, text });
/** Longest database text of the form when a drift report prefills a fleet's comma-separated names (plain_text_input allows 3,000; otherwise 127: one `namespace/name`). */
const DATABASE_MAX = 3000;

/**
 * The request modal: engine (static_select of the engine table), database, version, channel to post the
 * request in (channels_select), optional reason and "when" (`--at`). Each input's block_id equals its
 * action_id (`FORM` in `src/command/form.ts`), so field errors name the block.
 * @param opts.channel initial channel of the channel select (e.g. the approvals channel), if any.
 * @param opts.initial values the form opens with (a drift report's *Request update* button): engine name,
 *   database text (`ns/a,ns/b`), version, reason.
 */
export function requestModal(opts: { channel?: string; initial?: { engine?: string; database?: string; version?: string; reason?: string } } = {}): Record<string, unknown> {
  const init = opts.initial ?? {};
  const engine = ENGINES.find((e) => e.name === init.engine);
  const value = (v: string | undefined, max: number) => (v ? { initial_value: v.slice(0, max) } : {});
  return {
    type: 'modal',
    callback_id: VIEW_REQUEST,
    title: pt('Database update'),
    submit: pt('Request'),
    close: pt('Cancel'),
    blocks: [
      {
        type: 'section',
        text: { type: 'mrkdwn', text: 'Request a version update of a KubeDB database. The bot checks it against the cluster, then asks the approvers — as `/dbupdate <engine> <database> <version>` does.' },
      },
      {
        type: 'input',
        block_id: FORM.engine,
        label: pt('Engine'),
        element: {
          type: 'static_select',
          action_id: FORM.engine,
          placeholder: pt('Choose an engine'),
          options: ENGINES.map((e) => ({ text: pt(e.kind), value: e.name })),
          ...(engine ? { initial_option: { text: pt(engine.kind), value: engine.name } } : {}),
        },
      },
      {
        type: 'input',
        block_id: FORM.database,
        label: pt('Database'),
        hint: pt('name, or namespace/name (lower-case letters, digits and -)'),
        element: { type: 'plain_text_input', action_id: FORM.database, placeholder: pt('orders or billing/ledger'), max_length: (init.database?.length ?? 0) > 127 ? DATABASE_MAX : 127, ...value(init.database, DATABASE_MAX) },
      },
      {
        type: 'input',
        block_id: FORM.version,
        label: pt('Version'),
        hint: pt('a prefix (8.4 → newest allowed 8.4.x) or a catalog name'),
        element: { type: 'plain_text_input', action_id: FORM.version, placeholder: pt('8.4 or 8.0.31-innodb'), max_length: 64, ...value(init.version, 64) },
      },
      {
        type: 'input',
        block_id: FORM.channel,
        label: pt('Post the request in'),
        element: { type: 'channels_select', action_id: FORM.channel, placeholder: pt('Choose a channel'), ...(opts.channel ? { initial_channel: opts.channel } : {}) },
      },
      {
        type: 'input',
        block_id: FORM.reason,
        optional: true,
        label: pt('Reason'),
        element: { type: 'plain_text_input', action_id: FORM.reason, multiline: true, max_length: MAX_REASON, placeholder: pt('CVE-2026-1234'), ...value(init.reason, MAX_REASON) },
      },
      {
        type: 'input',
        block_id: FORM.at,
        optional: true,
        label: pt('When'),
        hint: pt('not before this time, e.g. sat 02:00 (like --at); empty: as soon as approved'),
        element: { type: 'plain_text_input', action_id: FORM.at, max_length: MAX_AT, placeholder: pt('sat 02:00') },
      },
    ],
  };
}

/**
 * The App Home tab: the requests in flight the user may see (already filtered by the caller, as
 * `/dbupdate list` filters), newest first, each with its progress; at most {@link HOME_MAX_REQUESTS}.
 * @param now when it was rendered (shown, so a stale tab is recognisable).
 * Fleet batches in flight (`fleets`, filtered by the caller too) come first, one line each (at most 5), their
 * member counts from `records` (the user's visible records, default `inFlight`).
 */
export function homeView(inFlight: DatabaseUpdate[], now: Date, fleets: DatabaseUpdateBatch[] = [], records: DatabaseUpdate[] = inFlight): Record<string, unknown> {
  const shown = newestFirst(inFlight).slice(0, HOME_MAX_REQUESTS);
  const blocks: unknown[] = [
    { type: 'header', text: pt('Database updates in flight') },
    { type: 'context', elements: [{ type: 'mrkdwn', text: `Updated ${now.toISOString().replace('T', ' ').replace(/:\d\d(\.\d+)?Z$/, ' UTC')}. New request: the *Request a database update* shortcut, or \`/dbupdate help\`.` }] },
    { type: 'divider' },
  ];
  // Fleet batches in flight first (at most 5 lines), then the single requests.
  for (const b of fleets.slice(0, 5)) blocks.push({ type: 'section', text: { type: 'mrkdwn', text: batchLine(b, records).slice(2).slice(0, 3000) } });
  if (fleets.length > 5) blocks.push({ type: 'context', elements: [{ type: 'mrkdwn', text: `…and ${fleets.length - 5} more fleet batches: \`/dbupdate list\`.` }] });
  if (shown.length === 0) blocks.push({ type: 'section', text: { type: 'mrkdwn', text: 'No update requests in flight. (`/dbupdate list --all` shows finished ones.)' } });
  for (const r of shown) {
    blocks.push({ type: 'section', text: { type: 'mrkdwn', text: recordLine(r).slice(2).slice(0, 3000) } });
    blocks.push({ type: 'context', elements: [{ type: 'mrkdwn', text: progressLine(r).slice(0, 3000) }] });
  }
  if (inFlight.length > shown.length) blocks.push({ type: 'context', elements: [{ type: 'mrkdwn', text: `…and ${inFlight.length - shown.length} more: \`/dbupdate list\`.` }] });
  return { type: 'home', callback_id: 'dbupdate_home', blocks };
}

/** callback_id of the modal a request form is replaced with once it is submitted (its answer). */
export const VIEW_REQUEST_ANSWER = 'dbupdate_request_answer';

/**
 * The view a submitted request form is replaced with (`response_action: "update"`): the answer itself
 * (recorded, refused) when it was known within the ack budget, else that it is coming in `channel`.
 * @param text Slack mrkdwn, cut to a section's 3,000 characters.
 */
export function formAnswerModal(text: string): Record<string, unknown> {
  return {
    type: 'modal',
    callback_id: VIEW_REQUEST_ANSWER,
    title: pt('Database update'),
    close: pt('Close'),
    blocks: [{ type: 'section', text: { type: 'mrkdwn', text: text.slice(0, 3000) } }],
  };
}

/**
 * The App Home tab when the requests could not be read: what failed, and the reference of the logged
 * error (`userText` of `./errors.ts`), so a stale or empty tab is never taken for "nothing in flight".
 */
export function homeErrorView(text: string, now: Date): Record<string, unknown> {
  return {
    type: 'home',
    callback_id: 'dbupdate_home',
    blocks: [
      { type: 'header', text: pt('Database updates in flight') },
      { type: 'section', text: { type: 'mrkdwn', text: `:warning: ${text}`.slice(0, 3000) } },
      { type: 'context', elements: [{ type: 'mrkdwn', text: `At ${now.toISOString().replace('T', ' ').replace(/:\d\d(\.\d+)?Z$/, ' UTC')}. Open the tab again to retry, or use \`/dbupdate list\`.` }] },
    ],
  };
}
