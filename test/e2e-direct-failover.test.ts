/**
 * Postgres on the direct backend: pg-coordinator's failover is paused before the pods restart and resumed
 * afterwards, end to end — the real Bolt app and the real client-node (the bot's service account, RBAC
 * from deploy/rbac.yaml) against the Slack and Kubernetes emulators; the coordinator is reached through
 * the emulator's `pods/portforward` WebSocket and answers as pg-coordinator's HTTP API does
 * (sim/kubedb/coordinator.ts). Failure paths: a failure after the pause, wrong credentials, RBAC
 * without `pods/portforward`.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startWorld, USERS, CHANNEL, type World } from '../sim/world.js';
import { approve, pollUntil, request, settle } from '../sim/script.js';
import { readCredentials, setFailover } from '../src/pipeline/coordinator.js';
import { ALWAYS_HELD } from '../src/kube/fence.js';
import { getDatabase } from '../src/kube/kubedb.js';
import { findEngine } from '../src/engines/table.js';
import type { DirectState } from '../src/pipeline/direct-state.js';
import type { KubeObject } from '../sim/kube/api.js';

const SETTINGS = { podTimeoutMs: 1500, settleMs: 100, readyTimeoutMs: 5000 };
const NS = 'billing';
const DB = 'ledger';
const BOT = 'system:serviceaccount:dbupdate:dbupdate';
const CLUSTER_ROLE = { group: 'rbac.authorization.k8s.io', version: 'v1', plural: 'clusterroles' };
const SECRET = { group: '', version: 'v1', plural: 'secrets' };
const engine = findEngine('postgres')!;

let w: World;

beforeAll(async () => {
  // The cluster opted in to the Secrets grant (deploy/components/read-secrets): test/secrets-optin.test.ts covers the refusal without it.
  w = await startWorld({ sim: { podReadyDelayMs: 15, stepDelayMs: 15, opsManager: false, readSecrets: true }, direct: SETTINGS });
});
afterAll(async () => {
  await w?.stop();
});
beforeEach(() => {
  w.cluster.sim.faults.clear();
  w.cluster.server.faults.clear();
});

function thread(ts: string): string[] {
  return w.slack.replies(CHANNEL, ts).map((m) => m.text);
}

async function run(text: string) {
  const { record, parent } = await request(w.slack, w.bot.records, USERS.requester, CHANNEL, text);
  await approve(w.slack, CHANNEL, parent, USERS.approver);
  const done = await settle(w.bot.records, record.metadata.name, 30_000);
  return { record: done, parent };
}

/** The bot's port-forwards to the database's pods since `from` (index into the server's requests). */
function portForwards(from: number) {
  return w.cluster.server.requests.slice(from).filter((r) => r.user === BOT && /\/namespaces\/billing\/pods\/ledger-\d+\/portforward$/.test(r.path));
}

function coordinatorStatus(): string | undefined {
  return w.cluster.sim.pgCoordinators.kv(NS, DB)['Coordinator/Status'];
}

function primaries(): string[] {
  return w.cluster.store
    .list({ group: '', version: 'v1', plural: 'pods' }, NS, `app.kubernetes.io/instance=${DB}`)
    .items.filter((p) => p.metadata.labels?.['kubedb.com/role'] === 'primary')
    .map((p) => p.metadata.name);
}

async function notPaused(): Promise<void> {
  const db = await getDatabase(w.cluster.kube, engine, NS, DB);
  expect(db?.spec.version).toBe('15.8');
  expect((db?.status?.conditions ?? []).some((c) => c.type === 'Paused')).toBe(false);
}

/** Run `fn` with the bot's ClusterRole rules changed by `edit`, then restore them. */
async function withClusterRole(edit: (rules: Array<{ resources?: string[]; verbs: string[] }>) => Array<{ resources?: string[]; verbs: string[] }>, fn: () => Promise<void>): Promise<void> {
  const original = w.cluster.store.get(CLUSTER_ROLE, undefined, 'dbupdate');
  const rules = JSON.parse(JSON.stringify(original.rules)) as Array<{ resources?: string[]; verbs: string[] }>;
  w.cluster.store.update(CLUSTER_ROLE, { ...original, rules: edit(rules) } as KubeObject);
  try {
    await fn();
  } finally {
    const now = w.cluster.store.get(CLUSTER_ROLE, undefined, 'dbupdate');
    w.cluster.store.update(CLUSTER_ROLE, { ...now, rules: original.rules } as KubeObject);
  }
}

