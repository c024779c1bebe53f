/**
 * Maintenance-window math (src/policy/windows.ts) at fixed instants, across time zones and DST changes,
 * and checked against node-cron's own `getNextRuns` (with the system clock faked to the same instant).
 */
import cron from 'node-cron';
import fc from 'fast-check';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { nextOpening, nextStart, parseAt, windowState, zonedInstant, type WindowSpec } from '../src/policy/windows.js';

const iso = (s: string) => new Date(s);
const SAT_BERLIN: WindowSpec = { cron: '0 2 * * sat', duration: '4h', timezone: 'Europe/Berlin' };

describe('windowState', () => {
  it('no windows: always open', () => {
    expect(windowState([], iso('2026-11-25T12:00:00Z'))).toEqual({ open: true });
  });

  it('closed before the window: says when it opens and closes (zone offset applied, CET = UTC+1)', () => {
    expect(windowState([SAT_BERLIN], iso('2026-11-25T12:00:00Z'))).toEqual({
      open: false,
      opensAt: iso('2026-11-28T01:00:00Z'),
      closesAt: iso('2026-11-28T05:00:00Z'),
    });
  });

  it('open inside the window, including its first instant; closed at its end', () => {
    expect(windowState([SAT_BERLIN], iso('2026-11-28T01:00:00Z'))).toMatchObject({ open: true, opensAt: iso('2026-11-28T01:00:00Z'), closesAt: iso('2026-11-28T05:00:00Z') });
    expect(windowState([SAT_BERLIN], iso('2026-11-28T04:59:59Z')).open).toBe(true);
    expect(windowState([SAT_BERLIN], iso('2026-11-28T05:00:00Z'))).toMatchObject({ open: false, opensAt: iso('2026-12-05T01:00:00Z') });
  });

  it('summer time: the same wall time is one hour earlier in UTC (CEST = UTC+2)', () => {
    expect(windowState([SAT_BERLIN], iso('2026-07-01T00:00:00Z')).opensAt).toEqual(iso('2026-07-04T00:00:00Z'));
  });

  it('a window spanning midnight and the week-end', () => {
    const w: WindowSpec = { cron: '0 22 * * fri', duration: '2d', timezone: 'America/New_York' };
    expect(windowState([w], iso('2026-11-29T12:00:00Z'))).toMatchObject({ open: true, opensAt: iso('2026-11-28T03:00:00Z'), closesAt: iso('2026-11-30T03:00:00Z') });
  });

  it('merges overlapping or touching windows into one open period', () => {
    const ws: WindowSpec[] = [
      { cron: '0 1 * * *', duration: '2h' },
      { cron: '0 3 * * *', duration: '1h' },
    ];
    expect(windowState(ws, iso('2026-11-25T01:30:00Z'))).toMatchObject({ open: true, opensAt: iso('2026-11-25T01:00:00Z'), closesAt: iso('2026-11-25T04:00:00Z') });
    expect(windowState(ws, iso('2026-11-25T03:30:00Z'))).toMatchObject({ open: true, opensAt: iso('2026-11-25T01:00:00Z'), closesAt: iso('2026-11-25T04:00:00Z') });
  });

  it('the earliest of several windows in different zones opens first', () => {
    const ws: WindowSpec[] = [SAT_BERLIN, { cron: '0 23 * * thu', duration: '1h', timezone: 'Asia/Tokyo' }];
    // Thu 23:00 JST = Thu 14:00 UTC
    expect(windowState(ws, iso('2026-11-25T12:00:00Z')).opensAt).toEqual(iso('2026-11-26T14:00:00Z'));
  });
});

describe('DST', () => {
  const daily0230: WindowSpec = { cron: '30 2 * * *', duration: '1h', timezone: 'Europe/Berlin' };

  it('spring forward: 02:30 does not exist on 2026-03-29 in Berlin, so that day has no opening (as node-cron)', () => {
    expect(nextOpening(daily0230, iso('2026-03-28T12:00:00Z'))).toEqual(iso('2026-03-30T00:30:00Z'));
  });

  it('fall back: 02:30 happens twice on 2026-10-25; the window opens once, at the first', () => {
    expect(nextOpening(daily0230, iso('2026-10-24T12:00:00Z'))).toEqual(iso('2026-10-25T00:30:00Z'));
    expect(nextOpening(daily0230, iso('2026-10-25T00:30:01Z'))).toEqual(iso('2026-10-26T01:30:00Z'));
  });

  it('a window open across the spring-forward change lasts its real duration', () => {
    const w: WindowSpec = { cron: '0 1 * * *', duration: '3h', timezone: 'Europe/Berlin' };
    // opens 01:00 CET (00:00Z); 3 real hours later is 03:00Z = 05:00 CEST
    expect(windowState([w], iso('2026-03-29T02:00:00Z'))).toMatchObject({ open: true, opensAt: iso('2026-03-29T00:00:00Z'), closesAt: iso('2026-03-29T03:00:00Z') });
  });

  it('zonedInstant: gap times move forward, repeated times take the earlier instant', () => {
    expect(zonedInstant({ year: 2026, month: 3, day: 29, hour: 2, minute: 30 }, 'Europe/Berlin')).toEqual({ date: iso('2026-03-29T01:30:00Z'), exact: false });
    expect(zonedInstant({ year: 2026, month: 10, day: 25, hour: 2, minute: 30 }, 'Europe/Berlin')).toEqual({ date: iso('2026-10-25T00:30:00Z'), exact: true });
  });
});

