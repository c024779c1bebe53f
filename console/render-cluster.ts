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

/** `namespace/name` with a line-break opportunity after the slash (`<wbr>`), the name in bold when `strong`. */
function nsName(namespace: string, name: string, strong = false): string {
  return `${e(namespace)}/<wbr>${strong ? `<b>${e(name)}</b>` : e(name)}`;
}

/** An image reference's last path segment (`mysql:8.4.3-oracle`), breakable after the colon. */
function imageTag(image: string): string {
  const [repo, tag] = image.slice(image.lastIndexOf('/') + 1).split(/:(.*)/s);
  return `<code title="${e(image)}">${e(repo ?? '')}${tag !== undefined ? `:<wbr>${e(tag)}` : ''}</code>`;
}

/**
 * The panel's HTML: one table per kind of object. Few columns (a database's kind and a pod's role are
 * small labels under the name) and break opportunities after `/` and `:`, so the panel fits its 340 px
 * column at 1024 px without cutting a word (test/console.test.ts measures it).
 */
export function renderCluster(v: ClusterView): string {
  return [
    table('Databases', ['Database', 'Version', 'Status'], v.databases.map((d) => [`${nsName(d.namespace, d.name, true)} <span class="role">${e(d.kind)}</span>`, `<code>${e(d.version)}</code>`, phase(d.phase)]), 'k-databases'),
    table('DatabaseUpdates', ['Name', 'Database', 'Target', 'Phase'], v.records.map((r) => [`<code>${e(r.name)}</code>`, e(r.database).replace('/', '/<wbr>'), `<code>${e(r.target)}</code>`, phase(r.phase)]), 'k-records'),
    table('OpsRequests', ['Name', 'Type', 'Target', 'Phase'], v.opsRequests.map((o) => [nsName(o.namespace, o.name), e(o.type), `<code>${e(o.target)}</code>`, phase(o.phase)]), 'k-ops'),
    table('PetSets', ['Name', 'Ready'], v.petsets.map((p) => [nsName(p.namespace, p.name), `${e(p.ready)}/${e(p.replicas)}`]), 'k-petsets'),
    table('Pods', ['Name', 'Image (tag)', 'Ready'], v.pods.map((p) => [`${nsName(p.namespace, p.name)}${p.role ? ` <span class="role">${e(p.role)}</span>` : ''}`, imageTag(p.image), p.ready ? '<span class="phase phase-ok">Ready</span>' : phase(p.phase)]), 'k-pods'),
  ].join('');
}
