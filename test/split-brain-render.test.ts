/**
 * The last word in Slack is the current leader's (issue #21 item 8). Slack cannot check a fencing token:
 * a leader frozen after its fence check, with its `chat.update` of a request's parent message not yet on
 * the wire, sends it when it wakes, over what the new leader rendered. Two real bot processes
 * (`src/main.ts`); replica A reaches Slack's Web API through a proxy that holds A's next `chat.update`
 * *before* forwarding it (the edit passed A's fence, then A is frozen with SIGSTOP). Replica B takes the
 * Lease and finishes the update, rendering the parent as Succeeded. Then the held edit is let through
 * (landing after B's final rendering, as the 4-in-8 runs did) and A is resumed. B reads the
 * parent back from Slack a renew deadline after its final rendering (and after taking the Lease), finds a
 * former leader's rendering, and renders it again: the parent ends in the finished state.
 */
import { createServer, request as httpRequest, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmbeddedCluster, worldConfig, USERS, CHANNEL, type EmbeddedCluster } from '../sim/world.js';
import { SlackEmulator } from '../sim/slack/server.js';
import { spawnBot, writeBotFiles, waitUntilLeading, type BotProcess } from '../sim/bot-process.js';
import { approve, pollUntil, request, settle } from '../sim/script.js';
import { RecordStore } from '../src/updates/records.js';
import { LEASE_NAME } from '../src/bot.js';
import { contentKey, renderParent } from '../src/slack/render.js';

/** A forwarding proxy that can hold the next request matching `holdNext` before forwarding it, until `release()`. */
class HoldingProxy {
  holdNext?: (method: string, url: string) => boolean;
  private held: Array<() => void> = [];
  /** Statuses of the held requests once forwarded and answered. */
  readonly releasedStatus: number[] = [];
  private constructor(
    private readonly server: Server,
    readonly url: string,
  ) {}

  static async start(target: string): Promise<HoldingProxy> {
    let self: HoldingProxy | undefined;
    const server = createServer((req, res) => self!.forward(target, req, res));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    self = new HoldingProxy(server, `http://127.0.0.1:${(server.address() as { port: number }).port}`);
    return self;
  }

  private forward(target: string, req: IncomingMessage, res: ServerResponse): void {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const hold = this.holdNext?.(req.method ?? 'GET', req.url ?? '/') ?? false;
      if (hold) this.holdNext = undefined;
      const send = () => {
        const up = httpRequest(new URL(req.url ?? '/', target), { method: req.method, headers: req.headers }, (answer) => {
          if (hold) this.releasedStatus.push(answer.statusCode ?? 0);
          res.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(res);
        });
        up.on('error', () => res.destroy());
        up.end(Buffer.concat(chunks));
      };
      if (hold) this.held.push(send);
      else send();
    });
  }

  heldCount(): number {
    return this.held.length;
  }

  release(): void {
    this.held.splice(0).forEach((f) => f());
  }

  async stop(): Promise<void> {
    this.release();
    this.server.closeAllConnections();
    await new Promise<void>((r) => this.server.close(() => r()));
  }
}

let cluster: EmbeddedCluster;
let slack: SlackEmulator;
let slackProxy: HoldingProxy;
const procs: BotProcess[] = [];

beforeAll(async () => {
  cluster = await startEmbeddedCluster({ podReadyDelayMs: 30, stepDelayMs: 30 });
  slack = await SlackEmulator.start({ channels: [{ id: CHANNEL, name: 'db-ops' }], ackTimeoutMs: 15_000 });
  slackProxy = await HoldingProxy.start(slack.apiUrl.replace(/\/api\/$/, ''));
});
afterAll(async () => {
  for (const p of procs) {
    p.kill('SIGCONT');
    p.kill('SIGKILL');
  }
  await Promise.all(procs.map((p) => p.exited));
  await slackProxy?.stop();
  await slack?.stop();
  await cluster?.stop();
});

