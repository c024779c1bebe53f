/**
 * Maintenance windows: pure time math over `node-cron` 4 expressions. A window opens at every match of
 * its cron expression, evaluated as wall-clock time in its `timezone`, and stays open for `duration`.
 * Overlapping or touching openings (of one window or of several) merge into one open period.
 *
 * node-cron API used (README of node-cron 4, "Runtime Control" and "Timezones and DST",
 * https://github.com/node-cron/node-cron#readme): `cron.createTask(expr, fn, { timezone })` returns a
 * *stopped* task (nothing runs); `task.match(date)` says whether an instant matches the expression in the
 * task's zone; `cron.parse(expr)` / `cron.validateDetailed(expr)` give the expanded fields and per-field
 * errors. `task.getNextRun()` / `getNextRuns(n)` are not used: they count from the real clock
 * (`new Date()` in node-cron's `InlineScheduledTask`) and `getNextRun()` is `null` on a stopped task, so
 * they cannot answer "next opening after T" for an arbitrary T. {@link nextOpening} therefore walks day by
 * day exactly as node-cron's own `MatcherWalker` does: candidate wall-clock times from the parsed
 * hour/minute/second fields, converted to instants in the zone, accepted when `task.match()` agrees. So a
 * wall time that does not exist on a spring-forward day (e.g. 02:30 in Europe/Berlin on the last Sunday of
 * March) is skipped that day, as node-cron itself would skip it, and a repeated fall-back hour opens once.
 *
 * Everything here is deterministic given `now`: no timers, no clock reads.
 */
import cron, { type ScheduledTask } from 'node-cron';
import parseDurationLib from 'parse-duration';

/** A maintenance window as written in the configuration. */
export interface WindowSpec {
  /** node-cron expression (5 fields, or 6 with seconds first), e.g. `0 2 * * sat`. */
  cron: string;
  /** How long the window stays open after each opening: duration text (`4h`, `90m`) or milliseconds. */
  duration: string | number;
  /** IANA time zone of the expression, e.g. `Europe/Berlin` (default `UTC`). */
  timezone?: string;
}

/** Whether the windows are open at an instant. */
export interface WindowState {
  /** True when some window is open (always true when no windows are configured). */
  open: boolean;
  /** Open: when the current open period began. Closed: when the next one begins (absent if never). */
  opensAt?: Date;
  /** End of the open period that is current (open) or next (closed). Absent when no windows are configured. */
  closesAt?: Date;
}

/** Result of {@link nextStart}. */
export type StartDecision =
  | {
      ok: true;
      /** When the update may start: `now` when a window is open (or none configured), else the next opening, or the `--at` time. */
      startAt: Date;
      /** True when `startAt` is `now` (start at once); false when the update waits as `Scheduled`. */
      immediate: boolean;
      /** End of the window the start falls in (absent when no windows are configured). */
      windowClosesAt?: Date;
    }
  | { ok: false; reason: string };

/** How far ahead openings are searched: 8 years (covers Feb 29 schedules). */
const HORIZON_DAYS = 366 * 8;
/** Safety cap on merging chained openings into one open period. */
const MAX_MERGE_STEPS = 200;

/** Duration → ms. @throws Error for malformed text. */
export function windowDurationMs(d: string | number): number {
  const ms = typeof d === 'number' ? d : /[a-z]/i.test(d) ? parseDurationLib(d) : null;
  if (ms === null || ms === undefined || !Number.isFinite(ms) || ms <= 0) throw new Error(`"${d}" is not a duration like 30m or 4h`);
  return ms;
}

// ---------------------------------------------------------------------------------------------------
// time zones (Intl only)

const formatters = new Map<string, Intl.DateTimeFormat>();

/** Whether `tz` is an IANA time zone this Node knows. */
export function isTimeZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

function formatter(tz: string): Intl.DateTimeFormat {
  let f = formatters.get(tz);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone: tz,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
      weekday: 'short',
    });
    formatters.set(tz, f);
  }
  return f;
}

/** Wall-clock parts of an instant in a zone. `month` 1–12, `weekday` 0 (Sun)–6. */
export interface WallTime {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
  weekday: number;
}

const WEEKDAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'];

