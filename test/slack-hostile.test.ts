/**
 * Hostile and misplaced interactions, through the real Bolt app over the Slack emulator: a button
 * `value` that is no Kubernetes name (`""`, `.`, `..`), an Approve click carrying another request's
 * name, a payload for another app or workspace, forged reject-modal metadata, an API error. Each is
 * refused with a clear message, audited, and changes nothing in the cluster (the record keeps its
 * resourceVersion). Also: user text in audit logs is capped.
 */
import { Writable } from 'node:stream';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startWorld, USERS, CHANNEL, type World } from '../sim/world.js';
import { request, approve, buttonValue, pollUntil, rejectWithReason } from '../sim/script.js';
import { createLogger } from '../src/log.js';
import { ACTION_APPROVE, ACTION_REJECT, REJECT_REASON_ACTION, REJECT_REASON_BLOCK } from '../src/slack/render.js';
import { blockActionsPayload, findElement, viewSubmissionPayload } from '../sim/slack/payloads.js';
import type { DatabaseUpdate } from '../src/api/v1alpha1/databaseupdate.js';
import type { SlackMessage } from '../sim/slack/server.js';

let w: World;
const lines: string[] = [];
let first: { record: DatabaseUpdate; parent: SlackMessage };
let second: { record: DatabaseUpdate; parent: SlackMessage };

beforeAll(async () => {
  const sink = new Writable({
    write(chunk, _enc, cb) {
      lines.push(...String(chunk).split('\n').filter(Boolean));
      cb();
    },
  });
  w = await startWorld({ sim: { podReadyDelayMs: 15, stepDelayMs: 15 }, log: createLogger('info', sink) });
  first = await request(w.slack, w.bot.records, USERS.requester, CHANNEL, 'mysql orders 8.0.36');
  second = await request(w.slack, w.bot.records, USERS.requester, CHANNEL, 'perconaxtradb inventory 8.4.3');
}, 60_000);
afterAll(async () => {
  await w?.stop();
});

const audits = () => lines.map((l) => JSON.parse(l) as Record<string, unknown>).filter((l) => l.audit === 'refuse');

/** Both records exactly as they were (same resourceVersion: nothing was written). */
async function expectUnchanged(): Promise<void> {
  for (const r of [first.record, second.record]) {
    const now = await w.bot.records.get(r.metadata.name);
    expect(now?.status?.phase ?? 'Pending').toBe('Pending');
    expect(now?.status?.approvals ?? []).toEqual([]);
  }
}

/** Take both records' resourceVersions now; the returned check asserts they are still Pending, unvoted and unwritten. */
async function snapshot(): Promise<() => Promise<void>> {
  const before = await Promise.all([first, second].map(async (x) => (await w.bot.records.get(x.record.metadata.name))!.metadata.resourceVersion));
  return async () => {
    await expectUnchanged();
    const after = await Promise.all([first, second].map(async (x) => (await w.bot.records.get(x.record.metadata.name))!.metadata.resourceVersion));
    expect(after).toEqual(before);
  };
}

/** Wait for the `n`-th ephemeral message to `user` matching `re`. */
async function ephemeralTo(user: string, re: RegExp, n = 1): Promise<SlackMessage> {
  return w.slack.waitFor(() => w.slack.messages(CHANNEL).filter((m) => m.ephemeralTo === user && re.test(m.text))[n - 1], { what: `ephemeral ${re} to ${user}` });
}

const NOT_OURS = /not one of this bot's requests/;

