/**
 * Render the agreement table of the differential suite into docs/emulator-fidelity.md from the verdicts a
 * run wrote (`DIFF_REPORT_DIR=<dir> npx vitest run test/differential/`, harness.ts `writeVerdicts`):
 * operations, agreeing and % per group, the total, and the listed known differences with their reasons.
 * Usage: `npx tsx scripts/emulator-fidelity.ts <dir> [docs/emulator-fidelity.md]`; the text between the
 * `<!-- fidelity:start -->` and `<!-- fidelity:end -->` markers is replaced, the rest kept.
 * @throws Error when the directory holds no verdicts or the document has no markers.
 */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

interface Verdict {
  id: string;
  group: string;
  agree: boolean;
  known?: string;
}

/** The markdown of the table and the known differences, from the verdicts of each group. */
export function render(groups: Map<string, Verdict[]>, runAt: string): string {
  const pct = (a: number, n: number) => (n ? `${((100 * a) / n).toFixed(1)} %` : '–');
  const lines = [`Measured by a run of \`test/differential/\` on ${runAt} (emulator vs kube-apiserver 1.36.3 from envtest/).`, '', '| group | operations | agreeing | agreement |', '|---|---:|---:|---:|'];
  let ops = 0;
  let ok = 0;
  for (const [g, vs] of [...groups].sort(([a], [b]) => a.localeCompare(b))) {
    const a = vs.filter((v) => v.agree).length;
    ops += vs.length;
    ok += a;
    lines.push(`| ${g} | ${vs.length} | ${a} | ${pct(a, vs.length)} |`);
  }
  lines.push(`| **total** | **${ops}** | **${ok}** | **${pct(ok, ops)}** |`, '', '### Known differences (test/differential/known.ts)', '');
  const known = [...groups.values()].flat().filter((v) => !v.agree);
  for (const v of known) lines.push(`- \`${v.id}\`: ${v.known ?? '**not listed — the suite fails on it**'}`);
  if (known.length === 0) lines.push('- none');
  return lines.join('\n');
}

function main(): void {
  const [dir, doc = 'docs/emulator-fidelity.md'] = process.argv.slice(2);
  if (!dir) throw new Error('usage: tsx scripts/emulator-fidelity.ts <DIFF_REPORT_DIR> [doc]');
  const files = readdirSync(dir).filter((f) => f.endsWith('.json'));
  if (files.length === 0) throw new Error(`${dir} holds no verdict files`);
  const groups = new Map<string, Verdict[]>();
  for (const f of files) groups.set(f.replace(/\.json$/, ''), JSON.parse(readFileSync(join(dir, f), 'utf8')) as Verdict[]);
  const text = readFileSync(doc, 'utf8');
  const start = '<!-- fidelity:start -->';
  const end = '<!-- fidelity:end -->';
  const i = text.indexOf(start);
  const j = text.indexOf(end);
  if (i < 0 || j < i) throw new Error(`${doc} has no ${start} … ${end} markers`);
  const out = `${text.slice(0, i + start.length)}\n${render(groups, new Date().toISOString().slice(0, 16).replace('T', ' ') + ' UTC')}\n${text.slice(j)}`;
  writeFileSync(doc, out);
  console.log(`${doc}: ${files.length} groups rendered`);
}

main();
