/**
 * History: the bot in a cluster holding `records` finished `DatabaseUpdate` records (issue #13: records
 * and OpsRequests are never deleted within the retention, so a bot in production starts among thousands).
 *
 * The world is seeded **in-process** (written to the store before the emulator's simulated KubeDB and API
 * server start, so it costs no API request and takes seconds): finished records in realistic proportions
 * (Succeeded 70 %, Failed 10 %, Rejected 8 %, Expired 8 %, Cancelled 4 %) with the status a finished
 * record has (approvals or rejection/cancellation, steps, `status.slack` with its parent ts, posted keys
 * and progress edits, opsRequest ref, times within the last 25 days, inside the default 30-day retention),
 * the finished OpsRequests of the Succeeded and Failed ones (labelled as the reconciler labels them:
 * `dbupdate.dev/record`, `app.kubernetes.io/managed-by`; phase Successful/Failed with KubeDB's
 * conditions), the per-database lock Leases those updates left, and the databases; plus fresh databases
 * for the new requests in the same namespace (`bench`: preflight reads that namespace's OpsRequests). An **empty-history world** (same
 * databases, no records, OpsRequests or locks) gives every baseline, in the same run.
 *
 * In each world the bot runs alone in a child process, compiled, with the production image's node flags
 * (the layout of scale.ts: `bench/bot-child.mjs`), and is measured for:
 * - **start-up requests**: every Kubernetes request from the fork until the API has been quiet for 1 s
 *   after the bot said it started (leader election's first read and take included);
 * - **preflight**: `preflight()` (src/updates/preflight.ts) timed inside the bot process (10 discarded first), called as the
 *   request handler calls it, with the bot's own Kube and RecordStore (so its caches, warm or not, are
 *   the bot's), for requests on fresh databases, one after another — the figure judged, since the issue's
 *   target is preflight's own cost (at 10,000 records it listed every OpsRequest: 27 MB); also, as the
 *   user sees it, a `--dry-run` command's answer time (command sent → the answer posted to its
 *   `response_url`), which adds the ack, the follow-up queue and a Slack round trip to the same preflight;
 * - (history world) **`updates` concurrent updates** on top of the history: the bot process's peak RSS
 *   (kernel high-water mark over its whole life, start-up among the history included) and its peak open
 *   file descriptors (`/proc/<pid>/fd`, sampled every 50 ms: sockets included, the EMFILE risk);
 * - **no exit**: the bot process is alive at the end and answers, and every update Succeeded with each
 *   step posted once.
 * The bot's stderr is kept (last 8 KB) so an exit names its cause (EMFILE…).
 */
import { KubeConfig } from '@kubernetes/client-node';
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createHash } from 'node:crypto';
import { Store } from '../sim/kube/store.js';
import { KubeApiServer, ADMIN_USER } from '../sim/kube/server.js';
import type { KubeObject } from '../sim/kube/api.js';
import { applyManifests } from '../sim/kube/apply.js';
import { serviceAccountUser } from '../sim/kube/rbac.js';
import { kubedbCrds, seedCluster, startKubeDBSim, opsGvr } from '../sim/kubedb/index.js';
import { CRD_GVR } from '../sim/kubedb/common.js';
import { listenInPods } from '../sim/kube/portforward.js';
import { revisionOf } from '../sim/kubedb/workload.js';
import { SlackEmulator } from '../sim/slack/server.js';
import { BOT_SA_TOKEN, CHANNEL, USERS, loadBatchCrd, loadRecordCrd } from '../sim/world.js';
import { OPS_GROUP, OPS_VERSION, findEngine } from '../src/engines/table.js';
import { lockName } from '../src/kube/locks.js';
import { LABEL_DATABASE, LABEL_DB_NAMESPACE, LABEL_ENGINE, LABEL_RECORD, RECORD_GROUP, RECORD_PLURAL, RECORD_VERSION, type DatabaseUpdate, type Phase } from '../src/api/v1alpha1/databaseupdate.js';
import { renderHash, renderParent, threadPosts } from '../src/slack/render.js';
import { breakdown, electionLeasePath, nowNs, nsToMs, percentile, row, runUpdates, waitUntil, type Row, type UpdateOutcome } from './common.js';
import { compile, imageNodeFlags, startChild, type BotChild } from './scale.js';

/** Sizes of a history run. */
export interface HistoryOptions {
  /** Finished records in the history world. */
  records: number;
  /** Databases the history is spread over (namespace `bench`, beside the fresh ones). */
  historyDatabases: number;
  /** Concurrent updates on top of the history. */
  updates: number;
  /** Preflights timed per world (after 3 discarded). */
  preflights: number;
}

