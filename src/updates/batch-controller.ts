/**
 * The batch controller, the leader's third controller (docs/architecture.md "Controllers"; issue #19
 * item 1): drives each `DatabaseUpdateBatch` from its record alone, the controller-runtime way — one
 * {@link BatchController.reconcile} per batch reads the batch from the leader's batch cache and its members
 * from the record cache, acts on its phase and answers when to look again. It is woken by the batch's own
 * changes (phase, wave, intent) and by its members' phase changes, never by polling.
 *
 * - Pending: expired at `spec.expiresAt`. Approved: Running.
 * - Running: waves (`batchWaves`: a canary of one, then `spec.maxParallel` at a time). A wave starts with
 *   one guarded write of `status.wave`, then each member's `DatabaseUpdate` is written — the database's
 *   lock taken, the record created (deterministic name, so a restart re-creates nothing) and approved with
 *   the batch's votes — and the update controller runs it like any other, inside its maintenance windows.
 *   When every member of the wave has finished, `status.waveDone` is written and the next wave starts
 *   `spec.soakSeconds` later; after the last, Succeeded (or Failed when a member failed and approvers
 *   resumed past it).
 * - The first member that fails halts the batch (Halted): running members finish, no more start; the
 *   approvers' Resume or Abort (`status.intent`, written by the Slack handler) is carried out here.
 * - Cancelled or Aborted: members written but not started yet are cancelled; running ones finish.
 *   While Halted, a member of the current wave that is approved but not started (waiting for its
 *   maintenance window) is held by the update controller (`batchHold` of `./batch-state.ts`, its
 *   `startGate`) until a Resume; later waves are not written.
 *
 * Every write goes through the leader's fenced clients (`src/kube/fence.ts`); no error escapes the queue
 * (logged, retried with back-off).
 */
import { createHash } from 'node:crypto';
import type { Logger } from 'pino';
import type { ClusterSet } from '../kube/clusters.js';
import { isConflict, isFenced, statusCode, statusMessage } from '../kube/errors.js';
import { KeyedQueue, type ReconcileResult } from '../kube/queue.js';
import { acquireDatabaseLock, lockName } from '../kube/locks.js';
import { engineByKind } from '../engines/table.js';
import type { Config } from '../policy/config.js';
import { parseDuration } from '../policy/config.js';
import type { Metrics } from '../metrics.js';
import type { RecordStore } from './records.js';
import type { RecordInformer } from './record-informer.js';
import type { BatchStore } from './batch-records.js';
import type { BatchInformer } from './batch-informer.js';
import { expireBatch } from './batch-state.js';
import { LABEL_DATABASE, LABEL_DB_NAMESPACE, LABEL_ENGINE, RECORD_API_VERSION, RECORD_KIND, TERMINAL_PHASES, isActive, type DatabaseUpdate } from '../api/v1alpha1/databaseupdate.js';
import { LABEL_BATCH, batchFinished, batchWaves, type BatchMember, type DatabaseUpdateBatch } from '../api/v1alpha1/databaseupdatebatch.js';

/** Options of the batch controller. */
export interface BatchControllerOptions {
  /** The leader's fenced clusters: records, locks and batches in `clusters.home`. */
  clusters: ClusterSet;
  /** Record writes (fenced). */
  records: RecordStore;
  /** Batch writes (fenced). */
  batches: BatchStore;
  recordInformer: RecordInformer;
  batchInformer: BatchInformer;
  config: Config;
  log: Logger;
  metrics?: Metrics;
  now?: () => Date;
}

/** `namespace/name` of a member. */
export function memberKey(m: { namespace: string; name: string }): string {
  return `${m.namespace}/${m.name}`;
}

/** The record name of a batch member: `<database>-<8 hex of sha256(batch/namespace/name)>`, the same on every replica and after a restart. */
export function memberRecordName(batch: string, m: { namespace: string; name: string }): string {
  const h = createHash('sha256').update(`${batch}/${m.namespace}/${m.name}`).digest('hex').slice(0, 8);
  return `${m.name.slice(0, 63 - 9)}-${h}`;
}

/** The member records of a batch known to the leader's record cache, by `namespace/name` of their database. */
export function membersOf(records: RecordInformer, batch: string): Map<string, DatabaseUpdate> {
  const out = new Map<string, DatabaseUpdate>();
  for (const r of records.list()) if (r.metadata.labels?.[LABEL_BATCH] === batch) out.set(memberKey(r.spec.database), r);
  return out;
}

