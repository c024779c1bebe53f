/**
 * Shared helpers of the benchmarks: high-resolution timing, percentiles, the result row, and driving
 * updates through the embedded world while observing it **in-process** (the cluster store and the Slack
 * emulator's memory), so the benchmark itself adds no Kubernetes API requests or Slack calls to what is
 * counted.
 */
import type { World } from '../sim/world.js';
import { CHANNEL, USERS } from '../sim/world.js';
import { approve } from '../sim/script.js';
import type { SlackEmulator } from '../sim/slack/server.js';
import type { Store } from '../sim/kube/store.js';
import { LABEL_DATABASE, RECORD_GROUP, RECORD_PLURAL, RECORD_VERSION, type DatabaseUpdate } from '../src/api/v1alpha1/databaseupdate.js';
import type { RequestRecord } from '../sim/kube/server.js';
import { parseApiPath } from '../sim/kube/paths.js';
import { LEASE_NAME } from '../src/bot.js';

/** `process.hrtime.bigint()`. */
export const nowNs = (): bigint => process.hrtime.bigint();
/** Nanoseconds (bigint) to milliseconds (number). */
export const nsToMs = (ns: bigint): number => Number(ns) / 1e6;

/** Nearest-rank percentile `p` (0–100) of `values`; NaN when empty. */
export function percentile(values: number[], p: number): number {
  if (values.length === 0) return NaN;
  const s = [...values].sort((a, b) => a - b);
  const rank = Math.max(1, Math.ceil((p / 100) * s.length));
  return s[Math.min(rank, s.length) - 1];
}

/** One line of the results table. */
export interface Row {
  bench: string;
  figure: string;
  value: number;
  unit: string;
  /** The baseline measured in the same run, and what it is. */
  baseline?: number;
  baselineLabel?: string;
  /** value / baseline. */
  ratio?: number;
  /** Human-readable target, and whether it is met (undefined: no target, informative). */
  target?: string;
  pass?: boolean;
}

/** Build a row, computing the ratio when a baseline is given. */
export function row(r: Omit<Row, 'ratio'>): Row {
  const ratio = r.baseline !== undefined && r.baseline !== 0 ? r.value / r.baseline : undefined;
  return { ...r, ...(ratio !== undefined ? { ratio } : {}) };
}