describe('button values that are not Kubernetes names', () => {
  for (const value of ['', '.', '..', '../../secrets', 'ORDERS', 'a'.repeat(254)]) {
    it(`Approve with value ${JSON.stringify(value.slice(0, 20))}: refused before any API call, nothing changed`, async () => {
      const unchanged = await snapshot();
      const seen = w.slack.messages(CHANNEL).filter((m) => m.ephemeralTo === USERS.approver && NOT_OURS.test(m.text)).length;
      const n0 = w.cluster.server.requests.length;
      await w.slack.clickButton({ user: USERS.approver, channel: CHANNEL, messageTs: first.parent.ts, actionId: ACTION_APPROVE, value });
      const eph = await ephemeralTo(USERS.approver, NOT_OURS, seen + 1);
      expect(eph.text).toMatch(/nothing was changed/);
      expect(audits().some((a) => a.action === 'approve' && a.record === value && /not a valid Kubernetes name/.test(String(a.why)))).toBe(true);
      // no request about records other than the two real ones (a GET of "", "." or ".." would list or escape)
      const known = [first, second].map((x) => x.record.metadata.name);
      const stray = w.cluster.server.requests.slice(n0).filter((r) => r.path.includes('databaseupdates') && r.verb !== 'watch' && !known.some((k) => r.path.endsWith(`/${k}`) || r.path.endsWith(`/${k}/status`)));
      expect(stray).toEqual([]);
      await unchanged();
    });
  }

  it('Reject with value "..": refused, no modal opened, nothing changed', async () => {
    const unchanged = await snapshot();
    const views = w.slack.openViews().length;
    const seen = w.slack.messages(CHANNEL).filter((m) => m.ephemeralTo === USERS.approver && NOT_OURS.test(m.text)).length;
    await w.slack.clickButton({ user: USERS.approver, channel: CHANNEL, messageTs: first.parent.ts, actionId: ACTION_REJECT, value: '..' });
    await ephemeralTo(USERS.approver, NOT_OURS, seen + 1);
    expect(w.slack.openViews().length).toBe(views);
    await unchanged();
  });
});

