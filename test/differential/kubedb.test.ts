/**
 * Differential group `kubedb`: KubeDB's CRDs (sim/kubedb/crds.ts, installed on both servers through
 * client-node) as the API serves them: `kubedb.com` with `v1` and `v1alpha2` (objects served at either,
 * `terminationPolicy`/`deletionPolicy`), OpsRequests (`ops` category, `pxcops`/`prxops` short names,
 * defaults), catalogs, and custom resources' validation, pruning and strict field validation on them.
 */
import { stringify } from 'yaml';
import type { Op } from './harness.js';
import { defineGroup } from './runner.js';
import { installKubeDBCrds } from '../../sim/kubedb/crds.js';
import { seedCatalog } from '../../sim/kubedb/catalog.js';

type Res = { name: string; namespaced: boolean; kind: string; verbs: string[]; shortNames?: string[]; categories?: string[]; singularName?: string };
const entry = (name: string) => (b: { resources: Res[] }) => {
  const r = b.resources.find((x) => x.name === name);
  return r ? { ...r, verbs: [...r.verbs].sort() } : 'absent';
};
const MY = '/apis/kubedb.com/v1/namespaces/{ns}/mysqls';
const MY2 = '/apis/kubedb.com/v1alpha2/namespaces/{ns}/mysqls';
const OPS = '/apis/ops.kubedb.com/v1alpha1/namespaces/{ns}';
const mysql = (name: string, spec: Record<string, unknown>, apiVersion = 'kubedb.com/v1') => ({ apiVersion, kind: 'MySQL', metadata: { name }, spec });
const DB = ['apiVersion', 'kind', 'metadata.name', 'spec', 'status'];

