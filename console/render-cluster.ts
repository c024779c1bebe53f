/**
 * The cluster side panel as HTML, pure: databases (phase, version), PetSets, pods, OpsRequests and
 * DatabaseUpdate records, from a {@link ClusterView} (built by `cluster.ts`).
 */
import { escapeHtml } from './render-mrkdwn.js';

/** What the panel shows; every field is as read from the object (strings, `?` when absent). */
export interface ClusterView {
  databases: Array<{ kind: string; namespace: string; name: string; version: string; phase: string; replicas: string }>;
  petsets: Array<{ namespace: string; name: string; replicas: string; ready: string }>;
  pods: Array<{ namespace: string; name: string; phase: string; ready: boolean; image: string; role: string }>;
  opsRequests: Array<{ kind: string; namespace: string; name: string; type: string; phase: string; target: string }>;
  records: Array<{ name: string; phase: string; database: string; target: string; requester: string }>;
}

const PHASE_CLASS: Record<string, string> = {
  Ready: 'ok', Running: 'busy', Succeeded: 'ok', Successful: 'ok', Progressing: 'busy', Updating: 'busy',
  Pending: 'wait', Approved: 'busy', Scheduled: 'wait', Provisioning: 'busy', NotReady: 'bad', Critical: 'bad',
  Failed: 'bad', Rejected: 'bad', Expired: 'bad', Cancelled: 'bad', Halted: 'wait', Paused: 'wait',
};

function phase(p: string): string {
  return `<span class="phase phase-${PHASE_CLASS[p] ?? 'none'}">${escapeHtml(p)}</span>`;
}

function table(title: string, head: string[], rows: string[][], cls: string): string {
  const body = rows.length === 0 ? `<tr><td colspan="${head.length}" class="none">none</td></tr>` : rows.map((r) => `<tr>${r.map((c) => `<td>${c}</td>`).join('')}</tr>`).join('');
  return `<section class="kube ${cls}"><h3>${escapeHtml(title)} <span class="count">${rows.length}</span></h3><table><thead><tr>${head.map((h) => `<th>${escapeHtml(h)}</th>`).join('')}</tr></thead><tbody>${body}</tbody></table></section>`;
}

const e = escapeHtml;

/** The panel's HTML: one table per kind of object. */
export function renderCluster(v: ClusterView): string {
  return [
    table('Databases', ['Kind', 'Name', 'Version', 'Status'], v.databases.map((d) => [e(d.kind), `${e(d.namespace)}/<b>${e(d.name)}</b>`, `<code>${e(d.version)}</code>`, phase(d.phase)]), 'k-databases'),
    table('DatabaseUpdates', ['Name', 'Database', 'Target', 'Phase'], v.records.map((r) => [`<code>${e(r.name)}</code>`, e(r.database), `<code>${e(r.target)}</code>`, phase(r.phase)]), 'k-records'),
    table('OpsRequests', ['Name', 'Type', 'Target', 'Phase'], v.opsRequests.map((o) => [`${e(o.namespace)}/${e(o.name)}`, e(o.type), `<code>${e(o.target)}</code>`, phase(o.phase)]), 'k-ops'),
    table('PetSets', ['Name', 'Ready'], v.petsets.map((p) => [`${e(p.namespace)}/${e(p.name)}`, `${e(p.ready)}/${e(p.replicas)}`]), 'k-petsets'),
    table('Pods', ['Name', 'Image (tag)', 'Ready'], v.pods.map((p) => [`${e(p.namespace)}/${e(p.name)}${p.role ? ` <span class="role">${e(p.role)}</span>` : ''}`, `<code title="${e(p.image)}">${e(p.image.slice(p.image.lastIndexOf('/') + 1))}</code>`, p.ready ? '<span class="phase phase-ok">Ready</span>' : phase(p.phase)]), 'k-pods'),
  ].join('');
}