const ROOT = fileURLToPath(new URL('..', import.meta.url));
/** The records' namespace (the bot's `recordsNamespace` in the world's configuration). */
export const RECORDS_NS = 'dbupdate';
const RECORD_GVR = { group: RECORD_GROUP, version: RECORD_VERSION, plural: RECORD_PLURAL };
const NS_GVR = { group: '', version: 'v1', plural: 'namespaces' };
const LEASE_GVR = { group: 'coordination.k8s.io', version: 'v1', plural: 'leases' };
const MYSQL = findEngine('mysql')!;
const DAY_MS = 86_400_000;
/**
 * The databases' namespace, history and new requests alike: preflight reads the OpsRequests of the
 * database's namespace (to refuse an update already in flight), so the history's OpsRequests must be
 * where the new requests go, as they are in a real cluster (issue #13: preflight moved 27 MB).
 */
export const DB_NS = 'bench';
/** Preflights run and discarded before the timed ones (the bot's code is cold, more so with `--optimize-for-size`). */
const PREFLIGHT_WARMUP = 10;
/**
 * The history's channel. Past updates were requested there, new ones in `CHANNEL`: the Slack emulator
 * keeps a channel's messages in one list, and the benchmark's own in-process reads of the new threads
 * must not scan the history's ~80,000 messages (that would slow the emulator, not the bot).
 */
const HIST_CHANNEL = 'C_DBOPS_ARCHIVE';

/** Finished phases and their share of the history. */
const PHASE_MIX: Array<[Phase, number]> = [
  ['Succeeded', 0.7],
  ['Failed', 0.1],
  ['Rejected', 0.08],
  ['Expired', 0.08],
  ['Cancelled', 0.04],
];

const hex = (s: string, n: number) => createHash('sha256').update(s).digest('hex').slice(0, n);
const iso = (ms: number) => new Date(ms).toISOString();

/** The finished phase of history record `i` (deterministic, in the {@link PHASE_MIX} proportions). */
function phaseOf(i: number): Phase {
  const x = (i * 0.6180339887) % 1;
  let acc = 0;
  for (const [p, share] of PHASE_MIX) if (x < (acc += share)) return p;
  return 'Succeeded';
}

