/**
 * A post Slack refuses for a reason a person must fix (`not_in_channel`): the bot says what to do in its
 * log, retries slowly instead of hammering Slack, and posts once the cause is gone — the request is not lost.
 */
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startWorld, USERS, CHANNEL, type World } from '../sim/world.js';
import { pollUntil } from '../sim/script.js';
import { createLogger } from '../src/log.js';

let w: World;
const lines: string[] = [];

beforeAll(async () => {
  const sink = new Writable({
    write(chunk, _enc, cb) {
      lines.push(...String(chunk).split('\n').filter(Boolean));
      cb();
    },
  });
  w = await startWorld({ sim: { podReadyDelayMs: 15, stepDelayMs: 15 }, slowRetryMs: 600, log: createLogger('info', sink) });
});
afterAll(async () => {
  await w?.stop();
});

describe('a Slack refusal a person must fix', () => {
  it('not_in_channel: logged with the fix, retried slowly, and the approval message lands once the bot may post', async () => {
    w.slack.faults.add({ method: 'chat.postMessage', kind: 'error', error: 'not_in_channel', times: 2 });
    await w.slack.typeCommand({ user: USERS.requester, channel: CHANNEL, text: 'mysql orders 8.0.36' });
    const record = await pollUntil(async () => (await w.bot.records.list()).find((r) => r.status?.slack?.ts), 10_000, () => 'the approval message after the refusals');
    const attempts = w.slack.calls.filter((c) => c.method === 'chat.postMessage' && c.error === 'not_in_channel');
    expect(attempts).toHaveLength(2);
    expect(attempts[1].at - attempts[0].at).toBeGreaterThanOrEqual(550); // the slow retry, not the 1 s default nor at once
    const logged = lines.map((l) => JSON.parse(l)).filter((l) => /not_in_channel/.test(l.msg ?? ''));
    expect(logged.length).toBeGreaterThanOrEqual(1);
    expect(logged[0].msg).toMatch(/\/invite @dbupdate/);
    expect(logged[0].level).toBe(50);
    expect(w.slack.messages(CHANNEL).filter((m) => m.ts === record.status!.slack!.ts)).toHaveLength(1);
  });
});
