/**
 * Simulated KubeDB Ops Manager (the enterprise operator), `UpdateVersion` OpsRequests only. It follows
 * KubeDB's "update version overview" docs (kubedb.com/docs/…/guides/{mysql,postgres}/update-version/overview,
 * summarised in docs/kubedb-facts.md): pause the database, Postgres-major pre-update, update the
 * workload images, (PerconaXtraDB/ProxySQL: checks after each pod), set the database's `spec.version`,
 * resume. Every step is done for real over the API server and recorded as an OpsRequest condition
 * (`{type,status,reason,message,lastTransitionTime,observedGeneration}`) and a core v1 Event on the
 * OpsRequest (reason = condition type, component `KubeDB Ops-manager Operator`).
 *
 * Condition types, in order (names from kubedb/apimachinery `apis/ops/v1alpha1/constant.go` via
 * docs/kubedb-facts.md; the per-pod `<Check>--<pod>` form mirrors Ops Manager's per-pod conditions and is
 * opaque to readers):
 * - all: `Progressing`, `DatabasePauseSucceeded`;
 * - Postgres major only: `CopiedOldBinaries`;
 * - all: `CheckPodReady--<pod>` per replaced pod (highest ordinal first);
 *   PerconaXtraDB: `CheckReplicationInSync--<pod>`, ProxySQL: `CheckProxySQLInSync--<pod>` after each pod;
 * - all: `UpdatePetSetsSucceeded`, `VersionUpdateSucceeded`, `DatabaseResumeSucceeded`, `Successful`
 *   (reason `OpsRequestSuccessful`, as in KubeDB's OpsRequest docs samples).
 * Phases: `Pending` (written at once; also while another OpsRequest of the same database runs) →
 * `Progressing` → `Successful` | `Failed`.
 *
 * Images: MySQL/Postgres (and the others) roll the PetSet with `partition: 0` (the workload controller
 * replaces pods highest ordinal first); PerconaXtraDB/ProxySQL step `rollingUpdate.partition` down one pod
 * at a time and run the checks between pods. A MySQL major update replaces the PetSet in KubeDB; here it
 * updates the images in place and says so in the `UpdatePetSetsSucceeded` message.
 *
 * Failures end in the failing step's condition with `status: False` (`DatabasePauseFailed`,
 * `CopiedOldBinaries`, `UpdatePetSetsFailed`, `CheckReplicationInSync--<pod>`/`CheckProxySQLInSync--<pod>`
 * or `VersionUpdateFailed`, `DatabaseResumeFailed`), then a `Failed` condition (status True) with the same
 * reason and message, phase `Failed`, and a Warning Event. Validation failures (`UnsupportedOpsRequestType`,
 * `InvalidDatabaseRef`, `DatabaseNotFound`, `VersionNotFound`, `DeprecatedVersion`, `DatabaseNotReady`
 * for `apply: IfReady`) write only the `Failed` condition.
 * State left after a failure (the simulator's choice; KubeDB's exact behaviour was not verified): the
 * database stays **paused** (`Paused` condition kept, so the provisioner does not touch it) once the pause
 * succeeded; the PetSet keeps the target images it was given (pods may run mixed versions: the rollout
 * stalls at a pod that never becomes Ready); `spec.version` is unchanged unless the failure is at
 * `resume` (then it names the target). Nothing is rolled back.
 */
import type { Engine } from '../../src/engines/table.js';
import { updateType } from '../../src/engines/versions.js';
import type { KubeObject, SharedInformers, SimClient } from './client.js';
import { PETSET_GVR, POD_GVR, Timers, catalogGvr, conditionsOf, dbGvr, isPaused, now, opsGvr, recordEvent, setCondition, type Condition } from './common.js';
import { imagesFromCatalog, setTemplateImages } from './template.js';
import { podProblem, podReady } from './pods.js';

/** A step at which a failure can be injected. */
export type OpsStep = 'pause' | 'pre-update' | 'images' | 'checks' | 'resume';

