/**
 * The simulated kubelet of the fake node `sim-node-0` (common.ts `SIM_NODE`): there is no real kubelet, so
 * this reports the pods bound to that node the way a kubelet would, over the API server only.
 * - It creates the Node object idempotently (`Ready`, as a kubelet registers its node), so pods with
 *   `spec.nodeName: sim-node-0` look scheduled.
 * - A new pod gets the status of containers being created (`Pending`), then `podReadyDelayMs` later Running
 *   and Ready (conditions, `containerStatuses` with image, imageID, ready, restartCount, started), or the
 *   status of a fault (pods.ts), retried with back-off; all written through the `pods/status` subresource
 *   (read-modify-write with the read resourceVersion, and only to the pod of the uid it started).
 * - A pod being deleted (`metadata.deletionTimestamp`, graceful deletion: a real API server waits for the
 *   node's kubelet, pkg/registry/core/pod/strategy.go `CheckGracefulDelete`) is finished by a delete with
 *   `gracePeriodSeconds: 0` and the pod's uid as precondition, as a kubelet does once its containers stopped.
 * Faults: {@link PodFaults} (per pod, applied when the pod next starts on another image than the one it
 * ran when the fault was injected) and the pod template annotation `sim.kubedb.dev/pod-fault`. A faulted
 * pod retries with back-off (restartCount grows for CrashLoopBackOff) and becomes Ready at the first retry
 * after the fault is cleared.
 */
import type { KubeObject, SharedInformers, SimClient } from './client.js';
import { WorkQueue, isAlreadyExists, isNotFound, statusCode } from './client.js';
import { NODE_GVR, POD_FAULT_ANNOTATION, POD_GVR, SIM_NODE, now } from './common.js';
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

/** Options of {@link startKubelet}. */
export interface KubeletOptions {
  /** Time from a pod's start to Ready (and between retries of a faulted pod), ms. */
  podReadyDelayMs: number;
  faults: PodFaults;
}

/** The Node object of the fake node (Ready, no taints), as a kubelet registers it. */
export function simNode(): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name: SIM_NODE, labels: { 'kubernetes.io/hostname': SIM_NODE, 'kubernetes.io/os': 'linux', 'kubernetes.io/arch': 'amd64', 'sim.kubedb.dev/fake-node': 'true' } },
    spec: {},
  };
}

/** Create the fake node if missing, and report it Ready through `nodes/status`. AlreadyExists is fine. */
export async function ensureSimNode(client: SimClient): Promise<void> {
  try {
    await client.create(NODE_GVR, simNode());
  } catch (err) {
    if (!isAlreadyExists(err)) throw err;
    return;
  }
  const t = now();
  await client.patch(NODE_GVR, undefined, SIM_NODE, {
    status: {
      conditions: [{ type: 'Ready', status: 'True', reason: 'KubeletReady', message: 'kubelet is posting ready status (simulated)', lastHeartbeatTime: t, lastTransitionTime: t }],
      addresses: [{ type: 'InternalIP', address: '172.18.0.2' }, { type: 'Hostname', address: SIM_NODE }],
      nodeInfo: { architecture: 'amd64', operatingSystem: 'linux', kubeletVersion: 'v1.36.3-sim', containerRuntimeVersion: 'containerd://2.1.0', kernelVersion: '6.1.0', osImage: 'Debian GNU/Linux 12 (bookworm)', kubeProxyVersion: '', machineID: '', systemUUID: '', bootID: '' },
    },
  }, 'status').catch(() => undefined);
}

