/**
 * The Slack notifier, the leader's second controller: renders record changes into Slack. For each record
 * it keeps one parent message (posted once, then edited with `chat.update` as the record changes) and
 * posts each thread reply of {@link threadPosts} once, in order. One {@link Notifier.reconcile} per record
 * reads the record from the leader's cache (`src/updates/record-informer.ts`) and ends with at most one
 * write: a merge patch of `status.slack` (only the notifier writes it), made when the parent message was
 * just posted, or when the record is at rest (Pending, Scheduled, finished) and its Slack state changed.
 *
 * Exactly once: each post carries Slack message metadata `{event_type: "dbupdate_post", event_payload:
 * {record, key}}` (https://api.slack.com/metadata/using). Within one leadership the notifier remembers
 * what it posted (so a cache that has not caught up with its own write never causes a second post). A
 * post whose outcome is unknown (a 5xx, a timeout, a reset: Slack may have stored it), and every record
 * this leader inherited with posts still to make, is first looked up in Slack (`conversations.replies`,
 * or `conversations.history` for a parent, with `include_all_metadata`): posts found count as made.
 * A leader that died between a post and its record write is thus settled by the next one; a stopped
 * leader cannot post after its Lease lapsed (the fence), and the next one only starts after that.
 *
 * Posts go through a WebClient that never retries (a 500, 504 or reset may come after Slack stored the
 * message; a retry would post it twice): a 429 is retried here after `Retry-After`, anything else leaves
 * the key pending and the next pass settles it from Slack. Every Slack write and record write is fenced
 * by the Lease (`src/kube/fence.ts`): a replica that lost it posts nothing more.
 */
import type { Logger } from 'pino';
import { ErrorCode, type ChatPostMessageArguments, type ChatPostMessageResponse, type ChatUpdateArguments, type WebClient } from '@slack/web-api';
import pRetry from 'p-retry';
import { isCompact } from '../kube/informer.js';
import { KeyedQueue, type ReconcileResult } from '../kube/queue.js';
import { ALWAYS_HELD, assertHeld, type Fence } from '../kube/fence.js';
import { isFenced, statusMessage } from '../kube/errors.js';
import type { Metrics } from '../metrics.js';
import type { RecordStore } from '../updates/records.js';
import type { RecordInformer } from '../updates/record-informer.js';
import { TERMINAL_PHASES, type DatabaseUpdate, type SlackRefs } from '../api/v1alpha1/databaseupdate.js';
import { LABEL_BATCH } from '../api/v1alpha1/databaseupdatebatch.js';
import { contentKey, renderHash, renderParent, threadPosts } from './render.js';
import { slackErrorCode } from './errors.js';

/** `event_type` of the metadata on every message the bot posts for a record. */
export const METADATA_EVENT = 'dbupdate_post';
/** Slack errors a person must fix (https://api.slack.com/methods/chat.postMessage#errors), with what to do. */
const NEEDS_A_PERSON = new Map([
  ['not_in_channel', 'invite the bot to the channel (/invite @dbupdate)'],
  ['channel_not_found', 'the channel is gone or private to the bot: invite the bot or ask again elsewhere'],
  ['is_archived', 'the channel is archived: unarchive it'],
  ['missing_scope', 'reinstall the Slack app from manifest.json'],
  ['invalid_auth', 'SLACK_BOT_TOKEN is wrong or revoked'],
  ['account_inactive', 'the bot token was revoked: reinstall the app'],
]);
/** Retry delay (ms) after an error a person must fix. */
const SLOW_RETRY_MS = 30_000;

export { slackErrorCode } from './errors.js';

/** Key of the parent message in metadata and in `pending`. */
const PARENT_KEY = 'parent';

interface PostMetadata {
  event_type?: string;
  event_payload?: { record?: string; key?: string };
}

