/**
 * Worker side of `worker-cluster.ts`: `workerData.role` is `cluster` (the Kubernetes API emulator with
 * simulated KubeDB, as `startEmbeddedCluster` starts it, plus the extra seed) or `slack` (the Slack
 * emulator). Posts `{ ready }` once serving, then answers `{ id, op, args }` requests with `{ id, result }`
 * or `{ id, error }`; `stop` stops the emulator.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { BOT_SA_TOKEN, CHANNEL, startEmbeddedCluster } from './world.js';
import { seedCluster, type OpsStep } from './kubedb/index.js';
import { SlackEmulator } from './slack/server.js';
import type { WorkerClusterOptions } from './worker-cluster.js';

const nsToMs = (ns: bigint): number => Number(ns) / 1e6;

type Handler = (args: unknown) => Promise<unknown> | unknown;

async function cluster(opts: WorkerClusterOptions): Promise<{ ready: Record<string, unknown>; ops: Record<string, Handler> }> {
  const c = await startEmbeddedCluster(opts);
  if ((opts.extraDatabases ?? 0) > 0 || (opts.extraVersions ?? 0) > 0) {
    await seedCluster(c.kubeConfig, { extraDatabases: opts.extraDatabases, extraNamespace: opts.extraNamespace, extraVersions: opts.extraVersions });
    await c.sim.settled(opts.settleTimeoutMs ?? 180_000);
  }
  return {
    ready: { url: c.server.url, adminKubeconfig: c.server.kubeconfigYaml(), botKubeconfig: c.server.kubeconfigYaml({ token: BOT_SA_TOKEN }) },
    ops: {
      requestCount: () => c.server.requests.length,
      failOpsAt: (step) => c.sim.faults.failOpsAt((step ?? undefined) as OpsStep | undefined),
      stop: () => c.stop(),
    },
  };
}

async function slack(): Promise<{ ready: Record<string, unknown>; ops: Record<string, Handler> }> {
  const s = await SlackEmulator.start({ channels: [{ id: CHANNEL, name: 'db-ops' }] });
  return {
    ready: { botToken: s.botToken, appToken: s.appToken, apiUrl: s.apiUrl },
    ops: {
      burst: async (a) => {
        const { user, channel, texts } = a as { user: string; channel: string; texts: string[] };
        const sent = await Promise.all(texts.map((text) => s.typeCommand({ user, channel, text })));
        const ids = new Set(sent.map((x) => x.envelopeId));
        const ms = s
          .envelopes()
          .filter((e) => ids.has(e.envelope.envelope_id) && e.sentAtNs !== undefined && e.ackedAtNs !== undefined)
          .map((e) => nsToMs(e.ackedAtNs! - e.sentAtNs!));
        const ackTexts = sent.map((x) => (x.ackPayload as { text?: unknown } | undefined)?.text).map((t) => (typeof t === 'string' ? t : undefined));
        return { ms, ackTexts };
      },
      stats: () => ({ responsePosts: s.responsePosts.length, socketConnections: s.socketConnections() }),
      stop: () => s.stop(),
    },
  };
}

const port = parentPort!;
const { role, data } = workerData as { role: 'cluster' | 'slack'; data: unknown };
(role === 'cluster' ? cluster(data as WorkerClusterOptions) : slack()).then(
  ({ ready, ops }) => {
    port.on('message', (m: { id: number; op: string; args?: unknown }) => {
      const h = ops[m.op];
      Promise.resolve()
        .then(() => {
          if (!h) throw new Error(`unknown op ${m.op}`);
          return h(m.args);
        })
        .then(
          (result) => port.postMessage({ id: m.id, result: result ?? null }),
          (err: unknown) => port.postMessage({ id: m.id, error: err instanceof Error ? err.message : String(err) }),
        );
    });
    port.postMessage({ ready });
  },
  (err: unknown) => port.postMessage({ error: err instanceof Error ? (err.stack ?? err.message) : String(err) }),
);
