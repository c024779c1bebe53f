/**
 * `npm start`: run the bot for real. Environment:
 * - `SLACK_BOT_TOKEN` (xoxb-…) and `SLACK_APP_TOKEN` (xapp-…, Socket Mode) — required; or, for HTTP
 *   mode, `SLACK_SIGNING_SECRET` (requests on `/slack/events`, port `SLACK_HTTP_PORT`, default 3000);
 * - `SLACK_API_URL` — optional Web API base URL (default Slack's);
 * - `DBUPDATE_CONFIG` — path of the YAML configuration (see deploy/config.example.yaml);
 * - `KUBECONFIG` / `~/.kube/config` / in-cluster service account — the cluster; `KUBE_CONTEXT` to pick a context;
 * - `PORT` — the health and metrics server (`/healthz`, `/readyz`, `/metrics`; default 8080).
 * `npm start -- --check-config <file>` validates a configuration file and exits (0 good, 1 bad).
 * `npm start -- --help` prints the usage. Every start-up problem (bad token, unreachable cluster, missing
 * CRD, the example's placeholder IDs) ends the process with one line on stderr and exit code 1
 * (src/startup/checks.ts); a usage error exits 2.
 */
import { loadConfigFile, ConfigError, type Config } from './policy/config.js';
import { Kube, loadKubeConfig } from './kube/client.js';
import { createLogger } from './log.js';
import { startBot } from './bot.js';
import { createMetrics } from './metrics.js';
import { startHealthServer } from './health.js';
import { runCli } from './startup/cli.js';
import { checkKube, checkSlack, StartupError } from './startup/checks.js';
import { findPlaceholders, placeholderMessage } from './startup/placeholders.js';

/** `npm start -- --help`. */
export const USAGE = `Usage: npm start [-- options]     (node dist/main.js [options] in the image)

Runs the dbupdate Slack bot. Settings come from the environment:
  SLACK_BOT_TOKEN       bot token (xoxb-…), required
  SLACK_APP_TOKEN       app-level token (xapp-…, connections:write) for Socket Mode, or
  SLACK_SIGNING_SECRET  for HTTP mode (requests on /slack/events, port SLACK_HTTP_PORT, default 3000)
  SLACK_API_URL         Slack Web API base URL (default https://slack.com/api/)
  DBUPDATE_CONFIG       path of the YAML configuration (see deploy/config.example.yaml), required
  KUBECONFIG            the cluster (default ~/.kube/config, or the pod's service account)
  KUBE_CONTEXT          kubeconfig context to use (default: the current one)
  PORT                  health and metrics server: /healthz, /readyz, /metrics (default 8080)
  LOG_LEVEL             pino level (default info)

Options:
  --check-config <file>  validate a configuration file and exit (0 valid, 1 not)
  -h, --help             show this help

Exit codes: 0 stopped by SIGTERM/SIGINT, 1 start-up problem (one line on stderr), 2 usage error.
`;

function fail(message: string): never {
  process.stderr.write(`dbupdate: ${message}\n`);
  process.exit(1);
}

async function main(argv: string[]): Promise<void> {
  const values = runCli(argv, 'npm start', USAGE, { 'check-config': { type: 'string' } });
  const checkFile = values['check-config'] as string | undefined;
  if (checkFile !== undefined) {
    try {
      const hits = findPlaceholders(loadConfigFile(checkFile));
      if (hits.length) fail(placeholderMessage(checkFile, hits));
      process.stdout.write(`${checkFile}: configuration is valid\n`);
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
  const placeholders = findPlaceholders(config);
  if (placeholders.length) fail(placeholderMessage(configPath, placeholders));
  await checkSlack({ botToken, appToken: signingSecret ? undefined : appToken, apiUrl: process.env.SLACK_API_URL });
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
  await checkKube(kube, process.env.KUBE_CONTEXT ? `KUBE_CONTEXT=${process.env.KUBE_CONTEXT}` : 'KUBECONFIG', { requireCrd: true });
  for (const [i, c] of config.clusters.entries()) await checkKube(others[i], `clusters.${c.name}`, { requireCrd: false });
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

// One line, no stack trace: a StartupError says what to do; anything else is reported by its message
// (LOG_LEVEL=debug adds the stack).
main(process.argv.slice(2)).catch((err) => {
  if (!(err instanceof StartupError) && process.env.LOG_LEVEL === 'debug') process.stderr.write(`${(err as Error).stack}\n`);
  fail(err instanceof Error ? err.message.split('\n')[0] : String(err));
});
