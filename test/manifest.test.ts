/**
 * `manifest.json` (the Slack app manifest) against Slack's documented manifest shape, and its bot scopes
 * against the Slack Web API methods the code actually calls.
 *
 * Sources:
 * - Manifest fields: https://api.slack.com/reference/manifests (now docs.slack.dev/reference/app-manifest),
 *   as typed in `@slack/web-api`'s `dist/types/request/manifest.d.ts` (installed with Bolt): `display_information.name`
 *   ≤ 35 chars, `description` ≤ 140, `long_description` ≤ 4,000, `background_color` 3- or 6-digit hex;
 *   `bot_user.display_name` ≤ 80 chars of `a-z0-9-_.`; a slash `command` ≤ 32 chars with the leading `/`,
 *   `description` ≤ 2,000, `usage_hint` ≤ 1,000; `_metadata.major_version` 1 or 2.
 * - Method → scope: each method's "Required scopes" on https://api.slack.com/methods/<method>
 *   (docs.slack.dev/reference/methods/<method>), and the scope pages' "Compatible API methods"
 *   (e.g. https://docs.slack.dev/reference/scopes/chat.write lists chat.postMessage, chat.postEphemeral,
 *   chat.update, chat.delete, chat.scheduleMessage, …).
 */
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';

const ROOT = join(import.meta.dirname, '..');
const manifest: unknown = JSON.parse(readFileSync(join(ROOT, 'manifest.json'), 'utf8'));

/** The documented manifest fields this app may use; `.strict()` refuses anything unknown (typos included). */
const ManifestSchema = z
  .object({
    _metadata: z.object({ major_version: z.union([z.literal(1), z.literal(2)]), minor_version: z.number().int().min(0).optional() }).strict(),
    display_information: z
      .object({
        name: z.string().min(1).max(35),
        description: z.string().min(1).max(140),
        background_color: z.string().regex(/^#([0-9a-fA-F]{3}|[0-9a-fA-F]{6})$/),
        long_description: z.string().min(175).max(4000), // Slack asks for 175–4,000 characters
      })
      .strict(),
    features: z
      .object({
        app_home: z.object({ home_tab_enabled: z.boolean(), messages_tab_enabled: z.boolean(), messages_tab_read_only_enabled: z.boolean() }).partial().strict().optional(),
        bot_user: z.object({ display_name: z.string().min(1).max(80).regex(/^[a-z0-9._-]+$/), always_online: z.boolean() }).strict(),
        // ManifestShortcut in @slack/web-api manifest.d.ts: ≤ 10 shortcuts; callback_id ≤ 255, description ≤ 150
        shortcuts: z
          .array(z.object({ type: z.enum(['global', 'message']), name: z.string().min(1), callback_id: z.string().min(1).max(255), description: z.string().min(1).max(150) }).strict())
          .max(10)
          .optional(),
        slash_commands: z
          .array(
            z
              .object({
                command: z.string().regex(/^\/[a-z0-9_-]{1,31}$/),
                description: z.string().min(1).max(2000),
                usage_hint: z.string().max(1000).optional(),
                should_escape: z.boolean(),
                url: z.string().url().optional(),
              })
              .strict(),
          )
          .min(1)
          .max(50),
      })
      .strict(),
    oauth_config: z
      .object({
        redirect_urls: z.array(z.string().url()).optional(),
        scopes: z.object({ bot: z.array(z.string().regex(/^[a-z_]+(:[a-z_.]+)?$/)).min(1).max(255), user: z.array(z.string()).optional() }).strict(),
      })
      .strict(),
    settings: z
      .object({
        interactivity: z.object({ is_enabled: z.boolean(), request_url: z.string().url().optional(), message_menu_options_url: z.string().url().optional() }).strict(),
        event_subscriptions: z.object({ request_url: z.string().url().optional(), bot_events: z.array(z.string()).optional(), user_events: z.array(z.string()).optional() }).strict().optional(),
        org_deploy_enabled: z.boolean(),
        socket_mode_enabled: z.boolean(),
        token_rotation_enabled: z.boolean(),
        allowed_ip_address_ranges: z.array(z.string()).optional(),
      })
      .strict(),
  })
  .strict();

type Manifest = z.infer<typeof ManifestSchema>;

/**
 * Bot-token scopes each Web API method needs, from the method's "Required scopes" (any one of the listed
 * scopes suffices; `[]` = "No scope required"). Methods the bot might reasonably call are listed so that a new
 * call is checked; a method missing here fails the test until its scope is looked up and added.
 */
const METHOD_SCOPES: Record<string, string[]> = {
  // https://api.slack.com/methods/chat.postMessage … chat.update: bot token needs chat:write
  'chat.postMessage': ['chat:write'],
  'chat.postEphemeral': ['chat:write'],
  'chat.update': ['chat:write'],
  'chat.delete': ['chat:write'],
  'chat.scheduleMessage': ['chat:write'],
  'chat.getPermalink': [], // https://api.slack.com/methods/chat.getPermalink: no scope required
  // https://api.slack.com/methods/views.open (and .push/.update/.publish): "No scope required"
  'views.open': [],
  'views.push': [],
  'views.update': [],
  'views.publish': [],
  // https://api.slack.com/methods/users.info, users.list: users:read
  'users.info': ['users:read'],
  'users.list': ['users:read'],
  'users.lookupByEmail': ['users:read.email'],
  'users.profile.get': ['users.profile:read'],
  // https://api.slack.com/methods/usergroups.users.list, usergroups.list: usergroups:read
  'usergroups.users.list': ['usergroups:read'],
  'usergroups.list': ['usergroups:read'],
  // https://api.slack.com/methods/conversations.info, conversations.members: one of channels:read (public),
  // groups:read (private), im:read, mpim:read — by the conversation's type
  'conversations.info': ['channels:read', 'groups:read', 'im:read', 'mpim:read'],
  'conversations.members': ['channels:read', 'groups:read', 'im:read', 'mpim:read'],
  // https://api.slack.com/methods/conversations.history, conversations.replies: channels:history (public),
  // groups:history (private), im:history, mpim:history — by the conversation's type
  'conversations.history': ['channels:history', 'groups:history', 'im:history', 'mpim:history'],
  'conversations.replies': ['channels:history', 'groups:history', 'im:history', 'mpim:history'],
  // https://api.slack.com/methods/auth.test: no scope required
  'auth.test': [],
};

/**
 * Calls the SDKs make on the bot's behalf without a `client.x.y(` in our source: Bolt's `auth.test` at start
 * (unless `tokenVerificationEnabled: false`). The Socket Mode client's `apps.connections.open` uses the
 * app-level token (`xapp-…`, scope `connections:write`, granted when the token is generated, not in the
 * manifest's bot scopes); `respond()` posts to a `response_url` and needs no scope.
 */
const IMPLICIT_METHODS = ['auth.test'];

/** Scopes that no Web API method needs but a feature does: `commands` is required for slash commands. */
const FEATURE_SCOPES = new Set(['commands']);

function sourceFiles(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...sourceFiles(p));
    else if (p.endsWith('.ts')) out.push(p);
  }
  return out;
}

