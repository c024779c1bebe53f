/**
 * The demo as a function (`npm run demo`, sim/demo.ts, and test/demo-matrix.test.ts, which runs every
 * variant in one process): one update on the embedded cluster and Slack emulators, printed as Slack shows
 * it. The command is chosen so the backend can take it: on the direct backend (patch and minor updates
 * only) the newest patch/minor target the seeded database's catalog entry allows (KubeDB's real catalog,
 * sim/kubedb/catalog-facts.ts); where there is none (PerconaXtraDB 8.0.40: its only allowed target, 8.4.3,
 * is a major), the scenario's major is asked and the bot's refusal is the expected outcome. A refusal, a
 * timeout or any other failure is printed as the channel shows it, never as a stack trace.
 */
import { startWorld, startEmbeddedCluster, worldConfig, USERS, CHANNEL, type World } from './world.js';
import { SlackEmulator } from './slack/server.js';
import { spawnBot, waitUntilLeading, writeBotFiles, type BotProcess } from './bot-process.js';
import { RecordStore } from '../src/updates/records.js';
import { approve, pollUntil, settle } from './script.js';
import { DEMO_SCENARIOS, type Scenario } from './scenarios.js';
import { SEED_DATABASES } from './kubedb/seed.js';
import { realCatalog } from './kubedb/catalog.js';
import { findEngine } from '../src/engines/table.js';
import { allowedTargets, catalogEntryFromObject } from '../src/engines/versions.js';
import type { DatabaseUpdate } from '../src/api/v1alpha1/databaseupdate.js';
import type { SlackMessage } from './slack/server.js';
import { DEMO_EXTRAS, runExtraDemo, type DemoExtra } from './demo-extras.js';

export { DEMO_EXTRAS, type DemoExtra } from './demo-extras.js';

/** The pipelines the demo can run on. */
export const DEMO_BACKENDS = ['ops-request', 'direct'] as const;
export type DemoBackend = (typeof DEMO_BACKENDS)[number];

/** `--fail-at` steps: where the simulated KubeDB fails the OpsRequest. */
export const FAIL_STEPS = ['pause', 'pre-update', 'images', 'checks', 'resume'] as const;
export type FailStep = (typeof FAIL_STEPS)[number];

/** `--fail-at` steps the direct backend supports (a pod that never pulls its new image). */
export const DIRECT_FAIL_STEPS: readonly FailStep[] = ['images'];

/** `--restart-at` posts: the bot process is killed (SIGKILL) right after this post. */
export const RESTART_POSTS: Record<string, RegExp> = { paused: /\*Paused\*/, images: /\*Images updated\*/, checks: /\*Checks passed\*/, approval: /Waiting for approval/ };

/** The step posts of a thread (bold titles: a progress line such as `… (Paused=Unknown)` is not one). */
const STEP_POSTS = [/\*Paused\*/, /\*Images updated\*/, /\*Checks passed\*/, /\*Resumed\*/, /\*Done\*/];

/** `npm run demo -- --help`: every value listed here is run by test/demo-matrix.test.ts. */
export function demoUsage(): string {
  return `Usage: npm run demo [-- options]

Runs one whole update on the embedded cluster and Slack emulators (nothing to install, no Slack or
Kubernetes account): Alice asks, Bob approves, the bot updates the database and posts each step; the
conversation is printed as Slack would show it. Exit code 0 when the update ended as expected.

Options:
  --engine <name>       ${Object.keys(DEMO_SCENARIOS).join(', ')}
                        (default mysql)
  --backend <name>      ${DEMO_BACKENDS.join(' (default: KubeDB\'s OpsRequest) or ')} (the bot's own pipeline: patch and
                        minor updates only; an engine with no such target shows the bot's refusal)
  --fail-at <step>      make the update fail at a step: ${FAIL_STEPS.join(', ')}
                        (pre-update: postgres only; with --backend direct: ${DIRECT_FAIL_STEPS.join(', ')} only)
  --restart-at <post>   run the bot as a child process, kill it (SIGKILL) after a post
                        (${Object.keys(RESTART_POSTS).join(', ')}) and let a new process finish
  --pod-ready-ms <ms>   simulated pod start-up time in milliseconds (default 150)
  --fleet               a fleet update instead: four MySQL databases labelled tier=staging (and
                        demo/legacy, which is not Ready and is left out), one approval, a canary then
                        waves of two (with --backend direct: to 8.0.36, else 8.4)
  --drift               the version-drift report instead: /dbupdate drift over the seeded databases
  --backup              a major update backed up first: KubeStash (simulated) installed and a
                        BackupConfiguration targeting demo/orders (ops-request backend only)
  -h, --help            show this help

Without --backup the demo's cluster has no KubeStash, so a major update goes straight on (policy
backup.beforeMajor, default ifConfigured). The other commands (versions, status, list, cancel, resume,
retry) run in the browser console on the same embedded world: npm run console, then /dbupdate help.
`;
}

