/**
 * Simulated PetSet controller (`apps.k8s.appscode.com/v1`; PetSet follows the StatefulSet semantics of
 * https://kubernetes.io/docs/concepts/workloads/controllers/statefulset/), reconciling by PetSet key over
 * the API server (client.ts):
 * - keeps pods `<petset>-0 … <petset>-(replicas-1)` (pods beyond `replicas` are deleted), created in
 *   parallel (`podManagementPolicy: Parallel`) and bound to the fake node (`spec.nodeName`, kubelet.ts), which
 *   reports them Ready;
 * - a pod template change makes a new revision `<petset>-<hash>`; with `updateStrategy.type: RollingUpdate`
 *   pods with ordinal ≥ `rollingUpdate.partition` are replaced one at a time, highest ordinal first, and
 *   only while every pod is Running and Ready (a pod that never becomes Ready stalls the rollout, as in
 *   Kubernetes); a replaced pod is deleted gracefully and created again under its name once it is gone
 *   (the StatefulSet controller's order); `OnDelete` replaces nothing (a deleted pod comes back with the
 *   update revision);
 * - pods carry the template labels, `controller-revision-hash`, `statefulset.kubernetes.io/pod-name`,
 *   `apps.kubernetes.io/pod-index` and, for engines with roles, `kubedb.com/role=primary` on ordinal 0 and
 *   `standby` on the others (set by KubeDB's coordinator in reality; at creation here);
 * - `status` (through `/status`): replicas, readyReplicas, availableReplicas, currentReplicas,
 *   updatedReplicas, currentRevision, updateRevision, observedGeneration, collisionCount.
 * Pods and PetSets are read from shared informers (client-node ListWatch); a pod being deleted
 * (`deletionTimestamp`) still holds its ordinal and is not Ready.
 */
import { ENGINES } from '../../src/engines/table.js';
import type { KubeObject, SharedInformers, SimClient } from './client.js';
import { WorkQueue, isAlreadyExists, isNotFound } from './client.js';
import { PETSET_GVR, POD_GVR, ROLE_LABEL, SIM_NODE, shortHash } from './common.js';
import { podReady } from './pods.js';

export { PodFaults } from './kubelet.js';

interface PetSetSpec {
  replicas?: number;
  selector?: { matchLabels?: Record<string, string> };
  serviceName?: string;
  template?: { metadata?: { labels?: Record<string, string>; annotations?: Record<string, string> }; spec?: Record<string, unknown> };
  updateStrategy?: { type?: string; rollingUpdate?: { partition?: number } };
}

const REV_LABEL = 'controller-revision-hash';

function ordinalOf(pod: KubeObject, setName: string): number {
  const m = new RegExp(`^${setName.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}-(\\d+)$`).exec(pod.metadata.name);
  return m ? Number(m[1]) : -1;
}

/** The name of the PetSet controlling `pod`, if any. */
export function ownerSet(pod: KubeObject): string | undefined {
  return pod.metadata.ownerReferences?.find((o) => o.kind === 'PetSet' && o.controller)?.name;
}

/** The revision name of a template: `<petset>-<10 hex>` (like the controller-revision-hash label). */
export function revisionOf(setName: string, template: unknown): string {
  return `${setName}-${shortHash(template)}`;
}

/**
 * Start the PetSet controller. Returns `stop()`, which ends its queue (the informers belong to `informers`).
 */
