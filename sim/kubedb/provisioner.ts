/**
 * Simulated KubeDB provisioner (the community operator). For every database object of an installed
 * engine CRD it:
 * - approves a pause request: a status condition `Paused`=`Unknown` (how KubeDB Ops Manager asks for a
 *   pause, then waits "for the pause request to be approved by Provisioner") is set to `True`, reason and
 *   message kept, once the provisioner is between reconciles (here: at once);
 * - skips the object entirely while it is paused (status condition `Paused`=`True`, the way `kubectl dba
 *   pause` sets it and a pause request ends up — docs/kubedb-facts.md "Confirmed since"): no PetSet change,
 *   no status write;
 * - creates its PetSet `<db>` (owner reference to the database, KubeDB's labels, `replicas`,
 *   `serviceName: <db>-pods`, `podManagementPolicy: Parallel`, `updateStrategy: RollingUpdate`, the pod
 *   template of `template.ts` with the catalog entry's images);
 * - keeps `spec.replicas` and, deliberately simple, the images: when the catalog entry of `spec.version`
 *   names other images than the PetSet runs, the template's images are set to them (the real operator
 *   reconciles the whole workload; an unpaused version edit is how it would take effect there too);
 * - writes `status.phase`, `status.observedGeneration` and conditions with KubeDB's types
 *   (`ProvisioningStarted`, `ReplicaReady`, `AcceptingConnection`, `Ready`, `Provisioned`), the phase
 *   derived the way kubedb/apimachinery's phase helper does it (from memory, not re-verified): not
 *   Provisioned → `Provisioning`; not accepting connections → `NotReady`; replicas or readiness missing →
 *   `Critical`; else `Ready`. `Provisioned` is set once all replicas were Ready and stays set.
 * - deletes the PetSet when the database object is deleted (owner garbage collection).
 * A database whose `spec.version` names no catalog entry is left without PetSet, phase `Provisioning`,
 * condition `ProvisioningStarted`=`False` reason `VersionNotFound`.
 */
import type { ClusterStore, KubeObject, WatchEvent } from '../kube/api.js';
import { ENGINES, type Engine } from '../../src/engines/table.js';
import { PETSET_GVR, Timers, catalogGvr, conditionsOf, dbGvr, dbLabels, isPaused, mutate, setCondition, type Condition } from './common.js';
import { containerImage, imagesFromCatalog, podTemplate, setTemplateImages } from './template.js';

interface PetSetStatus {
  readyReplicas?: number;
  replicas?: number;
  updatedReplicas?: number;
}

/**
 * Start the provisioner on `store`. Returns `stop()`, which ends its watches.
 * @param opts.stalled while it returns true the provisioner does nothing (a fault: down, or too old to approve pauses).
 */
