/**
 * Pod objects and pod statuses as kubelet reports them (core v1 `Pod`), for the simulated PetSet
 * controller. Shapes follow the Kubernetes API reference (`PodStatus`, `ContainerStatus`, `PodCondition`):
 * Ready pods are `Running` with conditions `PodReadyToStartContainers`, `Initialized`, `Ready`,
 * `ContainersReady`, `PodScheduled`; an image pull failure leaves the pod `Pending` with the container
 * `waiting` (`ImagePullBackOff`, `Back-off pulling image "<image>"`); a crashing container leaves it
 * `Running` and unready with `waiting` `CrashLoopBackOff` (`back-off <n>s restarting failed
 * container=<c> pod=<pod>_<ns>(<uid>)`), `lastState.terminated` and a growing `restartCount`.
 */
import type { KubeObject } from './client.js';
import { imageId, now } from './common.js';

/** A fault that keeps a pod from becoming Ready. */
export type PodFault = 'ImagePullBackOff' | 'CrashLoopBackOff';

interface Container {
  name: string;
  image: string;
}

function containersOf(pod: KubeObject): Container[] {
  return ((pod.spec as { containers?: Container[] })?.containers ?? []).map((c) => ({ name: c.name, image: c.image }));
}

function cond(type: string, ok: boolean, since: string, reason?: string, message?: string): Record<string, unknown> {
  return { type, status: ok ? 'True' : 'False', lastProbeTime: null, lastTransitionTime: since, ...(reason ? { reason } : {}), ...(message ? { message } : {}) };
}

function podIp(name: string): string {
  let h = 0;
  for (const ch of name) h = (h * 31 + ch.charCodeAt(0)) >>> 0;
  return `10.244.${(h >> 8) & 255}.${(h & 253) + 2}`;
}

/** Status of a pod just scheduled, its containers being created. */
export function creatingStatus(pod: KubeObject): Record<string, unknown> {
  const t = now();
  return {
    phase: 'Pending',
    hostIP: '172.18.0.2',
    startTime: t,
    qosClass: 'Burstable',
    conditions: [
      cond('PodReadyToStartContainers', false, t),
      cond('Initialized', true, t),
      cond('Ready', false, t, 'ContainersNotReady', `containers with unready status: [${containersOf(pod).map((c) => c.name).join(' ')}]`),
      cond('ContainersReady', false, t, 'ContainersNotReady', `containers with unready status: [${containersOf(pod).map((c) => c.name).join(' ')}]`),
      cond('PodScheduled', true, t),
    ],
    containerStatuses: containersOf(pod).map((c) => ({ name: c.name, image: c.image, imageID: '', ready: false, started: false, restartCount: 0, state: { waiting: { reason: 'ContainerCreating' } } })),
  };
}

/** Status of a Running and Ready pod (every container running and ready). */
export function readyStatus(pod: KubeObject): Record<string, unknown> {
  const t = now();
  const prev = (pod.status ?? {}) as { startTime?: string; containerStatuses?: Array<{ name: string; restartCount?: number }> };
  return {
    phase: 'Running',
    hostIP: '172.18.0.2',
    podIP: podIp(`${pod.metadata.namespace}/${pod.metadata.name}`),
    startTime: prev.startTime ?? t,
    qosClass: 'Burstable',
    conditions: [cond('PodReadyToStartContainers', true, t), cond('Initialized', true, t), cond('Ready', true, t), cond('ContainersReady', true, t), cond('PodScheduled', true, t)],
    containerStatuses: containersOf(pod).map((c) => ({
      name: c.name,
      image: c.image,
      imageID: imageId(c.image),
      ready: true,
      started: true,
      restartCount: prev.containerStatuses?.find((x) => x.name === c.name)?.restartCount ?? 0,
      state: { running: { startedAt: t } },
    })),
  };
}

/**
 * Status of a pod whose first container (the database container) suffers `fault`; the other containers
 * run. `restarts` is the restart count (CrashLoopBackOff), `backoffS` the back-off kubelet reports.
 */
export function faultStatus(pod: KubeObject, fault: PodFault, restarts: number, backoffS: number): Record<string, unknown> {
  const t = now();
  const prev = (pod.status ?? {}) as { startTime?: string };
  const cs = containersOf(pod);
  const bad = cs[0]?.name ?? 'main';
  const unready = `containers with unready status: [${bad}]`;
  return {
    phase: fault === 'ImagePullBackOff' ? 'Pending' : 'Running',
    hostIP: '172.18.0.2',
    podIP: podIp(`${pod.metadata.namespace}/${pod.metadata.name}`),
    startTime: prev.startTime ?? t,
    qosClass: 'Burstable',
    conditions: [
      cond('PodReadyToStartContainers', true, t),
      cond('Initialized', true, t),
      cond('Ready', false, t, 'ContainersNotReady', unready),
      cond('ContainersReady', false, t, 'ContainersNotReady', unready),
      cond('PodScheduled', true, t),
    ],
    containerStatuses: cs.map((c, i) => {
      if (i > 0) return { name: c.name, image: c.image, imageID: imageId(c.image), ready: true, started: true, restartCount: 0, state: { running: { startedAt: t } } };
      if (fault === 'ImagePullBackOff') {
        return { name: c.name, image: c.image, imageID: '', ready: false, started: false, restartCount: 0, state: { waiting: { reason: 'ImagePullBackOff', message: `Back-off pulling image "${c.image}"` } } };
      }
      return {
        name: c.name,
        image: c.image,
        imageID: imageId(c.image),
        ready: false,
        started: false,
        restartCount: restarts,
        lastState: { terminated: { exitCode: 1, reason: 'Error', startedAt: t, finishedAt: t, containerID: `containerd://${imageId(c.image + restarts).slice(-64)}` } },
        state: {
          waiting: {
            reason: 'CrashLoopBackOff',
            message: `back-off ${backoffS}s restarting failed container=${c.name} pod=${pod.metadata.name}_${pod.metadata.namespace}(${pod.metadata.uid})`,
          },
        },
      };
    }),
  };
}

/** Whether a pod reports the `Ready` condition `True`. */
export function podReady(pod: KubeObject | undefined): boolean {
  const conds = ((pod?.status as { conditions?: Array<{ type: string; status: string }> })?.conditions ?? []);
  return conds.some((c) => c.type === 'Ready' && c.status === 'True');
}

/** A one-line description of why a pod is not Ready (`container mysql is waiting: ImagePullBackOff: Back-off pulling image "…"`). */
export function podProblem(pod: KubeObject | undefined): string {
  if (!pod) return 'pod does not exist';
  const cs = ((pod.status as { containerStatuses?: Array<{ name: string; restartCount?: number; state?: { waiting?: { reason?: string; message?: string } } }> })?.containerStatuses ?? []);
  for (const c of cs) {
    const w = c.state?.waiting;
    if (w) return `container ${c.name} is waiting: ${w.reason ?? 'Unknown'}${w.message ? `: ${w.message}` : ''}${c.restartCount ? ` (restarts: ${c.restartCount})` : ''}`;
  }
  return `pod is ${(pod.status as { phase?: string })?.phase ?? 'Pending'} and not Ready`;
}
