/**
 * Simulated KubeStash (https://kubestash.com) for the embedded cluster and the real kube-apiserver alike:
 * it talks to the API server only through `@kubernetes/client-node` (a KubeConfig), as the simulated
 * KubeDB does. It installs the CRDs of `./crds.ts` and runs a small BackupSession controller modelled on
 * KubeStash's (kubestash/apimachinery 0116a4cb: `apis/core/v1alpha1/backupsession_types.go`,
 * `apis/storage/v1alpha1/snapshot_types.go`, `snapshot_helpers.go`):
 *
 * a new BackupSession → `status.phase: Running` → a `Snapshot` in its namespace named as
 * `GenerateSnapshotName(repository, backupSession)` does (`<repository>-<session name without its
 * numeric suffix>-<suffix>`), `spec` {snapshotID, type FullBackup, repository, session, backupSession,
 * version v1, appRef = the BackupConfiguration's target, deletionPolicy Delete}, then its status
 * `Succeeded` with `snapshotTime` and `size` → the BackupSession `Succeeded` with `totalSnapshots`,
 * `snapshots[]` {name, phase, repository, appRef} and `duration`.
 *
 * Faults: {@link KubeStashFaults.failBackups} ends sessions `Failed` with KubeStash's condition
 * `BackupExecutorEnsured=False` (reason `FailedToEnsureBackupExecutor`); {@link KubeStashFaults.stallBackups}
 * leaves them `Running` (for timeouts).
 */
import { ApiextensionsV1Api, CustomObjectsApi, KubeConfig, makeInformer, type KubernetesListObject, type KubernetesObject } from '@kubernetes/client-node';
import { MERGE_PATCH } from '../../src/kube/client.js';
import { kubestashCrds } from './crds.js';

export { kubestashCrds } from './crds.js';

const CORE = { group: 'core.kubestash.com', version: 'v1alpha1' };
const STORAGE = { group: 'storage.kubestash.com', version: 'v1alpha1' };

/** Fault injection of a running simulation. */
export interface KubeStashFaults {
  /** End every BackupSession from now on `Failed` (until `false` or {@link clear}). */
  failBackups(on: boolean): void;
  /** Leave every BackupSession from now on `Running` forever (until `false` or {@link clear}). */
  stallBackups(on: boolean): void;
  clear(): void;
}

/** A running simulation. */
export interface KubeStashSim {
  faults: KubeStashFaults;
  /** BackupSessions finished so far, as `namespace/name phase`. */
  finished(): string[];
  stop(): Promise<void>;
}

type Obj = KubernetesObject & { spec?: any; status?: any };

function code(err: unknown): number | undefined {
  const e = err as { code?: number; statusCode?: number };
  return e?.code ?? e?.statusCode;
}

/**
 * Create KubeStash's CRDs (an existing one is left as it is) and wait until the API server serves all three
 * (discovery), at most `timeoutMs` (default 30 000). @throws API errors; Error on the timeout.
 */
export async function installKubeStash(kc: KubeConfig, timeoutMs = 30_000): Promise<void> {
  const ext = kc.makeApiClient(ApiextensionsV1Api);
  for (const crd of kubestashCrds()) {
    try {
      await ext.createCustomResourceDefinition({ body: crd as never });
    } catch (err) {
      if (code(err) !== 409) throw err;
    }
  }
  const custom = kc.makeApiClient(CustomObjectsApi);
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const served = async (g: { group: string; version: string }) => {
      try {
        return ((await custom.getAPIResources(g)) as { resources?: Array<{ name: string }> }).resources?.map((r) => r.name) ?? [];
      } catch {
        return [];
      }
    };
    const core = await served(CORE);
    const storage = await served(STORAGE);
    if (core.includes('backupconfigurations') && core.includes('backupsessions') && storage.includes('snapshots')) return;
    if (Date.now() > deadline) throw new Error('KubeStash CRDs not served after install');
    await new Promise((r) => setTimeout(r, 100));
  }
}

/**
 * A BackupConfiguration of a KubeDB database (KubeStash's KubeDB guides' shape: one backend, one session
 * with a schedule, its repository and the addon), for the tests and the demo.
 */
export function backupConfiguration(o: { namespace: string; name: string; target: { kind: string; name: string }; session?: string; repository?: string; paused?: boolean }): Record<string, unknown> {
  return {
    apiVersion: `${CORE.group}/${CORE.version}`,
    kind: 'BackupConfiguration',
    metadata: { name: o.name, namespace: o.namespace },
    spec: {
      target: { apiGroup: 'kubedb.com', kind: o.target.kind, namespace: o.namespace, name: o.target.name },
      backends: [{ name: 's3-backend', storageRef: { namespace: o.namespace, name: 's3-storage' }, retentionPolicy: { name: 'demo-retention', namespace: o.namespace } }],
      sessions: [
        {
          name: o.session ?? 'frequent-backup',
          scheduler: { schedule: '*/30 * * * *', jobTemplate: { backoffLimit: 1 } },
          repositories: [{ name: o.repository ?? `${o.target.name}-repo`, backend: 's3-backend', directory: `/${o.target.name}`, encryptionSecret: { name: 'encrypt-secret', namespace: o.namespace } }],
          addon: { name: `${o.target.kind.toLowerCase()}-addon`, tasks: [{ name: 'logical-backup' }] },
        },
      ],
      ...(o.paused ? { paused: true } : {}),
    },
  };
}

