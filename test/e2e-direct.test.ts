/**
 * End to end on the direct backend: the real Bolt app (Socket Mode) and the real Kubernetes client (the
 * bot's service account, RBAC from deploy/rbac.yaml) against the embedded Slack and cluster emulators
 * with simulated KubeDB *without* Ops Manager (`opsManager: false`: no ops.kubedb.com API), so the
 * configured `backend: auto` picks the direct pipeline by discovery.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { V1Pod } from '@kubernetes/client-node';
import { startWorld, USERS, CHANNEL, type World } from '../sim/world.js';
import { approve, pollUntil, request, settle } from '../sim/script.js';
import { getDatabase } from '../src/kube/kubedb.js';
import { findEngine, type Engine } from '../src/engines/table.js';
import { dbGvr } from '../sim/kubedb/index.js';
import { CATALOG_FACTS } from '../sim/kubedb/catalog-facts.js';
import type { DirectState } from '../src/pipeline/direct-state.js';

const SETTINGS = { podTimeoutMs: 1500, settleMs: 100, readyTimeoutMs: 5000 };

let w: World;

beforeAll(async () => {
  // Postgres with standbys needs the opt-in Secrets grant on the direct backend (docs/secrets.md; test/secrets-optin.test.ts).
  w = await startWorld({ sim: { podReadyDelayMs: 15, stepDelayMs: 15, opsManager: false, readSecrets: true }, direct: SETTINGS });
});
afterAll(async () => {
  await w?.stop();
});
beforeEach(() => {
  w.cluster.sim.faults.clear();
  w.cluster.server.faults.clear();
});

interface Case {
  engine: string;
  namespace: string;
  name: string;
  replicas: number;
  from: string;
  command: string;
  target: string;
  container: string;
  oldImage: string;
  newImage: string;
  /** KubeDB's container names of the catalog's other roles (kubedb/apimachinery apis/kubedb/constants.go). */
  sidecars: Record<string, string>;
}

/** The database image of a real catalog entry (kubedb/installer 0c6e2459 facts, `catalog-facts.ts`). */
function dbImage(kind: string, name: string): string {
  const f = CATALOG_FACTS[kind].find((x) => x.name === name);
  if (!f) throw new Error(`${kind} ${name} is not in KubeDB's real catalog`);
  return f.images.db ?? f.images.proxysql;
}

function realCase(c: Omit<Case, 'oldImage' | 'newImage'>): Case {
  const kind = findEngine(c.engine)!.catalogKind;
  return { ...c, oldImage: dbImage(kind, c.from), newImage: dbImage(kind, c.target) };
}

// Patch/minor updates of KubeDB's real catalog (the direct backend does no majors). PerconaXtraDB has none:
// 5.7.44 allows only itself and 8.0.40 only 8.4.3 (a major); its other entries are deprecated.
const CASES: Case[] = [
  realCase({ engine: 'mysql', namespace: 'demo', name: 'orders', replicas: 3, from: '8.0.35', command: 'mysql orders 8.0.36', target: '8.0.36', container: 'mysql', sidecars: { 'mysql-coordinator': 'coordinator', 'mysql-init': 'initContainer', 'replication-mode-detector': 'replicationModeDetector' } }),
  realCase({ engine: 'postgres', namespace: 'billing', name: 'ledger', replicas: 3, from: '15.8', command: 'postgres billing/ledger 15.10', target: '15.10', container: 'postgres', sidecars: { 'pg-coordinator': 'coordinator', 'postgres-init-container': 'initContainer' } }),
  realCase({ engine: 'mariadb', namespace: 'demo', name: 'catalogdb', replicas: 3, from: '10.11.6', command: 'mariadb catalogdb 10.11', target: '10.11.16', container: 'mariadb', sidecars: { 'md-coordinator': 'coordinator', 'mariadb-init': 'initContainer' } }),
  realCase({ engine: 'proxysql', namespace: 'demo', name: 'gateway', replicas: 2, from: '2.4.4-debian', command: 'proxysql gateway 2.7', target: '2.7.3-debian', container: 'proxysql', sidecars: {} }),
];
/** MongoDB `demo/events` (replica set, roles): `7.0.21` → `7.0.28`, a patch of the real catalog. */
const EVENTS: Case = realCase({ engine: 'mongodb', namespace: 'demo', name: 'events', replicas: 3, from: '7.0.21', command: 'mongodb events 7.0.28', target: '7.0.28', container: 'mongodb', sidecars: {} });
/** Redis `demo/cache` (standalone): `7.2.4` → `7.2.6`, a patch of the real catalog. */
const CACHE: Case = realCase({ engine: 'redis', namespace: 'demo', name: 'cache', replicas: 1, from: '7.2.4', command: 'redis cache 7.2.6', target: '7.2.6', container: 'redis', sidecars: {} });

