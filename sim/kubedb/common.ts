/**
 * Shared helpers of the simulated KubeDB controllers: resource coordinates, labels, conditions, Events.
 * Everything here talks to the API server through {@link SimClient} (client.ts), as a real controller does.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { GVR, KubeObject, SimClient } from './client.js';
import {
  CATALOG_GROUP,
  CATALOG_VERSION,
  OPS_GROUP,
  OPS_VERSION,
  PETSET_GROUP,
  PETSET_PLURAL,
  PETSET_VERSION,
  type Engine,
} from '../../src/engines/table.js';

/** `apiextensions.k8s.io/v1` CustomResourceDefinitions. */
export const CRD_GVR: GVR = { group: 'apiextensions.k8s.io', version: 'v1', plural: 'customresourcedefinitions' };
/** Core v1 namespaces, pods, events. */
export const NS_GVR: GVR = { group: '', version: 'v1', plural: 'namespaces' };
export const POD_GVR: GVR = { group: '', version: 'v1', plural: 'pods' };
export const EVENT_GVR: GVR = { group: '', version: 'v1', plural: 'events' };
export const SECRET_GVR: GVR = { group: '', version: 'v1', plural: 'secrets' };
export const SERVICE_ACCOUNT_GVR: GVR = { group: '', version: 'v1', plural: 'serviceaccounts' };
/** Core v1 nodes (cluster-scoped): the simulated kubelet's fake node. */
export const NODE_GVR: GVR = { group: '', version: 'v1', plural: 'nodes' };
/** `admissionregistration.k8s.io/v1` ValidatingWebhookConfigurations (cluster-scoped). */
export const VWC_GVR: GVR = { group: 'admissionregistration.k8s.io', version: 'v1', plural: 'validatingwebhookconfigurations' };
/** The fake node every simulated pod is bound to (`spec.nodeName`), so pods look scheduled. */
export const SIM_NODE = 'sim-node-0';
/** `apps.k8s.appscode.com/v1` PetSets (the workload KubeDB's provisioner creates in current releases). */
export const PETSET_GVR: GVR = { group: PETSET_GROUP, version: PETSET_VERSION, plural: PETSET_PLURAL };

/** The database object's resource (`kubedb.com/v1`, e.g. `mysqls`). */
export function dbGvr(e: Engine): GVR {
  return { group: e.group, version: e.version, plural: e.plural };
}
/** The version catalog's resource (`catalog.kubedb.com/v1alpha1`, e.g. `mysqlversions`, cluster-scoped). */
export function catalogGvr(e: Engine): GVR {
  return { group: CATALOG_GROUP, version: CATALOG_VERSION, plural: e.catalogPlural };
}
/** The OpsRequest resource (`ops.kubedb.com/v1alpha1`, e.g. `mysqlopsrequests`). */
export function opsGvr(e: Engine): GVR {
  return { group: OPS_GROUP, version: OPS_VERSION, plural: e.opsRequestPlural };
}

/** The label key KubeDB puts the primary/standby role under. */
export const ROLE_LABEL = 'kubedb.com/role';
/**
 * Simulator-only annotation on a database object (copied to its PetSet's pod template): every pod of it
 * starts with this fault (`ImagePullBackOff` or `CrashLoopBackOff`) and never becomes Ready. The seed uses
 * it for the never-ready MySQL `legacy`. Not a KubeDB annotation.
 */
export const POD_FAULT_ANNOTATION = 'sim.kubedb.dev/pod-fault';

/** The labels KubeDB's provisioner puts on a database's workload and pods (docs/kubedb-facts.md, "Pods"). */
export function dbLabels(e: Engine, dbName: string): Record<string, string> {
  return {
    'app.kubernetes.io/name': `${e.plural}.${e.group}`,
    'app.kubernetes.io/instance': dbName,
    'app.kubernetes.io/managed-by': 'kubedb.com',
    'app.kubernetes.io/component': 'database',
  };
}

