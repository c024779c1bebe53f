/**
 * A drift report (`./compute.ts`) as Slack Block Kit and mrkdwn, its digest, and the value of its
 * *Request update* buttons. Pure.
 *
 * Limits (https://api.slack.com/reference/block-kit/blocks): ≤ 50 blocks in a message, section text ≤
 * 3,000 characters, a button's `value` ≤ 2,000 characters and `action_id` ≤ 255.
 *
 * The button of each group (action_id {@link DRIFT_REQUEST_ACTION}) carries a {@link DriftRequestValue} as
 * JSON: the prefill of a fleet request (engine, namespace, cluster, target and the database names). Until
 * fleet requests exist, the listener opens the existing request form prefilled with them
 * (`src/slack/listeners/actions/drift-request.ts`; docs/drift-and-backup.md).
 */
import { createHash } from 'node:crypto';
import { commonTarget, DRIFT_KINDS, type DriftGroup, type DriftKind, type DriftReport } from './compute.js';

/** action_id of a group's *Request update* button. */
export const DRIFT_REQUEST_ACTION = 'drift_request';
/** Most group rows in one message (each is one section block; a message holds ≤ 50 blocks). */
export const MAX_GROUP_BLOCKS = 40;
/** Most database names written out per group (the rest are counted). */
export const MAX_NAMES_SHOWN = 8;
/** Longest button value Slack accepts (characters). */
export const MAX_BUTTON_VALUE = 2000;

/**
 * The value of a *Request update* button, as JSON: `e` engine name, `n` namespace, `c` cluster, `k` drift
 * kind, `v` the target most members move to (absent when none), `d` database names (as many as fit in
 * 2,000 characters), `m` how many more members the group has than `d` lists (absent when 0).
 */
export interface DriftRequestValue {
  e: string;
  n: string;
  c: string;
  k: DriftKind;
  v?: string;
  d: string[];
  m?: number;
}

/** Words for each kind in a report. */
export const DRIFT_LABEL: Record<DriftKind, string> = {
  deprecated: 'on a deprecated version',
  major: 'major update available',
  minor: 'behind the newest minor',
  patch: 'behind the newest patch',
};

const EMOJI: Record<DriftKind, string> = { deprecated: ':warning:', major: ':arrow_double_up:', minor: ':arrow_up:', patch: ':small_red_triangle:' };

/** Escape `&`, `<`, `>` for Slack mrkdwn (names come from the cluster). */
function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/**
 * A stable digest of what a report says (groups, members, their versions and targets; not the time nor the
 * scan count), hex SHA-256: two reports with the same digest have nothing new between them.
 */
export function driftDigest(report: DriftReport): string {
  const h = createHash('sha256');
  h.update(report.cluster);
  for (const g of report.groups) {
    h.update(`\u0001${g.engine}\u0000${g.namespace}\u0000${g.drift}`);
    for (const m of g.members) h.update(`\u0002${m.name}\u0000${m.from}\u0000${m.to ?? ''}`);
  }
  for (const u of report.unknown) h.update(`\u0003${u}`);
  return h.digest('hex');
}

/** The button value of a group (see {@link DriftRequestValue}), within {@link MAX_BUTTON_VALUE}. */
export function requestValue(report: DriftReport, g: DriftGroup): string {
  const base: DriftRequestValue = { e: g.engine, n: g.namespace, c: report.cluster, k: g.drift, d: [] };
  const target = commonTarget(g);
  if (target) base.v = target;
  // Members that move to the common target first: the request is for one target.
  const names = [...g.members].sort((a, b) => Number(b.to === target) - Number(a.to === target)).map((m) => m.name);
  let lo = 0;
  let hi = names.length;
  const fits = (n: number) => JSON.stringify({ ...base, d: names.slice(0, n), ...(names.length > n ? { m: names.length - n } : {}) }).length <= MAX_BUTTON_VALUE;
  while (lo < hi) {
    const mid = Math.ceil((lo + hi) / 2);
    if (fits(mid)) lo = mid;
    else hi = mid - 1;
  }
  return JSON.stringify({ ...base, d: names.slice(0, lo), ...(names.length > lo ? { m: names.length - lo } : {}) });
}

/**
 * Read a button value back. @returns undefined for anything that is not a {@link DriftRequestValue}
 * (a click is user input: never trusted).
 */