/** History record `i` on `bench/<db>` (status as a finished record of that phase has it) and its OpsRequest, if it got one. */
export function historyRecord(i: number, db: string, nowMs: number): { record: KubeObject; status: Record<string, unknown>; ops?: KubeObject; opsStatus?: Record<string, unknown> } {
  const phase = phaseOf(i);
  const name = `${db}-${hex(`rec-${i}`, 8)}`;
  const created = nowMs - 25 * DAY_MS + (i * 7_919) % (24 * DAY_MS);
  const approvedAt = created + 60_000;
  const started = approvedAt + 1_000;
  const finished = started + 240_000;
  const opsName = `${db}-update-8-4-3-${hex(`ops-${i}`, 10)}`; // unique (KubeDB-style names have 5 random characters; 10 avoid a collision among 7,000)
  const ran = phase === 'Succeeded' || phase === 'Failed';
  const record: KubeObject = {
    apiVersion: `${RECORD_GROUP}/${RECORD_VERSION}`,
    kind: 'DatabaseUpdate',
    metadata: { name, namespace: RECORDS_NS, labels: { [LABEL_ENGINE]: 'mysql', [LABEL_DATABASE]: db, [LABEL_DB_NAMESPACE]: DB_NS } },
    spec: {
      engine: 'MySQL',
      database: { cluster: 'sim', namespace: DB_NS, name: db },
      requestedVersion: '8.4',
      fromVersion: '8.0.35',
      targetVersion: '8.4.3',
      updateType: 'major',
      backend: 'ops-request',
      requester: USERS.requester,
      channel: HIST_CHANNEL,
      expiresAt: iso(created + DAY_MS),
      approvers: [USERS.approver, USERS.approver2],
      approvalsRequired: 1,
      approverMention: `<@${USERS.approver}>, <@${USERS.approver2}>`,
      allowSelfApproval: false,
      replicas: 3,
    },
  };
  const steps = ['paused', 'images', 'checks', 'resumed'].map((s, k) => ({
    name: s,
    state: phase === 'Failed' && k === 1 ? 'Failed' : phase === 'Failed' && k > 1 ? 'Pending' : 'Succeeded',
    startedAt: iso(started + k * 60_000),
    ...(phase === 'Failed' && k > 1 ? {} : { finishedAt: iso(started + (k + 1) * 60_000) }),
  }));
  const status: Record<string, unknown> = {
    phase,
    finishedAt: iso(phase === 'Expired' ? created + DAY_MS : phase === 'Rejected' || phase === 'Cancelled' ? approvedAt : finished),
  };
  if (ran) {
    Object.assign(status, {
      approvals: [{ user: USERS.approver, at: iso(approvedAt) }],
      startedAt: iso(started),
      steps,
      opsRequest: { name: opsName, namespace: DB_NS, kind: MYSQL.opsRequestKind },
      progress: { images: `Images: 3 of 3 pods Ready on 8.4.3 (${db}-2, ${db}-1, ${db}-0)` },
      lastClusterCondition:
        phase === 'Succeeded'
          ? { type: 'Successful', reason: 'OpsRequestSuccessful', message: `Controller has successfully updated the version of MySQL ${DB_NS}/${db} to 8.4.3` }
          : { type: 'Failed', reason: 'UpdatePetSetsFailed', message: `Pod ${DB_NS}/${db}-1 did not become Ready on 8.4.3` },
      message: phase === 'Succeeded' ? `${db} runs 8.4.3` : `UpdatePetSetsFailed: Pod ${DB_NS}/${db}-1 did not become Ready on 8.4.3. The database is paused: resume it with /dbupdate resume ${name}.`,
    });
  } else if (phase === 'Rejected') {
    status.rejection = { user: USERS.approver, reason: 'not this week', at: iso(approvedAt) };
  } else if (phase === 'Cancelled') {
    status.cancellation = { user: USERS.requester, at: iso(approvedAt) };
  }
  if (!ran) return { record, status };
  const cond = (type: string, reason: string, message: string, at: number) => ({ type, status: 'True', reason, message, observedGeneration: 1, lastTransitionTime: iso(at).replace(/\.\d+Z$/, 'Z') });
  const conditions = [
    cond('Progressing', 'OpsRequestProgressingStarted', `Controller has started to Progress the MySQLOpsRequest: ${DB_NS}/${opsName}`, started),
    cond('DatabasePauseSucceeded', 'DatabasePauseSucceeded', `Successfully paused MySQL ${DB_NS}/${db}`, started + 60_000),
    ...[2, 1, 0].map((p) => cond(`CheckPodReady--${db}-${p}`, 'CheckPodReady', `Pod ${DB_NS}/${db}-${p} is Ready and runs ghcr.io/appscode-images/mysql:8.4.3-oracle`, started + 90_000)),
    ...(phase === 'Succeeded'
      ? [
          cond('UpdatePetSetsSucceeded', 'UpdatePetSetsSucceeded', `Successfully updated the images of PetSet ${DB_NS}/${db}; all pods are Ready`, started + 120_000),
          cond('VersionUpdateSucceeded', 'VersionUpdateSucceeded', `Successfully updated the version of MySQL ${DB_NS}/${db} to 8.4.3`, started + 180_000),
          cond('DatabaseResumeSucceeded', 'DatabaseResumeSucceeded', `Successfully resumed MySQL ${DB_NS}/${db}`, finished),
          cond('Successful', 'OpsRequestSuccessful', `Controller has successfully updated the version of MySQL ${DB_NS}/${db} to 8.4.3`, finished),
        ]
      : [{ ...cond('Failed', 'UpdatePetSetsFailed', `Pod ${DB_NS}/${db}-1 did not become Ready on 8.4.3`, finished), status: 'True' }]),
  ];
  const ops: KubeObject = {
    apiVersion: `${OPS_GROUP}/${OPS_VERSION}`,
    kind: MYSQL.opsRequestKind,
    metadata: { name: opsName, namespace: DB_NS, labels: { [LABEL_RECORD]: name, 'app.kubernetes.io/managed-by': 'dbupdate' } },
    spec: { type: 'UpdateVersion', [MYSQL.opsRequestRefField]: { name: db }, updateVersion: { targetVersion: '8.4.3' }, apply: 'IfReady', timeout: '5m', maxRetries: 1 },
  };
  return { record, status, ops, opsStatus: { phase: phase === 'Succeeded' ? 'Successful' : 'Failed', observedGeneration: 1, conditions } };
}

/**
 * The Slack side of a finished record, as the bot left it: the parent message and every thread reply
 * (rendered by the bot's own src/slack/render.ts) stored in the Slack emulator as the bot's messages, and
 * `status.slack` pointing at them (parent ts, the hash of the parent's rendering, posted keys, progress
 * replies' ts and hash), so a bot that looks at the record finds nothing left to post or edit.
 */
function seedSlack(slack: SlackEmulator, record: DatabaseUpdate): NonNullable<DatabaseUpdate['status']>['slack'] {
  const parent = renderParent(record);
  const top = slack.seedBotMessage({ channel: HIST_CHANNEL, text: parent.text, blocks: parent.blocks as unknown[] });
  const posted: string[] = [];
  const edits: Record<string, { ts: string; hash: string }> = {};
  for (const post of threadPosts(record)) {
    const m = slack.seedBotMessage({ channel: HIST_CHANNEL, text: post.text, threadTs: top.ts });
    if (post.editable) edits[post.key] = { ts: m.ts, hash: renderHash({ text: post.text, blocks: [] }) };
    else posted.push(post.key);
  }
  return { channel: HIST_CHANNEL, ts: top.ts, parentHash: renderHash(parent), posted, pending: [], ...(Object.keys(edits).length ? { edits } : {}) };
}

/**
 * Write `n` finished records (with their Slack messages, see {@link seedSlack}), their OpsRequests and
 * the lock Leases they left into `store` and `slack`, directly (no API request), on databases
 * `bench-<firstDatabase>` … `bench-<firstDatabase + databases - 1>`. @returns counts by phase.
 */
