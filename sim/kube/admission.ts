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
 * Two kinds of webhooks are honoured for requests served over HTTP:
 * - in-process validators registered per store ({@link addValidatingAdmission}), for tests of the emulator;
 * - `ValidatingWebhookConfiguration` objects (`admissionregistration.k8s.io/v1`) stored in the emulator,
 *   called over HTTPS as the API server calls them ({@link runRegisteredWebhooks}): rules (`apiGroups`,
 *   `apiVersions`, `operations`, `resources` incl. `*` and `<plural>/status`, `scope`), `namespaceSelector`
 *   (on the namespace's labels; `kubernetes.io/metadata.name` is set on every namespace),
 *   `objectSelector`, `sideEffects` on dry runs, `clientConfig.url` with `caBundle` (TLS verified against it),
 *   `timeoutSeconds` (default 10, sent as `?timeout=10s`), `failurePolicy` (default `Fail`: a webhook that
 *   cannot be called fails the request with 500 `Internal error occurred: failed calling webhook "<name>":
 *   failed to call webhook: Post "<url>?timeout=10s": <error>`; `Ignore` skips it). The request is an
 *   `admission.k8s.io/v1` AdmissionReview (`uid`, `kind`, `resource`, `subResource`, `requestKind`,
 *   `requestResource`, `name`, `namespace`, `operation`, `userInfo`, `object`, `oldObject`, `dryRun`,
 *   `options`; https://kubernetes.io/docs/reference/config-api/apiserver-admission.v1/); a response whose
 *   `uid` is not the request's is an error, as in the API server. Webhooks are called one after another; the
 *   first denial is answered.
 */
import { request as httpsRequest } from 'node:https';
import { randomUUID } from 'node:crypto';
import type { ClusterStore, GVR, KubeObject, ResourceType, WriteOptions } from './api.js';
import { StatusError, statusObject } from './status.js';
import { matchesLabels, type LabelRequirement } from './selectors.js';

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


/** `admissionregistration.k8s.io/v1` ValidatingWebhookConfigurations. */
export const VWC_GVR: GVR = { group: 'admissionregistration.k8s.io', version: 'v1', plural: 'validatingwebhookconfigurations' };

/** A `metav1.LabelSelector`. */
interface LabelSelector {
  matchLabels?: Record<string, string>;
  matchExpressions?: Array<{ key: string; operator: string; values?: string[] }>;
}

/** One webhook of a ValidatingWebhookConfiguration (the fields honoured). */
interface RegisteredWebhook {
  name: string;
  clientConfig?: { url?: string; caBundle?: string; service?: unknown };
  rules?: Array<{ apiGroups?: string[]; apiVersions?: string[]; operations?: string[]; resources?: string[]; scope?: string }>;
  failurePolicy?: 'Fail' | 'Ignore';
  sideEffects?: string;
  timeoutSeconds?: number;
  namespaceSelector?: LabelSelector;
  objectSelector?: LabelSelector;
}

/** A LabelSelector as requirements (an empty or missing selector matches everything). */
export function selectorRequirements(sel: LabelSelector | undefined): LabelRequirement[] {
  const out: LabelRequirement[] = [];
  for (const [key, v] of Object.entries(sel?.matchLabels ?? {})) out.push({ key, op: 'eq', values: [v] });
  for (const x of sel?.matchExpressions ?? []) {
    const op = x.operator === 'In' ? 'in' : x.operator === 'NotIn' ? 'notin' : x.operator === 'Exists' ? 'exists' : 'notexists';
    out.push({ key: x.key, op, values: x.values ?? [] });
  }
  return out;
}

const any = (list: string[] | undefined, v: string) => (list ?? []).some((x) => x === '*' || x === v);

/** Whether a rule list matches a request on `type` (with `subResource`) for `operation`. */
export function rulesMatch(rules: RegisteredWebhook['rules'], type: ResourceType, operation: AdmissionRequest['operation'], subResource?: string): boolean {
  const resource = subResource ? `${type.plural}/${subResource}` : type.plural;
  return (rules ?? []).some((r) => {
    if (!any(r.apiGroups, type.group) || !any(r.apiVersions, type.version) || !any(r.operations, operation)) return false;
    const resOk = (r.resources ?? []).some((x) => x === '*' || x === '*/*' || x === resource || (subResource && x === `*/${subResource}`) || (!subResource && x === `${type.plural}`));
    if (!resOk) return false;
    const scope = r.scope ?? '*';
    return scope === '*' || (scope === 'Namespaced') === type.namespaced;
  });
}

/** What {@link runRegisteredWebhooks} needs to know of one request. */
export interface WebhookCall {
  type: ResourceType;
  operation: AdmissionRequest['operation'];
  dryRun: boolean;
  user: { username: string; uid?: string; groups?: string[] };
  namespace?: string;
  name: string;
  subResource?: string;
  /**
   * Build the object the request would store without storing it (the store's write with `dryRun` and the
   * given `admit`, which receives the object and the stored one); its errors are the request's errors.
   */
  build: (admit: NonNullable<WriteOptions['admit']>) => void;
}

/** POST an AdmissionReview to `url`, trusting `caPem`; resolves with the parsed answer. */
function postReview(url: string, caPem: Buffer | undefined, review: unknown, timeoutMs: number): Promise<any> {
  return new Promise((resolve, reject) => {
    const body = Buffer.from(JSON.stringify(review));
    const req = httpsRequest(url, { method: 'POST', ca: caPem, headers: { 'Content-Type': 'application/json', Accept: 'application/json', 'Content-Length': body.length }, timeout: timeoutMs }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        if ((res.statusCode ?? 0) < 200 || (res.statusCode ?? 0) > 299) return reject(new Error(`the server responded with the status code ${res.statusCode}: ${text.slice(0, 200)}`));
        try {
          resolve(JSON.parse(text));
        } catch {
          reject(new Error('the response is not an AdmissionReview'));
        }
      });
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error('context deadline exceeded')));
    req.on('error', reject);
    req.end(body);
  });
}

