import { fail } from './values.js';

/**
 * A .NET DateTime as Logic Apps handles it: a wall-clock time to 100 ns, and whether it is
 * UTC (printed with `Z`) or of unspecified zone (printed without, e.g. after convertTimeZone).
 */
export interface Timestamp {
  /** The wall-clock time as milliseconds since 1970 read as if UTC. */
  ms: number;
  /** 100-nanosecond ticks below the millisecond, 0–9999, so `o` round-trips 7 digits. */
  sub: number;
  utc: boolean;
}

const FIRST = (() => {
  const d = new Date(0);
  d.setUTCFullYear(1, 0, 1);
  return d.getTime();
})();
const LAST = Date.UTC(9999, 11, 31, 23, 59, 59, 999);

/** Whether a time is within .NET DateTime's years 1 to 9999. */
export const inRange = (ms: number): boolean => Number.isFinite(ms) && ms >= FIRST && ms <= LAST;

function build(y: number, mo: number, d: number, h: number, mi: number, s: number, frac: string | undefined): Timestamp | undefined {
  const digits = (frac ?? '').padEnd(7, '0').slice(0, 7);
  const date = new Date(0);
  date.setUTCFullYear(y, mo - 1, d);
  date.setUTCHours(h, mi, s, Number(digits.slice(0, 3)));
  if (date.getUTCFullYear() !== y || date.getUTCMonth() !== mo - 1 || date.getUTCDate() !== d || h > 23 || mi > 59 || s > 59) return undefined;
  return { ms: date.getTime(), sub: Number(digits.slice(3)), utc: false };
}

function applyZone(t: Timestamp, zone: string | undefined): Timestamp {
  if (!zone) return t;
  if (zone.toUpperCase() === 'Z') return { ...t, utc: true };
  const m = /^([+-])(\d{2}):?(\d{2})?$/.exec(zone)!;
  const minutes = (Number(m[2]) * 60 + Number(m[3] ?? 0)) * (m[1] === '-' ? -1 : 1);
  // An offset is an instant; Logic Apps (running on UTC) goes on with it as UTC.
  return { ms: t.ms - minutes * 60000, sub: t.sub, utc: true };
}

const ISO = /^(\d{4})-(\d{1,2})-(\d{1,2})(?:[T ](\d{1,2}):(\d{2})(?::(\d{2})(?:[.,](\d+))?)?)?\s*(Z|[+-]\d{2}(?::?\d{2})?)?$/i;
const US = /^(\d{1,2})\/(\d{1,2})\/(\d{4})(?:\s+(\d{1,2}):(\d{2})(?::(\d{2})(?:\.(\d+))?)?(?:\s*([AP]M))?)?\s*(Z|[+-]\d{2}(?::?\d{2})?)?$/i;

/** Reads the timestamp forms Logic Apps accepts: ISO 8601, US `MM/dd/yyyy HH:mm:ss`, RFC 1123. */
export function parseTimestamp(value: unknown): Timestamp {
  if (typeof value !== 'string') return fail(`the timestamp must be a string, not ${value === null ? 'null' : typeof value}`);
  const s = value.trim();
  let t: Timestamp | undefined;
  let m = ISO.exec(s);
  if (m) {
    t = build(+m[1], +m[2], +m[3], +(m[4] ?? 0), +(m[5] ?? 0), +(m[6] ?? 0), m[7]);
    if (t) t = applyZone(t, m[8]);
  } else if ((m = US.exec(s))) {
    let h = +(m[4] ?? 0);
    if (m[8] && (h < 1 || h > 12)) h = 99;
    else if (m[8]) h = (h % 12) + (m[8].toUpperCase() === 'PM' ? 12 : 0);
    t = build(+m[3], +m[1], +m[2], h, +(m[5] ?? 0), +(m[6] ?? 0), m[7]);
    if (t) t = applyZone(t, m[9]);
  } else if (/\b(GMT|UTC)$|[+-]\d{4}$/i.test(s) && /[A-Za-z]{3}/.test(s)) {
    const ms = Date.parse(s);
    if (Number.isFinite(ms)) t = { ms, sub: 0, utc: true };
  }
  if (!t || !inRange(t.ms)) return fail(`'${s.slice(0, 60)}' is not a valid timestamp (use ISO 8601, e.g. '2018-03-15T13:00:00Z')`);
  return t;
}

const DAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];
const MONTHS = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];

