/**
 * The console's HTTP server (node:http, 127.0.0.1 only): serves the page and its assets, a JSON view of
 * the channel for a chosen user, Server-Sent Events that tick when the Slack emulator or the cluster
 * changes, and four actions that act as a person through the Slack emulator's public API (the same calls
 * the tests use): type a slash command, click a button, submit or close a modal.
 *
 * Routes:
 * - `GET /` the page; `GET /app.js`, `GET /app.css` its assets.
 * - `GET /api/meta` → `{channel: {id, name}, users: [{id, name, real_name}]}` (humans only).
 * - `GET /api/view?user=U…[&thread=ts]` → `{channel: html, thread: {html, replies} | null, cluster: html,
 *   modal: {id, version, html} | null}` (the thread open in the side pane; the user's top open modal).
 * - `GET /events` → `text/event-stream`, an event `change` (at most every 100 ms) after any change.
 * - `POST /api/command {user, text}` (`text` starting with `/`: a slash command, else a plain message),
 *   `POST /api/click {user, ts, actionId, blockId?, value?}` (`value`: the clicked button's, which tells apart
 *   buttons that share an action_id in blocks without a block_id, such as a drift report's rows), `POST /api/submit {user, viewId, values}`,
 *   `POST /api/close-view {user, viewId}` → `{ok: true, ack?}` or `4xx {ok: false, error}`.
 *
 * Requests must name this server as `Host` (127.0.0.1 or localhost with its port: no DNS rebinding) and
 * actions must be `application/json` (a cross-site form cannot send it without a CORS preflight, which
 * is never granted). Pages are served with a Content-Security-Policy that allows only this origin's script.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import type { SlackEmulator, SlackUser } from '../sim/slack/server.js';
import type { Store } from '../sim/kube/store.js';
import { clusterView, watchCluster } from './cluster.js';
import { renderChannel, renderThread, type TypedCommandEntry } from './render-channel.js';
import { renderCluster } from './render-cluster.js';
import { blocksToHtml, textObject } from './render-blocks.js';
import { escapeHtml } from './render-mrkdwn.js';

/** Options of {@link startConsole}. */
export interface ConsoleOptions {
  slack: SlackEmulator;
  /** The cluster emulator's store (read for the side panel). */
  store: Store;
  /** Channel id shown (e.g. `C_DBOPS`). */
  channel: string;
  /** TCP port on 127.0.0.1; 0 (default) picks a free one. */
  port?: number;
}

/** A running console. */
export interface Console {
  /** `http://127.0.0.1:PORT/` */
  url: string;
  stop(): Promise<void>;
}

/** Slash commands the console lets people type (the ones the app registers, see manifest.json). */
const COMMANDS = ['/dbupdate'];
const MAX_BODY = 64 * 1024;
const ASSETS: Record<string, { file: string; type: string }> = {
  '/': { file: 'index.html', type: 'text/html; charset=utf-8' },
  '/app.js': { file: 'app.js', type: 'text/javascript; charset=utf-8' },
  '/app.css': { file: 'app.css', type: 'text/css; charset=utf-8' },
};
const CSP = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

const userId = z.string().min(1).max(64);
const Bodies = {
  command: z.object({ user: userId, text: z.string().min(1, 'type something').max(4000) }),
  click: z.object({ user: userId, ts: z.string().regex(/^\d+\.\d+$/, 'a Slack ts'), actionId: z.string().min(1).max(255), blockId: z.string().max(255).optional(), value: z.string().max(2000).optional() }),
  submit: z.object({
    user: userId,
    viewId: z.string().min(1).max(64),
    values: z.record(z.string(), z.record(z.string(), z.object({ type: z.string(), value: z.string().optional(), selected_option: z.object({ value: z.string() }).optional(), selected_channel: z.string().max(64).nullable().optional() }))),
  }),
  closeView: z.object({ user: userId, viewId: z.string().min(1).max(64) }),
};

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

function asset(file: string): string {
  return readFileSync(fileURLToPath(new URL(`./static/${file}`, import.meta.url)), 'utf8');
}