/** Wall-clock time of `date` in `tz`. */
export function wallTime(date: Date, tz: string): WallTime {
  const p: Record<string, string> = {};
  for (const part of formatter(tz).formatToParts(date)) p[part.type] = part.value;
  return {
    year: Number(p.year),
    month: Number(p.month),
    day: Number(p.day),
    hour: Number(p.hour) % 24,
    minute: Number(p.minute),
    second: Number(p.second),
    weekday: WEEKDAYS.indexOf(p.weekday.toLowerCase().slice(0, 3)),
  };
}

function offsetMs(t: number, tz: string): number {
  const w = wallTime(new Date(t), tz);
  return Date.UTC(w.year, w.month - 1, w.day, w.hour, w.minute, w.second) - Math.floor(t / 1000) * 1000;
}

/**
 * The instant at which the wall clock in `tz` reads the given time. Ambiguous (fall-back) times resolve
 * to the earlier instant; nonexistent (spring-forward gap) times move forward by the gap (as Temporal's
 * `disambiguation: 'compatible'`). `exact` is false in the gap case.
 */
export function zonedInstant(
  w: { year: number; month: number; day: number; hour: number; minute: number; second?: number },
  tz: string,
): { date: Date; exact: boolean } {
  const wall = Date.UTC(w.year, w.month - 1, w.day, w.hour, w.minute, w.second ?? 0);
  const before = offsetMs(wall - 86_400_000, tz);
  const after = offsetMs(wall + 86_400_000, tz);
  const candidates = [...new Set([wall - before, wall - after])].sort((a, b) => a - b);
  for (const c of candidates) if (offsetMs(c, tz) + c === wall) return { date: new Date(c), exact: true };
  return { date: new Date(wall - before), exact: false };
}

// ---------------------------------------------------------------------------------------------------
// compiled windows

interface Compiled {
  durationMs: number;
  tz: string;
  task: ScheduledTask;
  /** Matches the day fields only, checked at local 12:00:00 (never inside a DST transition); absent for nicknames (`@daily`). */
  dayTask?: ScheduledTask;
  times: Array<[number, number, number]>;
}

const compiledCache = new Map<string, { task: ScheduledTask; dayTask?: ScheduledTask; times: Array<[number, number, number]> }>();
const noop = () => undefined;

/**
 * Whether `expr` is a node-cron expression; returns the problem text, or undefined when valid.
 * Uses `cron.validateDetailed` (node-cron 4 README, "Cron Syntax").
 */
export function cronProblem(expr: string): string | undefined {
  let v: ReturnType<typeof cron.validateDetailed>;
  try {
    v = cron.validateDetailed(expr);
  } catch (err) {
    return (err as Error).message;
  }
  if (v.valid) return undefined;
  return v.errors.map((e) => `${e.field}: ${e.message}`).join('; ') || 'invalid';
}

function compile(w: WindowSpec): Compiled {
  const tz = w.timezone ?? 'UTC';
  if (!isTimeZone(tz)) throw new Error(`unknown time zone "${tz}"`);
  const problem = cronProblem(w.cron);
  if (problem) throw new Error(`"${w.cron}" is not a cron expression: ${problem}`);
  const key = `${tz}\u0000${w.cron}`;
  let c = compiledCache.get(key);
  if (!c) {
    // createTask returns a stopped task: nothing is ever scheduled by these (node-cron README, docs/stack-notes.md).
    const task = cron.createTask(w.cron, noop, { timezone: tz });
    const fields = w.cron.trim().split(/\s+/);
    const [dom, mon, dow] = fields.slice(-3);
    const dayTask = fields.length >= 5 ? cron.createTask(`0 0 12 ${dom} ${mon} ${dow}`, noop, { timezone: tz }) : undefined;
    const f = cron.parse(w.cron);
    const sorted = (a: number[]) => [...a].sort((x, y) => x - y);
    const times: Array<[number, number, number]> = [];
    for (const h of sorted(f.hour)) for (const m of sorted(f.minute)) for (const s of sorted(f.second)) times.push([h, m, s]);
    c = { task, dayTask, times };
    compiledCache.set(key, c);
  }
  return { ...c, tz, durationMs: windowDurationMs(w.duration) };
}

