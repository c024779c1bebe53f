/**
 * `npm start`: run the bot for real. Environment:
 * - `SLACK_BOT_TOKEN` (xoxb-…) and `SLACK_APP_TOKEN` (xapp-…, Socket Mode) — required; or, for HTTP
 *   mode, `SLACK_SIGNING_SECRET` (requests on `/slack/events`, port `SLACK_HTTP_PORT`, default 3000);
 * - `SLACK_API_URL` — optional Web API base URL (default Slack's);
 * - `DBUPDATE_CONFIG` — path of the YAML configuration (see deploy/config.example.yaml);
 * - `KUBECONFIG` / `~/.kube/config` / in-cluster service account — the cluster; `KUBE_CONTEXT` to pick a context;
 * - `PORT` — the health and metrics server (`/healthz`, `/readyz`, `/metrics`; default 8080).
 * `npm start -- --check-config <file>` validates a configuration file and exits (0 good, 1 bad).
 * `npm start -- --help` prints the usage. The health server starts first, so `/healthz` answers during the
 * checks and the connection to Slack, and `/readyz` names what is not ready (src/startup/readiness.ts). Every
 * start-up check runs (settings, kubeconfig, Slack, each cluster, the latter at once) and every problem (bad
 * token, unreachable cluster, missing CRD, the example's placeholder IDs) is printed, one line each on
 * stderr, before exit code 1 (src/startup/checks.ts); a Socket Mode WebSocket that does not open within
 * `SLACK_CONNECT_TIMEOUT` (default 2 min) ends it with one line naming the likely cause
 * (src/startup/socket-watch.ts); a usage error exits 2.
 */
import { loadConfigFile, ConfigError, type Config } from './policy/config.js';
import { Kube, loadKubeConfig } from './kube/client.js';
import { createLogger } from './log.js';
import { startBot, type Bot } from './bot.js';
import { createMetrics } from './metrics.js';
import { socketModeClient, startHealthServer, type HealthServer } from './health.js';
import { report, type ReadyCheck, type ReadyReport } from './startup/readiness.js';
import { parseTimeout, SocketModeWatch } from './startup/socket-watch.js';

/** How long Socket Mode may stay unconnected before the bot exits naming the likely cause (SLACK_CONNECT_TIMEOUT). */
const DEFAULT_CONNECT_TIMEOUT_MS = 120_000;
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
  PORT                  health and metrics server: /healthz, /readyz, /metrics (default 8080), up
                        from the first second; /readyz lists what is not ready and why
  SLACK_CONNECT_TIMEOUT how long Socket Mode may fail to connect before the bot exits naming the
                        likely cause (proxy, firewall, app token); e.g. 2m (default), 90s
  LOG_LEVEL             pino level (default info)

Options:
  --check-config <file>  validate a configuration file and exit (0 valid, 1 not)
  -h, --help             show this help