export function parseRequestValue(raw: string | undefined): DriftRequestValue | undefined {
  if (!raw || raw.length > MAX_BUTTON_VALUE) return undefined;
  let v: unknown;
  try {
    v = JSON.parse(raw);
  } catch {
    return undefined;
  }
  const o = v as Partial<DriftRequestValue>;
  const label = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
  if (typeof o !== 'object' || o === null) return undefined;
  if (typeof o.e !== 'string' || typeof o.n !== 'string' || typeof o.c !== 'string' || !DRIFT_KINDS.includes(o.k as DriftKind)) return undefined;
  if (!Array.isArray(o.d) || !o.d.every((d) => typeof d === 'string' && d.length <= 63 && label.test(d))) return undefined;
  if (!label.test(o.n) || o.n.length > 63) return undefined;
  if (o.v !== undefined && (typeof o.v !== 'string' || o.v.length > 63)) return undefined;
  return { e: o.e, n: o.n, c: o.c, k: o.k as DriftKind, d: o.d, ...(o.v ? { v: o.v } : {}), ...(typeof o.m === 'number' && o.m > 0 ? { m: o.m } : {}) };
}

/** One group as a mrkdwn line: kind, count, names (and targets). */
export function groupLine(g: DriftGroup): string {
  const shown = g.members.slice(0, MAX_NAMES_SHOWN).map((m) => (m.to ? `\`${esc(m.name)}\` ${esc(m.from)} → ${esc(m.to)}` : `\`${esc(m.name)}\` ${esc(m.from)}`));
  const more = g.members.length > MAX_NAMES_SHOWN ? `, and ${g.members.length - MAX_NAMES_SHOWN} more` : '';
  return `${EMOJI[g.drift]} *${g.kind}* in \`${esc(g.namespace)}\`: *${g.members.length}* ${DRIFT_LABEL[g.drift]}: ${shown.join(', ')}${more}`;
}

/** The one-line summary of a report (also the notification text of its message). */
export function summaryLine(report: DriftReport, scope?: string): string {
  const where = `cluster \`${esc(report.cluster)}\`${scope ? ` (${esc(scope)})` : ''}`;
  if (report.scanned === 0) return `Version drift in ${where}: no databases found.`;
  if (report.behind === 0) return `Version drift in ${where}: all ${report.scanned} databases are on the newest allowed version. :white_check_mark:`;
  const parts = DRIFT_KINDS.filter((k) => report.totals[k] > 0).map((k) => `${report.totals[k]} ${DRIFT_LABEL[k]}`);
  return `Version drift in ${where}: ${report.behind} of ${report.scanned} databases behind: ${parts.join(', ')}.`;
}

/** The one line a scheduled report posts when nothing changed since the last one (`since`: RFC 3339 of that report). */
export function unchangedLine(report: DriftReport, since: string | undefined): string {
  return `No change in version drift in cluster \`${esc(report.cluster)}\` since the last report${since ? ` (${since.replace('T', ' ').replace(/\.\d+Z$|Z$/, ' UTC')})` : ''}: ${report.behind} of ${report.scanned} databases behind.`;
}

/**
 * The report as a Slack message: a summary, one section per group (≤ {@link MAX_GROUP_BLOCKS}) with a
 * *Request update* button, and a context line for the rest and for databases on unknown versions.
 * @param scope how the report was narrowed (e.g. `mysql, namespace demo`), shown in the summary.
 */
export function driftMessage(report: DriftReport, scope?: string): { text: string; blocks: unknown[] } {
  const text = summaryLine(report, scope);
  const blocks: unknown[] = [{ type: 'section', text: { type: 'mrkdwn', text } }];
  const shown = report.groups.slice(0, MAX_GROUP_BLOCKS);
  for (const g of shown) {
    blocks.push({
      type: 'section',
      text: { type: 'mrkdwn', text: groupLine(g).slice(0, 3000) },
      accessory: {
        type: 'button',
        action_id: DRIFT_REQUEST_ACTION,
        text: { type: 'plain_text', text: 'Request update' },
        value: requestValue(report, g),
      },
    });
  }
  const notes: string[] = [];
  if (report.groups.length > shown.length) notes.push(`…and ${report.groups.length - shown.length} more groups: narrow with \`/dbupdate drift <engine> -n <namespace>\`.`);
  if (report.unknown.length) notes.push(`${report.unknown.length} on a version missing from the catalog (constraints unknown): ${report.unknown.slice(0, 5).map(esc).join(', ')}${report.unknown.length > 5 ? ', …' : ''}.`);
  if (report.behind > 0) notes.push('*Request update* opens a request prefilled with the group; every database is checked and approved as usual.');
  if (notes.length) blocks.push({ type: 'context', elements: [{ type: 'mrkdwn', text: notes.join('\n').slice(0, 3000) }] });
  return { text, blocks };
}