function send(res: ServerResponse, status: number, type: string, body: string): void {
  res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store', 'x-content-type-options': 'nosniff', 'content-security-policy': CSP, 'referrer-policy': 'no-referrer' });
  res.end(body);
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  if (!/^application\/json\b/i.test(req.headers['content-type'] ?? '')) throw new HttpError(415, 'send the body as application/json');
  let size = 0;
  const chunks: Buffer[] = [];
  for await (const c of req) {
    size += (c as Buffer).length;
    if (size > MAX_BODY) throw new HttpError(413, `body larger than ${MAX_BODY} bytes`);
    chunks.push(c as Buffer);
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown;
  } catch {
    throw new HttpError(400, 'the body is not valid JSON');
  }
}

function parse<T>(schema: z.ZodType<T>, v: unknown): T {
  const r = schema.safeParse(v);
  if (!r.success) throw new HttpError(400, `bad request: ${r.error.issues.map((i) => `${i.path.join('.') || 'body'}: ${i.message}`).join('; ')}`);
  return r.data;
}

/** Start the console for an already running Slack emulator and cluster store. */
export async function startConsole(opts: ConsoleOptions): Promise<Console> {
  const { slack, store, channel } = opts;
  const commands: TypedCommandEntry[] = [];
  const clients = new Set<ServerResponse>();
  let pending: NodeJS.Timeout | undefined;
  const changed = () => {
    pending ??= setTimeout(() => {
      pending = undefined;
      for (const c of clients) c.write('event: change\ndata: {}\n\n');
    }, 100);
  };
  const unsubscribeSlack = slack.onChange(changed);
  const unwatchCluster = watchCluster(store, changed);
  const heartbeat = setInterval(() => {
    for (const c of clients) c.write(': keep-alive\n\n');
  }, 15_000);

  /** The channel's name, from the first line of the emulator's transcript (`#db-ops`). */
  const channelName = (slack.transcript(channel).split('\n', 1)[0] ?? channel).replace(/^#/, '');
  const humans = (): SlackUser[] => slack.users().filter((u) => !u.is_bot);
  const knownUser = (id: string): SlackUser => {
    const u = humans().find((x) => x.id === id);
    if (!u) throw new HttpError(400, `unknown user ${id}: choose one of ${humans().map((x) => x.id).join(', ')}`);
    return u;
  };
  /** Errors the emulator throws for things that do not exist, or an ack that failed, answered as 4xx/502. */
  const act = async <T>(fn: () => Promise<T>): Promise<T> => {
    try {
      return await fn();
    } catch (e) {
      const msg = e instanceof Error ? e.message : String(e);
      throw new HttpError(/^Slack emulator: (unknown|view)/.test(msg) ? 404 : 502, msg);
    }
  };

  const view = (user: string, thread?: string) => {
    const users = new Map(slack.users().map((u) => [u.id, u]));
    const name = channelName;
    const open = slack.openViews().filter((v) => v.user === user && v.view.type === 'modal');
    const top = open[open.length - 1];
    const ctx = { users, channels: [{ id: channel, name }] };
    const modal = top
      ? {
          id: top.id,
          /** Changes when the view is replaced (`views.update`, `response_action: update`). */
          version: `${top.id}:${String(top.view.hash)}`,
          html: `<div class="modal-title">${textObject(top.view.title, ctx)}</div><form class="modal-body" data-view-id="${escapeHtml(top.id)}">${blocksToHtml(top.view.blocks ?? [], ctx)}</form><div class="modal-foot"><button type="button" class="btn" data-modal="cancel">${textObject(top.view.close, ctx) || 'Cancel'}</button>${top.view.submit ? `<button type="button" class="btn btn-primary" data-modal="submit">${textObject(top.view.submit, ctx)}</button>` : ''}</div>`,
        }
      : null;
    const input = { channelName: name, messages: slack.messages(channel), commands, users, viewer: user };
    return {
      channel: renderChannel(input),
      thread: thread ? renderThread(input, thread) : null,
      cluster: renderCluster(clusterView(store)),
      modal,
    };
  };

  const handle = async (req: IncomingMessage, res: ServerResponse, port: number): Promise<void> => {
    const host = req.headers.host ?? '';
    if (host !== `127.0.0.1:${port}` && host !== `localhost:${port}`) throw new HttpError(421, `this console answers only to 127.0.0.1:${port}`);
    const url = new URL(req.url ?? '/', `http://${host}`);
    const json = (v: unknown) => send(res, 200, 'application/json; charset=utf-8', JSON.stringify(v));
    if (req.method === 'GET') {
      const a = ASSETS[url.pathname];
      if (a) return send(res, 200, a.type, asset(a.file));
      if (url.pathname === '/api/meta') return json({ channel: { id: channel, name: channelName }, users: humans().map((u) => ({ id: u.id, name: u.name, real_name: u.real_name })) });
      if (url.pathname === '/api/view') return json(view(knownUser(url.searchParams.get('user') ?? '').id, url.searchParams.get('thread') ?? undefined));
      if (url.pathname === '/events') {
        res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-store', connection: 'keep-alive' });
        res.write('retry: 1000\n\n');
        clients.add(res);
        req.on('close', () => clients.delete(res));
        return;
      }
      throw new HttpError(404, `no page at ${url.pathname}`);
    }
    if (req.method !== 'POST') throw new HttpError(405, 'only GET and POST');
    const body = await readJson(req);
    switch (url.pathname) {
      case '/api/command': {
        const b = parse(Bodies.command, body);
        const user = knownUser(b.user);
        const text = b.text.trim();
        if (!text.startsWith('/')) {
          slack.postAsUser({ user: user.id, channel, text });
          return json({ ok: true });
        }
        const command = text.split(/\s+/, 1)[0]!;
        if (!COMMANDS.includes(command)) throw new HttpError(400, `${command} is not a valid command in this workspace: the app registers ${COMMANDS.join(', ')}`);
        const args = text.slice(command.length).trim();
        const now = Date.now();
        commands.push({ ts: `${Math.floor(now / 1000)}.${String((now % 1000) * 1000).padStart(6, '0')}`, user: user.id, command, text: args });
        changed();
        const r = await act(() => slack.typeCommand({ user: user.id, channel, text: args, command }));
        return json({ ok: true, ack: r.ackPayload ?? null });
      }
      case '/api/click': {
        const b = parse(Bodies.click, body);
        const user = knownUser(b.user);
        const r = await act(() => slack.clickButton({ user: user.id, channel, messageTs: b.ts, actionId: b.actionId, ...(b.blockId ? { blockId: b.blockId } : {}), ...(b.value !== undefined ? { value: b.value } : {}) }));
        return json({ ok: true, ack: r.ackPayload ?? null });
      }
      case '/api/submit': {
        const b = parse(Bodies.submit, body);
        const user = knownUser(b.user);
        const r = await act(() => slack.submitView({ user: user.id, viewId: b.viewId, values: b.values }));
        return json({ ok: true, ack: r.ackPayload ?? null });
      }
      case '/api/close-view': {
        const b = parse(Bodies.closeView, body);
        const user = knownUser(b.user);
        await act(() => slack.closeView({ user: user.id, viewId: b.viewId }));
        return json({ ok: true });
      }
      default:
        throw new HttpError(404, `no action at ${url.pathname}`);
    }
  };

  const server: Server = createServer((req, res) => {
    handle(req, res, port).catch((e: unknown) => {
      const status = e instanceof HttpError ? e.status : 500;
      const error = e instanceof Error ? e.message : String(e);
      if (!res.headersSent) send(res, status, 'application/json; charset=utf-8', JSON.stringify({ ok: false, error }));
      else res.end();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}/`,
    async stop() {
      clearInterval(heartbeat);
      if (pending) clearTimeout(pending);
      unsubscribeSlack();
      unwatchCluster();
      for (const c of clients) c.end();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
