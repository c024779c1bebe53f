/**
 * Scale: many updates at once in a big cluster — `updates` concurrent requests (alice) and approvals
 * (bob) on as many MySQL databases, with `databases` database objects (3 replicas each, so 3× as many
 * pods) and `versions` extra catalog versions in the cluster. All must reach Succeeded, each with every
 * step posted exactly once, one record and one OpsRequest per database (none lost, none duplicated).
 *
 * Layout: the emulators (Kubernetes API + simulated KubeDB + Slack) run in this process, the bot in a
 * child process of its own (`bench/bot-child.mjs`), so the RSS and event-loop delay reported are the
 * bot's alone, as a pod's would be. The child runs the **compiled** sources with plain `node` (`src/` is
 * compiled with `tsconfig.build.json` into a temporary directory at the start of the benchmark), as the
 * production image does, not through tsx, whose transpiler holds ~100 MB+ of its own, and with the node
 * flags of the image (the Dockerfile's `CMD`, read by {@link imageNodeFlags}); a second run with V8's
 * default flags is reported beside it. Each run has a freshly seeded world of its own.
 * Reported: peak RSS of the bot process (the kernel's high-water mark, `resourceUsage().maxRSS`, over its
 * whole life, start-up included) against an idle bot's RSS (same build and flags, default world, fresh
 * process, after start and a GC), the idle bot's own peak, the idle bot's RSS under tsx (informative:
 * what the old harness included), and the bot's event-loop delay during the updates
 * (`monitorEventLoopDelay`).
 */
import { fork, execFileSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BOT_SA_TOKEN, CHANNEL, WORLD_CONFIG_INPUT, startEmbeddedCluster } from '../sim/world.js';
import { SlackEmulator } from '../sim/slack/server.js';
import { seedCluster, opsGvr, catalogGvr, dbGvr, SEED_DATABASES } from '../sim/kubedb/index.js';
import { findEngine, ENGINES } from '../src/engines/table.js';
import { LABEL_RECORD } from '../src/api/v1alpha1/databaseupdate.js';
import { row, runUpdates, storeRecords, waitUntil, type Row } from './common.js';

/** Sizes of a scale run. */
export interface ScaleOptions {
  updates: number;
  databases: number;
  versions: number;
}

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const BOT_CHILD = fileURLToPath(new URL('./bot-child.mjs', import.meta.url));

/** The bot's configuration, as plain input for the child. */
const CONFIG_INPUT = WORLD_CONFIG_INPUT;

