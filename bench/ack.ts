/**
 * Ack latency: a burst of slash commands over Socket Mode, timed by the Slack emulator from the moment an
 * envelope is written to the socket to the moment its ack arrives (`EnvelopeRecord.sentAtNs/ackedAtNs`).
 * Baseline: a bare Bolt app built with the same `createSlackApp` settings whose `/dbupdate` handler only
 * acks, on the same emulator, with the same burst, in the same run. Both the bot and the bare app come
 * from `src/` compiled at the start of the run (`tsconfig.build.json`, as the image runs `dist/`), loaded
 * into this process (see {@link Build}).
 * Each command asks for a database that does not exist, so the bot does real work after acking
 * (preflight against the cluster, an ephemeral refusal: in the ack when it is known within the ack budget,
 * else through `response_url`) while the burst is in flight.
 * A second bot burst of `help` (answered in the ack itself, no work after it) isolates the ack path; its
 * baseline is the bare app acking with the same help text (the payload alone costs a few ms per burst).
 *
 * Rounds: one figure of a single burst moves by ±50 % on this 2-core machine (three busy threads), so a
 * run has several rounds, each measuring the bare app, the bare app with the help text and the bot
 * (refused commands, then `help`), the bot last in even rounds and first in odd ones; every burst comes
 * after a warm-up burst and a forced GC (`--expose-gc`), and the bot's next burst only once the previous
 * one's refusals are all posted. The judged figures are the medians over rounds of each variant's p99;
 * every round's figures are in `results.json`.
 *
 * Two layouts, both measured in every run, each with its own bare-app baseline:
 * - **worker** (the target's figures): the Kubernetes emulator with simulated KubeDB and the Slack
 *   emulator each run in a `worker_threads` Worker (`sim/worker-cluster.ts`); the bot (or the bare
 *   app) has the main thread to itself and reaches both over HTTP/WebSocket, as in production.
 * - **same thread** (informative, the former harness): emulators, simulated KubeDB and the bot share one
 *   event loop, so the emulators serving the bot's preflight requests delay the acks still queued, and
 *   the emulator's own ack timestamps wait for the bot's work.
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { KubeConfig } from '@kubernetes/client-node';
import type { createLogger } from '../src/log.js';
import type { createSlackApp, SlackSettings } from '../src/slack/app.js';
import type { startBot } from '../src/bot.js';
import type { Kube } from '../src/kube/client.js';
import type { validateConfig } from '../src/policy/config.js';
import type { helpText } from '../src/command/help.js';
import { BOT_SA_TOKEN, CHANNEL, USERS, WORLD_CONFIG_INPUT, startEmbeddedCluster } from '../sim/world.js';
import { SlackEmulator } from '../sim/slack/server.js';
import { startWorkerCluster, startWorkerSlack } from '../sim/worker-cluster.js';
import { nsToMs, percentile, row, type Row } from './common.js';
import { compile } from './scale.js';

/**
 * The compiled bot (`tsconfig.build.json`, as the image runs it: `node dist/main.js`), loaded into this
 * process. Measured (in-process burst of 200 refused commands through `App.processEvent`): the same bot
 * run from `src/` through tsx took 109–117 µs per envelope against 93–98 µs compiled, because tsx's
 * esbuild transform wraps every function the bot creates in a `__name(…)` call; the bare app is Bolt's
 * own (untransformed) code, so a bench on `src/` charged that difference to the bot alone.
 */
interface Build {
  createSlackApp: typeof createSlackApp;
  startBot: typeof startBot;
  createLogger: typeof createLogger;
  helpText: typeof helpText;
  /** The bot's configuration (`WORLD_CONFIG_INPUT`, validated by the compiled `validateConfig`). */
  config: ReturnType<typeof validateConfig>;
  /** A compiled `Kube` client for a kubeconfig (YAML). */
  kube(kubeconfig: string): Kube;
}