function nextCivilDay(d: { year: number; month: number; day: number }) {
  const x = new Date(Date.UTC(d.year, d.month - 1, d.day + 1));
  return { year: x.getUTCFullYear(), month: x.getUTCMonth() + 1, day: x.getUTCDate() };
}

/** First opening of `c` at or after `from` (ms), or undefined within the horizon. */
function openingAtOrAfter(c: Compiled, from: number): number | undefined {
  const fromSec = Math.ceil(from / 1000) * 1000;
  const start = wallTime(new Date(fromSec - 86_400_000), c.tz); // a day early: the zone's day may begin before `from`
  let day = { year: start.year, month: start.month, day: start.day };
  for (let i = 0; i < HORIZON_DAYS; i++) {
    const noon = c.dayTask ? zonedInstant({ ...day, hour: 12, minute: 0 }, c.tz).date : undefined;
    if (!c.dayTask || c.dayTask.match(noon!)) {
      // one UTC offset for the whole day unless a DST transition falls in it (then resolve each time)
      const midnightWall = Date.UTC(day.year, day.month - 1, day.day);
      const off0 = offsetMs(midnightWall - 14 * 3_600_000, c.tz);
      const off1 = offsetMs(midnightWall + 38 * 3_600_000, c.tz);
      for (const [hour, minute, second] of c.times) {
        let t: number;
        if (off0 === off1) {
          t = midnightWall + (hour * 3600 + minute * 60 + second) * 1000 - off0;
        } else {
          const z = zonedInstant({ ...day, hour, minute, second }, c.tz);
          if (!z.exact) continue; // the wall time does not exist that day (DST gap): node-cron skips it too
          t = z.date.getTime();
        }
        if (t >= fromSec && c.task.match(new Date(t))) return t;
      }
    }
    day = nextCivilDay(day);
  }
  return undefined;
}

/**
 * The first opening of a window at or after `from`, or undefined when it never opens within 8 years
 * (e.g. `0 0 30 2 *`). @throws Error on a bad expression, zone or duration.
 */
export function nextOpening(w: WindowSpec, from: Date): Date | undefined {
  const t = openingAtOrAfter(compile(w), from.getTime());
  return t === undefined ? undefined : new Date(t);
}

/** The earliest opening among the windows at or after `from` (ms), with its window. */
function earliestOpening(cs: Compiled[], from: number): { at: number; c: Compiled } | undefined {
  let best: { at: number; c: Compiled } | undefined;
  for (const c of cs) {
    const o = openingAtOrAfter(c, from);
    if (o !== undefined && (best === undefined || o < best.at)) best = { at: o, c };
  }
  return best;
}

/**
 * The open period (of the merged windows) containing instant t, or undefined. Openings that begin before
 * the period ends extend it (chained or overlapping windows), up to {@link MAX_MERGE_STEPS} openings each
 * way: for a window that is (nearly) always open, the edges are then bounds of what was examined.
 */
function periodAt(cs: Compiled[], t: number): { start: number; end: number } | undefined {
  let start: number | undefined;
  let end: number | undefined;
  for (const c of cs) {
    // the latest opening in (t - duration, t] is covered by the first one after t - duration, if it is <= t
    const o = openingAtOrAfter(c, t - c.durationMs + 1);
    if (o !== undefined && o <= t) {
      start = start === undefined ? o : Math.min(start, o);
      end = end === undefined ? o + c.durationMs : Math.max(end, o + c.durationMs);
    }
  }
  if (start === undefined || end === undefined) return undefined;
  let cursor = t + 1;
  for (let step = 0; step < MAX_MERGE_STEPS; step++) {
    const next = earliestOpening(cs, cursor);
    if (!next || next.at > end) break;
    end = Math.max(end, next.at + next.c.durationMs);
    cursor = next.at + 1000;
  }
  for (let step = 0; step < MAX_MERGE_STEPS; step++) {
    // an earlier opening whose open time still reaches `start`
    let earlier: number | undefined;
    for (const c of cs) {
      const o = openingAtOrAfter(c, start - c.durationMs);
      if (o !== undefined && o < start && (earlier === undefined || o < earlier)) earlier = o;
    }
    if (earlier === undefined) break;
    start = earlier;
  }
  return { start, end };
}

