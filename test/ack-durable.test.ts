/**
 * The ack of a request or a click waits (within its budget, ACK_BUDGET_MS = 2 s from arrival) for the
 * durable write, and every path of a request answers the user — through the real Bolt app over the
 * Slack emulator and the Kubernetes emulator:
 * - a record create slower than the budget: the ack says it is still checking (and what to do if no
 *   answer comes), then the answer comes;
 * - the same-database race: several requests for one database at once — one is recorded, every other
 *   one gets a refusal (never only the ack);
 * - Slack's retry of the same command (same trigger_id, so the same record name; 409 AlreadyExists on a
 *   concurrent create): answered as recorded.
 * The SIGKILL cases are in `test/ack-sigkill.test.ts`.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startWorld, USERS, CHANNEL, type World } from '../sim/world.js';
import { pollUntil } from '../sim/script.js';
import { answersOf } from './support/answers.js';

let w: World;
beforeAll(async () => {
  w = await startWorld({ sim: { podReadyDelayMs: 15, stepDelayMs: 15 } });
});
afterAll(async () => {
  await w?.stop();
});


async function cancelAll(): Promise<void> {
  for (const r of await w.bot.records.list()) {
    if ((r.status?.phase ?? 'Pending') === 'Pending') await w.bot.records.mutateStatus(r.metadata.name, (st) => void (st.phase = 'Cancelled'));
  }
}

describe('the ack waits for the durable write, within its budget', () => {
  it('a fast request: the ack comes after the record exists, and carries the answer', async () => {
    const cmd = await w.slack.typeCommand({ user: USERS.requester, channel: CHANNEL, text: 'mysql orders 8.0.36' });
    // acked: the record is there already (written before the ack), and the answer is in the ack itself
    const recorded = (await w.bot.records.list()).filter((r) => r.spec.database.name === 'orders' && (r.status?.phase ?? 'Pending') === 'Pending');
    expect(recorded).toHaveLength(1);
    expect(String((cmd.ackPayload as { text?: string }).text)).toMatch(new RegExp(`Request \`${recorded[0].metadata.name}\` recorded`));
    await new Promise((r) => setTimeout(r, 200)); // and no second answer follows
    expect(answersOf(cmd)).toHaveLength(1);
    await cancelAll();
  });

  it('a record create slower than the budget: the ack says it is still checking, then the answer comes', async () => {
    // the first create attempt answers 503 after 2.6 s (past the 2 s budget); the retry succeeds
    w.cluster.server.faults.add({ verb: 'create', pathIncludes: 'databaseupdates', status: 503, delayMs: 2600 });
    const cmd = await w.slack.typeCommand({ user: USERS.requester, channel: CHANNEL, text: 'mysql orders 8.0.36' });
    expect(String((cmd.ackPayload as { text?: string }).text)).toMatch(/slower than usual.*if none comes within a minute, nothing was requested: ask again/);
    const answers = await pollUntil(async () => cmd.responses().length > 0 && answersOf(cmd), 15_000, () => 'the late answer');
    expect(answers).toHaveLength(1);
    expect(answers[0]).toMatch(/Request `orders-[0-9a-f]{8}` recorded/);
    await cancelAll();
  });
});

describe('every path of a request answers the user', () => {
  it('five requests for one database at once: one recorded, the four others refused with a reason', async () => {
    const users = [USERS.requester, USERS.outsider, USERS.requester, USERS.outsider, USERS.requester];
    const sent = await Promise.all(users.map((user) => w.slack.typeCommand({ user, channel: CHANNEL, text: 'mysql orders 8.0.36' })));
    await pollUntil(async () => sent.every((s) => answersOf(s).length > 0) || undefined, 15_000, () => `answers (${sent.filter((s) => answersOf(s).length).length} of 5)`);
    await new Promise((r) => setTimeout(r, 200)); // no second answer arrives late
    const answers = sent.map((s) => answersOf(s));
    for (const a of answers) expect(a).toHaveLength(1);
    const flat = answers.map((a) => a[0]);
    expect(flat.filter((t) => /recorded/.test(t))).toHaveLength(1);
    for (const t of flat.filter((x) => !/recorded/.test(x))) expect(t).toMatch(/^:warning: .*(in flight|being recorded right now)/);
    const active = (await w.bot.records.list()).filter((r) => r.spec.database.name === 'orders' && (r.status?.phase ?? 'Pending') === 'Pending');
    expect(active).toHaveLength(1);
    await cancelAll();
  });

  it('Slack retrying the same command while the first is still being handled (same trigger_id, same name): one record, both answered', async () => {
    const seen = w.slack.envelopes().length;
    const first = w.slack.typeCommand({ user: USERS.requester, channel: CHANNEL, text: 'mysql orders 8.0.36' });
    const env = await w.slack.waitFor(() => w.slack.envelopes().slice(seen).find((e) => e.envelope.type === 'slash_commands'), { what: 'the command envelope' });
    const replayAck = await w.slack.replayEnvelope(env.envelope.envelope_id);
    const cmd = await first;
    const all = () => [...answersOf(cmd), ...answersOf({ ackPayload: replayAck, responses: () => [] })];
    const answers = await pollUntil(async () => all().length > 1 && all(), 10_000, () => 'both answers');
    expect(answers).toHaveLength(2);
    const name = /`(orders-[0-9a-f]{8})`/.exec(answers.join(' '))![1];
    expect(answers.filter((a) => a.includes(name) && /recorded/.test(a))).toHaveLength(2);
    expect((await w.bot.records.list()).filter((r) => r.spec.database.name === 'orders' && (r.status?.phase ?? 'Pending') === 'Pending').map((r) => r.metadata.name)).toEqual([name]);
    await cancelAll();
  });

  it('Slack retrying the same command after it was recorded (same trigger_id) is answered as recorded, not refused as in flight', async () => {
    const cmd = await w.slack.typeCommand({ user: USERS.requester, channel: CHANNEL, text: 'perconaxtradb inventory 8.4.3' });
    await pollUntil(async () => answersOf(cmd).length > 0 || undefined, 10_000, () => 'the first answer');
    const replayAck = await w.slack.replayEnvelope(cmd.envelopeId);
    const all = () => [...answersOf(cmd), ...answersOf({ ackPayload: replayAck, responses: () => [] })];
    const answers = await pollUntil(async () => all().length > 1 && all(), 10_000, () => 'the answer to the retry');
    expect(answers[0]).toMatch(/Request `inventory-[0-9a-f]{8}` recorded/);
    const name = /`(inventory-[0-9a-f]{8})`/.exec(answers[0])![1];
    expect(answers[1]).toMatch(new RegExp(`Request \`${name}\` is recorded`));
    expect((await w.bot.records.list()).filter((r) => r.spec.database.name === 'inventory' && (r.status?.phase ?? 'Pending') === 'Pending')).toHaveLength(1);
    await cancelAll();
  });
});
