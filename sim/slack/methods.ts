/**
 * The Web API methods the emulator implements. Each handler takes the decoded arguments and returns the
 * body of a successful answer (without `ok`), or throws `SlackApiError` with Slack's error code; the
 * server turns that into `{ok:false, error}` with HTTP 200 (https://api.slack.com/web#responses).
 */
import { APP, TEAM, compareTs, type SlackMessage, type Workspace } from './store.js';
import { validateBlocks, validateView } from './blocks.js';
import type { TriggerStore, ViewStore } from './views.js';

/** A Web API error: `{ok:false, error: code, ...extra}`. */
export class SlackApiError extends Error {
  constructor(
    readonly code: string,
    readonly extra: Record<string, unknown> = {},
  ) {
    super(code);
  }
}

/** Which token a method accepts: bot tokens (`xoxb-`) or app-level tokens (`xapp-`). */
export type TokenKind = 'bot' | 'app';

/** What a handler may use besides its arguments. */
export interface MethodEnv {
  ws: Workspace;
  triggers: TriggerStore;
  views: ViewStore;
  /** A new Socket Mode URL with a one-time ticket; throws `SlackApiError` when no more connections are allowed. */
  socketUrl(): string;
}

/** A Web API method: accepted token kind and handler. */
export interface MethodDef {
  token: TokenKind;
  handle(args: Record<string, unknown>, env: MethodEnv): Record<string, unknown>;
}

/** Arguments sent as JSON strings in form-encoded requests; decoded before recording and handling. */
export const JSON_ARGS = ['blocks', 'attachments', 'metadata', 'view', 'user_auth_blocks'] as const;

function str(v: unknown): string | undefined {
  return typeof v === 'string' ? v : typeof v === 'number' ? String(v) : undefined;
}

