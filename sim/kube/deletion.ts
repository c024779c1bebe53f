/**
 * DELETE semantics of the Kubernetes API emulator (the generic registry's `Delete` and `BeforeDelete`):
 * - **preconditions** (`DeleteOptions.preconditions.uid` / `.resourceVersion`): a mismatch answers 409
 *   Conflict with the storage layer's message, e.g. `Operation cannot be fulfilled on pods "x":
 *   StorageError: invalid object, Code: 4, Key: /registry/pods/demo/x, ResourceVersion: 0,
 *   AdditionalErrorMsg: Precondition failed: UID in precondition: a, UID in object meta: b` (the wording
 *   real clients log, k8s.io/apiserver/pkg/storage Preconditions.Check + NewInvalidObjError);
 * - **graceful deletion** of pods ("Termination of Pods",
 *   https://kubernetes.io/docs/concepts/workloads/pods/pod-lifecycle/#pod-termination): the grace period is
 *   `gracePeriodSeconds` (query or body), else the pod's `spec.terminationGracePeriodSeconds`, else 30;
 *   0 deletes at once; otherwise the pod gets `metadata.deletionTimestamp` (now + grace) and
 *   `deletionGracePeriodSeconds`, and the (simulated) kubelet removes it once its containers have stopped;
 * - **finalizers** ("Finalizers", https://kubernetes.io/docs/concepts/overview/working-with-objects/finalizers/):
 *   an object with `metadata.finalizers` only gets a `deletionTimestamp` and stays until an update removes
 *   the last finalizer; no finalizer may be added once it is being deleted.
 */
import type { KubeObject } from './api.js';
import { badRequest, invalid, statusObject, StatusError } from './status.js';

/** `DeleteOptions` as far as the emulator honours them. */
export interface DeleteOptions {
  /** Seconds before a pod is removed (0: at once). Ignored for kinds without graceful deletion. */
  gracePeriodSeconds?: number;
  preconditions?: { uid?: string; resourceVersion?: string };
  /** `Orphan`, `Background`, `Foreground` (accepted; the emulator has no garbage collector). */
  propagationPolicy?: string;
}

/** The default grace period of a pod (`DefaultTerminationGracePeriodSeconds`), s. */
export const DEFAULT_POD_GRACE_SECONDS = 30;

/**
 * The DeleteOptions of a request: the JSON body (if any) overlaid by the `gracePeriodSeconds` and
 * `propagationPolicy` query parameters.
 * @throws StatusError 400 on a body that is not a DeleteOptions object or a non-integer grace period.
 */
export function deleteOptionsOf(q: URLSearchParams, body: unknown): DeleteOptions {
  if (body !== undefined && (typeof body !== 'object' || body === null || Array.isArray(body))) throw badRequest('the body of a DELETE must be a DeleteOptions object');
  const b = (body ?? {}) as DeleteOptions & { kind?: string };
  if (b.kind && b.kind !== 'DeleteOptions') throw badRequest(`${b.kind} is not a DeleteOptions`);
  const out: DeleteOptions = {};
  const g = q.get('gracePeriodSeconds') ?? (b.gracePeriodSeconds === undefined || b.gracePeriodSeconds === null ? null : String(b.gracePeriodSeconds));
  if (g !== null && g !== '') {
    const n = Number(g);
    if (!Number.isInteger(n)) throw badRequest(`gracePeriodSeconds must be an integer, got "${g}"`);
    out.gracePeriodSeconds = n;
  }
  if (b.preconditions) out.preconditions = b.preconditions;
  const p = q.get('propagationPolicy') ?? b.propagationPolicy;
  if (p) {
    if (!['Orphan', 'Background', 'Foreground'].includes(p)) {
      throw invalid('DeleteOptions', 'meta.k8s.io', '', [{ field: 'propagationPolicy', reason: 'FieldValueNotSupported', message: `Unsupported value: "${p}": supported values: "Foreground", "Background", "Orphan", "nil"` }]);
    }
    out.propagationPolicy = p;
  }
  return out;
}