/** What the batch controller acts on in a member record: its phase. */
function memberInterest(r: DatabaseUpdate): string | undefined {
  return r.metadata.labels?.[LABEL_BATCH] ? (r.status?.phase ?? 'Pending') : undefined;
}

/** What it acts on in a batch: everything but its Slack state. */
function batchInterest(b: DatabaseUpdateBatch): string | undefined {
  const { slack: _s, ...rest } = b.status ?? {};
  if (batchFinished(b.status?.phase) && b.status?.phase !== 'Cancelled' && b.status?.phase !== 'Aborted') return undefined;
  return JSON.stringify(rest);
}

/** Drives batches from the moment it is built (it subscribes to both informers); stop with {@link BatchController.stop}. */
export class BatchController {
  private readonly queue: KeyedQueue;
  private readonly now: () => Date;

  constructor(private readonly o: BatchControllerOptions) {
    this.now = o.now ?? (() => new Date());
    this.queue = new KeyedQueue(
      (name) => this.reconcile(name),
      (name, err) => {
        if (isFenced(err)) return;
        o.metrics?.kubeApiErrors.inc({ code: String(statusCode(err) ?? 0) });
        o.log.warn({ batch: name, err: statusMessage(err) }, 'batch reconcile failed; will retry with back-off');
      },
      { maxConcurrentReconciles: 4 },
    );
    o.batchInformer.subscribe(batchInterest, (name) => this.queue.add(name));
    o.recordInformer.subscribe(memberInterest, (name) => {
      const batch = o.recordInformer.get(name)?.metadata.labels?.[LABEL_BATCH];
      if (batch) this.queue.add(batch);
    });
  }

  /** Stop taking work and wait for running work. */
  async stop(): Promise<void> {
    await this.queue.close();
  }

  /** Wake every batch that waits on time (resync, as the update controller's). */
  resync(): void {
    for (const b of this.o.batchInformer.list()) if (!batchFinished(b.status?.phase)) this.queue.add(b.metadata.name);
  }

  /**
   * One reconcile of a batch, from the caches: act on its phase; the result says when to look again.
   * @throws API errors (the queue retries with back-off), `FencedError` when the Lease is lost.
   */
  async reconcile(name: string): Promise<ReconcileResult | void> {
    const b = this.o.batchInformer.get(name);
    if (!b) return;
    const phase = b.status?.phase ?? 'Pending';
    const now = this.now();
    const batches = this.o.batches;
    if (phase === 'Pending') {
      const res = await batches.mutateStatus(name, (st, fresh) => {
        const expired = expireBatch(st, fresh, now);
        const counted = st.memberCount === undefined;
        if (counted) st.memberCount = fresh.spec.members.length;
        return expired || counted;
      }, { from: b });
      if (res.batch.status?.phase === 'Expired') this.o.log.info({ audit: 'expire', batch: name }, 'fleet update expired');
      return { requeueAfterMs: Math.max(0, Date.parse(b.spec.expiresAt) - now.getTime()) };
    }
    // Cancelled or Aborted: members written but not started yet (a wave's Scheduled ones) start no more.
    if (phase === 'Cancelled' || phase === 'Aborted') return this.cancelMembers(b);
    if (batchFinished(phase)) return;
    if (phase === 'Approved') {
      await batches.mutateStatus(name, (st) => {
        if (st.phase !== 'Approved') return false;
        st.phase = 'Running';
        st.startedAt = now.toISOString();
        st.memberCount = b.spec.members.length;
        return true;
      }, { from: b });
      this.o.log.info({ audit: 'start', batch: name, members: b.spec.members.length }, 'fleet update started');
      return { requeueAfterMs: 0 };
    }
    if (phase === 'Halted') return this.halted(b);
    if (phase === 'Running') return this.run(b);
  }

  /** A halted batch: carry out Resume (go on past the failed member) or Abort (start no more). */
  private async halted(b: DatabaseUpdateBatch): Promise<void> {
    const intent = b.status?.intent;
    if (!intent) return;
    const nowIso = this.now().toISOString();
    const res = await this.o.batches.mutateStatus(b.metadata.name, (st) => {
      if (st.phase !== 'Halted' || !st.intent) return false;
      if (st.intent.action === 'resume') {
        st.acceptedFailures = [...new Set([...(st.acceptedFailures ?? []), ...(st.halt ? [st.halt.record] : [])])];
        st.phase = 'Running';
      } else {
        st.phase = 'Aborted';
        st.finishedAt = nowIso;
        st.cancellation = { user: st.intent.user, at: nowIso };
        st.message = `Aborted by <@${st.intent.user}> after \`${st.halt?.member ?? 'a member'}\` failed; no more databases were started.`;
      }
      st.intent = undefined;
      return true;
    });
    if (res.changed) this.o.log.info({ audit: intent.action, batch: b.metadata.name, user: intent.user }, `fleet update ${intent.action === 'resume' ? 'resumed' : 'aborted'}`);
  }

