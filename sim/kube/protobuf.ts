/**
 * Kubernetes protobuf on the wire, as far as the real `kubectl` (1.32) needs it from the emulator.
 *
 * kubectl's typed clients (`kubectl create secret|configmap|namespace`, `kubectl auth can-i`) send their
 * request bodies as `Content-Type: application/vnd.kubernetes.protobuf` and ask
 * `Accept: application/vnd.kubernetes.protobuf,application/json` (seen on the wire against the emulator).
 * A real server decodes the body and may answer either; the emulator decodes the kinds those commands
 * send and answers JSON, which the Accept list allows. An Accept list naming no JSON-compatible type is
 * answered 406 NotAcceptable (`only the following media types are accepted: …`, apimachinery's
 * `NewNotAcceptableError`), as a real server answers a media type it cannot produce (e.g. protobuf for a
 * custom resource: https://kubernetes.io/docs/reference/using-api/api-concepts/#protobuf-encoding).
 *
 * Envelope (same doc, "Protobuf encoding"): the 4 bytes `k8s\0`, then a `runtime.Unknown` message
 * `{typeMeta{apiVersion=1, kind=2}=1, raw=2, contentEncoding=3, contentType=4}` whose `raw` is the object's
 * message. Message field numbers are those of the `generated.proto` files of k8s.io/api (core/v1,
 * authorization/v1) and k8s.io/apimachinery (meta/v1, runtime), read in the vendor tree of
 * /work/.mirror/kubedb+apimachinery/repo. Decoding is done by protobufjs (the maintained protobuf runtime
 * for JavaScript) from the subset of those definitions below.
 */
import protobuf from 'protobufjs';
import type { KubeObject } from './api.js';
import { statusObject, StatusError, unsupportedMediaType } from './status.js';

/** The protobuf media type of Kubernetes. */
export const PROTOBUF = 'application/vnd.kubernetes.protobuf';
const MAGIC = Buffer.from([0x6b, 0x38, 0x73, 0x00]);
/** Kinds of the real scheme that this file cannot decode (415) as opposed to kinds no scheme has (400). */
const KNOWN_KINDS = new Set(['Pod', 'Service', 'ServiceAccount', 'Event', 'Lease', 'Role', 'RoleBinding', 'ClusterRole', 'ClusterRoleBinding', 'StatefulSet', 'Deployment', 'PodDisruptionBudget', 'CustomResourceDefinition']);

const PROTO = `
syntax = "proto2";
package k8s;
message TypeMeta { optional string apiVersion = 1; optional string kind = 2; }
message Unknown { optional TypeMeta typeMeta = 1; optional bytes raw = 2; optional string contentEncoding = 3; optional string contentType = 4; }
message Time { optional int64 seconds = 1; optional int32 nanos = 2; }
message OwnerReference { optional string apiVersion = 5; optional string kind = 1; optional string name = 3; optional string uid = 4; optional bool controller = 6; optional bool blockOwnerDeletion = 7; }
message ObjectMeta {
  optional string name = 1; optional string generateName = 2; optional string namespace = 3; optional string selfLink = 4;
  optional string uid = 5; optional string resourceVersion = 6; optional int64 generation = 7;
  optional Time creationTimestamp = 8; optional Time deletionTimestamp = 9; optional int64 deletionGracePeriodSeconds = 10;
  map<string, string> labels = 11; map<string, string> annotations = 12; repeated OwnerReference ownerReferences = 13; repeated string finalizers = 14;
}
message Secret { optional ObjectMeta metadata = 1; optional bool immutable = 5; map<string, bytes> data = 2; map<string, string> stringData = 4; optional string type = 3; }
message ConfigMap { optional ObjectMeta metadata = 1; optional bool immutable = 4; map<string, string> data = 2; map<string, bytes> binaryData = 3; }
message NamespaceSpec { repeated string finalizers = 1; }
message Namespace { optional ObjectMeta metadata = 1; optional NamespaceSpec spec = 2; }
message ResourceAttributes { optional string namespace = 1; optional string verb = 2; optional string group = 3; optional string version = 4; optional string resource = 5; optional string subresource = 6; optional string name = 7; }
message NonResourceAttributes { optional string path = 1; optional string verb = 2; }
message SelfSubjectAccessReviewSpec { optional ResourceAttributes resourceAttributes = 1; optional NonResourceAttributes nonResourceAttributes = 2; }
message SelfSubjectAccessReview { optional ObjectMeta metadata = 1; optional SelfSubjectAccessReviewSpec spec = 2; }
message SelfSubjectRulesReviewSpec { optional string namespace = 1; }
message SelfSubjectRulesReview { optional ObjectMeta metadata = 1; optional SelfSubjectRulesReviewSpec spec = 2; }
message SelfSubjectReview { optional ObjectMeta metadata = 1; }
`;

const root = protobuf.parse(PROTO, { keepCase: true }).root;
const unknownType = root.lookupType('k8s.Unknown');
/** The kinds decodable here, by `apiVersion/kind`. */
const KINDS: Record<string, protobuf.Type> = {
  'v1/Secret': root.lookupType('k8s.Secret'),
  'v1/ConfigMap': root.lookupType('k8s.ConfigMap'),
  'v1/Namespace': root.lookupType('k8s.Namespace'),
  'authorization.k8s.io/v1/SelfSubjectAccessReview': root.lookupType('k8s.SelfSubjectAccessReview'),
  // kubectl auth can-i --list / kubectl auth whoami (authorization/v1 and authentication/v1 generated.proto).
  'authorization.k8s.io/v1/SelfSubjectRulesReview': root.lookupType('k8s.SelfSubjectRulesReview'),
  'authentication.k8s.io/v1/SelfSubjectReview': root.lookupType('k8s.SelfSubjectReview'),
};

