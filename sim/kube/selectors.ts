/**
 * Label and field selectors, as the API server parses them from `?labelSelector=` / `?fieldSelector=`.
 *
 * Syntax (Kubernetes "Labels and Selectors", https://kubernetes.io/docs/concepts/overview/working-with-objects/labels/,
 * and `k8s.io/apimachinery/pkg/labels.Parse`): comma-separated requirements, all of which must hold:
 * `k=v`, `k==v`, `k!=v` (also true when `k` is absent), `k in (a,b)`, `k notin (a,b)` (also true when
 * absent), `k` (exists), `!k` (does not exist), `k>n`, `k<n` (integer comparison).
 * Field selectors (`k8s.io/apimachinery/pkg/fields`): `path=v`, `path==v`, `path!=v`.
 */
import type { KubeObject } from './api.js';
import { badRequest } from './status.js';

/** One parsed label requirement. */
export interface LabelRequirement {
  key: string;
  op: 'eq' | 'neq' | 'in' | 'notin' | 'exists' | 'notexists' | 'gt' | 'lt';
  values: string[];
}

const KEY = /^([a-z0-9A-Z]([-a-z0-9A-Z.]*[a-z0-9A-Z])?\/)?[a-zA-Z0-9]([-a-zA-Z0-9_.]*[a-zA-Z0-9])?$/;
const VALUE = /^([a-zA-Z0-9]([-a-zA-Z0-9_.]*[a-zA-Z0-9])?)?$/;

/** Split on commas outside parentheses. */
function splitTop(s: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let cur = '';
  for (const ch of s) {
    if (ch === '(') depth++;
    if (ch === ')') depth--;
    if (ch === ',' && depth === 0) {
      out.push(cur);
      cur = '';
    } else cur += ch;
  }
  out.push(cur);
  return out.map((x) => x.trim()).filter((x) => x.length > 0);
}

function checkKey(key: string, whole: string): string {
  if (!KEY.test(key)) throw badRequest(`unable to parse requirement: invalid label key "${key}" in selector "${whole}"`);
  return key;
}

function checkValue(v: string, whole: string): string {
  if (!VALUE.test(v) || v.length > 63) throw badRequest(`unable to parse requirement: invalid label value "${v}" in selector "${whole}"`);
  return v;
}

/**
 * Parse a label selector string. An empty or undefined selector matches everything.
 * @throws StatusError 400 BadRequest on a syntax error.
 */
export function parseLabelSelector(selector: string | undefined): LabelRequirement[] {
  if (!selector || !selector.trim()) return [];
  const reqs: LabelRequirement[] = [];
  for (const part of splitTop(selector)) {
    let m: RegExpMatchArray | null;
    if ((m = part.match(/^(\S+)\s+(in|notin)\s*\((.*)\)$/))) {
      const values = m[3].split(',').map((v) => checkValue(v.trim(), selector));
      reqs.push({ key: checkKey(m[1], selector), op: m[2] as 'in' | 'notin', values });
    } else if ((m = part.match(/^([^=!<>\s]+)\s*(==|!=|=|>|<)\s*(.*)$/))) {
      const op = m[2] === '!=' ? 'neq' : m[2] === '>' ? 'gt' : m[2] === '<' ? 'lt' : 'eq';
      const value = m[3].trim();
      if ((op === 'gt' || op === 'lt') && !/^-?\d+$/.test(value)) {
        throw badRequest(`unable to parse requirement: for 'Gt', 'Lt' operators, the value must be an integer in selector "${selector}"`);
      }
      reqs.push({ key: checkKey(m[1], selector), op, values: [checkValue(value, selector)] });
    } else if ((m = part.match(/^!\s*(\S+)$/))) {
      reqs.push({ key: checkKey(m[1], selector), op: 'notexists', values: [] });
    } else if (/^\S+$/.test(part)) {
      reqs.push({ key: checkKey(part, selector), op: 'exists', values: [] });
    } else {
      throw badRequest(`unable to parse requirement: found '${part}', expected: in, notin, =, ==, !=, gt, lt in selector "${selector}"`);
    }
  }
  return reqs;
}

