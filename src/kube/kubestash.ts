/**
 * Typed access to KubeStash (https://kubestash.com), for the backup before a major update (issue #19
 * item 3). Shapes from kubestash/apimachinery at commit 0116a4cb4eff323fd2792c03cf985fb8ec6dd040:
 * - `core.kubestash.com/v1alpha1` `BackupConfiguration` (`apis/core/v1alpha1/backupconfiguration_types.go`):
 *   `spec.target` a `TypedObjectReference` {apiGroup, kind, namespace, name} — a KubeDB database is
 *   `apiGroup: kubedb.com`, `kind: MySQL`…; the target lives in the BackupConfiguration's namespace;
 *   `spec.sessions[]` each with `name` and an optional `backupTimeout` (a Go duration);
 * - `core.kubestash.com/v1alpha1` `BackupSession` (`backupsession_types.go`): `spec.invoker` {apiGroup,
 *   kind, name}, `spec.session`, `spec.retryLeft`, `spec.backupTimeout`; `status.phase` one of Pending,
 *   Running, Succeeded, Failed, Skipped; `status.snapshots[]` {name, phase, repository, appRef};
 *   `status.conditions[]`;
 * - `storage.kubestash.com/v1alpha1` `Snapshot` (`apis/storage/v1alpha1/snapshot_types.go`): `spec.repository`,
 *   `spec.session`, `spec.backupSession`, `spec.appRef`; `status.phase` Pending|Running|Succeeded|Failed,
 *   `status.snapshotTime`, `status.size`.
 *
 * {@link buildBackupSession} makes the object `kubectl kubestash trigger <backupconfiguration>` creates
 * (kubestash/cli at commit 76ecbc5051e842fcedb049a38f7d7f0391572323, `pkg/trigger.go` `triggerBackup`): in
 * the BackupConfiguration's namespace, named `<backupconfiguration>-<session>-<unix seconds>`
 * (`GenerateBackupSessionName`, `backupsession_helpers.go`), invoker = the BackupConfiguration
 * (apiGroup `core.kubestash.com`), `session`, `retryLeft: 0`, the session's `backupTimeout`, and a
 * controller owner reference to the BackupConfiguration. The bot uses the update's start time as the
 * seconds, so the name is the same on every pass (a create retried after a crash meets 409).
 */
import type { Kube } from './client.js';
import { isNotFound } from './errors.js';
import { NamespacedResource, servedResources, type CustomKind, type KubeCondition } from './resources.js';
import type { Engine } from '../engines/table.js';

/** KubeStash's API groups and version. */
export const KUBESTASH_CORE_GROUP = 'core.kubestash.com';
export const KUBESTASH_STORAGE_GROUP = 'storage.kubestash.com';
export const KUBESTASH_VERSION = 'v1alpha1';

export const BACKUP_CONFIGURATION: CustomKind = { group: KUBESTASH_CORE_GROUP, version: KUBESTASH_VERSION, plural: 'backupconfigurations', kind: 'BackupConfiguration' };
export const BACKUP_SESSION: CustomKind = { group: KUBESTASH_CORE_GROUP, version: KUBESTASH_VERSION, plural: 'backupsessions', kind: 'BackupSession' };
export const SNAPSHOT: CustomKind = { group: KUBESTASH_STORAGE_GROUP, version: KUBESTASH_VERSION, plural: 'snapshots', kind: 'Snapshot' };

/** A typed object reference of KubeStash (kmodules `TypedObjectReference`). */
export interface TypedRef {
  apiGroup?: string;
  kind?: string;
  namespace?: string;
  name?: string;
}

/** The fields of a BackupConfiguration the bot reads. */
export interface BackupConfigurationObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace: string; uid?: string; resourceVersion?: string; labels?: Record<string, string> };
  spec: { target?: TypedRef; sessions?: Array<{ name?: string; backupTimeout?: string }>; paused?: boolean; [k: string]: unknown };
  status?: { phase?: string; [k: string]: unknown };
}

/** The fields of a BackupSession the bot writes and reads. */
export interface BackupSessionObject {
  apiVersion: string;
  kind: string;
  metadata: {
    name: string;
    namespace: string;
    uid?: string;
    resourceVersion?: string;
    labels?: Record<string, string>;
    ownerReferences?: Array<{ apiVersion: string; kind: string; name: string; uid: string; controller?: boolean; blockOwnerDeletion?: boolean }>;
  };
  spec: { invoker?: { apiGroup?: string; kind?: string; name?: string }; session?: string; retryLeft?: number; backupTimeout?: string };
  status?: {
    phase?: 'Pending' | 'Running' | 'Succeeded' | 'Failed' | 'Skipped';
    duration?: string;
    snapshots?: Array<{ name?: string; phase?: string; repository?: string; appRef?: TypedRef }>;
    conditions?: KubeCondition[];
  };
}

