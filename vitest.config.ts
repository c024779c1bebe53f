import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // One real control plane (kube-apiserver, etcd, kube-controller-manager) for the whole run: envtest/.
    globalSetup: ['envtest/global-setup.ts'],
    reporters: ['default', './envtest/reporter.ts'],
  },
});
