import { FloatValue, fail, floatResult, int, num } from '../values.js';
import { define, type CallInfo, type FunctionDef } from './types.js';

/**
 * Float results keep 15 significant digits, as .NET prints a double: the reference's
 * `sub(10.3, .3)` is 10, not JavaScript's 10.000000000000002.
 */
const float = (n: number): unknown => floatResult(Number(n.toPrecision(15)));

function arithmetic(op: (a: number, b: number) => number, intOp: (a: number, b: number) => number = op) {
  return ([a, b]: unknown[], info: CallInfo): unknown => {
    const x = num(a, 'the first number');
    const y = num(b, 'the second number');
    const isFloat = info.isFloat(0) || info.isFloat(1) || !Number.isInteger(x) || !Number.isInteger(y);
    if (isFloat) return float(op(x, y));
    const r = intOp(x, y);
    if (!Number.isSafeInteger(r)) fail(`the result ${r} is too large for an integer`);
    return r;
  };
}

const nonZero = (b: unknown): void => {
  if (b === 0) fail('cannot divide by zero');
};

function numbers(args: unknown[]): number[] {
  const list = args.length === 1 && Array.isArray(args[0]) ? args[0] : args;
  if (list.length === 0) fail('expects at least one number');
  return list.map((v, i) => num(v instanceof FloatValue ? v.value : v, `item ${i + 1}`));
}

export const mathFunctions: FunctionDef[] = [
  define('math', 'add(summand1, summand2)', { description: 'The sum; a float when either number is.', call: arithmetic((a, b) => a + b) }),
  define('math', 'sub(minuend, subtrahend)', { description: 'The difference; a float when either number is.', call: arithmetic((a, b) => a - b) }),
  define('math', 'mul(multiplicand1, multiplicand2)', { description: 'The product; a float when either number is.', call: arithmetic((a, b) => a * b) }),
  define('math', 'div(dividend, divisor)', {
    description: 'The quotient: whole-number division for integers, a float when either number is.',
    call: (args, info) => {
      nonZero(args[1]);
      return arithmetic((a, b) => a / b, (a, b) => Math.trunc(a / b))(args, info);
    },
  }),
  define('math', 'mod(dividend, divisor)', {
    description: 'The remainder of the division.',
    call: (args, info) => {
      nonZero(args[1]);
      return arithmetic((a, b) => a % b)(args, info);
    },
  }),
  define('math', 'min(number1, ...numbers)', { description: 'The lowest of the numbers (or of one array of numbers).', call: (args) => Math.min(...numbers(args)) }),
  define('math', 'max(number1, ...numbers)', { description: 'The highest of the numbers (or of one array of numbers).', call: (args) => Math.max(...numbers(args)) }),
  define('math', 'range(startIndex, count)', {
    description: 'An array of count integers from startIndex.',
    call: ([s, c]) => {
      const start = int(s, 'startIndex');
      const count = int(c, 'count');
      if (count < 0 || count > 100_000) fail(`count ${count} must be from 0 to 100000`);
      return Array.from({ length: count }, (_, i) => start + i);
    },
  }),
  define('math', 'rand(minValue, maxValue)', {
    description: 'A random integer from minValue up to but not including maxValue.',
    call: ([a, b]) => {
      const lo = int(a, 'minValue');
      const hi = int(b, 'maxValue');
      if (hi <= lo) fail(`maxValue ${hi} must be greater than minValue ${lo}`);
      return lo + Math.floor(Math.random() * (hi - lo));
    },
  }),
];
