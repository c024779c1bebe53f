/**
 * The Slack side of fleet updates (issue #19 item 1), on the leader: one parent message per
 * `DatabaseUpdateBatch`, posted once and then edited with `chat.update` as the batch and its members
 * change (a live table), and the batch's summarised thread posts (`batchThreadPosts`: approval, each
 * wave, halts, the end), each once. Member records post nothing of their own (`notifierInterest` of
 * `./notifier.ts` leaves them out), so a 200-member batch costs about one post per wave plus edits.
 *
 * Rate: Slack's `chat.update` is a Tier 3 method (about 50 a minute) and `chat.postMessage` allows about
 * one message a second per channel (https://api.slack.com/docs/rate-limits). The parent is edited at most
 * once per {@link BatchNotifierOptions.minEditMs} per batch (later changes are folded into the next edit),
 * and a 429 is waited out (`Retry-After`) before trying again.
 *
 * Exactly once: each post carries Slack message metadata `{event_type: "dbupdate_batch_post",
 * event_payload: {batch, key}}` (https://api.slack.com/metadata/using); the keys posted are remembered in
 * memory and written to `status.slack.posted` after each pass (one unguarded merge patch: only this
 * notifier writes `status.slack`). The first time a leadership has thread posts to make for a batch, it
 * reads the thread back (`conversations.replies` with `include_all_metadata`) and counts the keys found
 * there as posted, so a leader killed between a post and that write does not make the next one post it
 * again. The parent's `ts` is written right after its post; before posting a parent, a leadership that
 * did not create the batch, or whose post of it failed without an answer, looks for it in the channel
 * (`conversations.history` with `include_all_metadata`, as the record notifier does) and adopts it.
 * Every Slack write and status write is fenced by the Lease.
 */
import type { Logger } from 'pino';
import { ErrorCode, type WebClient } from '@slack/web-api';
import pRetry from 'p-retry';
import { KeyedQueue, type ReconcileResult } from '../kube/queue.js';
import { ALWAYS_HELD, assertHeld, type Fence } from '../kube/fence.js';
import { isFenced, statusMessage } from '../kube/errors.js';
import type { BatchStore } from '../updates/batch-records.js';
import type { BatchInformer } from '../updates/batch-informer.js';
import type { RecordInformer } from '../updates/record-informer.js';
import { membersOf } from '../updates/batch-controller.js';
import { LABEL_BATCH, batchFinished } from '../api/v1alpha1/databaseupdatebatch.js';
import type { DatabaseUpdate } from '../api/v1alpha1/databaseupdate.js';
import { batchParentHash, batchThreadPosts, renderBatchParent } from './render-batch.js';

/** `event_type` of the metadata on every message posted for a batch. */
export const BATCH_METADATA_EVENT = 'dbupdate_batch_post';

/** Options of a {@link BatchNotifier}. */
export interface BatchNotifierOptions {
  /** Client for reads (`conversations.replies`). */
  client: WebClient;
  /** Client for `chat.postMessage` and `chat.update` (no retries of its own: see `createPostClient`). */
  postClient: WebClient;
  /** Batch writes (fenced): `status.slack`. */
  batches: BatchStore;
  batchInformer: BatchInformer;
  recordInformer: RecordInformer;
  log: Logger;
  fence?: Fence;
  /** Least time (ms) between two edits of one batch's parent message (default 3,000). */
  minEditMs?: number;
}

/** What of a member record the table shows: its phase and steps. */
function memberInterest(r: DatabaseUpdate): string | undefined {
  if (!r.metadata.labels?.[LABEL_BATCH]) return undefined;
  return JSON.stringify([r.status?.phase, (r.status?.steps ?? []).map((s) => s.state)]);
}

/** Posts and edits every batch's Slack messages; built by the leader, stopped with {@link BatchNotifier.stop}. */
export class BatchNotifier {
  private readonly queue: KeyedQueue;
  private readonly fence: Fence;
  private readonly minEditMs: number;
  /** Per batch, in this leadership: the parent, the last rendering sent, when, and the keys posted. */
  private readonly memory = new Map<string, { channel?: string; ts?: string; hash?: string; editedAt: number; posted: Set<string>; checked: boolean; parentLooked?: boolean; uncertain?: boolean }>();
  /** When this leadership's notifier began (ms since epoch): a batch created before it may have a parent an earlier leader posted. */
  private readonly since = Date.now();

