import type { RecurrenceDef } from '../definition.js';

export const FREQUENCIES = ['Second', 'Minute', 'Hour', 'Day', 'Week', 'Month'] as const;
const WEEKDAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];
const UNIT_MS: Record<string, number> = { second: 1000, minute: 60_000, hour: 3_600_000 };
const DAY_MS = 86_400_000;

/**
 * Logic Apps names time zones the Windows way ("W. Europe Standard Time"); Node knows IANA names.
 * The common ones are mapped here; an IANA name is accepted as is.
 */
const WINDOWS_ZONES: Record<string, string> = {
  'UTC': 'UTC',
  'Coordinated Universal Time': 'UTC',
  'GMT Standard Time': 'Europe/London',
  'Greenwich Standard Time': 'Atlantic/Reykjavik',
  'W. Europe Standard Time': 'Europe/Berlin',
  'Central Europe Standard Time': 'Europe/Budapest',
  'Central European Standard Time': 'Europe/Warsaw',
  'Romance Standard Time': 'Europe/Paris',
  'E. Europe Standard Time': 'Europe/Chisinau',
  'FLE Standard Time': 'Europe/Kiev',
  'GTB Standard Time': 'Europe/Bucharest',
  'Russian Standard Time': 'Europe/Moscow',
  'Turkey Standard Time': 'Europe/Istanbul',
  'Israel Standard Time': 'Asia/Jerusalem',
  'Egypt Standard Time': 'Africa/Cairo',
  'South Africa Standard Time': 'Africa/Johannesburg',
  'Arabian Standard Time': 'Asia/Dubai',
  'India Standard Time': 'Asia/Kolkata',
  'SE Asia Standard Time': 'Asia/Bangkok',
  'China Standard Time': 'Asia/Shanghai',
  'Singapore Standard Time': 'Asia/Singapore',
  'Tokyo Standard Time': 'Asia/Tokyo',
  'Korea Standard Time': 'Asia/Seoul',
  'W. Australia Standard Time': 'Australia/Perth',
  'AUS Eastern Standard Time': 'Australia/Sydney',
  'New Zealand Standard Time': 'Pacific/Auckland',
  'Eastern Standard Time': 'America/New_York',
  'Central Standard Time': 'America/Chicago',
  'Mountain Standard Time': 'America/Denver',
  'US Mountain Standard Time': 'America/Phoenix',
  'Pacific Standard Time': 'America/Los_Angeles',
  'Alaskan Standard Time': 'America/Anchorage',
  'Hawaiian Standard Time': 'Pacific/Honolulu',
  'Atlantic Standard Time': 'America/Halifax',
  'Canada Central Standard Time': 'America/Regina',
  'Central Standard Time (Mexico)': 'America/Mexico_City',
  'E. South America Standard Time': 'America/Sao_Paulo',
  'Argentina Standard Time': 'America/Argentina/Buenos_Aires',
};

/** The IANA zone for a Logic Apps `timeZone`, or undefined when unknown. */
export function ianaZone(timeZone: string | undefined): string | undefined {
  if (!timeZone) return 'UTC';
  const zone = WINDOWS_ZONES[timeZone] ?? timeZone;
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
    return zone;
  } catch {
    return undefined;
  }
}

interface Local {
  y: number;
  mo: number; // 1-12
  d: number;
  h: number;
  mi: number;
  s: number;
}

const formatters = new Map<string, Intl.DateTimeFormat>();
function toLocal(ms: number, zone: string): Local {
  let f = formatters.get(zone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', { timeZone: zone, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', second: 'numeric' });
    formatters.set(zone, f);
  }
  const parts = Object.fromEntries(f.formatToParts(new Date(ms)).map((p) => [p.type, Number(p.value)]));
  return { y: parts.year, mo: parts.month, d: parts.day, h: parts.hour, mi: parts.minute, s: parts.second };
}

/** Wall-clock time in a zone → epoch ms (a time skipped by a DST change lands just after the gap). */
function fromLocal(l: Local, zone: string): number {
  const wall = Date.UTC(l.y, l.mo - 1, l.d, l.h, l.mi, l.s);
  const offsetAt = (ms: number): number => {
    const x = toLocal(ms, zone);
    return Date.UTC(x.y, x.mo - 1, x.d, x.h, x.mi, x.s) - Math.floor(ms / 1000) * 1000;
  };
  let guess = wall - offsetAt(wall);
  guess = wall - offsetAt(guess);
  return guess;
}

/** `startTime` with an offset is absolute; without one it is wall-clock time in `timeZone` (as Logic Apps reads it). */
export function parseStartTime(startTime: string | undefined, zone: string): number | undefined {
  if (!startTime) return undefined;
  if (/(Z|[+-]\d{2}:?\d{2})$/i.test(startTime)) {
    const ms = Date.parse(startTime);
    return Number.isNaN(ms) ? undefined : ms;
  }
  const m = /^(\d{4})-(\d{2})-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?)?$/.exec(startTime);
  if (!m) return undefined;
  const [y, mo, d, h, mi, s] = m.slice(1).map((v) => Number(v ?? 0));
  return fromLocal({ y, mo, d, h, mi, s }, zone);
}

