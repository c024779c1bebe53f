/**
 * Reads and writes `DatabaseUpdateBatch` objects (fleet requests, `src/api/v1alpha1/databaseupdatebatch.ts`)
 * the way `./records.ts` does for records: a status write is a JSON merge patch (RFC 7386) of the fields the
 * writer changed, guarded by the resourceVersion it was computed from unless the caller owns the fields, and
 * computed again on a fresh read after a 409 Conflict (client-go's `RetryOnConflict`), so two clicks, a
 * Slack retry or two replicas cannot both win.
 */
import pRetry, { AbortError } from 'p-retry';
import mergePatch from 'json-merge-patch';
import type { Kube } from '../kube/client.js';
import { NotFoundError, isConflict, retryTransient } from '../kube/errors.js';
import { databaseUpdateBatches, type MergePatch, type NamespacedResource } from '../kube/resources.js';
import { BATCH_KIND, type BatchStatus, type DatabaseUpdateBatch } from '../api/v1alpha1/databaseupdatebatch.js';

/** Typed access to `databaseupdatebatches.dbupdate.dev` in one namespace of one cluster. */
export class BatchStore {
  private readonly resource: NamespacedResource<DatabaseUpdateBatch>;
  /** Called with the API server's answer to every successful write (the leader feeds its batch cache). */
  onWritten?: (batch: DatabaseUpdateBatch) => void;

  /** @param kube the cluster (fenced for the leader); @param namespace the records namespace. */
  constructor(
    readonly kube: Kube,
    readonly namespace: string,
  ) {
    this.resource = databaseUpdateBatches(kube);
  }

  private written(b: DatabaseUpdateBatch): DatabaseUpdateBatch {
    try {
      this.onWritten?.(b);
    } catch {
      /* a cache hook must not turn a landed write into an error */
    }
    return b;
  }

  /**
   * Create a batch, retrying transient errors (429 after `Retry-After`, 5xx); names are deterministic,
   * so a retried create that had landed answers 409. @throws ApiException 409 AlreadyExists; the API error after retries.
   */
  async create(batch: DatabaseUpdateBatch): Promise<DatabaseUpdateBatch> {
    return pRetry(async () => this.written(await this.resource.create({ ...batch, metadata: { ...batch.metadata, namespace: this.namespace } })), {
      retries: 4,
      minTimeout: 50,
      maxTimeout: 500,
      randomize: true,
      shouldRetry: ({ error }) => retryTransient(error),
    });
  }

  /** Read a batch; undefined when it does not exist. */
  async get(name: string): Promise<DatabaseUpdateBatch | undefined> {
    return this.resource.get(this.namespace, name);
  }

  /** List batches. */
  async list(): Promise<DatabaseUpdateBatch[]> {
    return this.resource.list(this.namespace);
  }

  /**
   * Change a batch's status with `mutate` (see `RecordStore.mutateStatus`: guarded by resourceVersion unless
   * `opts.guard` is false, recomputed on 409 up to 8 times; `mutate` returns false for no write, or throws
   * `RecordRefusal` to refuse). @throws what `mutate` throws; {@link NotFoundError} of kind
   * `DatabaseUpdateBatch` when it does not exist; the API error after retries.
   */
  async mutateStatus(
    name: string,
    mutate: (status: BatchStatus, batch: DatabaseUpdateBatch) => boolean | void,
    opts: { from?: DatabaseUpdateBatch; guard?: boolean } = {},
  ): Promise<{ batch: DatabaseUpdateBatch; changed: boolean }> {
    let from = opts.from;
    const guard = opts.guard ?? true;
    return pRetry(
      async () => {
        const batch = from ?? (await this.get(name));
        from = undefined;
        if (!batch) throw new AbortError(new NotFoundError(BATCH_KIND, this.namespace, name));
        const before = batch.status ?? {};
        const status: BatchStatus = structuredClone(before);
        let verdict: boolean | void;
        try {
          verdict = mutate(status, batch);
        } catch (err) {
          throw new AbortError(err instanceof Error ? err : new Error(String(err)));
        }
        if (verdict === false) return { batch, changed: false };
        const diff = mergePatch.generate(JSON.parse(JSON.stringify(before)), JSON.parse(JSON.stringify(status))) as Record<string, unknown> | undefined;
        if (diff === undefined) return { batch, changed: false };
        const body = guard ? { metadata: { resourceVersion: batch.metadata.resourceVersion }, status: diff } : { status: diff };
        const updated = await this.resource.mergePatchStatus(this.namespace, name, body as MergePatch<DatabaseUpdateBatch>);
        return { batch: this.written(updated), changed: true };
      },
      { retries: 8, minTimeout: 5, maxTimeout: 200, randomize: true, shouldRetry: ({ error }) => isConflict(error) || retryTransient(error) },
    );
  }
}