/** Options of one demo run. */
export interface DemoOptions {
  /** A key of {@link DEMO_SCENARIOS}. */
  engine: string;
  backend: DemoBackend;
  failAt?: FailStep;
  restartAt?: string;
  /** Simulated pod start-up time (ms). */
  podReadyMs: number;
  /** Simulated time of each OpsRequest step (ms; default 100). */
  stepDelayMs?: number;
  /** The direct pipeline's settle time after each pod in ms (default 1,000; the matrix test shortens it). */
  directSettleMs?: number;
  /** With `failAt` on the direct backend: how long the stuck pod is waited for, in ms (default 3,000). */
  directPodTimeoutMs?: number;
  /** `--fleet`, `--drift` or `--backup`: that demo instead of one update (`./demo-extras.ts`). */
  extra?: DemoExtra;
}

/** What a run ended in. `expected` is false when it did not end as {@link DemoPlan.expect} said. */
export interface DemoOutcome {
  expected: boolean;
  /** `Succeeded`/`Failed` (the record's phase), `refused` (the bot answered without recording), or `error`. */
  outcome: string;
  command: string;
  /** The bot's answer when it refused. */
  refusal?: string;
}

/** What a run will ask and how it should end. */
export interface DemoPlan {
  scenario: Scenario;
  command: string;
  expect: 'Succeeded' | 'Failed' | 'refused';
  /** Why the expectation is not the default, for the output. */
  note?: string;
  /**
   * Whether the bot is granted the opt-in `secrets` get (deploy/components/read-secrets): a Postgres
   * database with standbys on the direct backend needs it (pg-coordinator's failover is paused with the
   * auth Secret's credentials; src/updates/preflight.ts refuses without it).
   */
  readSecrets: boolean;
}

/** The seeded database of a scenario and its catalog entry's allowed targets (real catalog). */
function targetsOf(s: Scenario) {
  const seed = SEED_DATABASES.find((d) => d.namespace === s.namespace && d.name === s.name);
  const engine = findEngine(s.engine);
  if (!seed || !engine) return undefined;
  const topology = engine.kind === 'MySQL' && seed.replicas > 1 ? 'groupReplication' : undefined;
  const catalog = realCatalog(engine.catalogKind).map((o) => catalogEntryFromObject(engine, o, topology));
  const current = catalog.find((e) => e.name === seed.version);
  return current ? { seed, targets: allowedTargets(engine, current, catalog) } : undefined;
}

/** `mysql orders 8.4 --reason "…"` → `mysql orders <target>` (the engine word and database as typed). */
function withTarget(command: string, target: string): string {
  const [engine, db] = command.split(' ');
  return `${engine} ${db} ${target}`;
}

/**
 * Plan a run (pure): the command, and whether it should succeed, fail (`--fail-at`), or be refused.
 * @throws Error with a one-line usage message for an option the combination cannot take (an unknown
 *   engine, `--fail-at pre-update` on an update without that step, a `--fail-at` the direct backend lacks).
 */