describe('agrees with node-cron getNextRuns (clock faked to the same instant)', () => {
  afterEach(() => {
    vi.useRealTimers();
  });
  const exprs = ['0 2 * * sat', '30 2 * * *', '*/20 1-3 * * *', '0 3 L * *', '15 4 1,15 * mon-fri', '0 0 29 2 *', '0 9 * * 1#2', '0 2 * * 5L'];
  const zones = ['UTC', 'Europe/Berlin', 'America/New_York', 'Australia/Lord_Howe', 'Asia/Kolkata', 'America/Sao_Paulo'];
  it('for random instants, expressions and zones', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...exprs),
        fc.constantFrom(...zones),
        fc.date({ min: iso('2025-01-01T00:00:00Z'), max: iso('2028-12-31T00:00:00Z'), noInvalidDate: true }),
        (expr, tz, at) => {
          const from = new Date(Math.floor(at.getTime() / 1000) * 1000);
          vi.useFakeTimers({ now: from, toFake: ['Date'] });
          const task = cron.createTask(expr, () => undefined, { timezone: tz });
          const theirs = task.getNextRuns(1)[0];
          void task.destroy();
          vi.useRealTimers();
          expect(nextOpening({ cron: expr, duration: '1h', timezone: tz }, new Date(from.getTime() + 1))).toEqual(theirs);
        },
      ),
      { numRuns: 150 },
    );
  });
});

describe('nextStart and --at', () => {
  const now = iso('2026-11-25T12:00:00Z'); // Wed 13:00 in Berlin

  it('no windows: start now', () => {
    expect(nextStart([], now)).toEqual({ ok: true, startAt: now, immediate: true });
  });
  it('window open: start now, says when it closes', () => {
    const at = iso('2026-11-28T02:00:00Z');
    expect(nextStart([SAT_BERLIN], at)).toEqual({ ok: true, startAt: at, immediate: true, windowClosesAt: iso('2026-11-28T05:00:00Z') });
  });
  it('window closed: wait for its opening (Scheduled)', () => {
    expect(nextStart([SAT_BERLIN], now)).toEqual({ ok: true, startAt: iso('2026-11-28T01:00:00Z'), immediate: false, windowClosesAt: iso('2026-11-28T05:00:00Z') });
  });
  it('--at inside a window (in the window zone)', () => {
    expect(nextStart([SAT_BERLIN], now, 'sat 03:00')).toMatchObject({ ok: true, startAt: iso('2026-11-28T02:00:00Z'), immediate: false });
    expect(nextStart([SAT_BERLIN], now, '2026-12-05T05:30')).toMatchObject({ ok: true, startAt: iso('2026-12-05T04:30:00Z') });
    expect(nextStart([SAT_BERLIN], now, '2026-11-28T02:00:00Z')).toMatchObject({ ok: true, startAt: iso('2026-11-28T02:00:00Z') });
  });
  it('--at outside every window: refused, naming the next opening', () => {
    const d = nextStart([SAT_BERLIN], now, 'sat 07:00');
    expect(d).toEqual({ ok: false, reason: expect.stringMatching(/Sat 2026-11-28 07:00 Europe\/Berlin, outside the maintenance windows .*next window opens Sat 2026-12-05 02:00/) });
  });
  it('--at in the past or unreadable: refused with the accepted formats', () => {
    expect(nextStart([SAT_BERLIN], now, '2026-11-01T02:00')).toEqual({ ok: false, reason: expect.stringMatching(/in the past/) });
    const d = nextStart([SAT_BERLIN], now, 'next full moon');
    expect(d).toEqual({ ok: false, reason: expect.stringMatching(/Cannot read --at "next full moon".*sat 02:00.*Europe\/Berlin/) });
  });
  it('--at with no windows: any future time', () => {
    expect(nextStart([], now, 'tomorrow 03:30')).toMatchObject({ ok: true, startAt: iso('2026-11-26T03:30:00Z'), immediate: false });
  });
});

describe('parseAt', () => {
  const now = iso('2026-11-25T12:00:00Z'); // Wednesday
  const tz = 'Europe/Berlin';
  const at = (s: string) => {
    const r = parseAt(s, now, tz);
    return r.ok ? r.date.toISOString() : `error: ${r.reason}`;
  };
  it('weekday HH:MM: the next such day, today included when still ahead', () => {
    expect(at('sat 02:00')).toBe('2026-11-28T01:00:00.000Z');
    expect(at('Saturday 02:00')).toBe('2026-11-28T01:00:00.000Z');
    expect(at('wed 14:00')).toBe('2026-11-25T13:00:00.000Z');
    expect(at('wed 12:00')).toBe('2026-12-02T11:00:00.000Z');
  });
  it('today / tomorrow / bare HH:MM', () => {
    expect(at('today 23:00')).toBe('2026-11-25T22:00:00.000Z');
    expect(at('tomorrow 03:30')).toBe('2026-11-26T02:30:00.000Z');
    expect(at('02:00')).toBe('2026-11-26T01:00:00.000Z');
  });
  it('ISO wall time in the zone, or with an explicit offset', () => {
    expect(at('2026-11-28T02:00')).toBe('2026-11-28T01:00:00.000Z');
    expect(at('2026-11-28 02:00')).toBe('2026-11-28T01:00:00.000Z');
    expect(at('2026-11-28T02:00+05:30')).toBe('2026-11-27T20:30:00.000Z');
  });
  it('refuses nonsense', () => {
    for (const s of ['funday 02:00', '25:00', '2026-02-30T01:00', 'soon', 'sat 2am']) expect(at(s)).toMatch(/^error: Cannot read --at/);
  });
});