  /** A running batch: halt on a new failure, else start the next wave when the current one is done and soaked. */
  private async run(b: DatabaseUpdateBatch): Promise<ReconcileResult | void> {
    const name = b.metadata.name;
    const st = b.status ?? {};
    const members = membersOf(this.o.recordInformer, name);
    const accepted = new Set(st.acceptedFailures ?? []);
    const failed = [...members.values()].find((r) => r.status?.phase === 'Failed' && !accepted.has(r.metadata.name));
    if (failed) {
      // The informer keeps finished records cut down (no message): read the failed one once for the reason.
      const full = (await this.o.records.get(failed.metadata.name)) ?? failed;
      const member = memberKey(failed.spec.database);
      const nowIso = this.now().toISOString();
      const res = await this.o.batches.mutateStatus(name, (s) => {
        if (s.phase !== 'Running') return false;
        s.phase = 'Halted';
        s.halt = { record: failed.metadata.name, member, message: full.status?.message ?? 'the update failed', at: nowIso };
        return true;
      }, { from: b });
      if (res.changed) this.o.log.warn({ audit: 'halt', batch: name, member, record: failed.metadata.name }, 'fleet update halted: a member failed');
      return;
    }
    const waves = batchWaves(b.spec.members.length, b.spec.maxParallel);
    const current = st.wave ?? -1;
    if (current >= 0) {
      const wave = waves[current] ?? [];
      // A member of the current wave not written yet (a restart between the wave's write and its creates).
      for (const i of wave) await this.ensureMember(b, b.spec.members[i], members);
      const skipped = new Set((b.status?.skipped ?? []).map((s) => s.member));
      const open = wave.filter((i) => {
        const m = b.spec.members[i];
        const r = members.get(memberKey(m));
        return !skipped.has(memberKey(m)) && (!r || !TERMINAL_PHASES.includes(r.status?.phase ?? 'Pending'));
      });
      if (open.length > 0) return; // woken when a member's phase changes
      const now = this.now();
      if (st.waveDone?.wave !== current) {
        await this.o.batches.mutateStatus(name, (s) => {
          if (s.phase !== 'Running' || s.wave !== current) return false;
          s.waveDone = { wave: current, at: now.toISOString() };
          return true;
        }, { from: b });
        return { requeueAfterMs: current === waves.length - 1 ? 0 : b.spec.soakSeconds * 1000 };
      }
      if (current === waves.length - 1) return this.finish(b, members);
      const due = Date.parse(st.waveDone.at) + b.spec.soakSeconds * 1000;
      if (now.getTime() < due) return { requeueAfterMs: due - now.getTime() };
    }
    const next = current + 1;
    if (next >= waves.length) return this.finish(b, members);
    const res = await this.o.batches.mutateStatus(name, (s) => {
      if (s.phase !== 'Running' || (s.wave ?? -1) !== current) return false;
      s.wave = next;
      return true;
    }, { from: b });
    if (!res.changed) return;
    this.o.log.info({ audit: 'wave', batch: name, wave: next, members: waves[next].map((i) => memberKey(b.spec.members[i])) }, 'fleet wave started');
    for (const i of waves[next]) await this.ensureMember(res.batch, b.spec.members[i], members);
  }

  /** The last wave is done: Succeeded, or Failed when members failed (approvers resumed past them) or were skipped. */
  private async finish(b: DatabaseUpdateBatch, members: Map<string, DatabaseUpdate>): Promise<void> {
    const failed = [...members.values()].filter((r) => r.status?.phase === 'Failed').map((r) => memberKey(r.spec.database));
    const skipped = (b.status?.skipped ?? []).map((s) => s.member);
    const nowIso = this.now().toISOString();
    const res = await this.o.batches.mutateStatus(b.metadata.name, (s) => {
      if (s.phase !== 'Running') return false;
      s.phase = failed.length || skipped.length ? 'Failed' : 'Succeeded';
      s.finishedAt = nowIso;
      if (failed.length || skipped.length) s.message = [failed.length ? `failed: ${failed.join(', ')}` : '', skipped.length ? `not started: ${skipped.join(', ')}` : ''].filter(Boolean).join('; ');
      return true;
    }, { from: b });
    if (res.changed) this.o.log.info({ audit: 'finish', batch: b.metadata.name, phase: res.batch.status?.phase }, 'fleet update finished');
  }

