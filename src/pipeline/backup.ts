/**
 * The backup before a major update (issue #19 item 3), as a {@link PipelineBackend} that wraps either
 * backend: for a Running *major* update, where KubeStash is installed and a `BackupConfiguration` targets
 * the database, it first creates one `BackupSession` per session of that BackupConfiguration — the objects
 * `kubectl kubestash trigger` creates (`src/kube/kubestash.ts`) — and waits for them to succeed, before the
 * wrapped backend's first pass pauses anything. Its step `backup` ("backed up", with the Snapshots' names)
 * goes to the thread like every step.
 *
 * Policy `backup.beforeMajor` (`src/policy/reports.ts`): `off` never backs up; `ifConfigured` backs up
 * where a BackupConfiguration targets the database and goes straight on where none does; `required`
 * fails the update, before anything is paused, where none does (preflight refuses such a request first:
 * `src/updates/preflight.ts`). A BackupSession that ends `Failed` or `Skipped`, a Snapshot that is
 * `Failed`, or no success within `backup.timeout` fails the update before anything is paused.
 *
 * State lives in `status.backup` (written by the reconciler with the pass's other fields); every pass is
 * idempotent: BackupSession names are deterministic (the update's start time), so a create retried after
 * a crash meets 409 and is adopted when it carries this record's label. While it waits the pass asks to
 * be run again after {@link BackupGateOptions.pollMs} (one GET per BackupSession).
 */
import type { Logger } from 'pino';
import { isConflict, statusCode, statusMessage } from '../kube/errors.js';
import { backupConfigurationsFor, backupSessions, buildBackupSession, snapshots, type BackupSessionObject } from '../kube/kubestash.js';
import type { BackupPolicy } from '../policy/reports.js';
import { parseDuration } from '../policy/config.js';
import { LABEL_RECORD, type BackupStatus, type DatabaseUpdate, type Step } from '../api/v1alpha1/databaseupdate.js';
import type { PassInput, PassResult, PipelineBackend, RunPlan, Waker } from './backend.js';

/** Options of {@link BackupGate}. */
export interface BackupGateOptions {
  log: Logger;
  /** The policy now (read at each pass: the configuration of the running bot). */
  policy: () => BackupPolicy;
  /** How often (ms) a running backup is looked at (default 2000). */
  pollMs?: number;
}

/** Default poll period of a running backup, ms. */
export const BACKUP_POLL_MS = 2000;

/** The record without its backup step, and starting when the backup finished (what the wrapped backend sees). */
function innerView(record: DatabaseUpdate, b: BackupStatus | undefined): DatabaseUpdate {
  const status = record.status ?? {};
  return { ...record, status: { ...status, steps: (status.steps ?? []).filter((s) => s.name !== 'backup'), ...(b?.finishedAt ? { startedAt: b.finishedAt } : {}) } };
}

function backupStep(b: BackupStatus): Step {
  const state = b.state === 'Running' ? 'Running' : b.state;
  const step: Step = { name: 'backup', state, startedAt: b.startedAt };
  if (b.finishedAt) step.finishedAt = b.finishedAt;
  if (b.state === 'Succeeded') step.message = `KubeStash snapshot ${(b.snapshots ?? []).map((s) => `\`${s}\``).join(', ') || '(none reported)'} (BackupConfiguration \`${b.configuration}\`)`;
  if (b.state === 'Failed') {
    step.message = b.message ?? 'the backup failed';
    step.reason = 'BackupFailed';
  }
  return step;
}

/** See the module docs. */
export class BackupGate implements PipelineBackend {
  readonly name: PipelineBackend['name'];

  constructor(
    private readonly inner: PipelineBackend,
    private readonly o: BackupGateOptions,
  ) {
    this.name = inner.name;
  }

  stop(): Promise<void> {
    return this.inner.stop();
  }

  onWake(wake: Waker): void {
    this.inner.onWake(wake);
  }

