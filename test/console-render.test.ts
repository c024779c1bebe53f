/**
 * The console's pure rendering (mrkdwn, Block Kit, channel view) and its HTTP server's refusals, without
 * a browser. The end-to-end run in Chromium is test/console.test.ts.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mrkdwnToHtml, escapeHtml, plainToHtml } from '../console/render-mrkdwn.js';
import { blocksToHtml } from '../console/render-blocks.js';
import { renderChannel, renderThread } from '../console/render-channel.js';
import { renderCluster } from '../console/render-cluster.js';
import { startConsole, type Console } from '../console/server.js';
import { SlackEmulator, type SlackMessage } from '../sim/slack/server.js';
import { Store } from '../sim/kube/store.js';
import { renderParent } from '../src/slack/render.js';

const users = new Map([
  ['U_ALICE', { id: 'U_ALICE', name: 'alice', real_name: 'Alice Anders' }],
  ['U_BOB', { id: 'U_BOB', name: 'bob', real_name: 'Bob Brown' }],
  ['U_DBUPDATE', { id: 'U_DBUPDATE', name: 'dbupdate', real_name: 'dbupdate', is_bot: true }],
]);
const ctx = { users, usergroups: new Map([['S_DBA', { handle: 'dba' }]]) };

describe('mrkdwn to HTML', () => {
  it('formats bold, italic, strike, code, pre, quotes and line breaks', () => {
    expect(mrkdwnToHtml('*Done* _now_ ~old~ `a*b*c`', ctx)).toBe('<b>Done</b> <i>now</i> <s>old</s> <code>a*b*c</code>');
    expect(mrkdwnToHtml('```x <y>\n*z*```', ctx)).toBe('<pre>x &lt;y&gt;\n*z*</pre>');
    expect(mrkdwnToHtml('> quoted\nnext', ctx)).toBe('<blockquote>quoted</blockquote>next');
    expect(mrkdwnToHtml('*Version*\n8.0 → *8.4*', ctx)).toBe('<b>Version</b><br>8.0 → <b>8.4</b>');
  });

  it('shows mentions as names, links only for http(s)/mailto, and emoji shortcodes as characters', () => {
    expect(mrkdwnToHtml('<@U_ALICE> and <@U_NOBODY> ask <!subteam^S_DBA> <!here> in <#C1|db-ops>', ctx)).toBe(
      '<span class="mention">@alice</span> and <span class="mention">@U_NOBODY</span> ask <span class="mention">@dba</span> <span class="mention">@here</span> in <span class="mention">#db-ops</span>',
    );
    expect(mrkdwnToHtml('<https://kubedb.com/docs|KubeDB docs>', ctx)).toBe('<a href="https://kubedb.com/docs" target="_blank" rel="noopener noreferrer">KubeDB docs</a>');
    expect(mrkdwnToHtml('<javascript:alert(1)|click>', ctx)).toBe('&lt;javascript:alert(1)|click&gt;');
    expect(mrkdwnToHtml(':tada: :white_check_mark: :no_such_emoji:', ctx)).toBe('<span class="emoji" title=":tada:">🎉</span> <span class="emoji" title=":white_check_mark:">✅</span> :no_such_emoji:');
    expect(plainToHtml('Approve :+1: <b>')).toBe('Approve 👍 &lt;b&gt;');
  });

  it('escapes everything that came from a message, also Slack-escaped and raw HTML', () => {
    const typed = '<script>alert(1)</script> <img src=x onerror="alert(2)"> \' & "';
    expect(escapeHtml(typed)).toBe('&lt;script&gt;alert(1)&lt;/script&gt; &lt;img src=x onerror=&quot;alert(2)&quot;&gt; &#39; &amp; &quot;');
    // what the bot sends (escaped as Slack requires) and what a careless sender might send (raw)
    const slackEscaped = typed.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
    for (const text of [slackEscaped, typed]) {
      const html = mrkdwnToHtml(text, ctx);
      expect(html).not.toMatch(/<(script|img)/i);
      expect(html).toContain('&lt;script&gt;');
    }
    expect(mrkdwnToHtml('<@U_ALICE|"><img src=x>>', ctx)).not.toMatch(/<img/);
    expect(mrkdwnToHtml('`<img src=x>`', ctx)).toBe('<code>&lt;img src=x&gt;</code>');
    expect(mrkdwnToHtml('\u00000\u0000', ctx)).toBe('0');
  });
});

describe('Block Kit and the channel view', () => {
  const record = {
    apiVersion: 'dbupdate.dev/v1alpha1',
    kind: 'DatabaseUpdate',
    metadata: { name: 'orders-abc' },
    spec: {
      engine: 'MySQL', database: { cluster: 'sim', namespace: 'demo', name: 'orders' }, fromVersion: '8.0.35', targetVersion: '8.4.3', updateType: 'major',
      replicas: 3, backend: 'ops-request', requester: 'U_ALICE', approvers: ['U_BOB'], approvalsRequired: 1, expiresAt: '2026-12-02T03:00:00Z', reason: '<b>"x"</b>',
    },
  };

  it('renders the bot parent message: header, fields, escaped reason, and buttons carrying their ids', () => {
    const html = blocksToHtml(renderParent(record as never).blocks, ctx);
    expect(html).toContain('<div class="blk-header">Database update: orders → 8.4.3</div>');
    expect(html).toContain('<div class="blk-field"><b>Requested by</b><br><span class="mention">@alice</span></div>');
    expect(html).toContain('&lt;b&gt;&quot;x&quot;&lt;/b&gt;');
    expect(html).toContain('<button type="button" class="btn btn-primary" data-action-id="dbupdate_approve" data-block-id="decision" data-value="orders-abc">Approve</button>');
    expect(html).toContain('class="btn btn-danger" data-action-id="dbupdate_reject"');
  });

  it('renders modal inputs as form controls and unknown blocks through the emulator plain-text renderer', () => {
    const html = blocksToHtml(
      [
        { type: 'input', block_id: 'reason', label: { type: 'plain_text', text: 'Reason' }, element: { type: 'plain_text_input', action_id: 'reason_input', multiline: true, max_length: 500 } },
        { type: 'rich_text', elements: [{ type: 'rich_text_section', elements: [{ type: 'text', text: 'hi <x>' }] }] },
      ],
      ctx,
    );
    expect(html).toContain('<textarea class="input" data-type="plain_text_input" data-action-id="reason_input" data-block-id="reason" maxlength="500"></textarea>');
    expect(html).toContain('hi &lt;x&gt;');
  });

  it('draws a select with its initial option, and a channels_select with the console\'s channels and its initial channel', () => {
    const html = blocksToHtml(
      [
        { type: 'input', block_id: 'engine', label: { type: 'plain_text', text: 'Engine' }, element: { type: 'static_select', action_id: 'e', options: [{ text: { type: 'plain_text', text: 'MySQL' }, value: 'mysql' }, { text: { type: 'plain_text', text: 'Postgres' }, value: 'postgres' }], initial_option: { text: { type: 'plain_text', text: 'Postgres' }, value: 'postgres' } } },
        { type: 'input', block_id: 'channel', label: { type: 'plain_text', text: 'Post in' }, element: { type: 'channels_select', action_id: 'c', initial_channel: 'C_DBOPS' } },
      ],
      { ...ctx, channels: [{ id: 'C_DBOPS', name: 'db-ops' }] },
    );
    expect(html).toContain('<option value="mysql">MySQL</option><option value="postgres" selected>Postgres</option>');
    expect(html).toContain('<select class="input" data-type="channels_select" data-action-id="c" data-block-id="channel"><option value=""></option><option value="C_DBOPS" selected>#db-ops</option></select>');
  });

  it('shows ephemeral messages and typed commands only to their user, threads under their parent, and (edited)', () => {
    const m = (x: Partial<SlackMessage> & { ts: string }): SlackMessage => ({ channel: 'C', text: '', history: [], ...x });
    const messages = [
      m({ ts: '100.000002', user: 'U_DBUPDATE', bot_id: 'B', text: 'parent', edited: { ts: '101.0' } }),
      m({ ts: '100.000003', user: 'U_DBUPDATE', bot_id: 'B', text: ':double_vertical_bar: *Paused*', thread_ts: '100.000002' }),
      m({ ts: '100.000001', user: 'U_DBUPDATE', bot_id: 'B', text: 'for alice only', ephemeralTo: 'U_ALICE' }),
    ];
    const commands = [{ ts: '100.000000', user: 'U_ALICE', command: '/dbupdate', text: 'mysql <orders>' }];
    const alice = renderChannel({ channelName: 'db-ops', messages, commands, users, viewer: 'U_ALICE' });
    const bob = renderChannel({ channelName: 'db-ops', messages, commands, users, viewer: 'U_BOB' });
    expect(alice).toContain('for alice only');
    expect(alice).toContain('Only visible to you');
    expect(alice).toContain('/dbupdate mysql &lt;orders&gt;');
    expect(alice.indexOf('/dbupdate')).toBeLessThan(alice.indexOf('for alice only'));
    expect(bob).not.toContain('for alice only');
    expect(bob).not.toContain('Only visible to you');
    expect(bob).not.toContain('/dbupdate');
    // a thread is a link under its parent; the replies are in the side pane (renderThread), not inline
    expect(bob).toContain('<button type="button" class="thread-link" data-thread="100.000002" data-replies="1"><span class="reply-count">1 reply</span>');
    expect(bob).not.toContain('<b>Paused</b>');
    const pane = renderThread({ channelName: 'db-ops', messages, commands, users, viewer: 'U_BOB' }, '100.000002')!;
    expect(pane.replies).toBe(1);
    expect(pane.html).toMatch(/^<div class="thread-parent" data-key="parent" data-list><div class="msg" data-ts="100\.000002">/);
    expect(pane.html).toContain('<div class="replies" data-key="replies" data-list><div class="msg" data-ts="100.000003">');
    expect(pane.html).toContain('⏸️</span> <b>Paused</b>');
    expect(renderThread({ channelName: 'db-ops', messages, commands, users, viewer: 'U_BOB' }, '100.000001')).toBeNull();
    expect(bob).toContain('<span class="edited">(edited)</span>');
    expect(renderChannel({ channelName: 'db-ops', messages: [], commands: [], users, viewer: 'U_BOB' })).toContain('very beginning of <b>#db-ops</b>');
  });

  it('renders the cluster panel with escaped values and an empty table as none', () => {
    const html = renderCluster({
      databases: [{ kind: 'MySQL', namespace: 'demo', name: 'orders<x>', version: '8.4.3', phase: 'Ready', replicas: '3' }],
      petsets: [],
      pods: [{ namespace: 'demo', name: 'orders-0', phase: 'Running', ready: true, image: 'ghcr.io/appscode-images/mysql:8.4.3-oracle', role: 'primary' }],
      opsRequests: [],
      records: [],
    });
    expect(html).toContain('demo/<wbr><b>orders&lt;x&gt;</b> <span class="role">MySQL</span>');
    expect(html).toContain('<span class="phase phase-ok">Ready</span>');
    expect(html).toContain('>mysql:<wbr>8.4.3-oracle</code>');
    expect(html).toContain('<td colspan="2" class="none">none</td>');
  });
});

describe('console HTTP server', () => {
  let slack: SlackEmulator;
  let con: Console;
  beforeAll(async () => {
    slack = await SlackEmulator.start();
    con = await startConsole({ slack, store: new Store(), channel: 'C_DBOPS' });
  });
  afterAll(async () => {
    await con?.stop();
    await slack?.stop();
  });
  const post = (path: string, body: unknown, headers: Record<string, string> = { 'content-type': 'application/json' }) =>
    fetch(new URL(path, con.url), { method: 'POST', headers, body: typeof body === 'string' ? body : JSON.stringify(body) });

  it('listens on 127.0.0.1 and serves the page with a CSP that allows no inline script', async () => {
    expect(con.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
    const res = await fetch(con.url);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-security-policy')).toContain("script-src 'self'");
    expect(await res.text()).toContain('<script src="/app.js"');
    const meta = (await (await fetch(new URL('/api/meta', con.url))).json()) as { channel: { name: string }; users: Array<{ id: string }> };
    expect(meta.channel.name).toBe('db-ops');
    expect(meta.users.map((u) => u.id)).toEqual(['U_ALICE', 'U_BOB', 'U_CAROL', 'U_DAVE']);
  });

  it('refuses other Host names, non-JSON bodies, unknown users and commands, bad fields, with what to fix', async () => {
    const port = new URL(con.url).port;
    const { request } = await import('node:http');
    const status = await new Promise<number>((resolve, reject) => {
      request({ host: '127.0.0.1', port, path: '/api/meta', headers: { host: `evil.example:${port}` } }, (res) => {
        res.resume();
        resolve(res.statusCode!);
      }).on('error', reject).end();
    });
    expect(status).toBe(421);
    const cases: Array<[Response, number, RegExp]> = [
      [await post('/api/command', 'user=U_ALICE&text=x', { 'content-type': 'application/x-www-form-urlencoded' }), 415, /application\/json/],
      [await post('/api/command', '{', { 'content-type': 'application/json' }), 400, /not valid JSON/],
      [await post('/api/command', { user: 'U_EVE', text: '/dbupdate help' }), 400, /unknown user U_EVE: choose one of U_ALICE/],
      [await post('/api/command', { user: 'U_ALICE', text: '/deploy x' }), 400, /\/deploy is not a valid command/],
      [await post('/api/click', { user: 'U_ALICE', ts: 'nope', actionId: 'a' }), 400, /ts: a Slack ts/],
      [await post('/api/click', { user: 'U_ALICE', ts: '1.000001', actionId: 'a' }), 404, /unknown message/],
      [await post('/api/close-view', { user: 'U_ALICE', viewId: 'V_1' }), 404, /view V_1 is not open/],
      [await fetch(new URL('/api/view?user=', con.url)), 400, /unknown user/],
      [await fetch(new URL('/nothing', con.url)), 404, /no page at \/nothing/],
    ];
    for (const [res, code, re] of cases) {
      expect(res.status).toBe(code);
      expect(((await res.json()) as { error: string }).error).toMatch(re);
    }
    expect(slack.messages('C_DBOPS')).toHaveLength(0);
  });

  it('says so when no app is connected to take the slash command', async () => {
    const res = await post('/api/command', { user: 'U_ALICE', text: '/dbupdate help' });
    expect(res.status).toBe(502);
    expect(((await res.json()) as { error: string }).error.length).toBeGreaterThan(0);
  });

  it('Cancel closes the modal; a view that asked for notify_on_close sends the app a view_closed payload', async () => {
    // an "app" on HTTP: it opens a modal for the slash command's trigger and records what Slack sends it
    const { createServer } = await import('node:http');
    const received: Array<Record<string, unknown>> = [];
    const app = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString('utf8')));
      req.on('end', () => {
        const form = new URLSearchParams(body);
        const payload = form.get('payload');
        received.push(payload ? (JSON.parse(payload) as Record<string, unknown>) : Object.fromEntries(form));
        res.end();
      });
    });
    await new Promise<void>((r) => app.listen(0, '127.0.0.1', () => r()));
    slack.setHttpEndpoint(`http://127.0.0.1:${(app.address() as { port: number }).port}/slack/events`);
    try {
      const typed = await post('/api/command', { user: 'U_CAROL', text: '/dbupdate form' });
      expect(typed.status).toBe(200);
      const triggerId = String(received[0]!.trigger_id);
      const view = { type: 'modal', callback_id: 'cb', notify_on_close: true, title: { type: 'plain_text', text: 'A form' }, close: { type: 'plain_text', text: 'Cancel' }, blocks: [] };
      const opened = (await (await fetch(`${slack.apiUrl}views.open`, { method: 'POST', headers: { authorization: `Bearer ${slack.botToken}`, 'content-type': 'application/json' }, body: JSON.stringify({ trigger_id: triggerId, view }) })).json()) as { ok: boolean; view: { id: string } };
      expect(opened.ok).toBe(true);
      const shown = (await (await fetch(new URL('/api/view?user=U_CAROL', con.url))).json()) as { modal: { id: string; html: string } | null };
      expect(shown.modal?.id).toBe(opened.view.id);
      expect(shown.modal?.html).toContain('<div class="modal-title">A form</div>');
      const other = (await (await fetch(new URL('/api/view?user=U_BOB', con.url))).json()) as { modal: unknown };
      expect(other.modal).toBeNull();
      const wrongUser = await post('/api/close-view', { user: 'U_BOB', viewId: opened.view.id });
      expect(wrongUser.status).toBe(404);
      expect(((await wrongUser.json()) as { error: string }).error).toMatch(/belongs to U_CAROL/);
      const closed = await post('/api/close-view', { user: 'U_CAROL', viewId: opened.view.id });
      expect(closed.status).toBe(200);
      expect(slack.openViews()).toHaveLength(0);
      expect(received[1]).toMatchObject({ type: 'view_closed', user: { id: 'U_CAROL' }, view: { id: opened.view.id, callback_id: 'cb' }, is_cleared: false });
    } finally {
      slack.setHttpEndpoint(undefined);
      await new Promise<void>((r) => app.close(() => r()));
    }
  });

  it('posts plain text as a message of the chosen user', async () => {
    const res = await post('/api/command', { user: 'U_BOB', text: 'hello <b>' });
    expect(res.status).toBe(200);
    const view = (await (await fetch(new URL('/api/view?user=U_ALICE', con.url))).json()) as { channel: string };
    expect(view.channel).toContain('hello &lt;b&gt;');
    expect(slack.messages('C_DBOPS').map((m) => [m.user, m.text])).toEqual([['U_BOB', 'hello <b>']]);
  });
});
