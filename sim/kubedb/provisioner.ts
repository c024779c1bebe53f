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
 * - deletes the PetSet when the database object is deleted (owner garbage collection; on a real server the
 *   kube-controller-manager's garbage collector does it too);
 * - creates the ServiceAccount `<db>` the pod template names (KubeDB's provisioner does, and a real API
 *   server's ServiceAccount admission refuses pods naming a missing one).
 * It reconciles by database key over the API server (client.ts): databases, PetSets and catalog entries
 * come from shared informers, the database is read fresh before a decision, and every write goes through
 * `/status` with the read resourceVersion where it is status.
 * A database whose `spec.version` names no catalog entry is left without PetSet, phase `Provisioning`,
 * condition `ProvisioningStarted`=`False` reason `VersionNotFound`.
 */
import type { Engine } from '../../src/engines/table.js';
import type { KubeObject, SharedInformers, SimClient } from './client.js';
import { WorkQueue, isAlreadyExists } from './client.js';
import { PETSET_GVR, SERVICE_ACCOUNT_GVR, catalogGvr, conditionsOf, dbGvr, dbLabels, isPaused, now, setCondition, type Condition } from './common.js';
import { containerImage, imagesFromCatalog, podTemplate, setTemplateImages } from './template.js';

interface PetSetStatus {
  readyReplicas?: number;
  replicas?: number;
  updatedReplicas?: number;
}

/**
 * Start the provisioner for the `engines` whose CRDs are served. Returns `stop()`, which ends its queue.
 * @param opts.stalled while it returns true the provisioner does nothing (a fault: down, or too old to approve pauses).
 */
export function startProvisioner(client: SimClient, informers: SharedInformers, engines: readonly Engine[], opts: { stalled?: () => boolean } = {}): { stop(): void } {
  const byKind = new Map(engines.map((e) => [e.kind, e]));
  const queue = new WorkQueue((key) => {
    const [kind, ns, name] = key.split('/');
    return reconcile(byKind.get(kind)!, ns, name);
  });
  const enqueue = (e: Engine, ns: string, name: string) => queue.add(`${e.kind}/${ns}/${name}`);
  const sets = informers.get(PETSET_GVR);

  async function reconcile(e: Engine, ns: string, name: string): Promise<void> {
    if (opts.stalled?.()) {
      queue.addAfter(`${e.kind}/${ns}/${name}`, 100);
      return;
    }
    await Promise.all([sets.synced, informers.get(catalogGvr(e), { clusterScoped: true }).synced]);
    const db = await client.get(dbGvr(e), ns, name);
    const set = sets.get(ns, name);
    if (!db) {
      if (set && set.metadata.ownerReferences?.some((o) => o.kind === e.kind && o.name === name)) await client.delete(PETSET_GVR, ns, name);
      return;
    }
    if (conditionsOf(db).some((c) => c.type === 'Paused' && c.status === 'Unknown')) {
      await approvePause(e, db);
      return;
    }
    if (isPaused(db)) return;
    const spec = (db.spec ?? {}) as { version?: string; replicas?: number };
    const replicas = spec.replicas ?? 1;
    const catalog = spec.version ? informers.get(catalogGvr(e), { clusterScoped: true }).get(undefined, spec.version) : undefined;
    if (!catalog) {
      await writeStatus(e, db, [{ type: 'ProvisioningStarted', status: 'False', reason: 'VersionNotFound', message: `${e.catalogKind} ${spec.version ?? '(none)'} does not exist` }], 'Provisioning');
      return;
    }
    if (!set) {
      await client.createIfMissing(SERVICE_ACCOUNT_GVR, { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name, namespace: ns, labels: dbLabels(e, name) } });
      try {
        await client.create(PETSET_GVR, {
          apiVersion: `${PETSET_GVR.group}/${PETSET_GVR.version}`,
          kind: 'PetSet',
          metadata: {
            name,
            namespace: ns,
            labels: dbLabels(e, name),
            ownerReferences: [{ apiVersion: db.apiVersion, kind: e.kind, name, uid: db.metadata.uid!, controller: true, blockOwnerDeletion: true }],
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
      } catch (err) {
        if (!isAlreadyExists(err)) throw err; // the cache has not seen it yet
      }
    } else {
      const images = imagesFromCatalog(e, catalog);
      const template = (set.spec as { template?: { spec?: unknown } }).template;
      const stale = containerImage(template, e.container) !== images[e.container];
      const setReplicas = (set.spec as { replicas?: number }).replicas;
      if (stale || setReplicas !== replicas) {
        await client.mutate(PETSET_GVR, ns, name, (s) => {
          const sp = s.spec as Record<string, any>;
          sp.replicas = replicas;
          setTemplateImages(sp.template, images);
        });
      }
    }
    const st = (sets.get(ns, name)?.status ?? {}) as PetSetStatus;
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
    await writeStatus(e, db, conds, phase);
  }

  /** Turn a `Paused`=`Unknown` request into `True` (reason and message kept), through the status subresource. */
  async function approvePause(e: Engine, db: KubeObject): Promise<void> {
    await client.mutate(
      dbGvr(e),
      db.metadata.namespace,
      db.metadata.name,
      (o) => {
        const list = conditionsOf(o);
        const req = list.find((c) => c.type === 'Paused' && c.status === 'Unknown');
        if (!req) return false;
        o.status = { ...((o.status as object) ?? {}), conditions: list.map((c) => (c === req ? { ...c, status: 'True', lastTransitionTime: now() } : c)) };
        return true;
      },
      'status',
    );
  }

  /** The status `conds`/`phase` would give `o`, or undefined when it is paused or would not change. */
  function nextStatus(o: KubeObject, conds: Condition[], phase: string): Record<string, unknown> | undefined {
    if (isPaused(o)) return undefined;
    const before = JSON.stringify(o.status ?? {});
    let list = conditionsOf(o);
    for (const c of conds) list = setCondition(list, { ...c, observedGeneration: o.metadata.generation });
    const status = { ...((o.status as object) ?? {}), phase, observedGeneration: o.metadata.generation, conditions: list };
    return JSON.stringify(status) !== before ? status : undefined;
  }

  async function writeStatus(e: Engine, db: KubeObject, conds: Condition[], phase: string): Promise<void> {
    if (!nextStatus(db, conds, phase)) return; // nothing to write (the fresh read says so)
    await client.mutate(
      dbGvr(e),
      db.metadata.namespace,
      db.metadata.name,
      (o) => {
        const status = nextStatus(o, conds, phase);
        if (!status) return false;
        o.status = status;
      },
      'status',
    );
  }

  const offs: Array<() => void> = [];
  for (const e of engines) {
    const inf = informers.get(dbGvr(e));
    offs.push(inf.on((_t, o) => enqueue(e, o.metadata.namespace!, o.metadata.name)));
    void inf.synced.then(() => {
      for (const o of inf.list()) enqueue(e, o.metadata.namespace!, o.metadata.name);
    });
    informers.get(catalogGvr(e), { clusterScoped: true });
  }
  offs.push(
    sets.on((_t, set) => {
      const owner = set.metadata.ownerReferences?.find((o) => o.controller);
      const e = owner && byKind.get(owner.kind);
      if (e) enqueue(e, set.metadata.namespace!, owner!.name);
    }),
  );
  return {
    stop() {
      for (const off of offs) off();
      queue.stop();
    },
  };
}