describe('an approval is bound to the request\'s own message', () => {
  it('Approve on the second request\'s message carrying the first one\'s name: refused, neither changes', async () => {
    const unchanged = await snapshot();
    await w.slack.clickButton({ user: USERS.approver, channel: CHANNEL, messageTs: second.parent.ts, actionId: ACTION_APPROVE, value: first.record.metadata.name });
    const eph = await ephemeralTo(USERS.approver, /not on the approval message/);
    expect(eph.text).toContain(first.record.metadata.name);
    expect(audits().some((a) => a.action === 'approve' && /not on the request's message/.test(String(a.why)))).toBe(true);
    await unchanged();
  });

  it('Reject on the wrong message: refused, no modal', async () => {
    const unchanged = await snapshot();
    const views = w.slack.openViews().length;
    await w.slack.clickButton({ user: USERS.approver, channel: CHANNEL, messageTs: second.parent.ts, actionId: ACTION_REJECT, value: first.record.metadata.name });
    await ephemeralTo(USERS.approver, /not on the approval message/, 2);
    expect(w.slack.openViews().length).toBe(views);
    await unchanged();
  });
});

/** A block_actions payload for a click on `parent`'s Approve button, as another app / workspace would send it. */
function forgedClick(parent: SlackMessage, ctx: { appId: string; teamId: string }): Record<string, unknown> {
  const message = w.slack.message(CHANNEL, parent.ts)!;
  const user = w.slack.users().find((u) => u.id === USERS.approver)!;
  return blockActionsPayload(
    { team: { id: ctx.teamId, domain: 'elsewhere' }, apiAppId: ctx.appId, verificationToken: 'x' },
    { user, channel: { id: CHANNEL, name: 'db-ops' }, message, found: findElement(message.blocks, ACTION_APPROVE)!, responseUrl: 'http://127.0.0.1:9/none', triggerId: randomUUID(), actionTs: (Date.now() / 1000).toFixed(6) },
  );
}

describe('an approval is bound to this app and workspace', () => {
  for (const [what, ctx] of [
    ['another app', { appId: 'A_OTHER', teamId: 'T_EMU' }],
    ['another workspace', { appId: 'A_DBUPDATE', teamId: 'T_OTHER' }],
  ] as const) {
    it(`a click for ${what} is refused and changes nothing`, async () => {
      const unchanged = await snapshot();
      const seen = w.slack.messages(CHANNEL).filter((m) => m.ephemeralTo === USERS.approver && NOT_OURS.test(m.text)).length;
      await w.slack.sendEnvelope('interactive', forgedClick(first.parent, ctx));
      await ephemeralTo(USERS.approver, NOT_OURS, seen + 1);
      expect(audits().some((a) => a.action === 'approve' && new RegExp(ctx.appId === 'A_OTHER' ? 'A_OTHER' : 'T_OTHER').test(String(a.why)))).toBe(true);
      await unchanged();
    });
  }
});

describe('the reject modal\'s private_metadata', () => {
  /** Open the real reject modal on the first request, then submit it with `metadata` instead of the app's. */
  async function submitForged(metadata: string): Promise<unknown> {
    const fresh = w.slack.message(CHANNEL, first.parent.ts)!;
    const opened = w.slack.openViews().length;
    await w.slack.clickButton({ user: USERS.approver, channel: CHANNEL, messageTs: first.parent.ts, actionId: ACTION_REJECT, value: buttonValue(fresh, ACTION_REJECT) });
    const view = await w.slack.waitFor(() => w.slack.openViews()[opened], { what: 'the reject modal' });
    const user = w.slack.users().find((u) => u.id === USERS.approver)!;
    const payload = viewSubmissionPayload(
      { team: { id: 'T_EMU', domain: 'emulated' }, apiAppId: 'A_DBUPDATE', verificationToken: 'x' },
      { user, view: { ...view.view, private_metadata: metadata }, values: { [REJECT_REASON_BLOCK]: { [REJECT_REASON_ACTION]: { type: 'plain_text_input', value: 'no' } } }, triggerId: randomUUID() },
    );
    return (await w.slack.sendEnvelope('interactive', payload, true)).ackPayload;
  }

  for (const meta of ['not json', '{"record":".."}', '{"record":"","channel":"C_DBOPS","ts":"1.000001"}', JSON.stringify({ record: '..', channel: CHANNEL, ts: '1700000000.000100' })]) {
    it(`metadata ${meta}: the form says so, nothing changed`, async () => {
      const unchanged = await snapshot();
      const ack = (await submitForged(meta)) as { response_action?: string; errors?: Record<string, string> };
      expect(ack.response_action).toBe('errors');
      expect(ack.errors?.[REJECT_REASON_BLOCK]).toMatch(NOT_OURS);
      await unchanged();
    });
  }

  it('metadata naming the first request but the second one\'s message: refused, nothing changed', async () => {
    const unchanged = await snapshot();
    await submitForged(JSON.stringify({ record: first.record.metadata.name, channel: CHANNEL, ts: second.parent.ts }));
    await ephemeralTo(USERS.approver, /not for the approval message/);
    await unchanged();
  });
});

describe('errors', () => {
  it('an API error is answered generically with a reference; the detail is only in the log', async () => {
    const unchanged = await snapshot();
    const name = first.record.metadata.name;
    w.cluster.server.faults.add({ verb: 'get', pathIncludes: `databaseupdates/${name}`, status: 403, message: `databaseupdates "${name}" is forbidden: secret-detail-xyz`, times: 1 });
    await w.slack.clickButton({ user: USERS.approver, channel: CHANNEL, messageTs: first.parent.ts, actionId: ACTION_APPROVE, value: name });
    const eph = await ephemeralTo(USERS.approver, /error on the bot's side/);
    expect(eph.text).not.toContain('secret-detail-xyz');
    const ref = /reference `([0-9a-f]{8})`/.exec(eph.text)![1];
    const logged = lines.map((l) => JSON.parse(l) as Record<string, unknown>).find((l) => l.ref === ref);
    expect(String(logged?.err)).toContain('secret-detail-xyz');
    await unchanged();
  });

  it('after all that, the real buttons still work: Approve on the request\'s own message counts', async () => {
    await approve(w.slack, CHANNEL, first.parent, USERS.approver);
    const r = await pollUntil(async () => {
      const x = await w.bot.records.get(first.record.metadata.name);
      return x && x.status?.phase !== 'Pending' ? x : undefined;
    }, 10_000, () => 'the approval to count');
    expect(r.status?.approvals?.map((v) => v.user)).toEqual([USERS.approver]);
    await rejectWithReason(w.slack, CHANNEL, second.parent, USERS.approver, 'not now');
    const s = await pollUntil(async () => {
      const x = await w.bot.records.get(second.record.metadata.name);
      return x?.status?.phase === 'Rejected' ? x : undefined;
    }, 10_000, () => 'the rejection');
    expect(s.status?.rejection?.reason).toBe('not now');
  });
});

describe('user text in the audit log', () => {
  it('a 40 KB --reason is cut to 1 KB with a marker in every log line', async () => {
    const before = lines.length;
    const reason = 'x'.repeat(40_000);
    const cmd = await w.slack.typeCommand({ user: USERS.requester, channel: CHANNEL, text: `mysql orders 8.0.36 --reason "${reason}"` });
    const text = JSON.stringify(cmd.ackPayload ?? '') + JSON.stringify(cmd.responses());
    expect(text).toMatch(/at most 500/);
    const mine = lines.slice(before).filter((l) => l.includes('xxxx'));
    expect(mine.length).toBeGreaterThan(0);
    for (const l of mine) {
      expect(l.length).toBeLessThan(4096);
      expect(l).toMatch(/…\[truncated \d+ chars\]/);
    }
  });
});