export function startProvisioner(store: ClusterStore, opts: { stalled?: () => boolean } = {}): { stop(): void } {
  const timers = new Timers();
  const dirty = new Map<string, Engine>();
  let scheduled = false;

  const enqueue = (e: Engine, ns: string, name: string) => {
    dirty.set(`${e.kind}/${ns}/${name}`, e);
    if (scheduled) return;
    scheduled = true;
    setImmediate(() => {
      scheduled = false;
      const items = [...dirty];
      dirty.clear();
      for (const [k, eng] of items) {
        if (timers.isStopped) return;
        const [, ns2, n2] = k.split('/');
        try {
          reconcile(eng, ns2, n2);
        } catch {
          timers.after(50, () => enqueue(eng, ns2, n2));
        }
      }
    });
  };

  function reconcile(e: Engine, ns: string, name: string): void {
    if (opts.stalled?.()) {
      timers.after(100, () => enqueue(e, ns, name));
      return;
    }
    const db = store.tryGet(dbGvr(e), ns, name);
    const set = store.tryGet(PETSET_GVR, ns, name);
    if (!db) {
      if (set && set.metadata.ownerReferences?.some((o) => o.kind === e.kind && o.name === name)) store.delete(PETSET_GVR, ns, name);
      return;
    }
    if (conditionsOf(db).some((c) => c.type === 'Paused' && c.status === 'Unknown')) {
      approvePause(e, db);
      return;
    }
    if (isPaused(db)) return;
    const spec = (db.spec ?? {}) as { version?: string; replicas?: number };
    const replicas = spec.replicas ?? 1;
    const catalog = spec.version ? store.tryGet(catalogGvr(e), undefined, spec.version) : undefined;
    if (!catalog) {
      writeStatus(e, db, [{ type: 'ProvisioningStarted', status: 'False', reason: 'VersionNotFound', message: `${e.catalogKind} ${spec.version ?? '(none)'} does not exist` }], 'Provisioning');
      return;
    }
    if (!set) {
      store.create(PETSET_GVR, {
        apiVersion: `${PETSET_GVR.group}/${PETSET_GVR.version}`,
        kind: 'PetSet',
        metadata: {
          name,
          namespace: ns,
          labels: dbLabels(e, name),
          ownerReferences: [{ apiVersion: db.apiVersion, kind: e.kind, name, uid: db.metadata.uid!, controller: true, blockOwnerDeletion: true } as never],
        },
        spec: {
          replicas,
          serviceName: `${name}-pods`,
          selector: { matchLabels: dbLabels(e, name) },
          podManagementPolicy: 'Parallel',
          updateStrategy: { type: 'RollingUpdate' },
          template: podTemplate(e, db, catalog),
        },
      });
    } else {
      const images = imagesFromCatalog(e, catalog);
      const template = (set.spec as { template?: { spec?: unknown } }).template;
      const stale = containerImage(template, e.container) !== images[e.container];
      const setReplicas = (set.spec as { replicas?: number }).replicas;
      if (stale || setReplicas !== replicas) {
        mutate(store, PETSET_GVR, ns, name, (s) => {
          const sp = s.spec as Record<string, any>;
          sp.replicas = replicas;
          setTemplateImages(sp.template, images);
        });
      }
    }
    const st = (store.tryGet(PETSET_GVR, ns, name)?.status ?? {}) as PetSetStatus;
    const ready = st.readyReplicas ?? 0;
    const allReady = ready >= replicas && (st.updatedReplicas ?? 0) >= replicas;
    const label = `${e.kind}: ${ns}/${name}`;
    const provisioned = allReady || conditionsOf(db).some((c) => c.type === 'Provisioned' && c.status === 'True');
    const conds: Condition[] = [
      { type: 'ProvisioningStarted', status: 'True', reason: 'DatabaseProvisioningStartedSuccessfully', message: `The KubeDB operator has started the provisioning of ${label}` },
      ready >= replicas
        ? { type: 'ReplicaReady', status: 'True', reason: 'AllReplicasReady', message: 'All desired replicas are ready.' }
        : { type: 'ReplicaReady', status: 'False', reason: 'ReplicaNotReady', message: `${ready} of ${replicas} replicas are ready.` },
      ready > 0
        ? { type: 'AcceptingConnection', status: 'True', reason: 'DatabaseAcceptingConnectionRequest', message: `The ${label} is accepting client requests.` }
        : { type: 'AcceptingConnection', status: 'False', reason: 'DatabaseNotAcceptingConnectionRequest', message: `The ${label} is not accepting client requests.` },
      allReady
        ? { type: 'Ready', status: 'True', reason: 'ReadinessCheckSucceeded', message: `The ${label} is ready.` }
        : { type: 'Ready', status: 'False', reason: 'ReadinessCheckFailed', message: `The ${label} is not ready.` },
    ];
    if (provisioned) conds.push({ type: 'Provisioned', status: 'True', reason: 'DatabaseSuccessfullyProvisioned', message: `The ${label} is successfully provisioned.` });
    const phase = !provisioned ? 'Provisioning' : ready === 0 ? 'NotReady' : allReady ? 'Ready' : 'Critical';
    writeStatus(e, db, conds, phase);
  }

  /** Turn a `Paused`=`Unknown` request into `True` (reason and message kept), through the status subresource. */
  function approvePause(e: Engine, db: KubeObject): void {
    mutate(
      store,
      dbGvr(e),
      db.metadata.namespace,
      db.metadata.name,
      (o) => {
        const list = conditionsOf(o);
        const req = list.find((c) => c.type === 'Paused' && c.status === 'Unknown');
        if (!req) return false;
        const at = new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
        o.status = { ...((o.status as object) ?? {}), conditions: list.map((c) => (c === req ? { ...c, status: 'True', lastTransitionTime: at } : c)) };
        return true;
      },
      'status',
    );
  }

  function writeStatus(e: Engine, db: KubeObject, conds: Condition[], phase: string): void {
    mutate(
      store,
      dbGvr(e),
      db.metadata.namespace,
      db.metadata.name,
      (o) => {
        if (isPaused(o)) return false;
        const before = JSON.stringify(o.status ?? {});
        let list = conditionsOf(o);
        for (const c of conds) list = setCondition(list, { ...c, observedGeneration: o.metadata.generation });
        o.status = { ...((o.status as object) ?? {}), phase, observedGeneration: o.metadata.generation, conditions: list };
        return JSON.stringify(o.status) !== before;
      },
      'status',
    );
  }

  const stops: Array<() => void> = [];
  for (const e of ENGINES) {
    if (!store.resourceType(dbGvr(e))) continue;
    stops.push(store.watch(dbGvr(e), {}, (ev: WatchEvent) => enqueue(e, ev.object.metadata.namespace!, ev.object.metadata.name)));
  }
  if (store.resourceType(PETSET_GVR)) {
    stops.push(
      store.watch(PETSET_GVR, { labelSelector: 'app.kubernetes.io/managed-by=kubedb.com' }, (ev) => {
        const owner = ev.object.metadata.ownerReferences?.find((o) => o.controller);
        const e = owner && ENGINES.find((x) => x.kind === owner.kind);
        if (e) enqueue(e, ev.object.metadata.namespace!, owner!.name);
      }),
    );
  }
  return {
    stop() {
      timers.stop();
      for (const s of stops) s();
    },
  };
}
