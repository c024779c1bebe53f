/**
 * List pagination ("Retrieving large results sets in chunks",
 * https://kubernetes.io/docs/reference/using-api/api-concepts/#retrieving-large-results-sets-in-chunks):
 * `?limit=N` returns at most N items and, when more remain, `metadata.continue` (an opaque token) and
 * `metadata.remainingItemCount` (only for an unfiltered list); `?continue=<token>` returns the next chunk
 * of the *same* list, i.e. as of the first chunk's resourceVersion. When that version has left the
 * history (etcd compaction on a real server), the answer is 410 Expired with the real message; a token
 * that does not decode is 400 BadRequest (`invalid continue token: …`).
 * The token has the real server's shape (k8s.io/apiserver/pkg/storage continue.go): base64 of
 * `{"v":"meta.k8s.io/v1","rv":<resourceVersion>,"start":"<key after which to resume>\u0000"}`.
 */
import type { GVR, KubeObject, ResourceType } from './api.js';
import { badRequest, statusObject, StatusError } from './status.js';

/** A decoded continue token. */
export interface ContinueToken {
  /** The resourceVersion of the list the chunks belong to. */
  rv: number;
  /** Resume after this key (`<namespace>/<name>`, `/<name>` for cluster-scoped objects). */
  start: string;
}

/** The storage key an object sorts by (namespace, then name — etcd key order). */
export function keyOf(o: KubeObject, namespaced: boolean): string {
  return namespaced ? `${o.metadata.namespace ?? ''}/${o.metadata.name}` : `/${o.metadata.name}`;
}

/** Encode a continue token (base64url, as the real server). */
export function encodeContinue(rv: number, lastKey: string): string {
  return Buffer.from(JSON.stringify({ v: 'meta.k8s.io/v1', rv, start: `${lastKey}\u0000` })).toString('base64url');
}

/**
 * Decode a continue token.
 * @throws StatusError 400 `invalid continue token: continue key is not valid: …`.
 */
export function decodeContinue(token: string): ContinueToken {
  const bad = (why: string) => badRequest(`invalid continue token: continue key is not valid: ${why}`);
  // Go's base64.RawURLEncoding: the first byte outside the alphabet, or a dangling last byte, is reported.
  const badByte = token.search(/[^A-Za-z0-9_-]/);
  if (badByte >= 0) throw bad(`illegal base64 data at input byte ${badByte}`);
  if (token.length % 4 === 1) throw bad(`illegal base64 data at input byte ${token.length - 1}`);
  let parsed: { v?: unknown; rv?: unknown; start?: unknown };
  const text = Buffer.from(token, 'base64url').toString('utf8');
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    // encoding/json's messages for the two common cases: cut short, or not JSON at all.
    throw bad(/end of JSON input|Unterminated|Expected/.test(String(err)) && text.trim().startsWith('{') ? 'unexpected end of JSON input' : `invalid character '${text.trim().charAt(0)}' looking for beginning of value`);
  }
  if (!parsed || typeof parsed !== 'object') throw bad('not an object');
  if (parsed.v !== 'meta.k8s.io/v1') throw bad(`server does not recognize this encoded version ${String(parsed.v ?? '')}`);
  if (typeof parsed.rv !== 'number' || !Number.isInteger(parsed.rv) || parsed.rv <= 0) throw bad('incorrect encoded start resourceVersion (version meta.k8s.io/v1)');
  if (typeof parsed.start !== 'string' || !parsed.start) throw bad('encoded start key empty (version meta.k8s.io/v1)');
  return { rv: parsed.rv, start: parsed.start.replace(/\u0000$/, '') };
}

/** 410 Expired for a continue token whose resourceVersion is no longer available (the real message). */
export function continueExpired(): StatusError {
  return new StatusError(
    statusObject(
      410,
      'Expired',
      'The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter, or use the continue token in this response to retrieve the remainder of the results. Continuing with the provided token results in an inconsistent list - objects that were created, modified, or deleted between the time the first chunk was returned and now may show up in the list.',
    ),
  );
}