export function seedHistory(store: Store, slack: SlackEmulator, n: number, databases: number, nowMs = Date.now(), firstDatabase = 0): Record<string, number> {
  const counts: Record<string, number> = {};
  const lastOf = new Map<string, string>();
  for (let i = 0; i < n; i++) {
    const db = `bench-${firstDatabase + (i % databases)}`;
    const h = historyRecord(i, db, nowMs);
    const rec = store.create(RECORD_GVR, h.record);
    const status = { ...h.status, slack: seedSlack(slack, { ...(rec as unknown as DatabaseUpdate), status: h.status as DatabaseUpdate['status'] }) };
    store.update(RECORD_GVR, { ...rec, status }, { subresource: 'status' });
    if (h.ops) {
      const ops = store.create(opsGvr(MYSQL), h.ops);
      store.update(opsGvr(MYSQL), { ...ops, status: h.opsStatus }, { subresource: 'status' });
      counts.opsRequests = (counts.opsRequests ?? 0) + 1;
    }
    counts[String(h.status.phase)] = (counts[String(h.status.phase)] ?? 0) + 1;
    lastOf.set(db, h.record.metadata.name);
  }
  for (const [db, holder] of lastOf) {
    const name = lockName('sim', DB_NS, MYSQL.kind, db);
    store.create(LEASE_GVR, { apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata: { name, namespace: RECORDS_NS }, spec: { holderIdentity: holder, acquireTime: iso(nowMs - DAY_MS).replace('Z', '000Z') } });
  }
  counts.lockLeases = lastOf.size;
  counts.slackMessages = slack.messages(HIST_CHANNEL).length;
  return counts;
}

/**
 * Copy database `bench-<template>` of {@link DB_NS} as it is once provisioned — the database with its
 * status and every object of the namespace named after it (PetSet, pods, ServiceAccount…; Events
 * excepted), as the simulated KubeDB left them — to `names`, in-process (no API request): names in the
 * objects are rewritten, uids and resourceVersions are new, owner references point at the copies. For
 * fleet-sized worlds (bench/fleetsize.ts): provisioning 10,000 databases through the simulated KubeDB
 * costs ~17 API requests each (about 45 s per 1,000 on this machine), a copy nothing.
 * @returns how many objects were written.
 */
export function cloneProvisioned(store: Store, template: number, names: string[]): number {
  const tName = `bench-${template}`;
  const re = new RegExp(`${tName}(?![0-9])`, 'g');
  const mine = (o: KubeObject) => o.metadata.name === tName || o.metadata.name.startsWith(`${tName}-`) || (o.metadata.ownerReferences ?? []).some((r) => r.name === tName);
  const templates: Array<{ gvr: { group: string; version: string; plural: string }; hasStatus: boolean; obj: KubeObject }> = [];
  const seen = new Set<string>();
  for (const t of store.resourceTypes()) {
    // One version of each resource (a CRD serving v1 and v1alpha2 lists the same objects twice).
    if (!t.namespaced || t.kind === 'Event' || seen.has(`${t.group}/${t.plural}`)) continue;
    seen.add(`${t.group}/${t.plural}`);
    const gvr = { group: t.group, version: t.version, plural: t.plural };
    for (const obj of store.list(gvr, DB_NS).items) if (mine(obj)) templates.push({ gvr, hasStatus: t.hasStatus === true, obj });
  }
  // Owners first: the database, then objects it owns (PetSet, ServiceAccount), then theirs (pods).
  const depth = (o: KubeObject): number => (o.metadata.ownerReferences?.length ? 1 + Math.max(...o.metadata.ownerReferences.map((r) => depth(templates.find((x) => x.obj.metadata.uid === r.uid)?.obj ?? { metadata: { name: '' } } as KubeObject))) : 0);
  templates.sort((a, b) => depth(a.obj) - depth(b.obj));
  let written = 0;
  const templateSet = templates.find((x) => x.obj.kind === 'PetSet')?.obj;
  const oldRevision = templateSet ? revisionOf(templateSet.metadata.name, (templateSet.spec as { template?: unknown }).template ?? {}) : undefined;
  const revRe = () => (oldRevision ? new RegExp(oldRevision.replace(re, name0), 'g') : undefined);
  let name0 = '';
  let petSetRevision = '';
  /** Every occurrence of the template's revision (renamed) in `o`'s labels and status becomes `rev`. */
  const rewriteRevision = (o: KubeObject, from: RegExp | undefined, rev: string) => {
    if (!from || !rev) return;
    const fixed = JSON.parse(JSON.stringify({ labels: o.metadata.labels, status: o.status }).replace(from, rev)) as { labels?: Record<string, string>; status?: Record<string, unknown> };
    if (fixed.labels) o.metadata.labels = fixed.labels;
    if (fixed.status) o.status = fixed.status;
  };
  for (const name of names) {
    name0 = name;
    const uids = new Map<string, string>();
    for (const { gvr, hasStatus, obj } of templates) {
      const copy = JSON.parse(JSON.stringify(obj).replace(re, name)) as KubeObject;
      const oldUid = String(obj.metadata.uid);
      for (const f of ['uid', 'resourceVersion', 'creationTimestamp', 'generation', 'managedFields'] as const) delete (copy.metadata as Record<string, unknown>)[f];
      for (const r of copy.metadata.ownerReferences ?? []) r.uid = uids.get(r.uid) ?? r.uid;
      // The PetSet controller names a pod's revision by a hash of its PetSet's template (names in it included).
      if (copy.kind === 'PetSet') petSetRevision = revisionOf(copy.metadata.name, (copy.spec as { template?: unknown }).template ?? {});
      if (copy.kind === 'PetSet' || copy.kind === 'Pod') rewriteRevision(copy, revRe(), petSetRevision);
      const status = copy.status;
      const created = store.create(gvr, copy);
      uids.set(oldUid, String(created.metadata.uid));
      if (hasStatus && status !== undefined) store.update(gvr, { ...created, status }, { subresource: 'status' });
      written++;
    }
  }
  return written;
}

