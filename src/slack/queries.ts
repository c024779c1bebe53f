/**
 * Answers to `/dbupdate status <database>` and `/dbupdate list [--all]`, rendered from the records
 * (pure). Ephemeral: only the asker sees them.
 */
import { isActive, type DatabaseUpdate } from '../api/v1alpha1/databaseupdate.js';
import { batchFinished, type DatabaseUpdateBatch } from '../api/v1alpha1/databaseupdatebatch.js';
import { progressLine } from './render.js';

function created(r: DatabaseUpdate): number {
  const t = (r.metadata as { creationTimestamp?: string }).creationTimestamp;
  return t ? Date.parse(t) : 0;
}

/** Newest first. */
export function newestFirst(records: DatabaseUpdate[]): DatabaseUpdate[] {
  return [...records].sort((a, b) => created(b) - created(a) || b.metadata.name.localeCompare(a.metadata.name));
}

/** One line per record: id, database, versions, phase, requester, and the fleet batch it belongs to. */
export function recordLine(r: DatabaseUpdate): string {
  const d = r.spec.database;
  return `• \`${r.metadata.name}\` ${r.spec.engine} \`${d.namespace}/${d.name}\` ${r.spec.fromVersion} → ${r.spec.targetVersion} — *${r.status?.phase ?? 'Pending'}* (by <@${r.spec.requester}>${r.spec.batch ? `, batch \`${r.spec.batch}\`` : ''})`;
}

/** The answer to `status <database>`: the newest request in full, then up to 4 older ones. */
export function renderStatus(database: string, namespace: string | undefined, records: DatabaseUpdate[]): string {
  const mine = newestFirst(records.filter((r) => r.spec.database.name === database && (!namespace || r.spec.database.namespace === namespace)));
  if (mine.length === 0) return `No update requests for \`${namespace ? `${namespace}/` : ''}${database}\`.`;
  const [latest, ...older] = mine;
  const lines = [
    // Not wrapped in *…*: the line holds its own bold phase, and Slack's mrkdwn does not nest bold.
    `Latest: ${recordLine(latest).slice(2)}`,
    progressLine(latest),
    ...(latest.status?.message ? [latest.status.message] : []),
  ];
  if (older.length) lines.push('Earlier:', ...older.slice(0, 4).map(recordLine));
  return lines.join('\n');
}

/**
 * One line per fleet batch: name, engine, selection, target, phase, how many members succeeded (from the
 * member records given), requester.
 */
export function batchLine(b: DatabaseUpdateBatch, records: DatabaseUpdate[]): string {
  const members = b.spec.members.length;
  const done = records.filter((r) => r.spec.batch === b.metadata.name && r.status?.phase === 'Succeeded').length;
  return `• batch \`${b.metadata.name}\` ${b.spec.engine} ${b.spec.selection} → ${b.spec.requestedVersion} — *${b.status?.phase ?? 'Pending'}* (${done} of ${members} updated; by <@${b.spec.requester}>)`;
}

/**
 * The answer to `list`: fleet batches and requests in flight, or with `all` every one (newest 20 requests,
 * newest 10 batches). `members`: the records the batch lines count (default `records`).
 */
export function renderList(records: DatabaseUpdate[], all: boolean, batches: DatabaseUpdateBatch[] = [], members: DatabaseUpdate[] = records): string {
  const shown = newestFirst(all ? records : records.filter((r) => isActive(r.status?.phase)));
  const fleets = [...(all ? batches : batches.filter((b) => !batchFinished(b.status?.phase)))].sort((a, b) => created(b as never) - created(a as never) || b.metadata.name.localeCompare(a.metadata.name));
  const fleetLines = fleets.length ? [all ? `${fleets.length} fleet batch(es), newest first:` : `${fleets.length} fleet batch(es) in flight:`, ...fleets.slice(0, 10).map((b) => batchLine(b, members)), ...(fleets.length > 10 ? [`…and ${fleets.length - 10} more (\`kubectl get databaseupdatebatches -n <ns>\`).`] : [])] : [];
  if (shown.length === 0) return [...fleetLines, all ? 'No update requests yet.' : 'No update requests in flight. (`/dbupdate list --all` shows finished ones.)'].join('\n');
  const head = all ? `${shown.length} request(s), newest first:` : `${shown.length} request(s) in flight:`;
  return [...fleetLines, head, ...shown.slice(0, 20).map(recordLine), ...(shown.length > 20 ? [`…and ${shown.length - 20} more (\`kubectl get databaseupdates -n <ns>\`).`] : [])].join('\n');
}