function isObj(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function bool(v: unknown): boolean {
  return v === true || v === 'true' || v === '1' || v === 1;
}

function channelOf(args: Record<string, unknown>, env: MethodEnv): string {
  const c = str(args.channel);
  const ch = c ? env.ws.channel(c) : undefined;
  if (!ch) throw new SlackApiError('channel_not_found');
  return ch.id;
}

let blockSeq = 0;
/** Slack assigns a `block_id` to blocks sent without one; do the same so clicks carry a stable id. */
function withBlockIds(blocks: unknown[]): unknown[] {
  return blocks.map((b) => {
    if (typeof b !== 'object' || b === null || 'block_id' in b) return b;
    blockSeq += 1;
    return { ...(b as object), block_id: `b${blockSeq.toString(36).padStart(4, '0')}` };
  });
}

/** Decode and validate `blocks`: `invalid_blocks_format` if not an array, `invalid_blocks` if Block Kit rejects it. */
function blocksOf(args: Record<string, unknown>): unknown[] | undefined {
  if (args.blocks === undefined || args.blocks === '') return undefined;
  if (!Array.isArray(args.blocks)) throw new SlackApiError('invalid_blocks_format');
  const errs = validateBlocks(args.blocks);
  if (errs.length > 0) throw new SlackApiError('invalid_blocks', { errors: errs, response_metadata: { messages: errs } });
  return withBlockIds(args.blocks);
}

/** Text and blocks of a post: `no_text` if neither, `msg_too_long` over 40,000 characters. */
function content(args: Record<string, unknown>): { text: string; blocks?: unknown[] } {
  const blocks = blocksOf(args);
  const text = str(args.text) ?? '';
  if (!text && !blocks && !args.attachments) throw new SlackApiError('no_text');
  if (text.length > 40_000) throw new SlackApiError('msg_too_long');
  return { text, ...(blocks ? { blocks } : {}) };
}

/** The message JSON as the Web API returns it (`chat.postMessage`'s `message`). */
export function apiMessage(m: SlackMessage): Record<string, unknown> {
  return {
    type: 'message',
    ...(m.user ? { user: m.user } : {}),
    ...(m.bot_id ? { bot_id: m.bot_id, app_id: APP.id } : {}),
    text: m.text,
    ...(m.blocks ? { blocks: m.blocks } : {}),
    ts: m.ts,
    ...(m.thread_ts ? { thread_ts: m.thread_ts } : {}),
    ...(m.metadata ? { metadata: m.metadata } : {}),
    ...(m.edited ? { edited: { user: m.user, ts: m.edited.ts } } : {}),
    team: TEAM.id,
  };
}

function userJson(env: MethodEnv, id: string): Record<string, unknown> {
  const u = env.ws.users.get(id);
  if (!u) throw new SlackApiError('user_not_found');
  return {
    id: u.id,
    team_id: TEAM.id,
    name: u.name,
    real_name: u.real_name,
    deleted: false,
    is_bot: u.is_bot ?? false,
    is_admin: false,
    tz: 'UTC',
    profile: { real_name: u.real_name, display_name: u.name, team: TEAM.id },
  };
}

/** The implemented methods by name. Anything else answers `unknown_method`. */
export const METHODS: Record<string, MethodDef> = {
  /** https://api.slack.com/methods/auth.test */
  'auth.test': {
    token: 'bot',
    handle: () => ({ url: `https://${TEAM.domain}.slack.com/`, team: TEAM.name, user: APP.botName, team_id: TEAM.id, user_id: APP.botUserId, bot_id: APP.botId, is_enterprise_install: false }),
  },
  /** https://api.slack.com/methods/apps.connections.open */
  'apps.connections.open': { token: 'app', handle: (_a, env) => ({ url: env.socketUrl() }) },

  /** https://api.slack.com/methods/chat.postMessage */
  'chat.postMessage': {
    token: 'bot',
    handle(args, env) {
      // A user id as `channel` posts in the app's DM with that user (the App Home Messages tab):
      // https://api.slack.com/methods/chat.postMessage#app_home
      const asUser = str(args.channel);
      const channel = asUser && !env.ws.channel(asUser) && env.ws.users.has(asUser) ? env.ws.imWith(asUser).id : channelOf(args, env);
      const c = content(args);
      let threadTs = str(args.thread_ts);
      if (threadTs) {
        const parent = env.ws.find(channel, threadTs);
        if (!parent || parent.ephemeralTo) throw new SlackApiError('thread_not_found');
        threadTs = parent.thread_ts ?? parent.ts; // a reply's ts designates its thread
      }
      const m = env.ws.add({
        channel,
        user: APP.botUserId,
        bot_id: APP.botId,
        ...c,
        ...(threadTs ? { thread_ts: threadTs } : {}),
        ...(threadTs && bool(args.reply_broadcast) ? { reply_broadcast: true } : {}),
        ...(args.metadata ? { metadata: args.metadata } : {}),
      });
      return { channel, ts: m.ts, message: apiMessage(m) };
    },
  },

  /** https://api.slack.com/methods/chat.update */
  'chat.update': {
    token: 'bot',
    handle(args, env) {
      const channel = channelOf(args, env);
      const ts = str(args.ts);
      const m = ts ? env.ws.find(channel, ts) : undefined;
      if (!m || m.ephemeralTo) throw new SlackApiError('message_not_found');
      if (m.bot_id !== APP.botId) throw new SlackApiError('cant_update_message');
      const blocks = blocksOf(args);
      const text = str(args.text);
      if (text === undefined && !blocks) throw new SlackApiError('no_text');
      env.ws.replace(m, text ?? m.text, blocks ?? (text !== undefined && args.blocks === undefined ? m.blocks : undefined));
      return { channel, ts: m.ts, text: m.text, message: apiMessage(m) };
    },
  },

  /** https://api.slack.com/methods/chat.delete */
  'chat.delete': {
    token: 'bot',
    handle(args, env) {
      const channel = channelOf(args, env);
      const ts = str(args.ts) ?? '';
      const m = env.ws.find(channel, ts);
      if (!m || m.ephemeralTo) throw new SlackApiError('message_not_found');
      if (m.bot_id !== APP.botId) throw new SlackApiError('cant_delete_message');
      env.ws.remove(channel, ts);
      return { channel, ts };
    },
  },

  /** https://api.slack.com/methods/chat.postEphemeral */
  'chat.postEphemeral': {
    token: 'bot',
    handle(args, env) {
      const channel = channelOf(args, env);
      const user = str(args.user);
      if (!user || !env.ws.users.has(user)) throw new SlackApiError('user_not_in_channel');
      const c = content(args);
      const threadTs = str(args.thread_ts);
      const m = env.ws.add({ channel, user: APP.botUserId, bot_id: APP.botId, ...c, ephemeralTo: user, ...(threadTs ? { thread_ts: threadTs } : {}) });
      return { message_ts: m.ts };
    },
  },

  /** https://api.slack.com/methods/chat.getPermalink */
  'chat.getPermalink': {
    token: 'bot',
    handle(args, env) {
      const channel = channelOf(args, env);
      const ts = str(args.message_ts) ?? '';
      if (!env.ws.find(channel, ts)) throw new SlackApiError('message_not_found');
      return { channel, permalink: `https://${TEAM.domain}.slack.com/archives/${channel}/p${ts.replace('.', '')}` };
    },
  },

  /** https://api.slack.com/methods/conversations.info */
  'conversations.info': {
    token: 'bot',
    handle(args, env) {
      const ch = env.ws.channel(str(args.channel) ?? '');
      if (!ch) throw new SlackApiError('channel_not_found');
      return { channel: { id: ch.id, name: ch.name, is_channel: true, is_private: false, is_archived: false, is_member: true, is_im: false, created: 1_700_000_000 } };
    },
  },

  /** https://api.slack.com/methods/conversations.history (newest first; ephemerals and replies excluded) */
  'conversations.history': {
    token: 'bot',
    handle(args, env) {
      const channel = channelOf(args, env);
      const limit = Number(str(args.limit) ?? 100) || 100;
      const msgs = env.ws.messages(channel).filter((m) => !m.ephemeralTo && (!m.thread_ts || m.thread_ts === m.ts || m.reply_broadcast));
      return { messages: msgs.sort((a, b) => compareTs(b.ts, a.ts)).slice(0, limit).map(apiMessage), has_more: msgs.length > limit };
    },
  },

  /** https://api.slack.com/methods/conversations.replies (parent first, then replies oldest first) */
  'conversations.replies': {
    token: 'bot',
    handle(args, env) {
      const channel = channelOf(args, env);
      const ts = str(args.ts) ?? '';
      const parent = env.ws.find(channel, ts);
      if (!parent || parent.ephemeralTo) throw new SlackApiError('thread_not_found');
      const root = parent.thread_ts ?? parent.ts;
      const msgs = env.ws.messages(channel).filter((m) => !m.ephemeralTo && (m.ts === root || m.thread_ts === root));
      return { messages: msgs.map(apiMessage), has_more: false };
    },
  },

  /** https://api.slack.com/methods/users.info */
  'users.info': { token: 'bot', handle: (args, env) => ({ user: userJson(env, str(args.user) ?? '') }) },

  /** https://api.slack.com/methods/usergroups.users.list */
  'usergroups.users.list': {
    token: 'bot',
    handle(args, env) {
      const g = env.ws.usergroups.get(str(args.usergroup) ?? '');
      if (!g) throw new SlackApiError('no_such_subteam');
      return { users: [...g.users] };
    },
  },

  /** https://api.slack.com/methods/views.open */
  'views.open': {
    token: 'bot',
    handle(args, env) {
      const errs = validateView(args.view);
      if (errs.length > 0) throw new SlackApiError('invalid_arguments', { response_metadata: { messages: errs } });
      const use = env.triggers.use(args.trigger_id);
      if (!use.ok) throw new SlackApiError(use.error);
      const v = env.views.open(args.view as Record<string, unknown>, use.user, String(args.trigger_id), { teamId: TEAM.id, appId: APP.id, botId: APP.botId });
      return { view: v.view };
    },
  },

  /**
   * https://api.slack.com/methods/views.publish: `user_id` and a `view` of type `home`; `hash` must match
   * the current Home view's if given. Errors: `user_not_found`, `invalid_arguments` (bad view), `hash_conflict`.
   */
  'views.publish': {
    token: 'bot',
    handle(args, env) {
      const user = str(args.user_id);
      if (!user || !env.ws.users.get(user)) throw new SlackApiError('user_not_found');
      const errs = validateView(args.view);
      if (isObj(args.view) && args.view.type !== 'home') errs.unshift('[ERROR] must be home [json-pointer:/view/type]');
      if (errs.length > 0) throw new SlackApiError('invalid_arguments', { response_metadata: { messages: errs } });
      const prev = env.views.home(user);
      if (args.hash !== undefined && prev && args.hash !== prev.hash) throw new SlackApiError('hash_conflict');
      return { view: env.views.publish(user, args.view as Record<string, unknown>, { teamId: TEAM.id, appId: APP.id, botId: APP.botId }) };
    },
  },

  /** https://api.slack.com/methods/views.update (by `view_id` or `external_id`; `hash` must match if given) */
  'views.update': {
    token: 'bot',
    handle(args, env) {
      const errs = validateView(args.view);
      if (errs.length > 0) throw new SlackApiError('invalid_arguments', { response_metadata: { messages: errs } });
      const v = env.views.get({ id: args.view_id, externalId: args.external_id });
      if (!v || v.closed) throw new SlackApiError('not_found');
      if (args.hash !== undefined && args.hash !== v.view.hash) throw new SlackApiError('hash_conflict');
      env.views.update(v, args.view as Record<string, unknown>);
      return { view: v.view };
    },
  },
};