/** `meta/v1.Time` (seconds since the epoch) as the RFC 3339 string JSON uses. */
function rfc3339(t: { seconds?: number }): string {
  return new Date(Number(t.seconds ?? 0) * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** Turn protobufjs' plain object into the JSON form (Time → string, drop empty maps/lists). */
function toJson(v: unknown, key = ''): unknown {
  if (Array.isArray(v)) return v.map((x) => toJson(x));
  if (v && typeof v === 'object') {
    const o = v as Record<string, unknown>;
    if ((key === 'creationTimestamp' || key === 'deletionTimestamp') && ('seconds' in o || Object.keys(o).length === 0)) return rfc3339(o);
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(o)) {
      if (x === undefined || x === null) continue;
      if (typeof x === 'object' && !Array.isArray(x) && Object.keys(x).length === 0 && k !== 'spec' && k !== 'metadata') continue;
      if (Array.isArray(x) && x.length === 0) continue;
      out[k] = toJson(x, k);
    }
    return out;
  }
  return v;
}

/**
 * Decode a protobuf request body into the JSON object it stands for, as the real server's protobuf
 * serializer does for a request to a resource of kind `expect.kind` (messages checked against
 * kube-apiserver 1.36 by the differential suite):
 * - no `k8s\0` prefix: 400 `the object provided is unrecognized (must be of type <Kind>): provided data
 *   does not appear to be a protobuf message, expected prefix [107 56 115 0] (<hex>)`; the prefix alone: `… empty body (6b387300)`;
 * - an envelope without a kind is decoded as `expect.kind` (then validated as any body);
 * - a kind the scheme does not know: 400 `<Kind> in version "<v>" cannot be handled as a <Kind>: no kind
 *   "<Kind>" is registered for version "<v>" in scheme "pkg/runtime/scheme.go:111"`.
 * @throws StatusError as above; 415 UnsupportedMediaType for a real kind not listed above (the emulator
 *   cannot decode it; JSON is always accepted).
 */
export function decodeProtobuf(body: Buffer, expect?: { kind: string; version: string; group: string }): KubeObject {
  const want = expect?.kind ?? 'Object';
  const unrecognized = (why: string) =>
    new StatusError(statusObject(400, 'BadRequest', `the object provided is unrecognized (must be of type ${want}): ${why} (${body.subarray(0, 80).toString('hex')})`));
  if (body.length < 4 || !body.subarray(0, 4).equals(MAGIC)) throw unrecognized('provided data does not appear to be a protobuf message, expected prefix [107 56 115 0]');
  if (body.length === 4) throw unrecognized('empty body');
  let env: { typeMeta?: { apiVersion?: string; kind?: string }; raw?: Uint8Array };
  try {
    env = unknownType.toObject(unknownType.decode(body.subarray(4))) as typeof env;
  } catch (err) {
    throw new StatusError(statusObject(400, 'BadRequest', `unable to decode protobuf: ${err instanceof Error ? err.message : String(err)}`));
  }
  const gv = expect ? (expect.group ? `${expect.group}/${expect.version}` : expect.version) : '';
  const apiVersion = env.typeMeta?.apiVersion || gv;
  const kind = env.typeMeta?.kind || want;
  const type = KINDS[`${apiVersion}/${kind}`];
  if (!type) {
    if (expect && !KNOWN_KINDS.has(kind)) {
      const v = apiVersion.split('/').pop();
      throw new StatusError(statusObject(400, 'BadRequest', `${kind} in version "${v}" cannot be handled as a ${want}: no kind "${kind}" is registered for version "${apiVersion}" in scheme "pkg/runtime/scheme.go:111"`));
    }
    throw unsupportedMediaType(['application/json', 'application/yaml']);
  }
  let obj: Record<string, unknown>;
  try {
    obj = type.toObject(type.decode(env.raw ?? new Uint8Array()), { longs: Number, bytes: String, defaults: false }) as Record<string, unknown>;
  } catch (err) {
    throw new StatusError(statusObject(400, 'BadRequest', `unable to decode ${kind}: ${err instanceof Error ? err.message : String(err)}`));
  }
  return { apiVersion, kind, ...(toJson(obj) as Record<string, unknown>), metadata: (toJson(obj.metadata ?? {}) as KubeObject['metadata']) } as KubeObject;
}

/**
 * Whether an `Accept` header lets the emulator answer JSON (absent, `*\/*`, `application/*`,
 * `application/json` with any parameters, `application/yaml`).
 */
export function acceptsJson(accept: string | undefined): boolean {
  if (!accept || !accept.trim()) return true;
  return accept.split(',').some((entry) => {
    const mt = entry.split(';')[0].trim().toLowerCase();
    return mt === '*/*' || mt === 'application/*' || mt === 'application/json' || mt === 'application/yaml' || mt === '';
  });
}

/** 406 NotAcceptable, as the real server answers an Accept list it cannot produce. */
export function notAcceptable(): StatusError {
  return new StatusError(statusObject(406, 'NotAcceptable', 'only the following media types are accepted: application/json, application/yaml'));
}