/**
 * Call every registered `ValidatingWebhookConfiguration` webhook of `store` that matches `call` (see the
 * module docs), after building the object with a dry run. @throws StatusError: the first denial, a failed
 * call of a `Fail` webhook (500), a dry run meeting a webhook with side effects (400), or the build's error.
 */
export async function runRegisteredWebhooks(store: ClusterStore, call: WebhookCall): Promise<void> {
  if (!store.resourceType(VWC_GVR)) return;
  const configs = store.list(VWC_GVR, undefined).items;
  const hooks = configs.flatMap((c) => ((c.webhooks as RegisteredWebhook[] | undefined) ?? [])).filter((h) => rulesMatch(h.rules, call.type, call.operation, call.subResource));
  if (hooks.length === 0) return;
  let object: KubeObject | undefined;
  let oldObject: KubeObject | undefined;
  call.build((o, old) => {
    object = o;
    oldObject = old;
  });
  const nsLabels = call.type.namespaced && call.namespace ? (store.tryGet({ group: '', version: 'v1', plural: 'namespaces' }, undefined, call.namespace)?.metadata.labels ?? {}) : undefined;
  for (const h of hooks) {
    if (nsLabels && !matchesLabels(nsLabels, selectorRequirements(h.namespaceSelector))) continue;
    if (h.objectSelector) {
      const reqs = selectorRequirements(h.objectSelector);
      if (!matchesLabels(object?.metadata.labels, reqs) && !matchesLabels(oldObject?.metadata.labels, reqs)) continue;
    }
    if (call.dryRun && h.sideEffects !== 'None' && h.sideEffects !== 'NoneOnDryRun') {
      throw new StatusError(statusObject(400, 'BadRequest', `admission webhook "${h.name}" does not support dry run`));
    }
    const timeoutS = h.timeoutSeconds ?? 10;
    const url = `${h.clientConfig?.url ?? ''}?timeout=${timeoutS}s`;
    const uid = randomUUID();
    const gvk = { group: call.type.group, version: call.type.version, kind: call.type.kind };
    const gvr = { group: call.type.group, version: call.type.version, resource: call.type.plural };
    const optionsKind = call.operation === 'CREATE' ? 'CreateOptions' : call.operation === 'UPDATE' ? 'UpdateOptions' : 'DeleteOptions';
    const review = {
      apiVersion: 'admission.k8s.io/v1',
      kind: 'AdmissionReview',
      request: {
        uid,
        kind: gvk,
        resource: gvr,
        ...(call.subResource ? { subResource: call.subResource, requestSubResource: call.subResource } : {}),
        requestKind: gvk,
        requestResource: gvr,
        name: object?.metadata.name ?? call.name,
        ...(call.namespace ? { namespace: call.namespace } : {}),
        operation: call.operation,
        userInfo: { username: call.user.username, ...(call.user.uid ? { uid: call.user.uid } : {}), groups: call.user.groups ?? [] },
        object: object ?? null,
        oldObject: oldObject ?? null,
        dryRun: call.dryRun,
        options: { apiVersion: 'meta.k8s.io/v1', kind: optionsKind },
      },
    };
    let answer: any;
    try {
      if (!h.clientConfig?.url) throw new Error('the emulator calls webhooks by clientConfig.url only (no Service)');
      answer = await postReview(url, h.clientConfig.caBundle ? Buffer.from(h.clientConfig.caBundle, 'base64') : undefined, review, timeoutS * 1000);
      if (answer?.response?.uid !== uid) throw new Error(`expected response.uid="${uid}", got "${answer?.response?.uid ?? ''}"`);
    } catch (err) {
      if (h.failurePolicy === 'Ignore') continue;
      throw new StatusError(statusObject(500, 'InternalError', `Internal error occurred: failed calling webhook "${h.name}": failed to call webhook: Post "${url}": ${(err as Error).message}`));
    }
    if (answer.response.allowed !== true) throw denialError(h.name, answer.response.status ?? {});
  }
}
