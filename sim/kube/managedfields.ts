/**
 * Field management (`metadata.managedFields`) and server-side apply, as kube-apiserver's
 * structured-merge-diff (sigs.k8s.io/structured-merge-diff) does it for the cases clients meet
 * ("Server-Side Apply", https://kubernetes.io/docs/reference/using-api/server-side-apply/), checked against
 * kube-apiserver 1.36 by the differential suite:
 * - every write records who set which fields: an `Update` entry (manager = `fieldManager`, else the
 *   User-Agent up to its first `/`, else `unknown`) owns the fields the write changed or added; the
 *   fields it changed are taken from every other manager; fields it removed are owned by nobody;
 * - an apply (`application/apply-patch+yaml`) owns exactly the fields of its configuration (leaves and
 *   list items, no `.` entries); a field another manager owns with a different value is a conflict:
 *   409 `Apply failed with N conflict(s): conflict(s) with "<manager>"…`, one `FieldManagerConflict` cause
 *   per field (`.data.a`), unless `force=true`, which takes the fields; a field the manager applied before
 *   and no longer applies is removed from the object when nobody else owns it;
 * - FieldsV1 paths: `f:<field>`, `k:{"name":"x"}` for an item of a list keyed by its fields, `v:"x"` for
 *   an item of a set (`metadata.finalizers`); `.` marks a node that is owned itself and has children.
 *   Lists are atomic unless the CRD says `x-kubernetes-list-type: map|set` or, for built-in kinds, the
 *   field is one of the keyed lists of k8s.io/api (`+listType=map` / `patchMergeKey` tags, {@link BUILTIN_LIST_KEYS}).
 *   Maps (`additionalProperties`) and custom resources' objects are owned as nodes (`.`) when a write adds
 *   them; built-in structs are not.
 * - not recorded: `apiVersion`, `kind`, the server-set metadata (name, namespace, uid, resourceVersion,
 *   generation, timestamps, managedFields); `status` for writes of the main resource of a type with a
 *   status subresource, and only `status` for writes of `/status` (entries with `subresource: status`).
 * Not simulated: the cap of 10 Update managers (`ancient-changes`), conversions between versions,
 * `x-kubernetes-map-type: atomic`, a client sending managedFields itself (they are kept as stored).
 */
import type { KubeObject, ResourceType } from './api.js';
import { prune, type JSONSchemaProps } from './schema.js';
import { builtinSchema } from './builtin-schema.js';
import { clone } from './patch.js';
import { statusObject, StatusError } from './status.js';

/** One `metadata.managedFields` entry. */
export interface ManagedFieldsEntry {
  manager: string;
  operation: 'Apply' | 'Update';
  apiVersion: string;
  /** When the manager last changed the object (absent for an apply that changed nothing but ownership). */
  time?: string;
  fieldsType: 'FieldsV1';
  fieldsV1: Record<string, unknown>;
  subresource?: string;
}

/** Keyed lists of built-in kinds, by field name (k8s.io/api `+listMapKey` / `patchMergeKey`). */
export const BUILTIN_LIST_KEYS: Record<string, string[]> = {
  containers: ['name'],
  initContainers: ['name'],
  ephemeralContainers: ['name'],
  env: ['name'],
  volumes: ['name'],
  volumeMounts: ['mountPath'],
  volumeDevices: ['devicePath'],
  imagePullSecrets: ['name'],
  ownerReferences: ['uid'],
  conditions: ['type'],
  readinessGates: ['conditionType'],
  topologySpreadConstraints: ['topologyKey', 'whenUnsatisfiable'],
  hostAliases: ['ip'],
  resourceClaims: ['name'],
};
/** Built-in lists that are sets of scalars. */
const BUILTIN_SETS = new Set(['finalizers']);
const SERVER_META = new Set(['name', 'namespace', 'uid', 'resourceVersion', 'generation', 'creationTimestamp', 'deletionTimestamp', 'deletionGracePeriodSeconds', 'managedFields', 'selfLink']);

type Json = unknown;
const isObj = (x: Json): x is Record<string, Json> => typeof x === 'object' && x !== null && !Array.isArray(x);

/** What is known of a node's type: its schema (CRD or client-node model) and the field name it sits under. */
interface Ctx {
  custom: boolean;
  schema?: JSONSchemaProps;
  field: string;
}

