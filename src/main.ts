/**
 * `npm start`: run the bot for real. Environment:
 * - `SLACK_BOT_TOKEN` (xoxb-…) and `SLACK_APP_TOKEN` (xapp-…, Socket Mode) — required; or, for HTTP
 *   mode, `SLACK_SIGNING_SECRET` (requests on `/slack/events`, port `SLACK_HTTP_PORT`, default 3000);
 * - `SLACK_API_URL` — optional Web API base URL (default Slack's);
 * - `DBUPDATE_CONFIG` — path of the YAML configuration (see deploy/config.example.yaml);
 * - `KUBECONFIG` / `~/.kube/config` / in-cluster service account — the cluster; `KUBE_CONTEXT` to pick a context;
 * - `PORT` — the health and metrics server (`/healthz`, `/readyz`, `/metrics`; default 8080).
 * `npm start -- --check-config <file>` validates a configuration file and exits (0 good, 1 bad).
 */
import { loadConfigFile, ConfigError, type Config } from './policy/config.js';
import { Kube, loadKubeConfig } from './kube/client.js';
import { createLogger } from './log.js';
import { startBot } from './bot.js';
import { createMetrics } from './metrics.js';
import { startHealthServer } from './health.js';

function fail(message: string): never {
  process.stderr.write(`dbupdate: ${message}\n`);
  process.exit(1);
}

async function main(argv: string[]): Promise<void> {
  const i = argv.indexOf('--check-config');
  if (i >= 0) {
    const file = argv[i + 1];
    if (!file) fail('--check-config needs a file: npm start -- --check-config deploy/config.example.yaml');
    try {
      loadConfigFile(file);
      process.stdout.write(`${file}: configuration is valid\n`);
      process.exit(0);
    } catch (err) {
      fail((err as Error).message);
    }
  }
  const botToken = process.env.SLACK_BOT_TOKEN;
  const appToken = process.env.SLACK_APP_TOKEN;
  if (!botToken?.startsWith('xoxb-')) fail('SLACK_BOT_TOKEN must be set to the bot token (xoxb-…); see README "Install the Slack app".');
  const signingSecret = process.env.SLACK_SIGNING_SECRET;
  if (!signingSecret && !appToken?.startsWith('xapp-')) {
    fail('SLACK_APP_TOKEN must be set to an app-level token with connections:write (xapp-…) for Socket Mode, or SLACK_SIGNING_SECRET for HTTP mode.');
  }
  const configPath = process.env.DBUPDATE_CONFIG;
  if (!configPath) fail('DBUPDATE_CONFIG must name the configuration file (see deploy/config.example.yaml).');
  let config: Config;
  try {
    config = loadConfigFile(configPath);
  } catch (err) {
    fail(err instanceof ConfigError ? err.message : (err as Error).message);
  }
  const log = createLogger();
  let kube: Kube;
  try {
    kube = new Kube(loadKubeConfig(process.env.KUBE_CONTEXT), config.clusterName);
  } catch (err) {
    fail((err as Error).message);
  }
  const others: Kube[] = [];
  for (const c of config.clusters) {
    try {
      others.push(new Kube(loadKubeConfig(c.context), c.name));
    } catch (err) {
      fail(`clusters.${c.name}: ${(err as Error).message}`);
    }
  }
  const metrics = createMetrics({ defaultLabels: { cluster: config.clusterName } });
  const bot = await startBot({ kube, clusters: others, config, log, metrics, slack: { botToken, appToken, signingSecret, port: Number(process.env.SLACK_HTTP_PORT ?? 3000), apiUrl: process.env.SLACK_API_URL } });
  const health = await startHealthServer({ port: Number(process.env.PORT ?? 8080), ready: () => bot.ready(), registry: metrics.registry, log });
  const shutdown = async (signal: string) => {
    log.info({ signal }, 'shutting down');
    const timer = setTimeout(() => process.exit(1), 10_000);
    timer.unref();
    await bot.stop();
    await health.close();
    process.exit(0);
  };
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));
}

main(process.argv.slice(2)).catch((err) => fail((err as Error).stack ?? String(err)));
