/**
 * `npm run demo`: the whole job on the embedded defaults — a cluster emulator with simulated KubeDB and
 * a Slack emulator — driven through the real Bolt app and Kubernetes client. Alice types the command,
 * Bob approves, the update runs, and the conversation is printed as it would look in Slack
 * (sim/demo-run.ts; every variant below is run by test/demo-matrix.test.ts).
 *
 *   npm run demo                               # MySQL orders → 8.4
 *   npm run demo -- --engine postgres          # Postgres billing/ledger → 16 (major, with pre-update)
 *   npm run demo -- --fail-at images           # KubeDB fails at a step: the failure post
 *   npm run demo -- --backend direct           # no Ops Manager: the bot's own pipeline, on the newest
 *                                              #   patch/minor target (mysql → 8.0.36, postgres → 15.17, …)
 *   npm run demo -- --backend direct --fail-at images   # the first pod to move never pulls its image:
 *                                              #   the roll stops, rolls back, resumes, and says so
 *   npm run demo -- --restart-at paused        # the bot runs as a child process and is killed (SIGKILL)
 *                                              #   right after "paused" is posted; a new process finishes
 *   npm run demo -- --fleet                    # a fleet update: plan, one approval, canary then waves
 *   npm run demo -- --drift                    # the version-drift report
 *   npm run demo -- --backup                   # a major update backed up first (simulated KubeStash)
 *
 * Exits 0 when the update ended as expected (Succeeded; Failed with --fail-at; refused where the backend can
 * take no target), 1 otherwise, 2 on a usage error. Nothing ends in a stack trace.
 */
import { runCli } from '../src/startup/cli.js';
import { DEMO_BACKENDS, DEMO_EXTRAS, FAIL_STEPS, RESTART_POSTS, demoUsage, planDemo, runDemo, type DemoBackend, type DemoOptions, type FailStep } from './demo-run.js';

const USAGE = demoUsage();

const values = runCli(process.argv.slice(2), 'npm run demo', USAGE, {
  engine: { type: 'string', default: 'mysql' },
  'fail-at': { type: 'string' },
  'pod-ready-ms': { type: 'string', default: '150' },
  backend: { type: 'string', default: 'ops-request' },
  'restart-at': { type: 'string' },
  fleet: { type: 'boolean' },
  drift: { type: 'boolean' },
  backup: { type: 'boolean' },
}) as { engine: string; 'fail-at'?: string; 'pod-ready-ms': string; backend: string; 'restart-at'?: string; fleet?: boolean; drift?: boolean; backup?: boolean };

function usageError(message: string): never {
  process.stderr.write(`npm run demo --: ${message}. See: npm run demo -- --help\n`);
  process.exit(2);
}

if (!(DEMO_BACKENDS as readonly string[]).includes(values.backend)) usageError(`--backend must be one of: ${DEMO_BACKENDS.join(', ')}`);
const failAt = values['fail-at'];
if (failAt !== undefined && !(FAIL_STEPS as readonly string[]).includes(failAt)) usageError(`--fail-at must be one of: ${FAIL_STEPS.join(', ')}`);
const restartAt = values['restart-at'];
if (restartAt !== undefined && !RESTART_POSTS[restartAt]) usageError(`--restart-at must be one of: ${Object.keys(RESTART_POSTS).join(', ')}`);
const podReadyMs = Number(values['pod-ready-ms']);
if (!Number.isFinite(podReadyMs) || podReadyMs < 0) usageError('--pod-ready-ms must be a number of milliseconds ≥ 0');

const extras = DEMO_EXTRAS.filter((x) => values[x]);
if (extras.length > 1) usageError(`choose one of ${extras.map((x) => `--${x}`).join(', ')}`);

const options: DemoOptions = {
  engine: values.engine,
  backend: values.backend as DemoBackend,
  ...(failAt ? { failAt: failAt as FailStep } : {}),
  ...(restartAt ? { restartAt } : {}),
  ...(extras[0] ? { extra: extras[0] } : {}),
  podReadyMs,
};
try {
  planDemo(options);
} catch (err) {
  usageError((err as Error).message);
}
const result = await runDemo(options, (s = '') => process.stdout.write(`${s}\n`));
process.exit(result.expected ? 0 : 1);
