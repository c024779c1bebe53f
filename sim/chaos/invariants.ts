/**
 * The invariants every chaos run must end with, checked from the emulators' own state (the Slack
 * workspace, the cluster's objects) and the harness's record of what people and processes did. Pure:
 * `checkInvariants(snapshot)` lists the violations, each naming the invariant and what was seen.
 */
import type { SlackMessage } from '../slack/server.js';
import type { Backend, DatabaseUpdate } from '../../src/api/v1alpha1/databaseupdate.js';
import type { UnexpectedExit } from './replicas.js';

/** The invariants, by name (the `invariant` of a {@link Violation}). */
export const INVARIANTS = {
  'succeeded': 'every record ends Succeeded',
  'posted-once': 'every thread post of a record is in Slack exactly once (parent message, approval, start, each step, done)',
  'one-opsrequest': 'exactly one OpsRequest per record that started (ops-request backend); none on the direct backend',
  'on-target': "the database's spec.version is the record's target",
  'not-paused': 'no database is left with a Paused condition',
  'no-exit': 'no bot process exited unless the harness killed or stopped it',
  'acked-answered': 'every command and click the bot acknowledged was answered',
  'harness': 'the run itself went as planned (a request was posted, a targeted fault fired)',
} as const;

export type InvariantName = keyof typeof INVARIANTS;

/** One broken invariant. */
export interface Violation {
  invariant: InvariantName;
  detail: string;
}

/** A database as the run ends. */
export interface DatabaseState {
  namespace: string;
  name: string;
  version: string;
  paused: boolean;
}

/** An OpsRequest as the run ends: its database and the record label the bot puts on it. */
export interface OpsRequestState {
  name: string;
  database: string;
  record?: string;
}

/** Everything the invariants are checked against. */
export interface Snapshot {
  backend: Backend;
  records: DatabaseUpdate[];
  databases: DatabaseState[];
  opsRequests: OpsRequestState[];
  /** The channel's messages (not ephemerals), in ts order. */
  messages: SlackMessage[];
  ackedCommands: Array<{ database: string; text: string; answered: boolean }>;
  ackedClicks: Array<{ record: string; answered: boolean }>;
  unexpectedExits: UnexpectedExit[];
}

/** The thread replies a Succeeded update must have exactly once each. */
export const STEP_LINES: ReadonlyArray<[string, RegExp]> = [
  ['approval', /approved \(/],
  ['started', /Update started/],
  ['paused', /\*Paused\*/],
  ['images', /\*Images updated\*/],
  ['checks', /\*Checks passed\*/],
  ['resumed', /\*Resumed\*/],
  ['done', /\*Done\*/],
];

function metaOf(m: SlackMessage): { record?: string; key?: string } {
  const p = (m.metadata as { event_payload?: { record?: unknown; key?: unknown } } | undefined)?.event_payload;
  return { record: typeof p?.record === 'string' ? p.record : undefined, key: typeof p?.key === 'string' ? p.key : undefined };
}

/** Check every invariant; an empty list means the run is clean. */
export function checkInvariants(s: Snapshot): Violation[] {
  const out: Violation[] = [];
  const add = (invariant: InvariantName, detail: string) => out.push({ invariant, detail });

  for (const r of s.records) {
    const name = r.metadata.name;
    const db = `${r.spec.database.namespace}/${r.spec.database.name}`;
    const phase = r.status?.phase ?? 'Pending';
    if (phase !== 'Succeeded') add('succeeded', `${name} (${db}) ended ${phase}${r.status?.message ? `: ${r.status.message}` : ''}`);

    // Slack: the parent once, each keyed post once, each step line once.
    const parentTs = r.status?.slack?.ts;
    const mine = s.messages.filter((m) => metaOf(m).record === name);
    const parents = s.messages.filter((m) => !m.thread_ts && metaOf(m).record === name);
    if (parents.length !== 1) add('posted-once', `${name}: ${parents.length} parent messages (ts ${parents.map((m) => m.ts).join(', ') || 'none'})`);
    const byKey = new Map<string, number>();
    for (const m of mine) if (m.thread_ts && m.ts !== m.thread_ts) byKey.set(metaOf(m).key ?? '?', (byKey.get(metaOf(m).key ?? '?') ?? 0) + 1);
    for (const [key, n] of byKey) if (n > 1) add('posted-once', `${name}: post "${key}" is in the thread ${n} times`);
    if (parentTs && phase === 'Succeeded') {
      const lines = s.messages.filter((m) => m.thread_ts === parentTs && m.ts !== parentTs && m.bot_id).map((m) => m.text);
      for (const [step, re] of STEP_LINES) {
        const n = lines.filter((l) => re.test(l)).length;
        if (n !== 1) add('posted-once', `${name}: the "${step}" line is in the thread ${n} times`);
      }
    }

    // OpsRequests.
    const started = !!(r.status?.startedAt || r.status?.opsRequest);
    const labelled = s.opsRequests.filter((o) => o.record === name);
    if (s.backend === 'ops-request' && started && labelled.length !== 1) add('one-opsrequest', `${name}: ${labelled.length} OpsRequests labelled with it (${labelled.map((o) => o.name).join(', ') || 'none'})`);
    if (s.backend === 'direct' && labelled.length > 0) add('one-opsrequest', `${name}: ${labelled.length} OpsRequests on the direct backend`);
  }
  // OpsRequests per database: one per record of it that started (catches unlabelled duplicates).
  const dbs = new Set(s.records.map((r) => `${r.spec.database.namespace}/${r.spec.database.name}`));
  for (const db of dbs) {
    const startedRecords = s.records.filter((r) => `${r.spec.database.namespace}/${r.spec.database.name}` === db && (r.status?.startedAt || r.status?.opsRequest)).length;
    const ops = s.opsRequests.filter((o) => o.database === db);
    if (s.backend === 'ops-request' && ops.length !== startedRecords) add('one-opsrequest', `${db}: ${ops.length} OpsRequests for ${startedRecords} started records (${ops.map((o) => o.name).join(', ')})`);
  }

  // Databases: on target (the newest record's target, when it Succeeded), never left paused.
  for (const d of s.databases) {
    const key = `${d.namespace}/${d.name}`;
    if (d.paused) add('not-paused', `${key} is left with a Paused condition`);
    const last = s.records.filter((r) => `${r.spec.database.namespace}/${r.spec.database.name}` === key).at(-1);
    if (last && last.status?.phase === 'Succeeded' && d.version !== last.spec.targetVersion) add('on-target', `${key} runs ${d.version}, ${last.metadata.name} Succeeded with target ${last.spec.targetVersion}`);
    if (last && last.status?.phase !== 'Succeeded' && d.version !== last.spec.targetVersion) add('on-target', `${key} runs ${d.version}, not ${last.spec.targetVersion} (${last.metadata.name} is ${last.status?.phase ?? 'Pending'})`);
  }

  for (const e of s.unexpectedExits) add('no-exit', `${e.identity} exited by itself (code ${e.code}, signal ${e.signal}):\n${e.tail}`);
  for (const c of s.ackedCommands) if (!c.answered) add('acked-answered', `/dbupdate ${c.text} (${c.database}) was acked and never answered`);
  for (const c of s.ackedClicks) if (!c.answered) add('acked-answered', `an acked Approve click on ${c.record} was never counted nor refused`);
  return out;
}
