/**
 * Reads and writes `DatabaseUpdate` records (see `src/api/v1alpha1/databaseupdate.ts`). A status write is a JSON merge
 * patch (RFC 7386) of only the fields the writer changed, so writers of different fields (the handlers'
 * votes, the reconciler's phase and steps, the notifier's `status.slack`) never overwrite each other.
 * Where two writers may race for the same field (a click and the expiry, two approvers) the patch carries
 * the `metadata.resourceVersion` it was computed from, a precondition the API server checks: a stale write
 * gets 409 Conflict and is computed again on the fresh object (client-go's `RetryOnConflict`), so two
 * clicks, a Slack retry or two replicas cannot both win.
 */
import pRetry, { AbortError } from 'p-retry';
import mergePatch from 'json-merge-patch';
import type { Kube } from '../kube/client.js';
import { NotFoundError, isConflict, retryTransient, statusCode } from '../kube/errors.js';
import { databaseUpdates, type MergePatch, type NamespacedResource } from '../kube/resources.js';
import { RECORD_KIND, TERMINAL_PHASES, isActive, type DatabaseUpdate, type RecordStatus } from '../api/v1alpha1/databaseupdate.js';

/**
 * The field selector of the records in flight: every phase but the terminal ones ({@link TERMINAL_PHASES});
 * a record with no phase yet matches. Served through the CRD's `selectableFields: [.status.phase]`
 * (deploy/crd-databaseupdate.yaml; Kubernetes 1.31+, GA in 1.32,
 * https://kubernetes.io/docs/tasks/extend-kubernetes/custom-resources/custom-resource-definitions/#crd-selectable-fields).
 */
export const IN_FLIGHT_FIELD_SELECTOR = TERMINAL_PHASES.map((p) => `status.phase!=${p}`).join(',');

/** How long (ms) after a server refused {@link IN_FLIGHT_FIELD_SELECTOR} the store reads whole lists before it tries again. */
export const FIELD_SELECTOR_RETRY_MS = 10 * 60_000;

/** Result of a guarded status mutation: the object after the write, or `changed: false` when the mutator declined. */
export interface MutateResult {
  record: DatabaseUpdate;
  changed: boolean;
}

/**
 * Thrown by a mutator (or a request or recovery step) to refuse a change with a message meant for the user
 * (Slack mrkdwn, e.g. "already approved"): the one kind of error whose text a user may see as is. Every
 * other error reaches the user as a generic answer with a log reference.
 */
export class RecordRefusal extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RecordRefusal';
  }
}

/** A read retried on transient API errors (429 after its Retry-After, 5xx), three times. */
const readRetrying = <T>(read: () => Promise<T>): Promise<T> => pRetry(read, { retries: 3, minTimeout: 50, maxTimeout: 1000, randomize: true, shouldRetry: ({ error }) => retryTransient(error) });

/** Typed access to `databaseupdates.dbupdate.dev` in one namespace of one cluster. */
export class RecordStore {
  private readonly resource: NamespacedResource<DatabaseUpdate>;
  /**
   * Called with the API server's answer to every successful write of this store (create, status
   * patch): the leader feeds its record cache with it (`src/kube/mutation-cache.ts`).
   */
  onWritten?: (record: DatabaseUpdate) => void;

  /** @param kube the cluster; @param namespace where records live (the bot's namespace). */
  constructor(
    readonly kube: Kube,
    readonly namespace: string,
  ) {
    this.resource = databaseUpdates(kube);
  }

  private written(record: DatabaseUpdate): DatabaseUpdate {
    try {
      this.onWritten?.(record);
    } catch {
      /* a cache hook must not turn a landed write into an error */
    }
    return record;
  }

  /**
   * Create a record, retrying transient API errors (`isTransient` of `src/kube/errors.ts`: 429 after its `Retry-After`,
   * 5xx) a few times. Retrying a create is safe because record names are deterministic: if an attempt
   * that answered 5xx did persist, the retry answers 409, which callers already treat as "recorded".
   * @throws ApiException 409 when a record with the same name exists; the API error after retries.
   */
  async create(record: DatabaseUpdate): Promise<DatabaseUpdate> {
    return pRetry(async () => this.written(await this.resource.create({ ...record, metadata: { ...record.metadata, namespace: this.namespace } })), {
      retries: 4,
      minTimeout: 50,
      maxTimeout: 500,
      randomize: true,
      shouldRetry: ({ error }) => retryTransient(error),
    });
  }

  /** Read a record; undefined when it does not exist. */
  async get(name: string): Promise<DatabaseUpdate | undefined> {
    return this.resource.get(this.namespace, name);
  }

  /** List records, optionally filtered by a label selector (e.g. `dbupdate.dev/database=orders`). */
  async list(labelSelector?: string): Promise<DatabaseUpdate[]> {
    return this.resource.list(this.namespace, labelSelector ? { labelSelector } : {});
  }

