/**
 * `npm run sim`: the cluster emulator on its own, with seed data and simulated KubeDB controllers.
 * Writes a kubeconfig and prints its path, so `KUBECONFIG=<path> kubectl get mysqls.kubedb.com -A` works.
 * Options: `--port N` (default: random), `--no-ops-manager`, `--kubeconfig PATH` (default `.sim/kubeconfig`).
 */
import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { startEmbeddedCluster } from './world.js';

const { values } = parseArgs({
  options: {
    port: { type: 'string' },
    'no-ops-manager': { type: 'boolean', default: false },
    kubeconfig: { type: 'string', default: '.sim/kubeconfig' },
    'pod-ready-ms': { type: 'string', default: '500' },
  },
});

const cluster = await startEmbeddedCluster({
  opsManager: !values['no-ops-manager'],
  port: values.port ? Number(values.port) : undefined,
  podReadyDelayMs: Number(values['pod-ready-ms']),
  stepDelayMs: 300,
});
const path = resolve(values.kubeconfig!);
mkdirSync(dirname(path), { recursive: true });
cluster.server.writeKubeconfig(path);
process.stdout.write(`cluster emulator listening on ${cluster.server.url}\nkubeconfig: ${path}\n\n  KUBECONFIG=${path} kubectl get mysqls.kubedb.com -A\n\nCtrl-C stops it.\n`);
const stop = async () => {
  await cluster.stop();
  process.exit(0);
};
process.on('SIGINT', () => void stop());
process.on('SIGTERM', () => void stop());