  constructor(private readonly o: BatchNotifierOptions) {
    this.fence = o.fence ?? ALWAYS_HELD;
    this.minEditMs = o.minEditMs ?? 3000;
    this.queue = new KeyedQueue(
      (name) => this.reconcile(name),
      (name, err) => {
        if (!isFenced(err)) o.log.warn({ batch: name, err: statusMessage(err) }, 'batch notifier failed; will retry with back-off');
      },
      { maxConcurrentReconciles: 2 },
    );
    o.batchInformer.subscribe(
      (b) => {
        const { slack, ...rest } = b.status ?? {};
        // A finished batch whose messages are all made interests nobody (e.g. at start-up).
        if (batchFinished(b.status?.phase) && slack?.ts && batchThreadPosts(b).every((p) => (slack.posted ?? []).includes(p.key))) return undefined;
        return JSON.stringify(rest);
      },
      (name) => this.queue.add(name),
    );
    o.recordInformer.subscribe(memberInterest, (name) => {
      const batch = o.recordInformer.get(name)?.metadata.labels?.[LABEL_BATCH];
      if (batch) this.queue.add(batch);
    });
  }

  /** Stop taking work and wait for running work. */
  async stop(): Promise<void> {
    await this.queue.close();
  }

  /**
   * One pass over a batch: post its parent if not posted, make the thread posts not made yet, edit the
   * parent when its rendering changed (at most once per `minEditMs`), then record what was done.
   * @throws Slack and API errors (retried with back-off by the queue), `FencedError` when the Lease is lost.
   */
  async reconcile(name: string): Promise<ReconcileResult | void> {
    const b = this.o.batchInformer.get(name);
    if (!b) return;
    const sl = b.status?.slack ?? {};
    const mem = this.memory.get(name) ?? { channel: sl.channel, ts: sl.ts, hash: sl.parentHash, editedAt: 0, posted: new Set(sl.posted ?? []), checked: !sl.ts };
    this.memory.set(name, mem);
    for (const k of sl.posted ?? []) mem.posted.add(k);
    const rendered = renderBatchParent(b, membersOf(this.o.recordInformer, name));
    const hash = batchParentHash(rendered);
    let requeue: number | undefined;
    if (!mem.ts && (mem.uncertain || (!mem.parentLooked && !(Date.parse((b.metadata as { creationTimestamp?: string }).creationTimestamp ?? '') >= this.since)))) {
      // A parent this leadership did not post may exist: an earlier leader killed between its post and
      // the status write, or a post whose answer was lost. Found by its metadata, it is adopted (and
      // edited to the current rendering), not posted again.
      const ts = await this.parentInChannel(name, b.spec.channel);
      mem.parentLooked = true;
      mem.uncertain = false;
      if (ts) {
        this.o.log.info({ batch: name, ts }, 'batch parent message found in the channel by its metadata: adopted, not posted again');
        mem.channel = b.spec.channel;
        mem.ts = ts;
        mem.hash = undefined;
        mem.checked = false;
        await this.o.batches.mutateStatus(name, (st) => {
          st.slack = { ...(st.slack ?? {}), channel: mem.channel, ts: mem.ts };
        }, { guard: false });
      }
    }
    if (!mem.ts) {
      let res: Awaited<ReturnType<BatchNotifier['post']>>;
      try {
        res = await this.post({ channel: b.spec.channel, text: rendered.text, blocks: rendered.blocks as never, metadata: this.metadata(name, 'parent') });
      } catch (err) {
        // Slack may have stored it though the answer failed (5xx, reset, timeout): look before posting again.
        if (!isFenced(err)) mem.uncertain = true;
        throw err;
      }
      mem.channel = res.channel ?? b.spec.channel;
      mem.ts = res.ts;
      mem.hash = hash;
      mem.editedAt = Date.now();
      // Written at once: the buttons of the parent are bound to it (clicks are checked against status.slack).
      await this.o.batches.mutateStatus(name, (st) => {
        st.slack = { ...(st.slack ?? {}), channel: mem.channel, ts: mem.ts, parentHash: hash };
      }, { guard: false });
    } else if (mem.hash !== hash) {
      const wait = mem.editedAt + this.minEditMs - Date.now();
      if (wait > 0) requeue = wait;
      else {
        await this.update({ channel: mem.channel!, ts: mem.ts, text: rendered.text, blocks: rendered.blocks as never });
        mem.hash = hash;
        mem.editedAt = Date.now();
      }
    }
    let posted = false;
    const known = mem.posted.size;
    const todo = batchThreadPosts(b).filter((p) => !mem.posted.has(p.key));
    if (todo.length > 0 && !mem.checked && mem.ts) {
      for (const k of await this.postedInThread(name, mem.channel!, mem.ts)) mem.posted.add(k);
      mem.checked = true;
    }
    for (const p of todo) {
      if (mem.posted.has(p.key)) continue;
      await this.post({ channel: mem.channel!, thread_ts: mem.ts, text: p.text, metadata: this.metadata(name, p.key) });
      mem.posted.add(p.key);
      posted = true;
    }
    const atRest = ['Pending', 'Halted'].includes(b.status?.phase ?? 'Pending') || batchFinished(b.status?.phase);
    // Keys learnt from the thread are recorded too, so the next leader need not read it again.
    if (posted || mem.posted.size > known || (atRest && requeue === undefined && sl.parentHash !== mem.hash)) {
      await this.o.batches.mutateStatus(name, (st) => {
        st.slack = { ...(st.slack ?? {}), channel: mem.channel, ts: mem.ts, parentHash: mem.hash, posted: [...mem.posted] };
      }, { guard: false });
    }
    if (requeue !== undefined) return { requeueAfterMs: requeue };
  }

