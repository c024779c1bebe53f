/**
 * Builders of the payloads Slack sends to an app, shaped as Slack sends them, and of the Socket Mode
 * envelope around them. Pure functions: ids and timestamps are passed in.
 *
 * - Slash commands: https://api.slack.com/interactivity/slash-commands#app_command_handling
 * - block_actions: https://api.slack.com/reference/interaction-payloads/block-actions
 * - view_submission: https://api.slack.com/reference/interaction-payloads/views#view_submission
 * - global shortcuts: https://api.slack.com/reference/interaction-payloads/shortcuts
 * - Events API `event_callback` wrapper: https://api.slack.com/apis/events-api#callback-field ;
 *   `app_home_opened`: https://api.slack.com/events/app_home_opened
 * - Socket Mode envelopes: https://api.slack.com/apis/socket-mode#events
 */
import type { SlackChannel, SlackMessage, SlackUser } from './store.js';

/** Team and app identity stamped into every payload. */
export interface PayloadContext {
  team: { id: string; domain: string };
  apiAppId: string;
  /** The legacy verification token (deprecated by Slack, still sent). */
  verificationToken: string;
}

/** The Socket Mode envelope types the emulator sends. */
export type EnvelopeType = 'slash_commands' | 'interactive' | 'events_api';

/** A Socket Mode envelope: `{envelope_id, type, payload, accepts_response_payload, retry_attempt, retry_reason}`. */
export interface Envelope {
  envelope_id: string;
  type: EnvelopeType;
  payload: Record<string, unknown>;
  accepts_response_payload: boolean;
  retry_attempt: number;
  retry_reason: string;
}

/** Wrap a payload in an envelope. Commands and view submissions accept a response payload in the ack. */
export function envelope(envelopeId: string, type: EnvelopeType, payload: Record<string, unknown>, acceptsResponsePayload: boolean): Envelope {
  return { envelope_id: envelopeId, type, payload, accepts_response_payload: acceptsResponsePayload, retry_attempt: 0, retry_reason: '' };
}

/** The `user` object of interaction payloads. */
export function payloadUser(ctx: PayloadContext, u: SlackUser): { id: string; username: string; name: string; team_id: string } {
  return { id: u.id, username: u.name, name: u.name, team_id: ctx.team.id };
}

/**
 * A slash command payload: all values are strings, as in the form-encoded HTTP request
 * (`token, team_id, team_domain, channel_id, channel_name, user_id, user_name, command, text,
 * api_app_id, is_enterprise_install, response_url, trigger_id`).
 */
export function slashCommandPayload(
  ctx: PayloadContext,
  a: { user: SlackUser; channel: SlackChannel; command: string; text: string; responseUrl: string; triggerId: string },
): Record<string, string> {
  return {
    token: ctx.verificationToken,
    team_id: ctx.team.id,
    team_domain: ctx.team.domain,
    channel_id: a.channel.id,
    channel_name: a.channel.name,
    user_id: a.user.id,
    user_name: a.user.name,
    command: a.command,
    text: a.text,
    api_app_id: ctx.apiAppId,
    is_enterprise_install: 'false',
    response_url: a.responseUrl,
    trigger_id: a.triggerId,
  };
}

/** A button found in a message's blocks, with the `block_id` of its block. */
export interface FoundElement {
  blockId: string;
  element: Record<string, unknown>;
}

/** Find the interactive element with `actionId` (and `blockId` if given) in blocks: `actions` elements and section accessories. */
export function findElement(blocks: readonly unknown[] | undefined, actionId: string, blockId?: string): FoundElement | undefined {
  for (const b of (blocks ?? []) as Array<Record<string, unknown>>) {
    if (blockId !== undefined && b.block_id !== blockId) continue;
    const candidates = [...(Array.isArray(b.elements) ? b.elements : []), ...(b.accessory ? [b.accessory] : [])] as Array<Record<string, unknown>>;
    const el = candidates.find((e) => e && e.action_id === actionId);
    if (el) return { blockId: String(b.block_id ?? ''), element: el };
  }
  return undefined;
}

/** The `message` object of a block_actions payload: the stored message as the Web API returns it. */
export function messageObject(m: SlackMessage, appId: string): Record<string, unknown> {
  return {
    type: 'message',
    ...(m.user ? { user: m.user } : {}),
    ...(m.bot_id ? { bot_id: m.bot_id, app_id: appId } : {}),
    text: m.text,
    ...(m.blocks ? { blocks: m.blocks } : {}),
    ts: m.ts,
    ...(m.thread_ts ? { thread_ts: m.thread_ts } : {}),
    ...(m.edited ? { edited: { user: m.user, ts: m.edited.ts } } : {}),
  };
}

/**
 * A `block_actions` payload for a click on a button of a stored message. For an ephemeral message,
 * Slack sends no `message` object and `container.is_ephemeral` is true.
 */