/** Options of a {@link Notifier}. */
export interface NotifierOptions {
  /** A WebClient with the bot token (reads and `chat.update`, which is idempotent and may be retried). */
  client: WebClient;
  /**
   * The client for `chat.postMessage` (default `client`): built with no retries and
   * `rejectRateLimitedCalls` (see `createPostClient` in `app.ts`), because a post retried after a 5xx,
   * a 504 or a dropped connection may already be stored — Slack has no idempotency key for it. A 429
   * (never stored) is retried here after its `Retry-After`; any other failure is settled from Slack by
   * the pending-intent lookup before anything is posted again.
   */
  postClient?: WebClient;
  /** Records through the leader's fenced clients (writes of `status.slack`). */
  records: RecordStore;
  /** The leader's record cache (reads), shared with the reconciler. */
  informer: RecordInformer;
  log: Logger;
  metrics?: Metrics;
  /** Delay (ms) before retrying a post Slack refused for a reason a person must fix (default 30 s). */
  slowRetryMs?: number;
  /** The leader's fence, checked right before every Slack write (default: always held). */
  fence?: Fence;
  /**
   * How long (ms) a replica that lost the Lease may still write to Slack: the renew deadline (its fence
   * holds that long after its last renewal; `src/kube/lease.ts`). After taking the Lease, and again this
   * long after, the notifier re-reads from Slack what it shows of every record it follows and re-renders
   * what differs (see {@link Notifier.takeover}); a record this leader finishes is re-read once more this
   * long after its final rendering. Default 10 s (the renew deadline of a 15 s Lease).
   */
  staleWindowMs?: number;
}

/** How many times one record's rendering is re-read because this leader just finished it. */
const MAX_REVERIFY = 2;

/** How many times a post answered 429 is tried again (after each `Retry-After`). */
const RATE_LIMIT_RETRIES = 5;

/** Phases in which a record waits for a person or the clock: its Slack state is written when it changes. */
const AT_REST = ['Pending', 'Scheduled'];

/** What the notifier knows of one record's Slack messages during this leadership (a superset of `status.slack`). */
interface Memory {
  channel?: string;
  ts?: string;
  parentHash?: string;
  posted: Set<string>;
  edits: Record<string, { ts: string; hash: string }>;
  /** A post may have been stored without an answer: look in Slack before posting again. */
  uncertain: boolean;
  /** Slack was looked up for this record during this leadership. */
  checked: boolean;
  /** The record already had a parent message when this memory began: posts may exist that it does not know of. */
  inherited: boolean;
}

/** Whether every message of a record is posted and recorded (nothing for the notifier to do). */
export function threadComplete(r: DatabaseUpdate): boolean {
  const sl = r.status?.slack;
  if (!sl?.ts || !sl.parentHash || (sl.pending ?? []).length > 0) return false;
  const posted = new Set(sl.posted ?? []);
  const edits = sl.edits ?? {};
  for (const p of threadPosts(r)) {
    if (p.editable ? edits[p.key]?.hash !== renderHash({ text: p.text, blocks: [] }) : !posted.has(p.key)) return false;
  }
  return sl.parentHash === renderHash(renderParent(r));
}

/**
 * What of a record the notifier acts on (see `Interest` in `src/updates/record-informer.ts`): everything
 * rendered, i.e. the spec and the status except `status.slack` (its own writes must not wake it); nothing
 * for a finished record whose thread is complete.
 */
export function notifierInterest(r: DatabaseUpdate): string | undefined {
  if (isCompact(r)) return undefined; // finished and complete when it was cut down (src/updates/record-informer.ts)
  // A member of a fleet update: its batch's one parent message shows it (./batch-notifier.ts).
  if (r.metadata.labels?.[LABEL_BATCH]) return undefined;
  if (TERMINAL_PHASES.includes(r.status?.phase ?? 'Pending') && threadComplete(r)) return undefined;
  const { slack: _slack, ...rest } = r.status ?? {};
  return JSON.stringify([r.spec, rest]);
}

