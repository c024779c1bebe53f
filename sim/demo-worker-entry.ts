/**
 * Worker side of `demo-worker.ts`: runs `workerData.variants` with `runDemo`, `workerData.concurrency` at a
 * time, and posts `{ i, r }` for each (its outcome and printed lines), or `{ error }` once if one throws
 * (runDemo itself never rejects: an unexpected error is its `error` outcome).
 */
import { parentPort, workerData } from 'node:worker_threads';
import pLimit from 'p-limit';
import { runDemo, type DemoOptions } from './demo-run.js';

const { variants, concurrency } = workerData as { variants: DemoOptions[]; concurrency: number };
const limit = pLimit(concurrency);
try {
  await Promise.all(
    variants.map((o, i) =>
      limit(async () => {
        const lines: string[] = [];
        const r = await runDemo(o, (s = '') => lines.push(s));
        parentPort!.postMessage({ i, r: { ...r, text: lines.join('\n') } });
      }),
    ),
  );
} catch (err) {
  parentPort!.postMessage({ error: (err as Error).message });
}