/** Start the simulated kubelet. Returns `stop()`, which ends its queue and timers. */
export function startKubelet(client: SimClient, informers: SharedInformers, opts: KubeletOptions): { stop(): void } {
  const pods = informers.get(POD_GVR);
  /** Per pod uid: its start attempt and whether a start is scheduled. */
  const started = new Map<string, { attempt: number; scheduled: boolean }>();
  const timers = new Set<NodeJS.Timeout>();
  let stopped = false;
  const queue = new WorkQueue((key) => {
    const i = key.indexOf('/');
    return reconcile(key.slice(0, i), key.slice(i + 1));
  });
  const after = (ms: number, fn: () => void) => {
    if (stopped) return;
    const t = setTimeout(() => {
      timers.delete(t);
      if (!stopped) fn();
    }, Math.max(0, ms));
    timers.add(t);
  };

  function faultFor(pod: KubeObject): PodFault | undefined {
    const first = ((pod.spec as { containers?: Array<{ image?: string }> })?.containers ?? [])[0]?.image;
    const injected = opts.faults.get(pod.metadata.namespace!, pod.metadata.name, first);
    if (injected) return injected;
    const a = pod.metadata.annotations?.[POD_FAULT_ANNOTATION];
    return a === 'ImagePullBackOff' || a === 'CrashLoopBackOff' ? a : undefined;
  }

  /** Write `status` through `pods/status` (read-modify-write with the resourceVersion), for the pod with this uid only. */
  async function writeStatus(pod: KubeObject, status: Record<string, unknown>): Promise<void> {
    await client.mutate(POD_GVR, pod.metadata.namespace, pod.metadata.name, (p) => {
      if (p.metadata.uid !== pod.metadata.uid || p.metadata.deletionTimestamp) return false;
      p.status = status;
    }, 'status');
  }

  /** The pod's containers have started (or failed to): report it, and retry a faulted pod later. */
  async function startContainers(ns: string, name: string, uid: string): Promise<void> {
    const st = started.get(uid);
    const pod = pods.get(ns, name);
    if (!st || !pod || pod.metadata.uid !== uid || pod.metadata.deletionTimestamp) return;
    st.scheduled = false;
    const fault = faultFor(pod);
    const backoff = Math.min(300, 10 * 2 ** st.attempt);
    await writeStatus(pod, fault ? faultStatus(pod, fault, fault === 'CrashLoopBackOff' ? st.attempt + 1 : 0, backoff) : readyStatus(pod));
    if (fault) {
      const delay = Math.min(opts.podReadyDelayMs * 2 ** Math.min(st.attempt + 1, 4), Math.max(opts.podReadyDelayMs, 5_000));
      st.attempt++;
      schedule(ns, name, uid, Math.max(delay, 5));
    }
  }

  function schedule(ns: string, name: string, uid: string, ms: number): void {
    const st = started.get(uid);
    if (!st || st.scheduled) return;
    st.scheduled = true;
    after(ms, () => {
      startContainers(ns, name, uid).catch(() => {
        const s = started.get(uid);
        if (s) s.scheduled = false;
        queue.addAfter(`${ns}/${name}`, 50);
      });
    });
  }

  async function reconcile(ns: string, name: string): Promise<void> {
    const pod = pods.get(ns, name);
    if (!pod || (pod.spec as { nodeName?: string })?.nodeName !== SIM_NODE) return;
    const uid = pod.metadata.uid!;
    if (pod.metadata.deletionTimestamp) {
      started.delete(uid);
      // The containers have stopped: finish the graceful deletion, as the kubelet does.
      try {
        await client.delete(POD_GVR, ns, name, { gracePeriodSeconds: 0, uid });
      } catch (err) {
        if (!isNotFound(err) && statusCode(err) !== 409) throw err;
      }
      return;
    }
    if (started.has(uid)) return;
    started.set(uid, { attempt: 0, scheduled: false });
    if (podReady(pod)) return; // running already (a kubelet that restarted finds it so)
    const phase = (pod.status as { phase?: string } | undefined)?.phase;
    if (!phase || !(pod.status as { containerStatuses?: unknown[] }).containerStatuses) await writeStatus(pod, creatingStatus(pod));
    schedule(ns, name, uid, opts.podReadyDelayMs);
  }

  const off = pods.on((type, p) => {
    if (type === 'delete') {
      started.delete(p.metadata.uid ?? '');
      return;
    }
    queue.add(`${p.metadata.namespace}/${p.metadata.name}`);
  });
  void pods.synced.then(() => {
    for (const p of pods.list()) queue.add(`${p.metadata.namespace}/${p.metadata.name}`);
  });
  return {
    stop() {
      stopped = true;
      off();
      queue.stop();
      for (const t of timers) clearTimeout(t);
      timers.clear();
    },
  };
}
