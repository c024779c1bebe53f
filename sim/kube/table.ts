/**
 * Server-side printing: the `Table` (meta.k8s.io/v1) answer to `Accept: application/json;as=Table;v=v1;g=meta.k8s.io`,
 * which `kubectl get` asks for. Source: api-concepts "Receiving resources as Tables"
 * (https://kubernetes.io/docs/reference/using-api/api-concepts/#receiving-resources-as-tables).
 * Custom resources: `Name` plus the CRD version's `additionalPrinterColumns` (a `date` column is printed
 * as a human age, like the apiextensions server); without printer columns `Name` and `Age`.
 * Built-in kinds: the main columns of kubernetes/pkg/printers/internalversion for the kinds the emulator
 * serves; other kinds `Name` and `Created At` (the default table convertor).
 */
import type { KubeObject, PrinterColumn, ResourceType } from './api.js';

/** A column definition of a Table. */
export interface TableColumn {
  name: string;
  type: string;
  format: string;
  description: string;
  priority: number;
}

/** Whether an `Accept` header asks for a meta.k8s.io Table. */
export function wantsTable(accept: string | undefined): boolean {
  return !!accept && /as=Table/.test(accept) && /g=meta\.k8s\.io/.test(accept);
}

/** Kubernetes' human duration (`k8s.io/apimachinery/pkg/util/duration.HumanDuration`), e.g. `45s`, `5m10s`, `3h`, `4d`. */
export function humanDuration(ms: number): string {
  const seconds = Math.floor(ms / 1000);
  if (seconds < -1) return '<invalid>';
  if (seconds < 0) return '0s';
  if (seconds < 60 * 2) return `${seconds}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 10) return seconds % 60 === 0 ? `${minutes}m` : `${minutes}m${seconds % 60}s`;
  if (minutes < 60 * 3) return `${minutes}m`;
  const hours = Math.floor(minutes / 60);
  if (hours < 8) return minutes % 60 === 0 ? `${hours}h` : `${hours}h${minutes % 60}m`;
  if (hours < 48) return `${hours}h`;
  if (hours < 24 * 8) return hours % 24 === 0 ? `${Math.floor(hours / 24)}d` : `${Math.floor(hours / 24)}d${hours % 24}h`;
  if (hours < 24 * 365 * 2) return `${Math.floor(hours / 24)}d`;
  const years = Math.floor(hours / 24 / 365);
  if (years < 8) return `${years}y${Math.floor(hours / 24) % 365}d`;
  return `${years}y`;
}

/**
 * Evaluate a simple JSONPath as used in printer columns: `.a.b`, `.a[0].b`, `.a[?(@.type=="Ready")].status`.
 * Returns undefined when the path does not resolve.
 */
export function jsonPathValue(obj: unknown, path: string): unknown {
  const p = path.trim().replace(/^\{(.*)\}$/, '$1').replace(/^\$/, '');
  const tokens = p.match(/\.[^.[\]]+|\[[^\]]*\]/g) ?? [];
  let cur: unknown = obj;
  for (const tok of tokens) {
    if (cur === undefined || cur === null) return undefined;
    if (tok.startsWith('.')) {
      cur = typeof cur === 'object' ? (cur as Record<string, unknown>)[tok.slice(1)] : undefined;
      continue;
    }
    const inner = tok.slice(1, -1);
    if (!Array.isArray(cur)) return undefined;
    const filter = inner.match(/^\?\(@\.([\w.-]+)\s*==\s*["']?([^"']*)["']?\)$/);
    if (filter) cur = cur.find((x) => x && typeof x === 'object' && String(jsonPathValue(x, `.${filter[1]}`)) === filter[2]);
    else if (/^-?\d+$/.test(inner)) cur = cur.at(Number(inner));
    else return undefined;
  }
  return cur;
}

type Cell = string | number | boolean | null;
interface Printer {
  columns: Array<[string, string, number?]>;
  cells: (o: KubeObject, age: string) => Cell[];
}

const get = (o: unknown, p: string): unknown => jsonPathValue(o, p);
const str = (v: unknown, dflt = '<none>'): string => (v === undefined || v === null || v === '' ? dflt : String(v));
const count = (v: unknown): number => (v && typeof v === 'object' ? Object.keys(v).length : 0);

function podStatus(o: KubeObject): string {
  if (o.metadata.deletionTimestamp) return 'Terminating';
  const cs = (get(o, '.status.containerStatuses') ?? []) as Array<{ state?: { waiting?: { reason?: string }; terminated?: { reason?: string } } }>;
  for (const c of cs) {
    if (c.state?.waiting?.reason) return c.state.waiting.reason;
    if (c.state?.terminated?.reason) return c.state.terminated.reason;
  }
  return str(get(o, '.status.reason') ?? get(o, '.status.phase'), 'Unknown');
}

function podReady(o: KubeObject): string {
  const containers = (get(o, '.spec.containers') ?? []) as unknown[];
  const cs = (get(o, '.status.containerStatuses') ?? []) as Array<{ ready?: boolean }>;
  return `${cs.filter((c) => c.ready).length}/${containers.length}`;
}

function servicePorts(o: KubeObject): string {
  const ports = (get(o, '.spec.ports') ?? []) as Array<{ port: number; protocol?: string; nodePort?: number }>;
  if (!ports.length) return '<none>';
  return ports.map((p) => `${p.port}${p.nodePort ? `:${p.nodePort}` : ''}/${p.protocol ?? 'TCP'}`).join(',');
}

function eventObject(o: KubeObject): string {
  const ref = (o.involvedObject ?? o.regarding ?? {}) as { kind?: string; name?: string };
  return `${String(ref.kind ?? '').toLowerCase()}/${ref.name ?? ''}`;
}

const BUILTIN: Record<string, Printer> = {
  '/namespaces': { columns: [['Status', 'string']], cells: (o, age) => [str(get(o, '.status.phase'), ''), age] },
  '/pods': {
    columns: [['Ready', 'string'], ['Status', 'string'], ['Restarts', 'string'], ['IP', 'string', 1], ['Node', 'string', 1]],
    cells: (o, age) => {
      const cs = (get(o, '.status.containerStatuses') ?? []) as Array<{ restartCount?: number }>;
      const restarts = cs.reduce((n, c) => n + (c.restartCount ?? 0), 0);
      return [podReady(o), podStatus(o), String(restarts), age, str(get(o, '.status.podIP')), str(get(o, '.spec.nodeName'))];
    },
  },
  '/services': {
    columns: [['Type', 'string'], ['Cluster-IP', 'string'], ['External-IP', 'string'], ['Port(s)', 'string']],
    cells: (o, age) => [str(get(o, '.spec.type'), 'ClusterIP'), str(get(o, '.spec.clusterIP')), str(get(o, '.spec.externalIPs[0]')), servicePorts(o), age],
  },
  '/secrets': { columns: [['Type', 'string'], ['Data', 'integer']], cells: (o, age) => [str(o.type, 'Opaque'), count(o.data), age] },
  '/configmaps': { columns: [['Data', 'integer']], cells: (o, age) => [count(o.data) + count(o.binaryData), age] },
  '/serviceaccounts': { columns: [['Secrets', 'string']], cells: (o, age) => [String(((o.secrets as unknown[]) ?? []).length), age] },
  'apps/statefulsets': {
    columns: [['Ready', 'string']],
    cells: (o, age) => [`${Number(get(o, '.status.readyReplicas') ?? 0)}/${Number(get(o, '.spec.replicas') ?? 1)}`, age],
  },
  'apps/deployments': {
    columns: [['Ready', 'string'], ['Up-to-date', 'string'], ['Available', 'string']],
    cells: (o, age) => [
      `${Number(get(o, '.status.readyReplicas') ?? 0)}/${Number(get(o, '.spec.replicas') ?? 1)}`,
      String(Number(get(o, '.status.updatedReplicas') ?? 0)),
      String(Number(get(o, '.status.availableReplicas') ?? 0)),
      age,
    ],
  },
  'coordination.k8s.io/leases': { columns: [['Holder', 'string']], cells: (o, age) => [str(get(o, '.spec.holderIdentity'), ''), age] },
  'policy/poddisruptionbudgets': {
    columns: [['Min Available', 'string'], ['Max Unavailable', 'string'], ['Allowed Disruptions', 'integer']],
    cells: (o, age) => [str(get(o, '.spec.minAvailable'), 'N/A'), str(get(o, '.spec.maxUnavailable'), 'N/A'), Number(get(o, '.status.disruptionsAllowed') ?? 0), age],
  },
};

const EVENT_PRINTER: Printer = {
  columns: [['Last Seen', 'string'], ['Type', 'string'], ['Reason', 'string'], ['Object', 'string'], ['Message', 'string']],
  cells: () => [],
};

function cellFor(col: PrinterColumn, value: unknown, now: number): Cell {
  if (value === undefined || value === null) return null;
  if (col.type === 'date') {
    const t = Date.parse(String(value));
    return Number.isNaN(t) ? null : humanDuration(now - t);
  }
  if (col.type === 'integer' || col.type === 'number') return typeof value === 'number' ? value : Number(value);
  if (col.type === 'boolean') return Boolean(value);
  return typeof value === 'object' ? JSON.stringify(value) : String(value);
}

/**
 * Build a `Table` of `items` of type `t`.
 * @param opts.includeObject `None`, `Metadata` (default: a `PartialObjectMetadata` per row) or `Object`.
 */
export function toTable(
  t: ResourceType,
  items: KubeObject[],
  opts: { resourceVersion: string; includeObject?: string; now?: number },
): Record<string, unknown> {
  const now = opts.now ?? Date.now();
  const ageOf = (o: KubeObject) => {
    const c = Date.parse(String(o.metadata.creationTimestamp ?? ''));
    return Number.isNaN(c) ? '<unknown>' : humanDuration(now - c);
  };
  const nameCol: TableColumn = {
    name: 'Name',
    type: 'string',
    format: 'name',
    description: 'Name must be unique within a namespace. Is required when creating resources, although some resources may allow a client to request the generation of an appropriate name automatically.',
    priority: 0,
  };
  const col = (name: string, type: string, priority = 0, format = '', description = ''): TableColumn => ({ name, type, format, description, priority });
  let columns: TableColumn[];
  let cells: (o: KubeObject) => Cell[];
  const key = `${t.group}/${t.plural}`;
  if (t.custom) {
    const pcs = t.printerColumns ?? [{ name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' }];
    columns = [nameCol, ...pcs.map((p) => col(p.name, p.type, p.priority ?? 0, p.format ?? '', p.description ?? ''))];
    cells = (o) => [o.metadata.name, ...pcs.map((p) => cellFor(p, jsonPathValue(o, p.jsonPath), now))];
  } else if (t.plural === 'events' && (t.group === '' || t.group === 'events.k8s.io')) {
    columns = EVENT_PRINTER.columns.map(([n, ty]) => col(n, ty));
    cells = (o) => {
      const last = Date.parse(String(o.lastTimestamp ?? o.eventTime ?? o.metadata.creationTimestamp ?? ''));
      return [Number.isNaN(last) ? '<unknown>' : humanDuration(now - last), str(o.type, ''), str(o.reason, ''), eventObject(o), str(o.message ?? o.note, ''), o.metadata.name];
    };
    // Real event tables do not show NAME by default: keep it as a wide column at the end.
    columns.push({ ...nameCol, priority: 1 });
  } else if (BUILTIN[key]) {
    const p = BUILTIN[key];
    const main = p.columns.filter(([, , pr]) => !pr);
    const wide = p.columns.filter(([, , pr]) => pr);
    columns = [nameCol, ...main.map(([n, ty]) => col(n, ty)), col('Age', 'string'), ...wide.map(([n, ty, pr]) => col(n, ty, pr))];
    cells = (o) => [o.metadata.name, ...p.cells(o, ageOf(o))];
  } else {
    columns = [nameCol, col('Created At', 'date', 0, '', 'CreationTimestamp is a timestamp representing the server time when this object was created.')];
    cells = (o) => [o.metadata.name, String(o.metadata.creationTimestamp ?? '')];
  }
  const include = opts.includeObject ?? 'Metadata';
  const rows = items.map((o) => {
    const row: Record<string, unknown> = { cells: cells(o) };
    if (include === 'Object') row.object = o;
    else if (include !== 'None') row.object = { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: o.metadata };
    return row;
  });
  return { kind: 'Table', apiVersion: 'meta.k8s.io/v1', metadata: { resourceVersion: opts.resourceVersion }, columnDefinitions: columns, rows };
}