async function loadBuild(dist: string): Promise<Build> {
  const mod = (p: string) => import(pathToFileURL(join(dist, p)).href);
  const [log, app, bot, help, client, cfg] = await Promise.all([mod('log.js'), mod('slack/app.js'), mod('bot.js'), mod('command/help.js'), mod('kube/client.js'), mod('policy/config.js')]);
  const KubeClass = client.Kube as typeof Kube;
  return {
    createSlackApp: app.createSlackApp,
    startBot: bot.startBot,
    createLogger: log.createLogger,
    helpText: help.helpText,
    config: (cfg.validateConfig as typeof validateConfig)(WORLD_CONFIG_INPUT),
    kube(kubeconfig) {
      const kc = new KubeConfig();
      kc.loadFromString(kubeconfig);
      return new KubeClass(kc, 'sim');
    },
  };
}

/** What the benchmark needs of a Slack emulator, wherever it runs. */
interface SlackSide {
  settings: SlackSettings;
  /** Ack latencies (ms) and the text each ack carried. */
  burst(texts: string[]): Promise<{ ms: number[]; ackTexts: Array<string | undefined> }>;
  stats(): Promise<{ responsePosts: number; socketConnections: number }>;
}

/** One round's ack latencies (ms) of each variant, all against the same emulators. */
interface Round {
  /** Bare app, plain ack (the baseline). */
  bareMs: number[];
  /** Bare app acking with the help text (the baseline of the bot's `help` burst: same payload). */
  bareHelpMs: number[];
  /** The bot: commands for missing databases (work after each ack). */
  botMs: number[];
  /** The bot: `help` (answered in the ack). */
  helpMs: number[];
  refused: number;
}

/** Per-layout result: one {@link Round} per round. */
interface Figures {
  rounds: Round[];
}

/** The bot's ack of a command whose answer is still to come (`late` of src/slack/listeners/commands/request.ts). */
const LATE_ACK = /busy or slower than usual/;

const texts = (n: number, tag: string, help: boolean) => Array.from({ length: n }, (_, i) => (help ? 'help' : `mysql nosuch-${tag}-${i} 8.4`));

/**
 * Collect garbage before a measured burst (`--expose-gc`, set by `npm run bench`), so that no variant
 * pays for garbage another left behind; a no-op without the flag.
 */
const collect = () => (globalThis as { gc?: () => void }).gc?.();