/** Options of {@link startOpsManager}. */
export interface OpsManagerOptions {
  /** Delay before each step, ms. */
  stepDelayMs: number;
  /** Longest wait for the pods to run the new images and be Ready, ms (a shorter `spec.timeout` wins). */
  opsTimeoutMs: number;
  /** The step to fail at, if any (read when the step starts). */
  failAt: () => OpsStep | undefined;
}

const COMPONENT = 'KubeDB Ops-manager Operator';

/** A Go duration (`5m`, `1h30m`, `90s`, `500ms`) in ms, or undefined when absent or unreadable. */
export function parseGoDuration(s: unknown): number | undefined {
  if (typeof s !== 'string' || !/^(\d+(\.\d+)?(ns|us|µs|ms|s|m|h))+$/.test(s)) return undefined;
  const unit: Record<string, number> = { ns: 1e-6, us: 1e-3, µs: 1e-3, ms: 1, s: 1e3, m: 6e4, h: 3.6e6 };
  let total = 0;
  for (const m of s.matchAll(/(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)/g)) total += Number(m[1]) * unit[m[2]];
  return total;
}

class StepFailure extends Error {
  constructor(
    readonly condition: Condition | undefined,
    readonly reason: string,
    message: string,
  ) {
    super(message);
  }
}
class Aborted extends Error {}

/**
 * Start the Ops Manager for `engines` (follows their `<Kind>OpsRequest`s through shared informers; every read
 * that decides a step is a fresh GET, every write a read-modify-write through `/status`). KubeDB's ops
 * webhook is served apart (webhook.ts). Returns `stop()`.
 */
