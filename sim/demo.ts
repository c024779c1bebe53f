/**
 * `npm run demo`: the whole job on the embedded defaults — a cluster emulator with simulated KubeDB and
 * a Slack emulator — driven through the real Bolt app and Kubernetes client. Alice types the command,
 * Bob approves, the update runs, and the conversation is printed as it would look in Slack.
 *
 *   npm run demo                               # MySQL orders → 8.4
 *   npm run demo -- --engine postgres          # Postgres billing/ledger → 16 (major, with pre-update)
 *   npm run demo -- --engine perconaxtradb     # or proxysql
 *   npm run demo -- --fail-at images           # KubeDB fails at a step: the failure post
 *   npm run demo -- --backend direct           # no Ops Manager: the bot's own pipeline (patch/minor:
 *                                              #   mysql → 8.0.36, postgres → 15.10, …)
 *   npm run demo -- --backend direct --fail-at images   # the first pod to move never pulls its image:
 *                                              #   the roll stops, rolls back, resumes, and says so
 *
 *   npm run demo -- --restart-at paused        # the bot runs as a child process and is killed (SIGKILL)
 *                                              #   right after "paused" is posted; a new process finishes
 *
 * Exits 0 when the update ended as expected (Succeeded, or Failed with --fail-at).
 */
import { runCli } from '../src/startup/cli.js';
import { startWorld, startEmbeddedCluster, worldConfig, USERS, CHANNEL } from './world.js';
import { SlackEmulator } from './slack/server.js';
import { spawnBot, waitUntilLeading, writeBotFiles, type BotProcess } from './bot-process.js';
import { RecordStore } from '../src/updates/records.js';
import { approve, request, settle } from './script.js';
import { DEMO_SCENARIOS } from './scenarios.js';

/** `npm run demo -- --help`. */
const USAGE = `Usage: npm run demo [-- options]

Runs one whole update on the embedded cluster and Slack emulators (nothing to install, no Slack or
Kubernetes account): Alice asks, Bob approves, the bot updates the database and posts each step; the
conversation is printed as Slack would show it. Exit code 0 when the update ended as expected.

Options:
  --engine <name>       mysql (default), postgres, perconaxtradb, proxysql, …
  --backend <name>      ops-request (default: KubeDB's OpsRequest) or direct (the bot's own pipeline)
  --fail-at <step>      make KubeDB fail at a step: pause, pre-update, images, checks, resume
                        (with --backend direct: images only)
  --restart-at <post>   run the bot as a child process, kill it (SIGKILL) after a post
                        (paused, images, checks, approval) and let a new process finish
  --pod-ready-ms <ms>   simulated pod start-up time in milliseconds (default 150)
  -h, --help            show this help
`;

const values = runCli(process.argv.slice(2), 'npm run demo', USAGE, {
  engine: { type: 'string', default: 'mysql' },
  'fail-at': { type: 'string' },
  'pod-ready-ms': { type: 'string', default: '150' },
  backend: { type: 'string', default: 'ops-request' },
  'restart-at': { type: 'string' },
}) as { engine: string; 'fail-at'?: string; 'pod-ready-ms': string; backend: string; 'restart-at'?: string };

const backend = values.backend!;
if (backend !== 'direct' && backend !== 'ops-request') {
  process.stderr.write('--backend must be one of: ops-request, direct\n');
  process.exit(2);
}
/** The direct backend does patch/minor updates only: these replace the major demo scenarios there. */
const DIRECT_COMMANDS: Record<string, string> = {
  mysql: 'mysql orders 8.0.36 --reason "patch release"',
  postgres: 'postgres billing/ledger 15.10',
};
const scenario = DEMO_SCENARIOS[values.engine!] && backend === 'direct' && DIRECT_COMMANDS[values.engine!]
  ? { ...DEMO_SCENARIOS[values.engine!], command: DIRECT_COMMANDS[values.engine!] }
  : DEMO_SCENARIOS[values.engine!];
if (!scenario) {
  process.stderr.write(`--engine must be one of: ${Object.keys(DEMO_SCENARIOS).join(', ')}\n`);
  process.exit(2);
}
const failAt = values['fail-at'];
const FAIL_STEPS = ['pause', 'pre-update', 'images', 'checks', 'resume'];
if (failAt && !FAIL_STEPS.includes(failAt)) {
  process.stderr.write(`--fail-at must be one of: ${FAIL_STEPS.join(', ')}\n`);
  process.exit(2);
}
if (failAt && backend === 'direct' && failAt !== 'images') {
  process.stderr.write('with --backend direct, --fail-at supports: images (a pod that never pulls its new image)\n');
  process.exit(2);
}

const out = (s = '') => process.stdout.write(`${s}\n`);
const podReadyDelayMs = Number(values['pod-ready-ms']);
const RESTART_POSTS: Record<string, RegExp> = { paused: /Paused/, images: /Images updated/, checks: /Checks passed/, approval: /Waiting for approval/ };
if (values['restart-at']) {
  const at = RESTART_POSTS[values['restart-at']];
  if (!at) {
    process.stderr.write(`--restart-at must be one of: ${Object.keys(RESTART_POSTS).join(', ')}\n`);
    process.exit(2);
  }
  process.exit(await demoRestart(values['restart-at'], at));
}

