/**
 * Reads the cluster objects the console shows from the emulator's in-process store, and tells when they
 * change (through the store's own watch). Read-only.
 */
import type { GVR, KubeObject } from '../sim/kube/api.js';
import type { Store } from '../sim/kube/store.js';
import { ENGINES } from '../src/engines/table.js';
import { dbGvr, opsGvr, PETSET_GVR, POD_GVR, ROLE_LABEL } from '../sim/kubedb/common.js';
import { RECORD_GROUP, RECORD_PLURAL, RECORD_VERSION } from '../src/api/v1alpha1/databaseupdate.js';
import type { ClusterView } from './render-cluster.js';

const RECORD_GVR: GVR = { group: RECORD_GROUP, version: RECORD_VERSION, plural: RECORD_PLURAL };

/** The resources the panel shows that the store serves (an engine whose CRD is not installed is skipped). */
function shown(store: Store): { dbs: Array<{ kind: string; gvr: GVR }>; ops: Array<{ kind: string; gvr: GVR }>; others: GVR[] } {
  const has = (g: GVR) => store.resourceType(g) !== undefined;
  return {
    dbs: ENGINES.map((e) => ({ kind: e.kind, gvr: dbGvr(e) })).filter((x) => has(x.gvr)),
    ops: ENGINES.map((e) => ({ kind: e.opsRequestKind, gvr: opsGvr(e) })).filter((x) => has(x.gvr)),
    others: [PETSET_GVR, POD_GVR, RECORD_GVR].filter(has),
  };
}

function list(store: Store, gvr: GVR): KubeObject[] {
  if (store.resourceType(gvr) === undefined) return [];
  return store.list(gvr, undefined).items.sort((a, b) => `${a.metadata.namespace}/${a.metadata.name}`.localeCompare(`${b.metadata.namespace}/${b.metadata.name}`));
}

type Any = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any -- objects of several kinds, read defensively
const str = (v: unknown, dflt = '?') => (v === undefined || v === null || v === '' ? dflt : String(v));

/** A snapshot of the objects the panel shows. */
export function clusterView(store: Store): ClusterView {
  const s = shown(store);
  const ns = (o: KubeObject) => str(o.metadata.namespace, '');
  return {
    databases: s.dbs.flatMap(({ kind, gvr }) =>
      list(store, gvr).map((o) => {
        const x = o as Any;
        return { kind, namespace: ns(o), name: o.metadata.name, version: str(x.spec?.version), phase: str(x.status?.phase), replicas: str(x.spec?.replicas) };
      }),
    ),
    petsets: list(store, PETSET_GVR).map((o) => {
      const x = o as Any;
      return { namespace: ns(o), name: o.metadata.name, replicas: str(x.spec?.replicas), ready: str(x.status?.readyReplicas, '0') };
    }),
    pods: list(store, POD_GVR).map((o) => {
      const x = o as Any;
      const ready = (x.status?.conditions ?? []).some((c: Any) => c.type === 'Ready' && c.status === 'True');
      return { namespace: ns(o), name: o.metadata.name, phase: str(x.status?.phase), ready, image: str(x.spec?.containers?.[0]?.image), role: str(o.metadata.labels?.[ROLE_LABEL], '') };
    }),
    opsRequests: s.ops.flatMap(({ gvr }) =>
      list(store, gvr).map((o) => {
        const x = o as Any;
        return { kind: str(x.kind), namespace: ns(o), name: o.metadata.name, type: str(x.spec?.type), phase: str(x.status?.phase, 'Pending'), target: str(x.spec?.updateVersion?.targetVersion, '') };
      }),
    ),
    records: list(store, RECORD_GVR).map((o) => {
      const x = o as Any;
      return { name: o.metadata.name, phase: str(x.status?.phase, 'Pending'), database: `${str(x.spec?.database?.namespace)}/${str(x.spec?.database?.name)}`, target: str(x.spec?.targetVersion), requester: str(x.spec?.requester) };
    }),
  };
}

/**
 * Call `onChange` whenever an object the panel shows is added, modified or deleted (store watches from
 * now on). Returns the function that stops the watches.
 */
export function watchCluster(store: Store, onChange: () => void): () => void {
  const s = shown(store);
  const rv = store.currentResourceVersion();
  const stops = [...s.dbs.map((d) => d.gvr), ...s.ops.map((o) => o.gvr), ...s.others].map((gvr) => store.watch(gvr, { resourceVersion: rv }, () => onChange()));
  return () => stops.forEach((stop) => stop());
}
