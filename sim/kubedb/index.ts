/**
 * Simulated KubeDB, an ordinary set of controllers and a webhook that talk to any Kubernetes API server
 * through `@kubernetes/client-node` only (client.ts): the provisioner (community operator), the PetSet
 * workload controller, the kubelet of a fake node, Ops Manager, pg-coordinator and KubeDB's validating
 * webhook for OpsRequests (served over HTTPS, registered with a ValidatingWebhookConfiguration). The same
 * simulation runs against the emulator (sim/kube/server.ts) and a real kube-apiserver.
 *
 * ```ts
 * await installKubeDBCrds(kubeConfig, { opsManager: true });
 * await seedCluster(kubeConfig, { namespacePrefix: 'w3-' });
 * const sim = await startKubeDBSim(kubeConfig, { namespaces: ['w3-demo', 'w3-billing'], podReadyDelayMs: 20 });
 * await sim.settled();
 * ```
 */
import type { KubeConfig } from '@kubernetes/client-node';
import { ENGINES, OPS_GROUP, OPS_VERSION, type Engine } from '../../src/engines/table.js';
import { SharedInformers, SimClient, statusCode, statusMessage, type KubeObject } from './client.js';
import { NS_GVR, POD_FAULT_ANNOTATION, POD_GVR, dbGvr, opsGvr } from './common.js';
import { startOpsManager, type OpsStep } from './opsmanager.js';
import { startProvisioner } from './provisioner.js';
import { startWorkloadController } from './workload.js';
import { PodFaults, ensureSimNode, startKubelet } from './kubelet.js';
import type { PodFault } from './pods.js';
import { startPgCoordinators, type PgCoordinatorSim, type PodNetwork } from './coordinator.js';
import { startOpsWebhook, type OpsWebhook } from './webhook.js';

export { installKubeDBCrds, kubedbCrds, type CrdOptions } from './crds.js';
export {
  seedCluster,
  seedNamespace,
  SEED_DATABASES,
  SEED_GATEWAY,
  SEED_INVENTORY,
  SEED_LEDGER,
  SEED_LEGACY,
  SEED_CATALOGDB,
  SEED_EVENTS,
  SEED_CACHE,
  SEED_NAMESPACES,
  SEED_ORDERS,
  type SeedDatabase,
  type SeedOptions,
} from './seed.js';
export { seedCatalog } from './catalog.js';
export { POD_FAULT_ANNOTATION, PETSET_GVR, POD_GVR, EVENT_GVR, catalogGvr, dbGvr, opsGvr } from './common.js';
export type { OpsStep } from './opsmanager.js';
export type { PodFault } from './pods.js';
export type { PgCoordinatorSim, Failover, PodNetwork } from './coordinator.js';
export type { OpsWebhook } from './webhook.js';
export { SimClient, type KubeObject, type GVR } from './client.js';

/** Options of {@link startKubeDBSim}. Delays in ms. */
export interface KubeDBSimOptions {
  /** Run Ops Manager (default: true when the `ops.kubedb.com` CRDs are served). */
  opsManager?: boolean;
  /** Serve and register KubeDB's ops webhook (default: true when the `ops.kubedb.com` CRDs are served). */
  webhook?: boolean;
  /**
   * The namespaces this simulation owns (its informers watch only them; its webhook judges only them), so
   * several simulations can share one API server. Default: all namespaces.
   */
  namespaces?: string[];
  /** How the pg-coordinators' HTTP API is reached through port-forward (the emulator's `listenInPods`); none on a real server. */
  podNetwork?: PodNetwork;
  /** Time from a pod's start to Ready (default 50). Tests use ~15–50, the demo ~150–300. */
  podReadyDelayMs?: number;
  /** Ops Manager's delay before each step (default 50). */
  stepDelayMs?: number;
  /** Ops Manager's longest wait for pods to run the new images and be Ready (default 30 000; a shorter OpsRequest `spec.timeout` wins). */
  opsTimeoutMs?: number;
  /** Faults in place from the start. */
  faults?: {
    /** Fail every OpsRequest at this step (see {@link SimFaults.failOpsAt}). */
    failOpsAt?: OpsStep;
    /** Pods that never become Ready. */
    pods?: Array<{ namespace: string; name: string; reason: PodFault }>;
  };
}