/**
 * Whether any window is open at `now`, and the edges of the current or next open period.
 * No windows means "no restriction": `{ open: true }`.
 * @throws Error on a bad expression, zone or duration (the configuration schema rules these out).
 */
export function windowState(windows: readonly WindowSpec[], now: Date): WindowState {
  if (windows.length === 0) return { open: true };
  const cs = windows.map(compile);
  const t = now.getTime();
  const cur = periodAt(cs, t);
  if (cur) return { open: true, opensAt: new Date(cur.start), closesAt: new Date(cur.end) };
  let next: number | undefined;
  for (const c of cs) {
    const o = openingAtOrAfter(c, t + 1);
    if (o !== undefined && (next === undefined || o < next)) next = o;
  }
  if (next === undefined) return { open: false };
  const p = periodAt(cs, next);
  return { open: false, opensAt: new Date(next), ...(p ? { closesAt: new Date(p.end) } : {}) };
}

// ---------------------------------------------------------------------------------------------------
// --at

const DAY_NAMES: Record<string, number> = {
  sun: 0, sunday: 0, mon: 1, monday: 1, tue: 2, tues: 2, tuesday: 2, wed: 3, wednesday: 3,
  thu: 4, thur: 4, thurs: 4, thursday: 4, fri: 5, friday: 5, sat: 6, saturday: 6,
};

/** The formats `--at` accepts, for error messages and help. */
export const AT_FORMATS = '`2026-11-28T02:00` (ISO; a trailing `Z` or `+01:00` sets the offset), `sat 02:00`, `today 23:00`, `tomorrow 03:30` or `02:00`';

/**
 * Parse the text of `--at` into an instant. No date-parsing library is installed, so this supports:
 * ISO `YYYY-MM-DD[T ]HH:MM[:SS]` (wall time in `tz`, or absolute with `Z`/`±HH:MM`), `<weekday> HH:MM`
 * (the next such day and time after `now`, today included when still ahead), `today HH:MM`,
 * `tomorrow HH:MM`, and bare `HH:MM` (next occurrence). Wall times in a DST gap move forward by the gap.
 * @param now reference instant; @param tz IANA zone of wall times.
 * @returns `{ ok: true, date }` or `{ ok: false, reason }` with a message naming the accepted formats.
 */
export function parseAt(text: string, now: Date, tz: string): { ok: true; date: Date } | { ok: false; reason: string } {
  const s = text.trim().toLowerCase();
  const bad = (why?: string) => ({ ok: false as const, reason: `Cannot read --at "${text}"${why ? ` (${why})` : ''}: use ${AT_FORMATS}; times are in ${tz}.` });
  const hm = (h: string, m: string, sec = '0') => {
    const [H, M, S] = [Number(h), Number(m), Number(sec)];
    return H <= 23 && M <= 59 && S <= 59 ? { hour: H, minute: M, second: S } : undefined;
  };
  const iso = /^(\d{4})-(\d{2})-(\d{2})[t ](\d{1,2}):(\d{2})(?::(\d{2}))?(z|[+-]\d{2}:?\d{2})?$/.exec(s);
  if (iso) {
    const [, y, mo, d, h, mi, sec, zone] = iso;
    const time = hm(h, mi, sec);
    const [Y, MO, D] = [Number(y), Number(mo), Number(d)];
    const check = new Date(Date.UTC(Y, MO - 1, D));
    if (!time || check.getUTCMonth() !== MO - 1 || check.getUTCDate() !== D) return bad('no such date or time');
    if (zone) {
      const off = zone === 'z' ? 0 : (zone[0] === '-' ? -1 : 1) * (Number(zone.slice(1, 3)) * 60 + Number(zone.slice(-2))) * 60_000;
      return { ok: true, date: new Date(Date.UTC(Y, MO - 1, D, time.hour, time.minute, time.second) - off) };
    }
    return { ok: true, date: zonedInstant({ year: Y, month: MO, day: D, ...time }, tz).date };
  }
  const rel = /^(?:(today|tomorrow|[a-z]+)\s+)?(\d{1,2}):(\d{2})$/.exec(s);
  if (!rel) return bad();
  const [, word, h, mi] = rel;
  const time = hm(h, mi);
  if (!time) return bad('no such time');
  const today = wallTime(now, tz);
  let day = { year: today.year, month: today.month, day: today.day };
  const at = (d: typeof day) => zonedInstant({ ...d, ...time }, tz).date;
  if (word === undefined) {
    if (at(day).getTime() <= now.getTime()) day = nextCivilDay(day);
    return { ok: true, date: at(day) };
  }
  if (word === 'today') return { ok: true, date: at(day) };
  if (word === 'tomorrow') return { ok: true, date: at(nextCivilDay(day)) };
  const wd = DAY_NAMES[word];
  if (wd === undefined) return bad(`"${word}" is not a weekday`);
  for (let i = 0; i < 8; i++) {
    const dow = new Date(Date.UTC(day.year, day.month - 1, day.day)).getUTCDay();
    if (dow === wd && at(day).getTime() > now.getTime()) return { ok: true, date: at(day) };
    day = nextCivilDay(day);
  }
  return bad();
}

