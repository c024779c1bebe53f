/**
 * `npm run chaos`: the long chaos run. For each backend (`ops-request`, `direct`) two runs, one with 5 %
 * and one with 15 % of the bot's Kubernetes API requests failing; together at least `--kills` SIGKILLs
 * per backend (default 22), a SIGSTOP longer than the Lease and a targeted split-brain per run, and
 * Slack answers lost after the message was stored (`--slack-loss`, default 10 %). Prints a table of
 * counts and every violation; exits 1 on any violation.
 *
 *   npm run chaos                                   # everything, a fresh seed (printed)
 *   npm run chaos -- --seed 1234                    # replay the schedule of a run
 *   npm run chaos -- --backend direct --rates 0.15 --seed 1234   # one of its runs
 *   npm run chaos -- --kills 30 --updates 6
 *
 * A run's seed is the base seed, plus 1000 for `direct`, plus the rate in percent, so a run is replayed with
 * the same base seed whichever subset is selected. The seed fixes the schedule (which fault, when, which
 * replica, how long, which requests fail); how the processes interleave is up to the OS.
 */
import { runCli } from '../../src/startup/cli.js';
import { runChaos, type ChaosResult } from './run.js';
import { newSeed } from './rng.js';
import { countsTable, violationsText } from './report.js';
import type { Backend } from '../../src/api/v1alpha1/databaseupdate.js';

const HELP = `Usage: npm run chaos -- [--seed N] [--backend ops-request|direct|both] [--kills N] [--rates 0.05,0.15] [--updates N] [--slack-loss 0.1]
  --seed N        base seed (default: random, printed)
  --backend B     ops-request, direct or both (default both)
  --kills N       SIGKILLs per backend, spread over its runs (default 22)
  --rates LIST    Kubernetes API fault rates, one run each (default 0.05,0.15)
  --updates N     updates per run besides the split-brain one (default 4)
  --slack-loss R  share of stored chat.postMessage answers lost (default 0.1)
  --lease S       leader Lease duration in seconds (default 2)
  -h, --help      this help`;

const values = runCli(process.argv.slice(2), 'npm run chaos', HELP, {
  seed: { type: 'string' },
  backend: { type: 'string', default: 'both' },
  kills: { type: 'string', default: '22' },
  rates: { type: 'string', default: '0.05,0.15' },
  updates: { type: 'string', default: '4' },
  'slack-loss': { type: 'string', default: '0.1' },
  lease: { type: 'string', default: '2' },
}) as Record<string, string | undefined>;
const num = (name: string, v: string, ok: (n: number) => boolean): number => {
  const n = Number(v);
  if (!Number.isFinite(n) || !ok(n)) {
    process.stderr.write(`--${name} ${v}: not a valid value\n${HELP}\n`);
    process.exit(2);
  }
  return n;
};
const seed = values.seed !== undefined ? num('seed', values.seed, (n) => Number.isInteger(n) && n >= 0) : newSeed();
const backends: Backend[] = values.backend === 'both' ? ['ops-request', 'direct'] : [values.backend as Backend];
if (!backends.every((b) => b === 'ops-request' || b === 'direct')) {
  process.stderr.write(`--backend ${values.backend}: must be ops-request, direct or both\n`);
  process.exit(2);
}
const kills = num('kills', values.kills!, (n) => Number.isInteger(n) && n >= 0);
const rates = values.rates!.split(',').map((r) => num('rates', r, (n) => n >= 0 && n < 1));
const updates = num('updates', values.updates!, (n) => Number.isInteger(n) && n >= 1);
const slackLoss = num('slack-loss', values['slack-loss']!, (n) => n >= 0 && n < 1);
const lease = num('lease', values.lease!, (n) => Number.isInteger(n) && n >= 1);

for (const sig of ['SIGINT', 'SIGTERM'] as const) process.once(sig, () => process.exit(130)); // the replicas are killed on exit
process.stdout.write(`chaos: base seed ${seed} (replay: npm run chaos -- --seed ${seed})\n`);
const results: ChaosResult[] = [];
for (const backend of backends) {
  for (const [i, apiFaultRate] of rates.entries()) {
    const share = Math.ceil((kills * (i + 1)) / rates.length) - Math.ceil((kills * i) / rates.length);
    const result = await runChaos({
      backend,
      seed: seed + (backend === 'direct' ? 1000 : 0) + Math.round(apiFaultRate * 100),
      updates,
      kills: share,
      stops: 1,
      splitBrain: true,
      apiFaultRate,
      slackLossRate: slackLoss,
      leaseSeconds: lease,
      gapMs: [800, 2500],
      settleTimeoutMs: 120_000,
      log: (l) => process.stdout.write(`${l}\n`),
    });
    results.push(result);
    process.stdout.write(`   → ${result.counts.succeeded}/${result.counts.records} Succeeded, ${result.violations.length} violation(s), ${Math.round(result.durationMs / 1000)} s\n`);
  }
}
process.stdout.write(`\n${countsTable(results)}\n`);
const bad = violationsText(results);
if (bad) process.stdout.write(`\nViolations:\n${bad}\n`);
process.stdout.write(`\nbase seed ${seed}: ${bad ? 'FAILED' : 'all invariants held'}\n`);
process.exit(bad ? 1 : 0);
