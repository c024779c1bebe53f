/**
 * Every command of README.md is run (a README command that fails is a failing test). Commands are the
 * lines of its ```sh fences (a trailing `  # comment` dropped); each must have a row in {@link COMMANDS}
 * saying how it is run, and every row must still be in the README:
 * - `run`: run to completion with bash in a scratch copy of the checkout (every top-level entry linked,
 *   so files a command writes — `.sim/kubeconfig`, `my-config.yaml` — stay out of the checkout), with the
 *   expected exit code and output;
 * - `serve`: long-running (`npm run sim`, `npm run console`, `npm start`): started, checked for its first
 *   ready line, the commands that need it run meanwhile, then stopped (SIGTERM to its process group);
 * - `excluded`: not run here, with the reason (`npm test` is this suite; `npm ci` replaces the
 *   node_modules the suite runs from).
 * `kubectl` and `helm` of the install section run against the Kubernetes emulator (sim/kube), a fresh one
 * per install method, with .tools/bin on PATH (scripts/install-tools.sh) as a user's own would be; the
 * README's `npm start` runs against the embedded cluster and the Slack emulator (tokens and API URL in its
 * environment, as a user's shell holds the real ones). The demo's output is also compared with the
 * README's sample thread (scripts/readme-demo.ts), ids and durations aside.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pLimit from 'p-limit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_USER, KubeApiServer } from '../sim/kube/server.js';
import { Store } from '../sim/kube/store.js';
import { startEmbeddedCluster, worldConfig, type EmbeddedCluster } from '../sim/world.js';
import { writeBotFiles } from '../sim/bot-process.js';
import { SlackEmulator } from '../sim/slack/server.js';
import { demoTranscript, normalize, readmeSample } from '../scripts/readme-demo.js';
import { parse as parseYaml } from 'yaml';
import { USAGE } from '../src/command/help.js';
import { validateConfig } from '../src/policy/config.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const README = readFileSync(join(ROOT, 'README.md'), 'utf8');

/** The commands of README.md's ```sh fences, in order: continuation lines joined, trailing comments dropped. Pure. */
export function readmeCommands(markdown: string): string[] {
  const out: string[] = [];
  for (const m of markdown.matchAll(/^```sh\n([\s\S]*?)^```$/gm)) {
    const joined = m[1].replace(/\\\n\s*/g, ' ');
    for (const line of joined.split('\n')) {
      const cmd = line.replace(/\s+#\s.*$/, '').trim();
      if (cmd && !cmd.startsWith('#')) out.push(cmd);
    }
  }
  return out;
}

type Cluster = 'helm' | 'kustomize';
type How =
  | { kind: 'run'; code?: number; output?: RegExp; cluster?: Cluster; fresh?: boolean; as?: string; why?: string }
  | { kind: 'serve'; ready: RegExp; meanwhile?: string[]; env?: 'bot' }
  | { kind: 'excluded'; why: string };

const OCI_INSTALL = "helm install dbupdate oci://ghcr.io/dbupdate-dev/charts/dbupdate --version 0.1.0 -n dbupdate --set 'config.approvers={U07ALICE01}'";
const SECRET = 'kubectl create secret generic dbupdate-slack -n dbupdate --from-literal=SLACK_BOT_TOKEN=xoxb-… --from-literal=SLACK_APP_TOKEN=xapp-…';
const KUBECTL_SIM = '.tools/bin/kubectl --kubeconfig .sim/kubeconfig get mysqls.kubedb.com,petsets,pods -A';
const PLACEHOLDER_SED =
  'sed -e s/U0AAAAAAA/U07ALICE01/g -e s/U0BBBBBBB/U07BOB0002/g -e s/U0CCCCCCC/U07CAROL03/g -e s/C0123456789/C07DBOPS01/g -e s/S0DBA00001/S07DBA0001/g deploy/config.example.yaml > my-config.yaml';

/** How each README command is run (see the module doc). A command met twice is run twice. */
const COMMANDS: Record<string, How> = {
  'npm ci': { kind: 'excluded', why: 'it replaces node_modules, which this suite is running from; CI runs it before the suite (.ci/run, .github/workflows/release.yml)' },
  'npm test': { kind: 'excluded', why: 'it is this suite' },
  'npm run demo': { kind: 'run', output: /Record dbupdate\/orders-[0-9a-f]{8}: Succeeded/ },
  'npm run demo -- --engine postgres': { kind: 'run', output: /: Succeeded in/ },
  'npm run demo -- --fail-at images': { kind: 'run', output: /: Failed/ },
  'npm run demo -- --backend direct': { kind: 'run', output: /: Succeeded in/ },
  'npm run demo -- --fleet': { kind: 'run', output: /^Batch dbupdate\/fleet-mysql-[0-9a-f]{8}: Succeeded in/m },
  'npm run demo -- --drift': { kind: 'run', output: /Version drift in cluster `sim`: \d+ of \d+ databases behind/ },
  'npm run demo -- --backup': { kind: 'run', output: /: Succeeded; backed up first: yes \(Snapshot orders-repo-/ },
  'npm run console': { kind: 'serve', ready: /^dbupdate console: http:\/\/127\.0\.0\.1:8088\/$/m },
  'npm run sim': { kind: 'serve', ready: /^kubeconfig: .*\/\.sim\/kubeconfig$/m, meanwhile: ['scripts/install-tools.sh', KUBECTL_SIM] },
  'scripts/install-tools.sh': { kind: 'run' },
  [KUBECTL_SIM]: { kind: 'run', output: /^demo\s+mysql\.kubedb\.com\/orders\s+8\.0\.35\s/m },
  'kubectl create namespace dbupdate': { kind: 'run', cluster: 'helm', fresh: true, output: /^namespace\/dbupdate created$/m },
  [SECRET]: { kind: 'run', output: /^secret\/dbupdate-slack created$/m },
  [OCI_INSTALL]: {
    kind: 'run',
    as: "helm install dbupdate deploy/helm/dbupdate -n dbupdate --set 'config.approvers={U07ALICE01}'",
    why: 'the chart at oci://ghcr.io/dbupdate-dev/charts exists once v0.1.0 is released; the same chart from the checkout (its version checked to be 0.1.0) with the same arguments',
    output: /^STATUS: deployed$/m,
  },
  'kubectl apply -f deploy/namespace.yaml': { kind: 'run', cluster: 'kustomize', fresh: true, output: /^namespace\/dbupdate created$/m },
  'kubectl apply -k deploy/': { kind: 'run', output: /^deployment\.apps\/dbupdate created$/m },
  'npm start -- --check-config deploy/config.example.yaml': { kind: 'run', code: 1, output: /deploy\/config\.example\.yaml still holds the example's placeholder Slack IDs \(/ },
  [PLACEHOLDER_SED]: { kind: 'run' },
  'npm start -- --check-config my-config.yaml': { kind: 'run', output: /^my-config\.yaml: configuration is valid$/m },
  'DBUPDATE_CONFIG=my-config.yaml npm start': { kind: 'serve', env: 'bot', ready: /"msg":"dbupdate started"/ },
};

let scratch: string;
let path: string;
const clusters: KubeApiServer[] = [];
let kubeconfig: string | undefined;
let world: { cluster: EmbeddedCluster; slack: SlackEmulator; files: { kubeconfig: string } } | undefined;

beforeAll(async () => {
  scratch = mkdtempSync(join(tmpdir(), 'readme-commands-'));
  for (const e of readdirSync(ROOT)) if (!['.sim', '.git', 'my-config.yaml', 'my-values.yaml'].includes(e)) symlinkSync(join(ROOT, e), join(scratch, e));
  mkdirSync(join(scratch, 'home'));
  path = `${join(ROOT, '.tools/bin')}:${process.env.PATH ?? ''}`;
});
afterAll(async () => {
  for (const c of clusters) await c.stop();
  if (world) await Promise.all([world.cluster.stop(), world.slack.stop()]);
  if (scratch) rmSync(scratch, { recursive: true, force: true });
});

/** The environment of a command: a private HOME, .tools/bin on PATH, the current emulated cluster. */
function env(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return { ...process.env, PATH: path, HOME: join(scratch, 'home'), KUBECONFIG: kubeconfig ?? join(scratch, 'home/no-kubeconfig'), FORCE_COLOR: '0', ...extra };
}

function runToEnd(cmd: string, extra?: Record<string, string>): Promise<{ code: number; out: string }> {
  return new Promise((resolve, reject) => {
    const p = spawn('bash', ['-c', cmd], { cwd: scratch, env: env(extra), timeout: 240_000 });
    let out = '';
    p.stdout.on('data', (d: Buffer) => (out += d.toString()));
    p.stderr.on('data', (d: Buffer) => (out += d.toString()));
    p.on('error', reject);
    p.on('close', (code) => resolve({ code: code ?? 1, out }));
  });
}

/** Starts a long-running command in its own process group; resolves once `ready` matches its output. */
async function serve(cmd: string, ready: RegExp, extra?: Record<string, string>): Promise<{ out: () => string; stop: () => Promise<void> }> {
  const p = spawn('bash', ['-c', cmd], { cwd: scratch, env: env(extra), detached: true });
  let out = '';
  p.stdout.on('data', (d: Buffer) => (out += d.toString()));
  p.stderr.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((resolve) => p.on('exit', (code) => resolve(code)));
  const stop = async () => {
    try {
      process.kill(-p.pid!, 'SIGTERM');
    } catch {
      /* already gone */
    }
    const t = setTimeout(() => {
      try {
        process.kill(-p.pid!, 'SIGKILL');
      } catch {
        /* gone */
      }
    }, 10_000);
    await exited;
    clearTimeout(t);
  };
  const deadline = Date.now() + 120_000;
  while (!ready.test(out)) {
    const done = await Promise.race([exited.then(() => true), new Promise((r) => setTimeout(() => r(false), 100))]);
    if (done || Date.now() > deadline) {
      await stop();
      throw new Error(`${cmd}: no ready line ${ready} (${done ? 'it exited' : 'timed out'}); output:\n${out}`);
    }
  }
  return { out: () => out, stop };
}

async function freshCluster(): Promise<void> {
  const server = await KubeApiServer.start({ store: new Store(), rbac: true, unauthenticatedUser: ADMIN_USER });
  clusters.push(server);
  kubeconfig = join(scratch, 'home', `kubeconfig-${clusters.length}`);
  server.writeKubeconfig(kubeconfig);
}

/** The bot's environment for the README's `npm start`: the embedded cluster and the Slack emulator. */
async function botEnv(): Promise<Record<string, string>> {
  if (!world) {
    const cluster = await startEmbeddedCluster();
    const slack = await SlackEmulator.start();
    world = { cluster, slack, files: writeBotFiles(cluster, worldConfig()) };
  }
  return { KUBECONFIG: world.files.kubeconfig, SLACK_BOT_TOKEN: world.slack.botToken, SLACK_APP_TOKEN: world.slack.appToken, SLACK_API_URL: world.slack.apiUrl, PORT: '0' };
}

const commands = readmeCommands(README);

describe('README commands', () => {
  it('every command has a row saying how it is run, and every row is in the README', () => {
    expect(commands.length).toBeGreaterThan(15);
    expect(commands.filter((c) => !COMMANDS[c])).toEqual([]);
    expect(Object.keys(COMMANDS).filter((c) => !commands.includes(c))).toEqual([]);
    // Excluded, with the reason: only these two.
    expect(Object.entries(COMMANDS).filter(([, h]) => h.kind === 'excluded').map(([c]) => c)).toEqual(['npm ci', 'npm test']);
  });

  it('kubectl in the quick start does not assume PATH; npm run sim says it holds the terminal', () => {
    const quick = README.slice(README.indexOf('## Quick start'), README.indexOf('## Install'));
    expect(readmeCommands(quick).filter((c) => /^kubectl\b/.test(c))).toEqual([]);
    expect(quick).toMatch(/`npm run sim` holds its terminal/);
    expect(README).toMatch(/Event Subscriptions\* → Request URL \(the App Home tab's `app_home_opened`/);
    expect(README).toContain('docs/secrets.md');
  });

  it('the command list has every command the bot takes (src/command/help.ts), and the policy sample is a valid policy', () => {
    const section = README.slice(README.indexOf('## Commands'), README.indexOf('## Troubleshooting'));
    const list = /```text\n([\s\S]*?)```/.exec(section)?.[1] ?? '';
    const words = (usage: string) => usage.replace(/^`|`$/g, '').split(' ').slice(0, 2).join(' ');
    for (const [kind, usage] of Object.entries(USAGE)) {
      const word = kind === 'update' ? '/dbupdate <engine>' : words(usage);
      expect(list.split('\n').some((l) => l.startsWith(`${word} `) || l === word), `README's command list lacks ${word}`).toBe(true);
    }
    const policy = README.slice(README.indexOf('### 3. The policy'), README.indexOf('### 4.'));
    const sample = /In short:\n\n```yaml\n([\s\S]*?)```/.exec(policy)?.[1];
    expect(sample).toBeDefined();
    const config = validateConfig(parseYaml(sample!), 'README.md');
    expect(config.backup.beforeMajor).toBe('ifConfigured');
    expect(config.reports).toHaveLength(1);
  });

  it('every command runs as the README says', { timeout: 900_000 }, async () => {
    const done = new Set<string>();
    const failures: string[] = [];
    const check = (cmd: string, how: Extract<How, { kind: 'run' }>, r: { code: number; out: string }) => {
      if (r.code !== (how.code ?? 0)) failures.push(`${cmd}: exit ${r.code}, expected ${how.code ?? 0}\n${r.out.slice(-3000)}`);
      else if (how.output && !how.output.test(r.out.replace(/^> .*\n|^\n/gm, ''))) failures.push(`${cmd}: output does not match ${how.output}\n${r.out.slice(-3000)}`);
    };
    const runOne = async (cmd: string) => {
      const how = COMMANDS[cmd] as Extract<How, { kind: 'run' }>;
      if (how.fresh) await freshCluster();
      const r = await runToEnd(how.as ?? cmd);
      check(cmd, how, r);
      if (cmd === 'npm run demo') {
        // The README's sample thread is this run's conversation, ids and durations aside.
        expect(normalize(readmeSample(README)), 'README sample thread: run npx tsx scripts/readme-demo.ts').toBe(normalize(demoTranscript(r.out)));
      }
    };
    // Consecutive demo variants are independent (each its own embedded world): run three at a time.
    const isDemo = (c: string) => COMMANDS[c]?.kind === 'run' && /^npm run demo -- /.test(c);
    const demoLimit = pLimit(3);
    for (let i = 0; i < commands.length; i++) {
      const cmd = commands[i];
      if (done.has(cmd) && COMMANDS[cmd].kind !== 'run') continue;
      const how = COMMANDS[cmd];
      if (how.kind === 'excluded') continue;
      if (how.kind === 'run') {
        if (done.has(`meanwhile:${cmd}`)) continue;
        if (isDemo(cmd)) {
          const group = [cmd];
          while (i + 1 < commands.length && isDemo(commands[i + 1])) group.push(commands[++i]);
          await Promise.all(group.map((c) => demoLimit(() => runOne(c))));
          for (const c of group) done.add(c);
          continue;
        }
        await runOne(cmd);
      } else {
        const s = await serve(cmd, how.ready, how.env === 'bot' ? await botEnv() : undefined).catch((e: Error) => {
          failures.push(e.message);
          return undefined;
        });
        if (s) {
          for (const m of how.meanwhile ?? []) {
            await runOne(m);
            done.add(`meanwhile:${m}`);
            done.add(m);
          }
          await s.stop();
        }
      }
      done.add(cmd);
    }
    expect(failures).toEqual([]);
    expect(commands.filter((c) => COMMANDS[c].kind !== 'excluded' && !done.has(c))).toEqual([]);
  });

  it('the OCI install stands for the checkout\'s chart at the version it names', () => {
    const chart = readFileSync(join(ROOT, 'deploy/helm/dbupdate/Chart.yaml'), 'utf8');
    const version = /--version (\S+)/.exec(OCI_INSTALL)![1];
    expect(chart).toMatch(new RegExp(`^version: ${version.replace(/\./g, '\\.')}$`, 'm'));
    expect(existsSync(join(ROOT, '.github/workflows/release.yml'))).toBe(true);
  });
});
