/**
 * What the last scheduled drift report said, kept in the cluster so that a restart or a new leader knows
 * it: annotations on the ConfigMap {@link REPORT_STATE_CONFIGMAP} in the records namespace, one per report
 * and cluster (`drift.dbupdate.dev/<key>`: JSON `{digest, at}`). Written by the leader through its fenced
 * client (`src/kube/fence.ts`), so a replica that lost the Lease writes nothing. RBAC: `configmaps`
 * `create`, and `get`/`patch` on this name only (deploy/rbac.yaml).
 */
import { createHash } from 'node:crypto';
import type { V1ConfigMap } from '@kubernetes/client-node';
import type { Kube } from '../kube/client.js';
import { MERGE_PATCH } from '../kube/client.js';
import { isConflict, isNotFound } from '../kube/errors.js';

/** Name of the ConfigMap holding the digests of the last reports. */
export const REPORT_STATE_CONFIGMAP = 'dbupdate-drift-reports';
/** Annotation prefix of one report's state. */
export const REPORT_STATE_PREFIX = 'drift.dbupdate.dev/';

/** The last report of one schedule: its digest (`driftDigest`) and when it was posted (RFC 3339). */
export interface ReportState {
  digest: string;
  at: string;
}

/**
 * The annotation key of one scheduled report in one cluster: the cluster name and a short hash of what the
 * report covers (cron, channel, namespaces, engines), so that editing a report's scope starts afresh.
 */
export function reportKey(cluster: string, spec: { cron: string; channel: string; namespaces: readonly string[]; engines: readonly string[] }): string {
  const h = createHash('sha256').update(JSON.stringify([spec.cron, spec.channel, [...spec.namespaces].sort(), [...spec.engines].sort()])).digest('hex').slice(0, 10);
  return `${REPORT_STATE_PREFIX}${cluster}.${h}`.slice(0, REPORT_STATE_PREFIX.length + 63);
}

/** Read one report's state; undefined when there is none (no ConfigMap, no annotation, or unreadable). @throws API errors other than 404. */
export async function readReportState(kube: Kube, namespace: string, key: string): Promise<ReportState | undefined> {
  let cm: V1ConfigMap;
  try {
    cm = await kube.core.readNamespacedConfigMap({ name: REPORT_STATE_CONFIGMAP, namespace });
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw err;
  }
  const raw = cm.metadata?.annotations?.[key];
  if (!raw) return undefined;
  try {
    const v = JSON.parse(raw) as Partial<ReportState>;
    return typeof v.digest === 'string' && typeof v.at === 'string' ? { digest: v.digest, at: v.at } : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Write one report's state: a JSON merge patch of its annotation (other reports' annotations are left as
 * they are), creating the ConfigMap on its first use (a 409 from a concurrent create is patched again).
 * @throws API errors; `FencedError` on a fenced client once this replica lost the Lease.
 */
export async function writeReportState(kube: Kube, namespace: string, key: string, state: ReportState): Promise<void> {
  const annotations = { [key]: JSON.stringify(state) };
  const patch = () => kube.core.patchNamespacedConfigMap({ name: REPORT_STATE_CONFIGMAP, namespace, body: { metadata: { annotations } } }, MERGE_PATCH);
  try {
    await patch();
    return;
  } catch (err) {
    if (!isNotFound(err)) throw err;
  }
  try {
    await kube.core.createNamespacedConfigMap({
      namespace,
      body: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: REPORT_STATE_CONFIGMAP, namespace, annotations, labels: { 'app.kubernetes.io/managed-by': 'dbupdate' } } },
    });
  } catch (err) {
    if (!isConflict(err)) throw err;
    await patch();
  }
}