export function blockActionsPayload(
  ctx: PayloadContext,
  a: { user: SlackUser; channel: SlackChannel; message: SlackMessage; found: FoundElement; value?: string; responseUrl: string; triggerId: string; actionTs: string },
): Record<string, unknown> {
  const el = a.found.element;
  const ephemeral = a.message.ephemeralTo !== undefined;
  const value = a.value ?? (typeof el.value === 'string' ? el.value : undefined);
  return {
    type: 'block_actions',
    user: payloadUser(ctx, a.user),
    api_app_id: ctx.apiAppId,
    token: ctx.verificationToken,
    container: { type: 'message', message_ts: a.message.ts, channel_id: a.channel.id, is_ephemeral: ephemeral },
    trigger_id: a.triggerId,
    team: { id: ctx.team.id, domain: ctx.team.domain },
    enterprise: null,
    is_enterprise_install: false,
    channel: { id: a.channel.id, name: a.channel.name },
    ...(ephemeral ? {} : { message: messageObject(a.message, ctx.apiAppId) }),
    state: { values: {} },
    response_url: a.responseUrl,
    actions: [
      {
        action_id: el.action_id,
        block_id: a.found.blockId,
        text: el.text ?? { type: 'plain_text', text: '', emoji: true },
        ...(value !== undefined ? { value } : {}),
        ...(el.style ? { style: el.style } : {}),
        type: el.type ?? 'button',
        action_ts: a.actionTs,
      },
    ],
  };
}

/**
 * View state values, as in `view.state.values`: block_id → action_id → element state. Per element type
 * (https://api.slack.com/reference/interaction-payloads/views#view_submission): `plain_text_input` →
 * `value` (null when left empty); `static_select` → `selected_option` (`{text, value}`, null when none);
 * `channels_select` → `selected_channel`; `conversations_select` → `selected_conversation`.
 */
export type ViewValues = Record<
  string,
  Record<string, { type: string; value?: string | null; selected_option?: { value: string; text?: { type: 'plain_text'; text: string; emoji?: boolean } } | null; selected_channel?: string | null; selected_conversation?: string | null }>
>;

/**
 * A global shortcut payload (`type: "shortcut"`), as Slack sends it when a user picks the app's shortcut
 * from the shortcuts menu: `{type, token, action_ts, team, user, callback_id, trigger_id,
 * is_enterprise_install, enterprise}` — no channel (https://api.slack.com/reference/interaction-payloads/shortcuts).
 */
export function globalShortcutPayload(ctx: PayloadContext, a: { user: SlackUser; callbackId: string; triggerId: string; actionTs: string }): Record<string, unknown> {
  return {
    type: 'shortcut',
    token: ctx.verificationToken,
    action_ts: a.actionTs,
    team: { id: ctx.team.id, domain: ctx.team.domain },
    user: { id: a.user.id, username: a.user.name, team_id: ctx.team.id },
    is_enterprise_install: false,
    enterprise: null,
    callback_id: a.callbackId,
    trigger_id: a.triggerId,
  };
}

/**
 * An Events API `event_callback` body around `event` (the `payload` of an `events_api` Socket Mode
 * envelope): `{token, team_id, api_app_id, event, type: "event_callback", event_id, event_time,
 * authorizations, is_ext_shared_channel, event_context}` (https://api.slack.com/apis/events-api#callback-field).
 */
export function eventCallbackPayload(ctx: PayloadContext, a: { event: Record<string, unknown>; eventId: string; eventTime: number; botUserId: string }): Record<string, unknown> {
  return {
    token: ctx.verificationToken,
    team_id: ctx.team.id,
    api_app_id: ctx.apiAppId,
    event: a.event,
    type: 'event_callback',
    event_id: a.eventId,
    event_time: a.eventTime,
    authorizations: [{ enterprise_id: null, team_id: ctx.team.id, user_id: a.botUserId, is_bot: true, is_enterprise_install: false }],
    is_ext_shared_channel: false,
    event_context: `4-${Buffer.from(JSON.stringify({ ev: a.eventId })).toString('base64url')}`,
  };
}

/**
 * The `app_home_opened` event (https://api.slack.com/events/app_home_opened): `{type, user, channel,
 * tab: "home"|"messages", event_ts}`, plus `view` (the published Home view) when there is one.
 */
export function appHomeOpenedEvent(a: { user: string; channel: string; tab: 'home' | 'messages'; eventTs: string; view?: Record<string, unknown> }): Record<string, unknown> {
  return { type: 'app_home_opened', user: a.user, channel: a.channel, tab: a.tab, event_ts: a.eventTs, ...(a.view ? { view: a.view } : {}) };
}

/** A `view_submission` payload for a stored (open) view, with the submitted `state.values`. */
export function viewSubmissionPayload(
  ctx: PayloadContext,
  a: { user: SlackUser; view: Record<string, unknown>; values: ViewValues; triggerId: string },
): Record<string, unknown> {
  return {
    type: 'view_submission',
    team: { id: ctx.team.id, domain: ctx.team.domain },
    user: payloadUser(ctx, a.user),
    api_app_id: ctx.apiAppId,
    token: ctx.verificationToken,
    trigger_id: a.triggerId,
    view: { ...a.view, state: { values: a.values } },
    response_urls: [],
    is_enterprise_install: false,
    enterprise: null,
  };
}

/**
 * The HTTP-mode request body for a payload: slash commands form-encoded field by field, interactivity
 * as `payload=<url-encoded JSON>` (https://api.slack.com/interactivity/handling#payloads).
 */
export function httpBody(type: EnvelopeType, payload: Record<string, unknown>): { body: string; contentType: string } {
  if (type === 'slash_commands') {
    const form = new URLSearchParams();
    for (const [k, v] of Object.entries(payload)) form.set(k, String(v));
    return { body: form.toString(), contentType: 'application/x-www-form-urlencoded' };
  }
  if (type === 'interactive') return { body: new URLSearchParams({ payload: JSON.stringify(payload) }).toString(), contentType: 'application/x-www-form-urlencoded' };
  return { body: JSON.stringify(payload), contentType: 'application/json' };
}
