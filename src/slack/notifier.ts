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
 * `conversations.history`. One queue per record serialises and coalesces rapid changes; the WebClient
 * retries 429s after `Retry-After`.
 */
import type { Logger } from 'pino';
import type { WebClient } from '@slack/web-api';
import { KeyedQueue } from '../kube/informer.js';
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

/** Follows records and keeps their Slack messages in step. */
export class Notifier {
  private readonly queue: KeyedQueue;

  /** @param client a Bolt/WebClient with the bot token. */
  constructor(
    private readonly client: WebClient,
    private readonly records: RecordStore,
    private readonly log: Logger,
    metrics?: Metrics,
    /** Delay (ms) before retrying a post Slack refused for a reason a person must fix (default 30 s). */
    slowRetryMs = SLOW_RETRY_MS,
  ) {
    this.queue = new KeyedQueue(
      (name) => this.sync(name),
      (name, err) => {
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
      const res = await this.client.chat.postMessage({ channel, text: parent.text, blocks: parent.blocks as never, metadata: this.metadata(name, PARENT_KEY) });
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
      await this.client.chat.postMessage({ channel, thread_ts: threadTs, text: post.text, mrkdwn: true, metadata: this.metadata(name, post.key) });
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
      await this.client.chat.update({ channel, ts: threadTs, text: parent.text, blocks: parent.blocks as never });
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
      await this.client.chat.update({ channel, ts, text: post.text });
    } else {
      await this.markPending(name, post.key);
      const res = await this.client.chat.postMessage({ channel, thread_ts: threadTs, text: post.text, mrkdwn: true, metadata: this.metadata(name, post.key) });
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