  /** Keys of this batch's posts found in its thread (message metadata), every page. @throws Slack API errors. */
  private async postedInThread(batch: string, channel: string, ts: string): Promise<string[]> {
    const keys: string[] = [];
    let cursor: string | undefined;
    do {
      const res = await this.o.client.conversations.replies({ channel, ts, include_all_metadata: true, limit: 200, ...(cursor ? { cursor } : {}) });
      for (const m of (res.messages ?? []) as Array<{ metadata?: { event_type?: string; event_payload?: { batch?: string; key?: string } } }>) {
        const md = m.metadata;
        if (md?.event_type === BATCH_METADATA_EVENT && md.event_payload?.batch === batch && md.event_payload.key && md.event_payload.key !== 'parent') keys.push(md.event_payload.key);
      }
      cursor = res.response_metadata?.next_cursor || undefined;
    } while (cursor);
    return keys;
  }

  /**
   * The `ts` of this batch's parent message in `channel`, found by its metadata among the channel's newest
   * 200 messages (`conversations.history` with `include_all_metadata`), if there. @throws Slack API errors.
   */
  private async parentInChannel(batch: string, channel: string): Promise<string | undefined> {
    const res = await this.o.client.conversations.history({ channel, include_all_metadata: true, limit: 200 });
    for (const m of (res.messages ?? []) as Array<{ ts?: string; metadata?: { event_type?: string; event_payload?: { batch?: string; key?: string } } }>) {
      const md = m.metadata;
      if (md?.event_type === BATCH_METADATA_EVENT && md.event_payload?.batch === batch && md.event_payload.key === 'parent' && m.ts) return m.ts;
    }
    return undefined;
  }

  private metadata(batch: string, key: string) {
    return { event_type: BATCH_METADATA_EVENT, event_payload: { batch, key } };
  }

  /** Post once (fenced before each try); only a 429 is tried again, after its `Retry-After`. */
  private async post(args: Parameters<WebClient['chat']['postMessage']>[0]) {
    return pRetry(
      async () => {
        assertHeld(this.fence, 'chat.postMessage');
        const client = this.o.postClient; // (named `client`: test/manifest.test.ts finds Web API calls as `client.<method>(`)
        return client.chat.postMessage(args);
      },
      { retries: 5, minTimeout: 0, maxTimeout: 0, shouldRetry: async ({ error }) => this.rateLimited(error) },
    );
  }

  /** Edit the parent (idempotent; fenced before each try), tried again after a 429 or a transient failure. */
  private async update(args: Parameters<WebClient['chat']['update']>[0]): Promise<void> {
    await pRetry(
      async () => {
        assertHeld(this.fence, 'chat.update');
        const client = this.o.postClient; // (named `client`: test/manifest.test.ts finds Web API calls as `client.<method>(`)
        await client.chat.update(args);
      },
      {
        retries: 5,
        minTimeout: 200,
        maxTimeout: 2000,
        shouldRetry: async ({ error }) => !isFenced(error) && ((await this.rateLimited(error)) || (error as { code?: unknown }).code !== ErrorCode.PlatformError),
      },
    );
  }

  private async rateLimited(error: unknown): Promise<boolean> {
    const e = error as { code?: unknown; retryAfter?: unknown };
    if (e.code !== ErrorCode.RateLimitedError) return false;
    await new Promise((r) => setTimeout(r, Math.max(1, Number(e.retryAfter) || 1) * 1000));
    return true;
  }
}

