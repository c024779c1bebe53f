/**
 * Every demo variant `npm run demo -- --help` lists, for every engine it lists (#20 item 8): each ends as
 * planned — Succeeded, Failed at the injected step, or, where the backend can take no target, the bot's
 * refusal printed as the channel shows it — and nothing prints a stack trace. The in-process variants run half
 * in this process and half on a worker thread (sim/demo-worker.ts), three at a time on each (sim/demo-run.ts
 * `runDemo`, 10 ms simulated steps); the restart variants,
 * which spawn and kill bot processes, run with the default engine: every post on the ops-request backend
 * (one after the other), one on the direct backend, both alongside the in-process pool (see below). The CLI itself
 * is run for the case of the issue (`--backend direct --engine perconaxtradb`) and for its usage errors.
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import pLimit from 'p-limit';
import { DEMO_SCENARIOS } from '../sim/scenarios.js';
import { runDemosInWorker } from '../sim/demo-worker.js';
import { DEMO_BACKENDS, DEMO_EXTRAS, DIRECT_FAIL_STEPS, FAIL_STEPS, RESTART_POSTS, demoUsage, planDemo, runDemo, type DemoOptions } from '../sim/demo-run.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const FAST = { podReadyMs: 10, stepDelayMs: 10, directSettleMs: 50, directPodTimeoutMs: 500 };

/** Run one variant in this process; its printed lines and outcome. */
async function run(o: DemoOptions) {
  const lines: string[] = [];
  const result = await runDemo(o, (s = '') => lines.push(s));
  return { ...result, text: lines.join('\n') };
}

/** What a run must show, whatever its outcome: the transcript and no stack trace. */
function expectReadable(r: Awaited<ReturnType<typeof run>>, label: string) {
  expect(r.text, label).toContain('──── #db-ops, as Slack shows it ────');
  expect(r.text, label).not.toMatch(/\n\s+at .+:\d+:\d+/);
  // a progress line edited when its step is done says how it ended, not what it was waiting for
  expect(r.text, label).not.toMatch(/:white_check_mark: Waiting/);
  expect(r.outcome, `${label}\n${r.text}`).not.toBe('error');
}

/** Every in-process variant the help lists: engine × backend, and engine × backend × --fail-at step where it applies. */
function inProcessVariants(): DemoOptions[] {
  const all: DemoOptions[] = [];
  for (const engine of Object.keys(DEMO_SCENARIOS)) {
    for (const backend of DEMO_BACKENDS) {
      all.push({ engine, backend, ...FAST });
      for (const failAt of backend === 'direct' ? DIRECT_FAIL_STEPS : FAIL_STEPS) {
        const o: DemoOptions = { engine, backend, failAt, ...FAST };
        try {
          planDemo(o);
          all.push(o);
        } catch {
          /* not offered for this engine (the help says where): checked below */
        }
      }
    }
  }
  return all;
}

describe('npm run demo --help', () => {
  it('lists every engine, backend, --fail-at step and --restart-at post that this test runs', () => {
    const help = demoUsage();
    for (const engine of Object.keys(DEMO_SCENARIOS)) expect(help).toMatch(new RegExp(`[ ,]${engine}[,\\n]`));
    for (const b of DEMO_BACKENDS) expect(help).toContain(b);
    for (const s of FAIL_STEPS) expect(help).toContain(s);
    for (const p of Object.keys(RESTART_POSTS)) expect(help).toContain(p);
    for (const x of DEMO_EXTRAS) expect(help).toContain(`--${x}`);
  });

  it('refuses, with one usage line, only what the help says does not apply', () => {
    expect(() => planDemo({ engine: 'mysql', backend: 'ops-request', failAt: 'pre-update', podReadyMs: 0 })).toThrow(/only a Postgres major update/);
    expect(() => planDemo({ engine: 'postgres', backend: 'direct', failAt: 'checks', podReadyMs: 0 })).toThrow(/with --backend direct, --fail-at supports: images/);
    expect(() => planDemo({ engine: 'oracle', backend: 'direct', podReadyMs: 0 })).toThrow(/--engine must be one of/);
    // the direct backend picks a target it can take: a patch/minor, never the scenario's major
    expect(planDemo({ engine: 'mysql', backend: 'direct', podReadyMs: 0 })).toMatchObject({ command: 'mysql orders 8.0.36', expect: 'Succeeded' });
    expect(planDemo({ engine: 'postgres', backend: 'direct', podReadyMs: 0 })).toMatchObject({ command: 'postgres billing/ledger 15.17', expect: 'Succeeded' });
    expect(planDemo({ engine: 'perconaxtradb', backend: 'direct', podReadyMs: 0 })).toMatchObject({ expect: 'refused' });
    expect(() => planDemo({ engine: 'mysql', backend: 'direct', extra: 'backup', podReadyMs: 0 })).toThrow(/direct backend does not take/);
    expect(() => planDemo({ engine: 'mysql', backend: 'ops-request', extra: 'fleet', failAt: 'images', podReadyMs: 0 })).toThrow(/cannot be combined/);
    expect(() => planDemo({ engine: 'postgres', backend: 'ops-request', extra: 'drift', podReadyMs: 0 })).toThrow(/leave --engine out/);
    expect(planDemo({ engine: 'mysql', backend: 'direct', extra: 'fleet', podReadyMs: 0 })).toMatchObject({ command: 'mysql -l tier=staging 8.0.36' });
  });
});

