/**
 * Demo runs on a worker thread, so a caller with many of them (test/demo-matrix.test.ts: every variant
 * `npm run demo -- --help` lists) uses a second core: each run's worlds are CPU-bound in the process that
 * hosts them. {@link runDemosInWorker} starts one worker (tsx's ESM hooks registered first, as
 * sim/worker-cluster.ts does), which runs the given variants `concurrency` at a time with `runDemo` and
 * posts each result back; it resolves with them in the given order.
 */
import { Worker } from 'node:worker_threads';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { dirname, join } from 'node:path';
import type { DemoOptions, DemoOutcome } from './demo-run.js';

/** One variant's outcome and its printed lines. */
export interface WorkerDemoResult {
  o: DemoOptions;
  r: DemoOutcome & { text: string };
}

const ENTRY = new URL('./demo-worker-entry.ts', import.meta.url);
/**
 * tsx's ESM API (`tsx/esm/api`, its `import` condition: dist/esm/api/index.mjs), found from tsx's
 * package.json (`import.meta.resolve` is not there under vitest, and `require.resolve` gives the CJS build).
 */
const TSX_API = pathToFileURL(join(dirname(createRequire(import.meta.url).resolve('tsx/package.json')), 'dist/esm/api/index.mjs')).href;

/**
 * Run `variants` on one worker thread, `concurrency` at a time.
 * @throws Error when the worker fails or exits before every result came back.
 */
export function runDemosInWorker(variants: DemoOptions[], concurrency: number): Promise<WorkerDemoResult[]> {
  const worker = new Worker(
    `import(${JSON.stringify(TSX_API)}).then((m) => { m.register(); return import(${JSON.stringify(ENTRY.href)}); });`,
    { eval: true, workerData: { variants, concurrency } },
  );
  return new Promise((resolve, reject) => {
    const results: WorkerDemoResult[] = new Array(variants.length);
    let got = 0;
    worker.on('message', (m: { i: number; r: WorkerDemoResult['r'] } | { error: string }) => {
      if ('error' in m) {
        reject(new Error(`demo worker: ${m.error}`));
        void worker.terminate();
        return;
      }
      results[m.i] = { o: variants[m.i], r: m.r };
      if (++got === variants.length) {
        resolve(results);
        void worker.terminate();
      }
    });
    worker.on('error', reject);
    worker.on('exit', (code) => {
      if (got < variants.length) reject(new Error(`demo worker exited (${code}) after ${got} of ${variants.length} runs`));
    });
  });
}
