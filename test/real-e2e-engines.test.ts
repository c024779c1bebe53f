/**
 * Every engine on both backends on the REAL kube-apiserver (issue #18 item 5): the run's shared control
 * plane (envtest/), the simulated KubeDB talking to it over HTTP (its webhook called by the real admission
 * chain), the real Bolt app over the Slack emulator, and the bot as its own service account under the real
 * RBAC authorizer. One world per backend, each in namespaces of its own.
 *
 * - ops-request: every scenario of sim/scenarios.ts (the demo's), typed as a user types it, approved, run
 *   by the simulated Ops Manager; the database ends on the resolved catalog entry and the OpsRequest is an
 *   `UpdateVersion` for it.
 * - direct: the newest patch/minor target each database's catalog entry allows (the direct backend does no
 *   majors), computed with the bot's own resolution (src/engines/versions.ts) from the catalog as the real
 *   server serves it; a database with none is refused with the reason, nothing created. Postgres is left
 *   out on the direct backend: its failover pause talks to pg-coordinator through `pods/portforward`,
 *   which a real API server serves only through a kubelet, and envtest runs none.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRealWorld, type RealWorld } from '../sim/world-real.js';
import { approve, request, settle } from '../sim/script.js';
import { USERS, CHANNEL } from '../sim/world.js';
import { DEMO_SCENARIOS } from '../sim/scenarios.js';
import { SEED_DATABASES } from '../sim/kubedb/seed.js';
import { getDatabase, listOpsRequests } from '../src/kube/kubedb.js';
import { findEngine, type Engine } from '../src/engines/table.js';
import { allowedTargets, catalogEntryFromObject } from '../src/engines/versions.js';

const DIRECT = { podTimeoutMs: 3000, settleMs: 100, readyTimeoutMs: 10_000 };
let ops: RealWorld;
let direct: RealWorld;

beforeAll(async () => {
  [ops, direct] = await Promise.all([
    startRealWorld({ sim: { podReadyDelayMs: 15, stepDelayMs: 15 } }),
    startRealWorld({ sim: { podReadyDelayMs: 15, stepDelayMs: 15, opsManager: false }, config: { backend: 'direct' }, direct: DIRECT }),
  ]);
}, 120_000);
afterAll(async () => {
  await Promise.all([ops?.stop(), direct?.stop()]);
});

/** A scenario's command with its namespaces mapped into world `w` (`billing/ledger` → `w…-billing/ledger`). */
function inWorld(w: RealWorld, command: string): string {
  return command.replace(/(^|\s)(demo|billing)\//g, (_, sp: string, ns: string) => `${sp}${w.cluster.ns(ns)}/`);
}

/** Alice's final ephemeral reply to a command typed in world `w`. */
async function ask(w: RealWorld, text: string): Promise<string> {
  const before = w.slack.messages(CHANNEL).filter((m) => m.ephemeralTo === USERS.requester).length;
  await w.slack.typeCommand({ user: USERS.requester, channel: CHANNEL, text });
  const replies = await w.slack.waitFor(
    () => {
      const eph = w.slack.messages(CHANNEL).filter((m) => m.ephemeralTo === USERS.requester).slice(before);
      return eph.some((m) => !m.text.startsWith(':mag:')) ? eph : undefined;
    },
    { timeoutMs: 20_000, what: `a reply to "/dbupdate ${text}"` },
  );
  return replies.filter((m) => !m.text.startsWith(':mag:')).map((m) => m.text).join('\n');
}

/** Request, approve and settle; the record at rest. */
async function run(w: RealWorld, text: string) {
  const { record, parent } = await request(w.slack, w.bot.records, USERS.requester, CHANNEL, text, 30_000);
  await approve(w.slack, CHANNEL, parent, USERS.approver);
  const done = await settle(w.bot.records, record.metadata.name, 60_000);
  return { record: done, thread: w.slack.replies(CHANNEL, parent.ts).map((m) => m.text) };
}

const STEPS = [/Paused/, /Images updated/, /Checks passed/, /Resumed/, /Done/];

// The direct backend's step lines (bold step names): a progress line such as "KubeDB's provisioner approved
// the pause (Paused=True)" comes before them, since the provisioner approves asynchronously.
const DIRECT_STEPS = [/\*Paused\*/, /\*Images updated\*/, /\*Checks passed\*/, /\*Resumed\*/];

function expectSteps(thread: string[], steps: RegExp[] = STEPS) {
  const idx = steps.map((re) => thread.findIndex((l) => re.test(l)));
  expect(idx.every((i) => i >= 0), thread.join('\n')).toBe(true);
  expect([...idx].sort((a, b) => a - b)).toEqual(idx);
  for (const re of steps) expect(thread.filter((l) => re.test(l)), `${re} once`).toHaveLength(1);
}

describe('every engine on the ops-request backend, on the real API server', () => {
  for (const [key, sc] of Object.entries(DEMO_SCENARIOS)) {
    it(`${sc.command}: ends on ${sc.target.source}`, async () => {
      const engine = findEngine(sc.engine)!;
      const { record, thread } = await run(ops, inWorld(ops, sc.command));
      expect(record.status?.phase, `${key}: ${record.status?.message}\n${thread.join('\n')}`).toBe('Succeeded');
      expect(record.spec.targetVersion).toMatch(sc.target);
      expectSteps(thread);
      const ns = ops.cluster.ns(sc.namespace);
      const db = await getDatabase(ops.cluster.kube, engine, ns, sc.name);
      expect(db?.spec.version).toBe(record.spec.targetVersion);
      const mine = (await listOpsRequests(ops.cluster.kube, engine, ns)).filter((o) => o.metadata.labels?.['dbupdate.dev/record'] === record.metadata.name);
      expect(mine.map((o) => [o.spec.type, o.spec.updateVersion?.targetVersion, o.status?.phase])).toEqual([['UpdateVersion', record.spec.targetVersion, 'Successful']]);
    });
  }
});

/** The newest patch/minor target (or, with `major`, any target) the database's catalog entry allows, by the bot's own resolution; undefined when none. */
async function directTarget(w: RealWorld, engine: Engine, version: string, major = false): Promise<string | undefined> {
  const list = (await w.cluster.kube.custom.listClusterCustomObject({ group: 'catalog.kubedb.com', version: 'v1alpha1', plural: engine.catalogPlural })) as { items: unknown[] };
  const catalog = list.items.map((o) => catalogEntryFromObject(engine, o));
  const current = catalog.find((c) => c.name === version);
  if (!current) throw new Error(`${engine.kind} ${version} is not in the catalog the real server serves`);
  const targets = allowedTargets(engine, current, catalog).filter((t) => (major || t.updateType !== 'major') && !t.entry.deprecated);
  return targets.at(-1)?.entry.name;
}

describe('every engine on the direct backend, on the real API server', () => {
  const seen = new Set<string>();
  for (const seed of SEED_DATABASES.filter((s) => s.becomesReady && s.engine !== 'postgres')) {
    const key = `${seed.engine}/${seed.name}`;
    if (seen.has(key)) continue;
    seen.add(key);
    it(`${seed.engine} ${seed.namespace}/${seed.name} (${seed.version}): the newest patch/minor target, or a refusal naming the reason`, async () => {
      const engine = findEngine(seed.engine)!;
      const ns = direct.cluster.ns(seed.namespace);
      const target = await directTarget(direct, engine, seed.version);
      if (!target) {
        // Only a major target exists (PerconaXtraDB 8.0.40 → 8.4.3): the direct backend refuses it, saying so.
        const major = await directTarget(direct, engine, seed.version, true);
        expect(major, `${key} has no target at all`).toBeDefined();
        const before = (await direct.bot.records.list()).length;
        const answer = await ask(direct, `${seed.engine} ${ns}/${seed.name} ${major}`);
        expect(answer).toMatch(/\*major\*/);
        expect((await direct.bot.records.list()).length).toBe(before);
        expect((await getDatabase(direct.cluster.kube, engine, ns, seed.name))?.spec.version).toBe(seed.version);
        return;
      }
      const { record, thread } = await run(direct, `${seed.engine} ${ns}/${seed.name} ${target}`);
      expect(record.status?.phase, `${key}: ${record.status?.message}\n${thread.join('\n')}`).toBe('Succeeded');
      expect(record.spec.backend).toBe('direct');
      expectSteps(thread, DIRECT_STEPS);
      const db = await getDatabase(direct.cluster.kube, engine, ns, seed.name);
      expect(db?.spec.version).toBe(target);
      expect((db?.status?.conditions ?? []).some((c: { type: string }) => c.type === 'Paused')).toBe(false);
    });
  }
});