/** The restart demo: the real bot process is killed with SIGKILL after a step is posted; a new one finishes. */
async function demoRestart(step: string, posted: RegExp): Promise<number> {
  const cluster = await startEmbeddedCluster({ podReadyDelayMs: Math.max(podReadyDelayMs, 300), stepDelayMs: 300, opsManager: backend === 'ops-request' });
  const slack = await SlackEmulator.start({ channels: [{ id: CHANNEL, name: 'db-ops' }] });
  const files = writeBotFiles(cluster, worldConfig({ leaseDurationSeconds: 2, backend }));
  const procs: BotProcess[] = [];
  try {
    const first = spawnBot({ files, slack, identity: 'bot-1' });
    procs.push(first);
    await waitUntilLeading(cluster, slack, 'bot-1', first);
    out(`bot process 1 (pid ${first.child.pid}) is connected and leads`);
    out(`@alice types: /dbupdate ${scenario.command}`);
    const records = new RecordStore(cluster.kube, 'dbupdate');
    const { record, parent } = await request(slack, records, USERS.requester, CHANNEL, scenario.command, 20_000);
    if (step !== 'approval') {
      out(`@bob clicks Approve on request ${record.metadata.name}`);
      await approve(slack, CHANNEL, parent, USERS.approver);
      await slack.waitFor(() => slack.replies(CHANNEL, parent.ts).some((m) => posted.test(m.text)) || undefined, { timeoutMs: 30_000, what: `the ${step} post` });
    }
    first.kill('SIGKILL');
    await first.exited;
    out(`💥 kill -9 ${first.child.pid}: bot process 1 is gone${step === 'approval' ? ' while approval is pending' : ` right after "${step}" was posted`}`);
    const second = spawnBot({ files, slack, identity: 'bot-2' });
    procs.push(second);
    await waitUntilLeading(cluster, slack, 'bot-2', second);
    out(`bot process 2 (pid ${second.child.pid}) took the Lease and goes on from the record`);
    if (step === 'approval') {
      out(`@bob clicks Approve on request ${record.metadata.name}`);
      await approve(slack, CHANNEL, parent, USERS.approver);
    }
    const done = await settle(records, record.metadata.name, 120_000);
    out('');
    out('──── #db-ops, as Slack shows it ────');
    out(slack.transcript(CHANNEL));
    out('────────────────────────────────────');
    const lines = slack.replies(CHANNEL, parent.ts).map((m) => m.text);
    const twice = [/Paused/, /Images updated/, /Checks passed/, /Resumed/, /Done/].filter((re) => lines.filter((l) => re.test(l)).length !== 1);
    out(`Record ${done.metadata.name}: ${done.status?.phase}; each step posted once: ${twice.length === 0 ? 'yes' : `NO (${twice.join(', ')})`}`);
    return done.status?.phase === 'Succeeded' && twice.length === 0 ? 0 : 1;
  } finally {
    for (const p of procs) p.kill('SIGTERM');
    await Promise.all(procs.map((p) => p.exited));
    await slack.stop();
    await cluster.stop();
  }
}
const world = backend === 'direct'
  ? await startWorld({
      sim: { podReadyDelayMs, stepDelayMs: 100, opsManager: false },
      config: { backend: 'direct' },
      direct: { podTimeoutMs: failAt ? 3_000 : 60_000, settleMs: 1_000, readyTimeoutMs: 30_000 },
    })
  : await startWorld({ sim: { podReadyDelayMs, stepDelayMs: 100 } });
try {
  if (failAt && backend === 'direct') {
    // The first pod the roll moves is the highest ordinal: it never pulls its new image.
    const pods = await world.cluster.kube.core.listNamespacedPod({ namespace: scenario.namespace, labelSelector: `app.kubernetes.io/instance=${scenario.name}` });
    const first = pods.items.map((p) => p.metadata!.name!).sort((a, b) => Number(b.split('-').pop()) - Number(a.split('-').pop()))[0];
    world.cluster.sim.faults.podNeverReady(scenario.namespace, first, 'ImagePullBackOff');
    out(`(fault injected: pod ${scenario.namespace}/${first} will not pull its new image; pod timeout 3s)`);
  } else if (failAt) world.cluster.sim.faults.failOpsAt(failAt as never);
  out(`Embedded cluster ${world.cluster.server.url} and Slack ${world.slack.apiUrl}`);
  out(`@alice types: /dbupdate ${scenario.command}`);
  const started = Date.now();
  const { record, parent } = await request(world.slack, world.bot.records, USERS.requester, CHANNEL, scenario.command);
  out(`@bob clicks Approve on request ${record.metadata.name}`);
  await approve(world.slack, CHANNEL, parent, USERS.approver);
  const done = await settle(world.bot.records, record.metadata.name, 120_000);
  out('');
  out(`──── #db-ops, as Slack shows it ────`);
  out(world.slack.transcript(CHANNEL));
  out(`────────────────────────────────────`);
  out(`Record ${done.metadata.namespace}/${done.metadata.name}: ${done.status?.phase} in ${((Date.now() - started) / 1000).toFixed(1)}s ` +
    `(kubectl get databaseupdates.dbupdate.dev -n ${done.metadata.namespace})`);
  const expected = failAt ? 'Failed' : 'Succeeded';
  if (done.status?.phase !== expected) {
    out(`Expected ${expected}, got ${done.status?.phase}`);
    process.exitCode = 1;
  }
} finally {
  await world.stop();
}