describe('direct backend, Postgres: pg-coordinator failover paused while the pods restart', () => {
  it('RBAC without pods/portforward: the update fails before any pod moved, with the API server\u2019s reason; nothing left paused', async () => {
    const from = w.cluster.server.requests.length;
    await withClusterRole(
      (rules) => rules.filter((r) => !(r.resources ?? []).includes('pods/portforward')),
      async () => {
        const { record, parent } = await run(`postgres ${NS}/${DB} 15.10`);
        expect(record.status?.phase).toBe('Failed');
        const msg = record.status?.message ?? '';
        expect(msg).toContain('`PortForwardForbidden`');
        expect(msg).toContain(`User "${BOT}" cannot get resource "pods/portforward" in API group "" in the namespace "billing"`);
        expect(msg).toContain('`get` and `create` on `pods/portforward`');
        expect(msg).toContain('No pod had been changed');
        expect(msg).toMatch(/failover was not paused \(PortForwardForbidden\)/);
        expect(msg).toContain('resumed (not paused)');
        expect(thread(parent.ts).some((l) => /Updating images failed/.test(l) && l.includes('PortForwardForbidden'))).toBe(true);
      },
    );
    expect(w.cluster.server.denials.some((d) => d.user === BOT && d.resource === 'pods/portforward' && d.verb === 'get')).toBe(true);
    expect(portForwards(from).every((r) => r.status === 403)).toBe(true);
    expect(coordinatorStatus()).toBeUndefined();
    await notPaused();
  });

  it('RBAC with get but not create on pods/portforward (Kubernetes ≥ 1.35 checks create on the upgrade): refused the same way', async () => {
    await withClusterRole(
      (rules) => rules.map((r) => ((r.resources ?? []).includes('pods/portforward') ? { ...r, verbs: ['get'] } : r)),
      async () => {
        const { record } = await run(`postgres ${NS}/${DB} 15`);
        expect(record.status?.phase).toBe('Failed');
        expect(record.status?.message).toContain(`cannot create resource "pods/portforward"`);
      },
    );
    expect(coordinatorStatus()).toBeUndefined();
    await notPaused();
  });

  it('wrong credentials (the auth Secret changed after the pods started): pg-coordinator answers 401, the update fails clearly, nothing left paused', async () => {
    const original = w.cluster.store.get(SECRET, NS, `${DB}-auth`);
    w.cluster.store.update(SECRET, { ...original, data: { ...(original.data as Record<string, string>), password: Buffer.from('not-the-password').toString('base64') } } as KubeObject);
    try {
      const { record } = await run(`postgres ${NS}/${DB} 15`);
      expect(record.status?.phase).toBe('Failed');
      const msg = record.status?.message ?? '';
      expect(msg).toContain('`CoordinatorUnauthorized`');
      expect(msg).toContain('pg-coordinator refused the credentials (HTTP 401)');
      expect(msg).toContain('No pod had been changed');
      expect(msg).toMatch(/failover was not paused \(CoordinatorUnauthorized\), so nothing is left paused/);
      const direct = record.status?.direct as unknown as DirectState;
      expect(direct.failover?.state).toBe('notPaused');
      expect(direct.moved ?? []).toEqual([]);
    } finally {
      const now = w.cluster.store.get(SECRET, NS, `${DB}-auth`);
      w.cluster.store.update(SECRET, { ...now, data: original.data } as KubeObject);
    }
    expect(coordinatorStatus()).toBeUndefined();
    await notPaused();
  });

  it('a failure after the pause (ImagePullBackOff) rolls back, resumes the failover, then the database', async () => {
    w.cluster.sim.faults.podNeverReady(NS, `${DB}-2`, 'ImagePullBackOff');
    const { record, parent } = await run(`postgres ${NS}/${DB} 15.10`);
    expect(record.status?.phase).toBe('Failed');
    const msg = record.status?.message ?? '';
    expect(msg).toContain('ImagePullBackOff');
    expect(msg).toMatch(/Rolled back to 15\.8/);
    expect(msg).toContain("Pg-coordinator's failover was paused (`Coordinator/Status`=`Pause`) while the pods restarted and is resumed (`Resume`, read back on ledger-0)");
    // The images progress reply said so before the roll (an edited reply: its earlier versions).
    const progress = w.slack.replies(CHANNEL, parent.ts).find((m) => /Images: \d+ of|Rolled back/.test(m.text));
    expect(progress?.history.some((h) => h.text.includes("pg-coordinator's failover paused (`Coordinator/Status`=`Pause` on ledger-0)"))).toBe(true);
    expect(coordinatorStatus()).toBe('Resume');
    expect((record.status?.direct as unknown as DirectState).failover?.state).toBe('resumed');
    await notPaused();
  });

  it('a failover that cannot be resumed (the Secret changed while paused: 401) is reported loudly with the command; the database is resumed anyway', async () => {
    w.cluster.sim.faults.podNeverReady(NS, `${DB}-2`, 'ImagePullBackOff');
    const original = w.cluster.store.get(SECRET, NS, `${DB}-auth`);
    const { record: started, parent } = await request(w.slack, w.bot.records, USERS.requester, CHANNEL, `postgres ${NS}/${DB} 15`);
    await approve(w.slack, CHANNEL, parent, USERS.approver);
    try {
      await pollUntil(async () => coordinatorStatus() === 'Pause', 10_000, () => 'the failover paused');
      const now = w.cluster.store.get(SECRET, NS, `${DB}-auth`);
      w.cluster.store.update(SECRET, { ...now, data: { ...(now.data as Record<string, string>), password: Buffer.from('rotated').toString('base64') } } as KubeObject);
      const record = await settle(w.bot.records, started.metadata.name, 30_000);
      expect(record.status?.phase).toBe('Failed');
      const msg = record.status?.message ?? '';
      expect(msg).toContain("*pg-coordinator's failover remains DISABLED* (`Coordinator/Status`=`Pause`)");
      expect(msg).toContain('pg-coordinator refused the credentials (HTTP 401)');
      expect(msg).toContain(`kubectl port-forward -n ${NS} pod/${DB}-0 2379`);
      expect(msg).toContain('"value":"Resume"');
      expect(msg).toContain('resumed (not paused)');
      expect(msg).not.toMatch(/still paused/i); // the database is not: /dbupdate resume is not offered for it
      expect(record.status?.steps?.find((x) => x.name === 'resumed')).toMatchObject({ state: 'Failed', reason: 'CoordinatorUnauthorized' });
      expect(coordinatorStatus()).toBe('Pause');
      await notPaused();
    } finally {
      const now = w.cluster.store.get(SECRET, NS, `${DB}-auth`);
      w.cluster.store.update(SECRET, { ...now, data: original.data } as KubeObject);
    }
    // What the message tells a person to do, done here with the restored credentials.
    const creds = await readCredentials(w.cluster.kube, NS, { metadata: { name: DB } });
    await setFailover(w.cluster.kube.kc, { namespace: NS, pod: `${DB}-0`, port: 2379 }, creds, 'Resume', { fence: ALWAYS_HELD });
    expect(coordinatorStatus()).toBe('Resume');
  });

  it('postgres billing/ledger 15.10 succeeds: failover paused (read back) before the first pod, the primary restarts without a failover, resumed before the database; a 503 of the port-forward is retried', async () => {
    const from = w.cluster.server.requests.length;
    w.cluster.server.faults.add({ pathIncludes: '/pods/ledger-0/portforward', status: 503, times: 1 });
    const failoversBefore = w.cluster.sim.pgCoordinators.failovers.length;
    const heldBefore = w.cluster.sim.pgCoordinators.heldByPause.length;
    const { record, parent } = await run(`postgres ${NS}/${DB} 15.10`);
    expect(record.status?.phase, record.status?.message).toBe('Succeeded');
    const lines = thread(parent.ts);
    const images = lines.find((l) => /Images updated/.test(l)) ?? '';
    expect(images).toContain("pg-coordinator's failover is paused (`Coordinator/Status`=`Pause`, read back on ledger-0), so no standby took over while they restarted");
    const resumed = lines.find((l) => /Resumed/.test(l)) ?? '';
    expect(resumed).toContain("pg-coordinator's failover was paused (`Coordinator/Status`=`Pause`) while the pods restarted and is resumed (`Resume`, read back on ledger-0)");
    // The primary went away while paused: held, not failed over; it is primary again on the new image.
    expect(w.cluster.sim.pgCoordinators.failovers.length).toBe(failoversBefore);
    expect(w.cluster.sim.pgCoordinators.heldByPause.slice(heldBefore).map((h) => h.pod)).toEqual([`${DB}-0`]);
    expect(primaries()).toEqual([`${DB}-0`]);
    expect(coordinatorStatus()).toBe('Resume');
    // The injected 503, retried; then set + read back to pause, set + read back to resume: four port-forwards to the primary.
    const pf = portForwards(from);
    expect(pf.map((r) => [r.path.split('/')[6], r.status])).toEqual([
      [`${DB}-0`, 503],
      [`${DB}-0`, 101],
      [`${DB}-0`, 101],
      [`${DB}-0`, 101],
      [`${DB}-0`, 101],
    ]);
    const db = await getDatabase(w.cluster.kube, engine, NS, DB);
    expect(db?.spec.version).toBe('15.10');
    expect((db?.status?.conditions ?? []).some((c) => c.type === 'Paused')).toBe(false);
  });
});
