/**
 * The Slack notifier: renders record changes into Slack. For each record it keeps one parent message
 * (posted once, then edited with `chat.update` as the record changes) and posts each thread reply of
 * {@link threadPosts} once, in order. What was posted is written back to the record's
 * `status.slack` (`ts`, `posted` keys, `parentHash`), so a restarted bot neither re-posts nor skips.
 * One queue per record serialises and coalesces rapid changes (Slack allows about one message per second
 * per channel; the WebClient retries 429s after `Retry-After`).
 */
import type { Logger } from 'pino';
import type { WebClient } from '@slack/web-api';
import { KeyedQueue } from '../kube/informer.js';
import type { RecordStore } from '../kube/records.js';
import type { DatabaseUpdate } from '../updates/types.js';
import { renderHash, renderParent, threadPosts } from './render.js';

/** Follows records and keeps their Slack messages in step. */
export class Notifier {
  private readonly queue: KeyedQueue;

  /** @param client a Bolt/WebClient with the bot token. */
  constructor(
    private readonly client: WebClient,
    private readonly records: RecordStore,
    private readonly log: Logger,
  ) {
    this.queue = new KeyedQueue(
      (name) => this.sync(name),
      (name, err) => log.warn({ record: name, err: (err as Error).message }, 'Slack notification failed; will retry'),
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

  /** Post an editable thread reply the first time, then edit it when its text changes. */
  private async syncEditable(name: string, channel: string, threadTs: string, post: { key: string; text: string }, record: DatabaseUpdate): Promise<DatabaseUpdate> {
    const hash = renderHash({ text: post.text, blocks: [] });
    const known = record.status?.slack?.edits?.[post.key];
    if (known?.hash === hash) return record;
    let ts = known?.ts;
    if (ts) {
      await this.client.chat.update({ channel, ts, text: post.text });
    } else {
      const res = await this.client.chat.postMessage({ channel, thread_ts: threadTs, text: post.text, mrkdwn: true });
      ts = res.ts as string;
    }
    const entry = { ts, hash };
    const out = await this.records.mutateStatus(name, (st) => {
      st.slack = { ...(st.slack ?? {}), edits: { ...(st.slack?.edits ?? {}), [post.key]: entry } };
      return true;
    });
    return out.record;
  }

  /** Bring one record's Slack messages up to date. */
  private async sync(name: string): Promise<void> {
    let record = await this.records.get(name);
    if (!record) return;
    const slack = record.status?.slack ?? {};
    const channel = slack.channel ?? record.spec.channel;
    if (!slack.ts) {
      const parent = renderParent(record);
      const res = await this.client.chat.postMessage({ channel, text: parent.text, blocks: parent.blocks as never });
      const ts = res.ts as string;
      const out = await this.records.mutateStatus(name, (st) => {
        st.slack = { ...(st.slack ?? {}), channel: res.channel ?? channel, ts, parentHash: renderHash(parent), posted: st.slack?.posted ?? [] };
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
      await this.client.chat.postMessage({ channel, thread_ts: threadTs, text: post.text, mrkdwn: true });
      posted.add(post.key);
      const out = await this.records.mutateStatus(name, (st) => {
        const keys = new Set(st.slack?.posted ?? []);
        if (keys.has(post.key)) return false;
        keys.add(post.key);
        st.slack = { ...(st.slack ?? {}), posted: [...keys] };
        return true;
      });
      record = out.record;
    }
    const parent = renderParent(record);
    const hash = renderHash(parent);
    if (hash !== record.status?.slack?.parentHash) {
      await this.client.chat.update({ channel, ts: threadTs, text: parent.text, blocks: parent.blocks as never });
      await this.records.mutateStatus(name, (st) => {
        st.slack = { ...(st.slack ?? {}), parentHash: hash };
        return true;
      });
    }
  }
}