/** Problems of a recurrence object, as [field, message] pairs. */
export function recurrenceProblems(rec: unknown): Array<[string, string]> {
  if (typeof rec !== 'object' || rec === null) return [['', 'must be an object with frequency and interval']];
  const r = rec as RecurrenceDef;
  const out: Array<[string, string]> = [];
  if (!FREQUENCIES.some((f) => f.toLowerCase() === String(r.frequency).toLowerCase())) out.push(['frequency', `must be one of ${FREQUENCIES.join(', ')}`]);
  if (!Number.isInteger(r.interval) || r.interval < 1) out.push(['interval', 'must be a whole number of at least 1']);
  const zone = ianaZone(r.timeZone);
  if (!zone) out.push(['timeZone', `'${r.timeZone}' is not a known time zone (use e.g. "W. Europe Standard Time" or "Europe/Berlin")`]);
  if (r.startTime !== undefined && parseStartTime(r.startTime, zone ?? 'UTC') === undefined) out.push(['startTime', 'must be a date-time such as "2024-05-01T08:00:00Z" or "2024-05-01T08:00:00"']);
  const s = r.schedule;
  if (s !== undefined) {
    const ints = (v: unknown, lo: number, hi: number): boolean => Array.isArray(v) && v.every((n) => Number.isInteger(n) && n >= lo && n <= hi);
    if (s.hours !== undefined && !ints(s.hours, 0, 23)) out.push(['schedule.hours', 'must be an array of hours from 0 to 23']);
    if (s.minutes !== undefined && !ints(s.minutes, 0, 59)) out.push(['schedule.minutes', 'must be an array of minutes from 0 to 59']);
    if (s.monthDays !== undefined && !ints(s.monthDays, 1, 31)) out.push(['schedule.monthDays', 'must be an array of days from 1 to 31']);
    if (s.weekDays !== undefined && !(Array.isArray(s.weekDays) && s.weekDays.every((d) => WEEKDAYS.includes(d)))) out.push(['schedule.weekDays', `must be an array of ${WEEKDAYS.join(', ')}`]);
  }
  return out;
}

/**
 * The first firing strictly after `afterMs`. `anchorMs` stands in for a missing startTime (the
 * time the trigger was enabled), so schedules are reproducible across restarts.
 */
export function nextOccurrence(rec: RecurrenceDef, anchorMs: number, afterMs: number): number | undefined {
  const zone = ianaZone(rec.timeZone) ?? 'UTC';
  const start = parseStartTime(rec.startTime, zone) ?? anchorMs;
  const end = rec.endTime ? Date.parse(rec.endTime) : undefined;
  const interval = Math.max(1, Math.floor(rec.interval));
  const frequency = String(rec.frequency).toLowerCase();
  let next: number | undefined;
  if (UNIT_MS[frequency]) {
    const step = UNIT_MS[frequency] * interval;
    next = afterMs < start ? start : start + (Math.floor((afterMs - start) / step) + 1) * step;
  } else {
    next = calendarNext(rec, frequency, interval, start, zone, afterMs);
  }
  return next !== undefined && (end === undefined || Number.isNaN(end) || next <= end) ? next : undefined;
}

const dayNumber = (l: Local): number => Math.floor(Date.UTC(l.y, l.mo - 1, l.d) / DAY_MS);
const fromDayNumber = (n: number): { y: number; mo: number; d: number; wd: number } => {
  const date = new Date(n * DAY_MS);
  return { y: date.getUTCFullYear(), mo: date.getUTCMonth() + 1, d: date.getUTCDate(), wd: date.getUTCDay() };
};

function calendarNext(rec: RecurrenceDef, frequency: string, interval: number, start: number, zone: string, afterMs: number): number | undefined {
  const s = toLocal(start, zone);
  const sched = rec.schedule ?? {};
  const scheduled = sched.hours !== undefined || sched.minutes !== undefined;
  const hours = [...(sched.hours ?? [s.h])].sort((a, b) => a - b);
  const minutes = [...(sched.minutes ?? [s.mi])].sort((a, b) => a - b);
  const second = scheduled ? 0 : s.s;
  const timesOn = (y: number, mo: number, d: number): number[] =>
    hours.flatMap((h) => minutes.map((mi) => fromLocal({ y, mo, d, h, mi, s: second }, zone)));

  const startDay = dayNumber(s);
  const after = toLocal(Math.max(afterMs, start), zone);
  let period: (k: number) => number[];
  let k0: number;
  if (frequency === 'day') {
    period = (k) => {
      const day = fromDayNumber(startDay + k * interval);
      return timesOn(day.y, day.mo, day.d);
    };
    k0 = Math.floor((dayNumber(after) - startDay) / interval) - 1;
  } else if (frequency === 'week') {
    const weekStart = startDay - fromDayNumber(startDay).wd; // weeks begin on Sunday
    const days = (sched.weekDays ?? [WEEKDAYS[fromDayNumber(startDay).wd]]).map((w) => WEEKDAYS.indexOf(w)).sort((a, b) => a - b);
    period = (k) =>
      days.flatMap((wd) => {
        const day = fromDayNumber(weekStart + k * 7 * interval + wd);
        return timesOn(day.y, day.mo, day.d);
      });
    k0 = Math.floor((dayNumber(after) - weekStart) / (7 * interval)) - 1;
  } else {
    const monthDays = [...(sched.monthDays ?? [s.d])].sort((a, b) => a - b);
    period = (k) => {
      const index = s.mo - 1 + k * interval;
      const y = s.y + Math.floor(index / 12);
      const mo = (index % 12) + 1;
      const length = new Date(Date.UTC(y, mo, 0)).getUTCDate();
      return monthDays.filter((d) => d <= length).flatMap((d) => timesOn(y, mo, d));
    };
    k0 = Math.floor(((after.y - s.y) * 12 + (after.mo - s.mo)) / interval) - 1;
  }
  for (let k = Math.max(0, k0); k < Math.max(0, k0) + 1000; k++) {
    const hit = period(k).sort((a, b) => a - b).find((t) => t > afterMs && t >= start);
    if (hit !== undefined) return hit;
  }
  return undefined;
}
