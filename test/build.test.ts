/**
 * The production build (`tsconfig.build.json`, what the Dockerfile compiles) holds the bot only: not the
 * emulators (`sim/`), the demo or the browser console, and every package the built code loads at run
 * time is a declared `dependency` (the image installs no devDependencies: `npm prune --omit=dev`).
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const pkg = JSON.parse(readFileSync(`${ROOT}/package.json`, 'utf8')) as { dependencies: Record<string, string>; devDependencies: Record<string, string> };

/** The project's own source files the production build compiles (tsc's own answer). */
function buildFiles(): string[] {
  const out = execFileSync(process.execPath, [`${ROOT}/node_modules/typescript/bin/tsc`, '-p', `${ROOT}/tsconfig.build.json`, '--listFilesOnly'], { encoding: 'utf8' });
  return out.split('\n').map((l) => l.trim()).filter((l) => l.startsWith(ROOT) && !l.includes('/node_modules/'));
}

/** Package names a file loads at run time (type-only imports and exports are erased by tsc, so they do not count). */
function runtimePackages(file: string): string[] {
  const sf = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.ES2022, false);
  const specs: string[] = [];
  const visit = (node: ts.Node) => {
    if (ts.isImportDeclaration(node) && !node.importClause?.isTypeOnly && ts.isStringLiteral(node.moduleSpecifier)) {
      const named = node.importClause?.namedBindings;
      const allTypes = !!named && ts.isNamedImports(named) && named.elements.length > 0 && named.elements.every((e) => e.isTypeOnly) && !node.importClause?.name;
      if (!allTypes) specs.push(node.moduleSpecifier.text);
    } else if (ts.isExportDeclaration(node) && !node.isTypeOnly && node.moduleSpecifier && ts.isStringLiteral(node.moduleSpecifier)) {
      specs.push(node.moduleSpecifier.text);
    } else if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword && node.arguments[0] && ts.isStringLiteral(node.arguments[0])) {
      specs.push(node.arguments[0].text);
    }
    ts.forEachChild(node, visit);
  };
  visit(sf);
  return specs
    .filter((s) => !s.startsWith('.') && !s.startsWith('node:') && !builtinModules.includes(s))
    .map((s) => (s.startsWith('@') ? s.split('/').slice(0, 2).join('/') : s.split('/')[0]));
}

describe('production build', () => {
  const files = buildFiles();

  it('compiles the bot (main.ts, bot.ts, the parts) and nothing of the emulators, the demo or the console', () => {
    const rel = files.map((f) => f.slice(f.indexOf('/src/') + 1));
    expect(rel).toContain('src/main.ts');
    expect(rel).toContain('src/bot.ts');
    expect(files.filter((f) => !f.startsWith(`${ROOT}src/`))).toEqual([]);
  });

  it('every package the built code loads at run time is a declared dependency, not a devDependency', () => {
    const used = new Map<string, string>();
    for (const f of files) for (const p of runtimePackages(f)) if (!used.has(p)) used.set(p, f.slice(f.indexOf('/src/') + 1));
    expect(used.size).toBeGreaterThan(5);
    const missing = [...used].filter(([p]) => !(p in pkg.dependencies)).map(([p, f]) => `${p} (loaded by ${f})`);
    expect(missing).toEqual([]);
  });

  // `ws` is not in this list: the direct pipeline's port-forward to pg-coordinator (src/pipeline/coordinator.ts)
  // builds its WebSocket with it, and @kubernetes/client-node depends on it anyway. Nor `json-merge-patch`:
  // the record store computes its status merge patches with it (src/updates/records.ts).
  it('packages only the emulators use are devDependencies, so the image does not carry them', () => {
    for (const p of ['fast-json-patch']) {
      expect(pkg.devDependencies[p], p).toBeDefined();
      expect(pkg.dependencies[p], p).toBeUndefined();
    }
  });
});
