/**
 * The layering of docs/architecture.md, checked on the source (`scripts/import-graph.ts` reads the
 * imports with TypeScript's own parser, type-only imports included):
 * - every arrow between parts points down: a part imports only the parts the table `ALLOWED` lists for
 *   it, and that table is itself a ladder (each allowed arrow goes to a lower rung of `LAYERS`), so no
 *   two parts import each other and `pipeline → updates`, `kube → pipeline`, `updates → slack` … fail;
 * - no circle of files inside a folder;
 * - the request step and the controllers use no Slack package; the pure parts no I/O;
 * - no part of the bot imports the emulators, the console or envtest;
 * - the picture of the graph in docs/architecture.md is the graph as it is now.
 */
import { readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import {
  ALLOWED,
  ARCHITECTURE_MD,
  LAYERS,
  SRC,
  currentBlock,
  cycles,
  fileGraph,
  forbiddenImports,
  imports,
  partArrows,
  partGraph,
  partOf,
  renderBlock,
  sourceFiles,
  specifiers,
} from '../scripts/import-graph.js';

describe('layering (docs/architecture.md "Parts")', () => {
  it('every import between parts is an arrow the table allows', () => {
    expect(forbiddenImports()).toEqual([]);
  });

  it('the table is a ladder: every allowed arrow points to a lower rung, so the parts form no circle', () => {
    const rung = (p: string) => (LAYERS as readonly string[]).indexOf(p);
    const upward = Object.entries(ALLOWED).flatMap(([from, tos]) => tos.filter((to) => !(rung(from) >= 0 && rung(to) > rung(from))).map((to) => `${from} → ${to}`));
    expect(upward).toEqual([]);
    expect(Object.keys(ALLOWED).sort()).toEqual([...LAYERS].sort());
    // Every part of src/ has a row (a new folder must be placed in the ladder).
    const parts = [...new Set(sourceFiles().map((f) => partOf(relative(SRC, f))))];
    expect(parts.filter((p) => !(p in ALLOWED))).toEqual([]);
    expect(cycles(partGraph())).toEqual([]);
  });

  it('the rules bite: pipeline → updates, kube → pipeline, updates → slack are forbidden, and one such import is found', () => {
    for (const [from, to] of [['pipeline', 'updates'], ['kube', 'pipeline'], ['kube', 'updates'], ['updates', 'slack'], ['pipeline', 'slack'], ['api', 'kube'], ['engines', 'kube']]) {
      expect(ALLOWED[from], `${from} → ${to}`).not.toContain(to);
    }
    const g = new Map([['pipeline/x.ts', ['updates/records.ts', 'kube/client.ts']]]);
    expect(forbiddenImports(g)).toEqual(['pipeline/x.ts → updates/records.ts']);
    // And the real graph is read: the update controller does import kube/ and pipeline/.
    expect(partArrows().get('updates → kube')).toBeGreaterThan(0);
    expect(partArrows().get('updates → pipeline')).toBeGreaterThan(0);
  });

  it('no circle of files inside a folder', () => {
    expect(cycles(fileGraph())).toEqual([]);
    // The finder finds circles: a → b → c → a, and a file that imports itself.
    const g = new Map([['a', ['b']], ['b', ['c']], ['c', ['a', 'd']], ['d', []], ['e', ['e']]]);
    expect(cycles(g)).toEqual([['a', 'b', 'c'], ['e']]);
  });

  it('updates/, pipeline/, kube/ and api/ use no Slack package: the request step and the controllers are Slack-free', () => {
    const slackPackages = (f: string) => specifiers(f).filter((s) => s.startsWith('@slack/')).map((s) => `${relative(SRC, f)} → ${s}`);
    const bad = sourceFiles().filter((f) => ['updates', 'pipeline', 'kube', 'api'].includes(partOf(relative(SRC, f)))).flatMap(slackPackages);
    expect(bad).toEqual([]);
    // Not vacuous: the request step lives in updates/, and slack/ does use Bolt.
    expect(imports(join(SRC, 'slack', 'listeners', 'views', 'request.ts'))).toContain(join('updates', 'request.js'));
    expect(slackPackages(join(SRC, 'slack', 'app.ts')).length).toBeGreaterThan(0);
  });

  it('the pure parts (api/, command/, engines/, policy/) import no I/O part', () => {
    const io = ['kube', 'slack', 'updates', 'pipeline', 'startup', 'bot.ts', 'main.ts'];
    for (const pure of ['api', 'command', 'engines', 'policy']) expect(ALLOWED[pure].filter((p) => io.includes(p)), pure).toEqual([]);
  });

  it('src/ holds the product alone: no file of it imports anything outside src/ (the emulators, the console, envtest)', () => {
    const outside = sourceFiles().flatMap((f) => imports(f).filter((to) => to.startsWith('..')).map((to) => `${relative(SRC, f)} → ${to}`));
    expect(outside).toEqual([]);
    // Not vacuous: the emulators, the console and the demo live beside src/, and they do import it.
    expect(imports(fileURLToPath(new URL('../sim/world.ts', import.meta.url)))).toContain(join('kube', 'client.js'));
    expect(imports(fileURLToPath(new URL('../sim/world.ts', import.meta.url))).some((p) => p.startsWith('..'))).toBe(true);
  });

  it('the picture in docs/architecture.md is the import graph as it is now (npx tsx scripts/import-graph.ts)', () => {
    expect(currentBlock(readFileSync(ARCHITECTURE_MD, 'utf8'))).toBe(renderBlock());
  });
});
