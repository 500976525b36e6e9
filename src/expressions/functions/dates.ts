import { formatTimestamp, inRange, parseTimestamp, type Timestamp } from '../datetime.js';
import { fromZone, resolveZone, toZone } from '../timezones.js';
import { fail, int, str } from '../values.js';
import { define, type CallInfo, type FunctionDef } from './types.js';

const UNITS: Record<string, number> = { second: 1000, minute: 60000, hour: 3600000, day: 86400000, week: 604800000 };

const fmt = (t: Timestamp, format: unknown): string => formatTimestamp(t, format === undefined || format === null ? 'o' : str(format, 'format'));

function now(info: CallInfo): Timestamp {
  const d = info.ctx.now?.() ?? new Date();
  return { ms: d.getTime(), sub: 0, utc: true };
}

const daysInMonth = (year: number, month: number): number => {
  const d = new Date(0);
  d.setUTCFullYear(year, month + 1, 0);
  return d.getUTCDate();
};

/** .NET's AddMonths: the day is clamped to the end of a shorter month. */
function addMonths(t: Timestamp, months: number): Timestamp {
  const d = new Date(t.ms);
  const target = d.getUTCFullYear() * 12 + d.getUTCMonth() + months;
  const year = Math.floor(target / 12);
  const month = target - year * 12;
  d.setUTCFullYear(year, month, Math.min(d.getUTCDate(), daysInMonth(year, month)));
  return { ...t, ms: d.getTime() };
}

function add(t: Timestamp, amount: number, unit: string): Timestamp {
  const u = unit.toLowerCase();
  let r: Timestamp;
  if (u === 'month') r = addMonths(t, amount);
  else if (u === 'year') r = addMonths(t, amount * 12);
  else if (UNITS[u] !== undefined) r = { ...t, ms: t.ms + amount * UNITS[u] };
  else return fail(`'${unit}' is not a time unit (Second, Minute, Hour, Day, Week, Month or Year)`);
  if (!inRange(r.ms)) fail('the result is outside the years 1 to 9999');
  return r;
}

function adder(unit: string) {
  return ([ts, n, format]: unknown[]) => fmt(add(parseTimestamp(ts), int(n, unit.toLowerCase() + 's'), unit), format);
}

function startOf(t: Timestamp, unit: 'day' | 'hour' | 'month'): Timestamp {
  const d = new Date(t.ms);
  if (unit === 'month') d.setUTCDate(1);
  d.setUTCHours(unit === 'hour' ? d.getUTCHours() : 0, 0, 0, 0);
  return { ms: d.getTime(), sub: 0, utc: t.utc };
}

function convert(ts: unknown, source: string | undefined, destination: string | undefined, format: unknown): string {
  const t = parseTimestamp(ts);
  const from = source === undefined ? 'UTC' : resolveZone(source);
  const to = destination === undefined ? 'UTC' : resolveZone(destination);
  const instant = t.utc ? t.ms : fromZone(t.ms, from);
  // As in .NET, a time converted into UTC is UTC (prints `Z`); into another zone it has no zone.
  return fmt({ ms: to === 'UTC' ? instant : toZone(instant, to), sub: t.sub, utc: to === 'UTC' }, format);
}

const day = (ts: unknown): Date => new Date(parseTimestamp(ts).ms);

export const dateFunctions: FunctionDef[] = [
  define('date', 'utcNow(format?)', { description: 'The current UTC time, by default as ISO 8601 ("o").', call: ([f], info) => fmt(now(info), f) }),
  define('date', 'addDays(timestamp, days, format?)', { description: 'The timestamp plus (or minus) days.', call: adder('Day') }),
  define('date', 'addHours(timestamp, hours, format?)', { description: 'The timestamp plus (or minus) hours.', call: adder('Hour') }),
  define('date', 'addMinutes(timestamp, minutes, format?)', { description: 'The timestamp plus (or minus) minutes.', call: adder('Minute') }),
  define('date', 'addSeconds(timestamp, seconds, format?)', { description: 'The timestamp plus (or minus) seconds.', call: adder('Second') }),
  define('date', 'addToTime(timestamp, interval, timeUnit, format?)', {
    description: 'The timestamp plus interval units (Second … Year).',
    call: ([ts, n, u, f]) => fmt(add(parseTimestamp(ts), int(n, 'interval'), str(u, 'timeUnit')), f),
  }),
  define('date', 'subtractFromTime(timestamp, interval, timeUnit, format?)', {
    description: 'The timestamp minus interval units (Second … Year).',
    call: ([ts, n, u, f]) => fmt(add(parseTimestamp(ts), -int(n, 'interval'), str(u, 'timeUnit')), f),
  }),
  define('date', 'getFutureTime(interval, timeUnit, format?)', {
    description: 'The current time plus interval units.',
    call: ([n, u, f], info) => fmt(add(now(info), int(n, 'interval'), str(u, 'timeUnit')), f),
  }),
  define('date', 'getPastTime(interval, timeUnit, format?)', {
    description: 'The current time minus interval units.',
    call: ([n, u, f], info) => fmt(add(now(info), -int(n, 'interval'), str(u, 'timeUnit')), f),
  }),
  define('date', 'formatDateTime(timestamp, format?)', {
    description: 'The timestamp in a .NET format ("o", "D", "yyyy-MM-dd HH:mm", …).',
    call: ([ts, f]) => fmt(parseTimestamp(ts), f),
  }),
  define('date', 'convertTimeZone(timestamp, sourceTimeZone, destinationTimeZone, format?)', {
    description: "Converts between time zones named as Windows does ('Pacific Standard Time').",
    call: ([ts, s, d, f]) => convert(ts, str(s, 'sourceTimeZone'), str(d, 'destinationTimeZone'), f),
  }),
  define('date', 'convertFromUtc(timestamp, destinationTimeZone, format?)', {
    description: 'Converts a UTC timestamp to a time zone.',
    call: ([ts, d, f]) => convert(ts, undefined, str(d, 'destinationTimeZone'), f),
  }),
  define('date', 'convertToUtc(timestamp, sourceTimeZone, format?)', {
    description: 'Converts a timestamp in a time zone to UTC.',
    call: ([ts, s, f]) => convert(ts, str(s, 'sourceTimeZone'), undefined, f),
  }),
  define('date', 'startOfDay(timestamp, format?)', { description: 'Midnight of the timestamp\'s day.', call: ([ts, f]) => fmt(startOf(parseTimestamp(ts), 'day'), f) }),
  define('date', 'startOfHour(timestamp, format?)', { description: 'The start of the timestamp\'s hour.', call: ([ts, f]) => fmt(startOf(parseTimestamp(ts), 'hour'), f) }),
  define('date', 'startOfMonth(timestamp, format?)', { description: 'Midnight of the first of the timestamp\'s month.', call: ([ts, f]) => fmt(startOf(parseTimestamp(ts), 'month'), f) }),
  define('date', 'dayOfMonth(timestamp)', { description: 'The day of the month, 1–31.', call: ([ts]) => day(ts).getUTCDate() }),
  define('date', 'dayOfWeek(timestamp)', { description: 'The day of the week, Sunday = 0.', call: ([ts]) => day(ts).getUTCDay() }),
  define('date', 'dayOfYear(timestamp)', {
    description: 'The day of the year, 1–366.',
    call: ([ts]) => {
      const d = day(ts);
      const jan1 = new Date(d.getTime());
      jan1.setUTCMonth(0, 1);
      return Math.round((d.getTime() - jan1.getTime()) / 86400000) + 1;
    },
  }),
];