/** Compile `src/` (tsconfig.build.json) into a temporary directory that resolves the project's node_modules. */
export function compile(): { dir: string; dist: string; ms: number } {
  const t = Date.now();
  const dir = mkdtempSync(join(tmpdir(), 'dbupdate-bench-build-'));
  const dist = join(dir, 'dist');
  try {
    execFileSync(process.execPath, [join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', join(ROOT, 'tsconfig.build.json'), '--outDir', dist], { cwd: ROOT, stdio: 'inherit', timeout: 120_000 });
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  writeFileSync(join(dir, 'package.json'), '{ "type": "module" }\n');
  symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'), 'dir');
  return { dir, dist, ms: Date.now() - t };
}

/** A bot child process and a request/answer channel to it. */
export interface BotChild {
  child: ChildProcess;
  /** Send `{ op, ...args }` and wait for the next answer. */
  ask(op: string, args?: Record<string, unknown>): Promise<Record<string, unknown>>;
  /** Why the process exited (`exit code` or signal), undefined while it runs. */
  exited(): string | undefined;
  /** The last 8 KB the process wrote to stderr (when started with `captureStderr`). */
  stderrTail(): string;
  stop(): Promise<void>;
}

/**
 * Fork `bot-child.mjs` on `dir` (compiled: plain node; `src/`: with tsx) and wait until the bot has started.
 * `opts.config`: top-level keys of the bot's configuration input that replace those of the embedded
 * world's ({@link WORLD_CONFIG_INPUT}), e.g. `{ fleet: { maxParallel: 10, soak: '1ms' } }`; validated
 * in the child (`validateConfig`), so a bad one makes the child exit before it is ready (this throws).
 */
export async function startChild(
  dir: string,
  tsx: boolean,
  env: { kubeconfig: string; slack: SlackEmulator },
  timeoutMs: number,
  nodeFlags: string[] = [],
  opts: { captureStderr?: boolean; config?: Record<string, unknown> } = {},
): Promise<BotChild> {
  const args = { kubeconfig: env.kubeconfig, slack: { botToken: env.slack.botToken, appToken: env.slack.appToken, apiUrl: env.slack.apiUrl }, config: { ...CONFIG_INPUT, ...opts.config } };
  const child = fork(BOT_CHILD, [dir, JSON.stringify(args)], {
    cwd: ROOT,
    execArgv: ['--expose-gc', ...nodeFlags, ...(tsx ? ['--import', 'tsx'] : [])],
    stdio: ['ignore', 'inherit', opts.captureStderr ? 'pipe' : 'inherit', 'ipc'],
  });
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => {
    process.stderr.write(d);
    stderr = (stderr + d.toString('utf8')).slice(-8192);
  });
  const queue: Array<Record<string, unknown>> = [];
  const waiters: Array<(m: Record<string, unknown>) => void> = [];
  let exited: string | undefined;
  child.on('message', (m) => (waiters.length ? waiters.shift()!(m as Record<string, unknown>) : queue.push(m as Record<string, unknown>)));
  child.on('exit', (code, signal) => {
    exited = `bot child exited (${code ?? signal})`;
    for (const w of waiters.splice(0)) w({ error: exited });
  });
  const next = (ms: number) =>
    new Promise<Record<string, unknown>>((resolve, reject) => {
      if (queue.length) return resolve(queue.shift()!);
      if (exited) return reject(new Error(exited));
      const t = setTimeout(() => reject(new Error(`bench: bot child did not answer within ${ms} ms`)), ms);
      waiters.push((m) => {
        clearTimeout(t);
        if ('error' in m) reject(new Error(String(m.error)));
        else resolve(m);
      });
    });
  const kill = () => {
    if (!exited) child.kill('SIGKILL');
  };
  try {
    await next(timeoutMs);
  } catch (err) {
    kill();
    throw err;
  }
  return {
    child,
    async ask(op, args = {}) {
      child.send({ ...args, op });
      return next(timeoutMs);
    },
    exited: () => exited,
    stderrTail: () => stderr,
    async stop() {
      try {
        child.send({ op: 'stop' });
        await next(10_000);
        await new Promise<void>((r) => (exited ? r() : child.once('exit', () => r())));
      } finally {
        kill();
      }
    },
  };
}

/**
 * An idle bot's RSS after start and a GC, and its peak RSS so far (`maxRssMb`: start-up included); then
 * stop it and wait for its Socket Mode connection to close.
 */
async function idleBot(dir: string, tsx: boolean, env: { kubeconfig: string; slack: SlackEmulator }, nodeFlags: string[] = []): Promise<Record<string, unknown>> {
  const c = await startChild(dir, tsx, env, 60_000, nodeFlags);
  try {
    await new Promise((r) => setTimeout(r, 1000));
    const settled = await c.ask('gc');
    const report = await c.ask('report');
    return { ...settled, maxRssMb: report.maxRssMb };
  } finally {
    await c.stop();
    await waitUntil(() => env.slack.socketConnections() === 0, 10_000, 'the idle bot to disconnect');
  }
}

/**
 * The node flags of the production image: the options between `node` and the script in the Dockerfile's
 * exec-form `CMD` (e.g. `CMD ["node", "--optimize-for-size", "dist/main.js"]` → `["--optimize-for-size"]`).
 * @throws Error when the Dockerfile has no exec-form `CMD` starting with `node`.
 */
export function imageNodeFlags(dockerfile: string): string[] {
  const line = dockerfile.split('\n').reverse().find((l) => /^CMD\s*\[/.test(l.trim()));
  const cmd = line ? (JSON.parse(line.trim().replace(/^CMD\s*/, '')) as string[]) : [];
  if (cmd[0] !== 'node') throw new Error('bench: the Dockerfile has no exec-form CMD ["node", …]');
  return cmd.slice(1, -1);
}

/** What one scale run found. */
interface ScaleRun {
  report: Record<string, unknown>;
  before: Record<string, unknown>;
  updatesMs: number;
  slowestUpdateMs: number;
  succeeded: number;
  clean: number;
  duplicates: number;
  lost: number;
  ok: boolean;
}

/** `names.length` concurrent updates in namespace `bench`, the bot a compiled child run with `nodeFlags`. */
async function scaleRun(
  dist: string,
  env: { kubeconfig: string; slack: SlackEmulator },
  cluster: Awaited<ReturnType<typeof startEmbeddedCluster>>,
  names: string[],
  nodeFlags: string[],
): Promise<ScaleRun> {
  const bot = await startChild(dist, false, env, 120_000, nodeFlags);
  let report: Record<string, unknown>;
  let before: Record<string, unknown>;
  let outcomes: Awaited<ReturnType<typeof runUpdates>>;
  let updatesMs: number;
  try {
    before = await bot.ask('gc');
    await bot.ask('measure');
    const t1 = Date.now();
    outcomes = await runUpdates({ cluster, slack: env.slack }, 'bench', names, 120_000);
    updatesMs = Date.now() - t1;
    report = await bot.ask('report');
  } finally {
    await bot.stop();
    await waitUntil(() => env.slack.socketConnections() === 0, 10_000, 'the scale bot to disconnect');
  }
  const mine = new Set(names);
  const store = cluster.store;
  const records = storeRecords(store).filter((r) => r.spec.database.namespace === 'bench' && mine.has(r.spec.database.name));
  const recordNames = new Set(records.map((r) => r.metadata.name));
  const ops = store.list(opsGvr(findEngine('mysql')!), 'bench').items.filter((op) => recordNames.has(op.metadata.labels?.[LABEL_RECORD] ?? ''));
  const perDb = new Map<string, number>();
  for (const r of records) perDb.set(r.spec.database.name, (perDb.get(r.spec.database.name) ?? 0) + 1);
  const perRecord = new Map<string, number>();
  for (const op of ops) perRecord.set(op.metadata.labels![LABEL_RECORD], (perRecord.get(op.metadata.labels![LABEL_RECORD]) ?? 0) + 1);
  const succeeded = outcomes.filter((x) => x.phase === 'Succeeded').length;
  const clean = outcomes.filter((x) => x.clean).length;
  const duplicates = [...perDb.values()].filter((n) => n > 1).length + [...perRecord.values()].filter((n) => n > 1).length;
  const lost = Math.max(0, names.length - outcomes.length) + records.filter((r) => !perRecord.has(r.metadata.name)).length;
  const ok = succeeded === names.length && clean === names.length && duplicates === 0 && lost === 0;
  return { report, before, updatesMs, slowestUpdateMs: Math.max(...outcomes.map((x) => x.durationMs)), succeeded, clean, duplicates, lost, ok };
}

/**
 * Run the scale benchmark: emulators here; idle bot children (baselines); then the scale run with the
 * production image's node flags (judged), and another on other databases with V8's defaults (informative).
 */
export async function benchScale(o: ScaleOptions): Promise<{ rows: Row[]; detail: Record<string, unknown> }> {
  const flags = imageNodeFlags(readFileSync(join(ROOT, 'Dockerfile'), 'utf8'));
  const shown = flags.length ? flags.join(' ') : 'no flags';
  const build = compile();
  try {
    // Idle bots, in the default world (no extra databases).
    const base = await startWorld();
    let idle: Record<string, unknown>, idleDefault: Record<string, unknown>, idleTsx: Record<string, unknown>;
    try {
      idle = await idleBot(build.dist, false, base.env, flags);
      idleDefault = await idleBot(build.dist, false, base.env);
      idleTsx = await idleBot(join(ROOT, 'src'), true, base.env);
    } finally {
      await base.stop();
    }
    // Each scale run in a world of its own, seeded alike, so that neither inherits the other's records.
    const seeded = async (nodeFlags: string[]) => {
      const w = await startWorld();
      try {
        const t0 = Date.now();
        await seedCluster(w.cluster.kubeConfig, { extraDatabases: Math.max(o.updates, o.databases - SEED_DATABASES.length), extraNamespace: 'bench', extraVersions: o.versions });
        await w.cluster.sim.settled(180_000);
        const seedMs = Date.now() - t0;
        const store = w.cluster.store;
        const count = (gvr: (e: (typeof ENGINES)[number]) => Parameters<typeof store.list>[0]) =>
          ENGINES.reduce((n, e) => n + (store.resourceType(gvr(e)) ? store.list(gvr(e), undefined).items.length : 0), 0);
        const cluster = { databases: count(dbGvr), versions: count(catalogGvr), pods: store.list({ group: '', version: 'v1', plural: 'pods' }, undefined).items.length, seedMs };
        const names = Array.from({ length: o.updates }, (_, i) => `bench-${i}`);
        return { cluster, run: await scaleRun(build.dist, w.env, w.cluster, names, nodeFlags) };
      } finally {
        await w.stop();
      }
    };
    const { cluster: c, run } = await seeded(flags);
    const { run: runDefault } = await seeded([]);
    const { databases, versions } = c;
    const peak = run.report.maxRssMb as number;
    const eld = run.report.eldMs as { p50: number; p99: number; max: number };
    const eldDefault = runDefault.report.eldMs as { p50: number; p99: number; max: number };
    const rows = [
      row({
        bench: 'scale',
        figure: `${o.updates} updates at once, ${databases} DBs, ${versions} catalog versions: clean (image flags; V8 defaults: ${runDefault.clean})`,
        value: run.clean,
        unit: 'updates',
        target: `${o.updates}, none lost or duplicated`,
        pass: run.ok && runDefault.ok,
      }),
      row({ bench: 'scale', figure: `time for ${o.updates} updates, image flags (${shown})`, value: run.updatesMs, unit: 'ms', baseline: runDefault.updatesMs, baselineLabel: 'V8 defaults' }),
      row({ bench: 'scale', figure: `peak RSS of the bot process, image flags (${shown})`, value: peak, unit: 'MB', baseline: idle.rssMb as number, baselineLabel: 'idle bot RSS, image flags', target: '< 200 MB', pass: peak < 200 }),
      row({ bench: 'scale', figure: 'peak RSS of the bot process, V8 defaults', value: runDefault.report.maxRssMb as number, unit: 'MB', baseline: idleDefault.rssMb as number, baselineLabel: 'idle bot RSS, V8 defaults' }),
      row({ bench: 'scale', figure: 'peak RSS of an idle bot (start-up included), image flags', value: idle.maxRssMb as number, unit: 'MB', baseline: idleDefault.maxRssMb as number, baselineLabel: 'same, V8 defaults' }),
      row({ bench: 'scale', figure: 'idle bot RSS under tsx (old harness runtime)', value: idleTsx.rssMb as number, unit: 'MB', baseline: idleDefault.rssMb as number, baselineLabel: 'idle bot RSS, compiled, V8 defaults' }),
      row({ bench: 'scale', figure: "bot's event-loop delay p99 during updates, image flags", value: eld.p99, unit: 'ms', baseline: eldDefault.p99, baselineLabel: 'V8 defaults' }),
      row({ bench: 'scale', figure: "bot's event-loop delay max during updates, image flags", value: eld.max, unit: 'ms', baseline: eldDefault.max, baselineLabel: 'V8 defaults' }),
    ];
    return {
      rows,
      detail: {
        options: o,
        imageNodeFlags: flags,
        compileMs: build.ms,
        idle,
        idleDefault,
        idleTsx,
        cluster: c,
        imageFlags: run,
        v8Defaults: runDefault,
      },
    };
  } finally {
    rmSync(build.dir, { recursive: true, force: true });
  }
}

/** The emulators of one scale world (cluster and Slack, in this process) and the bot child's view of them. */
export async function startWorld() {
  const cluster = await startEmbeddedCluster({ podReadyDelayMs: 15, stepDelayMs: 15 });
  const slack = await SlackEmulator.start({ channels: [{ id: CHANNEL, name: 'db-ops' }] });
  return {
    cluster,
    env: { kubeconfig: cluster.server.kubeconfigYaml({ token: BOT_SA_TOKEN }), slack },
    async stop() {
      await slack.stop();
      await cluster.stop();
    },
  };
}
