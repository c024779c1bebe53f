/**
 * Reads and writes `DatabaseUpdate` records (see `src/updates/types.ts`). Every status write is a
 * read-modify-write guarded by `metadata.resourceVersion`: a stale write gets 409 Conflict from the API
 * server and is retried on the fresh object (the pattern of client-go's `RetryOnConflict`), so two
 * clicks, a Slack retry or two replicas cannot both win.
 */
import pRetry, { AbortError } from 'p-retry';
import type { Kube } from './client.js';
import { isConflict, isNotFound } from './client.js';
import {
  RECORD_GROUP,
  RECORD_PLURAL,
  RECORD_VERSION,
  type DatabaseUpdate,
  type RecordStatus,
} from '../updates/types.js';

/** Result of a guarded status mutation: the object after the write, or `changed: false` when the mutator declined. */
export interface MutateResult {
  record: DatabaseUpdate;
  changed: boolean;
}

/** Thrown by a mutator to refuse a change with a message meant for the user (e.g. "already approved"). */
export class RecordRefusal extends Error {}

/** Typed access to `databaseupdates.dbupdate.dev` in one namespace of one cluster. */
export class RecordStore {
  private readonly base: { group: string; version: string; plural: string; namespace: string };

  /** @param kube the cluster; @param namespace where records live (the bot's namespace). */
  constructor(
    readonly kube: Kube,
    readonly namespace: string,
  ) {
    this.base = { group: RECORD_GROUP, version: RECORD_VERSION, plural: RECORD_PLURAL, namespace };
  }

  /** Create a record. @throws ApiException 409 when a record with the same name exists. */
  async create(record: DatabaseUpdate): Promise<DatabaseUpdate> {
    return (await this.kube.custom.createNamespacedCustomObject({ ...this.base, body: record })) as DatabaseUpdate;
  }

  /** Read a record; undefined when it does not exist. */
  async get(name: string): Promise<DatabaseUpdate | undefined> {
    try {
      return (await this.kube.custom.getNamespacedCustomObject({ ...this.base, name })) as DatabaseUpdate;
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
  }

  /** List records, optionally filtered by a label selector (e.g. `dbupdate.dev/database=orders`). */
  async list(labelSelector?: string): Promise<DatabaseUpdate[]> {
    const res = (await this.kube.custom.listNamespacedCustomObject({ ...this.base, labelSelector })) as {
      items: DatabaseUpdate[];
    };
    return res.items;
  }

  /**
   * Change a record's status with optimistic concurrency: read, apply `mutate` to a copy of the status,
   * replace `/status` with the read resourceVersion, and on 409 Conflict start over (up to 8 times).
   * `mutate` returns false to make no write; it may throw {@link RecordRefusal} to refuse.
   * @throws RecordRefusal from the mutator; Error when the record does not exist; the API error after retries.
   */
  async mutateStatus(name: string, mutate: (status: RecordStatus, record: DatabaseUpdate) => boolean | void): Promise<MutateResult> {
    return pRetry(
      async () => {
        const record = await this.get(name);
        if (!record) throw new AbortError(`DatabaseUpdate ${this.namespace}/${name} not found`);
        const status: RecordStatus = structuredClone(record.status ?? {});
        let verdict: boolean | void;
        try {
          verdict = mutate(status, record);
        } catch (err) {
          if (err instanceof RecordRefusal) throw new AbortError(err);
          throw new AbortError(err as Error);
        }
        if (verdict === false) return { record, changed: false };
        const body = { ...record, status };
        const updated = (await this.kube.custom.replaceNamespacedCustomObjectStatus({ ...this.base, name, body })) as DatabaseUpdate;
        return { record: updated, changed: true };
      },
      {
        retries: 8,
        minTimeout: 5,
        maxTimeout: 200,
        randomize: true,
        shouldRetry: ({ error }) => isConflict(error) || (error as { code?: number }).code === 429 || (error as { code?: number }).code === 500,
      },
    );
  }
}