/** Follows records and keeps their Slack messages in step. */
export class Notifier {
  private readonly queue: KeyedQueue;
  private readonly client: WebClient;
  private readonly postClient: WebClient;
  private readonly records: RecordStore;
  private readonly informer: RecordInformer;
  private readonly log: Logger;
  private readonly fence: Fence;
  private readonly memory = new Map<string, Memory>();
  /** When this leadership began (ms): records created before it may have posts a previous leader made. */
  private readonly since = Date.now();
  private readonly staleWindowMs: number;
  /** Records whose messages are to be read back from Slack at their next pass (see {@link takeover}). */
  private readonly verifying = new Set<string>();
  /** How many re-reads after a final rendering each record had during this leadership. */
  private readonly reverified = new Map<string, number>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private stopped = false;

  constructor(o: NotifierOptions) {
    const { log, metrics } = o;
    const slowRetryMs = o.slowRetryMs ?? SLOW_RETRY_MS;
    this.client = o.client;
    this.postClient = o.postClient ?? o.client;
    this.records = o.records;
    this.informer = o.informer;
    this.log = log;
    this.fence = o.fence ?? ALWAYS_HELD;
    this.staleWindowMs = o.staleWindowMs ?? 10_000;
    this.queue = new KeyedQueue(
      (name) => this.reconcile(name),
      (name, err) => {
        if (isFenced(err)) {
          log.info({ record: name }, 'not the leader any more: Slack notification left to the leader');
          return undefined;
        }
        const slackError = slackErrorCode(err);
        if (slackError) metrics?.slackApiErrors.inc({ method: 'chat', error: slackError });
        const data = (err as { data?: { error?: unknown } } | undefined)?.data;
        const refused = typeof data?.error === 'string' ? data.error : undefined;
        if (refused && NEEDS_A_PERSON.has(refused)) {
          // Retrying at once cannot help: say what to do, and try again slowly (the record is safe meanwhile).
          log.error({ record: name, err: refused }, `Slack refused to post (${refused}): ${NEEDS_A_PERSON.get(refused)}; retrying every ${slowRetryMs / 1000} s`);
          return slowRetryMs;
        }
        log.warn({ record: name, err: statusMessage(err) }, 'Slack notification failed; will retry');
        return undefined;
      },
      { baseDelayMs: 1000 },
    );
    o.informer.subscribe(notifierInterest, (name) => this.queue.add(name));
  }

  /** Stop; waits for a running pass. */
  async stop(): Promise<void> {
    this.stopped = true;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    await this.queue.close();
  }

  /**
   * The last word in Slack is this leader's. Slack cannot check a fencing token: a replica frozen after
   * its fence check and before its `chat.update` reached Slack (a SIGSTOP, a GC pause) sends it when it
   * wakes, over what this leader rendered. So, right after taking the Lease (call once the informer has
   * synced) and again `staleWindowMs` later, every record followed in full (active, or finished with a
   * thread not yet complete) that has a parent message is read back from Slack (`conversations.replies`)
   * at its next pass, and its parent and editable replies are rendered again where Slack shows something
   * else. @returns how many records were queued now.
   */
  takeover(): number {
    this.later(() => this.verifyAll(), this.staleWindowMs);
    return this.verifyAll();
  }

  /** Queue a read-back of every record followed in full that has a parent message. @returns how many. */
  verifyAll(): number {
    let n = 0;
    for (const r of this.informer.list()) {
      if (isCompact(r) || !r.status?.slack?.ts) continue;
      this.verify(r.metadata.name);
      n++;
    }
    return n;
  }

  /** Queue a read-back of one record's messages from Slack (see {@link takeover}). */
  verify(name: string): void {
    if (this.stopped) return;
    this.verifying.add(name);
    this.queue.add(name);
  }

  private later(f: () => void, ms: number): void {
    if (this.stopped) return;
    const t = setTimeout(() => {
      this.timers.delete(t);
      if (!this.stopped) f();
    }, ms);
    t.unref?.();
    this.timers.add(t);
  }

