/**
 * Typed errors (src/kube/errors.ts): real answers of the Kubernetes API emulator, as the bot's service
 * account, recognised by status code (client-go's IsNotFound / IsConflict / IsForbidden), and the record
 * store's own NotFoundError for a record that is gone, never by the text of a message.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmbeddedCluster, type EmbeddedCluster } from '../sim/world.js';
import {
  FencedError,
  NotFoundError,
  isConflict,
  isFenced,
  isForbidden,
  isNotFound,
  isNotFoundOf,
  statusCode,
} from '../src/kube/errors.js';
import { RecordStore } from '../src/updates/records.js';
import { RECORD_KIND } from '../src/api/v1alpha1/databaseupdate.js';

let c: EmbeddedCluster;
let records: RecordStore;

/** The error a promise rejects with (fails the test when it resolves). */
async function rejection(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (err) {
    return err;
  }
  throw new Error('expected a rejection');
}

beforeAll(async () => {
  c = await startEmbeddedCluster({ podReadyDelayMs: 15, stepDelayMs: 15 });
  records = new RecordStore(c.botKube, 'dbupdate');
});
afterAll(async () => {
  await c.botKube.cache.stop();
  await c?.stop();
});

describe('API errors by status code', () => {
  it('a 404, a 409 and a 403 of the API server answer exactly one predicate each', async () => {
    const coordination = c.botKube.coordination;
    const notFound = await rejection(coordination.readNamespacedLease({ namespace: 'dbupdate', name: 'nope' }));
    const forbidden = await rejection(coordination.listNamespacedLease({ namespace: 'demo' }));
    const body = { metadata: { name: 'twice' }, spec: { holderIdentity: 'me' } };
    await coordination.createNamespacedLease({ namespace: 'dbupdate', body });
    const conflict = await rejection(coordination.createNamespacedLease({ namespace: 'dbupdate', body }));
    const row = (e: unknown) => [statusCode(e), isNotFound(e), isConflict(e), isForbidden(e), isFenced(e)];
    expect(row(notFound)).toEqual([404, true, false, false, false]);
    expect(row(conflict)).toEqual([409, false, true, false, false]);
    expect(row(forbidden)).toEqual([403, false, false, true, false]);
    // An API 404 is not taken for a missing record.
    expect(isNotFoundOf(notFound, RECORD_KIND)).toBe(false);
  });

  it('FencedError is recognised by type through wrappers, and is none of the API codes', () => {
    const wrapped = new Error('middleware', { cause: new FencedError('PATCH /x') });
    expect([isFenced(wrapped), isNotFound(wrapped), isConflict(wrapped), isForbidden(wrapped)]).toEqual([true, false, false, false]);
    expect(isFenced(new Error('not the leader'))).toBe(false); // the text alone means nothing
  });
});

describe('the record store throws typed errors', () => {
  it('a status change of a record that does not exist rejects with NotFoundError naming it', async () => {
    const err = await rejection(records.mutateStatus('gone-1a2b3c4d', () => true));
    expect(err).toBeInstanceOf(NotFoundError);
    expect((err as NotFoundError).details).toEqual({ kind: RECORD_KIND, namespace: 'dbupdate', name: 'gone-1a2b3c4d' });
    expect([isNotFound(err), isNotFoundOf(err, RECORD_KIND, 'gone-1a2b3c4d'), isNotFoundOf(err, RECORD_KIND, 'other'), isNotFoundOf(err, 'MySQL')]).toEqual([true, true, false, false]);
  });
});