  /**
   * Write a member's record, approved, unless it exists: take the database's lock (a database another
   * update holds is skipped, with the holder named), create the record (409: it exists), copy the batch's
   * votes onto it (guarded: only a Pending record is approved).
   */
  private async ensureMember(b: DatabaseUpdateBatch, m: BatchMember, known: Map<string, DatabaseUpdate>): Promise<void> {
    const key = memberKey(m);
    const existing = known.get(key);
    if (existing && existing.status?.phase && existing.status.phase !== 'Pending') return;
    if ((b.status?.skipped ?? []).some((s) => s.member === key)) return;
    const engine = engineByKind(b.spec.engine);
    if (!engine) return;
    const name = memberRecordName(b.metadata.name, m);
    const home = this.o.clusters.home;
    const ns = this.o.records.namespace;
    if (!existing) {
      const lock = await acquireDatabaseLock(home, ns, lockName(b.spec.cluster, m.namespace, engine.kind, m.name), name, async (holder) => {
        const r = await this.o.records.get(holder);
        return r === undefined ? 'missing' : isActive(r.status?.phase) ? 'active' : 'finished';
      });
      if (!lock.ok) {
        await this.o.batches.mutateStatus(b.metadata.name, (s) => {
          if ((s.skipped ?? []).some((x) => x.member === key)) return false;
          s.skipped = [...(s.skipped ?? []), { member: key, message: `another update of it is in flight (\`${lock.holder}\`), so it was not started` }];
          return true;
        });
        this.o.log.warn({ audit: 'skip', batch: b.metadata.name, member: key, holder: lock.holder }, 'fleet member skipped: its database is locked');
        return;
      }
      const now = this.now();
      const record: DatabaseUpdate = {
        apiVersion: RECORD_API_VERSION,
        kind: RECORD_KIND,
        metadata: { name, namespace: ns, labels: { [LABEL_ENGINE]: engine.name, [LABEL_DATABASE]: m.name, [LABEL_DB_NAMESPACE]: m.namespace, [LABEL_BATCH]: b.metadata.name } },
        spec: {
          engine: b.spec.engine,
          database: { cluster: b.spec.cluster, namespace: m.namespace, name: m.name, ...(m.uid ? { uid: m.uid } : {}) },
          requestedVersion: b.spec.requestedVersion,
          fromVersion: m.fromVersion,
          targetVersion: m.targetVersion,
          updateType: m.updateType,
          backend: m.backend,
          requester: b.spec.requester,
          ...(b.spec.reason ? { reason: b.spec.reason } : {}),
          channel: b.spec.channel,
          expiresAt: new Date(now.getTime() + parseDuration(this.o.config.requestTtl)).toISOString(),
          approvers: b.spec.approvers,
          approvalsRequired: b.spec.approvalsRequired,
          ...(b.spec.approverMention ? { approverMention: b.spec.approverMention } : {}),
          allowSelfApproval: b.spec.allowSelfApproval ?? false,
          ...(m.replicas !== undefined ? { replicas: m.replicas } : {}),
          batch: b.metadata.name,
        },
      };
      try {
        await this.o.records.create(record);
      } catch (err) {
        if (!isConflict(err)) throw err;
      }
    }
    const votes = b.status?.approvals ?? [];
    await this.o.records.mutateStatus(name, (st) => {
      if ((st.phase ?? 'Pending') !== 'Pending') return false;
      st.phase = 'Approved';
      st.approvals = votes;
      return true;
    });
  }

  /** A cancelled or aborted batch: cancel the members written but not started (Pending, Approved, Scheduled); running ones finish. */
  private async cancelMembers(b: DatabaseUpdateBatch): Promise<void> {
    const c = b.status?.cancellation;
    for (const r of membersOf(this.o.recordInformer, b.metadata.name).values()) {
      if (!['Pending', 'Approved', 'Scheduled'].includes(r.status?.phase ?? 'Pending')) continue;
      await this.o.records.mutateStatus(r.metadata.name, (st) => {
        if (!['Pending', 'Approved', 'Scheduled'].includes(st.phase ?? 'Pending')) return false;
        st.phase = 'Cancelled';
        st.cancellation = { user: c?.user ?? b.spec.requester, at: c?.at ?? this.now().toISOString() };
        st.finishedAt = this.now().toISOString();
        return true;
      });
    }
  }
}
