/**
 * The modules the listeners are built from (issue #21 item 4), each on its own: the form binding
 * (HMAC in `private_metadata`), `userText` (the one way an error reaches a user), the write-before-ack
 * helper on a real `FollowUpQueue`, the identity checks with a real WebClient against the Slack emulator,
 * the reject modal's Block Kit, the channel id check, `contentKey` and the visibility rule.
 */
import { Writable } from 'node:stream';
import { ApiException } from '@kubernetes/client-node';
import { WebClient } from '@slack/web-api';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NotFoundError } from '../src/kube/errors.js';
import { RecordRefusal } from '../src/updates/records.js';
import { userText } from '../src/slack/errors.js';
import { FORM_TTL_MS, formKey, signForm, verifyForm } from '../src/slack/form-binding.js';
import { ackWithAnswer, writeBeforeAck } from '../src/slack/ack.js';
import { FollowUpQueue } from '../src/slack/followup.js';
import { AppIdentity, UNTRUSTED_REPLY } from '../src/slack/identity.js';
import { rejectModal, rejectReason } from '../src/slack/reject-modal.js';
import { REJECT_REASON_ACTION, REJECT_REASON_BLOCK, VIEW_REJECT, contentKey, renderParent } from '../src/slack/render.js';
import { isChannelId } from '../src/slack/channel-check.js';
import { maySee } from '../src/slack/visibility.js';
import { SlackEmulator } from '../sim/slack/server.js';
import { CHANNEL, USERS, worldConfig } from '../sim/world.js';
import { VALID_RECORD_SPEC } from './support/record-spec.js';
import type { DatabaseUpdate } from '../src/api/v1alpha1/databaseupdate.js';

/** A pino logger whose lines are kept (JSON objects). */
function capture() {
  const lines: Array<Record<string, unknown>> = [];
  const stream = new Writable({
    write(chunk, _enc, cb) {
      for (const l of String(chunk).split('\n').filter(Boolean)) lines.push(JSON.parse(l));
      cb();
    },
  });
  return { log: pino({ level: 'debug' }, stream), lines };
}

describe('form binding (HMAC in private_metadata)', () => {
  const key = formKey('xoxb-T-test-token');
  const now = Date.parse('2026-12-07T08:00:00Z');
  const meta = signForm(key, 'form', 'U_ALICE', 'T_EMU', now);

  it('verifies for the user and team it was signed for, and gives the nonce', () => {
    const b = verifyForm(key, 'form', meta, { user: 'U_ALICE', team: 'T_EMU', now: now + 60_000 });
    expect(b).toMatchObject({ user: 'U_ALICE', team: 'T_EMU', issuedAt: now, nonce: expect.stringMatching(/^[0-9a-f]{16}$/) });
    expect(meta.length).toBeLessThan(3000);
  });

  it('refuses another user, another team, another callback_id, another key, a tampered field, an expired form, and garbage', () => {
    const why = (r: unknown) => (r as { why?: string }).why;
    expect(why(verifyForm(key, 'form', meta, { user: 'U_BOB', team: 'T_EMU', now }))).toMatch(/opened for U_ALICE/);
    expect(why(verifyForm(key, 'form', meta, { user: 'U_ALICE', team: 'T_OTHER', now }))).toMatch(/team/);
    expect(why(verifyForm(key, 'other', meta, { user: 'U_ALICE', team: 'T_EMU', now }))).toMatch(/MAC/);
    expect(why(verifyForm(formKey('xoxb-another'), 'form', meta, { user: 'U_ALICE', team: 'T_EMU', now }))).toMatch(/MAC/);
    const tampered = JSON.stringify({ ...JSON.parse(meta), u: 'U_BOB' });
    expect(why(verifyForm(key, 'form', tampered, { user: 'U_BOB', team: 'T_EMU', now }))).toMatch(/MAC/);
    expect(why(verifyForm(key, 'form', meta, { user: 'U_ALICE', team: 'T_EMU', now: now + FORM_TTL_MS + 1 }))).toMatch(/24 h/);
    for (const raw of ['', 'not json', '{}', '[]', 'null', undefined, 42, 'x'.repeat(3001)]) expect(why(verifyForm(key, 'form', raw, { user: 'U_ALICE', team: 'T_EMU', now }))).toBeDefined();
  });
});

