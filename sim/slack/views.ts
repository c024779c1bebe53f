/**
 * Trigger ids and modal views. A `trigger_id` comes with each command and interaction; `views.open`
 * may use it once, within 3 seconds (https://api.slack.com/interactivity/handling#modal_responses).
 */
import { randomBytes } from 'node:crypto';

/** Lifetime of a trigger id, ms (Slack: 3 s). */
export const TRIGGER_TTL_MS = 3000;

/** Outcome of using a trigger id: the user it belongs to, or Slack's error code. */
export type TriggerUse = { ok: true; user: string } | { ok: false; error: 'invalid_trigger_id' | 'expired_trigger_id' };

/** Issues and checks trigger ids. */
export class TriggerStore {
  private readonly triggers = new Map<string, { user: string; expiresAt: number; used: boolean }>();

  /** A new trigger id for `user` (format like Slack's `"<digits>.<digits>.<hex>"`). */
  issue(user: string, now = Date.now()): string {
    const id = `${now}.${Math.floor(Math.random() * 1e10)}.${randomBytes(16).toString('hex')}`;
    this.triggers.set(id, { user, expiresAt: now + TRIGGER_TTL_MS, used: false });
    return id;
  }

  /** Use a trigger id: `invalid_trigger_id` if unknown, `expired_trigger_id` if used or older than 3 s. */
  use(id: unknown, now = Date.now()): TriggerUse {
    const t = typeof id === 'string' ? this.triggers.get(id) : undefined;
    if (!t) return { ok: false, error: 'invalid_trigger_id' };
    if (t.used || now > t.expiresAt) return { ok: false, error: 'expired_trigger_id' };
    t.used = true;
    return { ok: true, user: t.user };
  }
}

/** A modal opened with `views.open`: `view` is the full view object as `views.open` returned it. */
export interface OpenView {
  id: string;
  user: string;
  view: any; // eslint-disable-line @typescript-eslint/no-explicit-any -- the caller's own view JSON
  triggerId: string;
}

/** The modals currently open, in opening order. */
export class ViewStore {
  private readonly views: Array<OpenView & { closed: boolean }> = [];
  private seq = 0;

  /** Store a new view; completes it the way Slack's `views.open` answer does (id, hash, state, ids). */
  open(view: Record<string, unknown>, user: string, triggerId: string, ids: { teamId: string; appId: string; botId: string }): OpenView {
    this.seq += 1;
    const id = `V_${String(this.seq).padStart(6, '0')}`;
    const full = {
      id,
      team_id: ids.teamId,
      type: view.type,
      blocks: view.blocks ?? [],
      private_metadata: view.private_metadata ?? '',
      callback_id: view.callback_id ?? '',
      state: { values: {} },
      hash: randomBytes(8).toString('hex'),
      title: view.title,
      clear_on_close: view.clear_on_close ?? false,
      notify_on_close: view.notify_on_close ?? false,
      close: view.close ?? null,
      submit: view.submit ?? null,
      previous_view_id: null,
      root_view_id: id,
      app_id: ids.appId,
      external_id: view.external_id ?? '',
      app_installed_team_id: ids.teamId,
      bot_id: ids.botId,
    };
    const entry = { id, user, view: full, triggerId, closed: false };
    this.views.push(entry);
    return entry;
  }

  /** The view with `id` or `external_id`, open or not. */
  get(idOrExternal: { id?: unknown; externalId?: unknown }): (OpenView & { closed: boolean }) | undefined {
    return this.views.find((v) => (idOrExternal.id !== undefined && v.id === idOrExternal.id) || (idOrExternal.externalId !== undefined && idOrExternal.externalId !== '' && v.view.external_id === idOrExternal.externalId));
  }

  /**
   * Replace the content of a view (`views.update` or `response_action: update`), with a new hash. As in
   * Slack, the new view replaces the old one whole: a field it leaves out takes its default (no `submit`
   * button when the new view has none), and only the view's identity (id, ids of team, app, bot, root)
   * stays.
   */
  update(v: OpenView, view: Record<string, unknown>): void {
    const old = v.view;
    v.view = {
      ...old,
      type: view.type ?? old.type,
      blocks: view.blocks ?? [],
      private_metadata: view.private_metadata ?? '',
      callback_id: view.callback_id ?? '',
      title: view.title,
      clear_on_close: view.clear_on_close ?? false,
      notify_on_close: view.notify_on_close ?? false,
      close: view.close ?? null,
      submit: view.submit ?? null,
      external_id: view.external_id ?? old.external_id,
      id: v.id,
      state: { values: {} },
      hash: randomBytes(8).toString('hex'),
    };
  }

  /** Mark a view closed (after a submission not answered with `response_action: errors`). */
  close(id: string): void {
    const v = this.views.find((x) => x.id === id);
    if (v) v.closed = true;
  }

  private readonly homes = new Map<string, Record<string, unknown>>();

  /**
   * `views.publish`: set `user`'s Home tab view (replacing the previous one; same `id`, new `hash`), as
   * https://api.slack.com/methods/views.publish answers it.
   */
  publish(user: string, view: Record<string, unknown>, ids: { teamId: string; appId: string; botId: string }): Record<string, unknown> {
    const prev = this.homes.get(user);
    this.seq += 1;
    const id = (prev?.id as string | undefined) ?? `V_${String(this.seq).padStart(6, '0')}`;
    const full = {
      id,
      team_id: ids.teamId,
      type: 'home',
      blocks: view.blocks ?? [],
      private_metadata: view.private_metadata ?? '',
      callback_id: view.callback_id ?? '',
      state: { values: {} },
      hash: randomBytes(8).toString('hex'),
      title: { type: 'plain_text', text: 'View Title', emoji: true },
      clear_on_close: false,
      notify_on_close: false,
      close: null,
      submit: null,
      previous_view_id: null,
      root_view_id: id,
      app_id: ids.appId,
      external_id: view.external_id ?? '',
      app_installed_team_id: ids.teamId,
      bot_id: ids.botId,
    };
    this.homes.set(user, full);
    return full;
  }

  /** `user`'s published Home tab view, or undefined. */
  home(user: string): Record<string, unknown> | undefined {
    return this.homes.get(user);
  }

  /** Views still open, in opening order. */
  list(): OpenView[] {
    return this.views.filter((v) => !v.closed).map(({ closed: _c, ...v }) => v);
  }
}
