/**
 * A vitest reporter that marks the shared control plane's directory when a test failed, so the global
 * setup's teardown keeps its logs (envtest keeps them on failure).
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Reporter } from 'vitest/reporters';
import { FAILED_MARKER } from './global-setup.js';
import { ENVTEST_ENV } from './shared.js';

/** Marks a failed run (any failed test or unhandled error). */
export default class EnvtestReporter implements Reporter {
  onFinished(files: Array<{ result?: { state?: string } }> = [], errors: unknown[] = []): void {
    const failed = errors.length > 0 || files.some((f) => f.result?.state === 'fail');
    const file = process.env[ENVTEST_ENV];
    if (failed && file) writeFileSync(join(file, '..', FAILED_MARKER), new Date().toISOString());
  }
}
