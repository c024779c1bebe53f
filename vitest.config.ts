import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // Two test files at once: vitest's default on a 2-core machine is one (CPUs − 1), and most of a file's
    // time is spent waiting on servers, timers and child processes, not on the CPU.
    maxWorkers: 2,
    // One real control plane (kube-apiserver, etcd, kube-controller-manager) for the whole run: envtest/.
    globalSetup: ['envtest/global-setup.ts'],
    reporters: ['default', './envtest/reporter.ts'],
  },
});
