/**
 * Parsing of Kubernetes API request paths (api-concepts, "Resource URIs"):
 * `/api/v1[/namespaces/{ns}]/{plural}[/{name}[/{subresource}]]` and the same under `/apis/{group}/{version}`;
 * the legacy `/watch/` prefix (`/api/v1/watch/namespaces/{ns}/pods`) is accepted.
 */
import type { GVR } from './api.js';

/** A parsed request path. */
export type ApiPath =
  | { kind: 'root'; which: 'api' | 'apis' }
  | { kind: 'group'; group: string }
  | { kind: 'groupVersion'; group: string; version: string }
  | {
      kind: 'resource';
      gvr: GVR;
      /** Namespace from the path, undefined for `/…/{plural}` (all namespaces or cluster-scoped). */
      namespace?: string;
      name?: string;
      subresource?: string;
      /** The legacy `/watch/` prefix was used. */
      legacyWatch: boolean;
    }
  | { kind: 'other' };

/**
 * Parse a URL path. `isNamespacedPlural(gvr)` tells whether a segment names a served namespaced resource,
 * which disambiguates `/api/v1/namespaces/{name}/status` from `/api/v1/namespaces/{ns}/{plural}`.
 */
export function parseApiPath(pathname: string, isNamespacedPlural: (gvr: GVR) => boolean): ApiPath {
  const seg = pathname.split('/').filter(Boolean).map(decodeURIComponent);
  if (seg.length === 1 && (seg[0] === 'api' || seg[0] === 'apis')) return { kind: 'root', which: seg[0] };
  let group: string;
  let version: string;
  let rest: string[];
  if (seg[0] === 'api') {
    if (seg.length < 2) return { kind: 'other' };
    group = '';
    version = seg[1];
    rest = seg.slice(2);
  } else if (seg[0] === 'apis') {
    if (seg.length === 2) return { kind: 'group', group: seg[1] };
    group = seg[1];
    version = seg[2];
    rest = seg.slice(3);
  } else return { kind: 'other' };
  if (rest.length === 0) return { kind: 'groupVersion', group, version };
  let legacyWatch = false;
  if (rest[0] === 'watch') {
    legacyWatch = true;
    rest = rest.slice(1);
  }
  if (rest[0] === 'namespaces' && rest.length >= 3 && isNamespacedPlural({ group, version, plural: rest[2] })) {
    if (rest.length > 5) return { kind: 'other' };
    return { kind: 'resource', gvr: { group, version, plural: rest[2] }, namespace: rest[1], name: rest[3], subresource: rest[4], legacyWatch };
  }
  if (rest.length > 3) return { kind: 'other' };
  return { kind: 'resource', gvr: { group, version, plural: rest[0] }, name: rest[1], subresource: rest[2], legacyWatch };
}