/** Poll `fn` every `intervalMs` until truthy; throws after `timeoutMs` naming `what`. In-process only. */
export async function waitUntil<T>(fn: () => T | undefined | false, timeoutMs: number, what: string, intervalMs = 10): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`bench: timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

const RECORD_GVR = { group: RECORD_GROUP, version: RECORD_VERSION, plural: RECORD_PLURAL };

/** The records in the store (read in-process, no HTTP). */
export function storeRecords(store: Store, namespace = 'dbupdate'): DatabaseUpdate[] {
  return store.list(RECORD_GVR, namespace).items as unknown as DatabaseUpdate[];
}

/** The thread replies every successful update must have exactly once. */
export const STEP_POSTS = [/Paused/, /Images updated/, /Checks passed/, /Resumed/, /Done/];

/** How many replies of a thread match each of {@link STEP_POSTS}. */
export function stepCounts(slack: SlackEmulator, threadTs: string): number[] {
  const lines = slack.replies(CHANNEL, threadTs).map((m) => m.text);
  return STEP_POSTS.map((re) => lines.filter((l) => re.test(l)).length);
}

/** The outcome of one update driven by {@link runUpdates}. */
export interface UpdateOutcome {
  database: string;
  record: string;
  parentTs: string;
  phase: string;
  /** Every step reply exactly once and the parent on Succeeded without buttons. */
  clean: boolean;
  durationMs: number;
}

/**
 * Request (as alice), approve (as bob) and wait for updates of `namespace/<name>` to 8.4, all at once.
 * Observes the store and the Slack emulator in-process; bounded by `timeoutMs`.
 */
export async function runUpdates(w: Pick<World, 'slack'> & { cluster: { store: Store } }, namespace: string, names: string[], timeoutMs = 60_000): Promise<UpdateOutcome[]> {
  const store = w.cluster.store;
  const started = nowNs();
  // Only these databases' records, by label (a world may hold 10,000 others: copying them all every 10 ms
  // would take the bench process's CPU from the bot on a 2-core machine).
  const selector = `${LABEL_DATABASE} in (${names.join(',')})`;
  const theirs = () => store.list(RECORD_GVR, 'dbupdate', selector).items as unknown as DatabaseUpdate[];
  const known = new Set(theirs().map((r) => r.metadata.name));
  const mine = (name: string) => (r: DatabaseUpdate) => !known.has(r.metadata.name) && r.spec.database.namespace === namespace && r.spec.database.name === name;
  await Promise.all(names.map((n) => w.slack.typeCommand({ user: USERS.requester, channel: CHANNEL, text: `mysql ${namespace}/${n} 8.4` })));
  const recs = await waitUntil(
    () => {
      const all = theirs();
      const found = names.map((n) => all.find((r) => mine(n)(r) && r.status?.slack?.ts));
      return found.every(Boolean) ? (found as DatabaseUpdate[]) : undefined;
    },
    timeoutMs,
    `${names.length} requests to be recorded and posted`,
  );
  await Promise.all(recs.map((r) => approve(w.slack, CHANNEL, w.slack.message(CHANNEL, r.status!.slack!.ts!)!, USERS.approver)));
  const finished = new Map<string, number>();
  await waitUntil(
    () => {
      const all = new Map(theirs().map((r) => [r.metadata.name, r]));
      for (const r0 of recs) {
        if (finished.has(r0.metadata.name)) continue;
        const r = all.get(r0.metadata.name);
        const phase = r?.status?.phase;
        if (phase !== 'Succeeded' && phase !== 'Failed') continue;
        if (!(r?.status?.slack?.posted ?? []).includes(phase === 'Succeeded' ? 'done' : 'failed')) continue;
        const parent = w.slack.message(CHANNEL, r0.status!.slack!.ts!);
        if (!parent || !JSON.stringify(parent.blocks).includes(phase)) continue;
        finished.set(r0.metadata.name, nsToMs(nowNs() - started));
      }
      return finished.size === recs.length;
    },
    timeoutMs,
    `${recs.length} updates to finish`,
  );
  const all = new Map(theirs().map((r) => [r.metadata.name, r]));
  return recs.map((r0) => {
    const r = all.get(r0.metadata.name)!;
    const ts = r0.status!.slack!.ts!;
    const parent = w.slack.message(CHANNEL, ts)!;
    const clean = stepCounts(w.slack, ts).every((c) => c === 1) && JSON.stringify(parent.blocks).includes('Succeeded') && !JSON.stringify(parent.blocks).includes('dbupdate_approve');
    return { database: r.spec.database.name, record: r.metadata.name, parentTs: ts, phase: r.status?.phase ?? '', clean, durationMs: finished.get(r.metadata.name)! };
  });
}

/** Wait until `count()` (e.g. requests served, Lease traffic excluded) has not changed for `quietMs` (bounded by `timeoutMs`). */
export async function quiescent(count: () => number, quietMs = 250, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = count();
  let since = Date.now();
  while (Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 25));
    if (count() !== last) {
      last = count();
      since = Date.now();
    } else if (Date.now() - since >= quietMs) return;
  }
}

/** The leader-election Lease's path in the records namespace (its renewals are per replica, not per update). */
export const electionLeasePath = (namespace = 'dbupdate'): string => `/apis/coordination.k8s.io/v1/namespaces/${namespace}/leases/${LEASE_NAME}`;

/**
 * `verb resource[/subresource][ dryRun] status` of a served request, e.g. `update databaseupdates/status 409`,
 * `create mysqlopsrequests dryRun 201`, `get leases 200`; discovery and other paths by their verb and path.
 */
export function requestKey(store: Store, r: RequestRecord): string {
  const p = parseApiPath(r.path, (gvr) => store.resourceType(gvr)?.namespaced === true);
  const what = p.kind === 'resource' ? `${p.gvr.plural}${p.subresource ? `/${p.subresource}` : ''}` : r.path;
  const dry = /[?&]dryRun=/.test(r.url) ? ' dryRun' : '';
  return `${r.verb} ${what}${dry} ${r.status}`;
}

/** Counts of requests by {@link requestKey}, most frequent first. */
export function breakdown(store: Store, reqs: RequestRecord[]): Record<string, number> {
  const out = new Map<string, number>();
  for (const r of reqs) out.set(requestKey(store, r), (out.get(requestKey(store, r)) ?? 0) + 1);
  return Object.fromEntries([...out].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])));
}
