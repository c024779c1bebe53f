/**
 * The CRDs of the simulated KubeStash: `backupconfigurations.core.kubestash.com`,
 * `backupsessions.core.kubestash.com` and `snapshots.storage.kubestash.com` (v1alpha1, namespaced, status
 * subresource), with the relevant parts of KubeStash's own schemas (kubestash/apimachinery commit
 * 0116a4cb4eff323fd2792c03cf985fb8ec6dd040, `crds/core.kubestash.com_backupconfigurations.yaml`,
 * `crds/core.kubestash.com_backupsessions.yaml`, `crds/storage.kubestash.com_snapshots.yaml`): names,
 * short names (`bc`), categories, printer columns, and the fields the bot and the simulation use typed as
 * there (`spec.target` {apiGroup, kind, name (required), namespace}; `spec.sessions[]`; BackupSession
 * `spec.invoker`, `session`, `retryLeft`, `backupTimeout`, `status.phase` enum Pending|Running|Succeeded|
 * Failed|Skipped, `status.snapshots[]`, `status.conditions[]`; Snapshot `spec.*`, `status.phase` enum
 * Pending|Running|Succeeded|Failed). The rest of those large schemas (backends, hooks, job templates…) is
 * kept open with `x-kubernetes-preserve-unknown-fields`.
 */
const str = { type: 'string' };
const open = { type: 'object', 'x-kubernetes-preserve-unknown-fields': true };
const typedRef = { type: 'object', properties: { apiGroup: str, kind: str, name: str, namespace: str }, required: ['name'] };
const condition = {
  type: 'object',
  required: ['type', 'status'],
  properties: { type: str, status: str, reason: str, message: str, lastTransitionTime: { type: 'string', format: 'date-time' }, observedGeneration: { type: 'integer', format: 'int64' }, severity: str },
};

function crd(group: string, kind: string, plural: string, extra: { shortNames?: string[]; categories: string[]; columns: unknown[]; spec: unknown; status: unknown }): Record<string, unknown> {
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: `${plural}.${group}`, labels: { 'app.kubernetes.io/name': 'kubestash' } },
    spec: {
      group,
      names: { kind, listKind: `${kind}List`, plural, singular: kind.toLowerCase(), categories: extra.categories, ...(extra.shortNames ? { shortNames: extra.shortNames } : {}) },
      scope: 'Namespaced',
      versions: [
        {
          name: 'v1alpha1',
          served: true,
          storage: true,
          subresources: { status: {} },
          additionalPrinterColumns: extra.columns,
          schema: { openAPIV3Schema: { type: 'object', properties: { apiVersion: str, kind: str, metadata: { type: 'object' }, spec: extra.spec, status: extra.status } } },
        },
      ],
    },
  };
}

const age = { jsonPath: '.metadata.creationTimestamp', name: 'Age', type: 'date' };

/** The three CRDs (see the module docs). */
export function kubestashCrds(): Array<Record<string, unknown>> {
  return [
    crd('core.kubestash.com', 'BackupConfiguration', 'backupconfigurations', {
      shortNames: ['bc'],
      categories: ['kubestash', 'appscode', 'all'],
      columns: [{ jsonPath: '.status.phase', name: 'Phase', type: 'string' }, { jsonPath: '.spec.paused', name: 'Paused', type: 'boolean' }, age],
      spec: {
        type: 'object',
        properties: {
          target: typedRef,
          backends: { type: 'array', items: open },
          sessions: {
            type: 'array',
            items: {
              type: 'object',
              'x-kubernetes-preserve-unknown-fields': true,
              properties: {
                name: str,
                backupTimeout: str,
                sessionHistoryLimit: { type: 'integer', format: 'int32' },
                scheduler: open,
                addon: open,
                repositories: { type: 'array', items: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true, properties: { name: str, backend: str, directory: str } } },
              },
            },
          },
          paused: { type: 'boolean' },
        },
      },
      status: { type: 'object', properties: { phase: { type: 'string', enum: ['NotReady', 'Ready', 'Invalid'] }, targetFound: { type: 'boolean' }, conditions: { type: 'array', items: condition } }, 'x-kubernetes-preserve-unknown-fields': true },
    }),
    crd('core.kubestash.com', 'BackupSession', 'backupsessions', {
      categories: ['kubestash', 'appscode', 'all'],
      columns: [
        { jsonPath: '.spec.invoker.kind', name: 'Invoker-Type', type: 'string' },
        { jsonPath: '.spec.invoker.name', name: 'Invoker-Name', type: 'string' },
        { jsonPath: '.status.phase', name: 'Phase', type: 'string' },
        { jsonPath: '.status.duration', name: 'Duration', type: 'string' },
        age,
      ],
      spec: {
        type: 'object',
        properties: {
          invoker: { type: 'object', properties: { apiGroup: str, kind: str, name: str }, required: ['kind', 'name'], 'x-kubernetes-map-type': 'atomic' },
          session: str,
          retryLeft: { type: 'integer', format: 'int32' },
          backupTimeout: str,
        },
      },
      status: {
        type: 'object',
        properties: {
          phase: { type: 'string', enum: ['Pending', 'Running', 'Succeeded', 'Failed', 'Skipped'] },
          duration: str,
          backupDeadline: { type: 'string', format: 'date-time' },
          totalSnapshots: { type: 'integer', format: 'int32' },
          snapshots: { type: 'array', items: { type: 'object', properties: { name: str, phase: { type: 'string', enum: ['Pending', 'Running', 'Succeeded', 'Failed'] }, repository: str, appRef: typedRef } } },
          conditions: { type: 'array', items: condition },
          retried: { type: 'boolean' },
          hooks: open,
          retentionPolicy: { type: 'array', items: open },
        },
      },
    }),
    crd('storage.kubestash.com', 'Snapshot', 'snapshots', {
      categories: ['kubestash', 'appscode'],
      columns: [
        { jsonPath: '.spec.repository', name: 'Repository', type: 'string' },
        { jsonPath: '.spec.session', name: 'Session', type: 'string' },
        { jsonPath: '.status.snapshotTime', name: 'Snapshot-Time', type: 'string' },
        { jsonPath: '.spec.deletionPolicy', name: 'Deletion-Policy', type: 'string' },
        { jsonPath: '.status.phase', name: 'Phase', type: 'string' },
        age,
      ],
      spec: {
        type: 'object',
        properties: {
          snapshotID: str,
          type: { type: 'string', enum: ['FullBackup', 'IncrementalBackup'] },
          repository: str,
          session: str,
          backupSession: str,
          version: str,
          appRef: typedRef,
          deletionPolicy: str,
          paused: { type: 'boolean' },
        },
      },
      status: {
        type: 'object',
        properties: {
          phase: { type: 'string', enum: ['Pending', 'Running', 'Succeeded', 'Failed'] },
          snapshotTime: { type: 'string', format: 'date-time' },
          lastUpdateTime: { type: 'string', format: 'date-time' },
          size: str,
          integrity: { type: 'boolean' },
          totalComponents: { type: 'integer', format: 'int32' },
          components: open,
          conditions: { type: 'array', items: condition },
        },
      },
    }),
  ];
}