/**
 * One world: emulators in this process (history seeded before simulated KubeDB starts), the bot's view of
 * them: MySQL databases `bench-<i>` in {@link DB_NS} (`replicas` pods each, default 3), `records` finished
 * records over `historyDatabases` of them, `freshDatabases` without history for new requests
 * (`fresh(i)` names the i-th). By default all are provisioned by the simulated KubeDB, the history's
 * first (`bench-0` …); with `cloneHistoryDatabases` (fleet sizes) only the fresh ones are (`bench-0` …
 * `bench-<freshDatabases - 1>`, by a first simulated KubeDB that is stopped afterwards) and the history's
 * databases are copies of `bench-0` as provisioned ({@link cloneProvisioned}), which the simulated KubeDB
 * started next finds Ready.
 */
export async function startHistoryWorld(o: { records: number; historyDatabases: number; freshDatabases: number; replicas?: number; cloneHistoryDatabases?: boolean }) {
  const t0 = Date.now();
  const store = new Store();
  for (const crd of kubedbCrds({ opsManager: true })) store.create(CRD_GVR, crd);
  store.create(CRD_GVR, loadRecordCrd());
  store.create(CRD_GVR, loadBatchCrd());
  if (!store.tryGet(NS_GVR, undefined, RECORDS_NS)) store.create(NS_GVR, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: RECORDS_NS } });
  applyManifests(store, readFileSync(join(ROOT, 'deploy/rbac.yaml'), 'utf8'));
  const server = await KubeApiServer.start({ store, rbac: true, users: { [BOT_SA_TOKEN]: serviceAccountUser(RECORDS_NS, 'dbupdate') }, unauthenticatedUser: ADMIN_USER });
  const adminConfig = new KubeConfig();
  adminConfig.loadFromString(server.kubeconfigYaml({}));
  const replicas = o.replicas ? { extraReplicas: o.replicas } : {};
  const simOptions = { podReadyDelayMs: 15, stepDelayMs: 15, podNetwork: (l: Parameters<typeof listenInPods>[1]) => listenInPods(store, l) };
  let firstHistory = 0;
  let fresh = (i: number) => `bench-${o.historyDatabases + i}`;
  if (o.cloneHistoryDatabases) {
    await seedCluster(adminConfig, { extraDatabases: o.freshDatabases, extraNamespace: DB_NS, ...replicas });
    const provisioner = await startKubeDBSim(adminConfig, simOptions);
    await provisioner.settled(180_000);
    await provisioner.stop();
    firstHistory = o.freshDatabases;
    fresh = (i: number) => `bench-${i}`;
    cloneProvisioned(store, 0, Array.from({ length: o.historyDatabases }, (_, i) => `bench-${firstHistory + i}`));
  } else {
    // bench-0 … bench-<historyDatabases - 1> carry the history; the others are fresh, for new requests.
    await seedCluster(adminConfig, { extraDatabases: o.historyDatabases + o.freshDatabases, extraNamespace: DB_NS, ...replicas });
  }
  // Before the simulated Ops Manager starts: its first list then sees the OpsRequests already finished.
  const slack = await SlackEmulator.start({ channels: [{ id: CHANNEL, name: 'db-ops' }, { id: HIST_CHANNEL, name: 'db-ops-archive' }] });
  const history = o.records > 0 ? seedHistory(store, slack, o.records, o.historyDatabases, Date.now(), firstHistory) : {};
  const sim = await startKubeDBSim(adminConfig, simOptions);
  await sim.settled(180_000);
  return {
    store,
    server,
    slack,
    history,
    fresh,
    seedMs: Date.now() - t0,
    env: { kubeconfig: server.kubeconfigYaml({ token: BOT_SA_TOKEN }), slack },
    async stop() {
      await slack.stop();
      await sim.stop();
      await server.stop();
    },
  };
}

/** Open file descriptors of process `pid` (Linux `/proc`), or NaN where unreadable. */
function openFds(pid: number | undefined): number {
  try {
    return pid ? readdirSync(`/proc/${pid}/fd`).length : NaN;
  } catch {
    return NaN;
  }
}