function childSchema(s: JSONSchemaProps | undefined, key: string): JSONSchemaProps | undefined {
  if (!s) return undefined;
  return s.properties?.[key] ?? (isObj(s.additionalProperties) ? (s.additionalProperties as JSONSchemaProps) : undefined);
}

function listKind(ctx: Ctx, items: unknown[]): { type: 'map'; keys: string[] } | { type: 'set' } | { type: 'atomic' } {
  const s = ctx.schema as (JSONSchemaProps & { 'x-kubernetes-list-type'?: string; 'x-kubernetes-list-map-keys'?: string[] }) | undefined;
  if (ctx.custom && ctx.field !== 'finalizers' && ctx.field !== 'ownerReferences') {
    if (s?.['x-kubernetes-list-type'] === 'map' && s['x-kubernetes-list-map-keys']?.length) return { type: 'map', keys: s['x-kubernetes-list-map-keys'] };
    if (s?.['x-kubernetes-list-type'] === 'set') return { type: 'set' };
    return { type: 'atomic' };
  }
  if (BUILTIN_SETS.has(ctx.field)) return { type: 'set' };
  let keys = BUILTIN_LIST_KEYS[ctx.field];
  if (ctx.field === 'ports') keys = items.some((i) => isObj(i) && 'containerPort' in i) ? ['containerPort', 'protocol'] : ['port', 'protocol'];
  return keys ? { type: 'map', keys } : { type: 'atomic' };
}

/** The `k:{…}` segment of a keyed list item (protocol defaults to TCP in ports, as the real defaulting does before). */
function itemKey(item: Record<string, Json>, keys: string[]): string {
  const k: Record<string, Json> = {};
  for (const name of keys) k[name] = item[name] ?? (name === 'protocol' ? 'TCP' : null);
  return `k:${JSON.stringify(k)}`;
}

/**
 * A field set: path (segments joined by \u0000) → whether the node is a leaf, whether a write adding it
 * owns it (`dotted`), whether it is a map whose type was deduced (an object below
 * `x-kubernetes-preserve-unknown-fields`, which an apply owns itself: `.`), and its value.
 */
type Paths = Map<string, { leaf: boolean; dotted: boolean; deduced?: boolean; value: Json }>;

function walk(x: Json, ctx: Ctx, prefix: string[], out: Paths): void {
  if (isObj(x)) {
    for (const [k, v] of Object.entries(x)) {
      const s = childSchema(ctx.schema, k);
      const p = [...prefix, `f:${k}`];
      const child: Ctx = { custom: ctx.custom, schema: s, field: k };
      node(v, child, p, out, ctx.schema !== undefined && isObj(ctx.schema.additionalProperties) && !ctx.schema.properties?.[k]);
    }
  }
}

function node(v: Json, ctx: Ctx, p: string[], out: Paths, inMap: boolean): void {
  const key = p.join('\u0000');
  if (isObj(v) && Object.keys(v).length > 0) {
    const isMap = ctx.schema !== undefined && isObj(ctx.schema.additionalProperties);
    out.set(key, { leaf: false, dotted: ctx.custom || isMap || inMap, deduced: ctx.custom && ctx.schema === undefined && p[0] !== 'f:metadata', value: v });
    walk(v, ctx, p, out);
    return;
  }
  if (Array.isArray(v) && v.length > 0) {
    const lk = listKind(ctx, v);
    if (lk.type === 'atomic') {
      out.set(key, { leaf: true, dotted: false, value: v });
      return;
    }
    out.set(key, { leaf: false, dotted: true, value: v });
    const itemCtx: Ctx = { custom: ctx.custom, schema: ctx.schema?.items as JSONSchemaProps | undefined, field: '' };
    for (const item of v) {
      if (lk.type === 'set') out.set([...p, `v:${JSON.stringify(item)}`].join('\u0000'), { leaf: true, dotted: false, value: item });
      else if (isObj(item)) {
        const ip = [...p, itemKey(item, lk.keys)];
        out.set(ip.join('\u0000'), { leaf: false, dotted: true, value: item });
        walk(item, itemCtx, ip, out);
      }
    }
    return;
  }
  out.set(key, { leaf: true, dotted: false, value: v });
}

/** Whether a path is recorded for a write of `subresource` on a type with/without a status subresource. */
function recorded(path: string, t: ResourceType, subresource: string | undefined): boolean {
  const [first, second] = path.split('\u0000');
  if (first === 'f:apiVersion' || first === 'f:kind') return false;
  if (first === 'f:metadata' && (second === undefined || SERVER_META.has(second.slice(2)))) return false;
  if (subresource === 'status') return first === 'f:status';
  return !(t.hasStatus && first === 'f:status');
}

