/**
 * The README's sample thread is the demo's real output: `npm run demo` prints the conversation between a
 * `──── #db-ops, as Slack shows it ────` ruler and a closing ruler; that part goes into README.md between
 * `<!-- demo:start -->` and `<!-- demo:end -->`, in a ```text fence. test/readme-commands.test.ts runs the
 * demo and checks the README's copy is the same conversation, ids and durations aside ({@link normalize}).
 *
 *   npx tsx scripts/readme-demo.ts     run `npm run demo` and rewrite the README's sample
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const README = fileURLToPath(new URL('../README.md', import.meta.url));
const START = '<!-- demo:start -->';
const END = '<!-- demo:end -->';

/**
 * The conversation part of the demo's stdout: the lines after the `──── … as Slack shows it ────` ruler
 * and before the next ruler, trailing blank lines dropped. Pure.
 * @throws Error when the output has no such part (the demo failed or changed its framing).
 */
export function demoTranscript(stdout: string): string {
  const lines = stdout.split('\n');
  const a = lines.findIndex((l) => /^─+ .* as Slack shows it ─+$/.test(l));
  const b = lines.findIndex((l, i) => i > a && /^─{8,}$/.test(l));
  if (a < 0 || b < 0) throw new Error(`no "as Slack shows it" transcript in the demo's output:\n${stdout}`);
  return lines.slice(a + 1, b).join('\n').replace(/\s+$/, '');
}

/**
 * The transcript with what changes from run to run replaced by placeholders: request and OpsRequest ids
 * (`orders-3455be46`, `orders-update-8-4-8-713f4`) and durations (`1.2s`). Pure.
 */
export function normalize(transcript: string): string {
  return transcript
    .replace(/\b([a-z][a-z0-9-]*?)-[0-9a-f]{8}\b/g, '$1-<id>')
    .replace(/\b([a-z][a-z0-9-]*-update-[0-9a-z-]+?)-[0-9a-z]{5}\b/g, '$1-<hash>')
    .replace(/\b\d+(\.\d+)?s\b/g, '<t>s');
}

/** The README's sample (between the markers, without the fence). @throws Error when the markers are missing. */
export function readmeSample(readme: string): string {
  const a = readme.indexOf(START);
  const b = readme.indexOf(END);
  if (a < 0 || b < a) throw new Error(`README.md has no ${START} … ${END} section`);
  return readme.slice(a + START.length, b).replace(/^\s*```text\n/, '').replace(/\n```\s*$/, '');
}

/** The README with `transcript` as its sample. Pure. */
export function withSample(readme: string, transcript: string): string {
  const a = readme.indexOf(START);
  const b = readme.indexOf(END);
  if (a < 0 || b < a) throw new Error(`README.md has no ${START} … ${END} section`);
  return `${readme.slice(0, a + START.length)}\n\`\`\`text\n${transcript}\n\`\`\`\n${readme.slice(b)}`;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const out = execFileSync('npm', ['run', '--silent', 'demo'], { cwd: fileURLToPath(new URL('..', import.meta.url)), encoding: 'utf8' });
  writeFileSync(README, withSample(readFileSync(README, 'utf8'), demoTranscript(out)));
}