function thread(ts: string): string[] {
  return w.slack.replies(CHANNEL, ts).map((m) => m.text);
}

async function pods(c: Case): Promise<V1Pod[]> {
  const res = await w.cluster.kube.core.listNamespacedPod({ namespace: c.namespace, labelSelector: `app.kubernetes.io/instance=${c.name}` });
  return res.items.sort((a, b) => a.metadata!.name!.localeCompare(b.metadata!.name!));
}

function imageOf(p: V1Pod, container: string): { spec?: string; status?: string; imageID?: string; ready?: boolean } {
  const st = p.status?.containerStatuses?.find((s) => s.name === container);
  return { spec: p.spec?.containers.find((x) => x.name === container)?.image, status: st?.image, imageID: st?.imageID, ready: st?.ready };
}

/** Wait until every pod of the database is Ready on `image` and the database is Ready, not paused, on `version`. */
async function healthyOn(c: Case, engine: Engine, image: string, version: string): Promise<void> {
  await pollUntil(
    async () => {
      const ps = await pods(c);
      const db = await getDatabase(w.cluster.kube, engine, c.namespace, c.name);
      return (
        ps.length === c.replicas &&
        ps.every((p) => imageOf(p, c.container).status === image && imageOf(p, c.container).ready && p.status?.conditions?.some((x) => x.type === 'Ready' && x.status === 'True')) &&
        db?.status?.phase === 'Ready' &&
        db.spec.version === version &&
        !(db.status?.conditions ?? []).some((x) => x.type === 'Paused')
      );
    },
    10_000,
    () => `${c.name}: all pods Ready on ${image}, phase Ready on ${version}, not paused`,
  );
}

/** Request and approve; returns the settled record and its parent ts. */
async function run(text: string) {
  const { record, parent } = await request(w.slack, w.bot.records, USERS.requester, CHANNEL, text);
  await approve(w.slack, CHANNEL, parent, USERS.approver);
  const done = await settle(w.bot.records, record.metadata.name, 30_000);
  return { record: done, parent };
}

/** Type a command and return alice's final ephemeral reply. */
async function ask(world: World, text: string): Promise<string> {
  const before = world.slack.messages(CHANNEL).filter((m) => m.ephemeralTo === USERS.requester).length;
  await world.slack.typeCommand({ user: USERS.requester, channel: CHANNEL, text });
  const replies = await world.slack.waitFor(
    () => {
      const eph = world.slack.messages(CHANNEL).filter((m) => m.ephemeralTo === USERS.requester).slice(before);
      return eph.some((m) => !m.text.startsWith(':mag:')) ? eph : undefined;
    },
    { timeoutMs: 10_000, what: `a reply to "/dbupdate ${text}"` },
  );
  return replies.filter((m) => !m.text.startsWith(':mag:')).map((m) => m.text).join('\n');
}

// The step lines (bold step names): a progress line such as "Waiting for KubeDB's provisioner to approve the
// pause (Paused=Unknown)" may come before them, since the provisioner approves asynchronously, as KubeDB's does.
const STEPS = [/\*Paused\*/, /\*Images updated\*/, /\*Checks passed\*/, /\*Resumed\*/];

describe('backend auto by API discovery; major refused on direct', () => {
  it('picks ops-request where Ops Manager serves ops.kubedb.com, direct where it does not (dry runs)', async () => {
    expect(await ask(w, 'mysql orders 8.0.36 --dry-run')).toMatch(/\(patch, direct\)/);
    const withOps = await startWorld({ sim: { podReadyDelayMs: 15, stepDelayMs: 15 }, direct: SETTINGS });
    try {
      expect(await ask(withOps, 'mysql orders 8.0.36 --dry-run')).toMatch(/\(patch, ops-request\)/);
      // the major update refused on direct is accepted where Ops Manager runs it
      expect(await ask(withOps, 'mysql orders 8.4 --dry-run')).toMatch(/\(major, ops-request\)/);
    } finally {
      await withOps.stop();
    }
  });

  it('refuses a major update with the reason and points to the ops-request backend; nothing is created', async () => {
    const before = (await w.bot.records.list()).length;
    const reply = await ask(w, 'mysql orders 8.4');
    expect(reply).toMatch(/\*major\* update/);
    expect(reply).toContain('direct');
    expect(reply).toContain('ops-request');
    expect(reply).toMatch(/MySQL creates a new PetSet/);
    expect((await w.bot.records.list()).length).toBe(before);
  });

});