Exit codes: 0 stopped by SIGTERM/SIGINT, 1 start-up problem (one line per problem on stderr: every
check runs and all failures are reported together), 2 usage error.
`;

function fail(message: string): never {
  process.stderr.write(`dbupdate: ${message}\n`);
  process.exit(1);
}

/** Every start-up problem found, one line each on stderr, then exit 1. */
function failAll(problems: string[]): never {
  process.stderr.write(problems.map((p) => `dbupdate: ${p}\n`).join(''));
  process.exit(1);
}

/** The one-line message of a failed start-up check (a StartupError says what to do; anything else by its message). */
function problemOf(err: unknown): string {
  return err instanceof Error ? err.message.split('\n')[0] : String(err);
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
  // Every check runs and every problem is reported together: the settings first (no network), then Slack
  // and each cluster at once — with no network, a kubeconfig problem is not hidden behind Slack's.
  const problems: string[] = [];
  const botToken = process.env.SLACK_BOT_TOKEN ?? '';
  const appToken = process.env.SLACK_APP_TOKEN;
  const signingSecret = process.env.SLACK_SIGNING_SECRET;
  const tokensOk = botToken.startsWith('xoxb-') && (!!signingSecret || !!appToken?.startsWith('xapp-'));
  if (!botToken.startsWith('xoxb-')) problems.push('SLACK_BOT_TOKEN must be set to the bot token (xoxb-…); see README "Install the Slack app".');
  if (!signingSecret && !appToken?.startsWith('xapp-')) {
    problems.push('SLACK_APP_TOKEN must be set to an app-level token with connections:write (xapp-…) for Socket Mode, or SLACK_SIGNING_SECRET for HTTP mode.');
  }
  const connectTimeoutMs = parseTimeout(process.env.SLACK_CONNECT_TIMEOUT) ?? DEFAULT_CONNECT_TIMEOUT_MS;
  if (process.env.SLACK_CONNECT_TIMEOUT && parseTimeout(process.env.SLACK_CONNECT_TIMEOUT) === undefined) {
    problems.push(`SLACK_CONNECT_TIMEOUT must be a duration such as 2m, 90s or 1500ms (got ${JSON.stringify(process.env.SLACK_CONNECT_TIMEOUT)}).`);
  }
  const configPath = process.env.DBUPDATE_CONFIG;
  let config: Config | undefined;
  if (!configPath) problems.push('DBUPDATE_CONFIG must name the configuration file (see deploy/config.example.yaml).');
  else {
    try {
      config = loadConfigFile(configPath);
      const placeholders = findPlaceholders(config);
      if (placeholders.length) problems.push(placeholderMessage(configPath, placeholders));
    } catch (err) {
      // A ConfigError lists each bad field on its own line; anything else is one line.
      problems.push(err instanceof ConfigError ? err.message : problemOf(err));
    }
  }
  const log = createLogger();
  const metrics = createMetrics({ defaultLabels: { cluster: config?.clusterName ?? 'unknown' } });

  // The health server answers from the first second: /healthz at once, /readyz says what it waits for.
  let bot: Bot | undefined;
  let watch: SocketModeWatch | undefined;
  let stage = 'running the start-up checks (Slack, Kubernetes)';
  const readiness = async (): Promise<ReadyReport> => {
    if (!bot) {
      const slack: ReadyCheck = watch ? { name: 'slack', ok: false, ...{ detail: watch.state().detail } } : { name: 'slack', ok: false, detail: 'not connected yet' };
      return report([{ name: 'startup', ok: false, detail: stage }, slack]);
    }
    const checks = await bot.readiness();
    if (watch) {
      const s = watch.state();
      const i = checks.findIndex((c) => c.name === 'slack');
      if (i >= 0) checks[i] = { name: 'slack', ok: checks[i].ok && s.connected, detail: s.connected ? checks[i].detail.replace(/^connected$/, s.detail) : s.detail };
    }
    return report(checks);
  };
  let health: HealthServer;
  try {
    health = await startHealthServer({ port: Number(process.env.PORT ?? 8080), ready: readiness, registry: metrics.registry, log });
  } catch (err) {
    problems.push(`the health server cannot listen on port ${process.env.PORT ?? 8080}: ${(err as Error).message}`);
    failAll(problems);
  }

  let kube: Kube | undefined;
  try {
    kube = new Kube(loadKubeConfig(process.env.KUBE_CONTEXT), config?.clusterName ?? 'home');
  } catch (err) {
    problems.push(problemOf(err));
  }
  const others: Array<{ name: string; kube: Kube }> = [];
  for (const c of config?.clusters ?? []) {
    try {
      others.push({ name: c.name, kube: new Kube(loadKubeConfig(c.context), c.name) });
    } catch (err) {
      problems.push(`clusters.${c.name}: ${problemOf(err)}`);
    }
  }
  const checks = await Promise.allSettled([
    tokensOk ? checkSlack({ botToken, appToken: signingSecret ? undefined : appToken, apiUrl: process.env.SLACK_API_URL }) : Promise.resolve(),
    kube ? checkKube(kube, process.env.KUBE_CONTEXT ? `KUBE_CONTEXT=${process.env.KUBE_CONTEXT}` : 'KUBECONFIG', { requireCrd: true }) : Promise.resolve(),
    ...others.map((o) => checkKube(o.kube, `clusters.${o.name}`, { requireCrd: false })),
  ]);
  for (const c of checks) if (c.status === 'rejected') problems.push(problemOf(c.reason));
  if (problems.length || !config || !kube) failAll(problems);

  stage = 'connecting to Slack';
  if (!signingSecret) {
    watch = new SocketModeWatch({ log, giveUpMs: connectTimeoutMs, onGiveUp: (line) => fail(line) });
  }
  const startedWatch = watch;
  bot = await startBot({
    kube,
    clusters: others.map((o) => o.kube),
    config,
    log,
    metrics,
    slack: { botToken, appToken, signingSecret, port: Number(process.env.SLACK_HTTP_PORT ?? 3000), apiUrl: process.env.SLACK_API_URL, socketDispatcher: startedWatch?.dispatcher },
    onSlackApp: (app) => {
      const client = socketModeClient(app);
      if (client && startedWatch) startedWatch.attach(client);
    },
  });
  const running = bot;
  const shutdown = async (signal: string) => {
    log.info({ signal }, 'shutting down');
    const timer = setTimeout(() => process.exit(1), 10_000);
    timer.unref();
    await running.stop();
    await startedWatch?.close();
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