export function planDemo(o: DemoOptions): DemoPlan {
  const scenario = DEMO_SCENARIOS[o.engine];
  if (!scenario) throw new Error(`--engine must be one of: ${Object.keys(DEMO_SCENARIOS).join(', ')}`);
  if (o.extra) {
    if (!DEMO_EXTRAS.includes(o.extra)) throw new Error(`the extra demos are: ${DEMO_EXTRAS.map((x) => `--${x}`).join(', ')}`);
    if (o.failAt || o.restartAt) throw new Error(`--${o.extra} cannot be combined with --fail-at or --restart-at`);
    if (o.engine !== 'mysql') throw new Error(`--${o.extra} runs on MySQL databases: leave --engine out`);
    if (o.extra === 'backup' && o.backend === 'direct') throw new Error('--backup shows a major update, which the direct backend does not take: leave --backend direct out');
    const command = o.extra === 'drift' ? 'drift' : o.extra === 'backup' ? 'mysql orders 8.4' : `mysql -l tier=staging ${o.backend === 'direct' ? '8.0.36' : '8.4'}`;
    return { scenario, command, expect: 'Succeeded', readSecrets: false };
  }
  if (o.failAt && o.backend === 'direct' && !DIRECT_FAIL_STEPS.includes(o.failAt)) {
    throw new Error(`with --backend direct, --fail-at supports: ${DIRECT_FAIL_STEPS.join(', ')} (a pod that never pulls its new image)`);
  }
  let command = scenario.command;
  let note: string | undefined;
  let refused = false;
  if (o.backend === 'direct') {
    const t = targetsOf(scenario);
    const minor = (t?.targets ?? []).filter((x) => x.updateType !== 'major');
    // Same base OS first; an exact name on another base OS passes with a warning (the exact name confirms it).
    const pick = minor.find((x) => !x.baseOsChange) ?? minor[0];
    if (pick) command = withTarget(scenario.command, pick.entry.name);
    else {
      refused = true;
      note = `the direct backend does patch and minor updates only, and ${t ? `\`${t.seed.version}\` allows no patch or minor target in KubeDB's catalog` : 'this database has no catalog entry'}: the bot refuses, as it would in Slack`;
    }
  }
  if (o.failAt === 'pre-update' && !(scenario.engine === 'postgres' && o.backend === 'ops-request')) {
    throw new Error('--fail-at pre-update: only a Postgres major update on the ops-request backend has a pre-update step (npm run demo -- --engine postgres --fail-at pre-update)');
  }
  if (o.failAt && o.restartAt) throw new Error('--fail-at and --restart-at cannot be combined: the restart demo shows an update that succeeds');
  if (refused && (o.failAt || o.restartAt)) {
    throw new Error(`--engine ${o.engine} --backend direct is refused before anything runs (${note}), so --fail-at/--restart-at do not apply`);
  }
  const seed = SEED_DATABASES.find((d) => d.namespace === scenario.namespace && d.name === scenario.name);
  const readSecrets = o.backend === 'direct' && !refused && scenario.engine === 'postgres' && (seed?.replicas ?? 1) > 1;
  if (readSecrets) {
    note = `\`${scenario.namespace}/${scenario.name}\` has standbys: on the direct backend the bot pauses pg-coordinator's failover with the database's auth Secret, so this demo installs the opt-in Secret grant (deploy/components/read-secrets, docs/secrets.md); without it the bot refuses and says so`;
  }
  return { scenario, command, expect: refused ? 'refused' : o.failAt ? 'Failed' : 'Succeeded', ...(note ? { note } : {}), readSecrets };
}

/**
 * Type the command and wait for its outcome: the record posted for approval, or the bot's final answer
 * without a record (a refusal). Never throws for a refusal.
 */
async function ask(slack: SlackEmulator, records: RecordStore, command: string, timeoutMs = 20_000): Promise<{ record: DatabaseUpdate; parent: SlackMessage } | { refusal: string }> {
  const before = new Set((await records.list()).map((r) => r.metadata.name));
  const ephemeral = () => slack.messages(CHANNEL).filter((m) => m.ephemeralTo === USERS.requester);
  const seen = ephemeral().length;
  await slack.typeCommand({ user: USERS.requester, channel: CHANNEL, text: command });
  return pollUntil<{ record: DatabaseUpdate; parent: SlackMessage } | { refusal: string }>(
    async () => {
      const r = (await records.list()).find((x) => !before.has(x.metadata.name) && x.status?.slack?.ts);
      if (r) return { record: r, parent: slack.message(CHANNEL, r.status!.slack!.ts!)! };
      // The bot's final word: an answer that is not the ack's "Checking…" and not a recorded request.
      const last = ephemeral().slice(seen).find((m) => !m.text.startsWith(':mag:') && !m.text.startsWith(':inbox_tray:'));
      return last ? { refusal: last.text } : undefined;
    },
    timeoutMs,
    () => `an answer to "/dbupdate ${command}"`,
  );
}