/** The fields of a Snapshot the bot reads. */
export interface SnapshotObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace: string; uid?: string; resourceVersion?: string };
  spec: { repository?: string; session?: string; backupSession?: string; appRef?: TypedRef };
  status?: { phase?: string; snapshotTime?: string; size?: string };
}

/** BackupConfigurations. */
export function backupConfigurations(kube: Kube): NamespacedResource<BackupConfigurationObject> {
  return new NamespacedResource<BackupConfigurationObject>(kube, BACKUP_CONFIGURATION);
}
/** BackupSessions. */
export function backupSessions(kube: Kube): NamespacedResource<BackupSessionObject> {
  return new NamespacedResource<BackupSessionObject>(kube, BACKUP_SESSION);
}
/** Snapshots. */
export function snapshots(kube: Kube): NamespacedResource<SnapshotObject> {
  return new NamespacedResource<SnapshotObject>(kube, SNAPSHOT);
}

/**
 * Whether KubeStash is installed: API discovery of `core.kubestash.com/v1alpha1` serves
 * `backupconfigurations` and `backupsessions` (cached 30 s, `src/kube/cache.ts`). @throws API errors other than 404.
 */
export async function servesKubeStash(kube: Kube): Promise<boolean> {
  const served = await kube.cache.servedResources(`${KUBESTASH_CORE_GROUP}/${KUBESTASH_VERSION}`, async () => {
    try {
      return await servedResources(kube, KUBESTASH_CORE_GROUP, KUBESTASH_VERSION);
    } catch (err) {
      if (isNotFound(err)) return [];
      throw err;
    }
  });
  return served.includes('backupconfigurations') && served.includes('backupsessions');
}

/**
 * The BackupConfigurations whose `spec.target` is this KubeDB database (apiGroup `kubedb.com`, the engine's
 * kind, the database's namespace — the target's own or the BackupConfiguration's — and name), sorted by
 * name; paused ones (`spec.paused`) left out. Read from the cluster's read cache (one cluster-wide list +
 * watch, RBAC `list`/`watch`). [] where KubeStash is not installed.
 * @throws API errors (403 without list/watch).
 */
export async function backupConfigurationsFor(kube: Kube, engine: Engine, namespace: string, name: string): Promise<BackupConfigurationObject[]> {
  if (!(await servesKubeStash(kube))) return [];
  const r = backupConfigurations(kube);
  const all = (await kube.cache.list(r.path(), () => r.listObject() as never)) as unknown as BackupConfigurationObject[];
  return all
    .filter((bc) => {
      const t = bc.spec?.target;
      return !bc.spec?.paused && t?.apiGroup === engine.group && t.kind === engine.kind && t.name === name && (t.namespace ?? bc.metadata.namespace) === namespace && bc.metadata.namespace === namespace;
    })
    .sort((a, b) => a.metadata.name.localeCompare(b.metadata.name));
}

/** `meta_util.ValidNameWithPrefixNSuffix` (kmodules): `prefix-middle-suffix`, cut to 63 characters with the suffix kept. */
function validName(prefix: string, middle: string, suffix: string): string {
  const tail = `-${suffix}`;
  return `${prefix}-${middle}`.slice(0, 63 - tail.length).replace(/-+$/, '') + tail;
}

/**
 * The BackupSession `kubectl kubestash trigger` creates for one session of a BackupConfiguration (see the
 * module docs), plus `labels` (the bot's record label). `unixSeconds` names it.
 */
export function buildBackupSession(bc: BackupConfigurationObject, session: { name?: string; backupTimeout?: string }, unixSeconds: number, labels: Record<string, string>): BackupSessionObject {
  const sessionName = session.name ?? '';
  return {
    apiVersion: `${KUBESTASH_CORE_GROUP}/${KUBESTASH_VERSION}`,
    kind: 'BackupSession',
    metadata: {
      name: validName(bc.metadata.name, sessionName, String(unixSeconds)),
      namespace: bc.metadata.namespace,
      labels,
      ...(bc.metadata.uid
        ? { ownerReferences: [{ apiVersion: `${KUBESTASH_CORE_GROUP}/${KUBESTASH_VERSION}`, kind: 'BackupConfiguration', name: bc.metadata.name, uid: bc.metadata.uid, controller: true, blockOwnerDeletion: true }] }
        : {}),
    },
    spec: {
      invoker: { apiGroup: KUBESTASH_CORE_GROUP, kind: 'BackupConfiguration', name: bc.metadata.name },
      session: sessionName,
      retryLeft: 0,
      ...(session.backupTimeout ? { backupTimeout: session.backupTimeout } : {}),
    },
  };
}
