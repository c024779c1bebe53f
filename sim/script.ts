/**
 * Acting as people in the embedded Slack: type a command, find the bot's parent message for a request,
 * click its buttons, and wait for the record to settle. Shared by the demo, the tests and the benchmarks.
 */
import type { SlackEmulator, SlackMessage } from './slack/server.js';
import type { RecordStore } from '../src/updates/records.js';
import type { DatabaseUpdate, Phase } from '../src/api/v1alpha1/databaseupdate.js';
import { TERMINAL_PHASES } from '../src/api/v1alpha1/databaseupdate.js';
import { ACTION_APPROVE, ACTION_REJECT, renderHash, renderParent } from '../src/slack/render.js';

/** The `value` of the button with `actionId` in a message's blocks, or undefined. */
export function buttonValue(message: SlackMessage, actionId: string): string | undefined {
  for (const b of (message.blocks ?? []) as Array<{ type: string; elements?: Array<{ action_id?: string; value?: string }> }>) {
    if (b.type !== 'actions') continue;
    const el = b.elements?.find((e) => e.action_id === actionId);
    if (el) return el.value;
  }
  return undefined;
}

/** Type `/dbupdate <text>` as `user` and wait for the bot's parent message of the new request. */
export async function request(slack: SlackEmulator, records: RecordStore, user: string, channel: string, text: string, timeoutMs = 10_000): Promise<{ record: DatabaseUpdate; parent: SlackMessage }> {
  const before = new Set((await records.list()).map((r) => r.metadata.name));
  const cmd = await slack.typeCommand({ user, channel, text });
  const found = await pollUntil(async () => (await records.list()).find((r) => !before.has(r.metadata.name) && r.status?.slack?.ts), timeoutMs, () => `a request recorded and posted for "${text}" (the ack: ${JSON.stringify(cmd.ackPayload ?? null)}; ephemeral replies: ${JSON.stringify(cmd.responses())})`);
  const parent = slack.message(channel, found.status!.slack!.ts!)!;
  return { record: found, parent };
}

/** Click Approve on a request's parent message as `user`. */
export async function approve(slack: SlackEmulator, channel: string, parent: SlackMessage, user: string): Promise<void> {
  const fresh = slack.message(channel, parent.ts) ?? parent;
  await slack.clickButton({ user, channel, messageTs: parent.ts, actionId: ACTION_APPROVE, value: buttonValue(fresh, ACTION_APPROVE) });
}

/** Click Reject as `user` and submit `reason` in the modal that opens. */
export async function rejectWithReason(slack: SlackEmulator, channel: string, parent: SlackMessage, user: string, reason: string, timeoutMs = 5000): Promise<void> {
  const opened = slack.openViews().length;
  const fresh = slack.message(channel, parent.ts) ?? parent;
  await slack.clickButton({ user, channel, messageTs: parent.ts, actionId: ACTION_REJECT, value: buttonValue(fresh, ACTION_REJECT) });
  const view = await slack.waitFor(() => slack.openViews()[opened], { timeoutMs, what: 'the reject modal to open' });
  await slack.submitView({ user, viewId: view.id, values: { reason: { reason_input: { type: 'plain_text_input', value: reason } } } });
}

/** Poll `fn` every 20 ms until it returns a value; rejects after `timeoutMs` naming `what()`. */
export async function pollUntil<T>(fn: () => Promise<T | undefined | false>, timeoutMs: number, what: () => string): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what()}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Wait until a record reaches one of `phases` (default: any terminal phase) and its Slack posts and parent message are up to date. */
export async function settle(records: RecordStore, name: string, timeoutMs = 30_000, phases: readonly Phase[] = TERMINAL_PHASES): Promise<DatabaseUpdate> {
  return pollUntil(
    async () => {
      const r = await records.get(name);
      if (!r || !phases.includes(r.status?.phase ?? 'Pending')) return undefined;
      const posted = r.status?.slack?.posted ?? [];
      const final = r.status?.phase === 'Succeeded' ? 'done' : r.status?.phase === 'Failed' ? 'failed' : undefined;
      if (final && !posted.includes(final)) return undefined;
      if (r.status?.slack?.parentHash !== renderHash(renderParent(r))) return undefined;
      return r;
    },
    timeoutMs,
    () => `record ${name} to reach ${phases.join('/')}`,
  );
}
