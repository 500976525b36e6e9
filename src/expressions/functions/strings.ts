import { randomUUID } from 'node:crypto';
import { capped, fail, int, str, toText } from '../values.js';
import { define, type FunctionDef } from './types.js';

/** Logic Apps' string functions take null as the empty string where that is harmless. */
const text = (v: unknown, what: string): string => (v === null || v === undefined ? '' : str(v, what));

function substring([value, start, length]: unknown[]): string {
  const s = str(value, 'text');
  const from = int(start, 'startIndex');
  if (from < 0) fail(`startIndex ${from} must not be negative`);
  if (from > s.length) fail(`startIndex ${from} is beyond the string's length ${s.length}`);
  if (length === undefined) return s.slice(from);
  const n = int(length, 'length');
  if (n < 0) fail(`length ${n} must not be negative`);
  if (from + n > s.length) fail(`startIndex ${from} plus length ${n} is beyond the string's length ${s.length}`);
  return s.slice(from, from + n);
}

function lastIndexOf([value, search]: unknown[]): number {
  const s = text(value, 'text').toLowerCase();
  const find = text(search, 'searchText').toLowerCase();
  // The documented .NET edge cases, not JavaScript's.
  if (s === '') return find === '' ? 0 : -1;
  if (find === '') return s.length - 1;
  return s.lastIndexOf(find);
}

function formatGuid(format: unknown): string {
  const id = randomUUID();
  const f = format === undefined ? 'D' : str(format, 'format');
  switch (f.toUpperCase()) {
    case 'D':
      return id;
    case 'N':
      return id.replace(/-/g, '');
    case 'B':
      return `{${id}}`;
    case 'P':
      return `(${id})`;
    case 'X': {
      const h = id.replace(/-/g, '');
      const bytes = h.slice(16).match(/../g)!.map((b) => `0x${b}`);
      return `{0x${h.slice(0, 8)},0x${h.slice(8, 12)},0x${h.slice(12, 16)},{${bytes.join(',')}}}`;
    }
    default:
      return fail(`format '${f}' is not one of N, D, B, P or X`);
  }
}

export const stringFunctions: FunctionDef[] = [
  define('string', 'concat(text1, ...texts)', {
    description: 'Combines strings (other values are converted to text).',
    call: (args) => capped(args.map(toText).join('')),
  }),
  define('string', 'substring(text, startIndex, length?)', {
    description: 'Characters from startIndex (0-based), length of them or to the end; fails when past the end.',
    call: substring,
  }),
  define('string', 'slice(text, startIndex, endIndex?)', {
    description: 'Characters from startIndex up to endIndex; negative indexes count from the end.',
    call: ([v, a, b]) => str(v, 'text').slice(int(a, 'startIndex'), b === undefined ? undefined : int(b, 'endIndex')),
  }),
  define('string', 'replace(text, oldText, newText)', {
    description: 'Replaces every occurrence of oldText (case-sensitive).',
    call: ([v, o, n]) => {
      const old = str(o, 'oldText');
      if (old === '') fail('oldText must not be empty');
      return capped(text(v, 'text').split(old).join(text(n, 'newText')));
    },
  }),
  define('string', 'toLower(text)', { description: 'The string in lowercase.', call: ([v]) => text(v, 'text').toLowerCase() }),
  define('string', 'toUpper(text)', { description: 'The string in uppercase.', call: ([v]) => text(v, 'text').toUpperCase() }),
  define('string', 'trim(text)', { description: 'Removes leading and trailing whitespace.', call: ([v]) => text(v, 'text').trim() }),
  define('string', 'indexOf(text, searchText)', {
    description: 'Position of the first occurrence, case-insensitive; -1 when absent.',
    call: ([v, s]) => text(v, 'text').toLowerCase().indexOf(text(s, 'searchText').toLowerCase()),
  }),
  define('string', 'lastIndexOf(text, searchText)', { description: 'Position of the last occurrence, case-insensitive; -1 when absent.', call: lastIndexOf }),
  define('string', 'nthIndexOf(text, searchText, occurrence)', {
    description: 'Position of the nth occurrence (negative n counts from the end), case-insensitive; -1 when absent.',
    call: ([v, s, n]) => {
      const hay = text(v, 'text').toLowerCase();
      const find = text(s, 'searchText').toLowerCase();
      const nth = int(n, 'occurrence');
      if (nth === 0) fail('occurrence must not be 0');
      const step = Math.max(find.length, 1);
      let from = nth > 0 ? 0 : hay.length;
      let at = -1;
      for (let k = 0; k < Math.abs(nth); k++) {
        if (from < 0 || from > hay.length) return -1;
        at = nth > 0 ? hay.indexOf(find, from) : hay.lastIndexOf(find, from);
        if (at < 0) return -1;
        from = nth > 0 ? at + step : at - step;
      }
      return at;
    },
  }),
  define('string', 'startsWith(text, searchText)', {
    description: 'Whether the string starts with searchText, case-insensitive.',
    call: ([v, s]) => text(v, 'text').toLowerCase().startsWith(text(s, 'searchText').toLowerCase()),
  }),
  define('string', 'endsWith(text, searchText)', {
    description: 'Whether the string ends with searchText, case-insensitive.',
    call: ([v, s]) => text(v, 'text').toLowerCase().endsWith(text(s, 'searchText').toLowerCase()),
  }),
  define('string', 'split(text, delimiter)', {
    description: 'The substrings between occurrences of the delimiter.',
    call: ([v, d]) => {
      const delimiter = str(d, 'delimiter');
      const s = text(v, 'text');
      return delimiter === '' ? [s] : s.split(delimiter);
    },
  }),
  define('string', 'guid(format?)', { description: 'A new random GUID; format N, D (default), B, P or X.', call: ([f]) => formatGuid(f) }),
  define('string', 'isInt(text)', { description: 'Whether the string is a whole number.', call: ([v]) => /^\s*[+-]?\d+\s*$/.test(text(v, 'text')) }),
  define('string', 'isFloat(text)', {
    description: 'Whether the string is a number.',
    call: ([v]) => /^\s*[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?\s*$/.test(text(v, 'text')),
  }),
];
