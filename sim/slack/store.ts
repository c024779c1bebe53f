/**
 * The emulated Slack workspace: team, users, channels, user groups and the messages of each channel.
 * Pure in-memory state with no I/O; the Web API methods (`methods.ts`) and the emulator (`server.ts`)
 * read and mutate it.
 */

/** A workspace member, as `users.info` describes it (subset). https://api.slack.com/types/user */
export interface SlackUser {
  id: string;
  name: string;
  real_name: string;
  is_bot?: boolean;
}

/** A channel of the workspace (public channels only). https://api.slack.com/types/conversation */
export interface SlackChannel {
  id: string;
  name: string;
}

/**
 * A message as stored by the emulator. `ts` is the message id within its channel (Slack's
 * `"<unix seconds>.<6 digits>"` string). Replies carry the parent's `thread_ts`. `ephemeralTo` marks an
 * ephemeral message (`chat.postEphemeral` or a `response_url` reply) visible to that user only.
 * `history` holds the earlier versions, oldest first, replaced by `chat.update` or `replace_original`.
 */
export interface SlackMessage {
  ts: string;
  channel: string;
  thread_ts?: string;
  user?: string;
  bot_id?: string;
  text: string;
  blocks?: unknown[];
  edited?: { ts: string };
  ephemeralTo?: string;
  history: Array<{ text: string; blocks?: unknown[] }>;
  /** `chat.postMessage` `reply_broadcast`: a thread reply also shown in the channel. */
  reply_broadcast?: boolean;
  /** `chat.postMessage` `metadata` (`{event_type, event_payload}`), as given. */
  metadata?: unknown;
}

/** A slash command typed by a user; not a message in Slack, kept for the transcript only. */
export interface TypedCommand {
  ts: string;
  channel: string;
  user: string;
  command: string;
  text: string;
}

/** Users seeded when none are given. */
export const DEFAULT_USERS: readonly SlackUser[] = [
  { id: 'U_ALICE', name: 'alice', real_name: 'Alice Anders' },
  { id: 'U_BOB', name: 'bob', real_name: 'Bob Brown' },
  { id: 'U_CAROL', name: 'carol', real_name: 'Carol Chen' },
  { id: 'U_DAVE', name: 'dave', real_name: 'Dave Diaz' },
];

/** Channels always present; channels given to the emulator are added to these. */
export const DEFAULT_CHANNELS: readonly SlackChannel[] = [
  { id: 'C_GENERAL', name: 'general' },
  { id: 'C_DBOPS', name: 'db-ops' },
];

/** User groups seeded: `S_DBA` (handle `dba`) with bob and carol. */
export const DEFAULT_USERGROUPS: ReadonlyArray<{ id: string; handle: string; users: string[] }> = [
  { id: 'S_DBA', handle: 'dba', users: ['U_BOB', 'U_CAROL'] },
];

/** Identity of the emulated team and of the installed app and its bot user. */
export const TEAM = { id: 'T_EMU', domain: 'emulated', name: 'Emulated Workspace' } as const;
export const APP = { id: 'A_DBUPDATE', botId: 'B_DBUPDATE', botUserId: 'U_DBUPDATE', botName: 'dbupdate' } as const;

/**
 * Produces message timestamps: `"<seconds>.<microseconds, 6 digits>"`, strictly increasing across the
 * whole workspace and close to wall-clock time (Slack's `ts` format, https://api.slack.com/messaging/retrieving#individual_messages).
 */
export class TsClock {
  private last = 0;
  /** The next timestamp string. */
  next(): string {
    const nowMicros = Date.now() * 1000;
    this.last = Math.max(nowMicros, this.last + 1);
    const sec = Math.floor(this.last / 1_000_000);
    const micros = this.last % 1_000_000;
    return `${sec}.${String(micros).padStart(6, '0')}`;
  }
}

