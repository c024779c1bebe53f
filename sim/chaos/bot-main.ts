/**
 * The bot process of the chaos runs on the `direct` backend: `src/main.ts` without the health server,
 * and with the direct pipeline's timing shortened as `npm run demo -- --backend direct` does (production
 * waits 10 s per pod and 30 s for the checks, which would make each update take over a minute here).
 * Everything else is the real bot: `startBot` with the real Bolt app and `@kubernetes/client-node`.
 * Environment as `src/main.ts` (SLACK_BOT_TOKEN, SLACK_APP_TOKEN, SLACK_API_URL, DBUPDATE_CONFIG,
 * KUBECONFIG, HOSTNAME); SIGTERM stops the bot and exits 0 (1 if that takes over 10 s).
 */
import { loadConfigFile } from '../../src/policy/config.js';
import { Kube, loadKubeConfig } from '../../src/kube/client.js';
import { createLogger } from '../../src/log.js';
import { startBot } from '../../src/bot.js';
import type { DirectSettings } from '../../src/pipeline/direct-types.js';

/** The direct pipeline's timing in chaos runs (ms). */
export const CHAOS_DIRECT_SETTINGS: DirectSettings = { podTimeoutMs: 60_000, settleMs: 1_000, readyTimeoutMs: 30_000 };

const config = loadConfigFile(process.env.DBUPDATE_CONFIG!);
const log = createLogger();
const bot = await startBot({
  kube: new Kube(loadKubeConfig(process.env.KUBE_CONTEXT), config.clusterName),
  config,
  log,
  direct: CHAOS_DIRECT_SETTINGS,
  slack: { botToken: process.env.SLACK_BOT_TOKEN!, appToken: process.env.SLACK_APP_TOKEN, apiUrl: process.env.SLACK_API_URL },
});
process.on('SIGTERM', () => {
  const timer = setTimeout(() => process.exit(1), 10_000);
  timer.unref();
  void bot.stop().then(() => process.exit(0));
});