/** .NET's standard format specifiers, in the en-US culture that Logic Apps formats with. */
const STANDARD: Record<string, string> = {
  d: 'M/d/yyyy',
  D: 'dddd, MMMM d, yyyy',
  f: 'dddd, MMMM d, yyyy h:mm tt',
  F: 'dddd, MMMM d, yyyy h:mm:ss tt',
  g: 'M/d/yyyy h:mm tt',
  G: 'M/d/yyyy h:mm:ss tt',
  m: 'MMMM d',
  M: 'MMMM d',
  o: "yyyy'-'MM'-'dd'T'HH':'mm':'ss'.'fffffffK",
  O: "yyyy'-'MM'-'dd'T'HH':'mm':'ss'.'fffffffK",
  r: "ddd, dd MMM yyyy HH':'mm':'ss 'GMT'",
  R: "ddd, dd MMM yyyy HH':'mm':'ss 'GMT'",
  s: "yyyy'-'MM'-'dd'T'HH':'mm':'ss",
  t: 'h:mm tt',
  T: 'h:mm:ss tt',
  u: "yyyy'-'MM'-'dd HH':'mm':'ss'Z'",
  U: 'dddd, MMMM d, yyyy h:mm:ss tt',
  y: 'MMMM yyyy',
  Y: 'MMMM yyyy',
};

const pad = (n: number, width: number): string => String(n).padStart(width, '0');

/** Formats like .NET's DateTime.ToString(format, en-US): a standard specifier or a custom pattern. */
export function formatTimestamp(t: Timestamp, format: string = 'o'): string {
  if (format === '') format = 'o';
  let pattern = format;
  if (format.length === 1) {
    pattern = STANDARD[format] ?? fail(`'${format}' is not a standard date and time format specifier`);
  }
  const d = new Date(t.ms);
  const fraction = pad(d.getUTCMilliseconds(), 3) + pad(t.sub, 4);
  let out = '';
  for (let i = 0; i < pattern.length; ) {
    let c = pattern[i];
    if (c === "'" || c === '"') {
      const end = pattern.indexOf(c, i + 1);
      if (end < 0) fail(`the format '${format}' has an unclosed quote`);
      out += pattern.slice(i + 1, end);
      i = end + 1;
      continue;
    }
    if (c === '\\') {
      if (i + 1 >= pattern.length) fail(`the format '${format}' ends with a backslash`);
      out += pattern[i + 1];
      i += 2;
      continue;
    }
    let n = 1;
    if (c === '%') {
      // `%d` is the custom specifier d alone, not the standard format d.
      if (i + 1 >= pattern.length || pattern[i + 1] === '%') fail(`the format '${format}' has a misplaced '%'`);
      c = pattern[++i];
    } else {
      while (pattern[i + n] === c) n++;
    }
    i += n;
    const part = specifier(c, n, d, t, fraction, format);
    // .NET drops the separator too when F prints nothing: "HH:mm:ss.FFF" of a whole second has no dot.
    if (c === 'F' && part === '' && out.endsWith('.')) out = out.slice(0, -1);
    out += part;
  }
  return out;
}

function specifier(c: string, n: number, d: Date, t: Timestamp, fraction: string, format: string): string {
  const hour = d.getUTCHours();
  switch (c) {
    case 'd':
      return n === 1 ? String(d.getUTCDate()) : n === 2 ? pad(d.getUTCDate(), 2) : n === 3 ? DAYS[d.getUTCDay()].slice(0, 3) : DAYS[d.getUTCDay()];
    case 'M':
      return n === 1 ? String(d.getUTCMonth() + 1) : n === 2 ? pad(d.getUTCMonth() + 1, 2) : n === 3 ? MONTHS[d.getUTCMonth()].slice(0, 3) : MONTHS[d.getUTCMonth()];
    case 'y': {
      const y = d.getUTCFullYear();
      return n === 1 ? String(y % 100) : n === 2 ? pad(y % 100, 2) : pad(y, n);
    }
    case 'h':
      return n === 1 ? String(hour % 12 || 12) : pad(hour % 12 || 12, 2);
    case 'H':
      return n === 1 ? String(hour) : pad(hour, 2);
    case 'm':
      return n === 1 ? String(d.getUTCMinutes()) : pad(d.getUTCMinutes(), 2);
    case 's':
      return n === 1 ? String(d.getUTCSeconds()) : pad(d.getUTCSeconds(), 2);
    case 't':
      return n === 1 ? (hour < 12 ? 'A' : 'P') : hour < 12 ? 'AM' : 'PM';
    case 'f':
    case 'F': {
      if (n > 7) fail(`the format '${format}' has more than 7 fraction digits`);
      if (c === 'f') return fraction.slice(0, n);
      return fraction.slice(0, n).replace(/0+$/, '');
    }
    case 'g':
      return 'A.D.';
    case 'K':
      return t.utc ? 'Z' : '';
    case 'z':
      return n === 1 ? '+0' : n === 2 ? '+00' : '+00:00';
    case ':':
      return ':';
    case '/':
      return '/';
    default:
      return c.repeat(n);
  }
}