describe('direct backend, per engine: failure with rollback, then success', () => {
  for (const c of CASES) {
    const engine = findEngine(c.engine)!;

    it(`${c.engine}: ImagePullBackOff on the first pod to move stops the roll, rolls back, resumes, and says why`, async () => {
      const first = `${c.name}-${c.replicas - 1}`;
      const before = await pods(c);
      w.cluster.sim.faults.podNeverReady(c.namespace, first, 'ImagePullBackOff');
      const { record, parent } = await run(c.command);
      expect(record.spec.backend).toBe('direct');
      expect(record.spec.targetVersion).toBe(c.target);
      expect(record.status?.phase).toBe('Failed');
      const msg = record.status?.message ?? '';
      expect(msg).toContain(`\`${first}\``);
      expect(msg).toContain(`ImagePullBackOff`);
      expect(msg).toContain(`Back-off pulling image "${c.newImage}"`);
      expect(msg).toMatch(/Rolled back to/);
      expect(msg).toContain(`on version \`${c.from}\``);
      expect(msg).toContain('resumed (not paused)');
      const lines = thread(parent.ts);
      expect(lines.some((l) => /Updating images failed/.test(l) && l.includes('ImagePullBackOff'))).toBe(true);
      expect(lines.filter((l) => /Resumed|Checks passed/.test(l))).toEqual([]);
      await healthyOn(c, engine, c.oldImage, c.from);
      // Pods that never moved were not touched.
      const after = await pods(c);
      for (const p of before.filter((x) => x.metadata!.name !== first)) {
        expect(after.find((x) => x.metadata!.name === p.metadata!.name)!.metadata!.uid).toBe(p.metadata!.uid);
      }
    });

    if (c.engine === 'mysql') {
      it('mysql: CrashLoopBackOff on the second pod rolls back the pod already moved, too', async () => {
        w.cluster.sim.faults.podNeverReady(c.namespace, `${c.name}-1`, 'CrashLoopBackOff');
        const { record } = await run(c.command);
        expect(record.status?.phase).toBe('Failed');
        const msg = record.status?.message ?? '';
        expect(msg).toContain('`CrashLoopBackOff`');
        expect(msg).toMatch(/back-off \d+s restarting failed container=mysql pod=orders-1/);
        expect(msg).toContain('`orders-2`'); // moved, then rolled back
        expect(msg).toContain('`orders-1`');
        const direct = record.status?.direct as unknown as DirectState;
        expect(direct.moved).toEqual(['orders-2']);
        expect(direct.rollback?.result).toBe('done');
        await healthyOn(c, engine, c.oldImage, c.from);
      });
    }

    it(`${c.engine}: ${c.command} succeeds: Paused, Images updated, Checks passed, Resumed once each, in order; one edited progress reply`, async () => {
      // Give the target's sidecars and init container images of their own (a new catalog release
      // does), so the check below fails unless the roll updated them too.
      const catalogGvr = { group: 'catalog.kubedb.com', version: 'v1alpha1', plural: engine.catalogPlural };
      const entry = w.cluster.store.get(catalogGvr, undefined, c.target);
      const spec = JSON.parse(JSON.stringify(entry.spec)) as Record<string, { image?: string }>;
      for (const role of Object.values(c.sidecars)) spec[role] = { ...spec[role], image: `${spec[role]!.image!.replace(/:[^:]+$/, '')}:dbupdate-e2e` };
      w.cluster.store.update(catalogGvr, { ...entry, spec });
      const { record, parent } = await run(c.command);
      expect(record.status?.phase, record.status?.message).toBe('Succeeded');
      const lines = thread(parent.ts);
      const idx = STEPS.map((re) => lines.findIndex((l) => re.test(l)));
      expect(idx.every((i) => i >= 0), lines.join('\n')).toBe(true);
      expect([...idx].sort((a, b) => a - b)).toEqual(idx);
      for (const re of STEPS) expect(lines.filter((l) => re.test(l))).toHaveLength(1);
      const progress = w.slack.replies(CHANNEL, parent.ts).filter((m) => /Images: \d+ of/.test(m.text));
      expect(progress).toHaveLength(1);
      expect(progress[0].edited).toBeDefined();
      expect(progress[0].history.length).toBeGreaterThanOrEqual(c.replicas - 1);
      expect(progress[0].text).toContain(`Images: ${c.replicas} of ${c.replicas} pods on ${c.target}`);
      // highest ordinal first, primary (ordinal 0) last
      const order = [...Array(c.replicas).keys()].reverse().map((i) => `${c.name}-${i}`);
      expect(progress[0].text).toContain(`(${order.join(', ')})`);
      expect((record.status?.direct as unknown as DirectState).moved).toEqual(order);
      await healthyOn(c, engine, c.newImage, c.target);
      for (const p of await pods(c)) expect(imageOf(p, c.container).imageID).toMatch(new RegExp(`^${c.newImage.replace(/:[^:]+$/, '').replace(/[./]/g, '\\$&')}@sha256:`));
      // Every sidecar and init container runs the target catalog entry's image of its role.
      const catalog = (await w.cluster.kube.custom.getClusterCustomObject({ group: 'catalog.kubedb.com', version: 'v1alpha1', plural: engine.catalogPlural, name: c.target })) as { spec: Record<string, { image?: string }> };
      for (const p of await pods(c)) {
        const images = Object.fromEntries([...(p.spec?.initContainers ?? []), ...(p.spec?.containers ?? [])].map((x) => [x.name, x.image]));
        expect(Object.keys(images).sort()).toEqual([c.container, ...Object.keys(c.sidecars)].sort());
        for (const [container, role] of Object.entries(c.sidecars)) expect(images[container], `${p.metadata?.name} ${container}`).toBe(catalog.spec[role]?.image);
      }
    });
  }
});

