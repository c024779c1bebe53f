/**
 * The pure checks behind the handlers' refusals (src/slack/validate.ts), the HTTP receiver's future-timestamp
 * check (src/slack/http.ts) and the log cap (src/log.ts): each rule's edges.
 */
import { describe, expect, it } from 'vitest';
import { foreignApp, isRecordName, isSlackTs, notFromParent, parseRejectMetadata } from '../src/slack/validate.js';
import { fromTheFuture, MAX_CLOCK_SKEW_S } from '../src/slack/http.js';
import { capString, capStrings, MAX_LOGGED_STRING } from '../src/log.js';

describe('isRecordName (DNS-1123 subdomain)', () => {
  it('accepts record names as the handlers make them, and dotted subdomains', () => {
    for (const ok of ['orders-1a2b3c4d', 'a', '0', 'a.b-c', 'x'.repeat(253)]) expect(isRecordName(ok), ok).toBe(true);
  });
  it('refuses what would list, escape or be rejected by the API server', () => {
    for (const bad of ['', '.', '..', '../x', 'a/b', 'Orders', '-a', 'a-', 'a..b', 'a_b', ' a', 'x'.repeat(254), undefined, 42, null]) {
      expect(isRecordName(bad), JSON.stringify(bad)).toBe(false);
    }
  });
});

describe('click binding', () => {
  const parent = { channel: 'C_DBOPS', ts: '1700000000.000100' };
  it('the record\'s own message passes; another message, channel or a differing message.ts does not', () => {
    expect(notFromParent({ channel: 'C_DBOPS', containerTs: parent.ts, messageTs: parent.ts }, parent)).toBeUndefined();
    expect(notFromParent({ channel: 'C_DBOPS', containerTs: '1700000000.000200' }, parent)).toMatch(/not on the request's message/);
    expect(notFromParent({ channel: 'C_OTHER', containerTs: parent.ts }, parent)).toMatch(/not on the request's message/);
    expect(notFromParent({ channel: 'C_DBOPS', containerTs: parent.ts, messageTs: '1.000001' }, parent)).toMatch(/differs/);
    expect(notFromParent({ channel: 'C_DBOPS', containerTs: parent.ts }, {})).toMatch(/no approval message/);
  });
  it('foreignApp compares app and team', () => {
    const self = { appId: 'A1', teamId: 'T1' };
    expect(foreignApp({ appId: 'A1', teamId: 'T1' }, self)).toBeUndefined();
    expect(foreignApp({ appId: 'A2', teamId: 'T1' }, self)).toMatch(/A2/);
    expect(foreignApp({ appId: 'A1', teamId: undefined }, self)).toMatch(/team/);
  });
});

describe('parseRejectMetadata', () => {
  it('takes the shape the handler writes, and nothing else', () => {
    const good = { record: 'orders-1a2b3c4d', channel: 'C_DBOPS', ts: '1700000000.000100' };
    expect(parseRejectMetadata(JSON.stringify(good))).toEqual(good);
    const batch = { batch: 'fleet-mysql-0123abcd', channel: 'C_DBOPS', ts: '1700000000.000100' };
    expect(parseRejectMetadata(JSON.stringify(batch))).toEqual(batch);
    for (const bad of ['', 'null', '[]', '{"record":".."}', JSON.stringify({ ...good, ts: 'now' }), JSON.stringify({ ...good, channel: 'c dbops' }), 'x'.repeat(3001), JSON.stringify({ ...good, batch: 'fleet-x' }), JSON.stringify({ ...batch, batch: '../x' }), JSON.stringify({ channel: 'C_DBOPS', ts: '1700000000.000100' })]) {
      expect(parseRejectMetadata(bad), bad.slice(0, 40)).toBeUndefined();
    }
    expect(isSlackTs('1700000000.000100')).toBe(true);
  });
});

describe('fromTheFuture', () => {
  const now = 1_700_000_000_000;
  it('refuses only timestamps more than 5 minutes ahead; leaves malformed ones to Bolt', () => {
    const s = now / 1000;
    expect(fromTheFuture(String(s + MAX_CLOCK_SKEW_S + 1), now)).toBe(true);
    expect(fromTheFuture(String(s + MAX_CLOCK_SKEW_S), now)).toBe(false);
    expect(fromTheFuture(String(s - 3600), now)).toBe(false);
    for (const h of [undefined, '', 'abc', '1e99', ['1', '2']]) expect(fromTheFuture(h as never, now)).toBe(false);
  });
});

describe('log cap', () => {
  it('cuts long strings with a marker, at any nesting, and leaves short ones alone', () => {
    expect(capString('abc')).toBe('abc');
    const long = 'y'.repeat(MAX_LOGGED_STRING + 10);
    expect(capString(long)).toBe(`${'y'.repeat(MAX_LOGGED_STRING)}…[truncated 10 chars]`);
    const out = capStrings({ a: long, b: { c: [long, 1] }, n: 3 }) as { a: string; b: { c: [string, number] }; n: number };
    expect(out.a.length).toBeLessThan(MAX_LOGGED_STRING + 30);
    expect(out.b.c[0]).toMatch(/truncated 10 chars/);
    expect(out.b.c[1]).toBe(1);
    expect(out.n).toBe(3);
  });
});