  /**
   * The wrapped backend's plan, with a `backup` step first for a major update unless the policy is `off`.
   * Whether a backup is taken is known only at the first pass (it reads the cluster); where none is, that
   * pass's steps (the wrapped backend's) replace the plan. Until the step has succeeded the thread does not
   * say the OpsRequest, named in the plan, was created (src/slack/render.ts `threadPosts`).
   */
  startRun(input: PassInput): RunPlan {
    const plan = this.inner.startRun(input);
    if (input.record.spec.updateType !== 'major' || this.o.policy().beforeMajor === 'off') return plan;
    return { ...plan, steps: ['backup', ...plan.steps.filter((s) => s !== 'backup')] };
  }

  async pass(input: PassInput): Promise<PassResult> {
    const { record } = input;
    const b = record.status?.backup;
    const policy = this.o.policy();
    if (record.spec.updateType !== 'major' || (!b && policy.beforeMajor === 'off')) return this.inner.pass(input);
    if (!b) {
      // An update the wrapped backend already moved on (started before this bot version): no backup now.
      const begun = (record.status?.steps ?? []).some((s) => s.state !== 'Pending') || record.status?.lastClusterCondition !== undefined;
      if (begun) return this.inner.pass(input);
      return this.start(input, policy);
    }
    if (b.state === 'Succeeded') {
      const res = await this.inner.pass({ ...input, record: innerView(record, b) });
      return { ...res, steps: [backupStep(b), ...res.steps] };
    }
    if (b.state === 'Failed') return this.failed(record, b);
    return this.follow(input, b, policy);
  }

  /** No backup yet: find the BackupConfiguration and create its BackupSessions, or go on / fail by policy. */
  private async start(input: PassInput, policy: BackupPolicy): Promise<PassResult> {
    const { kube, engine, record, now } = input;
    const { namespace, name } = record.spec.database;
    const configs = await backupConfigurationsFor(kube, engine, namespace, name);
    const bc = configs.find((c) => (c.spec.sessions ?? []).some((s) => s.name));
    if (!bc) {
      if (policy.beforeMajor !== 'required') return this.inner.pass(input);
      const nowIso = now.toISOString();
      return this.failed(record, {
        state: 'Failed',
        configuration: '',
        sessions: [],
        startedAt: nowIso,
        finishedAt: nowIso,
        message: `no KubeStash BackupConfiguration (with a session) targets ${engine.kind} \`${namespace}/${name}\`, and the policy requires a backup before a major update (\`backup.beforeMajor: required\`)`,
      });
    }
    const startedAt = record.status?.startedAt ?? now.toISOString();
    const unix = Math.floor(Date.parse(startedAt) / 1000);
    const created: string[] = [];
    for (const session of (bc.spec.sessions ?? []).filter((s) => s.name)) {
      const body = buildBackupSession(bc, session, unix, { [LABEL_RECORD]: record.metadata.name, 'app.kubernetes.io/managed-by': 'dbupdate' });
      try {
        await backupSessions(kube).create(body);
        this.o.log.info({ audit: 'backup-session-created', record: record.metadata.name, backupSession: `${namespace}/${body.metadata.name}` }, 'BackupSession created');
      } catch (err) {
        const code = statusCode(err) ?? 0;
        if (code === 429 || code >= 500 || code === 0) throw err; // retried by the queue
        if (!isConflict(err)) {
          const nowIso = now.toISOString();
          return this.failed(record, { state: 'Failed', configuration: `${namespace}/${bc.metadata.name}`, sessions: created, startedAt: nowIso, finishedAt: nowIso, message: `the BackupSession could not be created: ${statusMessage(err)}` });
        }
        const existing = await backupSessions(kube).get(namespace, body.metadata.name);
        if (existing && existing.metadata.labels?.[LABEL_RECORD] !== record.metadata.name) {
          const nowIso = now.toISOString();
          return this.failed(record, { state: 'Failed', configuration: `${namespace}/${bc.metadata.name}`, sessions: created, startedAt: nowIso, finishedAt: nowIso, message: `a BackupSession named \`${body.metadata.name}\` already exists and is not this update's` });
        }
      }
      created.push(body.metadata.name);
    }
    const b: BackupStatus = { state: 'Running', configuration: `${namespace}/${bc.metadata.name}`, sessions: created, startedAt: now.toISOString() };
    return { steps: [backupStep(b), ...innerView(record, undefined).status!.steps!], fields: { backup: b }, requeueAfterMs: this.o.pollMs ?? BACKUP_POLL_MS };
  }

