import { capped, deepEquals, fail, int, isObject, toText, typeName } from '../values.js';
import { define, type FunctionDef } from './types.js';

function collection(v: unknown): string | unknown[] {
  if (typeof v === 'string' || Array.isArray(v)) return v;
  return fail(`expects a string or an array, not ${typeName(v)}`);
}

function contains([hay, needle]: unknown[]): boolean {
  if (typeof hay === 'string') {
    if (typeof needle !== 'string') fail(`a string can only contain a string, not ${typeName(needle)}`);
    return hay.includes(needle);
  }
  if (Array.isArray(hay)) return hay.some((x) => deepEquals(x, needle));
  if (isObject(hay)) {
    if (typeof needle !== 'string') fail(`an object's keys are strings; cannot look for ${typeName(needle)}`);
    return Object.hasOwn(hay, needle);
  }
  return fail(`expects a string, an array or an object, not ${typeName(hay)}`);
}

function sameKind(args: unknown[]): 'array' | 'object' {
  if (args.every(Array.isArray)) return 'array';
  if (args.every(isObject)) return 'object';
  return fail(`expects only arrays or only objects, not ${args.map(typeName).join(', ')}`);
}

/** A key equal for deep-equal JSON values, so union and intersection stay linear on big arrays. */
function key(v: unknown): string {
  if (typeof v === 'number') return `n${v}`;
  if (typeof v === 'string') return `s${v}`;
  const canonical = (x: unknown): unknown =>
    Array.isArray(x) ? x.map(canonical) : isObject(x) ? Object.fromEntries(Object.keys(x).sort().map((k) => [k, canonical(x[k])])) : x === undefined ? null : x;
  return JSON.stringify(canonical(v));
}

function union(args: unknown[]): unknown {
  if (sameKind(args) === 'object') return Object.assign({}, ...(args as object[]));
  const seen = new Map<string, unknown>();
  for (const a of args as unknown[][])
    for (const x of a) {
      const k = key(x);
      if (!seen.has(k)) seen.set(k, x);
    }
  return [...seen.values()];
}

function intersection(args: unknown[]): unknown {
  if (sameKind(args) === 'object') {
    const [first, ...rest] = args as Array<Record<string, unknown>>;
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(first)) if (rest.every((o) => Object.hasOwn(o, k) && deepEquals(o[k], v))) out[k] = rest.length ? rest[rest.length - 1][k] : v;
    return out;
  }
  const [first, ...rest] = args as unknown[][];
  const others = rest.map((a) => new Set(a.map(key)));
  const out = new Map<string, unknown>();
  for (const x of first) {
    const k = key(x);
    if (!out.has(k) && others.every((s) => s.has(k))) out.set(k, x);
  }
  return [...out.values()];
}

export const collectionFunctions: FunctionDef[] = [
  define('collection', 'join(collection, delimiter)', {
    description: 'The array items as one string, separated by the delimiter.',
    call: ([a, d]) => {
      if (!Array.isArray(a)) fail(`expects an array, not ${typeName(a)}`);
      return capped(a.map(toText).join(toText(d)));
    },
  }),
  define('collection', 'length(collection)', { description: 'Number of characters in a string or items in an array.', call: ([c]) => collection(c).length }),
  define('collection', 'empty(collection)', {
    description: 'Whether a string, array or object is empty (null counts as empty).',
    call: ([c]) => {
      if (c === null || c === undefined) return true;
      if (typeof c === 'string' || Array.isArray(c)) return c.length === 0;
      if (isObject(c)) return Object.keys(c).length === 0;
      return fail(`expects a string, an array or an object, not ${typeName(c)}`);
    },
  }),
  define('collection', 'first(collection)', {
    description: 'The first character of a string or item of an array.',
    call: ([c]) => {
      const x = collection(c);
      return typeof x === 'string' ? x.slice(0, 1) : (x[0] ?? null);
    },
  }),
  define('collection', 'last(collection)', {
    description: 'The last character of a string or item of an array.',
    call: ([c]) => {
      const x = collection(c);
      return typeof x === 'string' ? x.slice(-1) : (x[x.length - 1] ?? null);
    },
  }),
  define('collection', 'contains(collection, value)', {
    description: 'Whether a string has a substring (case-sensitive), an array an item, or an object a key.',
    call: contains,
  }),
  define('collection', 'take(collection, count)', {
    description: 'The first count items or characters.',
    call: ([c, n]) => {
      const count = int(n, 'count');
      if (count < 0) fail(`count ${count} must not be negative`);
      return collection(c).slice(0, count);
    },
  }),
  define('collection', 'skip(collection, count)', {
    description: 'Everything after the first count items or characters.',
    call: ([c, n]) => {
      const count = int(n, 'count');
      if (count < 0) fail(`count ${count} must not be negative`);
      return collection(c).slice(count);
    },
  }),
  define('collection', 'reverse(collection)', {
    description: 'The array in reverse order.',
    call: ([c]) => {
      if (!Array.isArray(c)) fail(`expects an array, not ${typeName(c)}`);
      return [...c].reverse();
    },
  }),
  define('collection', 'union(collection1, collection2, ...collections)', { description: 'All items of the arrays (or keys of the objects), without duplicates.', call: union }),
  define('collection', 'intersection(collection1, collection2, ...collections)', { description: 'Only the items (or keys) common to all.', call: intersection }),
];
