/**
 * Simulated PetSet controller (`apps.k8s.appscode.com/v1`; PetSet follows the StatefulSet semantics of
 * https://kubernetes.io/docs/concepts/workloads/controllers/statefulset/):
 * - keeps pods `<petset>-0 … <petset>-(replicas-1)` (pods beyond `replicas` are deleted), created in
 *   parallel (`podManagementPolicy: Parallel`), each Ready `podReadyDelayMs` after it starts unless a fault
 *   keeps it from it;
 * - a pod template change makes a new revision `<petset>-<hash>`; with `updateStrategy.type: RollingUpdate`
 *   pods with ordinal ≥ `rollingUpdate.partition` are replaced one at a time, highest ordinal first, and
 *   only while every pod is Running and Ready (a pod that never becomes Ready stalls the rollout, as in
 *   Kubernetes); `OnDelete` replaces nothing (a deleted pod comes back with the update revision);
 * - pods carry the template labels, `controller-revision-hash`, `statefulset.kubernetes.io/pod-name`,
 *   `apps.kubernetes.io/pod-index` and, for engines with roles, `kubedb.com/role=primary` on ordinal 0 and
 *   `standby` on the others (set by KubeDB's coordinator in reality; at creation here);
 * - `status`: replicas, readyReplicas, availableReplicas, currentReplicas, updatedReplicas,
 *   currentRevision, updateRevision, observedGeneration, collisionCount.
 * Faults: {@link PodFaults} (per pod, applied when the pod next starts on another image than the one it
 * ran when the fault was injected) and the pod template annotation
 * `sim.kubedb.dev/pod-fault`. A faulted pod retries with back-off (restartCount grows for
 * CrashLoopBackOff) and becomes Ready at the first retry after the fault is cleared.
 * Pods are cached from a watch (an informer), written through on the controller's own writes.
 */
import type { ClusterStore, KubeObject, WatchEvent } from '../kube/api.js';
import { ENGINES } from '../../src/engines/table.js';
import { POD_FAULT_ANNOTATION, PETSET_GVR, POD_GVR, ROLE_LABEL, Timers, isNotFound, mutate, shortHash } from './common.js';
import { creatingStatus, faultStatus, podReady, readyStatus, type PodFault } from './pods.js';

/**
 * Pod faults injected by tests, keyed `namespace/pod`. A fault injected while the pod runs image X
 * (`healthyImage`) belongs to the images the pod is moved to: it applies whenever the pod starts with its
 * first (database) container on another image, and not when it starts on X again — a bad new image or a
 * new version that crashes, which a rollback to the old image cures. Without `healthyImage` (the pod did
 * not exist yet) it applies to every start.
 */
export class PodFaults {
  private readonly map = new Map<string, { fault: PodFault; healthyImage?: string }>();
  /** Keep pod `namespace/name` from becoming Ready from its next start on (unless it starts on `healthyImage`). */
  set(namespace: string, name: string, fault: PodFault, healthyImage?: string): void {
    this.map.set(`${namespace}/${name}`, { fault, ...(healthyImage ? { healthyImage } : {}) });
  }
  /** The fault for a pod starting with database image `image`, if any. */
  get(namespace: string, name: string, image?: string): PodFault | undefined {
    const f = this.map.get(`${namespace}/${name}`);
    if (!f) return undefined;
    return f.healthyImage !== undefined && image === f.healthyImage ? undefined : f.fault;
  }
  clear(): void {
    this.map.clear();
  }
}

/** Options of {@link startWorkloadController}. */
export interface WorkloadOptions {
  /** Time from a pod's start to Ready, ms. */
  podReadyDelayMs: number;
  faults: PodFaults;
}

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

function ownerSet(pod: KubeObject): string | undefined {
  return pod.metadata.ownerReferences?.find((o) => o.kind === 'PetSet' && o.controller)?.name;
}

/** The revision name of a template: `<petset>-<10 hex>` (like the controller-revision-hash label). */
export function revisionOf(setName: string, template: unknown): string {
  return `${setName}-${shortHash(template)}`;
}