/**
 * Cut one chunk from a full, key-sorted list.
 * @param items the whole list as of `rv`, sorted by key.
 * @param after resume after this key (continue), or undefined for the first chunk.
 * @param limit max items (0 or NaN: no limit).
 * @param filtered whether a label/field selector was used (then `remainingItemCount` is left unset).
 * @returns the chunk and the list metadata to send (`continue`, `remainingItemCount` when more remain).
 */
export function paginate(
  items: KubeObject[],
  opts: { rv: number; namespaced: boolean; after?: string; limit: number; filtered: boolean; prefix?: string },
): { items: KubeObject[]; continue?: string; remainingItemCount?: number } {
  const rest = opts.after === undefined ? items : items.filter((o) => keyOf(o, opts.namespaced) > opts.after!);
  if (!(opts.limit > 0) || rest.length <= opts.limit) return { items: rest };
  const page = rest.slice(0, opts.limit);
  return {
    items: page,
    continue: encodeContinue(opts.rv, keyOf(page[page.length - 1], opts.namespaced).slice((opts.prefix ?? '').length)),
    ...(opts.filtered ? {} : { remainingItemCount: rest.length - opts.limit }),
  };
}

/**
 * What a list needs from the store: the current list and the list as of an older resourceVersion, both
 * the store's own objects (not copied), and the copies to send of one chunk.
 */
interface ListSource {
  listShared(gvr: GVR, namespace: string | undefined, labelSelector?: string, fieldSelector?: string): { items: KubeObject[]; resourceVersion: string };
  listSharedAt(gvr: GVR, namespace: string | undefined, rv: number, labelSelector?: string, fieldSelector?: string): KubeObject[] | undefined;
  copyOut(gvr: GVR, items: KubeObject[]): KubeObject[];
}

/**
 * Serve one chunk of a list request from its query (`labelSelector`, `fieldSelector`, `limit`, `continue`).
 * @throws StatusError 400 (bad token, bad limit, `resourceVersion` together with `continue`), 410 Expired (token too old).
 */
export function listChunk(
  store: ListSource,
  type: ResourceType,
  namespace: string | undefined,
  q: URLSearchParams,
): { items: KubeObject[]; resourceVersion: string; continue?: string; remainingItemCount?: number } {
  const gvr: GVR = { group: type.group, version: type.version, plural: type.plural };
  const label = q.get('labelSelector') || undefined;
  const field = q.get('fieldSelector') || undefined;
  const limitParam = q.get('limit');
  // strconv.ParseInt; a negative limit is no limit.
  if (limitParam && !/^[+-]?\d+$/.test(limitParam)) throw badRequest(`strconv.ParseInt: parsing ${JSON.stringify(limitParam)}: invalid syntax`);
  const token = q.get('continue');
  // A list at resourceVersion=0 is served whole from the watch cache, whatever the limit.
  const limit = limitParam && !(q.get('resourceVersion') === '0' && !token) ? Math.max(0, Number(limitParam)) : 0;
  const filtered = label !== undefined || field !== undefined;
  // Token keys are relative to the list's storage prefix: `/<name>` in a namespace, `<ns>/<name>` across namespaces, `<name>` for cluster-scoped kinds.
  const prefix = !type.namespaced ? '/' : namespace ? namespace : '';
  if (!token) {
    const { items, resourceVersion } = store.listShared(gvr, namespace, label, field);
    const chunk = paginate(items, { rv: Number(resourceVersion), namespaced: type.namespaced, limit, filtered, prefix });
    return { ...chunk, items: store.copyOut(gvr, chunk.items), resourceVersion };
  }
  const rvParam = q.get('resourceVersion');
  if (rvParam && rvParam !== '0') throw badRequest('specifying resource version is not allowed when using continue');
  const c = decodeContinue(token);
  const items = store.listSharedAt(gvr, namespace, c.rv, label, field);
  if (!items) throw continueExpired();
  const chunk = paginate(items, { rv: c.rv, namespaced: type.namespaced, after: prefix + c.start, limit, filtered, prefix });
  return { ...chunk, items: store.copyOut(gvr, chunk.items), resourceVersion: String(c.rv) };
}
