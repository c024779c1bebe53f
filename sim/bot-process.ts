/**
 * Runs the real bot (`src/main.ts`, as `npm start` does) as a child process against the embedded
 * emulators, so restart safety can be shown with a real SIGKILL: used by `npm run demo -- --restart-at`
 * and the restart tests.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { stringify } from 'yaml';
import type { Config } from '../src/policy/config.js';
import type { EmbeddedCluster } from './world.js';
import type { RealCluster } from './world-real.js';
import { BOT_SA_TOKEN } from './world.js';
import type { SlackEmulator } from './slack/server.js';
import { LEASE_NAME } from '../src/bot.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

/** A bot running in a child process. */
export interface BotProcess {
  child: ChildProcess;
  /** What the process wrote (pino JSON lines and any errors), for diagnosis. */
  output(): string;
  /** Resolves with the exit code (or signal) when the process has exited. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Send a signal (SIGKILL for a crash, SIGTERM for a graceful stop). */
  kill(signal: NodeJS.Signals): void;
}

/** A cluster a bot process can be pointed at: the emulator's, or a world's share of the real control plane. */
export type BotCluster = EmbeddedCluster | RealCluster;

/** The bot's kubeconfig YAML for `cluster` (its service account's token on either server). */
export function botKubeconfigYaml(cluster: BotCluster): string {
  return 'kind' in cluster && cluster.kind === 'real' ? cluster.botKubeConfig.exportConfig() : (cluster as EmbeddedCluster).server.kubeconfigYaml({ token: BOT_SA_TOKEN });
}

/** Files a bot process reads: its kubeconfig (the bot's service account) and its configuration. */
export function writeBotFiles(cluster: BotCluster, config: Config): { dir: string; kubeconfig: string; config: string } {
  const dir = mkdtempSync(join(tmpdir(), 'dbupdate-bot-'));
  const kubeconfig = join(dir, 'kubeconfig');
  writeFileSync(kubeconfig, botKubeconfigYaml(cluster));
  const configPath = join(dir, 'config.yaml');
  writeFileSync(configPath, stringify(config));
  return { dir, kubeconfig, config: configPath };
}

/**
 * Start `src/main.ts` with tsx, environment pointing at the emulators.
 * @param opts.identity replica identity (HOSTNAME), to tell processes apart in the Lease.
 * @param opts.env more environment variables (e.g. `PORT: '0'` so two processes do not both bind 8080).
 */
export function spawnBot(opts: { files: { kubeconfig: string; config: string }; slack: Pick<SlackEmulator, 'botToken' | 'appToken' | 'apiUrl'>; identity: string; logLevel?: string; env?: Record<string, string> }): BotProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'src/main.ts')], {
    cwd: ROOT,
    env: {
      ...process.env,
      KUBECONFIG: opts.files.kubeconfig,
      DBUPDATE_CONFIG: opts.files.config,
      SLACK_BOT_TOKEN: opts.slack.botToken,
      SLACK_APP_TOKEN: opts.slack.appToken,
      SLACK_API_URL: opts.slack.apiUrl,
      HOSTNAME: opts.identity,
      LOG_LEVEL: opts.logLevel ?? 'info',
      ...opts.env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('exit', (code, signal) => resolve({ code, signal })),
  );
  return { child, output: () => out, exited, kill: (s) => void child.kill(s) };
}

/**
 * Wait until a bot process is connected to the Slack emulator and holds the leader Lease.
 * @throws Error with the process's output after `timeoutMs` (default 60,000 ms: a tsx start on a loaded machine takes 10–20 s).
 */
export async function waitUntilLeading(cluster: BotCluster, slack: SlackEmulator, identity: string, proc: BotProcess, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  const namespace = 'kind' in cluster && cluster.kind === 'real' ? cluster.recordsNamespace : 'dbupdate';
  for (;;) {
    const lease = await cluster.kube.coordination.readNamespacedLease({ name: LEASE_NAME, namespace }).catch(() => undefined);
    if (lease?.spec?.holderIdentity?.startsWith(identity) && slack.socketConnections() > 0) return;
    if (proc.child.exitCode !== null) throw new Error(`bot ${identity} exited (${proc.child.exitCode}):\n${proc.output()}`);
    if (Date.now() > deadline) throw new Error(`bot ${identity} did not connect and lead within ${timeoutMs} ms:\n${proc.output()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