/**
 * Start the PetSet controller on `store`. Returns `stop()`, which ends its watches and timers.
 */
export function startWorkloadController(store: ClusterStore, opts: WorkloadOptions): { stop(): void } {
  const timers = new Timers();
  /** Pod cache by `namespace/petset`, then pod name. */
  const pods = new Map<string, Map<string, KubeObject>>();
  /** Known templates by revision name (the simulator's ControllerRevisions). */
  const templates = new Map<string, PetSetSpec['template']>();
  const dirty = new Set<string>();
  let flushScheduled = false;

  const bucket = (ns: string, set: string) => {
    const k = `${ns}/${set}`;
    let b = pods.get(k);
    if (!b) pods.set(k, (b = new Map()));
    return b;
  };
  const cache = (pod: KubeObject) => {
    const set = ownerSet(pod);
    if (!set) return;
    const b = bucket(pod.metadata.namespace!, set);
    const old = b.get(pod.metadata.name);
    // resourceVersions are one global counter: an older event (e.g. of a pod since replaced) never wins.
    if (old && Number(old.metadata.resourceVersion) > Number(pod.metadata.resourceVersion)) return;
    b.set(pod.metadata.name, pod);
  };
  const uncache = (pod: KubeObject) => {
    const set = ownerSet(pod);
    if (!set) return;
    const b = bucket(pod.metadata.namespace!, set);
    if (b.get(pod.metadata.name)?.metadata.uid === pod.metadata.uid) b.delete(pod.metadata.name);
  };

  const enqueue = (ns: string, set: string) => {
    dirty.add(`${ns}/${set}`);
    if (!flushScheduled) {
      flushScheduled = true;
      setImmediate(() => {
        flushScheduled = false;
        const keys = [...dirty];
        dirty.clear();
        for (const k of keys) {
          if (timers.isStopped) return;
          const [ns2, name] = k.split('/');
          try {
            reconcile(ns2, name);
          } catch {
            enqueueLater(ns2, name);
          }
        }
      });
    }
  };
  const enqueueLater = (ns: string, set: string) => timers.after(Math.max(10, opts.podReadyDelayMs), () => enqueue(ns, set));

  function faultFor(pod: KubeObject): PodFault | undefined {
    const first = ((pod.spec as { containers?: Array<{ image?: string }> })?.containers ?? [])[0]?.image;
    const injected = opts.faults.get(pod.metadata.namespace!, pod.metadata.name, first);
    if (injected) return injected;
    const a = pod.metadata.annotations?.[POD_FAULT_ANNOTATION];
    return a === 'ImagePullBackOff' || a === 'CrashLoopBackOff' ? a : undefined;
  }

  /** Timer: the pod's containers have started (or failed to). */
  function startContainers(ns: string, name: string, uid: string, attempt: number): void {
    let fault: PodFault | undefined;
    const written = mutate(
      store,
      POD_GVR,
      ns,
      name,
      (pod) => {
        if (pod.metadata.uid !== uid) return false;
        fault = faultFor(pod);
        const backoff = Math.min(300, 10 * 2 ** attempt);
        pod.status = fault ? faultStatus(pod, fault, fault === 'CrashLoopBackOff' ? attempt + 1 : 0, backoff) : readyStatus(pod);
      },
      'status',
    );
    if (written && written.metadata.uid === uid) cache(written);
    if (fault && written?.metadata.uid === uid) {
      const delay = Math.min(opts.podReadyDelayMs * 2 ** Math.min(attempt + 1, 4), Math.max(opts.podReadyDelayMs, 5_000));
      timers.after(Math.max(delay, 5), () => startContainers(ns, name, uid, attempt + 1));
    }
  }

  function createPod(set: KubeObject, ordinal: number, rev: string, template: NonNullable<PetSetSpec['template']>): void {
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
        ownerReferences: [{ apiVersion: set.apiVersion, kind: 'PetSet', name: set.metadata.name, uid: set.metadata.uid!, controller: true, blockOwnerDeletion: true } as never],
      },
      spec: { ...(template.spec ?? {}), hostname: name, subdomain: spec.serviceName ?? `${set.metadata.name}-pods`, nodeName: 'sim-node-1' },
    };
    let created: KubeObject;
    try {
      created = store.create(POD_GVR, pod);
    } catch {
      return; // AlreadyExists (a stale cache) or the namespace is gone: the next event reconciles
    }
    const withStatus = mutate(store, POD_GVR, created.metadata.namespace, name, (p) => {
      if (p.metadata.uid !== created.metadata.uid) return false;
      p.status = creatingStatus(p);
    }, 'status');
    cache(withStatus ?? created);
    const uid = created.metadata.uid!;
    timers.after(opts.podReadyDelayMs, () => startContainers(created.metadata.namespace!, name, uid, 0));
  }

  function deletePod(pod: KubeObject): void {
    try {
      uncache(store.delete(POD_GVR, pod.metadata.namespace, pod.metadata.name));
    } catch (err) {
      if (!isNotFound(err)) throw err;
      uncache(pod);
    }
  }

  function reconcile(ns: string, setName: string): void {
    const set = store.tryGet(PETSET_GVR, ns, setName);
    const b = bucket(ns, setName);
    if (!set) {
      for (const p of [...b.values()]) deletePod(p);
      pods.delete(`${ns}/${setName}`);
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
    for (const p of b.values()) {
      const o = ordinalOf(p, setName);
      if (o < 0 || o >= replicas) deletePod(p);
      else byOrdinal.set(o, p);
    }
    for (let i = 0; i < replicas; i++) {
      if (byOrdinal.has(i)) continue;
      const rev = rolling && i < partition ? currentRev : updateRev;
      createPod(set, i, rev, templates.get(rev) ?? template);
    }
    if (rolling && byOrdinal.size === replicas && [...byOrdinal.values()].every(podReady)) {
      for (let i = replicas - 1; i >= Math.max(0, partition); i--) {
        const p = byOrdinal.get(i)!;
        if (p.metadata.labels?.[REV_LABEL] !== updateRev) {
          deletePod(p);
          createPod(set, i, updateRev, template);
          break;
        }
      }
    }
    writeStatus(ns, setName, updateRev, currentRev, replicas);
  }

  function writeStatus(ns: string, setName: string, updateRev: string, currentRev: string, replicas: number): void {
    const list = [...bucket(ns, setName).values()];
    const ready = list.filter(podReady).length;
    const updated = list.filter((p) => p.metadata.labels?.[REV_LABEL] === updateRev).length;
    const done = updated === replicas && list.length === replicas;
    const current = done ? updated : list.filter((p) => p.metadata.labels?.[REV_LABEL] === currentRev).length;
    const written = mutate(
      store,
      PETSET_GVR,
      ns,
      setName,
      (s) => {
        const prev = JSON.stringify(s.status ?? {});
        s.status = {
          observedGeneration: s.metadata.generation,
          replicas: list.length,
          readyReplicas: ready,
          availableReplicas: ready,
          currentReplicas: current,
          updatedReplicas: updated,
          currentRevision: done ? updateRev : currentRev,
          updateRevision: updateRev,
          collisionCount: 0,
        };
        return JSON.stringify(s.status) !== prev;
      },
      'status',
    );
    void written;
  }

  const onSet = (ev: WatchEvent) => enqueue(ev.object.metadata.namespace!, ev.object.metadata.name);
  const onPod = (ev: WatchEvent) => {
    const set = ownerSet(ev.object);
    if (!set) return;
    if (ev.type === 'DELETED') uncache(ev.object);
    else cache(ev.object);
    enqueue(ev.object.metadata.namespace!, set);
  };
  const stops = [store.watch(PETSET_GVR, {}, onSet), store.watch(POD_GVR, {}, onPod)];
  return {
    stop() {
      timers.stop();
      for (const s of stops) s();
    },
  };
}
