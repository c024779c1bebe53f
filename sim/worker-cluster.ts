/**
 * The embedded emulators on their own thread: the Kubernetes API emulator with simulated KubeDB (what
 * {@link startEmbeddedCluster} starts, plus the seed's extra databases and catalog versions), and
 * optionally the Slack emulator, each in a `worker_threads` Worker. The caller's thread then talks to them
 * over HTTP/WebSocket only, as a bot does in production, where the API server and Slack are other
 * machines; the emulators' work (serving requests, watch fan-out, the simulated controllers) no longer
 * runs on the bot's event loop. Used by the benchmarks (`bench/ack.ts`).
 *
 * ```ts
 * const cluster = await startWorkerCluster({ podReadyDelayMs: 15 });
 * const bot = await startBot({ kube: cluster.botKube, ... });
 * await cluster.stop();
 * ```
 *
 * Started from TypeScript (tsx), the worker registers tsx's hooks (`tsx/esm/api`) and imports
 * `worker-cluster-entry.ts`; from the compiled build it runs `worker-cluster-entry.js` with plain `node`.
 */
import { Worker } from 'node:worker_threads';
import { KubeConfig } from '@kubernetes/client-node';
import { Kube } from '../src/kube/client.js';
import type { KubeDBSimOptions, OpsStep, SeedOptions } from './kubedb/index.js';

/** Options of {@link startWorkerCluster}. */
export type WorkerClusterOptions = KubeDBSimOptions &
  Pick<SeedOptions, 'extraDatabases' | 'extraNamespace' | 'extraVersions'> & {
    recordsNamespace?: string;
    rbac?: boolean;
    /** Longest wait for the seeded (and extra) databases to be Ready (default 180 000 ms). */
    settleTimeoutMs?: number;
  };

/** A cluster emulator running in a Worker. */
export interface WorkerCluster {
  /** The API server's base URL. */
  url: string;
  /** Kubeconfig of the admin, and of the bot's service account (RBAC from `deploy/rbac.yaml`). */
  adminKubeconfig: string;
  botKubeconfig: string;
  /** Clients over HTTP built from those kubeconfigs. */
  kube: Kube;
  botKube: Kube;
  /** Requests the API server has served so far. */
  requestCount(): Promise<number>;
  /** Make Ops Manager fail every OpsRequest at `step` (undefined: clear). */
  failOpsAt(step: OpsStep | undefined): Promise<void>;
  /** Stop the simulation and the server, then the worker. */
  stop(): Promise<void>;
}

/** A Slack emulator running in a Worker. */
export interface WorkerSlack {
  botToken: string;
  appToken: string;
  apiUrl: string;
  /**
   * Type `texts` as `/dbupdate` commands of `user` in `channel`, all at once, and return each ack
   * latency in ms (emulator's `sentAtNs` → `ackedAtNs`, measured on the emulator's thread) and the text
   * each ack carried (undefined for an empty ack), in the order of `texts`.
   */
  burst(opts: { user: string; channel: string; texts: string[] }): Promise<{ ms: number[]; ackTexts: Array<string | undefined> }>;
  /** How many `response_url` posts arrived, and how many Socket Mode connections are open. */
  stats(): Promise<{ responsePosts: number; socketConnections: number }>;
  stop(): Promise<void>;
}

type Pending = { resolve: (v: unknown) => void; reject: (e: Error) => void };

