/**
 * The in-memory object store of the Kubernetes API emulator (see `api.ts` for the contract).
 *
 * Behaviour follows the Kubernetes API concepts (https://kubernetes.io/docs/reference/using-api/api-concepts/)
 * and the generic registry of the real API server:
 * - one global `resourceVersion` counter, bumped by every effective write; a write that changes nothing
 *   is a no-op (no new resourceVersion, no watch event), as the real storage layer does;
 * - `metadata.generation` starts at 1 and grows when anything outside `metadata` (and outside `status`
 *   for types with a status subresource) changes;
 * - for types with a status subresource, a create or main-resource write keeps the stored status and a
 *   `/status` write changes only `.status`;
 * - namespaced objects need an existing namespace (404 `namespaces "x" not found`); deleting a namespace
 *   deletes its objects at once (namespace termination is not simulated);
 * - DELETE honours preconditions, `metadata.finalizers` and pods' graceful deletion (deletion.ts);
 * - custom resources are pruned, defaulted and validated by their CRD version's openAPIV3Schema on every
 *   write (schema.ts); Secrets get the stringData/data semantics (secrets.ts);
 * - a later chunk of a paginated list is the list as of the first chunk's resourceVersion ({@link Store.listSharedAt});
 * - creating/updating a `CustomResourceDefinition` serves its versions; deleting it removes its objects;
 * - watch history is kept per resource (bounded, default 1000 events), like the API server's watch
 *   cache; a watch from an older resourceVersion fails with 410 Expired.
 * - Objects of a CRD with several versions are stored once and served under each version with only
 *   `apiVersion` rewritten (CRD conversion strategy `None`).
 * Watch events are delivered asynchronously (in order, per watch), as over a real connection.
 */
import { randomUUID } from 'node:crypto';
import { parse as parseYaml } from 'yaml';
import { YAML_OPTIONS } from './yaml.js';
import type { ClusterStore, GVR, KubeObject, PatchType, ResourceType, WatchEvent, WriteOptions } from './api.js';
import { builtinTypes } from './discovery.js';
import { crdResourceTypes, crdStatus, validateCrd } from './crd.js';
import { applyJsonPatch, applyMergePatch, applyStrategicMergePatch, clone } from './patch.js';
import { objectFilter } from './selectors.js';
import {
  alreadyExists,
  badRequest,
  conflict,
  expired,
  serverError,
  namespaceTerminating,
  invalid,
  notFound,
  pathNotFound,
  unsupportedMediaType,
} from './status.js';
import { validateBuiltin, validateMeta } from './validate.js';
import { prune, pruneAndDefault, validateCustomResource } from './schema.js';
import { normalizeSecret } from './secrets.js';
import { checkFinalizersWhileDeleting, checkPreconditions, podGraceSeconds, type DeleteOptions } from './deletion.js';
import { createsOnUpdate, requiresResourceVersionOnUpdate, tracksGeneration } from './strategy.js';
import { applyConfig, checkApplied, checkAppliedName, managedAfterApply, managedAfterUpdate } from './managedfields.js';

const CRD_GROUP = 'apiextensions.k8s.io';
const NS_GVR: GVR = { group: '', version: 'v1', plural: 'namespaces' };
const GENERATE_ALPHABET = 'bcdfghjklmnpqrstvwxz2456789';

/** A recorded write, kept in the per-resource watch history. */
interface HistoryEntry {
  rv: number;
  type: WatchEvent['type'];
  obj: KubeObject;
  /** The object before a MODIFIED write (to turn selector transitions into ADDED/DELETED). */
  prev?: KubeObject;
}

interface Watcher {
  resource: string;
  version: string;
  filter: (o: KubeObject) => boolean;
  deliver: (ev: WatchEvent) => void;
}

/** Options of a {@link Store}. */
export interface StoreOptions {
  /** Watch events kept per resource for replay (default 1000). */
  historySize?: number;
  /** Clock for creationTimestamp (default: `new Date()`). */
  now?: () => Date;
  /**
   * A simulated kubelet: the time it takes to stop a deleted pod's containers, ms; a terminating pod is
   * removed after `min(grace period, podShutdownMs)`. Default: no kubelet, as an API server alone (or
   * envtest) has none: a scheduled pod deleted with a grace period stays, with its `deletionTimestamp`,
   * until a delete with `gracePeriodSeconds=0`.
   */
  podShutdownMs?: number;
}

