/**
 * Every entry point of package.json's scripts, spawned for real as a user types it (`npm start -- --help`,
 * `npm run demo -- --help`, …): `--help` prints the usage and exits 0; an unknown option is refused with
 * one line naming it and exit code 2, without a stack trace.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

function run(cmd: string, args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd: ROOT, env: { ...process.env, SLACK_BOT_TOKEN: '', DBUPDATE_CONFIG: '' }, timeout: 150_000 });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

/** The scripts that run a program of ours, and a line its usage must contain. */
const ENTRY_POINTS: Record<string, RegExp> = {
  start: /--check-config <file>/,
  demo: /--backend <name>/,
  sim: /--no-ops-manager/,
  bench: /--only <names>/,
  console: /--port/,
  chaos: /--seed N/,
  cluster: /--kubeconfig <path>/,
};
/** Scripts that run a tool (tsc, vitest) or npm's own hook (pretest: scripts/test-prereqs.sh, which takes no options). */
const TOOLS = ['build', 'typecheck', 'pretest', 'test'];

describe('--help and unknown options on every entry point', { timeout: 180_000 }, () => {
  it('package.json has no script this test does not cover', () => {
    const scripts = Object.keys((JSON.parse(readFileSync(`${ROOT}/package.json`, 'utf8')) as { scripts: Record<string, string> }).scripts);
    expect(scripts.filter((s) => !(s in ENTRY_POINTS) && !TOOLS.includes(s))).toEqual([]);
  });

  it('npm start|run <script> -- --help prints the usage and exits 0', async () => {
    const names = Object.keys(ENTRY_POINTS);
    const results = await Promise.all(names.map((n) => run('npm', ['run', '--silent', n, '--', '--help'])));
    for (const [i, n] of names.entries()) {
      const r = results[i];
      expect(r.stderr, n).toBe('');
      expect(r.code, n).toBe(0);
      expect(r.stdout, n).toMatch(new RegExp(`^Usage: npm (start|run ${n})`));
      expect(r.stdout, n).toMatch(ENTRY_POINTS[n]);
      expect(r.stdout, n).toMatch(/-h, --help/);
    }
  });

  it('an unknown option is refused in one line naming it, exit 2, nothing started', async () => {
    const names = Object.keys(ENTRY_POINTS);
    const results = await Promise.all(names.map((n) => run('npm', ['run', '--silent', n, '--', '--frobnicate'])));
    for (const [i, n] of names.entries()) {
      const r = results[i];
      expect(r.code, n).toBe(2);
      expect(r.stdout, n).toBe('');
      expect(r.stderr.trim().split('\n'), `${n}: ${r.stderr}`).toEqual([expect.stringMatching(new RegExp(`^npm (start|run ${n}) --: Unknown option '--frobnicate'\\. See: npm (start|run ${n}) -- --help$`))]);
    }
  });

  it('a missing value and a stray argument are refused too', async () => {
    const [noValue, stray] = await Promise.all([run('npm', ['run', '--silent', 'demo', '--', '--engine']), run('npm', ['run', '--silent', 'sim', '--', 'extra'])]);
    expect(noValue.code).toBe(2);
    expect(noValue.stderr).toMatch(/^npm run demo --: Option '--engine <value>' argument missing\. See: npm run demo -- --help\n$/);
    expect(stray.code).toBe(2);
    expect(stray.stderr).toMatch(/^npm run sim --: Unexpected argument 'extra'\. See: npm run sim -- --help\n$/);
  });
});