function printTranscript(slack: SlackEmulator, out: (s?: string) => void): void {
  out('');
  out('──── #db-ops, as Slack shows it ────');
  out(slack.transcript(CHANNEL));
  out('────────────────────────────────────');
}

/**
 * Run one demo and print it with `out`.
 * @returns the outcome (never rejects: an unexpected error is printed in one line and reported as `error`).
 */
export async function runDemo(o: DemoOptions, out: (s?: string) => void): Promise<DemoOutcome> {
  const plan = planDemo(o);
  if (plan.note) out(`(${plan.note})`);
  try {
    if (o.extra) return await runExtraDemo(o.extra, o.backend, { podReadyMs: o.podReadyMs, stepDelayMs: o.stepDelayMs, directSettleMs: o.directSettleMs }, out);
    return o.restartAt ? await demoRestart(o, plan, out) : await demoInProcess(o, plan, out);
  } catch (err) {
    const [first, ...rest] = (err as Error).message.split('\n');
    out(`demo failed: ${first}`);
    // A bot process's own last words (its log, not a stack): why it stopped.
    for (const l of rest.filter((x) => x.trim() && !/^\s+at /.test(x)).slice(-6)) out(`  ${l.length > 300 ? `${l.slice(0, 300)}…` : l}`);
    return { expected: false, outcome: 'error', command: plan.command };
  }
}

async function demoInProcess(o: DemoOptions, plan: DemoPlan, out: (s?: string) => void): Promise<DemoOutcome> {
  const { scenario, command } = plan;
  const stepDelayMs = o.stepDelayMs ?? 100;
  const world: World =
    o.backend === 'direct'
      ? await startWorld({
          // The Secrets grant where the update needs it (docs/secrets.md): Postgres standbys on the direct
          // backend; without it `billing/ledger` is refused at preflight (plan.note says so).
          sim: { podReadyDelayMs: o.podReadyMs, stepDelayMs, opsManager: false, readSecrets: plan.readSecrets },
          config: { backend: 'direct' },
          direct: { podTimeoutMs: o.failAt ? (o.directPodTimeoutMs ?? 3_000) : 60_000, settleMs: o.directSettleMs ?? 1_000, readyTimeoutMs: 30_000 },
        })
      : await startWorld({ sim: { podReadyDelayMs: o.podReadyMs, stepDelayMs } });
  try {
    if (o.failAt && o.backend === 'direct') {
      // The first pod the roll moves is the highest ordinal: it never pulls its new image.
      const pods = await world.cluster.kube.core.listNamespacedPod({ namespace: scenario.namespace, labelSelector: `app.kubernetes.io/instance=${scenario.name}` });
      const first = pods.items.map((p) => p.metadata!.name!).sort((a, b) => Number(b.split('-').pop()) - Number(a.split('-').pop()))[0];
      world.cluster.sim.faults.podNeverReady(scenario.namespace, first, 'ImagePullBackOff');
      out(`(fault injected: pod ${scenario.namespace}/${first} will not pull its new image; pod timeout ${((o.directPodTimeoutMs ?? 3_000) / 1000).toFixed(1)}s)`);
    } else if (o.failAt) world.cluster.sim.faults.failOpsAt(o.failAt);
    out(`Embedded cluster ${world.cluster.server.url} and Slack ${world.slack.apiUrl}`);
    out(`@alice types: /dbupdate ${command}`);
    const started = Date.now();
    const asked = await ask(world.slack, world.bot.records, command);
    if ('refusal' in asked) {
      printTranscript(world.slack, out);
      out(`The bot refused the request${plan.expect === 'refused' ? ' (expected)' : ''}: nothing was created.`);
      return { expected: plan.expect === 'refused', outcome: 'refused', command, refusal: asked.refusal };
    }
    const { record, parent } = asked;
    out(`@bob clicks Approve on request ${record.metadata.name}`);
    await approve(world.slack, CHANNEL, parent, USERS.approver);
    const done = await settle(world.bot.records, record.metadata.name, 120_000);
    printTranscript(world.slack, out);
    out(`Record ${done.metadata.namespace}/${done.metadata.name}: ${done.status?.phase} in ${((Date.now() - started) / 1000).toFixed(1)}s ` + `(kubectl get databaseupdates.dbupdate.dev -n ${done.metadata.namespace})`);
    const phase = done.status?.phase ?? 'Pending';
    if (phase !== plan.expect) out(`Expected ${plan.expect}, got ${phase}`);
    return { expected: phase === plan.expect, outcome: phase, command };
  } finally {
    await world.stop();
  }
}

