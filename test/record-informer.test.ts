/**
 * Issue #13: the leader's record informer over the real client-node and the cluster emulator, as the
 * bot's service account. With more records than one page, it lists in pages of 500 (each page one
 * request, all from one snapshot) and holds every record; finished records with a complete thread are
 * kept cut down and wake no controller; a whole record comes back when it changes (a resume asked).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pino from 'pino';
import { startEmbeddedCluster, type EmbeddedCluster } from '../sim/world.js';
import { RecordInformer } from '../src/updates/record-informer.js';
import { isCompact, LIST_PAGE_SIZE } from '../src/kube/informer.js';
import { RECORD_GROUP, RECORD_PLURAL, RECORD_VERSION, type DatabaseUpdate } from '../src/api/v1alpha1/databaseupdate.js';
import { VALID_RECORD_SPEC } from './support/record-spec.js';

const GVR = { group: RECORD_GROUP, version: RECORD_VERSION, plural: RECORD_PLURAL };
const N = LIST_PAGE_SIZE * 2 + 3;
let cluster: EmbeddedCluster;

beforeAll(async () => {
  cluster = await startEmbeddedCluster();
  for (let i = 0; i < N; i++) {
    const created = cluster.store.create(GVR, { apiVersion: 'dbupdate.dev/v1alpha1', kind: 'DatabaseUpdate', metadata: { name: `r-${i}`, namespace: 'dbupdate' }, spec: structuredClone(VALID_RECORD_SPEC) } as never);
    cluster.store.update(GVR, { ...created, status: { phase: i % 2 ? 'Succeeded' : 'Running', message: 'x'.repeat(200) } } as never, { subresource: 'status' });
  }
}, 60_000);
afterAll(async () => {
  await cluster?.stop();
});

describe('RecordInformer', () => {
  it('lists every record in pages of 500, keeps finished ones cut down, and wakes a subscriber only on what it is interested in', async () => {
    const from = cluster.server.requests.length;
    const informer = new RecordInformer(cluster.botKube, 'dbupdate', pino({ level: 'silent' }), { keepWhole: (r) => r.status?.phase !== 'Succeeded' });
    const woken: string[] = [];
    informer.subscribe((r) => (isCompact(r) ? undefined : r.status?.phase), (name) => woken.push(name));
    await informer.start();
    try {
      const lists = cluster.server.requests.slice(from).filter((r) => r.verb === 'list' && r.path.endsWith('/databaseupdates'));
      expect(lists.map((r) => new URL(r.url, 'http://x').searchParams.get('limit'))).toEqual(['500', '500', '500']);
      expect(informer.list()).toHaveLength(N);
      const done = informer.get('r-1') as DatabaseUpdate;
      expect(isCompact(done)).toBe(true);
      expect(done.status).toEqual({ phase: 'Succeeded' });
      expect(isCompact(informer.get('r-0'))).toBe(false);
      expect(informer.get('r-0')?.status?.message).toHaveLength(200);
      expect(woken).toHaveLength(Math.ceil(N / 2)); // the Running ones only
      // A change to a finished record (it is no longer Succeeded) brings the whole object back and wakes.
      woken.length = 0;
      const cur = cluster.store.tryGet(GVR, 'dbupdate', 'r-1') as unknown as DatabaseUpdate;
      cluster.store.update(GVR, { ...cur, status: { ...cur.status, phase: 'Failed' } } as never, { subresource: 'status' });
      await expect.poll(() => woken).toEqual(['r-1']);
      expect(isCompact(informer.get('r-1'))).toBe(false);
      expect(informer.get('r-1')?.status?.message).toHaveLength(200);
    } finally {
      await informer.stop();
    }
  }, 60_000);
});