/**
 * Every recorded path of an object with its value. `subresource: 'all'` keeps the paths of every part
 * of the object (what other managers may own), still without apiVersion, kind and server-set metadata.
 */
export function fieldPaths(t: ResourceType, obj: KubeObject, subresource?: string): Paths {
  const schema = (t.schema as JSONSchemaProps | undefined) ?? (t.custom ? undefined : builtinSchema(t.version, t.kind));
  const out: Paths = new Map();
  walk(obj, { custom: t.custom === true, schema, field: '' }, [], out);
  for (const k of [...out.keys()]) if (subresource === 'all' ? !recorded(k, { ...t, hasStatus: false }, undefined) : !recorded(k, t, subresource)) out.delete(k);
  return out;
}

/** FieldsV1 of a set of paths (`.` on a member that has children). */
export function toFieldsV1(paths: Iterable<string>): Record<string, unknown> {
  const root: Record<string, unknown> = {};
  const members = [...paths];
  for (const p of members) {
    let cur = root;
    for (const seg of p.split('\u0000')) cur = (cur[seg] ??= {}) as Record<string, unknown>;
  }
  for (const p of members) {
    let cur = root;
    for (const seg of p.split('\u0000')) cur = cur[seg] as Record<string, unknown>;
    if (Object.keys(cur).length > 0) cur['.'] = {};
  }
  const sorted = (o: Record<string, unknown>): Record<string, unknown> =>
    Object.fromEntries(Object.keys(o).sort().map((k) => [k, sorted(o[k] as Record<string, unknown>)]));
  return sorted(root);
}

/** The member paths of a FieldsV1 object. */
export function fromFieldsV1(f: Record<string, unknown> | undefined, prefix: string[] = [], out = new Set<string>()): Set<string> {
  for (const [k, v] of Object.entries(f ?? {})) {
    if (k === '.') continue;
    const p = [...prefix, k];
    const children = Object.keys((v as Record<string, unknown>) ?? {});
    if (children.length === 0 || children.includes('.')) out.add(p.join('\u0000'));
    fromFieldsV1(v as Record<string, unknown>, p, out);
  }
  return out;
}

/** The manager name of a request: `fieldManager`, else the User-Agent up to its first `/`, else `unknown`. */
export function managerOf(fieldManager: string | undefined | null, userAgent: string | undefined): string {
  if (fieldManager) return fieldManager;
  const ua = (userAgent ?? '').split('/')[0].trim();
  return ua || 'unknown';
}

interface Owned {
  entry: ManagedFieldsEntry;
  set: Set<string>;
}

function owned(obj: KubeObject | undefined): Owned[] {
  return ((obj?.metadata.managedFields as ManagedFieldsEntry[] | undefined) ?? []).map((e) => ({ entry: e, set: fromFieldsV1(e.fieldsV1) }));
}

const seconds = (e: ManagedFieldsEntry) => (e.time ? Math.floor(Date.parse(e.time) / 1000) : 0);
const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/**
 * The entries that own something, in the real encoder's order (k8s.io/apiserver fieldmanager
 * `sortEncodedManagedFields`): Apply before Update, then by time in whole seconds (none = 0), manager,
 * apiVersion, subresource.
 */
function finish(list: Owned[]): ManagedFieldsEntry[] | undefined {
  const out = list
    .filter((o) => o.set.size > 0)
    .map((o) => ({ ...o.entry, fieldsV1: toFieldsV1(o.set) }))
    .sort((a, b) => cmp(a.operation, b.operation) || seconds(a) - seconds(b) || cmp(a.manager, b.manager) || cmp(a.apiVersion, b.apiVersion) || cmp(a.subresource ?? '', b.subresource ?? ''));
  return out.length ? out : undefined;
}

/** Whether an entry is the given manager's (name, operation and subresource identify a manager). */
const isManager = (e: ManagedFieldsEntry, manager: string, operation: string, subresource: string | undefined) =>
  e.manager === manager && e.operation === operation && (e.subresource ?? '') === (subresource ?? '');

/** The manager's entry (created when missing); `e.time` undefined keeps the entry's time as it was. */
function entryFor(list: Owned[], e: Omit<ManagedFieldsEntry, 'fieldsV1'>): Owned {
  let o = list.find((x) => isManager(x.entry, e.manager, e.operation, e.subresource) && x.entry.apiVersion === e.apiVersion);
  if (!o) {
    const { time: _t, ...rest } = e;
    list.push((o = { entry: { ...rest, fieldsV1: {} }, set: new Set() }));
  }
  if (e.time) o.entry = { ...o.entry, time: e.time };
  return o;
}