/** Wait until no Socket Mode client is connected (the previous app has gone). */
async function disconnected(slack: SlackSide): Promise<void> {
  const deadline = Date.now() + 5000;
  while ((await slack.stats()).socketConnections > 0) {
    if (Date.now() > deadline) throw new Error('bench: the previous app did not disconnect');
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** A bare Bolt app whose `/dbupdate` handler only acks (with `payload`, if given): warm-up burst, then the measured burst. */
async function bareBurst(build: Build, slack: SlackSide, opts: { burst: number; warmup: number }, tag: string, payload?: { response_type: 'ephemeral'; text: string }): Promise<number[]> {
  const bare = build.createSlackApp(slack.settings, build.createLogger('silent'));
  bare.command('/dbupdate', async ({ ack }) => {
    await (payload ? ack(payload) : ack());
  });
  await bare.init();
  await bare.start();
  try {
    await slack.burst(texts(opts.warmup, `${tag}-warm`, !!payload));
    collect();
    return (await slack.burst(texts(opts.burst, tag, !!payload))).ms;
  } finally {
    await bare.stop();
    await disconnected(slack);
  }
}

/**
 * One round: the bare app (plain ack), the bare app acking with the help text, and the bot (refused
 * commands, waiting for every refusal to be posted, then `help`), each after a warm-up burst. Odd rounds
 * run the bot first and even rounds last, so that neither side always runs on a warmer (or more tired)
 * process.
 */
async function round(build: Build, slack: SlackSide, kube: Kube, opts: { burst: number; warmup: number }, n: number): Promise<Round> {
  const bares = async () => ({
    bareMs: await bareBurst(build, slack, opts, `bare${n}`),
    bareHelpMs: await bareBurst(build, slack, opts, `barehelp${n}`, { response_type: 'ephemeral', text: build.helpText() }),
  });
  if (n % 2 === 1) {
    const b = await botBursts(build, slack, kube, opts, n);
    return { ...(await bares()), ...b };
  }
  const a = await bares();
  return { ...a, ...(await botBursts(build, slack, kube, opts, n)) };
}

/** The bot's bursts of a round: refused commands (then every refusal posted), then `help`. */
async function botBursts(build: Build, slack: SlackSide, kube: Kube, opts: { burst: number; warmup: number }, n: number): Promise<Pick<Round, 'botMs' | 'helpMs' | 'refused'>> {
  const bot = await build.startBot({ kube, config: build.config, log: build.createLogger('silent'), slack: slack.settings });
  try {
    const postsBefore = (await slack.stats()).responsePosts;
    // Each burst's refusals are all posted before the next burst: a burst is measured alone, not on top
    // of the previous one's follow-ups.
    // A refusal comes in the ack when the bot knew it within its ack budget (src/slack/ack.ts), else
    // through response_url after an ack saying it is coming: each command gets exactly one of the two.
    let inAck = 0;
    const answeredInAck = (b: { ackTexts: Array<string | undefined> }) => b.ackTexts.filter((t) => t !== undefined && !LATE_ACK.test(t)).length;
    const posted = async (want: number) => {
      const deadline = Date.now() + 30_000;
      while ((await slack.stats()).responsePosts - postsBefore + inAck < want && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      return (await slack.stats()).responsePosts - postsBefore + inAck;
    };
    const warm = await slack.burst(texts(opts.warmup, `bot${n}-warm`, false));
    inAck += answeredInAck(warm);
    await posted(opts.warmup);
    collect();
    const measured = await slack.burst(texts(opts.burst, `bot${n}`, false));
    const botMs = measured.ms;
    inAck += answeredInAck(measured);
    const refused = await posted(opts.warmup + opts.burst);
    collect();
    const helpMs = (await slack.burst(texts(opts.burst, `help${n}`, true))).ms;
    return { botMs, helpMs, refused };
  } finally {
    await bot.stop();
    await disconnected(slack);
  }
}

/** `rounds` rounds against one Slack side and one cluster client. */
async function measure(build: Build, slack: SlackSide, botKubeconfig: string, opts: { burst: number; warmup: number; rounds: number }): Promise<Figures> {
  const kube = build.kube(botKubeconfig);
  const rounds: Round[] = [];
  for (let i = 0; i < opts.rounds; i++) rounds.push(await round(build, slack, kube, opts, i));
  return { rounds };
}

/** Everything in this thread (the former layout). */
async function sameThread(build: Build, opts: { burst: number; warmup: number; rounds: number }): Promise<Figures> {
  const cluster = await startEmbeddedCluster({ podReadyDelayMs: 15, stepDelayMs: 15 });
  const slack = await SlackEmulator.start({ channels: [{ id: CHANNEL, name: 'db-ops' }] });
  try {
    const side: SlackSide = {
      settings: { botToken: slack.botToken, appToken: slack.appToken, apiUrl: slack.apiUrl, retries: 2 },
      async burst(t) {
        const sent = await Promise.all(t.map((text) => slack.typeCommand({ user: USERS.requester, channel: CHANNEL, text })));
        const ids = new Set(sent.map((s) => s.envelopeId));
        const ms = slack
          .envelopes()
          .filter((e) => ids.has(e.envelope.envelope_id) && e.sentAtNs !== undefined && e.ackedAtNs !== undefined)
          .map((e) => nsToMs(e.ackedAtNs! - e.sentAtNs!));
        const ackTexts = sent.map((s) => (s.ackPayload as { text?: unknown } | undefined)?.text).map((x) => (typeof x === 'string' ? x : undefined));
        return { ms, ackTexts };
      },
      stats: async () => ({ responsePosts: slack.responsePosts.length, socketConnections: slack.socketConnections() }),
    };
    return await measure(build, side, cluster.server.kubeconfigYaml({ token: BOT_SA_TOKEN }), opts);
  } finally {
    await slack.stop();
    await cluster.stop();
  }
}

/** Emulators in Workers, the bot alone on this thread (the production layout). */
async function workers(build: Build, opts: { burst: number; warmup: number; rounds: number }): Promise<Figures> {
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
    return await measure(build, side, cluster.botKubeconfig, opts);
  } finally {
    await slack.stop();
    await cluster.stop();
  }
}

const stats = (ms: number[]) => ({ n: ms.length, p50: percentile(ms, 50), p99: percentile(ms, 99), max: Math.max(...ms) });
/** Median of the rounds' values. */
const median = (v: number[]) => percentile(v, 50);

/**
 * Run the ack-latency benchmark: `rounds` rounds of bursts of `burst` commands (each after a warm-up burst
 * of `warmup`) in the worker layout, judged on the median over rounds of each variant's p99; one round in
 * the same-thread layout, informative.
 */
export async function benchAck(opts: { burst: number; warmup: number; rounds: number }): Promise<{ rows: Row[]; detail: Record<string, unknown> }> {
  // A discarded round of both layouts first: the first Bolt apps and bots of a process run on cold code
  // (JIT), which would penalize whichever layout is measured first by 2× and more.
  const warm = { burst: opts.warmup * 2, warmup: opts.warmup, rounds: 1 };
  const compiled = compile();
  let w: Figures;
  let s: Figures;
  try {
    const build = await loadBuild(compiled.dist);
    await workers(build, warm);
    await sameThread(build, warm);
    w = await workers(build, opts);
    s = await sameThread(build, { ...opts, rounds: 1 });
  } finally {
    rmSync(compiled.dir, { recursive: true, force: true });
  }
  const target = '≤ 1.5× bare and < 50 ms';
  const rows: Row[] = [];
  for (const [f, layout, judged] of [
    // The target is the issue's, for a burst of 200; smaller bursts (--quick) are a smoke run, informative.
    [w, 'emulators in workers', opts.burst >= 200],
    [s, 'same thread (old)', false],
  ] as const) {
    const of = (pick: (r: Round) => number[], p: number) => median(f.rounds.map((r) => percentile(pick(r), p)));
    const b50 = of((r) => r.bareMs, 50);
    const b99 = of((r) => r.bareMs, 99);
    const bh99 = of((r) => r.bareHelpMs, 99);
    const p99 = of((r) => r.botMs, 99);
    const h99 = of((r) => r.helpMs, 99);
    const n = f.rounds.length;
    // Every envelope acked and every refusal posted, in every round: a bot that lost follow-ups (or acks)
    // must not pass by being quick.
    const complete = f.rounds.every(
      (r) => [r.bareMs, r.bareHelpMs, r.botMs, r.helpMs].every((ms) => ms.length === opts.burst) && r.refused === opts.warmup + opts.burst,
    );
    const over = n > 1 ? `, median of ${n} rounds` : '';
    const bl = `bare Bolt app, ${layout}`;
    rows.push(
      row({ bench: 'ack latency', figure: `p50 ack, burst of ${opts.burst}, ${layout}${over}`, value: of((r) => r.botMs, 50), unit: 'ms', baseline: b50, baselineLabel: `${bl}, p50` }),
      row({
        bench: 'ack latency',
        figure: `p99 ack, burst of ${opts.burst}, ${layout}${over}`,
        value: p99,
        unit: 'ms',
        baseline: b99,
        baselineLabel: `${bl}, p99`,
        ...(judged ? { target: `${target}, every ack and refusal`, pass: complete && p99 <= 1.5 * b99 && p99 < 50 } : {}),
      }),
      row({
        bench: 'ack latency',
        figure: `p99 ack, burst of ${opts.burst} \`help\` (answered in the ack), ${layout}${over}`,
        value: h99,
        unit: 'ms',
        baseline: bh99,
        baselineLabel: `${bl} acking with the same help text, p99`,
        ...(judged ? { target: `${target}, every ack`, pass: complete && h99 <= 1.5 * bh99 && h99 < 50 } : {}),
      }),
    );
  }
  const detail = (f: Figures) =>
    f.rounds.map((r) => ({ bareMs: stats(r.bareMs), bareHelpMs: stats(r.bareHelpMs), botMs: stats(r.botMs), botHelpMs: stats(r.helpMs), refusalsPosted: r.refused }));
  return { rows, detail: { bot: 'compiled (tsconfig.build.json), in this process', compileMs: compiled.ms, burst: opts.burst, warmup: opts.warmup, rounds: opts.rounds, workers: detail(w), sameThread: detail(s) } };
}
