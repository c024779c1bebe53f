/**
 * `npm run bench [-- --quick] [-- --only ack,notify,cost,scale,history,lease,real,fleet,drift,fleetsize]`: runs the benchmarks on the embedded
 * emulators, each with its baseline measured in the same run, prints one table (figure, baseline, ratio,
 * target, pass/fail) and writes `bench/results.json`. See bench/README.md for what each figure means.
 * The whole run is bounded: each benchmark has its own time limit, and the process exits when done.
 */
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { benchAck } from './ack.js';
import { benchNotify } from './notify.js';
import { benchCost } from './cost.js';
import { benchScale } from './scale.js';
import { benchHistory } from './history.js';
import { benchLease } from './lease.js';
import { benchFleet } from './fleet.js';
import { benchReal } from './real.js';
import { benchDrift } from './drift.js';
import { benchFleetSize } from './fleetsize.js';
import type { Row } from './common.js';

import { runCli } from '../src/startup/cli.js';

const USAGE = `Usage: npm run bench [-- options]

Runs the benchmarks (ack, notify, cost, scale, history, lease) on the embedded emulators, each against a baseline
measured in the same run, and real (the bot on the real kube-apiserver beside the emulator); prints a table and writes bench/results.json (see bench/README.md).

Options:
  --quick               smaller sizes (the whole suite in about a minute); figures reported, not judged
  --only <names>        comma-separated subset: ack,notify,cost,scale,history,lease,real,fleet,drift,fleetsize
  -h, --help            show this help
`;
const args = runCli(process.argv.slice(2), 'npm run bench', USAGE, { quick: { type: 'boolean', default: false }, only: { type: 'string' } });
const quick = args.quick === true;
const only = typeof args.only === 'string' ? args.only.split(',') : undefined;

/** Sizes: full per the issue; quick runs the whole suite in under a minute. */
const SIZES = quick
  ? { burst: 50, warmup: 10, ackRounds: 5, steps: 20, costN: 1, scale: { updates: 10, databases: 200, versions: 200 }, history: { records: 2000, historyDatabases: 100, updates: 10, preflights: 10 }, leaseSeconds: 30, realUpdates: 1, fleetMembers: 20, drift: { databases: 1000, rounds: 3 }, fleetsize: { databases: 1000, records: 1000, updates: 10, later: 2, queries: 5, replicas: 1 } }
  : { burst: 200, warmup: 20, ackRounds: 15, steps: 100, costN: 3, scale: { updates: 50, databases: 1000, versions: 200 }, history: { records: 10_000, historyDatabases: 200, updates: 50, preflights: 30 }, leaseSeconds: 60, realUpdates: 3, fleetMembers: 200, drift: { databases: 10_000, rounds: 7 }, fleetsize: { databases: 10_000, records: 10_000, updates: 50, later: 3, queries: 10, replicas: 1 } };

type Bench = { name: string; limitMs: number; run: () => Promise<{ rows: Row[]; detail: Record<string, unknown> }> };
const BENCHES: Bench[] = [
  { name: 'ack', limitMs: 120_000, run: () => benchAck({ burst: SIZES.burst, warmup: SIZES.warmup, rounds: SIZES.ackRounds }) },
  { name: 'notify', limitMs: 180_000, run: () => benchNotify({ steps: SIZES.steps }) },
  { name: 'cost', limitMs: 180_000, run: () => benchCost({ n: SIZES.costN }) },
  { name: 'scale', limitMs: 420_000, run: () => benchScale(SIZES.scale) },
  { name: 'history', limitMs: 600_000, run: () => benchHistory(SIZES.history) },
  { name: 'lease', limitMs: 180_000, run: () => benchLease({ seconds: SIZES.leaseSeconds }) },
  { name: 'real', limitMs: 300_000, run: () => benchReal({ updates: SIZES.realUpdates }) },
  { name: 'fleet', limitMs: 900_000, run: () => benchFleet({ members: SIZES.fleetMembers }) },
  { name: 'drift', limitMs: 120_000, run: () => benchDrift(SIZES.drift) },
  { name: 'fleetsize', limitMs: 900_000, run: () => benchFleetSize(SIZES.fleetsize) },
];
const unknown = only?.filter((n) => !BENCHES.some((b) => b.name === n)) ?? [];
if (unknown.length) {
  process.stderr.write(`npm run bench --: unknown benchmark ${unknown.join(', ')} in --only (known: ${BENCHES.map((b) => b.name).join(', ')})\n`);
  process.exit(2);
}

/** Reject after `ms`. */
function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let t: NodeJS.Timeout | undefined;
  return Promise.race([p, new Promise<T>((_, reject) => (t = setTimeout(() => reject(new Error(`${what} exceeded its ${ms} ms limit`)), ms)))]).finally(() => clearTimeout(t));
}

const fmt = (v: number | undefined, digits = 1) => (v === undefined || Number.isNaN(v) ? '' : v >= 100 ? v.toFixed(0) : v.toFixed(digits));

/** Render rows as a fixed-width table. */
function table(rows: Row[]): string {
  const head = ['benchmark', 'figure', 'value', 'baseline', 'ratio', 'target', 'result'];
  const body = rows.map((r) => [
    r.bench,
    r.figure,
    `${fmt(r.value)} ${r.unit}`,
    r.baseline !== undefined ? `${fmt(r.baseline)} ${r.unit} (${r.baselineLabel ?? ''})` : '',
    r.ratio !== undefined ? `${r.ratio.toFixed(2)}×` : '',
    r.target ?? '',
    r.pass === undefined ? '' : r.pass ? 'PASS' : 'FAIL',
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i])).join(' | ');
  return [line(head), widths.map((w) => '-'.repeat(w)).join('-|-'), ...body.map(line)].join('\n');
}

async function main(): Promise<number> {
  const started = Date.now();
  const rows: Row[] = [];
  const details: Record<string, unknown> = {};
  const errors: Record<string, string> = {};
  for (const b of BENCHES) {
    if (only && !only.includes(b.name)) continue;
    const t = Date.now();
    process.stderr.write(`bench: ${b.name}…\n`);
    try {
      const res = await within(b.run(), b.limitMs, `benchmark ${b.name}`);
      rows.push(...res.rows);
      details[b.name] = res.detail;
    } catch (err) {
      errors[b.name] = err instanceof Error ? err.message : String(err);
      rows.push({ bench: b.name, figure: `error: ${errors[b.name].split('\n')[0]}`, value: NaN, unit: '', pass: false });
    }
    process.stderr.write(`bench: ${b.name} done in ${((Date.now() - t) / 1000).toFixed(1)} s\n`);
  }
  const out = {
    when: new Date().toISOString(),
    mode: quick ? 'quick' : 'full',
    node: process.version,
    platform: `${process.platform} ${process.arch}`,
    totalSeconds: (Date.now() - started) / 1000,
    rows,
    details,
    errors,
  };
  const file = fileURLToPath(new URL('./results.json', import.meta.url));
  writeFileSync(file, JSON.stringify(out, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v), 2) + '\n');
  console.log(table(rows));
  console.log(`\n${quick ? 'quick' : 'full'} run in ${out.totalSeconds.toFixed(1)} s; results in ${file}`);
  return rows.some((r) => r.pass === false) ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(err);
    process.exit(2);
  },
);