export function startWorkloadController(client: SimClient, informers: SharedInformers): { stop(): void } {
  const sets = informers.get(PETSET_GVR);
  const pods = informers.get(POD_GVR);
  /** Known templates by revision name (the simulator's ControllerRevisions). */
  const templates = new Map<string, PetSetSpec['template']>();
  const queue = new WorkQueue((key) => {
    const i = key.indexOf('/');
    return reconcile(key.slice(0, i), key.slice(i + 1));
  });

  const podsOf = (ns: string, setName: string) => pods.list(ns).filter((p) => ownerSet(p) === setName);

  async function createPod(set: KubeObject, ordinal: number, rev: string, template: NonNullable<PetSetSpec['template']>): Promise<void> {
    const spec = set.spec as PetSetSpec;
    const name = `${set.metadata.name}-${ordinal}`;
    const labels: Record<string, string> = { ...(template.metadata?.labels ?? {}), [REV_LABEL]: rev, 'statefulset.kubernetes.io/pod-name': name, 'apps.kubernetes.io/pod-index': String(ordinal) };
    const engine = ENGINES.find((e) => `${e.plural}.${e.group}` === labels['app.kubernetes.io/name']);
    if (engine?.hasRoles) labels[ROLE_LABEL] = ordinal === 0 ? 'primary' : 'standby';
    const pod: KubeObject = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: {
        name,
        namespace: set.metadata.namespace,
        labels,
        ...(template.metadata?.annotations ? { annotations: { ...template.metadata.annotations } } : {}),
        ownerReferences: [{ apiVersion: set.apiVersion, kind: 'PetSet', name: set.metadata.name, uid: set.metadata.uid!, controller: true, blockOwnerDeletion: true }],
      },
      spec: { ...(template.spec ?? {}), hostname: name, subdomain: spec.serviceName ?? `${set.metadata.name}-pods`, nodeName: SIM_NODE },
    };
    try {
      await client.create(POD_GVR, pod);
    } catch (err) {
      // AlreadyExists: the cache has not seen it yet (or it is still terminating): the next event reconciles.
      if (!isAlreadyExists(err) && !isNotFound(err)) throw err;
    }
  }

  async function deletePod(pod: KubeObject): Promise<void> {
    if (pod.metadata.deletionTimestamp) return;
    try {
      await client.delete(POD_GVR, pod.metadata.namespace, pod.metadata.name, { uid: pod.metadata.uid });
    } catch (err) {
      if (!isNotFound(err) && (err as { code?: number }).code !== 409) throw err;
    }
  }

  async function reconcile(ns: string, setName: string): Promise<void> {
    const set = sets.get(ns, setName);
    const mine = podsOf(ns, setName);
    if (!set) {
      // Garbage collection by owner (the kube-controller-manager's collector does the same on a real server).
      for (const p of mine) await deletePod(p);
      return;
    }
    const spec = set.spec as PetSetSpec;
    const replicas = spec.replicas ?? 1;
    const template = spec.template ?? {};
    const updateRev = revisionOf(setName, template);
    templates.set(updateRev, template);
    const status = (set.status ?? {}) as { currentRevision?: string };
    const currentRev = status.currentRevision && templates.has(status.currentRevision) ? status.currentRevision : updateRev;
    const partition = spec.updateStrategy?.rollingUpdate?.partition ?? 0;
    const rolling = (spec.updateStrategy?.type ?? 'RollingUpdate') === 'RollingUpdate';

    const byOrdinal = new Map<number, KubeObject>();
    for (const p of mine) {
      const o = ordinalOf(p, setName);
      if (o < 0 || o >= replicas) await deletePod(p);
      else byOrdinal.set(o, p);
    }
    for (let i = 0; i < replicas; i++) {
      if (byOrdinal.has(i)) continue;
      const rev = rolling && i < partition ? currentRev : updateRev;
      await createPod(set, i, rev, templates.get(rev) ?? template);
    }
    const settled = byOrdinal.size === replicas && [...byOrdinal.values()].every((p) => podReady(p) && !p.metadata.deletionTimestamp);
    if (rolling && settled) {
      for (let i = replicas - 1; i >= Math.max(0, partition); i--) {
        const p = byOrdinal.get(i)!;
        if (p.metadata.labels?.[REV_LABEL] !== updateRev) {
          await deletePod(p);
          break;
        }
      }
    }
    await writeStatus(set, updateRev, currentRev, replicas);
  }

  async function writeStatus(set: KubeObject, updateRev: string, currentRev: string, replicas: number): Promise<void> {
    const list = podsOf(set.metadata.namespace!, set.metadata.name);
    const live = list.filter((p) => !p.metadata.deletionTimestamp);
    const ready = live.filter(podReady).length;
    const updated = live.filter((p) => p.metadata.labels?.[REV_LABEL] === updateRev).length;
    const done = updated === replicas && list.length === replicas;
    const current = done ? updated : live.filter((p) => p.metadata.labels?.[REV_LABEL] === currentRev).length;
    const want = {
      observedGeneration: set.metadata.generation,
      replicas: list.length,
      readyReplicas: ready,
      availableReplicas: ready,
      currentReplicas: current,
      updatedReplicas: updated,
      currentRevision: done ? updateRev : currentRev,
      updateRevision: updateRev,
      collisionCount: 0,
    };
    if (JSON.stringify(set.status ?? {}) === JSON.stringify(want)) return;
    await client.mutate(PETSET_GVR, set.metadata.namespace, set.metadata.name, (s) => {
      const next = { ...want, observedGeneration: s.metadata.generation };
      if (JSON.stringify(s.status ?? {}) === JSON.stringify(next)) return false;
      s.status = next;
    }, 'status');
  }

  const offSets = sets.on((_t, o) => queue.add(`${o.metadata.namespace}/${o.metadata.name}`));
  const offPods = pods.on((_t, p) => {
    const set = ownerSet(p);
    if (set) queue.add(`${p.metadata.namespace}/${set}`);
  });
  void sets.synced.then(() => {
    for (const s of sets.list()) queue.add(`${s.metadata.namespace}/${s.metadata.name}`);
  });
  return {
    stop() {
      offSets();
      offPods();
      queue.stop();
    },
  };
}