/** Start the entry in a Worker with `role`; resolves with the worker's first message and an RPC function. */
async function startWorker(role: 'cluster' | 'slack', data: unknown): Promise<{ info: Record<string, unknown>; call: (op: string, args?: unknown) => Promise<unknown>; worker: Worker }> {
  const fromTs = import.meta.url.endsWith('.ts');
  const entry = new URL(`./worker-cluster-entry.${fromTs ? 'ts' : 'js'}`, import.meta.url);
  // Under tsx, `execArgv: ['--import', 'tsx']` does not reach a Worker's own module loading on Node 20
  // (ERR_UNKNOWN_FILE_EXTENSION for the .ts entry), so a small bootstrap registers tsx's ESM hooks in
  // the worker first (`tsx/esm/api`), then imports the entry.
  const worker = fromTs
    ? new Worker(
        `import(${JSON.stringify(import.meta.resolve('tsx/esm/api'))}).then((m) => { m.register(); return import(${JSON.stringify(entry.href)}); });`,
        { eval: true, workerData: { role, data } },
      )
    : new Worker(entry, { workerData: { role, data } });
  const pending = new Map<number, Pending>();
  let next = 1;
  let failed: Error | undefined;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- EventEmitter listeners
  const early: Array<[string, (...a: any[]) => void]> = [];
  const info = await new Promise<Record<string, unknown>>((resolve, reject) => {
    const onMessage = (m: { ready?: Record<string, unknown>; error?: string }) => (m.ready ? resolve(m.ready) : reject(new Error(`worker ${role}: ${m.error ?? 'no ready message'}`)));
    const onExit = (code: number) => reject(new Error(`worker ${role} exited with ${code} before it was ready`));
    early.push(['message', onMessage], ['error', reject], ['exit', onExit]);
    for (const [ev, fn] of early) worker.once(ev, fn);
  }).catch(async (err: unknown) => {
    await worker.terminate();
    throw err;
  });
  // Only our own listeners: `removeAllListeners()` would also drop the Worker's internal ones.
  for (const [ev, fn] of early) worker.off(ev, fn);
  worker.on('message', (m: { id: number; result?: unknown; error?: string }) => {
    const p = pending.get(m.id);
    if (!p) return;
    pending.delete(m.id);
    if (m.error !== undefined) p.reject(new Error(`worker ${role}: ${m.error}`));
    else p.resolve(m.result);
  });
  const fail = (err: Error) => {
    failed = err;
    for (const p of pending.values()) p.reject(err);
    pending.clear();
  };
  worker.on('error', fail);
  worker.on('exit', (code) => fail(new Error(`worker ${role} exited with ${code}`)));
  const call = (op: string, args?: unknown) =>
    new Promise<unknown>((resolve, reject) => {
      if (failed) return reject(failed);
      const id = next++;
      pending.set(id, { resolve, reject });
      worker.postMessage({ id, op, args });
    });
  return { info, call, worker };
}

async function stopWorker(call: (op: string) => Promise<unknown>, worker: Worker): Promise<void> {
  await call('stop').catch(() => undefined);
  await worker.terminate();
}

/** Start the cluster emulator (CRDs incl. ours, seed, simulated KubeDB, RBAC) in a Worker and wait for it to settle. */
export async function startWorkerCluster(opts: WorkerClusterOptions = {}): Promise<WorkerCluster> {
  const { info, call, worker } = await startWorker('cluster', opts);
  const client = (yaml: string) => {
    const kc = new KubeConfig();
    kc.loadFromString(yaml);
    return new Kube(kc, 'sim');
  };
  const adminKubeconfig = info.adminKubeconfig as string;
  const botKubeconfig = info.botKubeconfig as string;
  return {
    url: info.url as string,
    adminKubeconfig,
    botKubeconfig,
    kube: client(adminKubeconfig),
    botKube: client(botKubeconfig),
    requestCount: async () => (await call('requestCount')) as number,
    failOpsAt: async (step) => void (await call('failOpsAt', step ?? null)),
    stop: () => stopWorker(call, worker),
  };
}

/** Start the Slack emulator (channel `C_DBOPS` as the world has it) in a Worker. */
export async function startWorkerSlack(): Promise<WorkerSlack> {
  const { info, call, worker } = await startWorker('slack', {});
  return {
    botToken: info.botToken as string,
    appToken: info.appToken as string,
    apiUrl: info.apiUrl as string,
    burst: async (o) => (await call('burst', o)) as { ms: number[]; ackTexts: Array<string | undefined> },
    stats: async () => (await call('stats')) as { responsePosts: number; socketConnections: number },
    stop: () => stopWorker(call, worker),
  };
}
