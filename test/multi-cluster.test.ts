/**
 * One bot, two clusters: records and the Lease in the home cluster; `-c east` (or the channel's default)
 * sends the update to the other cluster's database, and the approval message names the cluster.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmbeddedCluster, worldConfig, USERS, CHANNEL, type EmbeddedCluster } from '../sim/world.js';
import { SlackEmulator } from '../sim/slack/server.js';
import { startBot, type Bot } from '../src/bot.js';
import { Kube } from '../src/kube/client.js';
import { approve, request, settle } from '../sim/script.js';
import { getDatabase } from '../src/kube/kubedb.js';
import { findEngine } from '../src/engines/table.js';
import { createLogger } from '../src/log.js';

let home: EmbeddedCluster;
let east: EmbeddedCluster;
let slack: SlackEmulator;
let bot: Bot;
const EAST_CHANNEL = 'C_EAST';

beforeAll(async () => {
  [home, east] = await Promise.all([
    startEmbeddedCluster({ podReadyDelayMs: 15, stepDelayMs: 15 }),
    startEmbeddedCluster({ podReadyDelayMs: 15, stepDelayMs: 15 }),
  ]);
  slack = await SlackEmulator.start({ channels: [{ id: CHANNEL, name: 'db-ops' }, { id: EAST_CHANNEL, name: 'db-ops-east' }] });
  bot = await startBot({
    kube: home.botKube,
    clusters: [new Kube(east.botKube.kc, 'east')],
    config: worldConfig({ channelClusters: { [EAST_CHANNEL]: 'east' } }),
    log: createLogger('silent'),
    slack: { botToken: slack.botToken, appToken: slack.appToken, apiUrl: slack.apiUrl, retries: 2 },
  });
});
afterAll(async () => {
  await bot?.stop();
  await slack?.stop();
  await home?.stop();
  await east?.stop();
});

describe('several clusters from one bot', () => {
  const mysql = findEngine('mysql')!;

  it('-c east updates the database in east only; the record stays at home', async () => {
    const { record, parent } = await request(slack, bot.records, USERS.requester, CHANNEL, 'mysql orders 8.0.36 -c east');
    expect(record.spec.database.cluster).toBe('east');
    expect(JSON.stringify(parent.blocks)).toContain('`east`');
    await approve(slack, CHANNEL, parent, USERS.approver);
    const done = await settle(bot.records, record.metadata.name);
    expect(done.status?.phase).toBe('Succeeded');
    expect((await getDatabase(east.kube, mysql, 'demo', 'orders'))?.spec.version).toBe('8.0.36');
    expect((await getDatabase(home.kube, mysql, 'demo', 'orders'))?.spec.version).toBe('8.0.35');
  });

  it("a channel's default cluster applies without -c", async () => {
    const { record } = await request(slack, bot.records, USERS.requester, EAST_CHANNEL, 'proxysql gateway 2.7');
    expect(record.spec.database.cluster).toBe('east');
  });

  it('an unknown cluster is refused with the known ones', async () => {
    await slack.typeCommand({ user: USERS.requester, channel: CHANNEL, text: 'mysql orders 8.0.36 -c west' });
    const m = await slack.waitFor(() => slack.messages(CHANNEL).find((x) => x.ephemeralTo === USERS.requester && /Unknown cluster/.test(x.text)), {
      timeoutMs: 5000,
      what: 'the refusal',
    });
    expect(m.text).toMatch(/`sim`, `east`/);
  });
});
