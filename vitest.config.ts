import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // One process for every file, one after the other (vitest's default makes a new one per file, which
    // loads the modules again: about 1 s a file, 110 files). Files must leave no global state behind.
    isolate: false,
    // One real control plane (kube-apiserver, etcd, kube-controller-manager) for the whole run: envtest/.
    globalSetup: ['envtest/global-setup.ts'],
    reporters: ['default', './envtest/reporter.ts'],
  },
});