export function startOpsManager(client: SimClient, informers: SharedInformers, engines: readonly Engine[], opts: OpsManagerOptions): { stop(): void } {
  const timers = new Timers();
  const seen = new Set<string>();
  const chains = new Map<string, Promise<void>>();
  const stops: Array<() => void> = [];

  async function onOps(e: Engine, ops: KubeObject): Promise<void> {
    const uid = ops.metadata.uid!;
    const phase = (ops.status as { phase?: string } | undefined)?.phase;
    if (seen.has(uid) || (phase && phase !== 'Pending')) return;
    seen.add(uid);
    const ref = (ops.spec as Record<string, { name?: string } | undefined>)?.[e.opsRequestRefField]?.name ?? '';
    const key = `${e.kind}/${ops.metadata.namespace}/${ref}`;
    try {
      await writeOps(e, ops, (st) => {
        if (!st.phase) st.phase = 'Pending';
      });
    } catch {
      seen.delete(uid);
      return; // deleted meanwhile (or the write failed: the next event retries)
    }
    const prev = chains.get(key) ?? Promise.resolve();
    const next = prev.then(() => run(e, ops.metadata.namespace!, ops.metadata.name, uid)).catch(() => undefined);
    chains.set(key, next);
    void next.then(() => {
      if (chains.get(key) === next) chains.delete(key);
    });
  }

  /** Change the OpsRequest's status (retrying conflicts). @throws Aborted when it is gone or replaced. */
  async function writeOps(e: Engine, ops: { metadata: { namespace?: string; name: string; uid?: string } }, fn: (st: Record<string, any>, obj: KubeObject) => void): Promise<KubeObject> {
    const out = await client.mutate(opsGvr(e), ops.metadata.namespace, ops.metadata.name, (o) => {
      if (o.metadata.uid !== ops.metadata.uid) return false;
      const st = { ...((o.status as object) ?? {}) } as Record<string, any>;
      fn(st, o);
      st.observedGeneration = o.metadata.generation;
      o.status = st;
    }, 'status');
    if (!out || out.metadata.uid !== ops.metadata.uid) throw new Aborted();
    return out;
  }

  async function run(e: Engine, ns: string, name: string, uid: string): Promise<void> {
    const ops = await client.get(opsGvr(e), ns, name);
    if (!ops || ops.metadata.uid !== uid) return;
    const ref = { metadata: { namespace: ns, name, uid } };
    const cond = async (c: Condition, phase?: string) => {
      const written = await writeOps(e, ref, (st, o) => {
        st.conditions = setCondition(conditionsOf({ ...o, status: st } as KubeObject), { ...c, observedGeneration: o.metadata.generation });
        if (phase) st.phase = phase;
      });
      await recordEvent(client, written, c.status === 'False' || c.type === 'Failed' ? 'Warning' : 'Normal', c.type, c.message ?? '', COMPONENT);
    };
    const step = async (s: OpsStep | 'validate') => {
      await timers.sleep(opts.stepDelayMs);
      if (timers.isStopped) throw new Aborted();
      const cur = await client.get(opsGvr(e), ns, name);
      if (!cur || cur.metadata.uid !== uid) throw new Aborted();
      return s !== 'validate' && opts.failAt() === s;
    };
    try {
      await step('validate');
      const v = await validate(e, ops);
      const { db, target, current } = v;
      const dbRef = `${e.kind} ${ns}/${db.metadata.name}`;
      const targetName = target.metadata.name;
      await cond({ type: 'Progressing', status: 'True', reason: 'OpsRequestProgressingStarted', message: `Controller has started to Progress the ${e.opsRequestKind}: ${ns}/${name}` }, 'Progressing');

      if (await step('pause')) {
        throw new StepFailure({ type: 'DatabasePauseFailed', status: 'False', reason: 'DatabasePauseFailed', message: `Failed to pause ${dbRef}: injected failure (simulator)` }, 'DatabasePauseFailed', `Failed to pause ${dbRef}: injected failure (simulator)`);
      }
      await requestPause(e, ns, db.metadata.name, `${e.opsRequestKind} ${name} is in process`);
      await waitForPauseApproval(e, ns, db.metadata.name, name, uid);
      await cond({ type: 'DatabasePauseSucceeded', status: 'True', reason: 'DatabasePauseSucceeded', message: `Successfully paused ${dbRef}` });

      const fromV = String((current?.spec as { version?: string })?.version ?? (db.spec as { version?: string }).version);
      const toV = String((target.spec as { version?: string }).version);
      const kind = updateType(e, fromV, toV);
      if (e.kind === 'Postgres' && kind === 'major') {
        if (await step('pre-update')) {
          const msg = `Failed to copy the old binaries of PostgreSQL ${fromV} for the major update to ${toV}: injected failure (simulator)`;
          throw new StepFailure({ type: 'CopiedOldBinaries', status: 'False', reason: 'CopyOldBinariesFailed', message: msg }, 'CopyOldBinariesFailed', msg);
        }
        await cond({ type: 'CopiedOldBinaries', status: 'True', reason: 'CopiedOldBinaries', message: `Copied the binaries and libraries of PostgreSQL ${fromV} to the data volume for pg_upgrade to ${toV}` });
      }

      if (await step('images')) {
        const msg = `Failed to update the images of PetSet ${ns}/${db.metadata.name}: injected failure (simulator)`;
        throw new StepFailure({ type: 'UpdatePetSetsFailed', status: 'False', reason: 'UpdatePetSetsFailed', message: msg }, 'UpdatePetSetsFailed', msg);
      }
      const images = imagesFromCatalog(e, target);
      await rollImages(e, ns, db.metadata.name, images, ops, cond);
      const how = e.kind === 'MySQL' && kind === 'major' ? ` (major update ${fromV} → ${toV}: KubeDB creates a new PetSet; simulated in place)` : '';
      await cond({ type: 'UpdatePetSetsSucceeded', status: 'True', reason: 'UpdatePetSetsSucceeded', message: `Successfully updated the images of PetSet ${ns}/${db.metadata.name} to ${images[e.container]}${how}; all pods are Ready` });

      if (await step('checks')) {
        const msg = `Failed to update the version of ${dbRef} to ${targetName}: injected failure (simulator)`;
        throw new StepFailure({ type: 'VersionUpdateFailed', status: 'False', reason: 'VersionUpdateFailed', message: msg }, 'VersionUpdateFailed', msg);
      }
      await client.mutate(dbGvr(e), ns, db.metadata.name, (o) => {
        (o.spec as Record<string, unknown>).version = targetName;
      });
      await cond({ type: 'VersionUpdateSucceeded', status: 'True', reason: 'VersionUpdateSucceeded', message: `Successfully updated the version of ${dbRef} to ${targetName}` });

      if (await step('resume')) {
        const msg = `Failed to resume ${dbRef}: injected failure (simulator)`;
        throw new StepFailure({ type: 'DatabaseResumeFailed', status: 'False', reason: 'DatabaseResumeFailed', message: msg }, 'DatabaseResumeFailed', msg);
      }
      await resumeDatabase(e, ns, db.metadata.name);
      await cond({ type: 'DatabaseResumeSucceeded', status: 'True', reason: 'DatabaseResumeSucceeded', message: `Successfully resumed ${dbRef}` });
      await cond({ type: 'Successful', status: 'True', reason: 'OpsRequestSuccessful', message: `Controller has successfully updated the version of ${dbRef} to ${targetName}` }, 'Successful');
    } catch (err) {
      if (err instanceof Aborted) return;
      const f = err instanceof StepFailure ? err : new StepFailure(undefined, 'OpsRequestFailed', (err as Error)?.message ?? String(err));
      try {
        if (f.condition) await cond(f.condition);
        await cond({ type: 'Failed', status: 'True', reason: f.reason, message: f.message }, 'Failed');
      } catch {
        /* the OpsRequest is gone */
      }
    }
  }

  async function validate(e: Engine, ops: KubeObject): Promise<{ db: KubeObject; target: KubeObject; current?: KubeObject }> {
    const spec = (ops.spec ?? {}) as Record<string, any>;
    const fail = (reason: string, message: string) => new StepFailure(undefined, reason, message);
    if (spec.type !== 'UpdateVersion') throw fail('UnsupportedOpsRequestType', `spec.type ${JSON.stringify(spec.type)} is not handled by the simulated Ops Manager (UpdateVersion only)`);
    const refName = spec[e.opsRequestRefField]?.name;
    if (!refName) throw fail('InvalidDatabaseRef', `spec.${e.opsRequestRefField}.name is required`);
    const db = await client.get(dbGvr(e), ops.metadata.namespace, refName);
    if (!db) throw fail('DatabaseNotFound', `${e.kind} ${ops.metadata.namespace}/${refName} not found`);
    const targetName = spec.updateVersion?.targetVersion;
    const target = typeof targetName === 'string' && targetName ? await client.get(catalogGvr(e), undefined, targetName) : undefined;
    if (!target) throw fail('VersionNotFound', `${e.catalogKind} ${JSON.stringify(targetName ?? '')} not found`);
    if ((e.kind === 'PerconaXtraDB' || e.kind === 'ProxySQL') && (target.spec as { deprecated?: boolean }).deprecated) {
      throw fail('DeprecatedVersion', `${e.catalogKind} ${targetName} is deprecated and cannot be a target of ${e.kind} ${ops.metadata.namespace}/${refName}`);
    }
    const phase = (db.status as { phase?: string } | undefined)?.phase;
    if ((spec.apply ?? 'IfReady') === 'IfReady' && phase !== 'Ready') {
      throw fail('DatabaseNotReady', `${e.kind} ${ops.metadata.namespace}/${refName} is ${phase ?? 'not provisioned'}, not Ready; apply: IfReady`);
    }
    const currentName = String((db.spec as { version?: string }).version ?? '');
    const current = currentName ? await client.get(catalogGvr(e), undefined, currentName) : undefined;
    return { db, target, current };
  }

  /**
   * Ask for a pause as Ops Manager does: the status condition `Paused`=`Unknown`, reason `Paused`, message
   * "<Kind>OpsRequest <name> is in process" (KubeDB ops-manager, Hazelcast ops controller `pauseHazelcast`);
   * the provisioner approves it by setting `True`. A database that already has a `Paused` condition is left as it is.
   */
  async function requestPause(e: Engine, ns: string, name: string, message: string): Promise<void> {
    await client.mutate(dbGvr(e), ns, name, (o) => {
      const list = conditionsOf(o);
      if (list.some((c) => c.type === 'Paused')) return false;
      const at = now();
      o.status = { ...((o.status as object) ?? {}), conditions: [...list, { type: 'Paused', status: 'Unknown', reason: 'Paused', message, observedGeneration: o.metadata.generation, lastTransitionTime: at }] };
    }, 'status');
  }

  /** Wait until the provisioner has approved the pause (`Paused`=`True`), as Ops Manager requeues "waiting for the pause request to be approved by Provisioner". */
  async function waitForPauseApproval(e: Engine, ns: string, name: string, opsName: string, uid: string): Promise<void> {
    const deadline = Date.now() + opts.opsTimeoutMs;
    for (;;) {
      const db = await client.get(dbGvr(e), ns, name);
      if (db && isPaused(db)) return;
      if (Date.now() > deadline) {
        const msg = `${e.kind} ${ns}/${name}: the provisioner did not approve the pause request within ${Math.round(opts.opsTimeoutMs / 1000)}s`;
        throw new StepFailure({ type: 'DatabasePauseFailed', status: 'False', reason: 'DatabasePauseFailed', message: msg }, 'DatabasePauseFailed', msg);
      }
      await timers.sleep(Math.max(10, Math.min(opts.stepDelayMs, 200)));
      if (timers.isStopped || (await client.get(opsGvr(e), ns, opsName))?.metadata.uid !== uid) throw new Aborted();
    }
  }

  /** Resume: remove the `Paused` condition (kubedb/apimachinery `pkg/webhooks/ops/v1alpha1/shared.go` `resumeDatabase`). */
  async function resumeDatabase(e: Engine, ns: string, name: string): Promise<void> {
    await client.mutate(dbGvr(e), ns, name, (o) => {
      const list = conditionsOf(o);
      if (!list.some((c) => c.type === 'Paused')) return false;
      o.status = { ...((o.status as object) ?? {}), conditions: list.filter((c) => c.type !== 'Paused') };
    }, 'status');
  }

  /**
   * Set the target images on the PetSet and wait until every pod runs them and is Ready, emitting
   * `CheckPodReady--<pod>` (and the PerconaXtraDB/ProxySQL check) per pod. @throws StepFailure on timeout.
   */
  async function rollImages(e: Engine, ns: string, setName: string, images: Record<string, string>, ops: KubeObject, cond: (c: Condition) => Promise<void>): Promise<void> {
    const stepwise = e.kind === 'PerconaXtraDB' || e.kind === 'ProxySQL';
    const set = await client.get(PETSET_GVR, ns, setName);
    if (!set) {
      const msg = `PetSet ${ns}/${setName} not found`;
      throw new StepFailure({ type: 'UpdatePetSetsFailed', status: 'False', reason: 'UpdatePetSetsFailed', message: msg }, 'UpdatePetSetsFailed', msg);
    }
    const replicas = (set.spec as { replicas?: number }).replicas ?? 1;
    await client.mutate(PETSET_GVR, ns, setName, (s) => {
      const sp = s.spec as Record<string, any>;
      setTemplateImages(sp.template, images);
      sp.updateStrategy = { type: 'RollingUpdate', rollingUpdate: { partition: stepwise ? replicas - 1 : 0 } };
    });
    const want = images[e.container];
    const timeout = Math.min(opts.opsTimeoutMs, parseGoDuration((ops.spec as { timeout?: unknown }).timeout) ?? Infinity);
    const checkType = e.kind === 'PerconaXtraDB' ? 'CheckReplicationInSync' : 'CheckProxySQLInSync';
    const done = new Set<number>();
    let failure: StepFailure | undefined;

    const pods = informers.get(POD_GVR);
    /** One pass: record every pod newly on the target images and Ready; true once all are (or a check failed). */
    const progress = async (): Promise<boolean> => {
      if (failure) return true;
      for (let i = replicas - 1; i >= 0; i--) {
        if (done.has(i)) continue;
        const podName = `${setName}-${i}`;
        const pod = pods.get(ns, podName);
        const image = ((pod?.spec as { containers?: Array<{ name: string; image: string }> })?.containers ?? []).find((c) => c.name === e.container)?.image;
        if (!pod || pod.metadata.deletionTimestamp || image !== want || !podReady(pod)) return false;
        done.add(i);
        await cond({ type: `CheckPodReady--${podName}`, status: 'True', reason: 'CheckPodReady', message: `Pod ${ns}/${podName} is Ready and runs ${want}` });
        if (stepwise) {
          if (opts.failAt() === 'checks') {
            const msg = e.kind === 'PerconaXtraDB' ? `Replication of ${ns}/${podName} is not in sync after the image update: injected failure (simulator)` : `ProxySQL ${ns}/${podName} is not in sync with its backend after the image update: injected failure (simulator)`;
            failure = new StepFailure({ type: `${checkType}--${podName}`, status: 'False', reason: 'CheckFailed', message: msg }, 'VersionUpdateFailed', msg);
            return true;
          }
          await cond({
            type: `${checkType}--${podName}`,
            status: 'True',
            reason: 'CheckSucceeded',
            message: e.kind === 'PerconaXtraDB' ? `Replication of ${ns}/${podName} is in sync (wsrep_local_state_comment: Synced); database size about the same as before the update` : `ProxySQL ${ns}/${podName} is online; users and backend servers in sync`,
          });
          if (i > 0) {
            await client.mutate(PETSET_GVR, ns, setName, (s) => {
              (s.spec as Record<string, any>).updateStrategy = { type: 'RollingUpdate', rollingUpdate: { partition: i - 1 } };
            });
          }
        }
      }
      return true;
    };

    const ok = await waitUntil(progress, timeout);
    if (failure) throw failure;
    if (!ok) {
      const stuck = [...Array(replicas).keys()].reverse().find((i) => !done.has(i)) ?? 0;
      const pod = pods.get(ns, `${setName}-${stuck}`);
      const msg = `Timeout after ${Math.round(timeout / 1000)}s waiting for pod ${ns}/${setName}-${stuck} to be Ready with image ${want}: ${podProblem(pod)}`;
      throw new StepFailure({ type: 'UpdatePetSetsFailed', status: 'False', reason: 'UpdatePetSetsFailed', message: msg }, 'UpdatePetSetsFailed', msg);
    }
  }

  /**
   * Resolve true once `pred()` holds (checked at once, on every change of a managed pod, and every 250 ms
   * as a backstop), false after `timeoutMs` or on stop. Checks never overlap. @throws what `pred` throws
   * (but {@link Aborted}, which ends the wait with true so the caller's next step sees it).
   */
  function waitUntil(pred: () => Promise<boolean>, timeoutMs: number): Promise<boolean> {
    const pods = informers.get(POD_GVR);
    return new Promise((resolve, reject) => {
      let finished = false;
      let running = false;
      let again = false;
      const abort = () => finish(false);
      const finish = (v: boolean, err?: unknown) => {
        if (finished) return;
        finished = true;
        off();
        clearInterval(poll);
        clearTimeout(deadline);
        const i = stops.indexOf(abort);
        if (i >= 0) stops.splice(i, 1);
        if (err) reject(err);
        else resolve(v);
      };
      const check = () => {
        if (finished) return;
        if (running) {
          again = true;
          return;
        }
        running = true;
        pred().then(
          (ok) => {
            running = false;
            if (ok) finish(true);
            else if (again) {
              again = false;
              check();
            }
          },
          (err) => {
            running = false;
            if (err instanceof Aborted) finish(true);
            else finish(false, err);
          },
        );
      };
      const off = pods.on(() => check());
      const poll = setInterval(check, 250);
      const deadline = Number.isFinite(timeoutMs) ? setTimeout(() => finish(false), timeoutMs) : undefined;
      stops.push(abort);
      check();
    });
  }

  for (const e of engines) {
    const inf = informers.get(opsGvr(e));
    const handle = (o: KubeObject) => {
      onOps(e, o).catch(() => undefined);
    };
    stops.push(inf.on((type, o) => {
      if (type !== 'delete') handle(o);
    }));
    void inf.synced.then(() => inf.list().forEach(handle));
  }
  return {
    stop() {
      timers.stop();
      for (const s of stops.splice(0)) s();
    },
  };
}