/** RFC 3339 with seconds precision, as Kubernetes writes `metav1.Time`. */
export function now(): string {
  return new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** A status condition as KubeDB writes them (`kmapi.Condition`). */
export interface Condition {
  type: string;
  status: 'True' | 'False' | 'Unknown';
  reason?: string;
  message?: string;
  lastTransitionTime?: string;
  observedGeneration?: number;
}

/** The conditions of an object's status (empty when none). */
export function conditionsOf(obj: KubeObject | undefined): Condition[] {
  const s = obj?.status as { conditions?: Condition[] } | undefined;
  return Array.isArray(s?.conditions) ? s!.conditions! : [];
}

/**
 * Set (add or replace by type) a condition in a list, keeping `lastTransitionTime` when the status did
 * not change (the `kmapi.SetCondition` convention). Returns a new list.
 */
export function setCondition(list: Condition[], c: Condition): Condition[] {
  const prev = list.find((x) => x.type === c.type);
  const next: Condition = { ...c, lastTransitionTime: prev && prev.status === c.status ? prev.lastTransitionTime : c.lastTransitionTime ?? now() };
  return prev ? list.map((x) => (x.type === c.type ? next : x)) : [...list, next];
}

/** Whether the database object is paused: a status condition `Paused` with status `True` (docs/kubedb-facts.md, "Confirmed since"). */
export function isPaused(db: KubeObject): boolean {
  return conditionsOf(db).some((c) => c.type === 'Paused' && c.status === 'True');
}

/** A short stable hash (10 hex chars) of a JSON value, like the controller-revision-hash suffix. */
export function shortHash(v: unknown): string {
  return createHash('sha256').update(JSON.stringify(v)).digest('hex').slice(0, 10);
}

/** A fake but stable image digest reference, as kubelet reports `imageID`. */
export function imageId(image: string): string {
  const repo = image.replace(/:[^/:]+$/, '');
  return `${repo}@sha256:${createHash('sha256').update(image).digest('hex')}`;
}

/**
 * Record a core v1 Event on an object, as client-go's event recorder does (`<name>.<hex>` name,
 * `involvedObject`, `reason`, `message`, `type` Normal|Warning, `source.component`, count 1).
 * Failures to write an Event are ignored, as a real recorder drops them.
 */
export async function recordEvent(client: SimClient, involved: KubeObject, type: 'Normal' | 'Warning', reason: string, message: string, component: string): Promise<void> {
  const ts = now();
  const ns = involved.metadata.namespace ?? 'default';
  try {
    await client.create(EVENT_GVR, {
      apiVersion: 'v1',
      kind: 'Event',
      metadata: { name: `${involved.metadata.name}.${randomBytes(8).toString('hex')}`, namespace: ns },
      involvedObject: {
        apiVersion: involved.apiVersion,
        kind: involved.kind,
        name: involved.metadata.name,
        namespace: ns,
        uid: involved.metadata.uid,
        resourceVersion: involved.metadata.resourceVersion,
      },
      reason,
      message,
      type,
      source: { component },
      reportingComponent: component,
      reportingInstance: `${component.toLowerCase().replace(/[^a-z0-9]+/g, '-')}-0`,
      firstTimestamp: ts,
      lastTimestamp: ts,
      count: 1,
    });
  } catch {
    /* events are best effort */
  }
}

/** A cancellable set of timers: everything a controller schedules, cleared at once on stop. */
export class Timers {
  private readonly set = new Set<NodeJS.Timeout>();
  private stopped = false;
  /** Run `fn` after `ms` (no-op once stopped). */
  after(ms: number, fn: () => void): void {
    if (this.stopped) return;
    const t = setTimeout(() => {
      this.set.delete(t);
      if (!this.stopped) fn();
    }, Math.max(0, ms));
    this.set.add(t);
  }
  /** A promise resolved after `ms` (never resolved once stopped). */
  sleep(ms: number): Promise<void> {
    return new Promise((resolve) => this.after(ms, resolve));
  }
  get isStopped(): boolean {
    return this.stopped;
  }
  stop(): void {
    this.stopped = true;
    for (const t of this.set) clearTimeout(t);
    this.set.clear();
  }
}
