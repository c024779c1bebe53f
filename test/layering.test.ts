/**
 * The layering of docs/architecture.md, checked on the source: data flows Slack → updates → pipeline →
 * kube, so `kube/` imports none of `updates/`, `pipeline/`, `slack/`; `updates/` and `pipeline/` import
 * nothing of `slack/`; the pure parts (`command/`, `engines/`, `policy/`) import no I/O part; and no part of
 * the bot imports the emulators or the console. Imports are read with TypeScript's own parser.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const SRC = fileURLToPath(new URL('../src', import.meta.url));

/** Every .ts file under `dir`, recursively. */
function files(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? files(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : []));
}

/** The top-level part (`kube`, `slack`, …, or `.` for src/*.ts) of a path relative to src/. */
function part(rel: string): string {
  return rel.includes('/') ? rel.split('/')[0] : '.';
}

/** Import specifiers of a file (imports, re-exports, dynamic imports, import types), as written. */
function specifiers(file: string): string[] {
  const sf = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.ES2022, false);
  const out: string[] = [];
  const visit = (n: ts.Node) => {
    let spec: string | undefined;
    if ((ts.isImportDeclaration(n) || ts.isExportDeclaration(n)) && n.moduleSpecifier && ts.isStringLiteral(n.moduleSpecifier)) spec = n.moduleSpecifier.text;
    if (ts.isCallExpression(n) && n.expression.kind === ts.SyntaxKind.ImportKeyword && n.arguments[0] && ts.isStringLiteral(n.arguments[0])) spec = n.arguments[0].text;
    if (ts.isImportTypeNode(n) && ts.isLiteralTypeNode(n.argument) && ts.isStringLiteral(n.argument.literal)) spec = n.argument.literal.text;
    if (spec) out.push(spec);
    ts.forEachChild(n, visit);
  };
  visit(sf);
  return out;
}

/** Relative import specifiers of a file, resolved to paths relative to src/. */
function imports(file: string): string[] {
  return specifiers(file).filter((s) => s.startsWith('.')).map((s) => relative(SRC, join(file, '..', s)));
}

/** `from → to` edges between parts that break a rule. */
function violations(rules: Record<string, string[]>): string[] {
  const bad: string[] = [];
  for (const f of files(SRC)) {
    const from = relative(SRC, f);
    const forbidden = rules[part(from)] ?? [];
    for (const to of imports(f)) if (forbidden.includes(part(to))) bad.push(`${from} → ${to}`);
  }
  return bad;
}

describe('layering (docs/architecture.md)', () => {
  it('kube/ imports none of updates/, pipeline/, slack/; updates/ and pipeline/ import nothing of slack/', () => {
    expect(violations({ kube: ['updates', 'pipeline', 'slack'], updates: ['slack'], pipeline: ['slack'] })).toEqual([]);
  });

  it('updates/, pipeline/ and kube/ use no Slack package either: the request step is Slack-free', () => {
    const slackPackages = (f: string) => specifiers(f).filter((s) => s.startsWith('@slack/')).map((s) => `${relative(SRC, f)} → ${s}`);
    const bad = files(SRC).filter((f) => ['updates', 'pipeline', 'kube'].includes(part(relative(SRC, f)))).flatMap(slackPackages);
    expect(bad).toEqual([]);
    // Not vacuous: the request step lives in updates/, and slack/ does use Bolt.
    expect(imports(join(SRC, 'slack', 'handlers.ts'))).toContain(join('updates', 'request.js'));
    expect(slackPackages(join(SRC, 'slack', 'handlers.ts')).length).toBeGreaterThan(0);
  });

  it('the pure parts (command/, engines/, policy/) import no I/O part', () => {
    const io = ['kube', 'slack', 'updates', 'pipeline', 'sim', 'console'];
    expect(violations({ command: io, engines: io, policy: io })).toEqual([]);
  });

  it('src/ holds the product alone: no file of it imports anything outside src/ (the emulators, the console, envtest)', () => {
    const outside = files(SRC).flatMap((f) => imports(f).filter((to) => to.startsWith('..')).map((to) => `${relative(SRC, f)} → ${to}`));
    expect(outside).toEqual([]);
    // Not vacuous: the emulators, the console and the demo live beside src/, and they do import it.
    expect(imports(fileURLToPath(new URL('../sim/world.ts', import.meta.url)))).toContain(join('kube', 'client.js'));
    expect(imports(fileURLToPath(new URL('../sim/world.ts', import.meta.url))).some((p) => p.startsWith('..'))).toBe(true);
  });

  it('the check sees imports (it is not vacuous)', () => {
    expect(imports(join(SRC, 'updates', 'reconciler.ts')).some((p) => p.startsWith('kube/'))).toBe(true);
    expect(violations({ updates: ['kube'] }).length).toBeGreaterThan(0);
  });
});