describe('userText: one function from any error to what the user reads', () => {
  it('a refusal meant for the user is shown as it is', () => {
    const { log, lines } = capture();
    expect(userText(new RecordRefusal('This request is already approved.'), { log, what: 'record your approval' })).toBe('This request is already approved.');
    expect(lines).toEqual([]);
  });

  it('a missing record (NotFoundError of kind DatabaseUpdate) gets the caller\'s sentence; any other 404 is generic', () => {
    const { log } = capture();
    expect(userText(new NotFoundError('DatabaseUpdate', 'dbupdate', 'x'), { log, what: 'cancel', gone: 'No such request.' })).toBe('No such request.');
    expect(userText(new NotFoundError('MySQL', 'demo', 'orders'), { log, what: 'cancel', gone: 'No such request.' })).toMatch(/^Could not cancel \(an error on the bot's side, reference `[0-9a-f]{8}`/);
  });

  it('a Kubernetes 403 is generic with a reference; the raw Status is only in the log, under that reference', () => {
    const { log, lines } = capture();
    const status = { kind: 'Status', status: 'Failure', message: 'databaseupdates.dbupdate.dev is forbidden: User "system:serviceaccount:dbupdate:dbupdate" cannot get resource', reason: 'Forbidden', code: 403 };
    const err = new ApiException(403, 'Forbidden', JSON.stringify(status), {});
    const text = userText(err, { log, what: 'resume `x`', ctx: { user: 'U_ALICE' } });
    const ref = /reference `([0-9a-f]{8})`/.exec(text)?.[1];
    expect(ref).toBeDefined();
    expect(text).not.toMatch(/serviceaccount|forbidden|403/i);
    expect(lines).toEqual([expect.objectContaining({ level: 50, ref, user: 'U_ALICE', err: expect.stringContaining('system:serviceaccount') })]);
  });
});

describe('writeBeforeAck on a real FollowUpQueue', () => {
  const timing = (budgetMs: number) => ({ arrivedAt: performance.now(), startMs: 150, budgetMs, concurrency: 4 });

  it('work done within the budget: in time; answered in the ack, nothing delivered after it', async () => {
    const q = new FollowUpQueue({ quietMs: 0 });
    const delivered: string[] = [];
    const w = writeBeforeAck(q, timing(2000), async () => 'answer', async (t) => void delivered.push(t));
    expect(await w.inTime).toBe(true);
    expect(await w.outcome).toBe('answer');
    w.acked(true);
    expect(await q.drain(1000)).toBe(0);
    expect(delivered).toEqual([]);
  });

  it('work slower than the budget: not in time; delivered once the ack has gone', async () => {
    const q = new FollowUpQueue({ quietMs: 0 });
    const delivered: string[] = [];
    const w = writeBeforeAck(q, timing(50), () => new Promise<string>((r) => setTimeout(() => r('late'), 300)), async (t) => void delivered.push(t));
    expect(await w.inTime).toBe(false);
    expect(delivered).toEqual([]);
    w.acked();
    expect(await q.drain(2000)).toBe(0);
    expect(delivered).toEqual(['late']);
  });

  it('the 2nd envelope of a burst (arrived within quietMs of the 1st): not in time, the ack does not wait', async () => {
    const q = new FollowUpQueue({ quietMs: 1000 });
    q.arrived();
    const first = writeBeforeAck(q, { ...timing(120_000), startMs: 60_000 }, async () => 'a', async () => {});
    q.arrived();
    const second = writeBeforeAck(q, { ...timing(120_000), startMs: 60_000 }, async () => 'b', async () => {});
    expect([first.hold, second.hold]).toEqual([true, false]);
    expect(await second.inTime).toBe(false);
    expect(await first.inTime).toBe(true); // held: its follow-up starts once the burst is quiet
    first.acked(true);
    second.acked();
    expect(await q.drain(5000)).toBe(0);
  });

  it('a full queue: not in time, without waiting for a start (the ack does not wait behind a burst)', async () => {
    const q = new FollowUpQueue({ quietMs: 0, concurrency: 1 });
    let free: () => void = () => {};
    const started = new Promise<void>((s) => void q.run(() => new Promise<void>((r) => ((free = r), s()))));
    await started;
    // startMs of a minute: had the ack waited for its follow-up to start, this would not settle while the slot is taken
    const w = writeBeforeAck(q, { ...timing(120_000), startMs: 60_000, concurrency: 1 }, async () => 'x', async () => {});
    expect(w.hold).toBe(false);
    expect(await w.inTime).toBe(false);
    w.acked();
    free();
    expect(await q.drain(1000)).toBe(0);
  });

  it('ackWithAnswer within a burst: acks with the late text before the work has even started, then the answer is delivered once', async () => {
    const q = new FollowUpQueue({ quietMs: 1000 });
    q.arrived();
    q.arrived(); // the 2nd envelope of a burst
    const delivered: string[] = [];
    let workStarted = false;
    const w = writeBeforeAck(q, timing(120_000), async () => ((workStarted = true), 'the answer'), async (t) => void delivered.push(t));
    const acks: Array<{ text: string } | undefined> = [];
    await ackWithAnswer(w, async (m) => void acks.push(m), 'still checking');
    expect(acks).toEqual([{ response_type: 'ephemeral', text: 'still checking' }]);
    expect(workStarted).toBe(false); // the follow-up waits for the burst to be quiet; the ack did not
    expect(await q.drain(5000)).toBe(0);
    expect(delivered).toEqual(['the answer']);
  });

  it('ackWithAnswer outside a burst: the answer travels in the ack, nothing after it', async () => {
    const q = new FollowUpQueue({ quietMs: 0 });
    const delivered: string[] = [];
    const w = writeBeforeAck(q, timing(2000), async () => 'the answer', async (t) => void delivered.push(t));
    expect(w.hold).toBe(true);
    const acks: Array<{ text: string } | undefined> = [];
    await ackWithAnswer(w, async (m) => void acks.push(m), 'still checking');
    expect(acks).toEqual([{ response_type: 'ephemeral', text: 'the answer' }]);
    expect(await q.drain(1000)).toBe(0);
    expect(delivered).toEqual([]);
  });
});

describe('identity checks against the Slack emulator', () => {
  let slack: SlackEmulator;
  let client: WebClient;
  beforeAll(async () => {
    slack = await SlackEmulator.start({ channels: [{ id: CHANNEL, name: 'db-ops' }] });
    client = new WebClient(slack.botToken, { slackApiUrl: slack.apiUrl, retryConfig: { retries: 0 } });
  });
  afterAll(async () => {
    await slack?.stop();
  });

  it('learns the app id only from a message this bot posted, then refuses another app or team', async () => {
    const { log, lines } = capture();
    const id = new AppIdentity({ log });
    const human = slack.postAsUser({ user: USERS.requester, channel: CHANNEL, text: 'hi' });
    expect(await id.whoAmI(client, { channel: CHANNEL, ts: human.ts })).toBeUndefined();
    expect(await id.untrusted(client, USERS.approver, 'approve', { appId: 'A_DBUPDATE', teamId: 'T_EMU' }, 'orders-1a2b3c4d', { channel: CHANNEL, ts: human.ts })).toBe(UNTRUSTED_REPLY);
    const mine = slack.seedBotMessage({ channel: CHANNEL, text: 'approval' });
    expect(await id.whoAmI(client, { channel: CHANNEL, ts: mine.ts })).toEqual({ appId: 'A_DBUPDATE', teamId: 'T_EMU' });
    expect(await id.untrusted(client, USERS.approver, 'approve', { appId: 'A_DBUPDATE', teamId: 'T_EMU' }, 'orders-1a2b3c4d', {})).toBeUndefined();
    expect(await id.untrusted(client, USERS.approver, 'approve', { appId: 'A_OTHER', teamId: 'T_EMU' }, 'orders-1a2b3c4d', {})).toBe(UNTRUSTED_REPLY);
    expect(await id.untrusted(client, USERS.approver, 'approve', { appId: 'A_DBUPDATE', teamId: 'T_OTHER' }, 'orders-1a2b3c4d', {})).toBe(UNTRUSTED_REPLY);
    expect(await id.untrusted(client, USERS.approver, 'approve', { appId: 'A_DBUPDATE', teamId: 'T_EMU' }, '../all', {})).toBe(UNTRUSTED_REPLY);
    expect(lines.filter((l) => l.audit === 'refuse').map((l) => l.why)).toEqual([
      expect.stringContaining('not posted by this bot'),
      expect.stringContaining('A_OTHER'),
      expect.stringContaining('T_OTHER'),
      expect.stringContaining('not a valid Kubernetes name'),
    ]);
  });
});

describe('reject modal, channel ids, contentKey, visibility', () => {
  const record = { apiVersion: 'dbupdate.dev/v1alpha1', kind: 'DatabaseUpdate', metadata: { name: 'orders-1a2b3c4d', namespace: 'dbupdate' }, spec: structuredClone(VALID_RECORD_SPEC), status: { phase: 'Pending' } } as unknown as DatabaseUpdate;

  it('the reject modal carries the record and the approval message, and reads the reason back', () => {
    const v = rejectModal(record, { channel: CHANNEL, ts: '1700000000.000100' });
    expect(v).toMatchObject({ type: 'modal', callback_id: VIEW_REJECT });
    expect(JSON.parse(String(v.private_metadata))).toEqual({ record: 'orders-1a2b3c4d', channel: CHANNEL, ts: '1700000000.000100' });
    expect((v.title as { text: string }).text.length).toBeLessThanOrEqual(24);
    expect(rejectReason({ [REJECT_REASON_BLOCK]: { [REJECT_REASON_ACTION]: { value: '  too risky \n' } } })).toBe('too risky');
    expect(rejectReason({})).toBe('');
  });

  it('channel ids: C…/G… ids only', () => {
    expect(isChannelId('C_DBOPS')).toBe(true);
    expect(isChannelId('G0123ABCD')).toBe(true);
    for (const bad of ['<!channel>', 'C'.repeat(300), 'U_ALICE', 'D_ALICE', '', 'c_lower', undefined]) expect(isChannelId(bad)).toBe(false);
  });

  it('contentKey ignores what Slack adds to stored blocks, not what they say', () => {
    const r = renderParent(record);
    const stored = { text: r.text, blocks: (r.blocks as Array<Record<string, unknown>>).map((b, i) => ({ block_id: `b${i}`, ...b })) };
    expect(contentKey(stored)).toBe(contentKey(r));
    expect(contentKey({ ...stored, text: stored.text.replace(/^\w+/, 'Approved') })).not.toBe(contentKey(r));
  });

  it('maySee: requester and approvers always; others as the policy lets them request', () => {
    const open = worldConfig();
    const closed = worldConfig({ requesters: { users: [USERS.requester], groups: [], channels: [] } });
    const r = { ...record, spec: { ...record.spec, requester: USERS.requester, approvers: [USERS.approver] } };
    expect(maySee(r, closed, USERS.requester)).toBe(true);
    expect(maySee(r, closed, USERS.approver)).toBe(true);
    expect(maySee(r, closed, USERS.outsider)).toBe(false);
    expect(maySee(r, open, USERS.outsider)).toBe(true);
  });
});