  /**
   * Read the record's parent message and thread back from Slack and forget the rendering hashes of what
   * differs from the current rendering, so this pass renders it again. @throws Slack API errors.
   */
  private async readBack(record: DatabaseUpdate, m: Memory, channel: string): Promise<void> {
    if (!m.ts) return;
    const res = await this.client.conversations.replies({ channel, ts: m.ts, include_all_metadata: true, limit: 200 });
    const byTs = new Map(((res.messages ?? []) as Array<{ ts?: string; text?: string; blocks?: unknown[] }>).map((x) => [x.ts, x]));
    const stale: string[] = [];
    const parent = byTs.get(m.ts);
    if (parent && contentKey(parent) !== contentKey(renderParent(record))) {
      m.parentHash = '';
      stale.push(PARENT_KEY);
    }
    for (const p of threadPosts(record)) {
      const known = p.editable ? m.edits[p.key] : undefined;
      const msg = known ? byTs.get(known.ts) : undefined;
      if (known && msg && (msg.text ?? '') !== p.text) {
        m.edits[p.key] = { ts: known.ts, hash: '' };
        stale.push(p.key);
      }
    }
    if (stale.length > 0) this.log.warn({ record: record.metadata.name, stale }, 'Slack showed another rendering than this leader\'s (a write of a former leader?): rendering again');
  }

  /**
   * Post once: the fence is checked right before each try; only a 429 (Slack stored nothing) is tried
   * again, after its `Retry-After` (p-retry awaits the wait in `shouldRetry`). Any other failure is
   * thrown: the post may be stored (the caller marks the record uncertain, to be looked up in Slack).
   */
  private async post(args: ChatPostMessageArguments): Promise<ChatPostMessageResponse> {
    return pRetry(
      async () => {
        assertHeld(this.fence, 'chat.postMessage');
        const client = this.postClient; // (named `client`: test/manifest.test.ts finds Web API calls as `client.<method>(`)
        return client.chat.postMessage(args);
      },
      {
        retries: RATE_LIMIT_RETRIES,
        minTimeout: 0,
        maxTimeout: 0,
        shouldRetry: async ({ error }) => {
          const e = error as { code?: unknown; retryAfter?: unknown };
          if (e.code !== ErrorCode.RateLimitedError) return false;
          await new Promise((r) => setTimeout(r, Math.max(1, Number(e.retryAfter) || 1) * 1000));
          return true;
        },
      },
    );
  }

  /**
   * Edit a message, fenced at every try: through the client that never retries by itself (`postClient`),
   * tried again here after a 429's `Retry-After` or another failure (an edit is idempotent), each try only
   * while the fence holds — the SDK's own retries would send an edit after the fence lapsed.
   */
  private async update(args: ChatUpdateArguments): Promise<void> {
    await pRetry(
      async () => {
        assertHeld(this.fence, 'chat.update');
        const client = this.postClient; // (named `client`: test/manifest.test.ts finds Web API calls as `client.<method>(`)
        await client.chat.update(args);
      },
      {
        retries: RATE_LIMIT_RETRIES,
        minTimeout: 200,
        maxTimeout: 2000,
        shouldRetry: async ({ error }) => {
          if (isFenced(error) || NEEDS_A_PERSON.has(slackErrorCode(error) ?? '')) return false;
          const e = error as { code?: unknown; retryAfter?: unknown };
          if (e.code === ErrorCode.RateLimitedError) await new Promise((r) => setTimeout(r, Math.max(1, Number(e.retryAfter) || 1) * 1000));
          // A Slack refusal ({ok:false}: message_not_found, cant_update_message, …) will not change by trying again.
          return e.code !== ErrorCode.PlatformError;
        },
      },
    );
  }

  private metadata(name: string, key: string) {
    return { event_type: METADATA_EVENT, event_payload: { record: name, key } };
  }

