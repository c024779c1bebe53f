/**
 * Validating admission for the Kubernetes API emulator: a registry of in-process validators standing in for
 * `ValidatingWebhookConfiguration` webhooks (https://kubernetes.io/docs/reference/access-authn-authz/extensible-admission-controllers/).
 *
 * Semantics followed:
 * - a webhook matches a resource (group + plural, any version) and operations (`CREATE`, `UPDATE`,
 *   `DELETE`); it sees the `AdmissionRequest` fields `operation`, `object`, `oldObject`, `dryRun`,
 *   `userInfo`, `namespace`, `name`, `subResource`; it runs after the object is built and validated and
 *   before it is stored (validating admission is the last step before persistence);
 * - on a dry-run request (`?dryRun=All`) a webhook is called only when its `sideEffects` is `None` or
 *   `NoneOnDryRun`; otherwise the request fails with 400 (`admission webhook "<name>" does not support dry
 *   run`), as the API server does;
 * - a denial becomes the API error the API server builds from the webhook's `status`
 *   (k8s.io/apiserver `pkg/admission/plugin/webhook/errors/statuserror.go` `ToStatusErr`): the code is the
 *   webhook's `status.code` (raised to 400 when below 400; controller-runtime's `admission.Denied` sends
 *   403, a validator returning an `Invalid` API error sends 422), `reason`/`details` kept, and the message
 *   `admission webhook "<name>" denied the request: <message>` (or `… without explanation`).
 * Validators are registered per store (the emulator's controllers get the store, not the HTTP server) and
 * apply to requests served over HTTP; in-process controllers write the store directly, like the API
 * server's own loopback clients skipping nothing but the network.
 */
import type { KubeObject } from './api.js';
import { StatusError, statusObject } from './status.js';

/** What a validator is asked (the `AdmissionRequest` fields it needs). */
export interface AdmissionRequest {
  operation: 'CREATE' | 'UPDATE' | 'DELETE';
  /** The object to be stored (CREATE/UPDATE); undefined on DELETE. */
  object?: KubeObject;
  /** The stored object (UPDATE/DELETE). */
  oldObject?: KubeObject;
  dryRun: boolean;
  namespace?: string;
  name: string;
  subResource?: string;
  userInfo?: { username: string; groups?: string[] };
}

/** A validator's verdict (the `AdmissionResponse` fields that matter): allowed, or denied with a `Status`. */
export type AdmissionVerdict = { allowed: true } | { allowed: false; status: { code?: number; reason?: string; message?: string; details?: Record<string, unknown> } };

/** One registered webhook. */
export interface ValidatingWebhook {
  /** Webhook name, e.g. `mysqlopsrequestwebhook.validators.ops.kubedb.com`. */
  name: string;
  group: string;
  /** Resource plural, e.g. `mysqlopsrequests`. */
  resource: string;
  operations: Array<AdmissionRequest['operation']>;
  /** `None` / `NoneOnDryRun` are called on dry runs; `Some` / `Unknown` make a dry run fail with 400. */
  sideEffects?: 'None' | 'NoneOnDryRun' | 'Some' | 'Unknown';
  validate(req: AdmissionRequest): AdmissionVerdict;
}

const registries = new WeakMap<object, ValidatingWebhook[]>();

/** Register a validating webhook on `store` (any object identity: the emulator's Store). Returns an unregister function. */
export function addValidatingAdmission(store: object, hook: ValidatingWebhook): () => void {
  let list = registries.get(store);
  if (!list) registries.set(store, (list = []));
  list.push(hook);
  return () => {
    const l = registries.get(store);
    const i = l?.indexOf(hook) ?? -1;
    if (l && i >= 0) l.splice(i, 1);
  };
}

/** The webhooks of `store` matching `group`/`resource` and `operation`, in registration order. */
export function matchingWebhooks(store: object, group: string, resource: string, operation: AdmissionRequest['operation']): ValidatingWebhook[] {
  return (registries.get(store) ?? []).filter((h) => h.group === group && h.resource === resource && h.operations.includes(operation));
}

/** The API error for a denial by `webhook` (`ToStatusErr`, see module docs). */
export function denialError(webhook: string, status: { code?: number; reason?: string; message?: string; details?: Record<string, unknown> }): StatusError {
  const deniedBy = `admission webhook "${webhook}" denied the request`;
  const code = !status.code || status.code < 400 ? 400 : status.code;
  const message = status.message ? `${deniedBy}: ${status.message}` : status.reason ? `${deniedBy}: ${status.reason}` : `${deniedBy} without explanation`;
  return new StatusError(statusObject(code, status.reason ?? '', message, status.details as never));
}

/**
 * Run every matching webhook of `store` on `req`. @throws StatusError: the first denial (as the API
 * server reports it), or 400 when a webhook with side effects would be called on a dry run.
 */
export function runValidatingAdmission(store: object, group: string, resource: string, req: AdmissionRequest): void {
  for (const h of matchingWebhooks(store, group, resource, req.operation)) {
    if (req.dryRun && h.sideEffects !== 'None' && h.sideEffects !== 'NoneOnDryRun') {
      throw new StatusError(statusObject(400, 'BadRequest', `admission webhook "${h.name}" does not support dry run`));
    }
    const v = h.validate(req);
    if (!v.allowed) throw denialError(h.name, v.status);
  }
}