/** Fault injection of a running simulation. */
export interface SimFaults {
  /**
   * Make Ops Manager fail every OpsRequest at `step` from now on (until {@link clear}). A step an update
   * does not have (`pre-update` outside a Postgres major update) does not fail it.
   */
  failOpsAt(step: OpsStep | undefined): void;
  /**
   * Pod `namespace/podName` never becomes Ready from its next start on another image than it runs now
   * (e.g. when an update replaces it); started on its current image again (a rollback) it recovers.
   */
  podNeverReady(namespace: string, podName: string, reason: PodFault): void;
  /**
   * Stall the provisioner (`true`): it approves no pause request (`Paused`=`Unknown` stays), as a
   * provisioner that is down or too old to know the handshake; `false` (or {@link clear}) lets it go on.
   */
  stallProvisioner(stalled: boolean): void;
  /** Remove every injected fault (not the seed's `legacy` annotation); faulted pods recover at their next retry. */
  clear(): void;
}

/** A running simulation. */
export interface KubeDBSim {
  /** Stop every controller (watches, queues, timers), close the webhook and delete its registration; in-flight OpsRequests stay as they are. */
  stop(): Promise<void>;
  faults: SimFaults;
  /** Postgres' pg-coordinators: their raft key-value stores, the failovers made and held (coordinator.ts). */
  pgCoordinators: PgCoordinatorSim;
  /** KubeDB's ops webhook, when served. */
  webhook?: OpsWebhook;
  /** The engines whose database CRDs the server serves (the ones simulated). */
  engines: readonly Engine[];
  /**
   * Resolves once every database object (in the simulation's namespaces) that does not carry the
   * never-ready annotation (`sim.kubedb.dev/pod-fault`) is phase `Ready`. Rejects after `timeoutMs`
   * (default 30 000) naming the databases that are not.
   */
  settled(timeoutMs?: number): Promise<void>;
}

/** The engines of `ENGINES` whose resource in `group/version` the server serves. */
async function servedEngines(client: SimClient, gvrOf: (e: Engine) => { group: string; version: string; plural: string }): Promise<Engine[]> {
  const cache = new Map<string, Promise<Set<string>>>();
  const out: Engine[] = [];
  for (const e of ENGINES) {
    const g = gvrOf(e);
    const k = `${g.group}/${g.version}`;
    if (!cache.has(k)) cache.set(k, client.servedResources(g.group, g.version));
    if ((await cache.get(k)!).has(g.plural)) out.push(e);
  }
  return out;
}

/**
 * Wait until the API server calls the webhook (a real server picks a new ValidatingWebhookConfiguration up
 * a moment later): a dry-run OpsRequest naming a database that does not exist, in `namespace`, until the
 * webhook denies it. Gives up silently after `timeoutMs` (the webhook then judges later requests anyway).
 */