  /** This leadership's memory of a record, merged with what the record says (both only grow). */
  private remember(r: DatabaseUpdate): Memory {
    const name = r.metadata.name;
    const sl = r.status?.slack ?? {};
    const m = this.memory.get(name) ?? { posted: new Set<string>(), edits: {}, uncertain: false, checked: false, inherited: sl.ts !== undefined };
    m.channel ??= sl.channel;
    m.ts ??= sl.ts;
    m.parentHash ??= sl.parentHash;
    for (const k of sl.posted ?? []) m.posted.add(k);
    for (const [k, v] of Object.entries(sl.edits ?? {})) m.edits[k] ??= v;
    if ((sl.pending ?? []).length > 0) m.uncertain = true; // left by an older version of the bot
    this.memory.set(name, m);
    return m;
  }

  /**
   * Whether to look in Slack before posting: after a post whose outcome is unknown, or once for a record
   * that still has messages to post and whose parent this leadership did not post (inherited from an
   * earlier leader, or created before this leadership began).
   */
  private needsLookup(r: DatabaseUpdate, m: Memory, todo: boolean): boolean {
    if (m.uncertain) return true;
    if (m.checked || !todo) return false;
    if (m.inherited) return true;
    const created = Date.parse((r.metadata as { creationTimestamp?: string }).creationTimestamp ?? '');
    return !(created >= this.since);
  }

  /** Find this record's posts in Slack by their metadata; those found count as made. */
  private async lookup(name: string, channel: string, m: Memory): Promise<void> {
    const found = new Map<string, string>();
    const res = m.ts
      ? await this.client.conversations.replies({ channel, ts: m.ts, include_all_metadata: true, limit: 200 })
      : await this.client.conversations.history({ channel, include_all_metadata: true, limit: 200 });
    for (const msg of (res.messages ?? []) as Array<{ ts?: string; metadata?: PostMetadata }>) {
      const p = msg.metadata?.event_payload;
      if (msg.metadata?.event_type === METADATA_EVENT && p?.record === name && p.key && msg.ts) found.set(p.key, msg.ts);
    }
    for (const [key, ts] of found) {
      if (key === PARENT_KEY) {
        if (!m.ts) {
          // The parent found in the channel it was posted to: both refs, as a normal post records them
          // (handlers bind a click to channel + ts).
          m.ts = ts;
          m.channel ??= channel;
        }
      } else if (key.startsWith('progress:')) {
        // an editable reply: keep its ts so it is edited, not posted again (empty hash forces one edit)
        m.edits[key] ??= { ts, hash: '' };
      } else m.posted.add(key);
    }
    m.uncertain = false;
    m.checked = true;
    if (found.size > 0) this.log.info({ record: name, found: [...found.keys()] }, 'found posts already made in Slack');
  }

  /** The `status.slack` this leadership's memory amounts to. */
  private refs(r: DatabaseUpdate, m: Memory): SlackRefs {
    return {
      ...(r.status?.slack ?? {}),
      ...(m.channel ? { channel: m.channel } : {}),
      ...(m.ts ? { ts: m.ts } : {}),
      ...(m.parentHash ? { parentHash: m.parentHash } : {}),
      posted: [...m.posted],
      edits: { ...m.edits },
      pending: [],
    };
  }

