/**
 * Kubernetes Events on the database object, so `kubectl describe <db>` tells the story of an update.
 * Shape: core/v1 `Event` with `involvedObject`, `reason`, `message`, `type` (Normal|Warning),
 * `source.component`, `firstTimestamp`/`lastTimestamp`, `count` (Kubernetes API reference, Event v1).
 */
import type { Kube } from './client.js';
import { events } from './resources.js';

/** Post an Event about an object. Failures are returned, not thrown: an Event is never worth failing an update for. */
export async function recordEvent(
  kube: Kube,
  involved: { apiVersion: string; kind: string; name: string; namespace: string; uid?: string },
  reason: string,
  message: string,
  type: 'Normal' | 'Warning' = 'Normal',
): Promise<Error | undefined> {
  const now = new Date();
  try {
    await events(kube).create({
      metadata: { generateName: `${involved.name}.`, namespace: involved.namespace },
      involvedObject: { ...involved },
      reason,
      message: message.slice(0, 1024),
      type,
      source: { component: 'dbupdate' },
      reportingComponent: 'dbupdate',
      reportingInstance: process.env.HOSTNAME ?? 'dbupdate',
      firstTimestamp: now,
      lastTimestamp: now,
      eventTime: undefined,
      count: 1,
    });
    return undefined;
  } catch (err) {
    return err as Error;
  }
}