/** `meta.ValidNameWithPrefixNSuffix` (kmodules). */
function validName(prefix: string, middle: string, suffix: string): string {
  const tail = suffix ? `-${suffix}` : '';
  return `${prefix}-${middle}`.slice(0, 63 - tail.length).replace(/-+$/, '') + tail;
}

/** `GenerateSnapshotName` (storage/v1alpha1 `snapshot_helpers.go`). */
export function snapshotName(repository: string, backupSession: string): string {
  const m = /^(.*)-([0-9]+)$/.exec(backupSession);
  return m ? validName(repository, m[1], m[2]) : validName(repository, backupSession, '');
}

/** Start the BackupSession controller. `delayMs`: time of each stage (default 30). */
export async function startKubeStashSim(kc: KubeConfig, opts: { delayMs?: number } = {}): Promise<KubeStashSim> {
  const delay = opts.delayMs ?? 30;
  const custom = kc.makeApiClient(CustomObjectsApi);
  let fail = false;
  let stall = false;
  let stopped = false;
  const seen = new Set<string>();
  const finished: string[] = [];
  const timers = new Set<NodeJS.Timeout>();
  const sleep = (ms: number) => new Promise<void>((r) => { const t = setTimeout(() => { timers.delete(t); r(); }, ms); timers.add(t); });
  const patchStatus = (g: typeof CORE, plural: string, namespace: string, name: string, status: unknown) =>
    custom.patchNamespacedCustomObjectStatus({ ...g, plural, namespace, name, body: { status } }, MERGE_PATCH);

  const run = async (bs: Obj) => {
    const ns = bs.metadata!.namespace!;
    const name = bs.metadata!.name!;
    const started = Date.now();
    await sleep(delay);
    if (stopped) return;
    await patchStatus(CORE, 'backupsessions', ns, name, { phase: 'Running' });
    await sleep(delay);
    if (stopped || stall) return;
    const now = new Date().toISOString();
    if (fail) {
      await patchStatus(CORE, 'backupsessions', ns, name, {
        phase: 'Failed',
        duration: `${((Date.now() - started) / 1000).toFixed(1)}s`,
        conditions: [{ type: 'BackupExecutorEnsured', status: 'False', reason: 'FailedToEnsureBackupExecutor', message: 'simulated failure: the backup job could not be created', lastTransitionTime: now }],
      });
      finished.push(`${ns}/${name} Failed`);
      return;
    }
    const bcName = bs.spec?.invoker?.name;
    const bc = (await custom.getNamespacedCustomObject({ ...CORE, plural: 'backupconfigurations', namespace: ns, name: bcName })) as Obj;
    const session = (bc.spec?.sessions ?? []).find((s: { name?: string }) => s.name === bs.spec?.session) ?? bc.spec?.sessions?.[0];
    const repository = session?.repositories?.[0]?.name ?? 'default-repo';
    const appRef = bc.spec?.target;
    const snap = snapshotName(repository, name);
    try {
      await custom.createNamespacedCustomObject({
        ...STORAGE,
        plural: 'snapshots',
        namespace: ns,
        body: {
          apiVersion: `${STORAGE.group}/${STORAGE.version}`,
          kind: 'Snapshot',
          metadata: { name: snap, namespace: ns, labels: { 'app.kubernetes.io/managed-by': 'kubestash.com' } },
          spec: { snapshotID: snap.slice(-12), type: 'FullBackup', repository, session: bs.spec?.session, backupSession: name, version: 'v1', appRef, deletionPolicy: 'Delete' },
        },
      });
    } catch (err) {
      if (code(err) !== 409) throw err;
    }
    await patchStatus(STORAGE, 'snapshots', ns, snap, { phase: 'Succeeded', snapshotTime: now, lastUpdateTime: now, size: '12.400 MiB', integrity: true, totalComponents: 1 });
    await patchStatus(CORE, 'backupsessions', ns, name, {
      phase: 'Succeeded',
      duration: `${((Date.now() - started) / 1000).toFixed(1)}s`,
      totalSnapshots: 1,
      snapshots: [{ name: snap, phase: 'Succeeded', repository, appRef }],
    });
    finished.push(`${ns}/${name} Succeeded`);
  };

  const path = `/apis/${CORE.group}/${CORE.version}/backupsessions`;
  const informer = makeInformer<Obj>(kc, path, () => custom.listClusterCustomObject({ ...CORE, plural: 'backupsessions' }) as Promise<KubernetesListObject<Obj>>);
  const onObject = (bs: Obj) => {
    const key = `${bs.metadata?.namespace}/${bs.metadata?.name}`;
    if (stopped || seen.has(key) || bs.status?.phase) return;
    seen.add(key);
    void run(bs).catch(() => seen.delete(key)); // an API error: tried again at the object's next event
  };
  informer.on('add', onObject);
  informer.on('update', onObject);
  informer.on('error', () => {
    if (!stopped) setTimeout(() => void informer.start().catch(() => undefined), 200);
  });
  await informer.start();
  return {
    faults: {
      failBackups(on) {
        fail = on;
      },
      stallBackups(on) {
        stall = on;
      },
      clear() {
        fail = false;
        stall = false;
      },
    },
    finished: () => [...finished],
    async stop() {
      stopped = true;
      for (const t of timers) clearTimeout(t);
      await informer.stop();
    },
  };
}