/** Compare two Slack `ts` strings numerically (seconds, then the 6-digit fraction). */
export function compareTs(a: string, b: string): number {
  const [as, af = ''] = a.split('.');
  const [bs, bf = ''] = b.split('.');
  return Number(as) - Number(bs) || Number(af.padEnd(6, '0')) - Number(bf.padEnd(6, '0'));
}

/** The workspace: all state of the emulated Slack that messages and lookups need. */
export class Workspace {
  readonly users = new Map<string, SlackUser>();
  readonly channels = new Map<string, SlackChannel>();
  readonly usergroups = new Map<string, { id: string; handle: string; users: string[] }>();
  /** Messages per channel id, in ts order. */
  private readonly byChannel = new Map<string, SlackMessage[]>();
  /** Slash commands typed, in order. */
  readonly commands: TypedCommand[] = [];
  readonly clock = new TsClock();

  constructor(users: readonly SlackUser[], channels: readonly SlackChannel[]) {
    for (const u of users) this.users.set(u.id, { ...u });
    this.users.set(APP.botUserId, { id: APP.botUserId, name: APP.botName, real_name: 'dbupdate', is_bot: true });
    for (const c of [...DEFAULT_CHANNELS, ...channels]) this.channels.set(c.id, { ...c });
    for (const g of DEFAULT_USERGROUPS) this.usergroups.set(g.id, { ...g, users: [...g.users] });
  }

  /** Resolve a channel given by id or by name (with or without `#`), as Slack's `channel` argument allows. */
  channel(idOrName: string): SlackChannel | undefined {
    const direct = this.channels.get(idOrName);
    if (direct) return direct;
    const name = idOrName.replace(/^#/, '');
    return [...this.channels.values()].find((c) => c.name === name);
  }

  /** The app's DM with `user` (`D_<user id without U_>`, as the Home tab's `app_home_opened` names it), created on first use. */
  imWith(user: string): SlackChannel {
    const id = `D_${user.replace(/^U_?/, '')}`;
    const im = this.channels.get(id) ?? { id, name: id };
    this.channels.set(id, im);
    return im;
  }

  /** All messages of a channel (top-level, replies and ephemerals) in ts order; empty if none. */
  messages(channel: string): SlackMessage[] {
    return [...(this.byChannel.get(channel) ?? [])];
  }

  /** The message with `ts` in `channel`, or undefined. */
  find(channel: string, ts: string): SlackMessage | undefined {
    return this.byChannel.get(channel)?.find((m) => m.ts === ts);
  }

  /** Append a new message with a fresh ts; returns the stored object. */
  add(msg: Omit<SlackMessage, 'ts' | 'history'>): SlackMessage {
    const stored: SlackMessage = { ...msg, ts: this.clock.next(), history: [] };
    const list = this.byChannel.get(msg.channel) ?? [];
    list.push(stored);
    this.byChannel.set(msg.channel, list);
    return stored;
  }

  /** Replace a message's content, keeping the previous version in `history` and marking it edited. */
  replace(msg: SlackMessage, text: string, blocks: unknown[] | undefined): void {
    msg.history.push({ text: msg.text, ...(msg.blocks ? { blocks: msg.blocks } : {}) });
    msg.text = text;
    if (blocks) msg.blocks = blocks;
    else delete msg.blocks;
    msg.edited = { ts: this.clock.next() };
  }

  /** Remove a message (`delete_original`). Returns whether it existed. */
  remove(channel: string, ts: string): boolean {
    const list = this.byChannel.get(channel);
    const i = list?.findIndex((m) => m.ts === ts) ?? -1;
    if (!list || i < 0) return false;
    list.splice(i, 1);
    return true;
  }

  /** Record a typed slash command (for the transcript). */
  addCommand(c: Omit<TypedCommand, 'ts'>): TypedCommand {
    const typed = { ...c, ts: this.clock.next() };
    this.commands.push(typed);
    return typed;
  }
}
