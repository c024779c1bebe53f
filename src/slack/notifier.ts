/**
 * The Slack notifier: renders record changes into Slack. For each record it keeps one parent message
 * (posted once, then edited with `chat.update` as the record changes) and posts each thread reply of
 * {@link threadPosts} once, in order. What was posted is written back to the record's `status.slack`.
 *
 * Exactly once across crashes: before a post, its key is written to `status.slack.pending` (intent);
 * after it, to `posted`. Each post carries Slack message metadata `{event_type: "dbupdate_post",
 * event_payload: {record, key}}` (https://api.slack.com/metadata/using). A key left `pending` by a crash
 * is resolved by reading the thread (`conversations.replies` with `include_all_metadata`) — posted
 * already, or not — before anything is posted again; the parent message likewise through
 * `conversations.history`. One queue per record serialises and coalesces rapid changes.
 *
 * Posts go through a WebClient that never retries (a 500, 504 or reset may come after Slack stored the
 * message; a retry would post it twice): a 429 is retried here after `Retry-After`, anything else leaves
 * the key pending and the next pass settles it from Slack. Every Slack write and record write is fenced
 * by the Lease (`src/kube/fence.ts`): a replica that lost it posts nothing more.
 */
import type { Logger } from 'pino';
import { ErrorCode, type ChatPostMessageArguments, type ChatPostMessageResponse, type ChatUpdateArguments, type WebClient } from '@slack/web-api';
import pRetry from 'p-retry';
import { KeyedQueue } from '../kube/informer.js';
import { ALWAYS_HELD, assertHeld, isFenced, type Fence } from '../kube/fence.js';
import { statusMessage } from '../kube/client.js';
import type { Metrics } from '../metrics.js';
import type { RecordStore } from '../kube/records.js';
import type { DatabaseUpdate } from '../updates/types.js';
import { renderHash, renderParent, threadPosts } from './render.js';

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

/**
 * The Slack error code of a failed call, or undefined when the error did not come from Slack's Web API
 * (e.g. a Kubernetes `ApiException`, whose `code` is the HTTP status as a number). `@slack/web-api`
 * errors carry a string `code` starting with `slack_` and, for `{ok:false}` answers, `data.error`.
 */
export function slackErrorCode(err: unknown): string | undefined {
  const e = err as { code?: unknown; data?: { error?: unknown } } | undefined;
  if (typeof e?.code !== 'string' || !e.code.startsWith('slack_')) return undefined;
  return typeof e.data?.error === 'string' ? e.data.error : e.code;
}

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
  /** Records through the leader's fenced clients. */
  records: RecordStore;
  log: Logger;
  metrics?: Metrics;
  /** Delay (ms) before retrying a post Slack refused for a reason a person must fix (default 30 s). */
  slowRetryMs?: number;
  /** The leader's fence, checked right before every Slack write (default: always held). */
  fence?: Fence;
}

/** How many times a post answered 429 is tried again (after each `Retry-After`). */
const RATE_LIMIT_RETRIES = 5;

/** Follows records and keeps their Slack messages in step. */
export class Notifier {
  private readonly queue: KeyedQueue;
  private readonly client: WebClient;
  private readonly postClient: WebClient;
  private readonly records: RecordStore;
  private readonly log: Logger;
  private readonly fence: Fence;

  constructor(o: NotifierOptions) {
    const { log, metrics } = o;
    const slowRetryMs = o.slowRetryMs ?? SLOW_RETRY_MS;
    this.client = o.client;
    this.postClient = o.postClient ?? o.client;
    this.records = o.records;
    this.log = log;
    this.fence = o.fence ?? ALWAYS_HELD;
    this.queue = new KeyedQueue(
      (name) => this.sync(name),
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
      1000,
    );
  }

  /** Tell the notifier a record changed (from a watch). */
  onRecord(r: DatabaseUpdate): void {
    this.queue.add(r.metadata.name);
  }

  /** Stop; waits for a running sync. */
  async stop(): Promise<void> {
    await this.queue.close();
  }

  /**
   * Post once: the fence is checked right before each try; only a 429 (Slack stored nothing) is tried
   * again, after its `Retry-After` (p-retry awaits the wait in `shouldRetry`). Any other failure is
   * thrown: the post may be stored, and its key stays pending for {@link resolvePending}.
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

  /** Edit a message (idempotent: the WebClient's own retries are safe), fenced. */
  private async update(args: ChatUpdateArguments): Promise<void> {
    assertHeld(this.fence, 'chat.update');
    await this.client.chat.update(args);
  }

  private metadata(name: string, key: string) {
    return { event_type: METADATA_EVENT, event_payload: { record: name, key } };
  }

  private async markPending(name: string, key: string, from?: DatabaseUpdate): Promise<DatabaseUpdate> {
    const out = await this.records.mutateStatus(
      name,
      (st) => {
        const pending = new Set(st.slack?.pending ?? []);
        if (pending.has(key)) return false;
        pending.add(key);
        st.slack = { ...(st.slack ?? {}), pending: [...pending] };
        return true;
      },
      { from },
    );
    return out.record;
  }