/** The etcd key the real server names in precondition errors (`/registry/pods/ns/x`, `/registry/<group>/<plural>/ns/x` for custom resources). */
export function registryKey(group: string, plural: string, custom: boolean, namespace: string | undefined, name: string): string {
  return `/registry/${custom && group ? `${group}/` : ''}${plural}/${namespace ? `${namespace}/` : ''}${name}`;
}

/**
 * Check delete preconditions against the stored object.
 * @throws StatusError 409 Conflict with the real message on a uid or resourceVersion mismatch.
 */
export function checkPreconditions(
  pre: DeleteOptions['preconditions'],
  existing: KubeObject,
  where: { group: string; plural: string; custom: boolean },
): void {
  if (!pre) return;
  const fail = (what: string) => {
    const key = registryKey(where.group, where.plural, where.custom, existing.metadata.namespace, existing.metadata.name);
    const resource = where.group ? `${where.plural}.${where.group}` : where.plural;
    const msg = `Operation cannot be fulfilled on ${resource} "${existing.metadata.name}": StorageError: invalid object, Code: 4, Key: ${key}, ResourceVersion: 0, AdditionalErrorMsg: Precondition failed: ${what}`;
    return new StatusError(statusObject(409, 'Conflict', msg, { name: existing.metadata.name, group: where.group || undefined, kind: where.plural }));
  };
  if (pre.uid && pre.uid !== existing.metadata.uid) throw fail(`UID in precondition: ${pre.uid}, UID in object meta: ${existing.metadata.uid ?? ''}`);
  if (pre.resourceVersion && pre.resourceVersion !== existing.metadata.resourceVersion) {
    throw fail(`ResourceVersion in precondition: ${pre.resourceVersion}, ResourceVersion in object meta: ${existing.metadata.resourceVersion ?? ''}`);
  }
}

/**
 * The grace period of deleting a pod, s (pod strategy `CheckGracefulDelete`): 0 for a pod not scheduled
 * (no `spec.nodeName`) or finished (`Succeeded`/`Failed`); else `gracePeriodSeconds`, else its
 * `terminationGracePeriodSeconds`, else 30; never below 0.
 */
export function podGraceSeconds(pod: KubeObject, opts: DeleteOptions): number {
  const phase = (pod.status as { phase?: string } | undefined)?.phase;
  if (!(pod.spec as { nodeName?: string } | undefined)?.nodeName || phase === 'Succeeded' || phase === 'Failed') return 0;
  const fromSpec = (pod.spec as { terminationGracePeriodSeconds?: number } | undefined)?.terminationGracePeriodSeconds;
  return Math.max(0, opts.gracePeriodSeconds ?? fromSpec ?? DEFAULT_POD_GRACE_SECONDS);
}

/**
 * 422 when an update adds a finalizer to an object being deleted (`ValidateObjectMetaUpdate`:
 * `metadata.finalizers: Forbidden: no new finalizers can be added if the object is being deleted, found new finalizers []string{"x"}`).
 */
export function checkFinalizersWhileDeleting(kind: string, group: string, existing: KubeObject, next: KubeObject): void {
  if (!existing.metadata.deletionTimestamp) return;
  const before = new Set(existing.metadata.finalizers ?? []);
  const added = (next.metadata.finalizers ?? []).filter((f) => !before.has(f));
  if (added.length) {
    const cause = {
      field: 'metadata.finalizers',
      reason: 'FieldValueForbidden',
      message: `Forbidden: no new finalizers can be added if the object is being deleted, found new finalizers []string{${added.map((f) => JSON.stringify(f)).join(', ')}}`,
    };
    // The real server reports it twice in the causes (ValidateObjectMetaUpdate runs on the update and
    // again in the strategy); the aggregated message names it once.
    const err = invalid(kind, group, existing.metadata.name, [cause]);
    err.status.details?.causes?.push({ ...cause });
    throw err;
  }
}
