/**
 * Simulated KubeDB for the embedded cluster: the provisioner (community operator), the PetSet workload
 * controller and, optionally, Ops Manager, all running in-process against a {@link ClusterStore}.
 *
 * ```ts
 * const store = new Store();
 * installKubeDBCrds(store, { opsManager: true });
 * seedCluster(store);
 * const sim = startKubeDBSim(store, { podReadyDelayMs: 20, stepDelayMs: 20 });
 * await sim.settled();
 * ```
 */
import type { ClusterStore, KubeObject } from '../kube/api.js';
import { ENGINES } from '../../src/engines/table.js';
import { POD_FAULT_ANNOTATION, POD_GVR, dbGvr, opsGvr } from './common.js';
import { startOpsManager, type OpsStep } from './opsmanager.js';
import { startProvisioner } from './provisioner.js';
import { PodFaults, startWorkloadController } from './workload.js';
import type { PodFault } from './pods.js';
import { startPgCoordinators, type PgCoordinatorSim } from './coordinator.js';

export { installKubeDBCrds, kubedbCrds, type CrdOptions } from './crds.js';
export {
  seedCluster,
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
export type { PgCoordinatorSim, Failover } from './coordinator.js';

/** Options of {@link startKubeDBSim}. Delays in ms. */
export interface KubeDBSimOptions {
  /** Run Ops Manager (default: true when the `ops.kubedb.com` CRDs are installed). */
  opsManager?: boolean;
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
  /** Stop every controller (watches and timers); in-flight OpsRequests stay as they are. */
  stop(): void;
  faults: SimFaults;
  /** Postgres' pg-coordinators: their raft key-value stores, the failovers made and held (coordinator.ts). */
  pgCoordinators: PgCoordinatorSim;
  /**
   * Resolves once every database object that does not carry the never-ready annotation
   * (`sim.kubedb.dev/pod-fault`) is phase `Ready`. Rejects after `timeoutMs` (default 30 000) naming the
   * databases that are not.
   */
  settled(timeoutMs?: number): Promise<void>;
}

/** Start the provisioner, the workload controller and (unless disabled or not installed) Ops Manager. */
export function startKubeDBSim(store: ClusterStore, opts: KubeDBSimOptions = {}): KubeDBSim {
  const podReadyDelayMs = opts.podReadyDelayMs ?? 50;
  const podFaults = new PodFaults();
  for (const p of opts.faults?.pods ?? []) podFaults.set(p.namespace, p.name, p.reason);
  let failAt: OpsStep | undefined = opts.faults?.failOpsAt;

  const workload = startWorkloadController(store, { podReadyDelayMs, faults: podFaults });
  let stalled = false;
  const provisioner = startProvisioner(store, { stalled: () => stalled });
  const opsInstalled = ENGINES.some((e) => store.resourceType(opsGvr(e)));
  const ops = (opts.opsManager ?? true) && opsInstalled
    ? startOpsManager(store, { stepDelayMs: opts.stepDelayMs ?? 50, opsTimeoutMs: opts.opsTimeoutMs ?? 30_000, failAt: () => failAt })
    : undefined;

  const pgCoordinators = startPgCoordinators(store);
  const stops: Array<() => void> = [];
  /** Whether a database counts for `settled()` and is not Ready. */
  const pending = (db: KubeObject) =>
    !db.metadata.annotations?.[POD_FAULT_ANNOTATION] && (db.status as { phase?: string } | undefined)?.phase !== 'Ready';
  const describe = (db: KubeObject) => `${db.kind} ${db.metadata.namespace}/${db.metadata.name} (${(db.status as { phase?: string } | undefined)?.phase ?? 'no status'})`;

  return {
    stop() {
      ops?.stop();
      pgCoordinators.stop();
      provisioner.stop();
      workload.stop();
      for (const s of stops.splice(0)) s();
    },
    pgCoordinators,
    faults: {
      failOpsAt(step) {
        failAt = step;
      },
      podNeverReady(namespace, podName, reason) {
        const pod = store.tryGet(POD_GVR, namespace, podName);
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
    settled(timeoutMs = 30_000) {
      return new Promise<void>((resolve, reject) => {
        // Informer-style: list once, then follow watch events from the list's resourceVersion.
        const notReady = new Map<string, string>();
        const unwatch: Array<() => void> = [];
        let done = false;
        const finish = (err?: Error) => {
          if (done) return;
          done = true;
          clearTimeout(timer);
          for (const u of unwatch) u();
          if (err) reject(err);
          else resolve();
        };
        const track = (db: KubeObject, deleted: boolean) => {
          const k = `${db.kind}/${db.metadata.namespace}/${db.metadata.name}`;
          if (!deleted && pending(db)) notReady.set(k, describe(db));
          else notReady.delete(k);
        };
        const timer = setTimeout(() => finish(new Error(`KubeDB simulation not settled after ${timeoutMs} ms: ${[...notReady.values()].join(', ')}`)), timeoutMs);
        for (const e of ENGINES) {
          if (!store.resourceType(dbGvr(e))) continue;
          const { items, resourceVersion } = store.list(dbGvr(e), undefined);
          for (const db of items) track(db, false);
          unwatch.push(
            store.watch(dbGvr(e), { resourceVersion }, (ev) => {
              track(ev.object, ev.type === 'DELETED');
              if (notReady.size === 0) finish();
            }),
          );
        }
        stops.push(() => finish(new Error('KubeDB simulation stopped')));
        if (notReady.size === 0) finish();
      });
    },
  };
}
