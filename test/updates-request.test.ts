/**
 * The request step without Slack (src/updates/request.ts): plain inputs in, a plain outcome out, against
 * the Kubernetes API emulator as the bot's service account (RBAC from deploy/rbac.yaml). The Slack paths
 * over it (slash command, form, retry) are covered end to end by the e2e and slack-* tests.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pino from 'pino';
import { startEmbeddedCluster, type EmbeddedCluster } from '../sim/world.js';
import { ClusterSet } from '../src/kube/clusters.js';
import { leases } from '../src/kube/resources.js';
import { lockName } from '../src/kube/locks.js';
import { findEngine } from '../src/engines/table.js';
import { DEMO_SCENARIOS } from '../sim/scenarios.js';
import { validateConfig } from '../src/policy/config.js';
import { RecordStore } from '../src/updates/records.js';
import { recordName, requestUpdate, type RequestDeps, type UpdateRequest } from '../src/updates/request.js';

const mysql = findEngine('mysql')!;
let c: EmbeddedCluster;
let deps: RequestDeps;
const now = new Date('2026-12-01T10:00:00Z');

const req = (over: Partial<UpdateRequest> = {}): UpdateRequest => ({
  engine: mysql,
  namespace: 'demo',
  name: 'orders',
  version: '8.4',
  dryRun: false,
  user: 'U_ALICE',
  channel: 'C_DBOPS',
  triggerId: 't-1',
  ...over,
});

beforeAll(async () => {
  c = await startEmbeddedCluster({ podReadyDelayMs: 15, stepDelayMs: 15 });
  const kube = c.botKube;
  deps = {
    clusters: new ClusterSet(kube),
    records: new RecordStore(kube, 'dbupdate'),
    config: validateConfig({ approvers: ['U_BOB'], requesters: { users: ['U_ALICE'] } }),
    log: pino({ level: 'silent' }),
  };
});
afterAll(async () => {
  await c.botKube.cache.stop();
  await c?.stop();
});

describe('requestUpdate (src/updates/request.ts)', () => {
  it('refuses a requester the policy does not allow, writing nothing', async () => {
    const o = await requestUpdate(deps, c.botKube, now, req({ user: 'U_DAVE', triggerId: 't-dave' }));
    expect(o).toMatchObject({ outcome: 'refused', code: 'not_allowed' });
    expect(await deps.records.list()).toEqual([]);
  });

  it('a dry run resolves the target and writes neither record nor lock', async () => {
    const o = await requestUpdate(deps, c.botKube, now, req({ dryRun: true, triggerId: 't-dry' }));
    expect(o).toMatchObject({ outcome: 'dry_run', from: '8.0.35', updateType: 'major' });
    expect(o.outcome === 'dry_run' && o.to).toMatch(DEMO_SCENARIOS.mysql.target); // 8.4 → the newest allowed 8.4.x of the real catalog
    expect(await deps.records.list()).toEqual([]);
    expect(await leases(c.botKube).get('dbupdate', lockName(c.botKube.name, 'demo', 'MySQL', 'orders'))).toBeUndefined();
  });

  it('records a request under its deterministic name, holding the lock; the same invocation again is the same record', async () => {
    const o = await requestUpdate(deps, c.botKube, now, req({ reason: 'EOL', at: '2026-12-02T03:00:00Z' }));
    expect(o.outcome).toBe('recorded');
    if (o.outcome !== 'recorded') return;
    expect(o.duplicate).toBe(false);
    expect(o.record.metadata.name).toBe(recordName('orders', 't-1'));
    expect(o.record.spec.targetVersion).toMatch(DEMO_SCENARIOS.mysql.target);
    expect(o.record.spec).toMatchObject({ engine: 'MySQL', fromVersion: '8.0.35', requester: 'U_ALICE', approvers: ['U_BOB'], reason: 'EOL', notBefore: '2026-12-02T03:00:00.000Z' });
    const lock = await leases(c.botKube).get('dbupdate', lockName(c.botKube.name, 'demo', 'MySQL', 'orders'));
    expect(lock?.spec?.holderIdentity).toBe(o.record.metadata.name);

    const again = await requestUpdate(deps, c.botKube, now, req());
    expect(again).toMatchObject({ outcome: 'recorded', duplicate: true });
    expect(await deps.records.list()).toHaveLength(1);
  });

  it('a second request for the same database is refused as in flight, naming the first', async () => {
    const first = recordName('orders', 't-1');
    const o = await requestUpdate(deps, c.botKube, now, req({ triggerId: 't-2' }));
    expect(o).toMatchObject({ outcome: 'refused', code: 'in_flight' });
    expect(o.outcome === 'refused' && o.message).toContain(first);
    expect(await deps.records.list()).toHaveLength(1);
  });

  it('of two concurrent requests for one database exactly one is recorded; the other is told why', async () => {
    const two = await Promise.all([
      requestUpdate(deps, c.botKube, now, req({ engine: findEngine('postgres')!, namespace: 'billing', name: 'ledger', version: '16', triggerId: 'race-a' })),
      requestUpdate(deps, c.botKube, now, req({ engine: findEngine('postgres')!, namespace: 'billing', name: 'ledger', version: '16', triggerId: 'race-b' })),
    ]);
    expect(two.map((o) => o.outcome).sort()).toEqual(['recorded', 'refused']);
    const refused = two.find((o) => o.outcome === 'refused');
    expect(refused).toMatchObject({ code: 'in_flight' });
    expect((await deps.records.list()).filter((r) => r.spec.database.name === 'ledger')).toHaveLength(1);
  });
});