/** JSON with object keys sorted (equality of objects whatever their key order). */
function canonical(x: Json): string {
  return JSON.stringify(x, (_k, v: Json) => (isObj(v) ? Object.fromEntries(Object.keys(v).sort().map((k) => [k, v[k]])) : v));
}

/** Whether a write changed the object itself (managedFields and resourceVersion aside). */
function objectChanged(before: KubeObject | undefined, after: KubeObject): boolean {
  if (!before) return true;
  const strip = (o: KubeObject) => ({ ...o, metadata: { ...o.metadata, managedFields: undefined, resourceVersion: undefined } });
  return canonical(strip(before)) !== canonical(strip(after));
}

/**
 * The managedFields after an Update by `manager` from `before` (undefined on create) to `after`.
 * @param time RFC 3339 timestamp of the write.
 */
export function managedAfterUpdate(t: ResourceType, before: KubeObject | undefined, after: KubeObject, manager: string, time: string, subresource?: string): ManagedFieldsEntry[] | undefined {
  const list = owned(before);
  const oldPaths = before ? fieldPaths(t, before, subresource) : new Map() as Paths;
  const newPaths = fieldPaths(t, after, subresource);
  const changed = new Set<string>();
  for (const [p, n] of newPaths) {
    const o = oldPaths.get(p);
    if (!o) {
      if (n.leaf || n.dotted) changed.add(p);
    } else if (n.leaf && JSON.stringify(o.value) !== JSON.stringify(n.value)) changed.add(p);
  }
  const allPaths = fieldPaths(t, after, 'all');
  for (const o of list) for (const p of [...o.set]) if (!allPaths.has(p) || changed.has(p)) o.set.delete(p);
  if (changed.size) {
    const apiVersion = t.group ? `${t.group}/${t.version}` : t.version;
    const mine = entryFor(list, { manager, operation: 'Update', apiVersion, time, fieldsType: 'FieldsV1', ...(subresource ? { subresource } : {}) });
    for (const p of changed) mine.set.add(p);
  }
  return finish(list);
}

function getAt(obj: Json, path: string[]): Json {
  let cur: Json = obj;
  for (const seg of path) {
    if (cur === undefined) return undefined;
    if (seg.startsWith('f:')) cur = isObj(cur) ? cur[seg.slice(2)] : undefined;
    else if (seg.startsWith('k:')) {
      const key = JSON.parse(seg.slice(2)) as Record<string, Json>;
      cur = Array.isArray(cur) ? cur.find((i) => isObj(i) && Object.entries(key).every(([k, v]) => (i[k] ?? (k === 'protocol' ? 'TCP' : null)) === v)) : undefined;
    } else if (seg.startsWith('v:')) {
      const want = seg.slice(2);
      cur = Array.isArray(cur) ? cur.find((i) => JSON.stringify(i) === want) : undefined;
    }
  }
  return cur;
}

function removeAt(obj: Json, path: string[]): void {
  const parent = getAt(obj, path.slice(0, -1));
  const last = path[path.length - 1];
  if (last.startsWith('f:') && isObj(parent)) delete parent[last.slice(2)];
  else if (Array.isArray(parent)) {
    const i = parent.indexOf(getAt(obj, path));
    if (i >= 0) parent.splice(i, 1);
  }
}

/** Merge an applied configuration into the live object (maps deep, keyed lists by key, sets united, the rest replaced). */
function merge(live: Json, cfg: Json, ctx: Ctx): Json {
  if (isObj(cfg)) {
    const out: Record<string, Json> = isObj(live) ? { ...live } : {};
    for (const [k, v] of Object.entries(cfg)) out[k] = merge(out[k], v, { custom: ctx.custom, schema: childSchema(ctx.schema, k), field: k });
    return out;
  }
  if (Array.isArray(cfg) && Array.isArray(live)) {
    const lk = listKind(ctx, cfg);
    if (lk.type === 'set') return [...live, ...cfg.filter((c) => !live.some((l) => JSON.stringify(l) === JSON.stringify(c)))];
    if (lk.type === 'map') {
      const itemCtx: Ctx = { custom: ctx.custom, schema: ctx.schema?.items as JSONSchemaProps | undefined, field: '' };
      const out = [...live];
      for (const c of cfg) {
        if (!isObj(c)) continue;
        const i = out.findIndex((l) => isObj(l) && itemKey(l, lk.keys) === itemKey(c, lk.keys));
        if (i >= 0) out[i] = merge(out[i], c, itemCtx);
        else out.push(c);
      }
      return out;
    }
  }
  return clone(cfg);
}

