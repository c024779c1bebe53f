/**
 * Slack user groups → member user ids, through the Web API with a TTL cache. Used to resolve
 * `approverGroups` and `requesters.groups` of the policy (`src/policy/rules.ts`).
 *
 * - `usergroups.users.list` (https://api.slack.com/methods/usergroups.users.list) takes a group id
 *   (`usergroup=S0614TZR7`) and answers `{ ok: true, users: ["U…", …] }`; needs the `usergroups:read` scope.
 * - A handle (`@dba`) is first mapped to its id with `usergroups.list`
 *   (https://api.slack.com/methods/usergroups.list), cached with the same TTL.
 * Successful answers are cached for `ttlMs`; concurrent look-ups of one group share one call; failures are
 * not cached (the next call asks again).
 */
import type { WebClient } from '@slack/web-api';

/** The part of a WebClient this needs (a Bolt `app.client` or `new WebClient(...)`). */
export type UserGroupsClient = Pick<WebClient, 'usergroups'>;

/** Thrown when a group cannot be resolved; `group` is the id or handle, `code` Slack's error code if any. */
export class UserGroupError extends Error {
  constructor(
    readonly group: string,
    readonly code: string | undefined,
    message: string,
  ) {
    super(message);
    this.name = 'UserGroupError';
  }
}

/** Slack's error code of a WebClient platform error (`err.data.error`), else undefined. */
function slackCode(err: unknown): string | undefined {
  const data = (err as { data?: { error?: unknown } })?.data;
  return typeof data?.error === 'string' ? data.error : undefined;
}

const HINTS: Record<string, string> = {
  no_such_subteam: 'there is no such user group (check the id in the policy: Slack → People → User groups → ⋯ → Copy group ID)',
  missing_scope: 'the Slack app lacks the usergroups:read scope (add it in manifest.json and reinstall the app)',
  not_allowed_token_type: 'the call needs the bot token (xoxb-…)',
};

/** Resolves user groups to members, with a cache. */
export class UserGroupResolver {
  private readonly cache = new Map<string, { members: string[]; expires: number }>();
  private readonly inflight = new Map<string, Promise<string[]>>();
  private handles: { ids: Map<string, string>; expires: number } | undefined;

  /**
   * @param client a WebClient (`app.client`) with a bot token that has `usergroups:read`.
   * @param ttlMs how long a group's members are reused, in ms (e.g. 5 minutes = 300_000; 0 = no cache).
   * @param now clock for the TTL (tests).
   */
  constructor(
    private readonly client: UserGroupsClient,
    private readonly ttlMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  /**
   * Member user ids of a group (`S…` id or `@handle`).
   * @throws UserGroupError naming the group and Slack's error, e.g.
   *   `cannot list the members of user group S_NOPE: no_such_subteam (there is no such user group …)`.
   */
  async members(group: string): Promise<string[]> {
    const hit = this.cache.get(group);
    if (hit && hit.expires > this.now()) return [...hit.members];
    const running = this.inflight.get(group);
    if (running) return [...(await running)];
    const p = this.fetch(group);
    this.inflight.set(group, p);
    try {
      const members = await p;
      this.cache.set(group, { members, expires: this.now() + this.ttlMs });
      return [...members];
    } finally {
      this.inflight.delete(group);
    }
  }

  /** The groups among `groups` that `user` is a member of (for `mayRequest`'s `userGroups`). @throws UserGroupError */
  async memberOf(user: string, groups: readonly string[]): Promise<string[]> {
    const lists = await Promise.all(groups.map(async (g) => ({ g, members: await this.members(g) })));
    return lists.filter((x) => x.members.includes(user)).map((x) => x.g);
  }

  /** Forget cached answers (all, or one group). */
  invalidate(group?: string): void {
    if (group === undefined) {
      this.cache.clear();
      this.handles = undefined;
    } else this.cache.delete(group);
  }

  private async fetch(group: string): Promise<string[]> {
    const id = group.startsWith('@') ? await this.idOfHandle(group) : group;
    let res: { ok?: boolean; users?: string[]; error?: string };
    try {
      res = await this.client.usergroups.users.list({ usergroup: id });
    } catch (err) {
      throw this.error(group, slackCode(err), (err as Error).message);
    }
    if (res.ok === false || !Array.isArray(res.users)) throw this.error(group, res.error, 'no member list in the answer');
    return res.users;
  }

  private async idOfHandle(handle: string): Promise<string> {
    if (!this.handles || this.handles.expires <= this.now()) {
      let res: { ok?: boolean; usergroups?: Array<{ id?: string; handle?: string }>; error?: string };
      try {
        res = await this.client.usergroups.list({});
      } catch (err) {
        throw this.error(handle, slackCode(err), (err as Error).message, 'usergroups.list');
      }
      const ids = new Map<string, string>();
      for (const g of res.usergroups ?? []) if (g.id && g.handle) ids.set(`@${g.handle}`, g.id);
      this.handles = { ids, expires: this.now() + this.ttlMs };
    }
    const id = this.handles.ids.get(handle);
    if (!id) throw new UserGroupError(handle, 'no_such_subteam', `cannot resolve user group ${handle}: no user group has this handle`);
    return id;
  }

  private error(group: string, code: string | undefined, detail: string, method = 'usergroups.users.list'): UserGroupError {
    const hint = code && HINTS[code] ? ` (${HINTS[code]})` : '';
    return new UserGroupError(group, code, `cannot list the members of user group ${group} (${method}): ${code ?? detail}${hint}`);
  }
}