/** CPU time (ms, user + system) process `pid` has used (Linux `/proc/<pid>/stat`, clock ticks of 10 ms), or NaN. */
export function cpuMs(pid: number | undefined): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(f[11]) + Number(f[12])) * 10; // utime, stime (fields 14 and 15)
  } catch {
    return NaN;
  }
}

/**
 * Wait until the bot is idle: for `quietMs` no new request (`count()`), none being served, and the bot
 * process used under 5 % of a CPU (a bot still parsing a big list or working through a queue is not
 * idle, even between requests). Bounded by `timeoutMs`. @returns whether it got idle.
 */
export async function untilIdle(pid: number | undefined, count: () => number, server: KubeApiServer, quietMs: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  let since = { at: Date.now(), n: count(), cpu: cpuMs(pid) };
  while (Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 100));
    const n = count();
    if (n !== since.n || server.concurrency.inFlight > 0) {
      since = { at: Date.now(), n, cpu: cpuMs(pid) };
      continue;
    }
    const elapsed = Date.now() - since.at;
    if (elapsed < quietMs) continue;
    const cpu = cpuMs(pid);
    if (!(cpu - since.cpu > 0.05 * elapsed)) return true;
    since = { at: Date.now(), n, cpu };
  }
  return false;
}

/**
 * `--dry-run` commands one after another; per command, ms from sending it to its answer on the
 * `response_url`. A command not acked in Slack's 3 s, or not answered within 30 s, is counted in
 * `failed` (with its error) and the next one is sent: the user would have seen an error.
 */
async function dryRunAnswers(slack: SlackEmulator, names: string[]): Promise<{ ms: number[]; failed: string[] }> {
  const ms: number[] = [];
  const failed: string[] = [];
  // The answer comes in the ack when the bot knew it within its ack budget (src/slack/ack.ts), else on the
  // response_url (after an ack saying it is still coming, which matches neither pattern).
  const answer = (cmd: { ackPayload?: unknown; responses: () => unknown[] } | undefined) =>
    cmd && [cmd.ackPayload, ...cmd.responses()].find((b) => b !== undefined && /Dry run|:warning:/.test(JSON.stringify(b)));
  for (const n of names) {
    const t0 = nowNs();
    let answered: bigint | undefined;
    let cmd: Awaited<ReturnType<SlackEmulator['typeCommand']>> | undefined;
    let resolveAnswer: () => void = () => {};
    const got = new Promise<void>((r) => (resolveAnswer = r));
    const off = slack.onChange(() => {
      if (answered === undefined && answer(cmd)) {
        answered = nowNs();
        resolveAnswer();
      }
    });
    let timer: NodeJS.Timeout | undefined;
    try {
      await slackConnected(slack);
      cmd = await slack.typeCommand({ user: USERS.requester, channel: CHANNEL, text: `mysql ${DB_NS}/${n} 8.4 --dry-run` });
      if (answer(cmd)) answered ??= nowNs();
      else await Promise.race([got, new Promise((_, reject) => (timer = setTimeout(() => reject(new Error(`no answer to the dry run on ${DB_NS}/${n} within 30 s`)), 30_000)))]);
      const body = JSON.stringify(answer(cmd));
      if (!/Dry run/.test(body)) throw new Error(`the dry run on ${DB_NS}/${n} was refused: ${body.slice(0, 300)}`);
      ms.push(nsToMs(answered! - t0));
    } catch (err) {
      failed.push(err instanceof Error ? err.message : String(err));
    } finally {
      clearTimeout(timer);
      off();
    }
  }
  return { ms, failed };
}

/**
 * Wait (≤ 30 s) until the bot has a Socket Mode connection: a bot whose event loop was blocked for
 * seconds loses it (missed pings) and reconnects; what follows is measured on the reconnected bot.
 * @throws Error when it has not reconnected in time.
 */
export async function slackConnected(slack: SlackEmulator): Promise<void> {
  if (slack.socketConnections() > 0) return;
  disconnects++;
  await waitUntil(() => slack.socketConnections() > 0, 30_000, 'the bot to reconnect to Slack (Socket Mode)');
}
/** Times a world's bot was found without a Socket Mode connection (reset per world). */
let disconnects = 0;

/** What one world's bot showed. */
interface WorldRun {
  seedMs: number;
  history: Record<string, number>;
  startup: { idleReached: boolean; requests: number; byRequest: Record<string, number>; readyMs: number; idleMs: number; slackCalls: number };
  idle: { rssMb: number; heapUsedMb: number };
  preflight: { ms: number[]; p50: number; p99: number; codes: unknown; failed?: string };
  dryRun: { ms: number[]; p50: number; failed: string[]; sent: number };
  updates?: { n: number; succeeded: number; clean: number; durationMs: number; error?: string; maxInFlight: number; requests: number };
  peakFds: number;
  /** Times the bot was found without its Socket Mode connection (before a dry run or the updates). */
  slackDisconnects: number;
  report: Record<string, unknown>;
  alive: boolean;
  exit?: string;
  stderrTail?: string;
}