/**
 * Server-side apply of `config` by `manager` onto `live` (undefined: the object does not exist yet).
 * @returns the merged object (managedFields to be set by {@link managedAfterApply}).
 * @throws StatusError 409 Conflict (reason Conflict, a FieldManagerConflict cause per field) unless `force`.
 */
export function applyConfig(t: ResourceType, live: KubeObject | undefined, config: KubeObject, manager: string, force: boolean, subresource?: string): KubeObject {
  const cfgPaths = fieldPaths(t, config, subresource);
  const list = owned(live);
  const conflicts = new Map<string, string[]>();
  if (live && !force) {
    for (const [p, n] of cfgPaths) {
      if (!n.leaf) continue;
      const liveValue = getAt(live, p.split('\u0000'));
      if (liveValue === undefined || JSON.stringify(liveValue) === JSON.stringify(n.value)) continue;
      for (const o of list) {
        if (isManager(o.entry, manager, 'Apply', subresource)) continue;
        if (o.set.has(p)) {
          const who = printManager(o.entry);
          conflicts.set(who, [...(conflicts.get(who) ?? []), p]);
        }
      }
    }
  }
  if (conflicts.size) throw applyConflict(conflicts);
  const base = clone(live ?? ({ metadata: {} } as KubeObject)) as KubeObject;
  const mine = list.find((o) => o.entry.manager === manager && o.entry.operation === 'Apply' && (o.entry.subresource ?? '') === (subresource ?? ''));
  for (const p of mine?.set ?? []) {
    if (cfgPaths.has(p)) continue;
    if (list.some((o) => o !== mine && o.set.has(p))) continue;
    removeAt(base, p.split('\u0000'));
  }
  const schema = (t.schema as JSONSchemaProps | undefined) ?? (t.custom ? undefined : builtinSchema(t.version, t.kind));
  return merge(base, config, { custom: t.custom === true, schema, field: '' }) as KubeObject;
}

/** The managedFields after an apply: the manager's Apply entry is the configuration's paths; with `force`, others lose them. */
export function managedAfterApply(t: ResourceType, before: KubeObject | undefined, after: KubeObject, config: KubeObject, manager: string, time: string, subresource?: string): ManagedFieldsEntry[] | undefined {
  const list = owned(before);
  const cfgPaths = fieldPaths(t, config, subresource);
  const afterPaths = fieldPaths(t, after, 'all');
  const beforePaths = before ? fieldPaths(t, before, 'all') : (new Map() as Paths);
  for (const o of list) {
    if (isManager(o.entry, manager, 'Apply', subresource)) continue;
    for (const p of [...o.set]) {
      const b = beforePaths.get(p);
      const a = afterPaths.get(p);
      // Gone, or changed by this apply (forced): no longer theirs.
      if (!a || (a.leaf && b && JSON.stringify(a.value) !== JSON.stringify(b.value))) o.set.delete(p);
    }
  }
  const apiVersion = t.group ? `${t.group}/${t.version}` : t.version;
  // An apply that changes nothing but ownership leaves the time as it was (none for a new manager).
  const when = objectChanged(before, after) ? time : undefined;
  const mine = entryFor(list, { manager, operation: 'Apply', apiVersion, time: when, fieldsType: 'FieldsV1', ...(subresource ? { subresource } : {}) });
  mine.set = new Set([...cfgPaths.keys()].filter((p) => cfgPaths.get(p)!.leaf || cfgPaths.get(p)!.deduced || /\u0000[kv]:[^\u0000]*$/.test(p)));
  return finish(list);
}

/**
 * A manager as conflict messages name it (k8s.io/apiserver fieldmanager `printManager`): `"m"`,
 * `"m" with subresource "status"`, and ` using v1` for an Update manager.
 */
function printManager(e: ManagedFieldsEntry): string {
  let s = JSON.stringify(e.manager);
  if (e.subresource) s += ` with subresource ${JSON.stringify(e.subresource)}`;
  if (e.operation === 'Update') s += ` using ${e.apiVersion}`;
  return s;
}