  /**
   * The records in flight (not in a terminal phase), optionally also filtered by a label selector: the
   * API server selects them ({@link IN_FLIGHT_FIELD_SELECTOR}), so a namespace holding 10,000 finished
   * records answers with the few in flight, not a 21 MB list (#19 item 6). A server that refuses the
   * field selector (400: older than 1.31, or the CRD applied before `selectableFields` was added; Helm
   * does not upgrade CRDs) is read whole and filtered here, and asked again after
   * {@link FIELD_SELECTOR_RETRY_MS}; {@link fieldSelectorRefused} says when that happened. Transient
   * answers are retried a few times (`retryTransient`: a real kube-apiserver answers 429 "storage is
   * (re)initializing", Retry-After 1 s, for a moment after the CRD changes).
   * @throws ApiException from the list (a 400 only when the whole list answers 400 too).
   */
  async listInFlight(labelSelector?: string): Promise<DatabaseUpdate[]> {
    if (this.refusedAt === undefined || Date.now() - this.refusedAt >= FIELD_SELECTOR_RETRY_MS) {
      try {
        const items = await readRetrying(() => this.resource.list(this.namespace, { fieldSelector: IN_FLIGHT_FIELD_SELECTOR, ...(labelSelector ? { labelSelector } : {}) }));
        this.refusedAt = undefined;
        return items;
      } catch (err) {
        if (statusCode(err) !== 400) throw err;
        this.refusedAt = Date.now();
        this.onFieldSelectorRefused?.(err);
      }
    }
    return (await readRetrying(() => this.list(labelSelector))).filter((r) => isActive(r.status?.phase));
  }

  /** Called when the API server refuses {@link IN_FLIGHT_FIELD_SELECTOR} (the bot logs it, with what to apply). */
  onFieldSelectorRefused?: (err: unknown) => void;

  /** Whether the last {@link listInFlight} fell back to a whole list (the server refused the field selector). */
  fieldSelectorRefused(): boolean {
    return this.refusedAt !== undefined;
  }

  /** When (ms since epoch) the server last refused the field selector; undefined while it serves it. */
  private refusedAt: number | undefined;

  /**
   * Change a record's status: apply `mutate` to a copy of the status, then send the difference as a JSON
   * merge patch of `/status` (only the fields `mutate` changed; `null` removes a key, a list is replaced
   * whole). Guarded (the default), the patch carries the resourceVersion it was computed from: on 409
   * Conflict, or a transient error (`isTransient`; a 429's `Retry-After` is waited out), the record
   * is read afresh and `mutate` runs again (up to 8 times). `opts.guard: false` sends no precondition: for
   * fields only the caller writes (the fenced leader's own progress fields, `status.slack`), where a
   * concurrent write of another field must not cost a conflict.
   * `mutate` returns false to make no write; it may throw {@link RecordRefusal} to refuse.
   * `opts.from`: the object to compute the first attempt from (the leader's cache, or an object just
   * read or written) instead of a GET; only a verdict of `false` is taken from it unchecked, so pass one
   * only where that is safe (a stale guarded write meets a 409 and is computed again from a fresh read).
   * @throws RecordRefusal (or whatever else) the mutator throws; {@link NotFoundError} (kind `DatabaseUpdate`)
   *   when the record does not exist; the API error after retries.
   */
  async mutateStatus(
    name: string,
    mutate: (status: RecordStatus, record: DatabaseUpdate) => boolean | void,
    opts: { from?: DatabaseUpdate; guard?: boolean } = {},
  ): Promise<MutateResult> {
    let from = opts.from;
    const guard = opts.guard ?? true;
    return pRetry(
      async () => {
        const record = from ?? (await this.get(name));
        from = undefined;
        if (!record) throw new AbortError(new NotFoundError(RECORD_KIND, this.namespace, name));
        const before = record.status ?? {};
        const status: RecordStatus = structuredClone(before);
        let verdict: boolean | void;
        try {
          verdict = mutate(status, record);
        } catch (err) {
          throw new AbortError(err instanceof Error ? err : new Error(String(err)));
        }
        if (verdict === false) return { record, changed: false };
        // As JSON: a key set to undefined is a key removed (null in the patch), not one left out.
        const diff = mergePatch.generate(JSON.parse(JSON.stringify(before)), JSON.parse(JSON.stringify(status))) as Record<string, unknown> | undefined;
        if (diff === undefined) return { record, changed: false };
        const body = guard ? { metadata: { resourceVersion: record.metadata.resourceVersion }, status: diff } : { status: diff };
        const updated = await this.resource.mergePatchStatus(this.namespace, name, body as MergePatch<DatabaseUpdate>);
        return { record: this.written(updated), changed: true };
      },
      {
        retries: 8,
        minTimeout: 5,
        maxTimeout: 200,
        randomize: true,
        shouldRetry: ({ error }) => isConflict(error) || retryTransient(error),
      },
    );
  }
}
