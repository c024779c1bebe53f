/**
 * Ack latency: a burst of slash commands over Socket Mode, timed by the Slack emulator from the moment an
 * envelope is written to the socket to the moment its ack arrives (`EnvelopeRecord.sentAtNs/ackedAtNs`).
 * Baseline: a bare Bolt app built with the same `createSlackApp` settings whose `/dbupdate` handler only
 * acks, on the same emulator, with the same burst, in the same run (bare app first, then the bot).
 * Each command asks for a database that does not exist, so the bot does real work after acking
 * (preflight against the cluster, an ephemeral refusal through `response_url`) while the burst is in flight.
 * A second bot burst of `help` (answered in the ack itself, no work after it) isolates the ack path.
 *
 * Two layouts, both measured in every run, each with its own bare-app baseline:
 * - **worker** (the target's figures): the Kubernetes emulator with simulated KubeDB and the Slack
 *   emulator each run in a `worker_threads` Worker (`src/sim/worker-cluster.ts`); the bot (or the bare
 *   app) has the main thread to itself and reaches both over HTTP/WebSocket, as in production.
 * - **same thread** (informative, the former harness): emulators, simulated KubeDB and the bot share one
 *   event loop, so the emulators serving the bot's preflight requests delay the acks still queued, and
 *   the emulator's own ack timestamps wait for the bot's work.
 */
import { createLogger } from '../src/log.js';
import { createSlackApp, type SlackSettings } from '../src/slack/app.js';
import { startBot } from '../src/bot.js';
import type { Kube } from '../src/kube/client.js';
import { CHANNEL, USERS, startEmbeddedCluster, worldConfig } from '../src/sim/world.js';
import { SlackEmulator } from '../src/sim/slack/server.js';
import { startWorkerCluster, startWorkerSlack } from '../src/sim/worker-cluster.js';
import { nsToMs, percentile, row, type Row } from './common.js';

/** What the benchmark needs of a Slack emulator, wherever it runs. */
interface SlackSide {
  settings: SlackSettings;
  burst(texts: string[]): Promise<number[]>;
  stats(): Promise<{ responsePosts: number; socketConnections: number }>;
}

/** Per-layout result. */
interface Figures {
  bareMs: number[];
  botMs: number[];
  helpMs: number[];
  refused: number;
}

const texts = (n: number, tag: string, help: boolean) => Array.from({ length: n }, (_, i) => (help ? 'help' : `mysql nosuch-${tag}-${i} 8.4`));

/** Bare app, then the bot, against one Slack side and one cluster client. */
async function measure(slack: SlackSide, kube: Kube, opts: { burst: number; warmup: number }): Promise<Figures> {
  const log = createLogger('silent');
  const bare = createSlackApp(slack.settings, log);
  bare.command('/dbupdate', async ({ ack }) => {
    await ack();
  });
  await bare.start();
  await slack.burst(texts(opts.warmup, 'bare-warm', false));
  const bareMs = await slack.burst(texts(opts.burst, 'bare', false));
  await bare.stop();
  const deadline = Date.now() + 5000;
  while ((await slack.stats()).socketConnections > 0) {
    if (Date.now() > deadline) throw new Error('bench: the bare app did not disconnect');
    await new Promise((r) => setTimeout(r, 10));
  }

  const bot = await startBot({ kube, config: worldConfig(), log, slack: slack.settings });
  try {
    const postsBefore = (await slack.stats()).responsePosts;
    await slack.burst(texts(opts.warmup, 'bot-warm', false));
    const botMs = await slack.burst(texts(opts.burst, 'bot', false));
    const want = opts.warmup + opts.burst;
    const deadline2 = Date.now() + 30_000;
    while ((await slack.stats()).responsePosts - postsBefore < want && Date.now() < deadline2) await new Promise((r) => setTimeout(r, 20));
    const helpMs = await slack.burst(texts(opts.burst, 'help', true));
    const refused = (await slack.stats()).responsePosts - postsBefore;
    return { bareMs, botMs, helpMs, refused };
  } finally {
    await bot.stop();
  }
}