// The direct restart runs alongside the in-process pool: its bot processes settle 30 s per check (the
// product's default, which a child process cannot shorten), so it is a minute of mostly idle timers.
describe('every in-process variant, and the direct restart alongside', { timeout: 600_000 }, () => {
  it.concurrent('ends as planned, printed as Slack shows it, never in a stack trace', async ({ expect }) => {
    const variants = inProcessVariants();
    expect(variants.length).toBeGreaterThanOrEqual(15 * 2 + 15 * 4 + 1);
    // Every other variant on a worker thread (a second core: each run's worlds are CPU-bound where they run),
    // the rest here, each side three at a time.
    const limit = pLimit(3);
    const [here, there] = [variants.filter((_, i) => i % 2 === 0), variants.filter((_, i) => i % 2 === 1)];
    const [mine, theirs] = await Promise.all([Promise.all(here.map((o) => limit(async () => ({ o, r: await run(o) })))), runDemosInWorker(there, 3)]);
    const results = [...mine, ...theirs];
    const wrong = results.filter(({ r }) => !r.expected).map(({ o, r }) => `${JSON.stringify(o)} → ${r.outcome}\n${r.text.split('\n').slice(-12).join('\n')}`);
    expect(wrong, wrong.join('\n\n')).toEqual([]);
    for (const { o, r } of results) expectReadable(r, JSON.stringify(o));
    // The refusal of the case is the bot's own answer, as Alice sees it.
    const pxc = results.find(({ o }) => o.engine === 'perconaxtradb' && o.backend === 'direct' && !o.failAt)!.r;
    expect(pxc.outcome).toBe('refused');
    expect(pxc.text).toMatch(/\(only visible to @alice\)\n\s+:warning: `8\.0\.40` → `8\.4\.3` is a \*major\* update/);
    // Postgres with standbys on the direct backend runs, with the opt-in Secret grant the note names.
    const pg = results.find(({ o }) => o.engine === 'postgres' && o.backend === 'direct' && !o.failAt)!.r;
    expect(pg.outcome).toBe('Succeeded');
    expect(pg.text).toContain('installs the opt-in Secret grant (deploy/components/read-secrets');
  });

  it.concurrent('--backend direct --restart-at paused', async ({ expect }) => {
    const r = await run({ engine: 'mysql', backend: 'direct', restartAt: 'paused', podReadyMs: 10 });
    expectReadable(r, 'direct paused');
    expect(r.expected, r.text).toBe(true);
  });

  it.concurrent('--fleet (both backends), --drift and --backup', async ({ expect }) => {
    const variants: DemoOptions[] = [
      { engine: 'mysql', backend: 'ops-request', extra: 'fleet', ...FAST },
      { engine: 'mysql', backend: 'direct', extra: 'fleet', ...FAST },
      { engine: 'mysql', backend: 'ops-request', extra: 'drift', ...FAST },
      { engine: 'mysql', backend: 'ops-request', extra: 'backup', ...FAST },
    ];
    // At once: their waits (soak, waves, the backup) overlap, so they end within the pool's time.
    const results = await Promise.all(variants.map(async (o) => ({ o, r: await run(o) })));
    for (const { o, r } of results) {
      expectReadable(r, JSON.stringify(o));
      expect(r.expected, `${JSON.stringify(o)}\n${r.text}`).toBe(true);
      if (o.extra === 'fleet') {
        expect(r.text).toMatch(/Will update \(4\)/);
        expect(r.text).toMatch(/Refused \(1\)[^]*legacy/);
        expect(r.text).toMatch(/Batch dbupdate\/fleet-[a-z0-9-]+: Succeeded/);
      }
      if (o.extra === 'drift') expect(r.text).toMatch(/Version drift in cluster `sim`: \d+ of \d+ databases behind/);
      if (o.extra === 'backup') expect(r.text).toMatch(/backed up first: yes \(Snapshot orders-repo-/);
    }
  });

  // The restart variants on the ops-request backend (bot processes killed and restarted), one after the
  // other, alongside the pool too: their bots are child processes, on the machine's other core.
  it.concurrent('--restart-at each post, on the ops-request backend', async ({ expect }) => {
    for (const restartAt of Object.keys(RESTART_POSTS)) {
      const r = await run({ engine: 'mysql', backend: 'ops-request', restartAt, podReadyMs: 10 });
      expectReadable(r, `ops-request ${restartAt}`);
      expect(r.expected, `--restart-at ${restartAt}\n${r.text}`).toBe(true);
    }
  });
});

describe('the CLI', { timeout: 120_000 }, () => {
  it('npm run demo -- --backend direct --engine perconaxtradb: the refusal as the thread shows it, exit 0, no stack trace', () => {
    const r = spawnSync(process.execPath, ['--import', 'tsx', 'sim/demo.ts', '--backend', 'direct', '--engine', 'perconaxtradb', '--pod-ready-ms', '10'], { cwd: ROOT, encoding: 'utf8', timeout: 100_000 });
    expect(r.status, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toContain('is a *major* update');
    expect(r.stdout + r.stderr).not.toMatch(/\n\s+at /);
  });

  it('a variant that does not apply: one usage line, exit 2', () => {
    const r = spawnSync(process.execPath, ['--import', 'tsx', 'sim/demo.ts', '--engine', 'mysql', '--fail-at', 'pre-update'], { cwd: ROOT, encoding: 'utf8', timeout: 60_000 });
    expect(r.status).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/^npm run demo --: --fail-at pre-update: only a Postgres major update/);
  });
});