/** Start the bot child in a world, measure start-up, preflight and (when `updates` > 0) concurrent updates. */
async function runWorld(dist: string, flags: string[], o: HistoryOptions & { withHistory: boolean }): Promise<WorldRun> {
  const fresh = (i: number) => `bench-${o.historyDatabases + i}`;
  const say = (what: string) => process.stderr.write(`bench: history (${o.withHistory ? `${o.records} records` : 'empty'}): ${what}\n`);
  const w = await startHistoryWorld({ records: o.withHistory ? o.records : 0, historyDatabases: o.historyDatabases, freshDatabases: o.updates + o.preflights + PREFLIGHT_WARMUP });
  let bot: BotChild | undefined;
  let peakFds = 0;
  let sampler: NodeJS.Timeout | undefined;
  say(`world seeded in ${w.seedMs} ms`);
  try {
    disconnects = 0;
    w.server.resetRequests();
    const slackBefore = w.slack.calls.length;
    const t0 = Date.now();
    bot = await startChild(dist, false, w.env, 180_000, flags, { captureStderr: true });
    const pid = bot.child.pid;
    sampler = setInterval(() => (peakFds = Math.max(peakFds, openFds(pid) || 0)), 50);
    const readyMs = Date.now() - t0;
    say(`bot started in ${readyMs} ms`);
    const election = electionLeasePath(RECORDS_NS);
    // The bot's own requests (its service account): the simulated KubeDB's controllers keep working on
    // the seeded databases, and their requests are another user's.
    const botUser = serviceAccountUser(RECORDS_NS, 'dbupdate').user;
    const mine = () => w.server.requests.filter((r) => r.user === botUser);
    const idleReached = await untilIdle(pid, () => mine().filter((r) => r.path !== election).length, w.server, 2000, 240_000);
    const idleMs = Date.now() - t0 - 2000;
    const startupReqs = mine();
    const startup = { idleReached, requests: startupReqs.length, byRequest: breakdown(w.store, startupReqs), readyMs, idleMs, slackCalls: w.slack.calls.length - slackBefore };
    say(`idle after ${idleMs} ms and ${startupReqs.length} requests`);
    const idle = (await bot.ask('gc')) as { rssMb: number; heapUsedMb: number };

    // Preflight, one request after another on fresh databases: 3 discarded, then `preflights` timed.
    const names = Array.from({ length: o.preflights + PREFLIGHT_WARMUP }, (_, i) => fresh(o.updates + i));
    const pf = (await bot.ask('preflight', { namespace: DB_NS, names, version: '8.4' })) as { ms: number[]; codes: unknown; failed?: string };
    const pfMs = pf.ms.slice(PREFLIGHT_WARMUP);
    say(`preflights timed${pf.failed ? `, failed: ${pf.failed.split('\n')[0]}` : ''}`);
    // Dry runs on the same (warm) path: 2 discarded, then at most 10 (each is a whole preflight, seconds when it scales with history).
    const dryNames = names.slice(0, Math.min(o.preflights, 10) + 2);
    const dryAll = await dryRunAnswers(w.slack, dryNames);
    const dry = dryAll.ms.slice(Math.max(0, 2 - dryAll.failed.length));

    say(`dry runs answered${dryAll.failed.length ? `; ${dryAll.failed.length} failed: ${dryAll.failed[0]}` : ''}`);
    let updates: WorldRun['updates'];
    if (o.withHistory && o.updates > 0) {
      w.server.resetRequests();
      const t1 = Date.now();
      const dbs = Array.from({ length: o.updates }, (_, i) => fresh(i));
      let outcomes: UpdateOutcome[] = [];
      let error: string | undefined;
      try {
        await slackConnected(w.slack);
        outcomes = await runUpdates({ cluster: { store: w.store }, slack: w.slack }, DB_NS, dbs, 150_000);
      } catch (err) {
        error = err instanceof Error ? err.message : String(err);
      }
      updates = {
        n: o.updates,
        succeeded: outcomes.filter((x) => x.phase === 'Succeeded').length,
        clean: outcomes.filter((x) => x.clean).length,
        durationMs: Date.now() - t1,
        maxInFlight: w.server.concurrency.max,
        requests: w.server.requests.length,
        ...(error ? { error } : {}),
      };
    }
    let report: Record<string, unknown> = {};
    let alive = bot.exited() === undefined;
    if (alive) {
      try {
        report = await bot.ask('report');
      } catch {
        alive = false;
      }
    }
    return {
      seedMs: w.seedMs,
      history: w.history,
      startup,
      idle,
      preflight: { ms: pfMs, p50: percentile(pfMs, 50), p99: percentile(pfMs, 99), codes: pf.codes, ...(pf.failed ? { failed: pf.failed } : {}) },
      dryRun: { ms: dry, p50: percentile(dry, 50), failed: dryAll.failed, sent: dryNames.length },
      updates,
      peakFds,
      slackDisconnects: disconnects,
      report,
      alive: alive && bot.exited() === undefined,
      exit: bot.exited(),
      stderrTail: bot.exited() ? bot.stderrTail() : undefined,
    };
  } finally {
    if (sampler) clearInterval(sampler);
    await bot?.stop().catch(() => undefined);
    await w.stop();
  }
}