/** The restart demo: the real bot process is killed with SIGKILL after a step is posted; a new one finishes. */
async function demoRestart(o: DemoOptions, plan: DemoPlan, out: (s?: string) => void): Promise<DemoOutcome> {
  const step = o.restartAt!;
  const posted = RESTART_POSTS[step];
  if (!posted) throw new Error(`--restart-at must be one of: ${Object.keys(RESTART_POSTS).join(', ')}`);
  const cluster = await startEmbeddedCluster({ podReadyDelayMs: Math.max(o.podReadyMs, 300), stepDelayMs: 300, opsManager: o.backend === 'ops-request', readSecrets: plan.readSecrets });
  // A generous ack deadline (Slack's is 3 s): a bot process starting on a busy machine is slow to answer
  // its first command, and the demo is about the restart, not the ack deadline (test/ack-*.test.ts are).
  const slack = await SlackEmulator.start({ channels: [{ id: CHANNEL, name: 'db-ops' }], ackTimeoutMs: 10_000 });
  const files = writeBotFiles(cluster, worldConfig({ leaseDurationSeconds: 2, backend: o.backend }));
  const procs: BotProcess[] = [];
  try {
    // PORT 0: the health server on any free port (8080 may be taken on the user's machine, or by a test).
    const first = spawnBot({ files, slack, identity: 'bot-1', env: { PORT: '0' } });
    procs.push(first);
    await waitUntilLeading(cluster, slack, 'bot-1', first);
    out(`bot process 1 (pid ${first.child.pid}) is connected and leads`);
    out(`@alice types: /dbupdate ${plan.command}`);
    const records = new RecordStore(cluster.kube, 'dbupdate');
    const asked = await ask(slack, records, plan.command);
    if ('refusal' in asked) {
      printTranscript(slack, out);
      return { expected: false, outcome: 'refused', command: plan.command, refusal: asked.refusal };
    }
    const { record, parent } = asked;
    if (step !== 'approval') {
      out(`@bob clicks Approve on request ${record.metadata.name}`);
      await approve(slack, CHANNEL, parent, USERS.approver);
      await slack.waitFor(() => slack.replies(CHANNEL, parent.ts).some((m) => posted.test(m.text)) || undefined, { timeoutMs: 30_000, what: `the ${step} post` });
    }
    first.kill('SIGKILL');
    await first.exited;
    out(`💥 kill -9 ${first.child.pid}: bot process 1 is gone${step === 'approval' ? ' while approval is pending' : ` right after "${step}" was posted`}`);
    const second = spawnBot({ files, slack, identity: 'bot-2', env: { PORT: '0' } });
    procs.push(second);
    await waitUntilLeading(cluster, slack, 'bot-2', second);
    out(`bot process 2 (pid ${second.child.pid}) took the Lease and goes on from the record`);
    if (step === 'approval') {
      out(`@bob clicks Approve on request ${record.metadata.name}`);
      await approve(slack, CHANNEL, parent, USERS.approver);
    }
    const done = await settle(records, record.metadata.name, 120_000);
    printTranscript(slack, out);
    const lines = slack.replies(CHANNEL, parent.ts).map((m) => m.text);
    const twice = STEP_POSTS.filter((re) => lines.filter((l) => re.test(l)).length !== 1);
    out(`Record ${done.metadata.name}: ${done.status?.phase}; each step posted once: ${twice.length === 0 ? 'yes' : `NO (${twice.join(', ')})`}`);
    return { expected: done.status?.phase === 'Succeeded' && twice.length === 0, outcome: done.status?.phase ?? 'Pending', command: plan.command };
  } finally {
    for (const p of procs) p.kill('SIGTERM');
    await Promise.all(procs.map((p) => p.exited));
    await slack.stop();
    await cluster.stop();
  }
}