  /** Settle keys a crash left pending: those found in Slack count as posted, the others are dropped. */
  private async resolvePending(name: string, channel: string, record: DatabaseUpdate): Promise<DatabaseUpdate> {
    const pending = record.status?.slack?.pending ?? [];
    if (pending.length === 0) return record;
    const found = new Map<string, string>();
    const ts = record.status?.slack?.ts;
    const res = ts
      ? await this.client.conversations.replies({ channel, ts, include_all_metadata: true, limit: 200 })
      : await this.client.conversations.history({ channel, include_all_metadata: true, limit: 200 });
    for (const m of (res.messages ?? []) as Array<{ ts?: string; metadata?: PostMetadata }>) {
      const p = m.metadata?.event_payload;
      if (m.metadata?.event_type === METADATA_EVENT && p?.record === name && p.key && m.ts) found.set(p.key, m.ts);
    }
    this.log.info({ record: name, pending, found: [...found.keys()] }, 'resolved posts left pending by a restart');
    const out = await this.records.mutateStatus(name, (st) => {
      const slack = { ...(st.slack ?? {}) };
      const posted = new Set(slack.posted ?? []);
      for (const key of slack.pending ?? []) {
        if (key === PARENT_KEY) {
          if (found.has(key) && !slack.ts) slack.ts = found.get(key);
        } else if (key.startsWith('progress:')) {
          // an editable reply: keep its ts so it is edited, not posted again (empty hash forces one edit)
          if (found.has(key)) slack.edits = { ...(slack.edits ?? {}), [key]: { ts: found.get(key)!, hash: '' } };
        } else if (found.has(key)) posted.add(key);
      }
      slack.posted = [...posted];
      slack.pending = [];
      st.slack = slack;
      return true;
    });
    return out.record;
  }

  /** Bring one record's Slack messages up to date. */
  private async sync(name: string): Promise<void> {
    let record = await this.records.get(name);
    if (!record) return;
    const channel = record.status?.slack?.channel ?? record.spec.channel;
    record = await this.resolvePending(name, channel, record);
    if (!record.status?.slack?.ts) {
      record = await this.markPending(name, PARENT_KEY);
      const parent = renderParent(record);
      const res = await this.post({ channel, text: parent.text, blocks: parent.blocks as never, metadata: this.metadata(name, PARENT_KEY) });
      const ts = res.ts as string;
      const out = await this.records.mutateStatus(name, (st) => {
        st.slack = {
          ...(st.slack ?? {}),
          channel: res.channel ?? channel,
          ts,
          parentHash: renderHash(parent),
          posted: st.slack?.posted ?? [],
          pending: (st.slack?.pending ?? []).filter((k) => k !== PARENT_KEY),
        };
        return true;
      });
      record = out.record;
    }
    const threadTs = record.status!.slack!.ts!;
    const posted = new Set(record.status?.slack?.posted ?? []);
    for (const post of threadPosts(record)) {
      if (post.editable) {
        record = await this.syncEditable(name, channel, threadTs, post, record);
        continue;
      }
      if (posted.has(post.key)) continue;
      const marked = await this.markPending(name, post.key, record);
      await this.post({ channel, thread_ts: threadTs, text: post.text, mrkdwn: true, metadata: this.metadata(name, post.key) });
      posted.add(post.key);
      const out = await this.records.mutateStatus(
        name,
        (st) => {
          const keys = new Set(st.slack?.posted ?? []);
          keys.add(post.key);
          st.slack = { ...(st.slack ?? {}), posted: [...keys], pending: (st.slack?.pending ?? []).filter((k) => k !== post.key) };
          return true;
        },
        { from: marked },
      );
      record = out.record;
    }
    const parent = renderParent(record);
    const hash = renderHash(parent);
    if (hash !== record.status?.slack?.parentHash) {
      await this.update({ channel, ts: threadTs, text: parent.text, blocks: parent.blocks as never });
      await this.records.mutateStatus(
        name,
        (st) => {
          st.slack = { ...(st.slack ?? {}), parentHash: hash };
          return true;
        },
        { from: record },
      );
    }
  }

  /**
   * Post an editable thread reply the first time, then edit it when its text changes. Its first post is
   * made pending first, like any post, so a crash before the record write is resolved from Slack.
   */
  private async syncEditable(name: string, channel: string, threadTs: string, post: { key: string; text: string }, record: DatabaseUpdate): Promise<DatabaseUpdate> {
    const hash = renderHash({ text: post.text, blocks: [] });
    const known = record.status?.slack?.edits?.[post.key];
    if (known?.hash === hash) return record;
    let ts = known?.ts;
    if (ts) {
      await this.update({ channel, ts, text: post.text });
    } else {
      await this.markPending(name, post.key);
      const res = await this.post({ channel, thread_ts: threadTs, text: post.text, mrkdwn: true, metadata: this.metadata(name, post.key) });
      ts = res.ts as string;
    }
    const entry = { ts, hash };
    const out = await this.records.mutateStatus(name, (st) => {
      st.slack = {
        ...(st.slack ?? {}),
        edits: { ...(st.slack?.edits ?? {}), [post.key]: entry },
        pending: (st.slack?.pending ?? []).filter((k) => k !== post.key),
      };
      return true;
    });
    return out.record;
  }
}