describe('direct backend: crash recovery, a failing resume', () => {
  it('a bot crash in the middle: a new replica resumes from the record without rolling finished pods again', async () => {
    const engine = findEngine('mongodb')!;
    const { record, parent } = await request(w.slack, w.bot.records, USERS.requester, CHANNEL, EVENTS.command);
    await approve(w.slack, CHANNEL, parent, USERS.approver);
    const mid = await pollUntil(async () => {
      const r = await w.bot.records.get(record.metadata.name);
      const d = r?.status?.direct as unknown as DirectState | undefined;
      return (d?.moved?.length ?? 0) >= 1 ? d : undefined;
    }, 10_000, () => 'one pod moved');
    const movedUid = (await pods(EVENTS)).find((p) => p.metadata!.name === mid.moved![0])!.metadata!.uid;
    await w.bot.stop();
    const bot2 = await w.startBot();
    await pollUntil(async () => bot2.isLeader(), 20_000, () => 'the new replica to lead');
    const done = await settle(bot2.records, record.metadata.name, 30_000);
    expect(done.status?.phase, done.status?.message).toBe('Succeeded');
    const after = await pods(EVENTS);
    expect(after.find((p) => p.metadata!.name === mid.moved![0])!.metadata!.uid).toBe(movedUid);
    expect((done.status?.direct as unknown as DirectState).moved).toEqual(['events-2', 'events-1', 'events-0']);
    await healthyOn(EVENTS, engine, EVENTS.newImage, EVENTS.target);
    w.bot = bot2;
  });

  it('a resume that keeps failing ends Failed with a loud STILL PAUSED message and the exact kubectl dba command', async () => {
    const c = CACHE; // its target's image never pulls
    const engine = findEngine(c.engine)!;
    w.cluster.sim.faults.podNeverReady(c.namespace, 'cache-0', 'ImagePullBackOff');
    const { record, parent } = await request(w.slack, w.bot.records, USERS.requester, CHANNEL, c.command);
    await approve(w.slack, CHANNEL, parent, USERS.approver);
    await pollUntil(async () => {
      const r = await w.bot.records.get(record.metadata.name);
      return (r?.status?.direct as unknown as DirectState | undefined)?.stage === 'rollback';
    }, 10_000, () => 'the rollback to start');
    w.cluster.server.faults.add({ method: 'PATCH', pathIncludes: '/redises/cache/status', status: 500, times: 1000, message: 'etcdserver: request timed out' });
    const done = await settle(w.bot.records, record.metadata.name, 30_000);
    expect(done.status?.phase).toBe('Failed');
    const msg = done.status?.message ?? '';
    expect(msg).toContain('STILL PAUSED');
    expect(msg).toContain('`kubectl dba resume redis -n demo cache`');
    expect(msg).toContain('etcdserver: request timed out');
    expect(msg).toContain('ImagePullBackOff');
    expect(thread(parent.ts).some((l) => l.includes('STILL PAUSED'))).toBe(true);
    const db = await getDatabase(w.cluster.kube, engine, c.namespace, c.name);
    expect(db?.status?.conditions?.find((x) => x.type === 'Paused')).toMatchObject({ status: 'True', reason: 'PausedByDBUpdate' });
    expect(db?.spec.version).toBe(c.from);
    // What the person would do (kubectl dba resume): remove the condition; the provisioner takes over again.
    w.cluster.server.faults.clear();
    const obj = w.cluster.store.get(dbGvr(engine), c.namespace, c.name);
    const st = obj.status as { conditions: Array<{ type: string }> };
    w.cluster.store.update(dbGvr(engine), { ...obj, status: { ...st, conditions: st.conditions.filter((x) => x.type !== 'Paused') } }, { subresource: 'status' });
    await healthyOn(c, engine, c.oldImage, c.from);
  });
});