  /**
   * One pass over a record: post what is missing, edit what changed, then one write of `status.slack`
   * when something new was posted (or a finished record's thread is complete). What was done before an
   * error is written all the same, then the error goes to the queue (retry with back-off).
   */
  async reconcile(name: string): Promise<ReconcileResult | void> {
    const readBack = this.verifying.delete(name);
    let record = this.informer.get(name);
    // A finished record is kept cut down by the informer: a read-back needs it whole.
    if (record && readBack && isCompact(record)) record = await this.records.get(name);
    if (!record) return;
    const m = this.remember(record);
    const channel = m.channel ?? record.spec.channel;
    if (readBack) await this.readBack(record, m, m.channel ?? channel);
    const posts = threadPosts(record);
    const todo = !m.ts || posts.some((p) => (p.editable ? !m.edits[p.key] : !m.posted.has(p.key)));
    if (this.needsLookup(record, m, todo)) await this.lookup(name, channel, m);
    let newParent = false;
    let parentEdited = false;
    let failure: unknown;
    try {
      if (!m.ts) {
        const parent = renderParent(record);
        const res = await this.posting(m, () => this.post({ channel, text: parent.text, blocks: parent.blocks as never, metadata: this.metadata(name, PARENT_KEY) }));
        m.ts = res.ts as string;
        m.channel = res.channel ?? channel;
        m.parentHash = renderHash(parent);
        newParent = true;
      }
      const threadTs = m.ts;
      for (const post of posts) {
        if (post.editable) {
          const hash = renderHash({ text: post.text, blocks: [] });
          const known = m.edits[post.key];
          if (known?.hash === hash) continue;
          if (known) {
            await this.update({ channel: m.channel ?? channel, ts: known.ts, text: post.text });
            m.edits[post.key] = { ts: known.ts, hash };
          } else {
            const res = await this.posting(m, () => this.post({ channel: m.channel ?? channel, thread_ts: threadTs, text: post.text, mrkdwn: true, metadata: this.metadata(name, post.key) }));
            m.edits[post.key] = { ts: res.ts as string, hash };
          }
          continue;
        }
        if (m.posted.has(post.key)) continue;
        await this.posting(m, () => this.post({ channel: m.channel ?? channel, thread_ts: threadTs, text: post.text, mrkdwn: true, metadata: this.metadata(name, post.key) }));
        m.posted.add(post.key);
      }
      const parent = renderParent(record);
      const hash = renderHash(parent);
      if (hash !== m.parentHash) {
        await this.update({ channel: m.channel ?? channel, ts: threadTs, text: parent.text, blocks: parent.blocks as never });
        m.parentHash = hash;
        parentEdited = true;
      }
    } catch (err) {
      failure = err;
    }
    // At most one write: the parent's refs as soon as it is posted (handlers bind clicks to them), and
    // everything once the record is at rest (waiting for a person or the clock, or finished), so a restart
    // re-renders nothing. While it moves, what was posted lives in this leadership's memory; a next leader
    // looks it up in Slack (see needsLookup) rather than this one writing after every post.
    const refs = this.refs(record, m);
    const phase = record.status?.phase ?? 'Pending';
    const finished = TERMINAL_PHASES.includes(phase);
    const atRest = finished || AT_REST.includes(phase);
    const stored = record.status?.slack ?? {};
    const differs = JSON.stringify({ ...stored, pending: stored.pending ?? [] }) !== JSON.stringify({ ...refs });
    // (A parent found in Slack by a lookup is as new to the record as one just posted.)
    const parentRefsNew = newParent || (m.ts !== undefined && (stored.ts !== m.ts || stored.channel !== m.channel));
    if ((parentRefsNew || (atRest && differs) || (stored.pending ?? []).length > 0) && !isFenced(failure)) {
      try {
        const out = await this.records.mutateStatus(name, (st) => {
          st.slack = { ...refs, posted: [...new Set([...(st.slack?.posted ?? []), ...refs.posted!])] };
          return true;
        }, { from: record, guard: false });
        record = out.record;
      } catch (err) {
        failure ??= err;
      }
    }
    if (finished && !failure && threadComplete(record)) this.memory.delete(name);
    // A final rendering made by this leader is read back once more when a former leader's write that
    // passed its fence before a freeze could have landed over it (see takeover).
    if (finished && !failure && parentEdited) {
      const n = this.reverified.get(name) ?? 0;
      if (n < MAX_REVERIFY) {
        this.reverified.set(name, n + 1);
        this.later(() => this.verify(name), this.staleWindowMs);
      }
    }
    if (failure) throw failure;
  }

  /** Run a post; an answer that may hide a stored message marks the record uncertain (see {@link needsLookup}). */
  private async posting<T>(m: Memory, post: () => Promise<T>): Promise<T> {
    try {
      return await post();
    } catch (err) {
      if (!isFenced(err) && !NEEDS_A_PERSON.has(String((err as { data?: { error?: unknown } }).data?.error ?? ''))) m.uncertain = true;
      throw err;
    }
  }
}
