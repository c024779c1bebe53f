/**
 * `npm run demo`: the whole job on the embedded defaults — a cluster emulator with simulated KubeDB and
 * a Slack emulator — driven through the real Bolt app and Kubernetes client. Alice types the command,
 * Bob approves, the update runs, and the conversation is printed as it would look in Slack.
 *
 *   npm run demo                               # MySQL orders → 8.4
 *   npm run demo -- --engine postgres          # Postgres billing/ledger → 16 (major, with pre-update)
 *   npm run demo -- --engine perconaxtradb     # or proxysql
 *   npm run demo -- --fail-at images           # KubeDB fails at a step: the failure post
 *
 * Exits 0 when the update ended as expected (Succeeded, or Failed with --fail-at).
 */
import { parseArgs } from 'node:util';
import { startWorld, USERS, CHANNEL } from './sim/world.js';
import { approve, request, settle } from './sim/script.js';
import { DEMO_SCENARIOS } from './sim/scenarios.js';

const { values } = parseArgs({
  options: {
    engine: { type: 'string', default: 'mysql' },
    'fail-at': { type: 'string' },
    'pod-ready-ms': { type: 'string', default: '150' },
  },
});

const scenario = DEMO_SCENARIOS[values.engine!];
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

const out = (s = '') => process.stdout.write(`${s}\n`);
const world = await startWorld({ sim: { podReadyDelayMs: Number(values['pod-ready-ms']), stepDelayMs: 100 } });
try {
  if (failAt) world.cluster.sim.faults.failOpsAt(failAt as never);
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