/** The 409 of an apply that conflicts (`Apply failed with 2 conflicts: conflicts with "m1":\n- .data.a\n- .data.b`); managers as {@link printManager}, sorted. */
function applyConflict(conflicts: Map<string, string[]>): StatusError {
  const dotted = (p: string) =>
    p
      .split('\u0000')
      .map((s) => (s.startsWith('f:') ? `.${s.slice(2)}` : s.startsWith('k:') ? `[${Object.entries(JSON.parse(s.slice(2)) as Record<string, unknown>).map(([k, v]) => `${k}=${JSON.stringify(v)}`).join(',')}]` : `[=${s.slice(2)}]`))
      .join('');
  const n = [...conflicts.values()].reduce((a, l) => a + l.length, 0);
  const sorted = [...conflicts].sort(([a], [b]) => cmp(a, b));
  const parts = sorted.map(([m, ps]) => (n === 1 ? `conflict with ${m}: ${dotted(ps[0])}` : `conflicts with ${m}:\n${ps.map((p) => `- ${dotted(p)}`).join('\n')}`));
  const message = `Apply failed with ${n} conflict${n === 1 ? '' : 's'}: ${parts.join('\n')}`;
  const causes = [...conflicts].flatMap(([m, ps]) => ps.map((p) => ({ reason: 'FieldManagerConflict', message: `conflict with ${m}`, field: dotted(p) })));
  return new StatusError(statusObject(409, 'Conflict', message, { causes }));
}

/**
 * The checks kube-apiserver's apply makes on an applied configuration before merging it, in its order
 * (k8s.io/apiserver fieldmanager `structuredMergeManager.Apply`, then the patch handler):
 * 1. its apiVersion and kind are the resource's (`versionCheckManager`): 400 `invalid object type: /v1, Kind=Secret`
 *    (the body's group/version and kind);
 * 2. no `metadata.managedFields`: 400 `metadata.managedFields must be nil`;
 * 3. every field is declared in the type's schema (whatever `fieldValidation` says): a bare 500
 *    `failed to create typed patch object (<ns>/<name>; <group>/<version>, Kind=<kind>): .spec.x: field not declared in schema`;
 * 4. (after conflicts, {@link checkAppliedName}) the name.
 * @throws StatusError as above.
 */
export function checkApplied(t: ResourceType, config: Record<string, unknown>): void {
  const apiVersion = typeof config.apiVersion === 'string' ? config.apiVersion : '';
  const [group, version] = apiVersion.includes('/') ? [apiVersion.slice(0, apiVersion.indexOf('/')), apiVersion.slice(apiVersion.indexOf('/') + 1)] : ['', apiVersion];
  const kind = typeof config.kind === 'string' ? config.kind : '';
  if (group !== t.group || version !== t.version || kind !== t.kind) throw new StatusError(statusObject(400, 'BadRequest', `invalid object type: ${group}/${version}, Kind=${kind}`));
  const meta = isObj(config.metadata) ? config.metadata : {};
  if (meta.managedFields !== undefined && meta.managedFields !== null) throw new StatusError(statusObject(400, 'BadRequest', 'metadata.managedFields must be nil'));
  const schema = (t.schema as JSONSchemaProps | undefined) ?? (t.custom ? undefined : builtinSchema(t.version, t.kind));
  if (!schema) return;
  const dropped = prune(clone(config), schema).map((p) => `.${p}: field not declared in schema`);
  if (dropped.length === 0) return;
  const gvk = `${t.group}/${t.version}, Kind=${typeof config.kind === 'string' ? config.kind : ''}`;
  const msg = dropped.length === 1 ? dropped[0] : ['errors:', ...dropped.map((d) => `  ${d}`)].join('\n');
  const s = statusObject(500, '', `failed to create typed patch object (${String(meta.namespace ?? '')}/${String(meta.name ?? '')}; ${gvk}): ${msg}`);
  delete (s as { reason?: string }).reason;
  throw new StatusError(s);
}

/**
 * The name of an applied configuration, checked after the merge as the real patch handler does:
 * 400 `the name of the object (x) does not match the name on the URL (y)`.
 */
export function checkAppliedName(config: Record<string, unknown>, name: string): void {
  const meta = isObj(config.metadata) ? config.metadata : {};
  if (typeof meta.name === 'string' && meta.name !== '' && meta.name !== name) {
    throw new StatusError(statusObject(400, 'BadRequest', `the name of the object (${meta.name}) does not match the name on the URL (${name})`));
  }
}