/** Everything in this thread (the former layout). */
async function sameThread(opts: { burst: number; warmup: number }): Promise<Figures> {
  const cluster = await startEmbeddedCluster({ podReadyDelayMs: 15, stepDelayMs: 15 });
  const slack = await SlackEmulator.start({ channels: [{ id: CHANNEL, name: 'db-ops' }] });
  try {
    const side: SlackSide = {
      settings: { botToken: slack.botToken, appToken: slack.appToken, apiUrl: slack.apiUrl, retries: 2 },
      async burst(t) {
        const sent = await Promise.all(t.map((text) => slack.typeCommand({ user: USERS.requester, channel: CHANNEL, text })));
        const ids = new Set(sent.map((s) => s.envelopeId));
        return slack
          .envelopes()
          .filter((e) => ids.has(e.envelope.envelope_id) && e.sentAtNs !== undefined && e.ackedAtNs !== undefined)
          .map((e) => nsToMs(e.ackedAtNs! - e.sentAtNs!));
      },
      stats: async () => ({ responsePosts: slack.responsePosts.length, socketConnections: slack.socketConnections() }),
    };
    return await measure(side, cluster.botKube, opts);
  } finally {
    await slack.stop();
    await cluster.stop();
  }
}

/** Emulators in Workers, the bot alone on this thread (the production layout). */
async function workers(opts: { burst: number; warmup: number }): Promise<Figures> {
  const cluster = await startWorkerCluster({ podReadyDelayMs: 15, stepDelayMs: 15 });
  const slack = await startWorkerSlack().catch(async (err: unknown) => {
    await cluster.stop();
    throw err;
  });
  try {
    const side: SlackSide = {
      settings: { botToken: slack.botToken, appToken: slack.appToken, apiUrl: slack.apiUrl, retries: 2 },
      burst: (t) => slack.burst({ user: USERS.requester, channel: CHANNEL, texts: t }),
      stats: () => slack.stats(),
    };
    return await measure(side, cluster.botKube, opts);
  } finally {
    await slack.stop();
    await cluster.stop();
  }
}

const stats = (ms: number[]) => ({ n: ms.length, p50: percentile(ms, 50), p99: percentile(ms, 99), max: Math.max(...ms) });

/** Run the ack-latency benchmark with a burst of `n` commands (after a warm-up burst of `warmup`), in both layouts. */
export async function benchAck(opts: { burst: number; warmup: number }): Promise<{ rows: Row[]; detail: Record<string, unknown> }> {
  // A discarded round of both layouts first: the first Bolt apps and bots of a process run on cold code
  // (JIT), which would penalize whichever layout is measured first by 2× and more.
  const warm = { burst: opts.warmup * 2, warmup: opts.warmup };
  await workers(warm);
  await sameThread(warm);
  const w = await workers(opts);
  const s = await sameThread(opts);
  const target = '≤ 1.5× bare and < 50 ms';
  const rows: Row[] = [];
  for (const [f, layout, judged] of [
    [w, 'emulators in workers', true],
    [s, 'same thread (old)', false],
  ] as const) {
    const b50 = percentile(f.bareMs, 50);
    const b99 = percentile(f.bareMs, 99);
    const p99 = percentile(f.botMs, 99);
    const h99 = percentile(f.helpMs, 99);
    const bl = `bare Bolt app, ${layout}`;
    rows.push(
      row({ bench: 'ack latency', figure: `p50 ack, burst of ${opts.burst}, ${layout}`, value: percentile(f.botMs, 50), unit: 'ms', baseline: b50, baselineLabel: `${bl}, p50` }),
      row({
        bench: 'ack latency',
        figure: `p99 ack, burst of ${opts.burst}, ${layout}`,
        value: p99,
        unit: 'ms',
        baseline: b99,
        baselineLabel: `${bl}, p99`,
        ...(judged ? { target, pass: p99 <= 1.5 * b99 && p99 < 50 } : {}),
      }),
      row({
        bench: 'ack latency',
        figure: `p99 ack, burst of ${opts.burst} \`help\` (no work after the ack), ${layout}`,
        value: h99,
        unit: 'ms',
        baseline: b99,
        baselineLabel: `${bl}, p99`,
        ...(judged ? { target, pass: h99 <= 1.5 * b99 && h99 < 50 } : {}),
      }),
    );
  }
  const detail = (f: Figures) => ({ bareMs: stats(f.bareMs), botMs: stats(f.botMs), botHelpMs: stats(f.helpMs), refusalsPosted: f.refused });
  return { rows, detail: { burst: opts.burst, warmup: opts.warmup, workers: detail(w), sameThread: detail(s) } };
}
