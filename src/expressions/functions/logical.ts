import { deepEquals, fail, typeName, unbox } from '../values.js';
import { define, type FunctionDef } from './types.js';

/** Booleans, and the strings "true"/"false" that JSON payloads often carry instead. */
function bool(v: unknown, what: string): boolean {
  v = unbox(v);
  if (typeof v === 'boolean') return v;
  if (typeof v === 'string' && /^(true|false)$/i.test(v.trim())) return v.trim().toLowerCase() === 'true';
  return fail(`${what} must be a boolean, not ${typeName(v)}`);
}

/** Numbers compare as numbers and strings ordinally; null is the empty string, as the reference says. */
function compare(a: unknown, b: unknown): number {
  if ((a === null || a === undefined) && typeof b === 'string') a = '';
  if ((b === null || b === undefined) && typeof a === 'string') b = '';
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  if (typeof a === 'string' && typeof b === 'string') return a < b ? -1 : a > b ? 1 : 0;
  return fail(`cannot compare ${typeName(a)} with ${typeName(b)}: both must be numbers or both strings`);
}

export const logicalFunctions: FunctionDef[] = [
  define('logical', 'if(expression, valueIfTrue, valueIfFalse)', {
    description: 'valueIfTrue when the expression is true, else valueIfFalse (only the chosen one is evaluated).',
    lazy: ([c, t, f]) => (bool(c(), 'expression') ? t() : f()),
  }),
  define('logical', 'equals(object1, object2)', { description: 'Whether both values are equivalent.', call: ([a, b]) => deepEquals(a, b) }),
  define('logical', 'not(expression)', { description: 'true when the expression is false.', call: ([a]) => !bool(a, 'expression') }),
  define('logical', 'and(expression1, expression2, ...expressions)', {
    description: 'Whether all expressions are true (stops at the first false one).',
    lazy: (args) => args.every((a, i) => bool(a(), `expression ${i + 1}`)),
  }),
  define('logical', 'or(expression1, expression2, ...expressions)', {
    description: 'Whether at least one expression is true (stops at the first true one).',
    lazy: (args) => args.some((a, i) => bool(a(), `expression ${i + 1}`)),
  }),
  define('logical', 'greater(value, compareTo)', { description: 'Whether the first value is greater.', call: ([a, b]) => compare(a, b) > 0 }),
  define('logical', 'greaterOrEquals(value, compareTo)', { description: 'Whether the first value is greater or equal.', call: ([a, b]) => compare(a, b) >= 0 }),
  define('logical', 'less(value, compareTo)', { description: 'Whether the first value is less.', call: ([a, b]) => compare(a, b) < 0 }),
  define('logical', 'lessOrEquals(value, compareTo)', { description: 'Whether the first value is less or equal.', call: ([a, b]) => compare(a, b) <= 0 }),
  define('manipulation', 'coalesce(object1, ...objects)', {
    description: 'The first value that is not null.',
    lazy: (args) => {
      for (const a of args) {
        const v = a();
        if (v !== null && v !== undefined) return v;
      }
      return null;
    },
  }),
];