function kubedb(): Op[] {
  const catalog = seedCatalog().find((o) => o.kind === 'MySQLVersion' && o.metadata.name === '8.0.35')!;
  return [
    { id: 'kubedb/group', method: 'GET', path: '/apis/kubedb.com', pick: ['kind', 'name', 'versions', 'preferredVersion'] },
    { id: 'kubedb/v1alpha2', method: 'GET', path: '/apis/kubedb.com/v1alpha2', pick: ['groupVersion'], probe: { mysqls: entry('mysqls'), mssqlservers: entry('mssqlservers'), singlestores: entry('singlestores'), names: (b: { resources: Res[] }) => b.resources.map((r) => r.name).sort() } },
    { id: 'kubedb/v1', method: 'GET', path: '/apis/kubedb.com/v1', pick: ['groupVersion'], probe: { mysqls: entry('mysqls'), 'mysqls/status': entry('mysqls/status'), postgreses: entry('postgreses'), names: (b: { resources: Res[] }) => b.resources.map((r) => r.name).sort() } },
    { id: 'kubedb/ops', method: 'GET', path: '/apis/ops.kubedb.com/v1alpha1', probe: { pxc: entry('perconaxtradbopsrequests'), prx: entry('proxysqlopsrequests'), my: entry('mysqlopsrequests'), maria: entry('mariadbopsrequests') } },
    { id: 'kubedb/catalog', method: 'GET', path: '/apis/catalog.kubedb.com/v1alpha1', probe: { my: entry('mysqlversions'), sdb: entry('singlestoreversions') } },
    { id: 'kubedb/petsets', method: 'GET', path: '/apis/apps.k8s.appscode.com/v1', probe: { petsets: entry('petsets'), scale: entry('petsets/scale') } },
    { id: 'kubedb/mysql-v1alpha2-create', method: 'POST', path: MY2, body: mysql('old', { version: '8.0.35', terminationPolicy: 'Halt' }, 'kubedb.com/v1alpha2'), pick: DB },
    { id: 'kubedb/mysql-read-at-v1', method: 'GET', path: `${MY}/old`, pick: DB },
    { id: 'kubedb/mysql-list-v1alpha2', method: 'GET', path: MY2, pick: ['kind', 'apiVersion', 'items[].metadata.name', 'items[].apiVersion'] },
    { id: 'kubedb/mysql-create', method: 'POST', path: MY, body: mysql('m1', { version: '8.0.35', replicas: 3, deletionPolicy: 'WipeOut', storageType: 'Durable', storage: { resources: { requests: { storage: '1Gi' } } } }), pick: DB, warnings: true },
    { id: 'kubedb/mysql-unknown-field-warn', method: 'POST', path: MY, body: mysql('m2', { version: '8.0.35', bogus: true }), pick: DB, warnings: true },
    { id: 'kubedb/mysql-unknown-field-strict', method: 'POST', path: `${MY}?fieldValidation=Strict`, body: mysql('m3', { version: '8.0.35', bogus: true }), pick: DB, message: true },
    { id: 'kubedb/mysql-no-version', method: 'POST', path: MY, body: mysql('m4', { replicas: 1 }), message: true },
    { id: 'kubedb/mysql-bad-policy', method: 'POST', path: MY, body: mysql('m5', { version: '8.0.35', deletionPolicy: 'Sometimes' }), message: true },
    { id: 'kubedb/mysql-long-name', method: 'POST', path: MY, body: mysql('m'.repeat(64), { version: '8.0.35' }) },
    { id: 'kubedb/mysql-status-phase-bad', method: 'PATCH', path: `${MY}/m1/status`, body: { status: { phase: 'Sleeping' } }, contentType: 'application/merge-patch+json' },
    { id: 'kubedb/mysql-status-phase', method: 'PATCH', path: `${MY}/m1/status`, body: { status: { phase: 'Ready', observedGeneration: 1 } }, contentType: 'application/merge-patch+json', pick: DB },
    { id: 'kubedb/mysql-halt', method: 'PATCH', path: `${MY}/m1`, body: { spec: { halted: true } }, contentType: 'application/merge-patch+json', pick: [...DB, 'metadata.generation'] },
    { id: 'kubedb/mysql-strategic-415', method: 'PATCH', path: `${MY}/m1`, body: { spec: { halted: false } }, contentType: 'application/strategic-merge-patch+json' },
    {
      id: 'kubedb/ops-create',
      method: 'POST',
      path: `${OPS}/mysqlopsrequests`,
      body: { apiVersion: 'ops.kubedb.com/v1alpha1', kind: 'MySQLOpsRequest', metadata: { name: 'up' }, spec: { type: 'UpdateVersion', databaseRef: { name: 'm1' }, updateVersion: { targetVersion: '8.0.36' } } },
      pick: ['kind', 'metadata.name', 'spec'],
    },
    { id: 'kubedb/ops-bad-type', method: 'POST', path: `${OPS}/perconaxtradbopsrequests`, body: { apiVersion: 'ops.kubedb.com/v1alpha1', kind: 'PerconaXtraDBOpsRequest', metadata: { name: 'bad' }, spec: { type: 'Upgrade', databaseRef: { name: 'x' } } }, message: true },
    { id: 'kubedb/ops-no-ref', method: 'POST', path: `${OPS}/proxysqlopsrequests`, body: { apiVersion: 'ops.kubedb.com/v1alpha1', kind: 'ProxySQLOpsRequest', metadata: { name: 'noref' }, spec: { type: 'UpdateVersion' } }, message: true },
    { id: 'kubedb/ops-list-category-resource', method: 'GET', path: `${OPS}/mysqlopsrequests`, pick: ['kind', 'items[].metadata.name'] },
    {
      id: 'kubedb/catalog-apply-dry-run',
      method: 'PATCH',
      // A name no test creates: on the run's shared real server a seeded name may already exist (200, not 201).
      path: '/apis/catalog.kubedb.com/v1alpha1/mysqlversions/diff-apply-dry-run?fieldManager=diff&dryRun=All',
      body: stringify({ ...catalog, metadata: { name: 'diff-apply-dry-run' } }),
      contentType: 'application/apply-patch+yaml',
      pick: ['kind', 'metadata.name', 'spec', 'metadata.managedFields'],
    },
    { id: 'kubedb/catalog-unknown-field', method: 'POST', path: '/apis/catalog.kubedb.com/v1alpha1/mysqlversions?dryRun=All', body: { ...catalog, metadata: { name: 'diff-x' }, spec: { ...(catalog.spec as object), bogus: 1 } }, pick: ['metadata.name', 'spec.bogus'], warnings: true },
    { id: 'kubedb/catalog-no-psp', method: 'POST', path: '/apis/catalog.kubedb.com/v1alpha1/mysqlversions?dryRun=All', body: { ...catalog, metadata: { name: 'diff-y' }, spec: { version: '8.0.35', db: { image: 'x' } } }, message: true },
    { id: 'kubedb/mysql-delete', method: 'DELETE', path: `${MY}/m1`, pick: ['kind', 'status', 'details.name'] },
  ];
}

defineGroup('kubedb', kubedb(), { prepare: (kc) => installKubeDBCrds(kc) });