/**
 * Run the history benchmark: compile once; the empty-history world (baselines), then the history world
 * (judged). Targets (issue #13): start-up ≤ 50 requests, preflight p50 ≤ 20 ms, peak RSS with
 * `updates` concurrent updates < 200 MB, and no exit.
 */
export async function benchHistory(o: HistoryOptions): Promise<{ rows: Row[]; detail: Record<string, unknown> }> {
  const flags = imageNodeFlags(readFileSync(join(ROOT, 'Dockerfile'), 'utf8'));
  const build = compile();
  try {
    const empty = await runWorld(build.dist, flags, { ...o, withHistory: false });
    const hist = await runWorld(build.dist, flags, { ...o, withHistory: true });
    const k = o.records.toLocaleString('en-US');
    const u = hist.updates;
    const peak = Number(hist.report.maxRssMb ?? NaN);
    const noExit = hist.alive && !!u && !u.error && u.succeeded === o.updates && u.clean === o.updates;
    const rows: Row[] = [
      row({
        bench: 'history',
        figure: `start-up k8s requests, ${k} finished records (until idle)`,
        value: hist.startup.requests,
        unit: 'req',
        baseline: empty.startup.requests,
        baselineLabel: 'same start-up, empty history',
        target: '≤ 50',
        pass: hist.startup.idleReached && hist.startup.requests <= 50,
      }),
      row({ bench: 'history', figure: `start-up time to idle, ${k} finished records${hist.startup.idleReached ? '' : ' (NOT idle within 240 s)'}`, value: hist.startup.idleMs, unit: 'ms', baseline: empty.startup.idleMs, baselineLabel: 'empty history' }),
      row({ bench: 'history', figure: `Slack calls at start-up, ${k} finished records`, value: hist.startup.slackCalls, unit: 'call', baseline: empty.startup.slackCalls, baselineLabel: 'empty history' }),
      row({
        bench: 'history',
        figure: `preflight p50 in the bot process, ${k} finished records (${hist.preflight.ms.length} requests)`,
        value: hist.preflight.p50,
        unit: 'ms',
        baseline: empty.preflight.p50,
        baselineLabel: 'same, empty history',
        target: '≤ 20 ms',
        pass: !hist.preflight.failed && hist.preflight.p50 <= 20,
      }),
      row({ bench: 'history', figure: `preflight p99 in the bot process, ${k} finished records`, value: hist.preflight.p99, unit: 'ms', baseline: empty.preflight.p99, baselineLabel: 'same, empty history' }),
      row({
        bench: 'history',
        figure: `dry-run answer p50 as the user sees it (command → answer, in the ack or on response_url), ${k} records${hist.dryRun.failed.length ? ` (${hist.dryRun.failed.length} of ${hist.dryRun.sent} not answered, see details)` : ''}`,
        value: hist.dryRun.p50, unit: 'ms', baseline: empty.dryRun.p50, baselineLabel: 'same, empty history' }),
      row({
        bench: 'history',
        figure: `peak RSS of the bot, ${o.updates} concurrent updates on ${k} finished records (image flags)`,
        value: peak,
        unit: 'MB',
        baseline: empty.idle.rssMb,
        baselineLabel: 'idle bot RSS, empty history',
        target: '< 200 MB',
        pass: peak < 200,
      }),
      row({ bench: 'history', figure: `peak open file descriptors of the bot, ${k} records + ${o.updates} updates`, value: hist.peakFds, unit: 'fd', baseline: empty.peakFds, baselineLabel: 'empty history, no updates' }),
      row({
        bench: 'history',
        figure: `API requests in flight at once during the ${o.updates} updates (server's count)`,
        value: u?.maxInFlight ?? NaN,
        unit: 'req',
      }),
      row({
        bench: 'history',
        figure: `no exit: bot alive at the end${hist.exit ? ` (${hist.exit})` : ''}${hist.slackDisconnects ? ` (lost Slack ${hist.slackDisconnects}×)` : ''}; updates Succeeded with each step posted once${u?.error ? ` (${u.error.slice(0, 80)})` : ''}`,
        value: u?.clean ?? 0,
        unit: 'updates',
        target: `alive and ${o.updates}/${o.updates} clean`,
        pass: noExit,
      }),
    ];
    return { rows, detail: { options: o, imageNodeFlags: flags, compileMs: build.ms, fdLimit: fdLimit(), emptyHistory: empty, history: hist } };
  } finally {
    rmSync(build.dir, { recursive: true, force: true });
  }
}

/** This process's soft limit on open files (`/proc/self/limits`), which the bot child inherits. */
function fdLimit(): string {
  try {
    return readFileSync('/proc/self/limits', 'utf8').split('\n').find((l) => l.startsWith('Max open files'))?.replace(/\s+/g, ' ') ?? '';
  } catch {
    return '';
  }
}