describe('split-brain: a frozen leader\'s chat.update lands after the new leader\'s final rendering', () => {
  it('SIGSTOP with a chat.update past the fence; B finishes; the edit lands; B renders the parent again', async () => {
    // Lease 3 s: renew every 1 s, renew deadline 2 s.
    const files = writeBotFiles(cluster, worldConfig({ leaseDurationSeconds: 3 }));
    const a = spawnBot({ files, slack: { botToken: slack.botToken, appToken: slack.appToken, apiUrl: `${slackProxy.url}/api/` }, identity: 'bot-a', env: { PORT: '0' } });
    procs.push(a);
    await waitUntilLeading(cluster, slack, 'bot-a', a);
    const b = spawnBot({ files, slack, identity: 'bot-b', env: { PORT: '0' } });
    procs.push(b);
    await slack.waitFor(() => slack.socketConnections() >= 2 || undefined, { timeoutMs: 60_000, what: 'bot-b to connect' });

    const records = new RecordStore(cluster.kube, 'dbupdate');
    const { record, parent } = await request(slack, records, USERS.requester, CHANNEL, 'mysql orders 8.0.36', 20_000);
    // A's next edit (the parent, once approved) passes A's fence, reaches the proxy, and is held there.
    slackProxy.holdNext = (method, url) => method === 'POST' && url.includes('/chat.update');
    await approve(slack, CHANNEL, parent, USERS.approver);
    await pollUntil(async () => slackProxy.heldCount() > 0 || undefined, 30_000, () => 'bot-a to edit the parent');
    a.kill('SIGSTOP');

    // B takes the Lease and finishes; its final rendering of the parent is in Slack.
    await pollUntil(async () => {
      const lease = await cluster.kube.coordination.readNamespacedLease({ name: LEASE_NAME, namespace: 'dbupdate' }).catch(() => undefined);
      return lease?.spec?.holderIdentity?.startsWith('bot-b') || undefined;
    }, 30_000, () => 'bot-b to take the Lease');
    const done = await settle(records, record.metadata.name, 60_000);
    expect(done.status?.phase, done.status?.message).toBe('Succeeded');
    const finished = contentKey(renderParent(done));
    await pollUntil(async () => contentKey(slack.message(CHANNEL, parent.ts)!) === finished || undefined, 30_000, () => `bot-b's final rendering of the parent:\n${b.output()}`);

    // A's held edit goes out now, after B's final rendering; then A wakes.
    const versionsBefore = slack.message(CHANNEL, parent.ts)!.history.length;
    slackProxy.release();
    await pollUntil(async () => slackProxy.releasedStatus.length > 0 || undefined, 10_000, () => 'the held edit to be answered');
    expect(slackProxy.releasedStatus).toEqual([200]);
    a.kill('SIGCONT');
    // The stale edit did land over B's rendering (the scenario the issue found)…
    const stale = slack.message(CHANNEL, parent.ts)!;
    expect(stale.history.length).toBeGreaterThan(versionsBefore);
    const overwritten = contentKey(stale) !== finished || contentKey(stale.history[stale.history.length - 1]) === finished;
    expect(overwritten).toBe(true);
    // …and B renders the parent again: the final rendering is the finished state.
    await pollUntil(async () => {
      const m = slack.message(CHANNEL, parent.ts)!;
      return (m.history.length > versionsBefore + 1 && contentKey(m) === finished) || undefined;
    }, 20_000, () => `bot-b to render the parent again (now: ${slack.message(CHANNEL, parent.ts)!.text})\nB:\n${b.output().split('\n').filter((l) => /rendering|stale|Slack/.test(l)).join('\n')}`);
    expect(b.output()).toMatch(/Slack showed another rendering than this leader's/);
    // and it stays so once A has stepped down
    await pollUntil(async () => /lost leadership|stepping down/.test(a.output()) || undefined, 30_000, () => `bot-a to step down:\n${a.output()}`);
    await new Promise((r) => setTimeout(r, 2500));
    expect(contentKey(slack.message(CHANNEL, parent.ts)!)).toBe(finished);
  }, 240_000);
});
