/**
 * The reads behind `/dbupdate list` and the Home tab: the records in flight and the fleet batches in
 * flight, with the member records those batches' lines count, without reading the finished records
 * (#19 item 6: at 10,000 finished records a whole list is 21 MB and 1.4 s). Three requests at most:
 * records by field selector (`RecordStore.listInFlight`), the batches, and the members of the batches in
 * flight by label (`dbupdate.dev/batch in (…)`).
 */
import { LABEL_BATCH, batchFinished, type DatabaseUpdateBatch } from '../api/v1alpha1/databaseupdatebatch.js';
import type { DatabaseUpdate } from '../api/v1alpha1/databaseupdate.js';
import type { BatchStore } from './batch-records.js';
import type { RecordStore } from './records.js';

/** What {@link readInFlight} gives back. */
export interface InFlight {
  /** Records not in a terminal phase. */
  records: DatabaseUpdate[];
  /** Fleet batches not finished. */
  batches: DatabaseUpdateBatch[];
  /** Every record of those batches, finished ones included (a batch line counts its members updated). */
  members: DatabaseUpdate[];
}

/** Read what is in flight (see the module comment). @throws ApiException from any of the reads. */
export async function readInFlight(records: RecordStore, batches: BatchStore): Promise<InFlight> {
  const [inFlight, allBatches] = await Promise.all([records.listInFlight(), batches.list()]);
  const open = allBatches.filter((b) => !batchFinished(b.status?.phase));
  const members = open.length ? await records.list(`${LABEL_BATCH} in (${open.map((b) => b.metadata.name).join(',')})`) : [];
  return { records: inFlight, batches: open, members };
}