/** The RFC 3339 timestamp (seconds precision) the API server writes. */
function timestamp(d: Date): string {
  return d.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** The state of an object as far as `generation` is concerned (everything but metadata, and status when it is a subresource). */
function specPart(obj: KubeObject, hasStatus: boolean): string {
  const { metadata: _m, apiVersion: _a, kind: _k, ...rest } = obj;
  if (hasStatus) delete rest.status;
  return JSON.stringify(rest);
}

function sameIgnoringRv(a: KubeObject, b: KubeObject): boolean {
  const strip = (o: KubeObject) => ({ ...o, metadata: { ...o.metadata, resourceVersion: undefined } });
  return JSON.stringify(strip(a)) === JSON.stringify(strip(b));
}

function isPod(t: ResourceType): boolean {
  return !t.custom && t.group === '' && t.plural === 'pods';
}

function isNamespace(t: ResourceType): boolean {
  return !t.custom && t.group === '' && t.plural === 'namespaces';
}

function isSecret(t: ResourceType): boolean {
  return !t.custom && t.group === '' && t.plural === 'secrets';
}

/** In-memory {@link ClusterStore}. */
export class Store implements ClusterStore {
  private readonly types = new Map<string, ResourceType>();
  /** Objects by resource (`group/plural`), then by `namespace/name`. */
  private readonly data = new Map<string, Map<string, KubeObject>>();
  private readonly history = new Map<string, HistoryEntry[]>();
  /** Per resource: the newest resourceVersion dropped from history (0: none dropped). */
  private readonly dropped = new Map<string, number>();
  /** Per resource: the resourceVersion its watch cache started at (custom resources: when the CRD was served; built-ins: 0). */
  private readonly cacheStart = new Map<string, number>();
  private readonly watchers = new Set<Watcher>();
  private rv = 0;
  private readonly historySize: number;
  private readonly now: () => Date;
  private readonly podShutdownMs: number | undefined;

  /** Registers the built-in types and creates the `default` and `kube-system` namespaces. */
  constructor(opts: StoreOptions = {}) {
    this.historySize = opts.historySize ?? 1000;
    this.now = opts.now ?? (() => new Date());
    this.podShutdownMs = opts.podShutdownMs;
    for (const t of builtinTypes()) this.register(t);
    for (const name of ['default', 'kube-system', 'kube-public']) {
      this.create(NS_GVR, { apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
    }
  }

  // ---- types ----

  /** Register a resource type (idempotent; re-registering replaces its description). */
  register(type: ResourceType): void {
    this.types.set(`${type.group}/${type.version}/${type.plural}`, { ...type });
  }

  /** Stop serving a type (its objects stay stored until the CRD is deleted). */
  unregister(gvr: GVR): void {
    this.types.delete(`${gvr.group}/${gvr.version}/${gvr.plural}`);
  }

  resourceType(gvr: GVR): ResourceType | undefined {
    const t = this.types.get(`${gvr.group}/${gvr.version}/${gvr.plural}`);
    return t ? { ...t } : undefined;
  }

  resourceTypes(): ResourceType[] {
    return [...this.types.values()].map((t) => ({ ...t }));
  }

  private typeOf(gvr: GVR): ResourceType {
    const t = this.types.get(`${gvr.group}/${gvr.version}/${gvr.plural}`);
    if (!t) throw pathNotFound();
    return t;
  }

  // ---- reads ----

  private bucket(t: ResourceType): Map<string, KubeObject> {
    const k = `${t.group}/${t.plural}`;
    let b = this.data.get(k);
    if (!b) this.data.set(k, (b = new Map()));
    return b;
  }

  private key(t: ResourceType, namespace: string | undefined, name: string): string {
    return t.namespaced ? `${namespace ?? ''}/${name}` : `/${name}`;
  }

  /** A copy of a stored object as served under `t`'s version. */
  private out(t: ResourceType, obj: KubeObject): KubeObject {
    const c = clone(obj);
    c.apiVersion = t.group ? `${t.group}/${t.version}` : t.version;
    c.kind = t.kind;
    return c;
  }

  get(gvr: GVR, namespace: string | undefined, name: string): KubeObject {
    const t = this.typeOf(gvr);
    const o = this.bucket(t).get(this.key(t, namespace, name));
    if (!o) throw notFound(t.group, t.plural, name);
    return this.out(t, o);
  }

  tryGet(gvr: GVR, namespace: string | undefined, name: string): KubeObject | undefined {
    const t = this.types.get(`${gvr.group}/${gvr.version}/${gvr.plural}`);
    if (!t) return undefined;
    const o = this.bucket(t).get(this.key(t, namespace, name));
    return o ? this.out(t, o) : undefined;
  }

  /**
   * List objects, sorted by namespace then name (etcd key order).
   * @param fieldSelector optional (`metadata.name=x`, …; see selectors.ts). @throws 400 on a bad selector, 404 for an unserved type.
   */
  list(gvr: GVR, namespace: string | undefined, labelSelector?: string, fieldSelector?: string): { items: KubeObject[]; resourceVersion: string } {
    const { items, resourceVersion } = this.listShared(gvr, namespace, labelSelector, fieldSelector);
    return { items: this.copyOut(gvr, items), resourceVersion };
  }

  /**
   * {@link list} without the copies: the store's own objects, to read and not to change or send (a list
   * chunk copies only the objects it sends, {@link copyOut}, as etcd reads only the range asked for, so a
   * paged list of 10,000 objects costs each page its own size, not the collection's).
   */
  listShared(gvr: GVR, namespace: string | undefined, labelSelector?: string, fieldSelector?: string): { items: KubeObject[]; resourceVersion: string } {
    const t = this.typeOf(gvr);
    return { items: this.selectSorted(t, this.bucket(t), namespace, labelSelector, fieldSelector), resourceVersion: String(this.rv) };
  }

  /** The objects as sent: copies with the served `apiVersion` and `kind`. */
  copyOut(gvr: GVR, items: KubeObject[]): KubeObject[] {
    const t = this.typeOf(gvr);
    return items.map((o) => this.out(t, o));
  }

  /**
   * The list as it was at resourceVersion `rv` (for the chunks after the first of a paginated list),
   * rebuilt from the current objects by undoing the newer events of the watch history; the store's own
   * objects, not copied (see {@link listShared}).
   * @returns undefined when the history no longer reaches back to `rv` (the caller answers 410).
   */
  listSharedAt(gvr: GVR, namespace: string | undefined, rv: number, labelSelector?: string, fieldSelector?: string): KubeObject[] | undefined {
    const t = this.typeOf(gvr);
    const resource = `${t.group}/${t.plural}`;
    if (rv < this.droppedUpTo(resource) || rv > this.rv) return undefined;
    const state = new Map(this.bucket(t));
    const h = this.history.get(resource) ?? [];
    for (let i = h.length - 1; i >= 0 && h[i].rv > rv; i--) {
      const e = h[i];
      const k = this.key(t, e.obj.metadata.namespace, e.obj.metadata.name);
      if (e.type === 'ADDED') state.delete(k);
      else if (e.type === 'MODIFIED') state.set(k, e.prev ?? e.obj);
      else state.set(k, e.prev ?? e.obj);
    }
    return this.selectSorted(t, state, namespace, labelSelector, fieldSelector);
  }

  /** The objects of `bucket` in `namespace` (all when undefined) that match the selectors, in key order. */
  private selectSorted(t: ResourceType, bucket: Map<string, KubeObject>, namespace: string | undefined, labelSelector?: string, fieldSelector?: string): KubeObject[] {
    const filter = objectFilter(t.plural, labelSelector, fieldSelector, t.selectableFields);
    return [...bucket.entries()]
      .filter(([, o]) => !t.namespaced || namespace === undefined || o.metadata.namespace === namespace)
      .filter(([, o]) => filter(o))
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([, o]) => o);
  }

  currentResourceVersion(): string {
    return String(this.rv);
  }

  /** The newest resourceVersion a list at an older resourceVersion cannot be rebuilt from (history dropped). */
  private droppedUpTo(resource: string): number {
    return this.dropped.get(resource) ?? 0;
  }

  // ---- writes ----

  /**
   * Create. @throws 404 (type not served, or namespace missing), 409 AlreadyExists, 422 Invalid (name,
   * labels, CRD names), 400 (apiVersion/kind of the body do not match the resource), 500 when
   * `metadata.resourceVersion` is set (the real storage refuses: "resourceVersion should not be set on objects to be created").
   */
  create(gvr: GVR, obj: KubeObject, opts: WriteOptions = {}): KubeObject {
    const t = this.typeOf(gvr);
    if (opts.subresource) throw pathNotFound();
    const o = this.prepareBody(t, obj);
    pruneAndDefault(t, o, opts);
    this.pruneAtStorageVersion(t, o);
    if (isSecret(t)) normalizeSecret(o);
    if (o.metadata.resourceVersion) throw serverError('resourceVersion should not be set on objects to be created');
    if (!o.metadata.name && o.metadata.generateName) {
      for (let i = 0; i < 10 && !o.metadata.name; i++) {
        let n = String(o.metadata.generateName);
        for (let j = 0; j < 5; j++) n += GENERATE_ALPHABET[Math.floor(Math.random() * GENERATE_ALPHABET.length)];
        if (!this.bucket(t).has(this.key(t, o.metadata.namespace, n))) o.metadata.name = n;
      }
    }
    validateMeta(t, o);
    validateBuiltin(t, o);
    if (t.namespaced) {
      o.metadata.namespace = o.metadata.namespace || 'default';
      const nsObj = this.bucket(this.typeOf(NS_GVR)).get(`/${o.metadata.namespace}`);
      if (!nsObj) throw notFound('', 'namespaces', o.metadata.namespace);
      if (nsObj.metadata.deletionTimestamp) throw namespaceTerminating(t.group, t.plural, o.metadata.name, o.metadata.namespace);
    } else delete o.metadata.namespace;
    const k = this.key(t, o.metadata.namespace, o.metadata.name);
    opts.admit?.(clone(o), undefined);
    if (this.bucket(t).has(k)) throw alreadyExists(t.group, t.plural, o.metadata.name);

    const now = timestamp(this.now());
    if (t.hasStatus) delete o.status;
    validateCustomResource(t, o);
    this.defaultsOnCreate(t, o, now);
    delete o.metadata.deletionTimestamp;
    delete o.metadata.deletionGracePeriodSeconds;
    o.metadata.uid = randomUUID();
    o.metadata.creationTimestamp = now;
    delete o.metadata.managedFields;
    if (opts.manager) {
      const mf = opts.applied ? managedAfterApply(t, undefined, o, opts.applied, opts.manager, now) : managedAfterUpdate(t, undefined, o, opts.manager, now);
      if (mf) o.metadata.managedFields = mf;
    }
    if (tracksGeneration(t)) o.metadata.generation = 1;
    else delete o.metadata.generation;
    if (opts.dryRun) return this.out(t, o);
    o.metadata.resourceVersion = String(++this.rv);
    this.bucket(t).set(k, o);
    if (this.isCrd(t)) this.syncCrd(o, undefined);
    this.record(t, { rv: this.rv, type: 'ADDED', obj: clone(o) });
    return this.out(t, o);
  }

  /**
   * Replace (PUT). See {@link ClusterStore.update}. A missing object is created for the kinds whose
   * strategy allows it (strategy.ts: Roles, Leases…), else 404.
   * @throws 404, 409 Conflict (stale resourceVersion), 422 Invalid (also: no resourceVersion for a kind
   *   that requires one, `metadata.resourceVersion: Invalid value: 0: must be specified for an update`).
   */
  update(gvr: GVR, obj: KubeObject, opts: WriteOptions = {}): KubeObject {
    const t = this.typeOf(gvr);
    const body = this.prepareBody(t, obj);
    const ns = t.namespaced ? body.metadata.namespace || 'default' : undefined;
    const existing = this.bucket(t).get(this.key(t, ns, body.metadata.name));
    if (!existing) {
      if (createsOnUpdate(t) && !opts.subresource) {
        const { resourceVersion: _rv, ...meta } = body.metadata;
        return this.create(gvr, { ...body, metadata: meta as KubeObject['metadata'] }, { fieldValidation: opts.fieldValidation, warnings: opts.warnings, dryRun: opts.dryRun, admit: opts.admit, fieldManager: opts.fieldManager, manager: opts.manager });
      }
      throw notFound(t.group, t.plural, body.metadata.name);
    }
    if (!body.metadata.resourceVersion && requiresResourceVersionOnUpdate(t) && !opts.subresource) {
      throw invalid(t.plural, t.group, body.metadata.name, [{ field: 'metadata.resourceVersion', reason: 'FieldValueInvalid', message: 'Invalid value: 0: must be specified for an update' }]);
    }
    // A uid in the body is a precondition of the update (rest.Update's objInfo preconditions): 409 with the storage error.
    if (body.metadata.uid) checkPreconditions({ uid: String(body.metadata.uid) }, existing, { group: t.group, plural: t.plural, custom: t.custom === true });
    if (body.metadata.resourceVersion && body.metadata.resourceVersion !== existing.metadata.resourceVersion) {
      throw conflict(t.group, t.plural, body.metadata.name);
    }
    return this.write(t, existing, body, opts);
  }

  /**
   * Patch. See {@link ClusterStore.patch}. `patch` is the decoded JSON body (a YAML/JSON string is
   * accepted for apply patches). @throws 404, 409 Conflict (stale resourceVersion in the patch),
   * 415 (strategic merge on a custom resource), 400/422 (malformed patch), 422 (apply without fieldManager).
   */
  patch(gvr: GVR, namespace: string | undefined, name: string, patch: unknown, type: PatchType, opts: WriteOptions = {}): KubeObject {
    const t = this.typeOf(gvr);
    if (type === 'application/strategic-merge-patch+json' && t.custom) {
      throw unsupportedMediaType(['application/json-patch+json', 'application/merge-patch+json', 'application/apply-patch+yaml']);
    }
    if (type === 'application/apply-patch+yaml') {
      if (!opts.fieldManager) {
        throw invalid('PatchOptions', 'meta.k8s.io', '', [{ field: 'fieldManager', reason: 'FieldValueRequired', message: 'Required value: is required for apply patch' }]);
      }
      if (typeof patch === 'string') {
        try {
          patch = parseYaml(patch, YAML_OPTIONS);
        } catch (err) {
          throw badRequest(`error decoding YAML: ${err instanceof Error ? err.message : String(err)}`);
        }
      }
      if (!patch || typeof patch !== 'object' || Array.isArray(patch)) throw badRequest('error decoding YAML: the applied configuration must be an object');
      checkApplied(t, patch as Record<string, unknown>);
    } else if (opts.force !== undefined) {
      throw invalid('PatchOptions', 'meta.k8s.io', '', [{ field: 'force', reason: 'FieldValueForbidden', message: 'Forbidden: may not be specified for non-apply patch' }]);
    }
    if (opts.subresource && !t.hasStatus) throw pathNotFound();
    const ns = t.namespaced ? namespace || 'default' : undefined;
    const existing = this.bucket(t).get(this.key(t, ns, name));
    if (!existing) {
      if (type === 'application/apply-patch+yaml' && !opts.subresource) {
        const applied = clone(patch) as KubeObject;
        applied.metadata = { ...(applied.metadata ?? {}), name, ...(ns ? { namespace: ns } : {}) };
        const config = this.prepareBody(t, { ...applied, kind: t.kind });
        const merged = applyConfig(t, undefined, config, opts.fieldManager!, opts.force === true);
        checkAppliedName(patch as Record<string, unknown>, name);
        return this.create(gvr, merged, {
          fieldValidation: opts.fieldValidation,
          warnings: opts.warnings,
          dryRun: opts.dryRun,
          admit: opts.admit,
          manager: opts.fieldManager,
          applied: config,
        });
      }
      throw notFound(t.group, t.plural, name);
    }
    const current = this.out(t, existing);
    let patched: KubeObject;
    switch (type) {
      case 'application/merge-patch+json':
        patched = applyMergePatch(current, patch);
        break;
      case 'application/json-patch+json':
        patched = applyJsonPatch(current, patch);
        break;
      case 'application/strategic-merge-patch+json':
        patched = applyStrategicMergePatch(current, patch);
        break;
      case 'application/apply-patch+yaml': {
        const config = this.prepareBody(t, { ...(patch as KubeObject), kind: t.kind, metadata: { ...((patch as KubeObject).metadata ?? {}), name } } as KubeObject);
        if (t.namespaced) config.metadata.namespace = existing.metadata.namespace;
        patched = applyConfig(t, current, config, opts.fieldManager!, opts.force === true, opts.subresource);
        checkAppliedName(patch as Record<string, unknown>, name);
        opts = { ...opts, applied: config, manager: opts.fieldManager };
        break;
      }
      default:
        throw unsupportedMediaType(['application/json-patch+json', 'application/merge-patch+json', 'application/apply-patch+yaml', 'application/strategic-merge-patch+json']);
    }
    if (!patched || typeof patched !== 'object' || Array.isArray(patched)) throw badRequest('the patch did not produce an object');
    patched.metadata = (patched.metadata ?? {}) as KubeObject['metadata'];
    const rv = patched.metadata.resourceVersion;
    if (rv !== undefined && rv !== null && rv !== existing.metadata.resourceVersion) throw conflict(t.group, t.plural, name);
    if (patched.metadata.uid && patched.metadata.uid !== existing.metadata.uid) {
      // A patch changing the uid fails update validation (immutable); built-in kinds validate object metadata twice.
      const cause = { field: 'metadata.uid', reason: 'FieldValueInvalid', message: `Invalid value: ${JSON.stringify(patched.metadata.uid)}: field is immutable` };
      throw invalid(t.kind, t.custom ? t.group : '', name, t.custom ? [cause] : [cause, cause]);
    }
    patched.metadata.name = existing.metadata.name;
    if (t.namespaced) patched.metadata.namespace = existing.metadata.namespace;
    return this.write(t, existing, this.prepareBody(t, patched), opts, true);
  }

  /**
   * Delete (deletion.ts): preconditions are checked; an object with `metadata.finalizers` only gets a
   * `deletionTimestamp` and stays until its last finalizer is removed; a scheduled pod (`spec.nodeName`)
   * deleted with a grace period (HTTP DELETE: `gracePeriodSeconds`, else `spec.terminationGracePeriodSeconds`,
   * else 30) gets a `deletionTimestamp` and stays until deleted again with grace 0 (or, with a simulated
   * kubelet, {@link StoreOptions.podShutdownMs}); an unscheduled or finished pod goes at once. A namespace
   * goes `Terminating` and the namespace controller (below) empties and removes it. Without `opts`
   * (in-process callers such as the sim's controllers) a pod is deleted at once (grace 0). Returns the
   * deleted object, or the object now being deleted (still stored).
   * With `opts.dryRun` nothing is deleted; `opts.admit` (validating admission) may deny it.
   * @throws 404; 409 Conflict when a precondition fails; the admission hook's error. Deleting a CRD deletes its custom resources.
   */
  delete(gvr: GVR, namespace: string | undefined, name: string, opts?: DeleteOptions & Pick<WriteOptions, 'dryRun' | 'admit'>): KubeObject {
    const t = this.typeOf(gvr);
    const k = this.key(t, t.namespaced ? namespace || 'default' : undefined, name);
    const existing = this.bucket(t).get(k);
    if (!existing) throw notFound(t.group, t.plural, name);
    checkPreconditions(opts?.preconditions, existing, { group: t.group, plural: t.plural, custom: t.custom === true });
    opts?.admit?.(undefined, clone(existing));
    if (opts?.dryRun) return this.out(t, clone(existing));
    if (isNamespace(t)) return this.out(t, this.terminateNamespace(t, k, existing));
    const pod = isPod(t);
    const grace = pod && opts ? podGraceSeconds(existing, opts) : 0;
    const hasFinalizers = (existing.metadata.finalizers ?? []).length > 0;
    if (existing.metadata.deletionTimestamp) {
      // Already being deleted: a pod deleted again with grace 0 is finished now (kubectl delete --force);
      // a shorter grace period moves its deletionTimestamp closer.
      if (pod && grace === 0 && !hasFinalizers) return this.out(t, this.remove(t, k, this.stamped(existing, 0)));
      if (pod && grace < (existing.metadata.deletionGracePeriodSeconds as number | undefined ?? 0)) {
        const next = clone(existing);
        next.metadata.deletionTimestamp = timestamp(new Date(this.now().getTime() + grace * 1000));
        next.metadata.deletionGracePeriodSeconds = grace;
        next.metadata.resourceVersion = String(++this.rv);
        this.bucket(t).set(k, next);
        this.record(t, { rv: this.rv, type: 'MODIFIED', obj: clone(next), prev: clone(existing) });
        return this.out(t, next);
      }
      return this.out(t, existing);
    }
    if (hasFinalizers || grace > 0) {
      const next = clone(existing);
      next.metadata.deletionTimestamp = timestamp(new Date(this.now().getTime() + grace * 1000));
      next.metadata.deletionGracePeriodSeconds = grace;
      // The generic registry's BeforeDelete bumps a tracked generation when it marks the object.
      if (typeof next.metadata.generation === 'number' && next.metadata.generation > 0) next.metadata.generation++;
      next.metadata.resourceVersion = String(++this.rv);
      this.bucket(t).set(k, next);
      this.record(t, { rv: this.rv, type: 'MODIFIED', obj: clone(next), prev: clone(existing) });
      if (pod && grace > 0 && this.podShutdownMs !== undefined) {
        const uid = existing.metadata.uid;
        setTimeout(() => this.kubeletStopped(t, k, uid), Math.min(grace * 1000, this.podShutdownMs)).unref();
      }
      return this.out(t, next);
    }
    const policy = opts?.propagationPolicy;
    if (policy === 'Foreground' || policy === 'Orphan') {
      // The registry adds the garbage collector's finalizer; the collector (kube-controller-manager)
      // then deals with the dependents (the emulator has none to find) and removes it.
      const next = this.stamped(existing, 0);
      next.metadata.finalizers = [policy === 'Foreground' ? 'foregroundDeletion' : 'orphan'];
      next.metadata.resourceVersion = String(++this.rv);
      this.bucket(t).set(k, next);
      this.record(t, { rv: this.rv, type: 'MODIFIED', obj: clone(next), prev: clone(existing) });
      const uid = existing.metadata.uid;
      setTimeout(() => {
        const cur = this.bucket(t).get(k);
        if (cur && cur.metadata.uid === uid) this.remove(t, k, cur);
      }, 0).unref();
      return this.out(t, next);
    }
    if (this.isCrd(t)) this.dropCrd(existing);
    // A pod's graceful strategy stamps even an immediate deletion (grace 0).
    return this.out(t, this.remove(t, k, pod && opts ? this.stamped(existing, 0) : existing));
  }

  /** A copy of `o` marked as being deleted now + `grace` s (`deletionTimestamp`, `deletionGracePeriodSeconds`). */
  private stamped(o: KubeObject, grace: number): KubeObject {
    const c = clone(o);
    c.metadata.deletionTimestamp = timestamp(new Date(this.now().getTime() + grace * 1000));
    c.metadata.deletionGracePeriodSeconds = grace;
    return c;
  }

  /**
   * DELETE of a namespace, as the namespace registry and NamespaceLifecycle do: the namespace gets a
   * `deletionTimestamp` and `status.phase: Terminating` (new content is then refused, 403), and the
   * namespace controller ({@link namespaceController}) deletes its content, then drops the `kubernetes`
   * finalizer from `spec.finalizers`, which removes the namespace.
   */
  private terminateNamespace(t: ResourceType, k: string, existing: KubeObject): KubeObject {
    if (existing.metadata.deletionTimestamp) return existing;
    const next = clone(existing);
    next.metadata.deletionTimestamp = timestamp(this.now());
    next.metadata.deletionGracePeriodSeconds = 0;
    next.status = { ...((next.status as object) ?? {}), phase: 'Terminating' };
    next.metadata.resourceVersion = String(++this.rv);
    this.bucket(t).set(k, next);
    this.record(t, { rv: this.rv, type: 'MODIFIED', obj: clone(next), prev: clone(existing) });
    setTimeout(() => this.namespaceController(existing.metadata.name, existing.metadata.uid), 0).unref();
    return next;
  }

  /**
   * The namespace controller's pass over a terminating namespace (kube-controller-manager's
   * namespace-controller): delete every object in it (as a DELETE without options would: finalizers and
   * pods' grace periods are honoured), and once it is empty remove the `kubernetes` finalizer (the
   * namespace is then gone unless `metadata.finalizers` remain); while content remains, retry (500 ms).
   */
  private namespaceController(name: string, uid: string | undefined): void {
    const nsType = this.typeOf(NS_GVR);
    const nsKey = `/${name}`;
    const ns = this.bucket(nsType).get(nsKey);
    if (!ns || ns.metadata.uid !== uid || !ns.metadata.deletionTimestamp) return;
    let left = 0;
    for (const ct of this.servedOncePerResource()) {
      if (!ct.namespaced) continue;
      for (const o of [...this.bucket(ct).values()]) {
        if (o.metadata.namespace !== name) continue;
        if (!o.metadata.deletionTimestamp) {
          try {
            this.delete({ group: ct.group, version: ct.version, plural: ct.plural }, name, o.metadata.name, {});
          } catch {
            /* gone meanwhile */
          }
        }
        if (this.bucket(ct).has(this.key(ct, name, o.metadata.name))) left++;
      }
    }
    if (left > 0) {
      setTimeout(() => this.namespaceController(name, uid), 500).unref();
      return;
    }
    const next = clone(this.bucket(nsType).get(nsKey)!);
    const spec = (next.spec ?? {}) as { finalizers?: string[] };
    next.spec = { ...spec, finalizers: (spec.finalizers ?? []).filter((f) => f !== 'kubernetes') };
    if ((next.spec as { finalizers: string[] }).finalizers.length === 0) delete (next.spec as { finalizers?: string[] }).finalizers;
    if ((next.metadata.finalizers ?? []).length === 0 && !(next.spec as { finalizers?: string[] }).finalizers) {
      this.remove(nsType, nsKey, next);
      return;
    }
    next.metadata.resourceVersion = String(++this.rv);
    this.bucket(nsType).set(nsKey, next);
    this.record(nsType, { rv: this.rv, type: 'MODIFIED', obj: clone(next), prev: clone(ns) });
  }

  /** The simulated kubelet has stopped a terminating pod's containers: remove it, or (finalizers left) mark its grace period over. */
  private kubeletStopped(t: ResourceType, k: string, uid: string | undefined): void {
    const pod = this.bucket(t).get(k);
    if (!pod || pod.metadata.uid !== uid || !pod.metadata.deletionTimestamp) return;
    if ((pod.metadata.finalizers ?? []).length === 0) {
      this.remove(t, k, pod);
      return;
    }
    const next = clone(pod);
    next.metadata.deletionGracePeriodSeconds = 0;
    next.metadata.resourceVersion = String(++this.rv);
    this.bucket(t).set(k, next);
    this.record(t, { rv: this.rv, type: 'MODIFIED', obj: clone(next), prev: clone(pod) });
  }

  private remove(t: ResourceType, k: string, existing: KubeObject): KubeObject {
    this.bucket(t).delete(k);
    const gone = clone(existing);
    gone.metadata.resourceVersion = String(++this.rv);
    this.record(t, { rv: this.rv, type: 'DELETED', obj: clone(gone), prev: existing });
    return gone;
  }

  /** One served type per stored resource (any version). */
  private servedOncePerResource(): ResourceType[] {
    const seen = new Map<string, ResourceType>();
    for (const t of this.types.values()) if (!seen.has(`${t.group}/${t.plural}`)) seen.set(`${t.group}/${t.plural}`, t);
    return [...seen.values()];
  }

  /** Copy a body, fill/check apiVersion and kind. @throws 400 on a mismatch. */
  private prepareBody(t: ResourceType, obj: KubeObject): KubeObject {
    if (!obj || typeof obj !== 'object' || Array.isArray(obj)) throw badRequest('the body of the request must be a JSON object');
    const o = clone(obj);
    const gv = t.group ? `${t.group}/${t.version}` : t.version;
    if (o.kind && o.kind !== t.kind && t.custom) {
      // The custom resource handler decodes any kind and validation names it (`kind: Invalid value: "X": must be Widget`).
      throw invalid(String(o.kind), t.group, String((o.metadata as { name?: unknown } | undefined)?.name ?? ''), [{ field: 'kind', reason: 'FieldValueInvalid', message: `Invalid value: ${JSON.stringify(o.kind)}: must be ${t.kind}` }]);
    }
    for (const f of ['name', 'generateName', 'namespace', 'resourceVersion', 'uid']) {
      const v = (o.metadata as Record<string, unknown> | undefined)?.[f];
      if (v !== undefined && v !== null && typeof v !== 'string') {
        const go = typeof v === 'number' ? 'number' : typeof v === 'boolean' ? 'bool' : Array.isArray(v) ? 'array' : 'object';
        throw badRequest(`${t.kind} in version "${t.version}" cannot be handled as a ${t.kind}: json: cannot unmarshal ${go} into Go struct field ObjectMeta.metadata.${f} of type string`);
      }
    }
    if (o.kind && o.kind !== t.kind) throw badRequest(`${o.kind} in version "${t.version}" cannot be handled as a ${t.kind}: the kind of the body does not match the resource`);
    if (o.apiVersion && o.apiVersion !== gv) {
      throw badRequest(`the API version in the data (${o.apiVersion}) does not match the expected API version (${gv})`);
    }
    o.apiVersion = gv;
    o.kind = t.kind;
    o.metadata = { ...((o.metadata ?? {}) as KubeObject['metadata']) };
    for (const [k, v] of Object.entries(o.metadata)) if (v === null) delete o.metadata[k];
    // Empty lists and maps are omitted on the wire (omitempty).
    for (const k of ['finalizers', 'ownerReferences', 'labels', 'annotations'] as const) {
      const v = o.metadata[k] as unknown;
      if ((Array.isArray(v) && v.length === 0) || (v && typeof v === 'object' && !Array.isArray(v) && Object.keys(v).length === 0)) delete o.metadata[k];
    }
    return o;
  }

  /**
   * A custom resource written at a version that is not its CRD's storage version is stored at the storage
   * version (conversion `None`: only `apiVersion` changes) and pruned by that version's schema too, as the
   * real server does: a `v1alpha2` MySQL's `terminationPolicy` does not survive in `v1` storage.
   */
  private pruneAtStorageVersion(t: ResourceType, o: KubeObject): void {
    if (!t.custom || !t.storageVersion || t.storageVersion === t.version) return;
    const storage = this.types.get(`${t.group}/${t.storageVersion}/${t.plural}`);
    if (storage?.schema) prune(o, storage.schema as Parameters<typeof prune>[1]);
  }

  /** The common path of update and patch: status handling, generation, no-op detection, event. */
  private write(t: ResourceType, existing: KubeObject, body: KubeObject, opts: WriteOptions, fromPatch = false): KubeObject {
    pruneAndDefault(t, body, opts, !fromPatch);
    this.pruneAtStorageVersion(t, body);
    if (isSecret(t) && !opts.subresource) normalizeSecret(body);
    let next: KubeObject;
    if (opts.subresource === 'status') {
      if (!t.hasStatus) throw pathNotFound();
      next = clone(existing);
      if (body.status === undefined) delete next.status;
      else next.status = body.status;
    } else {
      next = body;
      const m = next.metadata;
      m.uid = existing.metadata.uid;
      m.creationTimestamp = existing.metadata.creationTimestamp;
      m.generation = existing.metadata.generation;
      if (t.namespaced) m.namespace = existing.metadata.namespace;
      else delete m.namespace;
      if (existing.metadata.deletionTimestamp) {
        m.deletionTimestamp = existing.metadata.deletionTimestamp;
        m.deletionGracePeriodSeconds = existing.metadata.deletionGracePeriodSeconds;
      } else {
        delete m.deletionTimestamp;
        delete m.deletionGracePeriodSeconds;
      }
      checkFinalizersWhileDeleting(t.kind, t.group, existing, next);
      if (t.hasStatus) {
        if (existing.status === undefined) delete next.status;
        else next.status = clone(existing.status);
      }
      validateMeta(t, next);
      validateBuiltin(t, next, existing);
      if (this.isCrd(t)) {
        validateCrd(next);
        const prevConds = (existing.status as { conditions?: Array<{ lastTransitionTime?: string }> } | undefined)?.conditions;
        next.status = crdStatus(next, prevConds?.[0]?.lastTransitionTime ?? timestamp(this.now()));
      }
      if (!tracksGeneration(t)) delete m.generation;
      else if (specPart(existing, t.hasStatus) !== specPart(next, t.hasStatus)) m.generation = (existing.metadata.generation ?? 0) + 1;
    }
    validateCustomResource(t, next, opts.subresource);
    next.metadata.resourceVersion = existing.metadata.resourceVersion;
    next.apiVersion = existing.apiVersion;
    if (existing.metadata.managedFields) next.metadata.managedFields = existing.metadata.managedFields;
    else delete next.metadata.managedFields;
    const mtime = timestamp(this.now());
    let ownershipChanged = false;
    if (opts.manager && opts.applied) {
      // An apply may change ownership only (a second manager applying the same values): that is a write.
      const mf = managedAfterApply(t, existing, next, opts.applied, opts.manager, mtime, opts.subresource);
      if (mf) next.metadata.managedFields = mf;
      else delete next.metadata.managedFields;
      const owners = (e: KubeObject) => JSON.stringify(((e.metadata.managedFields as Array<Record<string, unknown>> | undefined) ?? []).map(({ time: _t, ...rest }) => rest));
      ownershipChanged = owners(existing) !== owners(next);
    }
    opts.admit?.(clone(next), clone(existing));
    if (!ownershipChanged && sameIgnoringRv({ ...existing, metadata: { ...existing.metadata, managedFields: undefined } }, { ...next, metadata: { ...next.metadata, managedFields: undefined } })) return this.out(t, existing);
    if (opts.manager && !opts.applied) {
      const mf = managedAfterUpdate(t, existing, next, opts.manager, mtime, opts.subresource);
      if (mf) next.metadata.managedFields = mf;
      else delete next.metadata.managedFields;
    }
    if (opts.dryRun) return this.out(t, next);
    const k = this.key(t, next.metadata.namespace, next.metadata.name);
    if (next.metadata.deletionTimestamp && (next.metadata.finalizers ?? []).length === 0 && (!isPod(t) || !next.metadata.deletionGracePeriodSeconds)) {
      // The last finalizer is gone (and a pod's grace period is over): the object is deleted now.
      return this.out(t, this.remove(t, k, next));
    }
    next.metadata.resourceVersion = String(++this.rv);
    this.bucket(t).set(k, next);
    if (this.isCrd(t) && !opts.subresource) this.syncCrd(next, existing);
    this.record(t, { rv: this.rv, type: 'MODIFIED', obj: clone(next), prev: clone(existing) });
    return this.out(t, next);
  }

  private defaultsOnCreate(t: ResourceType, o: KubeObject, now: string): void {
    if (t.custom) return;
    if (t.group === '' && t.plural === 'namespaces') {
      o.metadata.labels = { ...(o.metadata.labels ?? {}), 'kubernetes.io/metadata.name': o.metadata.name };
      o.spec = { finalizers: ['kubernetes'], ...((o.spec as object) ?? {}) };
      o.status = { phase: 'Active' };
    } else if (t.group === '' && t.plural === 'pods') {
      o.status = { phase: 'Pending' };
    } else if (this.isCrd(t)) {
      validateCrd(o);
      o.status = crdStatus(o, now);
    }
  }

  // ---- CRDs ----

  private isCrd(t: ResourceType): boolean {
    return t.group === CRD_GROUP && t.plural === 'customresourcedefinitions' && !t.custom;
  }

  private syncCrd(crd: KubeObject, previous: KubeObject | undefined): void {
    if (previous) for (const old of crdResourceTypes(previous)) this.unregister(old);
    for (const t of crdResourceTypes(crd)) {
      this.register(t);
      // The real watch cache of a new resource starts with a list at the current revision.
      if (!this.cacheStart.has(`${t.group}/${t.plural}`)) this.cacheStart.set(`${t.group}/${t.plural}`, this.rv);
    }
  }

  private dropCrd(crd: KubeObject): void {
    const types = crdResourceTypes(crd);
    if (types[0]) {
      const t = this.types.get(`${types[0].group}/${types[0].version}/${types[0].plural}`) ?? types[0];
      for (const [k, o] of [...this.bucket(t).entries()]) this.remove(t, k, o);
    }
    for (const t of types) this.unregister(t);
    if (types[0]) this.cacheStart.delete(`${types[0].group}/${types[0].plural}`);
  }

  // ---- watch ----

  private record(t: ResourceType, e: HistoryEntry): void {
    const resource = `${t.group}/${t.plural}`;
    let h = this.history.get(resource);
    if (!h) this.history.set(resource, (h = []));
    h.push(e);
    if (h.length > this.historySize) this.dropped.set(resource, h.splice(0, h.length - this.historySize).pop()!.rv);
    for (const w of this.watchers) if (w.resource === resource) this.dispatch(w, e);
  }

  private dispatch(w: Watcher, e: HistoryEntry): void {
    const t = [...this.types.values()].find((x) => `${x.group}/${x.plural}` === w.resource && x.version === w.version);
    const served = (o: KubeObject): KubeObject => {
      const c = clone(o);
      c.apiVersion = t ? (t.group ? `${t.group}/${t.version}` : t.version) : c.apiVersion;
      return c;
    };
    const now = w.filter(e.obj);
    if (e.type !== 'MODIFIED') {
      if (now) w.deliver({ type: e.type, object: served(e.obj) });
      return;
    }
    const before = e.prev ? w.filter(e.prev) : true;
    if (now) w.deliver({ type: before ? 'MODIFIED' : 'ADDED', object: served(e.obj) });
    else if (before) w.deliver({ type: 'DELETED', object: served(e.obj) });
  }

  /**
   * Watch (see {@link ClusterStore.watch}); `fieldSelector` may be added to `opts`. An object leaving the
   * selector is reported as DELETED, one entering it as ADDED (watch-cache semantics).
   * @throws 410 Expired when `resourceVersion` is older than the kept history; 400 on a bad selector or resourceVersion.
   */
  watch(
    gvr: GVR,
    opts: {
      namespace?: string;
      labelSelector?: string;
      fieldSelector?: string;
      resourceVersion?: string;
      /** After the initial ADDED events, a BOOKMARK annotated `k8s.io/initial-events-end: "true"` (the real watch cache sends it when bookmarks are allowed). */
      initialEventsEnd?: boolean;
    },
    onEvent: (ev: WatchEvent) => void,
  ): () => void {
    const t = this.typeOf(gvr);
    const resource = `${t.group}/${t.plural}`;
    const sel = objectFilter(t.plural, opts.labelSelector, opts.fieldSelector, t.selectableFields);
    const filter = (o: KubeObject) => (!t.namespaced || !opts.namespace || o.metadata.namespace === opts.namespace) && sel(o);
    const queue: WatchEvent[] = [];
    let stopped = false;
    let scheduled = false;
    const drain = () => {
      scheduled = false;
      while (!stopped && queue.length) {
        try {
          onEvent(queue.shift()!);
        } catch {
          /* a failing consumer must not break the store */
        }
      }
    };
    const deliver = (ev: WatchEvent) => {
      if (stopped) return;
      queue.push(ev);
      if (!scheduled) {
        scheduled = true;
        setImmediate(drain);
      }
    };
    const w: Watcher = { resource, version: t.version, filter, deliver };
    const rvParam = opts.resourceVersion;
    if (rvParam === undefined || rvParam === '' || rvParam === '0') {
      const current = this.list(gvr, opts.namespace);
      for (const o of current.items) if (filter(o)) deliver({ type: 'ADDED', object: o });
      if (opts.initialEventsEnd) {
        const gv = t.group ? `${t.group}/${t.version}` : t.version;
        const metadata = { resourceVersion: current.resourceVersion, annotations: { 'k8s.io/initial-events-end': 'true' } } as unknown as KubeObject['metadata'];
        deliver({ type: 'BOOKMARK', object: { kind: t.kind, apiVersion: gv, metadata } });
      }
    } else {
      if (!/^\d+$/.test(rvParam)) throw badRequest(`invalid resource version: ${rvParam}`);
      const from = Number(rvParam);
      const droppedUpTo = this.dropped.get(resource) ?? 0;
      const h = this.history.get(resource) ?? [];
      if (from < droppedUpTo) throw expired(rvParam, String(h[0]?.rv ?? droppedUpTo + 1));
      // Like the real watch cache, which serves watches whatever etcd compacted: a resourceVersion before the
      // list it started from (a custom resource's: when its CRD was served) is too old.
      const start = this.cacheStart.get(resource) ?? 0;
      if (from < start) throw expired(rvParam, String(start));
      for (const e of h) if (e.rv > from) this.dispatch(w, e);
    }
    this.watchers.add(w);
    return () => {
      stopped = true;
      this.watchers.delete(w);
    };
  }

  /** Number of open watches (tests and diagnostics). */
  watchCount(): number {
    return this.watchers.size;
  }
}