/** `Sat 2026-11-28 02:00 Europe/Berlin`: an instant as wall time in a zone, for messages. */
export function formatInZone(date: Date, tz: string): string {
  const w = wallTime(date, tz);
  const p = (n: number) => String(n).padStart(2, '0');
  const wd = WEEKDAYS[w.weekday];
  return `${wd[0].toUpperCase()}${wd.slice(1)} ${w.year}-${p(w.month)}-${p(w.day)} ${p(w.hour)}:${p(w.minute)} ${tz}`;
}

/**
 * When an approved update may start.
 * - Without `at`: now if a window is open (or none is configured), else the next opening (`immediate: false`:
 *   the record waits as `Scheduled`); a refusal if no window ever opens.
 * - With `at` (the `--at` text): parsed by {@link parseAt} in `opts.timezone` (default: the first window's
 *   zone, else UTC); refused when unreadable, in the past, or outside every window (the refusal names the
 *   next opening after it). `immediate` is true only when that time is not after `now`, which cannot happen
 *   here since past times are refused; an `at` within the next second counts as now.
 * @param now reference instant; nothing reads the clock.
 */
export function nextStart(windows: readonly WindowSpec[], now: Date, at?: string, opts: { timezone?: string } = {}): StartDecision {
  const tz = opts.timezone ?? windows[0]?.timezone ?? 'UTC';
  if (at === undefined || at.trim() === '') {
    const st = windowState(windows, now);
    if (st.open) return { ok: true, startAt: now, immediate: true, ...(st.closesAt ? { windowClosesAt: st.closesAt } : {}) };
    if (!st.opensAt) return { ok: false, reason: 'No maintenance window ever opens for this database; ask an admin to fix the policy.' };
    return { ok: true, startAt: st.opensAt, immediate: false, ...(st.closesAt ? { windowClosesAt: st.closesAt } : {}) };
  }
  const parsed = parseAt(at, now, tz);
  if (!parsed.ok) return parsed;
  const when = parsed.date;
  if (when.getTime() < now.getTime() - 1000) {
    return { ok: false, reason: `--at "${at}" is ${formatInZone(when, tz)}, which is in the past.` };
  }
  const immediate = when.getTime() <= now.getTime() + 1000;
  const st = windowState(windows, when);
  if (st.open) return { ok: true, startAt: immediate ? now : when, immediate, ...(st.closesAt ? { windowClosesAt: st.closesAt } : {}) };
  const next = st.opensAt ? ` The next window opens ${formatInZone(st.opensAt, tz)}${st.closesAt ? ` and closes ${formatInZone(st.closesAt, tz)}` : ''}.` : '';
  return { ok: false, reason: `--at "${at}" is ${formatInZone(when, tz)}, outside the maintenance windows (${describeWindows(windows)}).${next}` };
}

/** `0 2 * * sat for 4h (Europe/Berlin), …` for messages. */
export function describeWindows(windows: readonly WindowSpec[]): string {
  if (windows.length === 0) return 'any time';
  return windows.map((w) => `\`${w.cron}\` for ${typeof w.duration === 'number' ? `${w.duration}ms` : w.duration} (${w.timezone ?? 'UTC'})`).join(', ');
}