/**
 * Slack Web API methods called in `src/` — `client.chat.postMessage(`-style calls and `apiCall('x.y'`.
 * `sim/` is the Slack/Kubernetes emulator (it answers calls, it does not make them) and is skipped.
 */
function calledMethods(): Map<string, string[]> {
  const found = new Map<string, string[]>();
  const add = (m: string, where: string) => found.set(m, [...(found.get(m) ?? []), where]);
  for (const file of sourceFiles(join(ROOT, 'src'))) {
    const rel = relative(ROOT, file);
    if (rel.startsWith(join('src', 'sim'))) continue;
    const text = readFileSync(file, 'utf8');
    // a Web API call goes through a client (`client.chat.postMessage(`, `this.client.usergroups.users.list(`)
    for (const m of text.matchAll(/client\.((?:chat|views|users|usergroups|conversations|auth)\.[a-zA-Z.]+)\(/g)) add(m[1], rel);
    for (const m of text.matchAll(/\bapiCall\(\s*['"`]([a-z]+\.[a-zA-Z.]+)['"`]/g)) add(m[1], rel);
  }
  return found;
}

/**
 * First arguments of the listeners in `src/` (outside the emulator), registered on Bolt or on the
 * listener router that hands them to Bolt (`src/slack/listeners/router.ts`): `router.event('x'`,
 * `router.shortcut(X`, `app.command('/x'` (a constant is resolved from `render-forms.ts`).
 */
function listeners(kind: 'event' | 'shortcut' | 'command'): string[] {
  const consts = readFileSync(join(ROOT, 'src', 'slack', 'render-forms.ts'), 'utf8');
  const out: string[] = [];
  for (const file of sourceFiles(join(ROOT, 'src'))) {
    if (relative(ROOT, file).startsWith(join('src', 'sim'))) continue;
    for (const m of readFileSync(file, 'utf8').matchAll(new RegExp(`(?:app|router)\\.${kind}\\(\\s*(?:['"]([^'"]+)['"]|([A-Z_]+))`, 'g'))) {
      out.push(m[1] ?? new RegExp(`export const ${m[2]} = '([^']+)'`).exec(consts)?.[1] ?? `unresolved ${m[2]}`);
    }
  }
  return out.sort();
}

describe('manifest.json', () => {
  it('has the documented structure (strict: no unknown fields)', () => {
    const res = ManifestSchema.safeParse(manifest);
    expect(res.success ? [] : res.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`)).toEqual([]);
  });

  const m = manifest as Manifest;

  it('declares /dbupdate, unescaped (the parser reads raw text), with a usage hint', () => {
    const cmds = m.features.slash_commands;
    expect(cmds.map((c) => c.command)).toEqual(['/dbupdate']);
    expect(listeners('command')).toEqual(['/dbupdate']);
    expect(cmds[0].should_escape).toBe(false);
    expect(cmds[0].usage_hint).toMatch(/<engine> <database> <version>/);
  });

  it('runs in Socket Mode with interactivity, so no request URLs are configured', () => {
    expect(m.settings.socket_mode_enabled).toBe(true);
    expect(m.settings.interactivity.is_enabled).toBe(true);
    expect(m.settings.interactivity.request_url).toBeUndefined();
    expect(m.features.slash_commands.every((c) => c.url === undefined)).toBe(true);
    expect(m.settings.org_deploy_enabled).toBe(false);
    expect(m.settings.token_rotation_enabled).toBe(false);
    expect(m.oauth_config.scopes.user).toBeUndefined();
  });

  it('declares exactly the global shortcuts the app listens for (app.shortcut), which need the commands scope', () => {
    expect((m.features.shortcuts ?? []).map((s) => s.callback_id).sort()).toEqual(listeners('shortcut'));
    expect(listeners('shortcut')).toContain('dbupdate_request');
    // https://docs.slack.dev/interactivity/implementing-shortcuts: shortcuts require the `commands` scope
    expect(m.oauth_config.scopes.bot).toContain('commands');
  });

  it('subscribes to exactly the events the app listens for (app.event); the Home tab is on for app_home_opened', () => {
    expect([...(m.settings.event_subscriptions?.bot_events ?? [])].sort()).toEqual(listeners('event'));
    expect(m.settings.event_subscriptions?.request_url).toBeUndefined(); // Socket Mode
    // https://docs.slack.dev/reference/events/app_home_opened: no scope required; the Home tab must be enabled to publish one
    expect(m.features.app_home?.home_tab_enabled).toBe(true);
  });

  it('asks for commands and lists no scope twice', () => {
    const bot = m.oauth_config.scopes.bot;
    expect(bot).toContain('commands');
    expect(new Set(bot).size).toBe(bot.length);
  });

  describe('bot scopes vs. the Web API calls in src/', () => {
    const called = calledMethods();
    const scopes = new Set(m.oauth_config.scopes.bot);

    it('finds the calls the bot is known to make (the scan works)', () => {
      for (const known of ['chat.postMessage', 'chat.update', 'chat.postEphemeral', 'views.open']) {
        expect([...called.keys()]).toContain(known);
      }
    });

    it('knows the required scopes of every called method', () => {
      const unknown = [...called.keys()].filter((method) => !(method in METHOD_SCOPES));
      expect(unknown, `add these methods to METHOD_SCOPES with the scopes from api.slack.com/methods/<method>: ${unknown.join(', ')}`).toEqual([]);
    });

    it('covers every called method with a listed scope', () => {
      const missing = [...called.keys(), ...IMPLICIT_METHODS]
        .filter((method) => (METHOD_SCOPES[method] ?? []).length > 0)
        .filter((method) => !METHOD_SCOPES[method].some((s) => scopes.has(s)))
        .map((method) => `${method} (called in ${(called.get(method) ?? ['the SDK']).join(', ')}) needs one of ${METHOD_SCOPES[method].join(', ')}`);
      expect(missing).toEqual([]);
    });

    it('lists no scope that no called method needs (least privilege)', () => {
      const needed = new Set([...called.keys(), ...IMPLICIT_METHODS].flatMap((method) => METHOD_SCOPES[method] ?? []));
      const unused = [...scopes].filter((s) => !FEATURE_SCOPES.has(s) && !needed.has(s));
      expect(unused, 'scopes listed in manifest.json that no Web API call in src/ needs').toEqual([]);
    });
  });
});
