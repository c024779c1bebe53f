/**
 * Ack latency: a burst of slash commands over Socket Mode, timed by the Slack emulator from the moment an
 * envelope is written to the socket to the moment its ack arrives (`EnvelopeRecord.sentAtNs/ackedAtNs`).
 * Baseline: a bare Bolt app built with the same `createSlackApp` settings whose `/dbupdate` handler only
 * acks, on the same emulator, with the same burst, in the same run (bare app first, then the bot).
 * Each command asks for a database that does not exist, so the bot does real work after acking
 * (preflight against the cluster, an ephemeral refusal through `response_url`) while the burst is in flight.
 * A second bot burst of `help` (answered in the ack itself, no work after it) separates the cost of the
 * ack path from the cost of that work competing for the one event loop the emulators and the bot share.
 */
import { createLogger } from '../src/log.js';
import { createSlackApp } from '../src/slack/app.js';
import { startBot } from '../src/bot.js';
import { CHANNEL, USERS, startEmbeddedCluster, worldConfig } from '../src/sim/world.js';
import { SlackEmulator } from '../src/sim/slack/server.js';
import { nsToMs, percentile, row, waitUntil, type Row } from './common.js';

/** Send `n` commands at once and return each ack latency in ms. */
async function burst(slack: SlackEmulator, n: number, tag: string, help = false): Promise<number[]> {
  const sent = await Promise.all(
    Array.from({ length: n }, (_, i) => slack.typeCommand({ user: USERS.requester, channel: CHANNEL, text: help ? 'help' : `mysql nosuch-${tag}-${i} 8.4` })),
  );
  const ids = new Set(sent.map((s) => s.envelopeId));
  return slack
    .envelopes()
    .filter((e) => ids.has(e.envelope.envelope_id) && e.sentAtNs !== undefined && e.ackedAtNs !== undefined)
    .map((e) => nsToMs(e.ackedAtNs! - e.sentAtNs!));
}

/** Run the ack-latency benchmark with a burst of `n` commands (after a warm-up burst of `warmup`). */
export async function benchAck(opts: { burst: number; warmup: number }): Promise<{ rows: Row[]; detail: Record<string, unknown> }> {
  const log = createLogger('silent');
  const cluster = await startEmbeddedCluster({ podReadyDelayMs: 15, stepDelayMs: 15 });
  const slack = await SlackEmulator.start({ channels: [{ id: CHANNEL, name: 'db-ops' }] });
  const settings = { botToken: slack.botToken, appToken: slack.appToken, apiUrl: slack.apiUrl, retries: 2 };
  try {
    // Baseline: a bare Bolt app that only acks.
    const bare = createSlackApp(settings, log);
    bare.command('/dbupdate', async ({ ack }) => {
      await ack();
    });
    await bare.start();
    await burst(slack, opts.warmup, 'bare-warm');
    const bareMs = await burst(slack, opts.burst, 'bare');
    await bare.stop();
    await waitUntil(() => slack.socketConnections() === 0, 5000, 'the bare app to disconnect');

    // The bot, same emulator, same burst.
    const bot = await startBot({ kube: cluster.kube, config: worldConfig(), log, slack: settings });
    try {
      const postsBefore = slack.responsePosts.length;
      await burst(slack, opts.warmup, 'bot-warm');
      const botMs = await burst(slack, opts.burst, 'bot');
      await waitUntil(() => slack.responsePosts.length - postsBefore >= opts.warmup + opts.burst, 30_000, 'the refusals to be posted').catch(() => undefined);
      const helpMs = await burst(slack, opts.burst, 'help', true);
      const refused = slack.responsePosts.length - postsBefore;
      const b50 = percentile(bareMs, 50);
      const b99 = percentile(bareMs, 99);
      const p50 = percentile(botMs, 50);
      const p99 = percentile(botMs, 99);
      const rows = [
        row({ bench: 'ack latency', figure: `p50 ack, burst of ${opts.burst}`, value: p50, unit: 'ms', baseline: b50, baselineLabel: 'bare Bolt app p50' }),
        row({
          bench: 'ack latency',
          figure: `p99 ack, burst of ${opts.burst}`,
          value: p99,
          unit: 'ms',
          baseline: b99,
          baselineLabel: 'bare Bolt app p99',
          target: '≤ 1.5× bare and < 50 ms',
          pass: p99 <= 1.5 * b99 && p99 < 50,
        }),
        row({
          bench: 'ack latency',
          figure: `p99 ack, burst of ${opts.burst} \`help\` (no work after the ack)`,
          value: percentile(helpMs, 99),
          unit: 'ms',
          baseline: b99,
          baselineLabel: 'bare Bolt app p99',
          target: '≤ 1.5× bare and < 50 ms',
          pass: percentile(helpMs, 99) <= 1.5 * b99 && percentile(helpMs, 99) < 50,
        }),
      ];
      return {
        rows,
        detail: { burst: opts.burst, acked: { bot: botMs.length, bare: bareMs.length }, refusalsPosted: refused, bareMs: { p50: b50, p99: b99, max: Math.max(...bareMs) }, botMs: { p50, p99, max: Math.max(...botMs) }, botHelpMs: { p50: percentile(helpMs, 50), p99: percentile(helpMs, 99), max: Math.max(...helpMs) } },
      };
    } finally {
      await bot.stop();
    }
  } finally {
    await slack.stop();
    await cluster.stop();
  }
}