/** Whether `labels` satisfy every requirement. */
export function matchesLabels(labels: Record<string, string> | undefined, reqs: LabelRequirement[]): boolean {
  const l = labels ?? {};
  return reqs.every((r) => {
    const has = Object.prototype.hasOwnProperty.call(l, r.key);
    const v = l[r.key];
    switch (r.op) {
      case 'eq':
        return has && v === r.values[0];
      case 'neq':
        return !has || v !== r.values[0];
      case 'in':
        return has && r.values.includes(v);
      case 'notin':
        return !has || !r.values.includes(v);
      case 'exists':
        return has;
      case 'notexists':
        return !has;
      case 'gt':
        return has && /^-?\d+$/.test(v) && Number(v) > Number(r.values[0]);
      case 'lt':
        return has && /^-?\d+$/.test(v) && Number(v) < Number(r.values[0]);
    }
  });
}

/** One parsed field requirement (`path` is dotted, e.g. `metadata.name`, `status.phase`). */
export interface FieldRequirement {
  path: string;
  op: 'eq' | 'neq';
  value: string;
}

/**
 * Field paths every kind supports (`metadata.name`, `metadata.namespace`) plus the extra ones the real
 * server registers for some built-in kinds (pods, events, secrets, namespaces; see each kind's
 * `GetAttrs`/field label conversion in kubernetes/pkg/registry). Other paths answer 400.
 */
const EXTRA_FIELDS: Record<string, string[]> = {
  pods: ['spec.nodeName', 'spec.restartPolicy', 'spec.schedulerName', 'spec.serviceAccountName', 'spec.hostNetwork', 'status.phase', 'status.podIP', 'status.nominatedNodeName'],
  events: [
    'involvedObject.kind', 'involvedObject.namespace', 'involvedObject.name', 'involvedObject.uid', 'involvedObject.apiVersion',
    'involvedObject.resourceVersion', 'involvedObject.fieldPath', 'reason', 'reportingComponent', 'source', 'type',
    'regarding.kind', 'regarding.namespace', 'regarding.name', 'regarding.uid', 'reportingController',
  ],
  secrets: ['type'],
  namespaces: ['status.phase'],
};

/**
 * Parse a field selector for a resource (plural decides which paths are supported; a custom resource's
 * `selectable` paths, from its CRD's `selectableFields`, are supported too).
 * @throws StatusError 400 on a syntax error or an unsupported field (`field label not supported: x`).
 */
export function parseFieldSelector(selector: string | undefined, plural: string, selectable: string[] = []): FieldRequirement[] {
  if (!selector || !selector.trim()) return [];
  const allowed = new Set(['metadata.name', 'metadata.namespace', ...(EXTRA_FIELDS[plural] ?? []), ...selectable]);
  return selector
    .split(',')
    .map((p) => p.trim())
    .filter(Boolean)
    .map((part) => {
      const m = part.match(/^([^=!]+?)\s*(==|!=|=)\s*(.*)$/);
      if (!m) throw badRequest(`invalid selector: '${selector}'; can't understand '${part}'`);
      const path = m[1].trim();
      if (!allowed.has(path)) throw badRequest(`field label not supported: ${path}`);
      return { path, op: m[2] === '!=' ? 'neq' : 'eq', value: m[3].trim() } as FieldRequirement;
    });
}

/** The string value of a dotted path in an object (`""` when absent; booleans and numbers stringified). */
function fieldValue(obj: KubeObject, path: string): string {
  let cur: unknown = obj;
  for (const seg of path.split('.')) {
    if (cur === null || typeof cur !== 'object') return '';
    cur = (cur as Record<string, unknown>)[seg];
  }
  if (cur === undefined || cur === null) return '';
  return typeof cur === 'object' ? JSON.stringify(cur) : String(cur);
}

/** Whether the object satisfies every field requirement. */
export function matchesFields(obj: KubeObject, reqs: FieldRequirement[]): boolean {
  return reqs.every((r) => (fieldValue(obj, r.path) === r.value) === (r.op === 'eq'));
}

/** A predicate over objects combining a label and a field selector (both optional). */
export function objectFilter(plural: string, labelSelector?: string, fieldSelector?: string, selectable?: string[]): (obj: KubeObject) => boolean {
  const l = parseLabelSelector(labelSelector);
  const f = parseFieldSelector(fieldSelector, plural, selectable);
  return (obj) => matchesLabels(obj.metadata.labels, l) && matchesFields(obj, f);
}
