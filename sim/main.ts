/**
 * `npm run sim`: the cluster emulator on its own, with seed data and simulated KubeDB controllers.
 * Writes a kubeconfig and prints its path, so `KUBECONFIG=<path> kubectl get mysqls.kubedb.com -A` works.
 * Options: `--port N` (default: random), `--no-ops-manager`, `--kubeconfig PATH` (default `.sim/kubeconfig`).
 */
import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { runCli } from '../src/startup/cli.js';
import { startEmbeddedCluster } from './world.js';

/** `npm run sim -- --help`. */
const USAGE = `Usage: npm run sim [-- options]

Runs the Kubernetes API emulator with simulated KubeDB (seed databases, version catalogs, OpsRequest
and PetSet controllers) until Ctrl-C, and writes a kubeconfig for kubectl.

Options:
  --port <n>            port to listen on (default: a free one)
  --kubeconfig <path>   where to write the kubeconfig (default .sim/kubeconfig)
  --no-ops-manager      without KubeDB's Ops Manager (OpsRequest APIs not served)
  --pod-ready-ms <ms>   simulated pod start-up time in milliseconds (default 500)
  -h, --help            show this help
`;

const values = runCli(process.argv.slice(2), 'npm run sim', USAGE, {
  port: { type: 'string' },
  'no-ops-manager': { type: 'boolean', default: false },
  kubeconfig: { type: 'string', default: '.sim/kubeconfig' },
  'pod-ready-ms': { type: 'string', default: '500' },
}) as { port?: string; 'no-ops-manager': boolean; kubeconfig: string; 'pod-ready-ms': string };

const cluster = await startEmbeddedCluster({
  opsManager: !values['no-ops-manager'],
  port: values.port ? Number(values.port) : undefined,
  podReadyDelayMs: Number(values['pod-ready-ms']),
  stepDelayMs: 300,
});
const path = resolve(values.kubeconfig);
mkdirSync(dirname(path), { recursive: true });
cluster.server.writeKubeconfig(path);
process.stdout.write(`cluster emulator listening on ${cluster.server.url}\nkubeconfig: ${path}\n\n  KUBECONFIG=${path} kubectl get mysqls.kubedb.com -A\n\nCtrl-C stops it.\n`);
const stop = async () => {
  await cluster.stop();
  process.exit(0);
};
process.on('SIGINT', () => void stop());
process.on('SIGTERM', () => void stop());