async function waitWebhookEffective(client: SimClient, e: Engine, namespace: string, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  const body: KubeObject = {
    apiVersion: `${OPS_GROUP}/${OPS_VERSION}`,
    kind: e.opsRequestKind,
    metadata: { name: 'sim-webhook-probe', namespace },
    spec: { type: 'UpdateVersion', [e.opsRequestRefField]: { name: 'sim-webhook-probe-no-such-database' }, updateVersion: { targetVersion: 'none' } },
  };
  while (Date.now() < deadline) {
    try {
      await client.create(opsGvr(e), body, { dryRun: true });
    } catch (err) {
      if (statusMessage(err).includes('admission webhook') || statusCode(err) === 404) return;
    }
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** Start the simulation on the API server of `kubeConfig` (see the module docs and {@link KubeDBSimOptions}). */
export async function startKubeDBSim(kubeConfig: KubeConfig, opts: KubeDBSimOptions = {}): Promise<KubeDBSim> {
  const client = new SimClient(kubeConfig);
  const namespaces = opts.namespaces?.length ? [...opts.namespaces] : undefined;
  const informers = new SharedInformers(client, namespaces);
  const podReadyDelayMs = opts.podReadyDelayMs ?? 50;
  const podFaults = new PodFaults();
  for (const p of opts.faults?.pods ?? []) podFaults.set(p.namespace, p.name, p.reason);
  let failAt: OpsStep | undefined = opts.faults?.failOpsAt;
  let stalled = false;

  const engines = await servedEngines(client, dbGvr);
  const opsEngines = (await servedEngines(client, opsGvr)).filter((e) => engines.includes(e));
  await ensureSimNode(client);

  const kubelet = startKubelet(client, informers, { podReadyDelayMs, faults: podFaults });
  const workload = startWorkloadController(client, informers);
  const provisioner = startProvisioner(client, informers, engines, { stalled: () => stalled });
  const ops = (opts.opsManager ?? true) && opsEngines.length
    ? startOpsManager(client, informers, opsEngines, { stepDelayMs: opts.stepDelayMs ?? 50, opsTimeoutMs: opts.opsTimeoutMs ?? 30_000, failAt: () => failAt })
    : undefined;
  const pgCoordinators = startPgCoordinators(client, informers, { postgres: engines.some((e) => e.kind === 'Postgres'), podNetwork: opts.podNetwork });
  const controllers = [ops, pgCoordinators, provisioner, workload, kubelet];
  let webhook: OpsWebhook | undefined;
  try {
    if ((opts.webhook ?? true) && opsEngines.length) {
      webhook = await startOpsWebhook(client, informers, opsEngines, { namespaces });
      const probeNs = namespaces?.[0] ?? 'default';
      if (await client.get(NS_GVR, undefined, probeNs)) await waitWebhookEffective(client, opsEngines[0], probeNs);
    }
  } catch (err) {
    for (const c of controllers) c?.stop();
    informers.stop();
    throw err;
  }
  const pods = informers.get(POD_GVR);
  const settleWaiters = new Set<() => void>();

  /** Whether a database counts for `settled()` and is not Ready. */
  const pending = (db: KubeObject) =>
    !db.metadata.annotations?.[POD_FAULT_ANNOTATION] && (db.status as { phase?: string } | undefined)?.phase !== 'Ready';
  const describe = (db: KubeObject) => `${db.kind} ${db.metadata.namespace}/${db.metadata.name} (${(db.status as { phase?: string } | undefined)?.phase ?? 'no status'})`;

  return {
    engines,
    webhook,
    async stop() {
      for (const c of controllers) c?.stop();
      for (const w of [...settleWaiters]) w();
      informers.stop();
      await webhook?.stop();
    },
    pgCoordinators,
    faults: {
      failOpsAt(step) {
        failAt = step;
      },
      podNeverReady(namespace, podName, reason) {
        const pod = pods.get(namespace, podName);
        const image = ((pod?.spec as { containers?: Array<{ image?: string }> } | undefined)?.containers ?? [])[0]?.image;
        podFaults.set(namespace, podName, reason, image);
      },
      stallProvisioner(value) {
        stalled = value;
      },
      clear() {
        failAt = undefined;
        stalled = false;
        podFaults.clear();
      },
    },
    async settled(timeoutMs = 30_000) {
      const dbInformers = engines.map((e) => informers.get(dbGvr(e)));
      const deadline = Date.now() + timeoutMs;
      let stopped = false;
      const onStop = () => {
        stopped = true;
      };
      settleWaiters.add(onStop);
      try {
        await Promise.race([Promise.all(dbInformers.map((i) => i.synced)), new Promise((r) => setTimeout(r, timeoutMs))]);
        // The databases the server has now: one created just before this call may not have reached the
        // informers yet (their watch is a moment behind), and must be Ready too.
        const onServer: string[] = [];
        for (const e of engines) {
          for (const ns of namespaces ?? [undefined]) {
            const list = await client.list(dbGvr(e), ns).catch(() => undefined);
            for (const o of list?.items ?? []) onServer.push(`${e.kind} ${o.metadata?.namespace}/${o.metadata?.name}`);
          }
        }
        for (;;) {
          if (stopped) throw new Error('KubeDB simulation stopped');
          const known = dbInformers.flatMap((i) => i.list());
          const seen = new Set(dbInformers.flatMap((i, n) => i.list().map((db) => `${engines[n].kind} ${db.metadata.namespace}/${db.metadata.name}`)));
          const notReady = [...known.filter(pending).map(describe), ...onServer.filter((k) => !seen.has(k)).map((k) => `${k} (not seen yet)`)];
          if (notReady.length === 0) return;
          if (Date.now() > deadline) throw new Error(`KubeDB simulation not settled after ${timeoutMs} ms: ${notReady.join(', ')}`);
          await new Promise<void>((resolve) => {
            const offs = dbInformers.map((i) => i.on(() => done()));
            const t = setTimeout(() => done(), 100);
            function done() {
              clearTimeout(t);
              for (const off of offs) off();
              resolve();
            }
          });
        }
      } finally {
        settleWaiters.delete(onStop);
      }
    },
  };
}