  /** A running backup: read its BackupSessions; succeed, fail, time out or wait. */
  private async follow(input: PassInput, b: BackupStatus, policy: BackupPolicy): Promise<PassResult> {
    const { kube, record, now } = input;
    const { namespace } = record.spec.database;
    const nowIso = now.toISOString();
    const sessions: Array<{ name: string; obj: BackupSessionObject | undefined }> = [];
    for (const name of b.sessions) sessions.push({ name, obj: await backupSessions(kube).get(namespace, name) });
    const bad = sessions.find((s) => !s.obj || s.obj.status?.phase === 'Failed' || s.obj.status?.phase === 'Skipped');
    if (bad) {
      const phase = bad.obj?.status?.phase;
      const why = !bad.obj
        ? 'was deleted before it finished'
        : `is \`${phase}\`${reasonOf(bad.obj) ? `: ${reasonOf(bad.obj)}` : ''}`;
      return this.failed(record, { ...b, state: 'Failed', finishedAt: nowIso, message: `BackupSession \`${namespace}/${bad.name}\` ${why}` });
    }
    if (sessions.every((s) => s.obj!.status?.phase === 'Succeeded')) {
      const names = sessions.flatMap((s) => (s.obj!.status?.snapshots ?? []).map((x) => x.name).filter((x): x is string => !!x));
      for (const snap of names) {
        const obj = await snapshots(kube).get(namespace, snap);
        if (obj?.status?.phase === 'Failed') {
          return this.failed(record, { ...b, state: 'Failed', snapshots: names, finishedAt: nowIso, message: `Snapshot \`${namespace}/${snap}\` is \`Failed\`` });
        }
      }
      const done: BackupStatus = { ...b, state: 'Succeeded', snapshots: names, finishedAt: nowIso };
      this.o.log.info({ audit: 'backed-up', record: record.metadata.name, snapshots: names }, 'backup before the major update succeeded');
      // Written now (its own pass), so the thread says *backed up* before anything is paused.
      return { steps: [backupStep(done), ...innerView(record, undefined).status!.steps!], fields: { backup: done } };
    }
    const timeoutMs = parseDuration(policy.timeout);
    if (now.getTime() - Date.parse(b.startedAt) > timeoutMs) {
      const running = sessions.filter((s) => s.obj!.status?.phase !== 'Succeeded').map((s) => `\`${s.name}\` (${s.obj!.status?.phase ?? 'Pending'})`);
      return this.failed(record, { ...b, state: 'Failed', finishedAt: nowIso, message: `the backup did not succeed within ${policy.timeout} (\`backup.timeout\`): BackupSession ${running.join(', ')}` });
    }
    return { steps: [backupStep(b), ...innerView(record, undefined).status!.steps!], requeueAfterMs: this.o.pollMs ?? BACKUP_POLL_MS };
  }

  /** The update fails on its backup: nothing was paused. */
  private failed(record: DatabaseUpdate, b: BackupStatus): PassResult {
    const { namespace, name } = record.spec.database;
    const kubectl = b.sessions.length ? ` See \`kubectl describe backupsessions.core.kubestash.com -n ${namespace} ${b.sessions[b.sessions.length - 1]}\`.` : '';
    const setup = b.configuration ? '' : ` Set up a KubeStash BackupConfiguration whose \`spec.target\` is this database (apiGroup \`kubedb.com\`, kind, namespace, name), or change \`backup.beforeMajor\`.`;
    return {
      steps: [backupStep(b), ...innerView(record, undefined).status!.steps!],
      fields: { backup: b },
      outcome: 'Failed',
      message: `The backup before this major update failed: ${b.message}. Nothing was paused or changed: \`${namespace}/${name}\` still runs \`${record.spec.fromVersion}\`.${kubectl}${setup} Fix the backup, then request the update again.`,
    };
  }
}

/** The newest condition's message of a BackupSession that did not succeed, if any. */
function reasonOf(s: BackupSessionObject): string | undefined {
  const conds = s.status?.conditions ?? [];
  const failed = [...conds].reverse().find((c) => c.status === 'False' || /fail/i.test(c.reason ?? ''));
  return failed?.message ?? failed?.reason;
}
